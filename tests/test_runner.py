"""The suite runner on small purpose-made notebooks (written by the tests, one for every notebook the
plan of a tiny suite file names, following the page protocol: a ``parameters`` cell, output cells, an
``analyst`` cell and a ``remove_cell`` cell that saves a page into the run-private ``output_dir``):
kernels, pages without code, failures kept apart, manifest, latest, data precedence, as-at runs,
cancel, fail closed. The real notebooks are tested in test_notebooks.py."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from yot.pages.registry import Run, plan
from yot.params import load_suite
from yot.runner import RunError, point_latest, run_suite

ROOT = Path(__file__).resolve().parents[1]
MARKER_IN_CODE = "CODE_ONLY_MARKER_7f3a"
ANALYST_MARKER = "EXACT_FIGURE_FOR_THE_ANALYST_4417"

PARAMETERS_CELL = 'data_dir = None\noutput_dir = None\nname = None\ntitle = "t"\n'

OK_CELL = f"""import sys
{MARKER_IN_CODE} = 1
print("kernel python:", sys.executable)
print("Readable output of", name)
print("this goes to stderr", file=sys.stderr)
"""

CHART_CELL = """import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.bar(["a", "b"], [1, 2]); ax.set_title("A titled chart"); plt.show()
"""

SAVE_CELL = """from yot.pages.model import Page, Section, Text
page = Page(name=name, kind="test", title=name, subtitle="", as_at=None, yot="Barnet", synthetic=False,
            provisional={provisional}, sections=(Section("Words", (Text("Words of " + name),)),))
page.save(output_dir);
"""


def _notebook(path: Path, *cells: str, provisional: bool = False, analyst: str | None = None,
              markdown: str = "## Words for the analyst only") -> Path:
    """A purpose-made page notebook: parameters, a markdown cell, ``cells``, an analyst cell, the save."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS_CELL)
    params.metadata["tags"] = ["parameters"]
    exact = nbformat.v4.new_code_cell(analyst or f"print('{ANALYST_MARKER}')")
    exact.metadata["tags"] = ["analyst"]
    save = nbformat.v4.new_code_cell(SAVE_CELL.format(provisional=provisional))
    save.metadata["tags"] = ["remove_cell"]
    nb.cells = [params, nbformat.v4.new_markdown_cell(markdown), *(nbformat.v4.new_code_cell(c) for c in cells),
                exact, save]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _tiny_suite(raw_changes: dict | None = None) -> dict:
    raw = yaml.safe_load((ROOT / "parameters" / "barnet_2005_2008.yaml").read_text())
    for section in ("first_time_entrants", "substance_misuse", "evaluation", "data"):
        raw.pop(section, None)
    raw["reoffending"]["cohort_years"] = [2004]
    raw["reoffending"]["target"]["baseline_year"] = 2004
    raw.update(raw_changes or {})
    return raw


def _runs(params_file: Path) -> list[Run]:
    return plan(load_suite(params_file))


def _cohort_run(runs: list[Run]) -> Run:
    return next(r for r in runs if r.kind == "cohort")


def _write_notebooks(folder: Path, runs: list[Run], special: dict[str, tuple[str, ...]] | None = None,
                     provisional: frozenset[str] = frozenset()) -> Path:
    """One purpose-made notebook for every notebook the plan names (``special``: its own cells)."""
    for notebook in dict.fromkeys(r.notebook for r in runs):
        cells = (special or {}).get(notebook, (OK_CELL,))
        _notebook(folder / notebook, *cells, provisional=notebook in provisional)
    return folder


def _yot(*args: str, timeout: int = 600, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yot", *args], capture_output=True, text=True, cwd=cwd,
                          check=False, timeout=timeout)


