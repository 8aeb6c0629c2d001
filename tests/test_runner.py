"""The suite runner on tiny hand-made notebooks: kernel, pages without code, failures, manifest, latest."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from yot.runner import point_latest, run_suite

ROOT = Path(__file__).resolve().parents[1]
MARKER_IN_CODE = "CODE_ONLY_MARKER_7f3a"

PARAMETERS_CELL = """data_dir = "../data/synthetic"
extract_date = None
yot_name = "Barnet"
title = "t"
disclosure_threshold = 5
tables_dir = "../outputs/scratch/tables"
methods_url = "../docs/methods.md"
period = "calendar"
cohort_years = [2004]
cohort_year = 2004
follow_up_months = 12
waiting_months = 6
baseline_year = 2004
baseline_value = 0.3
change_per_year = -0.05
target_mode = "relative"
targets_by_tier = True
"""

OK_CELL = f"""import sys, pathlib
{MARKER_IN_CODE} = 1
pathlib.Path(tables_dir, f"kernel_{{cohort_years[0]}}.txt").write_text(sys.executable)
print("Cohort years:", cohort_years)
print("this goes to stderr", file=sys.stderr)
"""

CHART_CELL = """import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.bar(["a", "b"], [1, 2]); ax.set_title("A titled chart"); plt.show()
"""


def _notebook(path: Path, *cells: str, markdown: str = "## Words for readers") -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS_CELL)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_markdown_cell(markdown), *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


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
    raw = yaml.safe_load((ROOT / "parameters" / "barnet_2005_2008.yaml").read_text())
    for section in ("first_time_entrants", "substance_misuse", "evaluation", "data"):
        raw.pop(section)
    raw["reoffending"]["cohort_years"] = [2004]
    raw["reoffending"]["target"]["baseline_year"] = 2004
    path = tmp_path_factory.mktemp("params") / "tiny.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture(scope="module")
def good_notebooks(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("good_notebooks")
    _notebook(folder / "data_quality.ipynb", OK_CELL, CHART_CELL)
    _notebook(folder / "reoffending_cohort.ipynb", "print('cohort', cohort_year)")
    _notebook(folder / "targets.ipynb", "print('targets from', baseline_year)")
    return folder


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, tiny_extract, params_file, good_notebooks):
    out = tmp_path_factory.mktemp("out")
    result = run_suite(params_file, data_dir=tiny_extract, out=out, jobs=2, notebooks_dir=good_notebooks,
                       progress=False)
    return out, result


def test_every_notebook_runs_and_is_rendered(good_run):
    out, result = good_run
    assert result.ok, result.failures
    names = [o.run.name for o in result.outcomes]
    assert names == ["data_quality", "reoffending_cohort_2004", "targets"]
    for outcome in result.outcomes:
        assert outcome.html == result.published / f"{outcome.run.name}.html" and outcome.html.exists()
        assert (result.analyst / f"{outcome.run.name}.ipynb").exists()
    assert not (result.analyst / "failed").exists() and not (result.analyst / ".running").exists()
    assert (result.published / "index.html").exists() and (result.published / "methods.html").exists()


def test_notebooks_run_in_this_very_python(good_run):
    _, result = good_run
    assert (result.published / "tables" / "kernel_2004.txt").read_text() == sys.executable


def test_pages_show_results_but_no_code_parameters_or_stderr(good_run, tiny_extract):
    _, result = good_run
    page = (result.published / "data_quality.html").read_text()
    assert "Cohort years: [2004]" in page  # an output
    assert "Words for readers" in page  # a markdown cell
    assert "data:image/png;base64," in page  # the chart, embedded
    assert MARKER_IN_CODE not in page  # no code
    assert "disclosure_threshold" not in page and str(tiny_extract) not in page  # no parameters cells
    assert "this goes to stderr" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//|@import|url\(["']?https?:""", page)  # nothing fetched
    assert 'href="index.html"' in page and 'href="methods.html"' in page


def test_index_links_every_report_and_the_methods_page(good_run):
    _, result = good_run
    index = result.index.read_text()
    for outcome in result.outcomes:
        assert f'href="{outcome.run.name}.html"' in index
    assert 'href="methods.html"' in index and 'id="targets"' in index
    # the 2004 cohort is not complete in an extract dated 1 June 2004: provisional, marked [p]
    assert '<a href="reoffending_cohort_2004.html">Proven reoffending: 2004 cohort</a> [p]' in index
    assert '<a href="data_quality.html">Data quality of the extract</a> [p]' not in index
    assert "<title>Proven reoffending: 2004 cohort [p]</title>" in (result.published / "reoffending_cohort_2004.html").read_text()
    methods = (result.published / "methods.html").read_text()
    assert "Counting rules and methods" in methods and "<h2>Reoffences</h2>" in methods
    if (ROOT / "docs" / "aqa").is_dir():
        assert "Assumptions and caveats" in methods


