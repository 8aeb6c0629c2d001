"""The registry's runs for the live tracker, the comparisons page and quarterly cohorts; the suite file's
tracker: and comparisons: sections; 'yot synth --yots' usage."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from yot.cli import main
from yot.pages.registry import plan
from yot.params import ParameterError, validate_suite

ROOT = Path(__file__).resolve().parents[1]


def _raw() -> dict:
    return yaml.safe_load((ROOT / "parameters" / "barnet_2005_2008.yaml").read_text())


def test_the_tracker_comes_right_after_the_targets_and_the_comparisons_page_last() -> None:
    runs = plan(validate_suite(_raw()))
    kinds = [r.kind for r in runs]
    assert kinds[kinds.index("targets") + 1] == "tracker"
    assert kinds[-1] == "comparisons"
    tracker = runs[kinds.index("tracker")]
    assert {k: tracker.parameters[k] for k in ("period", "recent", "earlier")} == {
        "period": "quarter", "recent": 4, "earlier": 4}


def test_no_comparisons_section_no_comparisons_page_and_tracker_defaults() -> None:
    raw = _raw()
    del raw["comparisons"], raw["tracker"]
    suite = validate_suite(raw)
    assert suite.tracker.period == "quarter" and suite.tracker.earlier == 4
    assert "comparisons" not in [r.kind for r in plan(suite)]


def test_quarterly_cohorts_get_a_page_a_quarter_and_the_annual_option_reaches_cohorts_and_targets() -> None:
    raw = _raw()
    raw["reoffending"]["period"] = "quarter"
    runs = [r for r in plan(validate_suite(raw)) if r.kind == "cohort"]
    assert [r.name for r in runs[:5]] == ["reoffending_cohort_2003_q1", "reoffending_cohort_2003_q2",
                                          "reoffending_cohort_2003_q3", "reoffending_cohort_2003_q4",
                                          "reoffending_cohort_2004_q1"]
    assert runs[1].title == "Proven reoffending: the Apr-Jun 2003 cohort" and runs[1].parameters["cohort_quarter"] == 2
    raw = _raw()
    raw["reoffending"]["annual_from_quarters"] = True
    runs = plan(validate_suite(raw))
    assert all(r.parameters.get("annual_from_quarters") for r in runs if r.kind in ("cohort", "targets"))


@pytest.mark.parametrize(("section", "value", "message"), [
    ("tracker", {"recent": 0}, "tracker.recent: must be >= 1"),
    ("tracker", {"period": "weekly"}, "tracker.period: must be one of"),
    ("comparisons", {"period": "october_december"}, "comparisons.period: must be one of"),
    ("comparisons", {"family": "Enfield"}, "comparisons.family: must be a list"),
    ("reoffending", {"annual_from_quarters": True, "period": "october_december"}, "annual_from_quarters needs"),
])
def test_bad_sections_are_named(section: str, value: dict, message: str) -> None:
    raw = _raw()
    raw[section] = {**(raw.get(section) or {}), **value}
    with pytest.raises(ParameterError) as caught:
        validate_suite(raw, "x.yaml")
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_the_multi_yot_example_suite_is_valid_and_plans_the_comparisons() -> None:
    from yot.params import load_suite

    suite = load_suite(ROOT / "parameters" / "multi_yot_example.yaml")
    assert suite.data == "data/multi_yot" and "comparisons" in [r.kind for r in plan(suite)]


@pytest.mark.parametrize("args", [["--yots", "1"], ["--yots", "17"], ["--yots", "3", "--people", "100"]])
def test_synth_yots_usage_errors(tmp_path: Path, args: list[str]) -> None:
    assert main(["synth", "--out", str(tmp_path / "x"), *args]) == 1
    assert not (tmp_path / "x").exists()