@pytest.fixture(scope="module")
def tiny_extract(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny_extract")
    (folder / "people.csv").write_text(
        "person_id,date_of_birth,sex,ethnicity,yot\n"
        "P01,1989-03-04,M,White,Barnet\nP02,1990-07-08,F,Black,Barnet\n"
    )
    (folder / "offences.csv").write_text(
        "offence_id,person_id,offence_date,outcome_date,offence_type,gravity,outcome,release_date\n"
        "O1,P01,2004-01-10,2004-02-01,theft,3,reprimand,\n"
        "O2,P02,2004-03-01,2004-04-01,theft,3,fine,\n"
        "O3,P01,2004-05-01,2004-06-01,violence,4,referral_order,\n"
    )
    return folder


@pytest.fixture(scope="module")
def params_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("params") / "tiny.yaml"
    path.write_text(yaml.safe_dump(_tiny_suite()))
    return path


@pytest.fixture(scope="module")
def runs(params_file) -> list[Run]:
    return _runs(params_file)


@pytest.fixture(scope="module")
def good_notebooks(tmp_path_factory, runs) -> Path:
    folder = tmp_path_factory.mktemp("good_notebooks")
    cohort = _cohort_run(runs).notebook
    first = runs[0].notebook
    return _write_notebooks(folder, runs, {first: (OK_CELL, CHART_CELL)}, provisional=frozenset({cohort}))


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, tiny_extract, params_file, good_notebooks):
    out = tmp_path_factory.mktemp("out")
    result = run_suite(params_file, data_dir=tiny_extract, out=out, jobs=2, notebooks_dir=good_notebooks,
                       progress=False)
    return out, result


# ------------------------------------------------------------------------------- a good run
def test_every_notebook_runs_and_is_rendered(good_run, runs):
    out, result = good_run
    assert result.ok, result.failures
    assert [o.run.name for o in result.outcomes] == [r.name for r in runs]  # plan order, whatever ran first
    for outcome in result.outcomes:
        assert outcome.html == result.published / f"{outcome.run.name}.html" and outcome.html.exists()
        assert (result.analyst / f"{outcome.run.name}.ipynb").exists()
        assert (result.run_dir / "private" / outcome.run.name / f"{outcome.run.name}.page.json").exists()
    assert not (result.analyst / "failed").exists() and not (result.analyst / ".running").exists()
    assert (result.published / "index.html").exists() and (result.published / "methods.html").exists()
    assert not (result.run_dir / "RUNNING").exists() and not (result.run_dir / ".staging").exists()


def test_notebooks_run_in_this_very_python(good_run):
    _, result = good_run
    executed = (result.analyst / f"{result.outcomes[0].run.name}.ipynb").read_text()
    assert f"kernel python: {sys.executable}" in executed


def test_pages_show_results_but_no_code_parameters_stderr_or_analyst_cells(good_run, tiny_extract):
    _, result = good_run
    name = result.outcomes[0].run.name
    page = (result.published / f"{name}.html").read_text()
    assert f"Readable output of {name}" in page  # an output
    assert "data:image/png;base64," in page  # the chart, embedded
    assert MARKER_IN_CODE not in page  # no code
    assert "Words for the analyst only" not in page  # markdown cells are the analyst's
    assert "output_dir" not in page and str(tiny_extract) not in page  # no parameters cells
    assert "this goes to stderr" not in page
    assert ANALYST_MARKER not in page  # the analyst's exact figures are left out ...
    assert ANALYST_MARKER in (result.analyst / f"{name}.ipynb").read_text()  # ... and kept in their copy
    assert not re.search(r"""(src|href)=["']?(https?:)?//|@import|url\(["']?https?:""", page)  # nothing fetched
    assert 'href="index.html"' in page and 'href="methods.html"' in page


def test_index_links_every_page_marks_provisional_ones_and_links_the_methods_page(good_run, runs):
    _, result = good_run
    index = result.index.read_text()
    for run in runs:
        assert f'<a href="{run.name}.html">{run.title}</a>' in index
    cohort = _cohort_run(runs)
    assert f'<a href="{cohort.name}.html">{cohort.title}</a> [p]' in index  # the page said provisional
    others = [r for r in runs if r.notebook != cohort.notebook]
    assert all(f'<a href="{r.name}.html">{r.title}</a> [p]' not in index for r in others)
    assert 'href="methods.html"' in index
    methods = (result.published / "methods.html").read_text()
    assert "What counts as a reoffence" in methods and "Figures as at 1 June 2004" in methods