def test_manifest_records_inputs_parameters_versions_and_times(good_run, tiny_extract, params_file):
    out, result = good_run
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest == result.manifest
    hashes = {Path(p).name: h for p, h in manifest["inputs"].items()}
    assert hashes == {
        name: hashlib.sha256((tiny_extract / name).read_bytes()).hexdigest()
        for name in ("people.csv", "offences.csv")
    }
    assert manifest["parameters"]["reoffending"]["cohort_years"] == [2004]
    assert manifest["parameters"]["disclosure"]["threshold"] == 5
    assert manifest["suite"] == str(params_file)
    for package in ("polars", "pandas", "papermill", "nbconvert", "statsmodels", "yot"):
        assert manifest["versions"][package], package
    assert manifest["git"] is None or len(manifest["git"]["commit"]) == 40
    assert manifest["started"] <= manifest["ended"]
    assert [n["name"] for n in manifest["notebooks"]] == ["data_quality", "reoffending_cohort_2004", "targets"]
    assert all(n["status"] == "ok" and n["seconds"] > 0 for n in manifest["notebooks"])
    assert manifest["notebooks"][1]["parameters"]["cohort_year"] == 2004
    assert manifest["succeeded"] is True and manifest["failures"] == []
    assert manifest["extract_date"] == "2004-06-01"  # the latest outcome_date


def test_latest_points_at_the_successful_run(good_run):
    out, result = good_run
    assert (out / "latest").is_symlink()
    assert (out / "latest").resolve() == result.run_dir.resolve()


def test_a_failing_notebook_is_named_kept_apart_and_does_not_move_latest(
    tmp_path, good_run, tiny_extract, params_file, good_notebooks
):
    out, good = good_run
    broken = tmp_path / "broken_notebooks"
    _notebook(broken / "data_quality.ipynb", OK_CELL)
    _notebook(broken / "reoffending_cohort.ipynb", "print('partial output before the error')",
              "raise ValueError('the cohort could not be counted')", "print('never reached')")
    _notebook(broken / "targets.ipynb", "print('targets still ran')")
    done = subprocess.run(
        [sys.executable, "-m", "yot", "run", "--params", str(params_file), "--data", str(tiny_extract),
         "--out", str(out), "--jobs", "2", "--notebooks", str(broken), "--no-progress"],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=600,
    )
    assert done.returncode != 0
    assert "reoffending_cohort_2004 (reoffending_cohort.ipynb): ValueError: the cohort could not be counted" in done.stderr
    assert "Traceback" not in done.stderr
    run_dir = max((out / "runs").iterdir(), key=lambda p: p.name)
    assert run_dir != good.run_dir
    published, analyst = run_dir / "published", run_dir / "analyst"
    # the partial output is kept apart, with its error, and never rendered as if finished
    failed_nb = analyst / "failed" / "reoffending_cohort_2004.ipynb"
    assert failed_nb.exists() and not (analyst / "reoffending_cohort_2004.ipynb").exists()
    assert "partial output before the error" in failed_nb.read_text()
    assert not (published / "reoffending_cohort_2004.html").exists()
    # the others still ran
    assert "targets still ran" in (published / "targets.html").read_text()
    assert (published / "data_quality.html").exists()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    statuses = {n["name"]: n["status"] for n in manifest["notebooks"]}
    assert statuses == {"data_quality": "ok", "reoffending_cohort_2004": "failed", "targets": "ok"}
    assert manifest["succeeded"] is False
    index = (published / "index.html").read_text()
    assert "This pack is incomplete" in index and "failed, not published" in index
    # latest still points at the last good pack
    assert (out / "latest").resolve() == good.run_dir.resolve()


def test_an_extract_that_cannot_be_loaded_exits_2_before_any_notebook(tmp_path, params_file, good_notebooks):
    done = subprocess.run(
        [sys.executable, "-m", "yot", "run", "--params", str(params_file), "--data", str(tmp_path / "missing"),
         "--out", str(tmp_path / "out"), "--notebooks", str(good_notebooks), "--no-progress"],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=300,
    )
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


