"""``yot validate``: exit codes, the JSON report, the human summary and the quarantine files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from yot.cli import main

ROOT = Path(__file__).resolve().parents[1]

PEOPLE = "person_id,date_of_birth,sex,ethnicity,yot\nP1,1990-01-01,M,White,Barnet\nP2,1991-06-15,F,Black,Barnet\n"
OFFENCES = (
    "offence_id,person_id,offence_date,outcome_date,offence_type,gravity,outcome,release_date\n"
    "O1,P1,2005-01-10,2005-02-01,theft,3,fine,\n"
    "O2,P2,2005-03-01,2005-04-01,robbery,5,detention_training_order,2005-10-01\n"
)
BAD_OFFENCE = "O3,P9,2005-01-10,2005-02-01,theft,3,fine,\n"


def extract_dir(folder: Path, bad: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "people.csv").write_text(PEOPLE)
    (folder / "offences.csv").write_text(OFFENCES + (BAD_OFFENCE if bad else ""))
    return folder


def test_json_report_of_a_clean_extract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--data", str(extract_dir(tmp_path / "x")), "--json"])
    out = capsys.readouterr()
    assert code == 0
    assert json.loads(out.out) == {
        "tables": {
            "people": {"read": 2, "accepted": 2, "quarantined": 0},
            "offences": {"read": 2, "accepted": 2, "quarantined": 0},
        },
        "problems": [],
    }
    assert out.err == ""


def test_quarantined_rows_still_exit_0_and_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--data", str(extract_dir(tmp_path / "x", bad=True)), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["tables"]["offences"] == {"read": 3, "accepted": 2, "quarantined": 1}
    assert report["problems"] == [
        {"table": "offences", "row": 3, "column": "person_id", "rule": "unknown_person", "value": "P9"}
    ]


def test_human_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--data", str(extract_dir(tmp_path / "x", bad=True))])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split() == ["table", "read", "accepted", "quarantined"]
    assert lines[2].split() == ["people", "2", "2", "0"]
    assert lines[3].split() == ["offences", "3", "2", "1"]
    assert "unknown_person" in out and "not among the accepted people" in out


def test_human_summary_of_a_clean_extract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--data", str(extract_dir(tmp_path / "x"))]) == 0
    assert "No rows set aside" in capsys.readouterr().out


def test_quarantine_option_writes_the_set_aside_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outdir = tmp_path / "q"
    code = main(["validate", "--data", str(extract_dir(tmp_path / "x", bad=True)), "--quarantine", str(outdir)])
    assert code == 0
    assert sorted(p.name for p in outdir.iterdir()) == ["offences.csv"]
    assert (outdir / "offences.csv").read_text().splitlines() == [
        "offence_id,person_id,offence_date,outcome_date,offence_type,gravity,outcome,release_date,row,rule",
        "O3,P9,2005-01-10,2005-02-01,theft,3,fine,,3,unknown_person",
    ]
    assert str(outdir / "offences.csv") in capsys.readouterr().out


def test_fatal_problem_exits_2_with_the_message_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = extract_dir(tmp_path / "x")
    (folder / "people.csv").unlink()
    code = main(["validate", "--data", str(folder), "--json"])
    out = capsys.readouterr()
    assert code == 2
    assert out.out == ""
    assert out.err == (
        f"yot validate: {folder}: required table 'people' is missing (expected people.parquet or people.csv)\n"
    )


def test_usage_error_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 1
    assert "--data" in capsys.readouterr().err


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yot", "validate", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_python_dash_m_yot_validate(tmp_path: Path) -> None:
    done = run_module("--data", str(extract_dir(tmp_path / "x", bad=True)), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tables"]["offences"]["quarantined"] == 1


def test_python_dash_m_yot_validate_fatal_has_no_traceback(tmp_path: Path) -> None:
    folder = extract_dir(tmp_path / "x")
    (folder / "offences.csv").write_bytes(b"offence_id,person_id\nO1,P\xff1\n")
    done = run_module("--data", str(folder))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"yot validate: {folder / 'offences.csv'}: not UTF-8 text: the first bad byte is on line 2\n"