def test_manifest_records_inputs_parameters_versions_and_times(good_run, tiny_extract, params_file, runs,
                                                              good_notebooks):
    out, result = good_run
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest == json.loads(json.dumps(result.manifest, default=str))
    hashes = {Path(p).name: h for p, h in manifest["inputs"].items()}
    assert hashes == {
        name: hashlib.sha256((tiny_extract / name).read_bytes()).hexdigest()
        for name in ("people.csv", "offences.csv")
    }
    assert manifest["parameters"]["reoffending"]["cohort_years"] == [2004]
    assert manifest["parameters"]["disclosure"]["threshold"] == 5
    assert manifest["suite"] == str(params_file)
    assert manifest["data_dir"] == str(tiny_extract.resolve())
    for package in ("polars", "pandas", "papermill", "nbconvert", "statsmodels", "yot"):
        assert manifest["versions"][package], package
    assert manifest["git"] is None or len(manifest["git"]["commit"]) == 40
    assert manifest["started"] <= manifest["ended"]
    assert [n["name"] for n in manifest["notebooks"]] == [r.name for r in runs]
    assert all(n["status"] == "ok" and n["seconds"] > 0 for n in manifest["notebooks"])
    cohort = next(n for n in manifest["notebooks"] if n["name"] == _cohort_run(runs).name)
    assert cohort["parameters"]["cohort_year"] == 2004 and cohort["html"] == f"published/{cohort['name']}.html"
    assert manifest["notebook_sources"] == {
        r.notebook: hashlib.sha256((good_notebooks / r.notebook).read_bytes()).hexdigest() for r in runs}
    assert manifest["succeeded"] is True and manifest["failures"] == []
    assert manifest["extract_date"] == "2004-06-01"  # the latest outcome_date


def test_latest_points_at_the_successful_run(good_run):
    out, result = good_run
    assert (out / "latest").is_symlink()
    assert (out / "latest").resolve() == result.run_dir.resolve()


# ------------------------------------------------------------------------------- failures
def test_a_failing_notebook_is_named_kept_apart_and_does_not_move_latest(
    tmp_path, good_run, tiny_extract, params_file, runs
):
    out, good = good_run
    cohort = _cohort_run(runs)
    broken = _write_notebooks(tmp_path / "broken_notebooks", runs, {cohort.notebook: (
        "print('partial output before the error')", "raise ValueError('the cohort could not be counted')",
        "print('never reached')")})
    done = _yot("run", "--params", str(params_file), "--data", str(tiny_extract), "--out", str(out), "--jobs", "2",
                "--notebooks", str(broken), "--no-progress")
    assert done.returncode == 3, done.stderr
    assert f"{cohort.name} ({cohort.notebook}): ValueError: the cohort could not be counted" in done.stderr
    assert "Traceback" not in done.stderr
    run_dir = max((out / "runs").iterdir(), key=lambda p: p.name)
    assert run_dir != good.run_dir
    unpublished, analyst = run_dir / "unpublished", run_dir / "analyst"
    assert not (run_dir / "published").exists()  # nothing that failed looks finished
    assert (run_dir / "FAILED").exists() and not (run_dir / "RUNNING").exists()
    # the partial output is kept apart, with its error, and never rendered as if finished
    failed_nb = analyst / "failed" / f"{cohort.name}.ipynb"
    assert failed_nb.exists() and not (analyst / f"{cohort.name}.ipynb").exists()
    assert "partial output before the error" in failed_nb.read_text()
    assert not (unpublished / f"{cohort.name}.html").exists()
    # the others still ran (those that read the failed page fail too, named)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    statuses = {n["name"]: n["status"] for n in manifest["notebooks"]}
    expected = {r.name: "failed" if r.name == cohort.name or cohort.name in r.after else "ok" for r in runs}
    assert statuses == expected
    for name in (n for n, s in expected.items() if s == "ok"):
        assert f"Readable output of {name}" in (unpublished / f"{name}.html").read_text()
    assert manifest["succeeded"] is False
    index = (unpublished / "index.html").read_text()
    assert "This pack is incomplete" in index and "failed, not published" in index
    # latest still points at the last good pack
    assert (out / "latest").resolve() == good.run_dir.resolve()


def test_a_notebook_that_does_not_save_its_page_fails_named(tmp_path, tiny_extract, params_file, runs):
    notebooks = _write_notebooks(tmp_path / "nb", runs)
    first = runs[0]
    nb = nbformat.read(notebooks / first.notebook, as_version=4)
    nb.cells = [c for c in nb.cells if "page.save" not in c.source]
    nbformat.write(nb, notebooks / first.notebook)
    result = run_suite(params_file, data_dir=tiny_extract, out=tmp_path / "out", jobs=2, notebooks_dir=notebooks,
                       progress=False)
    assert not result.ok
    assert f"{first.name} ({first.notebook}): the notebook did not save its page (page.save)" in result.failures
    assert not (tmp_path / "out" / "latest").exists()