def test_a_reused_kernel_starts_each_notebook_from_an_empty_namespace(tmp_path, tiny_extract, params_file):
    notebooks = tmp_path / "notebooks"
    _notebook(notebooks / "data_quality.ipynb", "LEFT_OVER = 'from data quality'\nimport os\nPID = os.getpid()",
              "pathlib_free = open(f'{tables_dir}/pid_dq.txt', 'w').write(str(PID))")
    _notebook(notebooks / "reoffending_cohort.ipynb",
              "import os\nassert 'LEFT_OVER' not in globals(), 'state leaked from the previous notebook'",
              "open(f'{tables_dir}/pid_rc.txt', 'w').write(str(os.getpid()))")
    result = run_suite(params_file, data_dir=tiny_extract, out=tmp_path / "out", jobs=1, notebooks_dir=notebooks,
                       progress=False)
    assert result.ok, result.failures
    tables = result.published / "tables"
    assert (tables / "pid_dq.txt").read_text() == (tables / "pid_rc.txt").read_text()  # one kernel, reused
    assert "yot-reset" not in (result.published / "reoffending_cohort_2004.html").read_text()


def test_fresh_kernels_can_be_asked_for(tmp_path, tiny_extract, params_file):
    notebooks = tmp_path / "notebooks"
    _notebook(notebooks / "data_quality.ipynb", "import os\nopen(f'{tables_dir}/pid_dq.txt', 'w').write(str(os.getpid()))")
    _notebook(notebooks / "reoffending_cohort.ipynb", "import os\nopen(f'{tables_dir}/pid_rc.txt', 'w').write(str(os.getpid()))")
    result = run_suite(params_file, data_dir=tiny_extract, out=tmp_path / "out", jobs=1, notebooks_dir=notebooks,
                       progress=False, reuse_kernels=False)
    assert result.ok, result.failures
    tables = result.published / "tables"
    assert (tables / "pid_dq.txt").read_text() != (tables / "pid_rc.txt").read_text()


# ------------------------------------------------------------------------------- page helpers (yot.report)
def _result(**changes):
    from yot.targets import TargetResult

    base = dict(area="Proven reoffending", measure="Binary reoffending rate", period_label="2006", year=2006,
                unit="proportion", lower_is_better=True, baseline_label="2003 cohort", baseline_value=0.282,
                target_value=0.242, observed=0.25, ci_low=0.2, ci_high=0.3, denominator=200, met=False,
                p_value=0.3, significant=False, detectable_change=0.08, status="amber", provisional=False,
                rule="r")
    return TargetResult(**{**base, **changes})


def test_a_target_row_shows_colour_and_word_and_marks_provisional_figures():
    from yot.report import target_row

    row = target_row(_result(provisional=True))
    assert "Amber</span>" in row and "background:#f0b429" in row
    assert "25.0% [p]" in row and "2006 cohort [p]" in row and "Not met" in row


def test_target_figures_resting_on_small_counts_are_suppressed():
    from yot.report import is_disclosive, target_row

    assert not is_disclosive(_result())
    assert is_disclosive(_result(denominator=4, observed=0.5))  # 4 people
    assert is_disclosive(_result(denominator=100, observed=0.03))  # 3 reoffenders
    assert is_disclosive(_result(denominator=100, observed=0.98))  # 2 did not reoffend
    assert not is_disclosive(_result(denominator=100, observed=0.0))  # zero is shown
    row = target_row(_result(denominator=100, observed=0.03, ci_low=0.01, ci_high=0.08))
    assert "3.0%" not in row and "[c]" in row and "Amber" not in row
    hidden = target_row(_result(), baseline_hidden=True)
    assert "28.2%" not in hidden and "24.2%" not in hidden


def test_rates_in_plain_english():
    from yot.report import percent, rate_sentence

    assert percent(0.282) == "28.2%" and percent(None) == "[x]"
    sentence = rate_sentence("reoffended within 12 months", 141, 500, 0.24, 0.33)
    assert sentence == ("28 in every 100 young people reoffended within 12 months (95% interval 24% to 33%): "
                        "141 of 500.")
    assert "no rate" in rate_sentence("reoffended", 0, 0, None, None)


def test_a_latest_that_is_not_our_link_is_refused_before_any_work(tmp_path, tiny_extract, params_file, good_notebooks):
    (tmp_path / "out" / "latest").mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "yot", "run", "--params", str(params_file), "--data", str(tiny_extract),
         "--out", str(tmp_path / "out"), "--notebooks", str(good_notebooks), "--no-progress"],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=300,
    )
    assert done.returncode == 1 and "is not a link made by yot run" in done.stderr
    assert not (tmp_path / "out" / "runs").exists()


def test_runs_that_took_longest_last_time_start_first(tmp_path):
    from yot.params import NotebookRun
    from yot.runner import longest_first

    runs = [NotebookRun("a.ipynb", name, name, {}) for name in ("quick", "slow", "new", "middle")]
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"notebooks": [{"name": "quick", "seconds": 1.0}, {"name": "slow", "seconds": 9.0},
                                                  {"name": "middle", "seconds": 4.0}]}))
    assert [r.name for r in longest_first(runs, manifest)] == ["new", "slow", "middle", "quick"]
    assert longest_first(runs, tmp_path / "missing.json") == runs
