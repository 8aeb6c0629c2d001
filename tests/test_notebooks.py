"""Every notebook the suite runs (derived from ``yot.pages.registry.plan``, not a fixed list): its typed
parameters cell keeps the page contract, it is thin and committed without outputs, it executes in the
one shared suite run of conftest.py, keeps exact figures for the analyst only, and runs directly with
papermill from the repository root (defaults project-relative; parameter mistakes named)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from yot.pages.registry import plan
from yot.params import load_suite

ROOT = Path(__file__).resolve().parents[1]
BARNET = ROOT / "parameters" / "barnet_2005_2008.yaml"
RUNS = plan(load_suite(BARNET))
NOTEBOOKS = sorted({ROOT / "notebooks" / r.notebook for r in RUNS})
EXACT_HEADING = "(exact figures, for the analyst)"  # what yot.pages.show.show_exact prints
MAX_CODE_LINES = 40

pytestmark = pytest.mark.slow


def _parameters_cell(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code"
    assert "parameters" in code[0].metadata.get("tags", []), f"{path.name}: first code cell must be tagged 'parameters'"
    return code[0]


def _declared(path: Path) -> dict[str, ast.AnnAssign | ast.Assign]:
    tree = ast.parse(_parameters_cell(path).source)
    found: dict[str, ast.AnnAssign | ast.Assign] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = node
        elif isinstance(node, ast.Assign):
            found.update({t.id: node for t in node.targets if isinstance(t, ast.Name)})
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_parameters_cell_is_typed_and_declares_every_parameter_the_runner_passes(path):
    declared = _declared(path)
    runs = [r for r in RUNS if r.notebook == path.name]
    passed = set().union(*(r.parameters for r in runs)) | {"data_dir", "output_dir"}
    passed |= {"pages_dir"} if any(r.after for r in runs) else set()
    missing = passed - set(declared)
    assert not missing, f"{path.name}: parameters cell lacks {sorted(missing)}"
    untyped = sorted(n for n, node in declared.items() if not isinstance(node, ast.AnnAssign))
    assert not untyped, f"{path.name}: parameters without a type annotation: {untyped}"
    for name in ("data_dir", "output_dir"):  # None = the project's own default, wherever the notebook runs
        assert ast.literal_eval(declared[name].value) is None, name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_thin_and_follows_the_page_pattern(path):
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"][1:]
    lines = [ln for c in code for ln in c.source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert len(lines) <= MAX_CODE_LINES, f"{path.name}: {len(lines)} lines of code beyond the parameters cell"
    source = "\n".join(c.source for c in code)
    assert ".Params.from_namespace(globals())" in source  # parameters validated first
    tags = [set(c.metadata.get("tags", [])) for c in code]
    assert any("analyst" in t for t in tags), f"{path.name}: no analyst cell with the exact figures"
    save = [c for c in code if "remove_cell" in c.metadata.get("tags", []) and "page.save(" in c.source]
    assert save and "params.output_path()" in save[0].source  # only ever into its own output folder


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    notebook = json.loads(path.read_text())
    assert not [c for c in notebook["cells"] if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]


# ------------------------------------------------------------------------------- in the shared suite run
def test_the_whole_suite_runs_on_the_small_extract(suite_run):
    assert suite_run.returncode == 0, suite_run.stderr
    assert suite_run.manifest["succeeded"] is True
    assert [n["name"] for n in suite_run.manifest["notebooks"]] == [r.name for r in plan(load_suite(suite_run.suite))]
    assert (suite_run.out / "latest").resolve() == suite_run.run_dir.resolve()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_run_of_the_notebook_executed_and_was_published_without_the_exact_figures(suite_run, path):
    runs = [n for n in suite_run.manifest["notebooks"] if n["notebook"] == path.name]
    assert runs, f"{path.name} was not run by the suite"
    for run in runs:
        assert run["status"] == "ok", f"{run['name']}: {run['error']}"
        executed = nbformat.read(suite_run.run_dir / run["executed"], as_version=4)
        errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert not errors
        analyst = [c for c in executed.cells if "analyst" in c.metadata.get("tags", [])]
        saved = json.loads((suite_run.run_dir / "private" / run["name"] / f"{run['name']}.page.json").read_text())
        if saved["tables"]:  # the analyst's copy has every table with its exact figures
            assert EXACT_HEADING in json.dumps([c.get("outputs", []) for c in analyst])
        page = (suite_run.run_dir / run["html"]).read_text()
        assert EXACT_HEADING not in page  # the published render does not
        assert "Traceback" not in page
        assert 'href="methods.html"' in page


def test_every_table_a_page_saved_is_published(suite_run):
    for run in suite_run.manifest["notebooks"]:
        saved = json.loads((suite_run.run_dir / "private" / run["name"] / f"{run['name']}.page.json").read_text())
        for table in saved["tables"]:
            published = suite_run.published / "tables" / table["file"]
            assert published.is_file(), published
            assert (suite_run.analyst / "tables" / f"{table['name']}.parquet").is_file()  # exact, analyst only


def test_a_year_with_no_data_is_said_plainly_not_crashed_on(suite_run):
    """The shared run's suite file has a cohort year before the extract starts (conftest.NO_DATA_YEAR)."""
    (year,) = [y for y in suite_run.manifest["parameters"]["reoffending"]["cohort_years"] if y < 2000]
    assert "No data" in (suite_run.published / f"reoffending_cohort_{year}.html").read_text()
    assert "No data" in (suite_run.published / "data_quality.html").read_text()