def test_an_extract_that_cannot_be_loaded_exits_2_before_any_notebook(tmp_path, params_file, good_notebooks):
    done = _yot("run", "--params", str(params_file), "--data", str(tmp_path / "missing"),
                "--out", str(tmp_path / "out"), "--notebooks", str(good_notebooks), "--no-progress", timeout=300)
    assert done.returncode == 2, done.stderr
    assert str(tmp_path / "missing") in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "runs").exists()


def test_latest_is_replaced_atomically(tmp_path):
    first, second = tmp_path / "runs" / "a", tmp_path / "runs" / "b"
    first.mkdir(parents=True)
    second.mkdir()
    point_latest(tmp_path, first)
    assert (tmp_path / "latest").resolve() == first.resolve()
    point_latest(tmp_path, second)
    assert (tmp_path / "latest").resolve() == second.resolve()
    assert os.readlink(tmp_path / "latest") == os.path.join("runs", "b")  # relative: the folder can move
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "runs"]  # no temporary link left


def test_a_latest_that_is_not_our_link_is_refused_before_any_work(tmp_path, tiny_extract, params_file, good_notebooks):
    (tmp_path / "out" / "latest").mkdir(parents=True)
    done = _yot("run", "--params", str(params_file), "--data", str(tiny_extract), "--out", str(tmp_path / "out"),
                "--notebooks", str(good_notebooks), "--no-progress", timeout=300)
    assert done.returncode == 1 and "is not a link made by yot run" in done.stderr
    assert not (tmp_path / "out" / "runs").exists()


# ------------------------------------------------------------------------------- kernels
def _pid_cells(tag: str, leak: bool = False) -> tuple[str, ...]:
    check = "" if leak else "assert 'LEFT_OVER' not in globals(), 'state leaked from the previous notebook'\n"
    return (f"import os, pathlib\n{check}LEFT_OVER = 'from {tag}'\n"
            f"pathlib.Path(output_dir).mkdir(parents=True, exist_ok=True)\n"
            f"pathlib.Path(output_dir, 'pid.txt').write_text(str(os.getpid()))",)


def _pids(result) -> set[str]:
    return {(result.run_dir / "private" / o.run.name / "pid.txt").read_text() for o in result.outcomes}


def test_a_reused_kernel_starts_each_notebook_from_an_empty_namespace(tmp_path, tiny_extract, params_file, runs):
    notebooks = _write_notebooks(tmp_path / "nb", runs, {n: _pid_cells(n) for n in {r.notebook for r in runs}})
    result = run_suite(params_file, data_dir=tiny_extract, out=tmp_path / "out", jobs=1, notebooks_dir=notebooks,
                       progress=False)
    assert result.ok, result.failures
    assert len(result.outcomes) >= 2 and len(_pids(result)) == 1  # one kernel, reused, emptied between notebooks
    assert "yot-reset" not in (result.published / f"{result.outcomes[-1].run.name}.html").read_text()


def test_fresh_kernels_can_be_asked_for(tmp_path, tiny_extract, params_file, runs):
    notebooks = _write_notebooks(tmp_path / "nb", runs, {n: _pid_cells(n) for n in {r.notebook for r in runs}})
    result = run_suite(params_file, data_dir=tiny_extract, out=tmp_path / "out", jobs=2, notebooks_dir=notebooks,
                       progress=False, reuse_kernels=False)
    assert result.ok, result.failures
    assert len(_pids(result)) == len(result.outcomes)


def test_runs_that_took_longest_last_time_start_first(tmp_path):
    from yot.runner import longest_first

    runs = [Run("k", "a.ipynb", name, name, "g", {}) for name in ("quick", "slow", "new", "middle")]
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"notebooks": [{"name": "quick", "seconds": 1.0}, {"name": "slow", "seconds": 9.0},
                                                  {"name": "middle", "seconds": 4.0}]}))
    assert [r.name for r in longest_first(runs, manifest)] == ["new", "slow", "middle", "quick"]
    assert longest_first(runs, tmp_path / "missing.json") == runs


