"""``yot fte``: the exact JSON shape, the readable summary, usage and input errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from yot.cli import main

ROOT = Path(__file__).resolve().parents[1]

PEOPLE = (
    "person_id,date_of_birth,sex,ethnicity,yot\n"
    "P1,1990-01-01,M,White,Barnet\n"     # first proven at 15 on 1 June 2005: FTE
    "P2,1995-04-01,F,Asian,Barnet\n"     # first proven on the 10th birthday, on the start: FTE
    "P3,1987-01-01,M,Black,Barnet\n"     # first proven at 18: not
    "P4,1990-01-01,F,White,Barnet\n"     # first proven before the period: not
)
OFFENCES = (
    "offence_id,person_id,offence_date,outcome_date,offence_type,gravity,outcome,release_date\n"
    "O1,P1,2005-05-01,2005-06-01,theft,3,reprimand,\n"
    "O2,P1,2005-05-02,2005-06-01,theft,3,reprimand,\n"
    "O3,P2,2005-03-01,2005-04-01,theft,3,final_warning,\n"
    "O4,P3,2005-05-01,2005-06-01,theft,3,fine,\n"
    "O5,P4,2004-05-01,2004-06-01,theft,3,reprimand,\n"
    "O6,P4,2005-05-01,2005-06-01,theft,3,reprimand,\n"
)


def population_csv(years: list[int]) -> str:
    rows = ["yot,year,age,sex,count"]
    rows += [f"Barnet,{y},{a},{s},{100 if s == 'M' else 150}" for y in years for a in range(10, 18) for s in "MF"]
    return "\n".join(rows) + "\n"


def extract_dir(folder: Path, population_years: list[int] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "people.csv").write_text(PEOPLE)
    (folder / "offences.csv").write_text(OFFENCES)
    if population_years is not None:
        (folder / "population.csv").write_text(population_csv(population_years))
    return folder


def run_json(folder: Path, capsys: pytest.CaptureFixture[str], start="2005-04-01", end="2006-03-31") -> dict:
    code = main(["fte", "--data", str(folder), "--start", start, "--end", end, "--json"])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def test_json_shape_and_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(extract_dir(tmp_path / "x", [2005]), capsys)
    assert list(result) == ["period", "fte", "population_10_17", "rate_per_100k", "by"]
    assert result["period"] == {"start": "2005-04-01", "end": "2006-03-31"}
    assert result["fte"] == 2
    assert result["population_10_17"] == 2000  # 8 ages x (100 + 150)
    assert result["rate_per_100k"] == pytest.approx(100.0)  # 2 / 2000 * 100,000
    assert list(result["by"]) == ["sex", "age", "ethnicity"]
    assert list(result["by"]["sex"]) == ["M", "F", "U"]
    assert list(result["by"]["age"]) == [str(a) for a in range(10, 18)]
    assert list(result["by"]["ethnicity"]) == ["White", "Mixed", "Asian", "Black", "Other", "Unknown"]
    assert result["by"]["sex"]["M"] == {"fte": 1, "population": 800, "rate_per_100k": pytest.approx(125.0)}
    assert result["by"]["sex"]["F"] == {"fte": 1, "population": 1200, "rate_per_100k": pytest.approx(1 / 12 * 1000)}
    assert result["by"]["sex"]["U"] == {"fte": 0, "population": None, "rate_per_100k": None}
    assert result["by"]["age"]["10"] == {"fte": 1, "population": 250, "rate_per_100k": pytest.approx(400.0)}
    assert result["by"]["age"]["15"]["fte"] == 1 and result["by"]["age"]["17"]["fte"] == 0
    assert result["by"]["ethnicity"]["Asian"] == {"fte": 1, "population": None, "rate_per_100k": None}
    assert result["by"]["ethnicity"]["Black"]["fte"] == 0


def test_missing_population_year_is_null_not_a_wrong_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(extract_dir(tmp_path / "x", [2004, 2006]), capsys)
    assert result["fte"] == 2 and result["population_10_17"] is None and result["rate_per_100k"] is None
    assert result["by"]["age"]["10"] == {"fte": 1, "population": None, "rate_per_100k": None}


def test_no_population_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(extract_dir(tmp_path / "x"), capsys)
    assert result["fte"] == 2 and result["rate_per_100k"] is None


def test_readable_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fte", "--data", str(extract_dir(tmp_path / "x", [2005])), "--start", "2005-04-01",
                 "--end", "2006-03-31"])
    out = capsys.readouterr().out
    assert code == 0
    assert "First-time entrants aged 10 to 17, 2005-04-01 to 2006-03-31" in out
    assert "100.0" in out and "2,000" in out


def test_start_after_end_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fte", "--data", str(extract_dir(tmp_path / "x")), "--start", "2006-01-01", "--end", "2005-01-01",
                 "--json"])
    err = capsys.readouterr().err
    assert code == 1 and "after" in err


def test_bad_date_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fte", "--data", "x", "--start", "2006-02-30", "--end", "2007-01-01"])
    assert exc.value.code == 1


def test_missing_extract_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fte", "--data", str(tmp_path / "nowhere"), "--start", "2005-04-01", "--end", "2006-03-31", "--json"])
    assert exc.value.code == 2 and capsys.readouterr().err


def test_python_dash_m(tmp_path: Path) -> None:
    folder = extract_dir(tmp_path / "x", [2005])
    done = subprocess.run([sys.executable, "-m", "yot", "fte", "--data", str(folder), "--start", "2005-04-01",
                           "--end", "2006-03-31", "--json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fte"] == 2


def test_csv_is_tidy_one_row_per_group_with_plain_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import csv
    import io

    target = tmp_path / "fte.csv"
    code = main(["fte", "--data", str(extract_dir(tmp_path / "x", [2005])), "--start", "2005-04-01",
                 "--end", "2006-03-31", "--csv", str(target)])
    assert code == 0 and "First-time entrants aged 10 to 17" in capsys.readouterr().out  # the summary still printed
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(rows) == 1 + 3 + 8 + 6  # all, sexes, ages 10-17, ethnicities
    assert rows[0] == {"period_start": "2005-04-01", "period_end": "2006-03-31", "breakdown": "all", "group": "all",
                       "fte": "2", "population": "2000", "rate_per_100k": "100.0"}
    male = next(r for r in rows if r["breakdown"] == "sex" and r["group"] == "M")
    assert (male["fte"], male["population"], float(male["rate_per_100k"])) == ("1", "800", 125.0)
    unknown = next(r for r in rows if r["breakdown"] == "sex" and r["group"] == "U")
    assert (unknown["population"], unknown["rate_per_100k"]) == ("", "")  # no population: empty, not 0


def test_csv_on_standard_output_replaces_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fte", "--data", str(extract_dir(tmp_path / "x", [2005])), "--start", "2005-04-01",
                 "--end", "2006-03-31", "--csv", "-"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("period_start,period_end,breakdown,group,fte,population,rate_per_100k\n")
    assert "First-time entrants" not in out


def test_as_at_an_extract_date_offences_proven_later_are_not_known(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = extract_dir(tmp_path / "x", [2005])
    code = main(["fte", "--data", str(folder), "--start", "2005-04-01", "--end", "2006-03-31",
                 "--extract-date", "2005-05-01", "--json"])
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert code == 0 and result["fte"] == 1  # P2 (proven 1 Apr 2005); P1's first proof (1 Jun) not known yet
    assert result["by"]["sex"]["F"]["fte"] == 1 and result["by"]["sex"]["M"]["fte"] == 0
    assert out.err == ""  # as at an earlier day is the point of the option: nothing to warn about


def test_an_extract_date_after_the_data_is_allowed_and_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = extract_dir(tmp_path / "x", [2005])
    code = main(["fte", "--data", str(folder), "--start", "2005-04-01", "--end", "2006-03-31",
                 "--extract-date", "2010-01-01"])
    out = capsys.readouterr()
    assert code == 0 and "Note: extract date 2010-01-01 is after the latest date in the data (2005-06-01)" in out.out
    assert "2,000" in out.out  # the same figures


def test_a_period_with_no_data_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = extract_dir(tmp_path / "x", [1999])
    assert main(["fte", "--data", str(folder), "--start", "1999-04-01", "--end", "2000-03-31", "--json"]) == 0
    out = capsys.readouterr()
    assert "notes" not in json.loads(out.out)
    assert out.err == "yot: note: no data: the extract holds no offence proven from 1999-04-01 to 2000-03-31\n"
    assert main(["fte", "--data", str(folder), "--start", "1999-04-01", "--end", "2000-03-31"]) == 0
    assert "Note: no data: the extract holds no offence proven" in capsys.readouterr().out
