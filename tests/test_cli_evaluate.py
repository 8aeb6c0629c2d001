"""Tests for ``yot evaluate``: the exact JSON shape, nulls when there is nothing to compare, usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from yot.cli import main

KEYS = [
    "programme", "outcome", "n_treated", "n_matched_treated", "n_comparison_pool", "n_matched_comparison",
    "treated_rate", "comparison_rate", "effect", "ci_low", "ci_high", "p_value", "naive_effect",
    "max_abs_smd_before", "max_abs_smd_after", "indicative_only",
    # added by programme evaluation v2 (issue 12); every key above is kept
    "period", "extract_date", "complete", "design", "adjusted_effect", "adjusted_ci_low", "adjusted_ci_high",
    "e_value", "e_value_ci", "time_to_reoffence",
]
ROOT = Path(__file__).resolve().parents[1]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(["evaluate", *args, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


@pytest.mark.parametrize("programme, outcome", [("referral_order", "reoffending"), ("YISP", "first_time_entrant")])
def test_json_shape_and_consistency(small_extract: Path, capsys: pytest.CaptureFixture[str], programme: str,
                                   outcome: str) -> None:
    code, result, _ = _run(capsys, "--data", str(small_extract), "--programme", programme,
                           "--start", "2002-01-01", "--end", "2008-12-31")
    assert code == 0
    assert list(result) == KEYS
    assert result["programme"] == programme and result["outcome"] == outcome
    assert result["n_treated"] > 0 and result["n_comparison_pool"] > 0
    assert 0 < result["n_matched_treated"] <= result["n_treated"]
    # several neighbours and ties share: more comparison people than treated may be used
    assert 0 < result["n_matched_comparison"] <= result["n_comparison_pool"]
    assert result["effect"] == pytest.approx(result["treated_rate"] - result["comparison_rate"])
    assert result["ci_low"] <= result["effect"] <= result["ci_high"]
    assert 0 <= result["p_value"] <= 1
    assert result["indicative_only"] is (result["n_treated"] < 60)
    assert all(isinstance(result[k], int) for k in KEYS if k.startswith("n_"))


def test_seed_is_accepted_and_changes_nothing(small_extract: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--data", str(small_extract), "--programme", "restorative_justice", "--start", "2002-01-01",
            "--end", "2008-12-31")
    first = _run(capsys, *args, "--seed", "4")[1]
    assert first == _run(capsys, *args, "--seed", "99")[1] == _run(capsys, *args)[1]


def test_new_keys(small_extract: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, r, _ = _run(capsys, "--data", str(small_extract), "--programme", "referral_order",
                      "--start", "2003-01-01", "--end", "2004-12-31")
    assert code == 0
    assert r["period"] == {"start": "2003-01-01", "end": "2004-12-31"}
    assert r["complete"] is True and r["extract_date"] >= "2006-06-30"
    d = r["design"]
    assert set(d) == {"neighbours", "exact", "distance", "step", "stage", "balanced", "max_abs_smd", "pool"}
    assert d["neighbours"] in (1, 3, 5) and d["distance"] in ("logit", "mahalanobis") and 1 <= d["step"] <= 9
    assert d["balanced"] is (r["max_abs_smd_after"] < 0.10)
    assert r["adjusted_ci_low"] <= r["adjusted_effect"] <= r["adjusted_ci_high"]
    assert r["e_value"] >= 1 and 1 <= r["e_value_ci"] <= r["e_value"]
    tte = r["time_to_reoffence"]
    assert tte["day"] == 365 and tte["ci_low"] <= tte["difference"] <= tte["ci_high"]
    assert 0 <= tte["logrank_p_value"] <= 1


def test_extract_date_makes_it_provisional(small_extract: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["evaluate", "--data", str(small_extract), "--programme", "referral_order", "--start", "2003-01-01",
            "--end", "2004-12-31", "--extract-date", "2005-06-30"]
    assert main([*args, "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["extract_date"] == "2005-06-30" and r["complete"] is False
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert "PROVISIONAL" in out and "provisional" in err


def test_text_output_rounds(small_extract: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import re

    assert main(["evaluate", "--data", str(small_extract), "--programme", "referral_order", "--start", "2002-01-01",
                 "--end", "2008-12-31", "--follow-up-months", "6", "--waiting-months", "3", "--caliper", "0.5"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"largest \|SMD\| before \d+\.\d\d, after \d+\.\d\d$", out, re.M)
    assert re.search(r"effect [+-]\d+\.\d points \(95% interval [+-]\d+\.\d to [+-]\d+\.\d points\)", out)
    assert "by day 182:" in out  # six months of follow-up: the share not reoffended by day 182


def test_csv_one_row_per_outcome(small_extract: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import csv

    target = tmp_path / "evaluation.csv"
    assert main(["evaluate", "--data", str(small_extract), "--programme", "referral_order", "--start", "2002-01-01",
                 "--end", "2008-12-31", "--csv", str(target)]) == 0
    rows = list(csv.DictReader(target.open()))
    assert [r["measure"] for r in rows] == ["reoffended within a year", "reoffences per young person",
                                            "reoffence ending in custody", "not reoffended by day 365"]
    assert {r["programme"] for r in rows} == {"referral_order"}


@pytest.mark.parametrize("flag, value", [("--follow-up-months", "0"), ("--waiting-months", "-1"), ("--caliper", "0"),
                                         ("--extract-date", "2005-02-30"), ("--programme", "knitting")])
def test_bad_values_are_usage_errors(small_extract: Path, capsys: pytest.CaptureFixture[str], flag: str,
                                     value: str) -> None:
    args = {"--data": str(small_extract), "--programme": "ISSP", "--start": "2003-01-01", "--end": "2004-12-31"}
    args[flag] = value
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", *(x for kv in args.items() for x in kv), "--json"])
    assert exc.value.code == 1


def test_no_treated_gives_nulls_a_message_and_exit_0(small_extract: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result, err = _run(capsys, "--data", str(small_extract), "--programme", "ISSP",
                             "--start", "1980-01-01", "--end", "1980-12-31")
    assert code == 0
    assert result["n_treated"] == 0 and result["n_matched_treated"] == 0
    assert all(result[k] is None for k in ("treated_rate", "comparison_rate", "effect", "ci_low", "ci_high",
                                           "p_value", "naive_effect"))
    assert result["indicative_only"] is True
    assert "no young people treated" in err


def test_start_after_end_is_a_usage_error(small_extract: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", "--data", str(small_extract), "--programme", "YISP", "--start", "2006-01-01",
                 "--end", "2005-01-01", "--json"])
    assert code == 1
    assert "after --end" in capsys.readouterr().err


def test_command_line_entry_point(small_extract: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "yot", "evaluate", "--data", str(small_extract), "--programme", "YISP",
         "--start", "2002-01-01", "--end", "2008-12-31", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert list(json.loads(done.stdout)) == KEYS