def test_with_no_earlier_timings_the_evaluations_start_first(tmp_path):
    from yot.runner import longest_first

    runs = [Run(kind, "a.ipynb", name, name, "g", {}) for kind, name in
            (("cohort", "c1"), ("evaluation", "e1"), ("targets", "t"), ("evaluation", "e2"))]
    assert [r.name for r in longest_first(runs, None)] == ["e1", "e2", "c1", "t"]
    manifest = tmp_path / "manifest.json"  # timings known: they decide, whatever the kind
    manifest.write_text(json.dumps({"notebooks": [{"name": n, "seconds": s} for n, s in
                                                  (("c1", 9.0), ("e1", 1.0), ("t", 2.0), ("e2", 3.0))]}))
    assert [r.name for r in longest_first(runs, manifest)] == ["c1", "e2", "t", "e1"]


# ------------------------------------------------------------------------------- fail closed
def test_an_empty_or_missing_notebooks_folder_is_an_error_before_any_work(tmp_path, tiny_extract, params_file):
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "missing"):
        with pytest.raises(RunError, match="no notebooks there"):
            run_suite(params_file, data_dir=tiny_extract, out=tmp_path / "out", notebooks_dir=folder, progress=False)
    done = _yot("run", "--params", str(params_file), "--data", str(tiny_extract), "--out", str(tmp_path / "out"),
                "--notebooks", str(tmp_path / "empty"), "--no-progress", timeout=300)
    assert done.returncode == 1 and "no notebooks there" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "runs").exists()


def test_a_notebook_the_plan_needs_but_missing_is_an_error(tmp_path, tiny_extract, params_file, runs):
    notebooks = _write_notebooks(tmp_path / "nb", runs)
    (notebooks / runs[-1].notebook).unlink()
    with pytest.raises(RunError, match=f"notebooks missing: {runs[-1].notebook}"):
        run_suite(params_file, data_dir=tiny_extract, out=tmp_path / "out", notebooks_dir=notebooks, progress=False)


def test_a_disclosure_check_that_cannot_be_imported_fails_the_run(tmp_path, tiny_extract, params_file,
                                                                  good_notebooks):
    """The check is imported directly: no fallback that says "no problems"."""
    script = (
        "import builtins, sys\n"
        "real = builtins.__import__\n"
        "def broken(name, *a, **k):\n"
        "    if name == 'yot.disclosure' or name.startswith('yot.disclosure.'):\n"
        "        raise ImportError('disclosure check unavailable')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = broken\n"
        "from yot.cli import main\n"
        f"sys.exit(main(['run', '--params', {str(params_file)!r}, '--data', {str(tiny_extract)!r}, '--out', "
        f"{str(tmp_path / 'out')!r}, '--notebooks', {str(good_notebooks)!r}, '--no-progress']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode != 0
    assert "disclosure check unavailable" in done.stderr
    assert not (tmp_path / "out" / "latest").exists()


# ------------------------------------------------------------------------------- which extract
def _suite_with_data(tmp_path: Path, data: str | None) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(_tiny_suite({"data": data} if data is not None else None)))
    return path


def test_data_precedence_command_line_then_suite_file_then_embedded_synthetic(tmp_path, monkeypatch):
    from yot.runner import REPO_ROOT, choose_data, embedded_synthetic

    monkeypatch.chdir(tmp_path)  # a relative data: is from the project folder, wherever the command runs
    named = load_suite(_suite_with_data(tmp_path, "extracts/barnet_2007"))
    by_file = choose_data(named, None)
    assert (by_file.path, by_file.source) == (REPO_ROOT / "extracts" / "barnet_2007", "suite file")
    assert "the suite file's data: extracts/barnet_2007" in by_file.line
    absolute = choose_data(load_suite(_suite_with_data(tmp_path, str(tmp_path / "x"))), None)
    assert absolute.path == tmp_path / "x"
    given = choose_data(named, "mine")
    assert (given.path, given.source) == (tmp_path / "mine", "command line")  # --data: from the current folder
    assert "overrides the suite file's data: extracts/barnet_2007" in given.reason
    neither = choose_data(load_suite(_suite_with_data(tmp_path, None)), None)
    assert (neither.path, neither.source) == (embedded_synthetic(), "embedded synthetic")
    assert embedded_synthetic() == REPO_ROOT / "data" / "synthetic"


