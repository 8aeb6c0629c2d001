"""Every notebook in notebooks/: its parameters cell keeps the contract of docs/notebooks.md, and it
executes with papermill on the small synthetic extract (in the one shared suite run of conftest.py)."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from yot.params import load_suite, plan

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MINE = ("data_quality.ipynb", "reoffending_cohort.ipynb", "targets.ipynb")

pytestmark = pytest.mark.slow


def _parameters_cell(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code"
    assert "parameters" in code[0].metadata.get("tags", []), f"{path.name}: first code cell must be tagged 'parameters'"
    return code[0]


def _defaults(path: Path) -> dict[str, object]:
    tree = ast.parse(_parameters_cell(path).source)
    return {t.id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_parameters_cell_declares_every_parameter_the_runner_passes(path, tmp_path):
    defaults = _defaults(path)
    (tmp_path / path.name).write_text("{}")
    runs = plan(load_suite(ROOT / "parameters" / "barnet_2005_2008.yaml"), data_dir="x", notebooks_dir=tmp_path)
    assert runs, f"{path.name} is not run by the suite: add it to yot/params.py and docs/notebooks.md"
    missing = set(runs[0].parameters) - set(defaults)
    assert not missing, f"{path.name}: parameters cell lacks {sorted(missing)}"
    assert defaults["data_dir"] == "../data/synthetic"  # opens from JupyterLab in notebooks/


def _calls(path: Path, name: str) -> list[ast.Call]:
    """Every call of a function or method called ``name`` in the notebook's code cells."""
    notebook = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in notebook.cells if c.cell_type == "code" and not c.source.startswith("%"))
    return [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
            and getattr(n.func, "attr", getattr(n.func, "id", None)) == name]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_html_table_names_its_count_columns(path):
    # to_html refuses a small count in its count columns; guessed from names, a renamed rate column
    # ("treated_rate" shown as "treated") was taken for a count and failed a run at Barnet size.
    calls = _calls(path, "to_html")
    unnamed = [c.lineno for c in calls if "counts" not in {k.arg for k in c.keywords}]
    assert not unnamed, f"{path.name}: to_html without counts= at code lines {unnamed}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    notebook = json.loads(path.read_text())
    assert not [c for c in notebook["cells"] if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]


def test_the_whole_suite_runs_on_the_small_extract(suite_run):
    assert suite_run.returncode == 0, suite_run.stderr
    assert suite_run.manifest["succeeded"] is True
    assert (suite_run.out / "latest").resolve() == suite_run.run_dir.resolve()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_run_of_the_notebook_executed_and_was_published(suite_run, path):
    runs = [n for n in suite_run.manifest["notebooks"] if n["notebook"] == path.name]
    assert runs, f"{path.name} was not run by the suite"
    for run in runs:
        assert run["status"] == "ok", f"{run['name']}: {run['error']}"
        executed = nbformat.read(suite_run.run_dir / run["executed"], as_version=4)
        errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert not errors
        page = (suite_run.run_dir / run["html"]).read_text()
        assert "Traceback" not in page
        assert 'href="methods.html"' in page


def test_cohort_pages_publish_their_tables(suite_run):
    years = suite_run.manifest["parameters"]["reoffending"]["cohort_years"]
    tables = suite_run.published / "tables"
    for year in years:
        headline = tables / f"reoffending_{year}_headline.csv"
        assert headline.exists(), headline
        assert headline.read_text().splitlines()[0].endswith(",notes")
    assert (tables / "data_quality_rows.csv").exists()


def test_years_with_no_data_are_said_plainly_not_crashed_on(tmp_path, small_extract):
    """The same notebooks on cohort years the extract does not cover (before it starts)."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in MINE:
        if (ROOT / "notebooks" / name).exists():
            shutil.copy(ROOT / "notebooks" / name, notebooks / name)
    raw = yaml.safe_load((ROOT / "parameters" / "barnet_2005_2008.yaml").read_text())
    for section in ("first_time_entrants", "substance_misuse", "evaluation"):
        raw.pop(section)
    raw["reoffending"]["cohort_years"] = [1991, 1992]
    raw["reoffending"]["target"]["baseline_year"] = 1991
    params = tmp_path / "empty_years.yaml"
    params.write_text(yaml.safe_dump(raw))
    done = subprocess.run(
        [sys.executable, "-m", "yot", "run", "--params", str(params), "--data", str(small_extract), "--out",
         str(tmp_path / "out"), "--notebooks", str(notebooks), "--no-progress"],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=900,
    )
    assert done.returncode == 0, done.stderr
    published = tmp_path / "out" / "latest" / "published"
    if (notebooks / "reoffending_cohort.ipynb").exists():
        assert "No data." in (published / "reoffending_cohort_1991.html").read_text()
    if (notebooks / "data_quality.ipynb").exists():
        assert "no data: no young person" in (published / "data_quality.html").read_text()
    if (notebooks / "targets.ipynb").exists():
        assert "No data" in (published / "targets.html").read_text()
