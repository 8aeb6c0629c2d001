"""``yot validate``: exit codes, the JSON report, the human summary and the quarantine files."""

from __future__ import annotations

import datetime as dt
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
    assert main(["validate", "--data", str(extract_dir(tmp_path / "x")), "--quarantine", str(tmp_path / "q")]) == 0
    out = capsys.readouterr().out
    assert "No rows set aside" in out
    assert "Nothing written" in out
    assert not (tmp_path / "q").exists()


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


def test_an_unwritable_quarantine_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["validate", "--data", str(extract_dir(tmp_path / "x", bad=True)), "--quarantine", str(blocker / "q")])
    assert code == 1
    assert capsys.readouterr().err.startswith(f"yot validate: error: cannot write the quarantine to {blocker / 'q'}")


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


def test_synthetic_extract_is_clean_and_planted_faults_are_found_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import polars as pl

    from yot.synth import generate, write

    folder = tmp_path / "synthetic"
    write(*generate(people=300, seed=7), folder, format="csv")
    assert main(["validate", "--data", str(folder), "--json"]) == 0
    clean = json.loads(capsys.readouterr().out)
    assert clean["problems"] == []
    assert all(t["quarantined"] == 0 for t in clean["tables"].values())

    def plant(table: str, change) -> None:  # noqa: ANN001 - a frame-to-frame edit
        path = folder / f"{table}.csv"
        change(pl.read_csv(path, infer_schema=False)).write_csv(path)

    def set_cell(row: int, column: str, value: str):  # noqa: ANN202
        return lambda f: f.with_columns(
            pl.when(pl.int_range(1, pl.len() + 1) == row).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
        )

    plant("offences", set_cell(5, "outcome", "Fine"))
    plant("offences", set_cell(10, "offence_date", "10/01/2005"))
    plant("referrals", set_cell(1, "risk_score", "41"))
    interventions = pl.read_csv(folder / "interventions.csv", infer_schema=False)
    start = interventions.item(1, "start_date")
    day_before = (dt.date.fromisoformat(start) - dt.timedelta(days=1)).isoformat()
    plant("interventions", set_cell(2, "end_date", day_before))
    plant("people", lambda f: pl.concat([f, f.head(1).with_columns(person_id=pl.lit("ZZ1"), sex=pl.lit("X"))]))

    assert main(["validate", "--data", str(folder), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    people_read = clean["tables"]["people"]["read"] + 1
    assert report["problems"] == [
        {"table": "people", "row": people_read, "column": "sex", "rule": "unknown_code", "value": "X"},
        {"table": "offences", "row": 5, "column": "outcome", "rule": "unknown_code", "value": "Fine"},
        {"table": "offences", "row": 10, "column": "offence_date", "rule": "bad_date", "value": "10/01/2005"},
        {"table": "interventions", "row": 2, "column": "end_date", "rule": "end_before_start",
         "value": f"{day_before} (start_date {start})"},
        {"table": "referrals", "row": 1, "column": "risk_score", "rule": "out_of_range", "value": "41"},
    ]
    quarantined = {name: t["quarantined"] for name, t in report["tables"].items()}
    assert quarantined == {
        "people": 1, "offences": 2, "interventions": 1, "referrals": 1,
        "assessments": 0, "substance_reviews": 0, "population": 0,
    }


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_no_cache_neither_writes_nor_changes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    root = tmp_path / "cache"
    monkeypatch.setenv("YOT_CACHE_DIR", str(root))
    folder = extract_dir(tmp_path / "x", bad=True)
    if how == "environment":
        monkeypatch.setenv("YOT_NO_CACHE", "1")
    flag = ["--no-cache"] if how == "flag" else []
    assert main(["validate", "--data", str(folder), "--json", "--quarantine", str(tmp_path / "q1"), *flag]) == 0
    uncached = capsys.readouterr().out
    assert not root.exists()
    monkeypatch.delenv("YOT_NO_CACHE", raising=False)
    for run in ("q2", "q3"):  # the first fills the cache, the second reads it
        assert main(["validate", "--data", str(folder), "--json", "--quarantine", str(tmp_path / run)]) == 0
        assert capsys.readouterr().out == uncached
        assert (tmp_path / run / "offences.csv").read_bytes() == (tmp_path / "q1" / "offences.csv").read_bytes()
    assert len(list((root / "tables").iterdir())) == 2
