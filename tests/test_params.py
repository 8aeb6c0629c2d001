"""Suite parameter files: validation with located messages, period helpers, and the plan of notebook
runs (``yot.pages.registry.plan``; no fixed list of page kinds is assumed: kinds are being added)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from yot.cohort import completion_date
from yot.dates import period_bounds
from yot.pages.registry import REGISTRY, plan
from yot.params import ParameterError, load_suite

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
    assert (e.start, e.end, e.seed, e.caliper) == (dt.date(2003, 1, 1), dt.date(2007, 12, 31), 0, 0.2)  # no seed: ties are shared
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
    assert suite.evaluation is None and suite.disclosure.threshold == 5 and suite.data is None
    full = {r.name for r in plan(load_suite(BARNET))}
    fewer = {r.name for r in plan(suite)}
    assert fewer <= full and "data_quality" in fewer  # leaving sections out only removes runs


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
    assert completion_date(period_bounds("calendar", 2007)[1], 12, 6) == dt.date(2009, 6, 30)
    assert completion_date(period_bounds("october_december", 2004)[1], 12, 3) == dt.date(2006, 3, 31)


# ------------------------------------------------------------------------------- the plan
def test_plan_derives_one_cohort_run_per_cohort_year_with_its_parameters():
    suite = load_suite(BARNET)
    runs = plan(suite)
    names = [r.name for r in runs]
    assert len(names) == len(set(names))  # names are unique: they name the run's files
    cohorts = [r for r in runs if r.kind == "cohort"]
    assert [r.name for r in cohorts] == [f"reoffending_cohort_{y}" for y in suite.reoffending.cohort_years]
    cohort_2005 = next(r for r in cohorts if r.name == "reoffending_cohort_2005")
    assert cohort_2005.parameters["cohort_year"] == 2005
    assert (cohort_2005.parameters["follow_up_months"], cohort_2005.parameters["waiting_months"]) == (12, 6)
    assert cohort_2005.notebook == "reoffending_cohort.ipynb"


def test_every_run_takes_the_common_parameters_and_reads_only_earlier_runs():
    suite = load_suite(BARNET)
    runs = plan(suite)
    seen: set[str] = set()
    for run in runs:
        p = run.parameters
        assert (p["yot_name"], p["title"], p["disclosure_threshold"], p["extract_date"], p["name"]) == (
            "Barnet", suite.title, 5, None, run.name)
        assert "data_dir" not in p and "output_dir" not in p  # the runner adds those (run-private)
        assert set(run.after) <= seen, run.name
        seen.add(run.name)


def test_plan_follows_the_registry_order():
    kinds = [k.key for k in REGISTRY]
    order = [kinds.index(r.kind) for r in plan(load_suite(BARNET))]
    assert order == sorted(order)


def test_an_extract_date_reaches_every_run(tmp_path):
    raw = BARNET.read_text().replace("extract_date: null", "extract_date: 2006-06-30")
    runs = plan(load_suite(_write(tmp_path, raw)))
    assert {r.parameters["extract_date"] for r in runs} == {"2006-06-30"}