def test_which_data_prints_the_folder_and_why(tmp_path, tiny_extract):
    suite = _suite_with_data(tmp_path, str(tiny_extract))
    done = _yot("run", "--params", str(suite), "--which-data")
    assert done.returncode == 0 and done.stdout.strip() == str(tiny_extract)
    assert f"yot run: data: {tiny_extract} (the suite file's data: {tiny_extract}; no --data or DATA= given)" in done.stderr
    over = _yot("run", "--params", str(suite), "--data", str(tmp_path), "--which-data")
    assert over.stdout.strip() == str(tmp_path) and "overrides the suite file's data:" in over.stderr
    (tmp_path / "b").mkdir()
    none = _yot("run", "--params", str(_suite_with_data(tmp_path / "b", None)), "--which-data")
    assert none.stdout.strip() == str(ROOT / "data" / "synthetic") and "embedded synthetic extract" in none.stderr


def test_the_embedded_synthetic_extract_is_written_only_when_it_is_the_one_used(tmp_path, monkeypatch):
    import yot.runner as runner

    monkeypatch.setattr(runner, "project_root", lambda: tmp_path)
    other = tmp_path / "other"
    assert runner.ensure_embedded_synthetic(other) is False and not other.exists()
    assert runner.ensure_embedded_synthetic(tmp_path / "data" / "synthetic") is True
    assert (tmp_path / "data" / "synthetic" / "SYNTHETIC").is_file()
    assert (tmp_path / "data" / "synthetic" / "people.parquet").is_file()
    assert runner.ensure_embedded_synthetic(tmp_path / "data" / "synthetic") is False  # there already


def test_make_run_uses_the_suite_files_data_and_says_so(tmp_path, tiny_extract, good_notebooks):
    """`make run PARAMS=<a suite file naming another extract>`: that extract, not data/synthetic, and
    the synthetic extract is not made. (-o: never reinstall the environment from inside a test.)"""
    suite = _suite_with_data(tmp_path, str(tiny_extract))
    synth_mark = ROOT / "data" / "synthetic" / ".complete"
    before = synth_mark.stat().st_mtime_ns if synth_mark.exists() else None
    done = subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed-stamp", "run",
                           f"PARAMS={suite}", f"OUT={tmp_path / 'out'}", "JOBS=2", f"NOTEBOOKS={good_notebooks}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    manifest = json.loads(next((tmp_path / "out" / "runs").glob("*/manifest.json")).read_text())
    assert done.returncode == 0, done.stderr[-3000:]
    assert manifest["data_dir"] == str(tiny_extract) and manifest["data_source"] == "suite file"
    assert f"yot run: data: {tiny_extract} (the suite file's data:" in done.stderr
    assert "yot synth" not in done.stdout + done.stderr
    assert (synth_mark.stat().st_mtime_ns if synth_mark.exists() else None) == before


# ------------------------------------------------------------------------------- as at runs
def test_an_extract_date_after_the_data_is_allowed_and_said(tmp_path, tiny_extract, good_notebooks):
    suite = tmp_path / "later.yaml"
    suite.write_text(yaml.safe_dump(_tiny_suite({"extract_date": "2010-01-01"})))
    said: list[str] = []
    result = run_suite(suite, data_dir=tiny_extract, out=tmp_path / "out", notebooks_dir=good_notebooks,
                       progress=False, report=said.append)
    assert result.ok, result.failures
    note = ("extract date 2010-01-01 is after the latest date in the data (2004-06-01): allowed; nothing is left "
            "out and the figures are as at the extract date")
    assert result.notes == [note] and result.manifest["notes"] == [note] and f"note: {note}" in said
    assert result.manifest["extract_date"] == "2010-01-01"
    assert said[0] == f"data: {tiny_extract} (given on the command line (--data, or make run DATA=...))"
    assert all(r["parameters"]["extract_date"] == "2010-01-01" for r in result.manifest["notebooks"])


def test_a_page_reads_the_extract_as_at_its_extract_date(tiny_extract):
    """What every notebook does first (PageParams.extract): the extract cut back with yot.extract.as_at."""
    import datetime as dt

    from yot.pages.base import PageParams

    whole = PageParams(data_dir=str(tiny_extract)).extract()
    earlier = PageParams(data_dir=str(tiny_extract), extract_date="2004-03-15").extract()
    assert whole.offences.height == 3
    assert earlier.offences.get_column("offence_id").to_list() == ["O1"]  # O2, O3 proven after 15 Mar 2004
    assert earlier.as_at_date == dt.date(2004, 3, 15)


