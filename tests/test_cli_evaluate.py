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
    assert 0 < result["n_matched_comparison"] <= min(result["n_matched_treated"], result["n_comparison_pool"])
    assert result["effect"] == pytest.approx(result["treated_rate"] - result["comparison_rate"])
    assert result["ci_low"] <= result["effect"] <= result["ci_high"]
    assert 0 <= result["p_value"] <= 1
    assert result["indicative_only"] is (result["n_treated"] < 60)
    assert all(isinstance(result[k], int) for k in KEYS if k.startswith("n_"))


def test_same_seed_same_answer(small_extract: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--data", str(small_extract), "--programme", "restorative_justice", "--start", "2002-01-01",
            "--end", "2008-12-31", "--seed", "4")
    assert _run(capsys, *args)[1] == _run(capsys, *args)[1]


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
