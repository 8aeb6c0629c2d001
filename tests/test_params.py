"""Suite parameter files: validation with located messages, period helpers, and the notebook plan."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from yot.params import (
    NotebookRun,
    ParameterError,
    cohort_complete_from,
    load_suite,
    plan,
    plan_with_notes,
)

ROOT = Path(__file__).resolve().parents[1]
BARNET = ROOT / "parameters" / "barnet_2005_2008.yaml"


def _write(tmp_path: Path, raw: dict | str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(raw if isinstance(raw, str) else yaml.safe_dump(raw, sort_keys=False))
    return path


def _barnet_raw() -> dict:
    return yaml.safe_load(BARNET.read_text())


def _problems(path: Path) -> list[str]:
    with pytest.raises(ParameterError) as caught:
        load_suite(path)
    return caught.value.problems


# ------------------------------------------------------------------------------- the Barnet file
def test_barnet_suite_file_holds_the_strategy_settings():
    suite = load_suite(BARNET)
    r = suite.reoffending
    assert suite.yot == "Barnet"
    assert (r.period, r.cohort_years, r.follow_up_months, r.waiting_months) == (
        "calendar", [2003, 2004, 2005, 2006, 2007, 2008], 12, 6)
    assert (r.target.baseline_year, r.target.baseline_value, r.target.change_per_year, r.target.mode) == (
        2003, 0.282, -0.05, "relative")
    f = suite.first_time_entrants
    assert (f.period, f.years, f.target.baseline_year, f.target.change, f.target.by_year) == (
        "financial", [2004, 2005, 2006, 2007], 2004, -0.05, 2007)
    s = suite.substance_misuse
    assert (s.starts_target.baseline_value, s.starts_target.change_per_year) == (280, 0.10)
    assert (s.improvement_target.baseline_value, s.improvement_target.change_per_year) == (0.72, 0.05)
    e = suite.evaluation
    assert e.programmes == ["ISSP", "referral_order", "restorative_justice", "YISP"]
    assert (e.start, e.end, e.seed, e.caliper) == (dt.date(2003, 1, 1), dt.date(2007, 12, 31), 2005, 0.2)
    assert suite.disclosure.threshold == 5


# ------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (lambda r: r.update(colour="blue"), "colour", "unknown key"),
        (lambda r: r["reoffending"].update(follow_up_month=12), "reoffending.follow_up_month", "unknown key"),
        (lambda r: r["reoffending"].update(follow_up_months=0), "reoffending.follow_up_months", "must be >= 1"),
        (lambda r: r["reoffending"].update(waiting_months=-1), "reoffending.waiting_months", "must be >= 0"),
        (lambda r: r["disclosure"].update(threshold=0), "disclosure.threshold", "must be >= 1"),
        (lambda r: r["disclosure"].update(threshold="five"), "disclosure.threshold", "whole number"),
        (lambda r: r["reoffending"].update(cohort_years=[2005, 2004]), "reoffending.cohort_years", "increasing order"),
        (lambda r: r["reoffending"].update(cohort_years=[2005, 2005]), "reoffending.cohort_years", "increasing order"),
        (lambda r: r["reoffending"].update(cohort_years=[]), "reoffending.cohort_years", "at least 1"),
        (lambda r: r["reoffending"].update(period="quarterly"), "reoffending.period", "must be one of"),
        (lambda r: r["reoffending"]["target"].update(baseline_value=28.2), "reoffending.target.baseline_value",
         "0.282 for 28.2%"),
        (lambda r: r["reoffending"]["target"].pop("baseline_year"), "reoffending.target.baseline_year", "missing"),
        (lambda r: r["evaluation"].update(programmes=["ISSP", "boot_camp"]), "evaluation.programmes[1]", "must be one of"),
        (lambda r: r["evaluation"].update(caliper=0), "evaluation.caliper", "must be > 0"),
        (lambda r: r["evaluation"].update(end="2002-12-31"), "evaluation", "before start"),
        (lambda r: r["first_time_entrants"]["target"].update(by_year=2003), "first_time_entrants.target", "before baseline_year"),
        (lambda r: r.pop("title"), "title", "missing"),
        (lambda r: r.update(reoffending=[1, 2]), "reoffending", "section of keys"),
    ],
)
def test_a_bad_value_is_named_with_file_and_key(tmp_path, change, key, words):
    raw = _barnet_raw()
    change(raw)
    path = _write(tmp_path, raw)
    problems = _problems(path)
    assert any(p.startswith(f"{path}: {key}: ") and words in p for p in problems), problems


@pytest.mark.parametrize("text", ["2007-02-30", "2005-13-01", "31/12/2007", "2006-02-29"])
def test_an_impossible_date_is_a_located_error_not_a_crash(tmp_path, text):
    raw = BARNET.read_text().replace("extract_date: null", f"extract_date: {text}")
    assert f"extract_date: {text}" in raw
    problems = _problems(_write(tmp_path, raw))
    assert len(problems) == 1 and ": extract_date: must be a real date" in problems[0] and text in problems[0]


def test_a_leap_day_is_a_real_date(tmp_path):
    raw = BARNET.read_text().replace("extract_date: null", "extract_date: 2008-02-29")
    assert load_suite(_write(tmp_path, raw)).extract_date == dt.date(2008, 2, 29)


def test_every_problem_is_reported_at_once(tmp_path):
    raw = _barnet_raw()
    raw["reoffending"]["follow_up_months"] = 0
    raw["evaluation"]["seed"] = "abc"
    raw["extra"] = 1
    problems = _problems(_write(tmp_path, raw))
    keys = {p.split(": ")[1] for p in problems}
    assert keys == {"reoffending.follow_up_months", "evaluation.seed", "extra"}


def test_broken_yaml_and_missing_file_are_named(tmp_path):
    bad = _write(tmp_path, "title: [unclosed\nyot: Barnet\n")
    (problem,) = _problems(bad)
    assert problem.startswith(f"{bad}: not valid YAML (line ")
    (missing,) = _problems(tmp_path / "nope.yaml")
    assert missing.startswith(f"{tmp_path / 'nope.yaml'}: cannot read")
    (not_a_map,) = _problems(_write(tmp_path, "- a\n- b\n", "list.yaml"))
    assert "mapping of keys" in not_a_map


def test_optional_sections_may_be_left_out(tmp_path):
    raw = _barnet_raw()
    for section in ("first_time_entrants", "substance_misuse", "evaluation", "disclosure", "data"):
        raw.pop(section)
    suite = load_suite(_write(tmp_path, raw))
    assert suite.evaluation is None and suite.disclosure.threshold == 5
    notebooks = {r.notebook for r in plan(suite, data_dir="d", notebooks_dir=tmp_path / "all")}
    assert notebooks == set()  # no notebooks in that folder at all


def test_command_line_rejects_bad_parameters_with_exit_1_and_no_traceback(tmp_path):
    raw = _barnet_raw()
    raw["reoffending"]["follow_up_months"] = 0
    path = _write(tmp_path, raw)
    done = subprocess.run([sys.executable, "-m", "yot", "run", "--params", str(path), "--data", str(tmp_path),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 1
    assert f"{path}: reoffending.follow_up_months: must be >= 1" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()  # validated before anything starts


# ------------------------------------------------------------------------------- periods
def test_a_cohort_is_complete_from_period_end_plus_follow_up_and_waiting():
    assert cohort_complete_from("calendar", 2007, 12, 6) == dt.date(2009, 6, 30)
    assert cohort_complete_from("october_december", 2004, 12, 3) == dt.date(2006, 3, 31)


# ------------------------------------------------------------------------------- the plan
def _doc_table() -> dict[str, set[str]]:
    """Notebook -> parameter names, read from docs/notebooks.md (the contract with the notebook authors)."""
    text = (ROOT / "docs" / "notebooks.md").read_text()
    common = set(re.findall(r"^\| `(\w+)` \| [^|]+ \| [^|]+ \|$", text, flags=re.M))
    own = {}
    for notebook, cell in re.findall(r"^\| `(\w+\.ipynb)` \| [^|]+ \| ([^|]+) \|$", text, flags=re.M):
        own[notebook] = common | set(re.findall(r"`(\w+)`", cell))
    return own


def test_plan_gives_each_notebook_exactly_the_parameters_docs_notebooks_md_names(tmp_path):
    documented = _doc_table()
    assert len(documented) == 7 and "data_dir" in documented["targets.ipynb"]
    for name in documented:
        (tmp_path / name).write_text("{}")
    runs = plan(load_suite(BARNET), data_dir="data/x", notebooks_dir=tmp_path)
    for run in runs:
        assert set(run.parameters) == documented[run.notebook], run.notebook


def test_plan_derives_one_run_per_cohort_year_and_programme(tmp_path):
    for name in ("data_quality", "reoffending_cohort", "targets", "evaluation", "evaluation_comparison",
                 "first_time_entrants", "substance_misuse"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    runs = plan(load_suite(BARNET), data_dir="data/x", tables_dir="/t", notebooks_dir=tmp_path)
    names = [r.name for r in runs]
    assert len(names) == len(set(names)) == 1 + 6 + 1 + 4 + 1 + 1 + 1
    cohort_2005 = next(r for r in runs if r.name == "reoffending_cohort_2005")
    assert cohort_2005.parameters["cohort_year"] == 2005
    assert cohort_2005.parameters["data_dir"] == "data/x" and cohort_2005.parameters["tables_dir"] == "/t"
    assert cohort_2005.provisional_from == dt.date(2007, 6, 30)
    issp = next(r for r in runs if r.name == "evaluation_ISSP")
    assert (issp.parameters["programme"], issp.parameters["start"], issp.parameters["seed"]) == ("ISSP", "2003-01-01", 2005)
    subst = next(r for r in runs if r.notebook == "substance_misuse.ipynb")
    assert subst.parameters["starts_baseline_value"] == 280 and subst.parameters["improvement_mode"] == "relative"
    targets = next(r for r in runs if r.notebook == "targets.ipynb")
    assert targets.parameters["baseline_value"] == 0.282 and targets.parameters["targets_by_tier"] is True


def test_a_notebook_not_written_yet_is_skipped_with_a_note(tmp_path):
    (tmp_path / "data_quality.ipynb").write_text("{}")
    result = plan_with_notes(load_suite(BARNET), data_dir="d", notebooks_dir=tmp_path)
    assert [r.notebook for r in result.runs] == ["data_quality.ipynb"]
    assert any("evaluation.ipynb" in n for n in result.notes)
    assert len(result.notes) == 6  # one note per missing notebook, not per run
    assert isinstance(result.runs[0], NotebookRun)


def test_no_extract_anywhere_is_an_error(tmp_path):
    raw = _barnet_raw()
    raw.pop("data")
    with pytest.raises(ParameterError, match="no extract given"):
        plan(load_suite(_write(tmp_path, raw)), notebooks_dir=tmp_path)