# ------------------------------------------------------------------------------- papermill, directly
def _papermill(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "papermill", *args, "--no-progress-bar"], capture_output=True,
                          text=True, cwd=cwd, check=False, timeout=600)


def test_papermill_from_the_repository_root_with_the_default_parameters(tmp_path):
    """Defaults resolve against the project, not the current folder (the data default is the embedded
    synthetic extract; output_dir is given here only so the test writes nowhere in the clone)."""
    from yot.runner import embedded_synthetic, ensure_embedded_synthetic

    ensure_embedded_synthetic(embedded_synthetic())  # what make synth / make run write (a fresh clone lacks it)
    path = ROOT / "notebooks" / "data_quality.ipynb"
    done = _papermill(str(path.relative_to(ROOT)), str(tmp_path / "out.ipynb"), "-p", "output_dir",
                      str(tmp_path / "page"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "page" / "data_quality.page.json").is_file()


def test_papermill_parameter_mistakes_are_errors_naming_each_parameter(tmp_path, small_extract):
    """A misspelt parameter, a wrong type and a value out of range, all in one papermill call: the first
    cell stops with a ParameterError that names every one of them (nothing runs on a silent default)."""
    done = _papermill("notebooks/reoffending_cohort.ipynb", str(tmp_path / "out.ipynb"), "-p", "data_dir",
                      str(small_extract), "-p", "output_dir", str(tmp_path / "page"), "-p", "cohort_yaer", "2007",
                      "-p", "follow_up_months", "twelve", "-p", "disclosure_threshold", "0")
    assert done.returncode != 0
    assert "ParameterError" in done.stderr
    for named in ("cohort_yaer: unknown key", "follow_up_months: ", "disclosure_threshold: "):
        assert named in done.stderr, named
    assert not (tmp_path / "page").exists()


def test_papermill_help_notebook_shows_the_parameter_types():
    done = _papermill("--help-notebook", "notebooks/reoffending_cohort.ipynb")
    assert done.returncode == 0, done.stderr
    assert "cohort_year: int (default 2005)" in done.stdout
    assert "data_dir: Optional[str] (default None)" in done.stdout
    assert "Unknown type" not in done.stdout


def test_reexecuting_an_analyst_copy_never_writes_into_published(suite_run, tmp_path):
    """An analyst re-runs an executed notebook from analyst/ with other parameters (threshold 1, say):
    it writes only into the output folder it is given (or the project's scratch folder), never into the
    run's published/ pack. (papermill replaces the run's injected parameters with the ones given, so
    the analyst passes every parameter that should differ from the notebook's defaults.)"""
    run = next(n for n in suite_run.manifest["notebooks"] if n["name"].startswith("reoffending_cohort"))
    before = {p: p.stat().st_mtime_ns for p in suite_run.published.rglob("*")}
    done = _papermill(str(suite_run.run_dir / run["executed"]), str(tmp_path / "again.ipynb"),
                      "-p", "disclosure_threshold", "1", "-p", "output_dir", str(tmp_path / "mine"),
                      "-p", "data_dir", str(suite_run.data_dir), "-p", "name", run["name"],
                      "-p", "cohort_year", str(run["parameters"]["cohort_year"]))
    assert done.returncode == 0, done.stderr[-3000:]
    assert {p: p.stat().st_mtime_ns for p in suite_run.published.rglob("*")} == before
    assert (tmp_path / "mine" / f"{run['name']}.page.json").is_file()
