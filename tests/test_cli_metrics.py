"""``yot metrics``: the JSON shape with hand-counted figures, exit codes, quarantine, summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from yot.cli import main
from yot.stats import wilson_interval

ROOT = Path(__file__).resolve().parents[1]

PEOPLE = (
    "person_id,date_of_birth,sex,ethnicity,yot\n"
    "P1,1990-01-01,M,White,Barnet\n"
    "P2,1991-06-15,F,Black,Barnet\n"
    "P3,1980-01-01,M,Asian,Barnet\n"
)
OFFENCES = (
    "offence_id,person_id,offence_date,outcome_date,offence_type,gravity,outcome,release_date\n"
    "O1,P1,2005-01-10,2005-02-01,theft,3,fine,\n"  # index 1 Feb 2005, first tier, aged 15
    "O2,P1,2005-06-01,2005-07-01,theft,3,reprimand,\n"  # reoffence 120 days on
    "O3,P2,2005-03-01,2005-04-01,robbery,5,detention_training_order,2005-10-01\n"  # index: release, aged 14
    "O4,P2,2006-10-02,2006-11-01,theft,3,fine,\n"  # one day after the 12 months: not a reoffence
    "O5,P3,2005-03-01,2005-04-01,theft,3,fine,\n"  # aged 25: not in the cohort
)
BAD_OFFENCE = "O6,P9,2005-05-10,2005-06-01,theft,3,fine,\n"  # unknown person: quarantined


def extract_dir(folder: Path, bad: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "people.csv").write_text(PEOPLE)
    (folder / "offences.csv").write_text(OFFENCES + (BAD_OFFENCE if bad else ""))
    return folder


def metrics(data: Path, *extra: str) -> list[str]:
    return ["metrics", "--data", str(data), "--start", "2005-01-01", "--end", "2005-12-31", *extra]


def group(n: int, r: int, re: int) -> dict:
    return {
        "cohort_size": n, "reoffenders": r, "reoffences": re,
        "binary_rate": r / n if n else None, "binary_rate_ci": list(wilson_interval(r, n)),
        "frequency_rate": re / n if n else None, "reoffences_per_reoffender": re / r if r else None,
    }


def test_json_by_hand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(metrics(extract_dir(tmp_path / "x"), "--json"))
    out = capsys.readouterr()
    assert code == 0 and out.err == ""
    assert json.loads(out.out) == {
        "period": {"start": "2005-01-01", "end": "2005-12-31"},
        "follow_up_months": 12,
        "waiting_months": 6,
        "extract_date": "2006-11-01",  # the latest outcome_date
        "complete": False,  # complete from 30 Jun 2007
        **group(2, 1, 1),
        "by": {
            "tier": {"pre_court": group(0, 0, 0), "first_tier": group(1, 1, 1), "community": group(0, 0, 0),
                     "custody": group(1, 0, 0)},
            "sex": {"M": group(1, 1, 1), "F": group(1, 0, 0), "U": group(0, 0, 0)},
            "age_band": {"10-14": group(1, 0, 0), "15-17": group(1, 1, 1)},
            "ethnicity": {"White": group(1, 1, 1), "Mixed": group(0, 0, 0), "Asian": group(0, 0, 0),
                          "Black": group(1, 0, 0), "Other": group(0, 0, 0), "Unknown": group(0, 0, 0)},
        },
    }


def test_parameters_are_used_and_echoed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = extract_dir(tmp_path / "x")
    code = main(metrics(data, "--follow-up-months", "3", "--waiting-months", "3", "--extract-date", "2007-06-30",
                        "--json"))
    result = json.loads(capsys.readouterr().out)
    # 3 months after 1 Feb 2005 is 1 May: P1's 1 Jun reoffence falls outside
    assert code == 0
    assert (result["follow_up_months"], result["waiting_months"], result["extract_date"], result["complete"]) == (
        3, 3, "2007-06-30", True)
    assert (result["cohort_size"], result["reoffenders"]) == (2, 0)


def test_quarantined_rows_are_reported_and_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(metrics(extract_dir(tmp_path / "x", bad=True), "--json"))
    out = capsys.readouterr()
    assert code == 0
    assert "offences: 1 of 6 rows set aside" in out.err
    assert json.loads(out.out)["cohort_size"] == 2


def test_empty_cohort_is_zeros_and_nulls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["metrics", "--data", str(extract_dir(tmp_path / "x")), "--start", "1999-01-01",
                 "--end", "1999-12-31", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {k: result[k] for k in ("cohort_size", "reoffenders", "binary_rate", "binary_rate_ci",
                                   "reoffences_per_reoffender")} == {
        "cohort_size": 0, "reoffenders": 0, "binary_rate": None, "binary_rate_ci": [None, None],
        "reoffences_per_reoffender": None}


def test_start_after_end_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["metrics", "--data", str(extract_dir(tmp_path / "x")), "--start", "2006-01-01",
                 "--end", "2005-12-31", "--json"])
    out = capsys.readouterr()
    assert code == 1 and out.out == ""
    assert "after --end" in out.err


def test_bad_date_argument_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["metrics", "--data", str(tmp_path), "--start", "2005-13-01", "--end", "2005-12-31"])
    assert exc.value.code == 1


def test_fatal_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "people.csv").write_text(PEOPLE)  # no offences table
    with pytest.raises(SystemExit) as exc:
        main(metrics(folder, "--json"))
    assert exc.value.code == 2
    out = capsys.readouterr()
    assert out.out == "" and "offences" in out.err


def test_readable_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(metrics(extract_dir(tmp_path / "x")))
    text = capsys.readouterr().out
    assert code == 0
    assert "PROVISIONAL" in text and "2005-01-01 to 2005-12-31" in text
    assert "50.0%" in text and "custody" in text and "by age band" in text


def test_runs_as_a_module(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "yot", *metrics(extract_dir(tmp_path / "x"), "--json")],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["reoffences"] == 1


def test_csv_on_standard_output_is_tidy_one_row_per_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import csv
    import io

    code = main(metrics(extract_dir(tmp_path / "x"), "--csv"))
    out = capsys.readouterr().out
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    # all, 4 tiers, 3 sexes, 2 age bands, 6 ethnicities: one row each, nothing else on stdout
    assert len(rows) == 1 + 4 + 3 + 2 + 6
    first = rows[0]
    assert (first["breakdown"], first["group"], first["cohort_size"], first["reoffenders"]) == ("all", "all", "2", "1")
    assert float(first["binary_rate"]) == 0.5 and first["complete"] == "false"
    low, high = wilson_interval(1, 2)
    assert float(first["binary_rate_ci_low"]) == pytest.approx(low) and float(first["binary_rate_ci_high"]) == pytest.approx(high)
    custody = next(r for r in rows if r["group"] == "custody")
    assert (custody["breakdown"], custody["cohort_size"], custody["reoffenders"], custody["reoffences_per_reoffender"]) == (
        "tier", "1", "0", "")  # no reoffender: an empty cell, not 0
    assert first["period_start"] == "2005-01-01" and first["follow_up_months"] == "12"


def test_csv_to_a_file_keeps_the_summary_on_standard_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "m.csv"
    code = main(metrics(extract_dir(tmp_path / "x"), "--json", "--csv", str(target)))
    assert code == 0
    assert json.loads(capsys.readouterr().out)["cohort_size"] == 2
    assert target.read_text().splitlines()[0].startswith("period_start,period_end,follow_up_months")
    assert len(target.read_text().splitlines()) == 1 + 16


def test_csv_and_json_both_on_standard_output_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(metrics(extract_dir(tmp_path / "x"), "--json", "--csv"))
    out = capsys.readouterr()
    assert code == 1 and out.out == "" and "give --csv a FILE" in out.err


def test_csv_to_a_folder_that_does_not_exist_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(metrics(extract_dir(tmp_path / "x"), "--csv", str(tmp_path / "no" / "such" / "m.csv")))
    assert code == 1 and "cannot write the CSV" in capsys.readouterr().err


def test_write_csv_refuses_values_that_are_not_plain() -> None:
    from yot.cli import write_csv

    with pytest.raises(TypeError, match="not a plain value"):
        write_csv([{"a": [1, 2]}], "-")


@pytest.mark.parametrize(("option", "value"), [("--follow-up-months", "0"), ("--waiting-months", "-1")])
def test_follow_up_of_at_least_one_month_and_waiting_of_zero_or_more(tmp_path: Path, option: str, value: str,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(metrics(extract_dir(tmp_path / "x"), option, value, "--json"))
    assert exc.value.code == 1 and option in capsys.readouterr().err


def test_a_period_with_no_data_says_so_in_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = extract_dir(tmp_path / "x")
    period = ["--start", "1999-01-01", "--end", "1999-12-31"]
    assert main(["metrics", "--data", str(data), *period, "--json"]) == 0
    out = capsys.readouterr()
    assert "notes" not in json.loads(out.out)  # the JSON keeps its exact shape; the note is said beside it
    assert out.err.startswith("yot: note: no data: no young person in this extract has an index date from "
                              "1999-01-01 to 1999-12-31")
    assert main(["metrics", "--data", str(data), *period]) == 0
    assert "Note: no data: no young person" in capsys.readouterr().out
    assert main(metrics(data, "--json")) == 0
    assert capsys.readouterr().err == ""  # a cohort with people: nothing to say


def test_an_extract_date_after_the_latest_date_in_the_data_is_allowed_and_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = extract_dir(tmp_path / "x")
    assert main(metrics(data, "--json")) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(metrics(data, "--extract-date", "2012-01-01", "--json")) == 0
    out = capsys.readouterr()
    later = json.loads(out.out)
    # the latest date in the data is O4's outcome, 1 Nov 2006
    assert "extract date 2012-01-01 is after the latest date in the data (2006-11-01): allowed" in out.err
    assert list(later) == list(plain)  # the same JSON keys
    assert later["extract_date"] == "2012-01-01" and later["complete"] is True  # 2005 cohort complete by 2012
    assert {k: later[k] for k in ("cohort_size", "reoffenders", "reoffences")} == {
        k: plain[k] for k in ("cohort_size", "reoffenders", "reoffences")}  # nothing left out


def test_as_at_an_earlier_date_later_proofs_are_not_known(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # as at 30 Jun 2005 P1's reoffence (proven 1 Jul 2005) is not known yet, and P2 is still in custody
    # (released 1 Oct 2005, after the extract date): no index date yet, so a cohort of one
    assert main(metrics(extract_dir(tmp_path / "x"), "--extract-date", "2005-06-30", "--json")) == 0
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert (result["cohort_size"], result["reoffenders"]) == (1, 0)
    assert out.err == ""  # as at an earlier day is what was asked: nothing to warn about


def test_a_command_imports_its_own_module_only_and_not_numpy(tmp_path: Path) -> None:
    """``yot metrics`` imports no other command's module and neither numpy, scipy nor statsmodels
    (start-up time of the command: issue 16); ``yot --help`` still lists every command."""
    from yot.cli import COMMANDS

    script = (
        "import sys\nfrom yot.cli import main\n"
        f"code = main({metrics(extract_dir(tmp_path / 'x'), '--json')!r})\n"
        "print(sorted(m for m in sys.modules if m.startswith('yot.cli.') or m.split('.')[0] in "
        "('numpy', 'scipy', 'statsmodels')), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cohort_size"] == 2
    assert done.stderr.strip().splitlines()[-1] == "['yot.cli._dates', 'yot.cli.metrics']"
    listed = subprocess.run([sys.executable, "-m", "yot", "--help"], cwd=ROOT, capture_output=True, text=True,
                            check=False, timeout=120)
    assert listed.returncode == 0
    assert all(f"    {name} " in listed.stdout for name in COMMANDS)


@pytest.mark.parametrize("command", ["validate", "metrics", "fte", "evaluate", "targets", "tracker", "compare"])
def test_each_command_keeps_its_own_options(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "--data" in capsys.readouterr().out


def test_called_with_arguments_main_leaves_the_garbage_collector_alone(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Only the program itself (``main()`` with no arguments: ``python -m yot``) freezes the objects
    left at its end, to spare the interpreter's shutdown collections; a caller's process is untouched."""
    import gc

    frozen = gc.get_freeze_count()
    assert main(metrics(extract_dir(tmp_path / "x"), "--json")) == 0
    assert json.loads(capsys.readouterr().out)["cohort_size"] == 2
    assert gc.get_freeze_count() == frozen
    script = ("import gc, sys\nfrom yot.cli import main\n"
              f"sys.argv = ['yot', *{metrics(extract_dir(tmp_path / 'y'), '--json')!r}]\n"
              "code = main()\nprint(gc.get_freeze_count() > 0, file=sys.stderr)\nsys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cohort_size"] == 2 and done.stderr.strip().endswith("True")