# ------------------------------------------------------------------------------- cancel
@pytest.mark.parametrize(("signum", "whole_group"), [(signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["Ctrl-C: SIGINT to the whole process group", "SIGTERM"])
def test_a_signal_stops_the_run_at_once_and_leaves_latest_alone(tmp_path, tiny_extract, params_file, runs, signum,
                                                                whole_group):
    notebooks = _write_notebooks(tmp_path / "nb", runs, {r.notebook: ("import time\ntime.sleep(120)",) for r in runs})
    out = tmp_path / "out"
    previous = out / "runs" / "20000101T000000Z"
    previous.mkdir(parents=True)
    point_latest(out, previous)
    process = subprocess.Popen(
        [sys.executable, "-m", "yot", "run", "--params", str(params_file), "--data", str(tiny_extract), "--out",
         str(out), "--notebooks", str(notebooks), "--jobs", "1", "--no-progress"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("runs/*/analyst/.running/*.ipynb")):  # a notebook is running
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1]
            time.sleep(0.2)
        time.sleep(0.5)  # inside the sleeping cell
        sent = time.monotonic()
        if whole_group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, stderr
    assert took < 15, f"took {took:.1f}s to stop"
    assert stderr.strip().splitlines()[-1] == "yot run: interrupted: latest unchanged"
    assert stderr.count("interrupted: latest unchanged") == 1 and "Traceback" not in stderr
    run_dir = next(p for p in (out / "runs").iterdir() if p != previous)
    assert (run_dir / "INTERRUPTED").is_file() and not (run_dir / "RUNNING").exists()
    assert not (run_dir / "published").exists() and not (run_dir / ".staging").exists()
    assert not (run_dir / "manifest.json").exists()
    assert (out / "latest").resolve() == previous.resolve()


def test_the_default_suite_file_is_the_projects_wherever_the_command_runs(tmp_path):
    done = _yot("run", "--which-data", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"yot run: data: {ROOT / 'data' / 'synthetic'} (" in done.stderr
    assert done.stdout.strip() == str(ROOT / "data" / "synthetic")


def test_a_signal_while_the_pack_is_checked_still_publishes_nothing(tmp_path, tiny_extract, params_file,
                                                                   good_notebooks, monkeypatch):
    import yot.runner as runner

    real_check = runner.check_published

    def check_then_ctrl_c(*args, **kwargs):
        problems = real_check(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # caught by the runner's handler: the run stops before publishing
        return problems

    monkeypatch.setattr(runner, "check_published", check_then_ctrl_c)
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(runner.RunInterrupted) as stopped:
        run_suite(params_file, data_dir=tiny_extract, out=tmp_path / "out", notebooks_dir=good_notebooks,
                  progress=False)
    run_dir = Path(str(stopped.value))
    assert (run_dir / "INTERRUPTED").is_file() and not (run_dir / "RUNNING").exists()
    assert not (run_dir / "published").exists() and not (run_dir / ".staging").exists()
    assert not (tmp_path / "out" / "latest").exists()
    assert signal.getsignal(signal.SIGINT) is before  # the handlers are given back


def test_the_small_extract_fixture_fails_rather_than_skips_when_yot_synth_fails(tmp_path):
    """A broken generator must turn CI red: every end-to-end and privacy test errors, none is skipped."""
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tmp_path / "test_uses_it.py").write_text(
        "import subprocess\nimport conftest\n"
        "conftest._yot = lambda *a, **k: subprocess.CompletedProcess(a, 2, '', 'yot synth: the generator broke')\n"
        "def test_needs_the_extract(small_extract):\n    assert small_extract\n")
    done = subprocess.run([sys.executable, "-m", "pytest", str(tmp_path), "-q", "-p", "no:cacheprovider",
                           "-p", "no:xdist", "--basetemp", str(tmp_path / "base")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 1, done.stdout[-3000:]
    assert "1 error" in done.stdout and "skipped" not in done.stdout
    assert "yot synth could not make the small extract" in done.stdout and "the generator broke" in done.stdout


def test_library_code_raises_exceptions_and_only_the_command_line_exits():
    """Exit codes are the command line's business (yot/cli, yot/__main__.py): the library raises."""
    import ast

    offenders = []
    for path in sorted((ROOT / "yot").rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[1] == "cli" or relative.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if name in ("SystemExit", "exit", "_exit") and not (isinstance(node, ast.Attribute)
                                                                 and getattr(node.value, "id", "") not in ("sys", "os")):
                offenders.append(f"{relative}:{node.lineno}: {name}")
    assert not offenders, offenders
