"""The validated loader (yot.load): every contract rule, fatal input, both file formats.

Each test writes a tiny extract by hand into tmp_path; the expected counts, rows and rules are read
off the rows written in the test itself.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yot.contract import CUSTODY_OUTCOMES, OFFENCE_TYPES, OUTCOMES, TABLES
from yot.extract import Problem, TableCount
from yot.load import RULES, LoadError, load_extract, load_report, load_report_json, rule_counts, write_quarantine

PEOPLE = "person_id,date_of_birth,sex,ethnicity,yot"
OFFENCES = "offence_id,person_id,offence_date,outcome_date,offence_type,gravity,outcome,release_date"
INTERVENTIONS = "intervention_id,person_id,programme,start_date,end_date,status"
REFERRALS = "referral_id,person_id,programme,referral_date,risk_score,decision"
ASSESSMENTS = "person_id,assessment_date,asset_score"
SUBSTANCE = "person_id,review_date,use_change"
POPULATION = "yot,year,age,sex,count"
COMPARATORS = "area,area_type,period_start,period_end,cohort_size,reoffenders,reoffences,family,region"

GOOD_PEOPLE = ["P1,1990-01-01,M,White,Barnet", "P2,1991-06-15,F,Black,Barnet"]
GOOD_OFFENCES = [
    "O1,P1,2005-01-10,2005-02-01,theft,3,fine,",
    "O2,P2,2005-03-01,2005-04-01,robbery,5,detention_training_order,2005-10-01",
]


def write_table(folder: Path, table: str, header: str, rows: list[str]) -> Path:
    path = folder / f"{table}.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def make_dir(
    folder: Path,
    people: list[str] | None = None,
    offences: list[str] | None = None,
    **others: tuple[str, list[str]],
) -> Path:
    """An extract folder: people and offences (good rows by default) plus any (header, rows) tables."""
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder, "people", PEOPLE, GOOD_PEOPLE if people is None else people)
    write_table(folder, "offences", OFFENCES, GOOD_OFFENCES if offences is None else offences)
    for table, (header, rows) in others.items():
        write_table(folder, table, header, rows)
    return folder


# --- a clean extract -----------------------------------------------------------------------------


def test_clean_extract_loads_with_contract_types(tmp_path: Path) -> None:
    extract = load_extract(make_dir(tmp_path / "x"))
    assert extract.counts == {"people": TableCount(2, 2, 0), "offences": TableCount(2, 2, 0)}
    assert extract.problems == ()
    assert extract.present == frozenset({"people", "offences"})
    assert extract.people.schema == TABLES["people"].schema
    assert extract.offences.schema == TABLES["offences"].schema
    assert extract.offences.row(1) == (
        "O2", "P2", dt.date(2005, 3, 1), dt.date(2005, 4, 1), "robbery", 5,
        "detention_training_order", dt.date(2005, 10, 1),
    )
    assert extract.offences.get_column("release_date").to_list() == [None, dt.date(2005, 10, 1)]
    # absent optional tables are empty frames with the contract schema
    assert extract.interventions.height == 0
    assert extract.interventions.schema == TABLES["interventions"].schema
    assert not extract.has("interventions")
    assert extract.source == tmp_path / "x"
    assert extract.files == {"people": tmp_path / "x/people.csv", "offences": tmp_path / "x/offences.csv"}
    assert set(extract.quarantine) == {"people", "offences"}
    assert all(q.height == 0 for q in extract.quarantine.values())


def test_every_optional_table_loads(tmp_path: Path) -> None:
    folder = make_dir(
        tmp_path / "x",
        interventions=(INTERVENTIONS, ["I1,P1,ISSP,2005-02-10,,ongoing"]),
        referrals=(REFERRALS, ["R1,P2,YISP,2004-05-01,,accepted", "R2,P1,YISP,2004-06-01,40,declined"]),
        assessments=(ASSESSMENTS, ["P1,2005-01-20,64"]),
        substance_reviews=(SUBSTANCE, ["P2,2006-01-01,reduced"]),
        population=(POPULATION, ["Barnet,2005,10,M,2100", "Barnet,2005,17,F,0"]),
        comparators=(COMPARATORS, ["England,england,2005-01-01,2005-12-31,90000,30000,80000,,"]),
    )
    extract = load_extract(folder)
    assert extract.present == frozenset(TABLES)
    assert [c.quarantined for c in extract.counts.values()] == [0] * len(TABLES)
    assert extract.referrals.get_column("risk_score").to_list() == [None, 40]
    assert extract.interventions.get_column("end_date").to_list() == [None]
    assert extract.population.get_column("count").to_list() == [2100, 0]
    for name in TABLES:
        assert extract.table(name).schema == TABLES[name].schema


# --- one test per row rule -----------------------------------------------------------------------

# (table, header, rows with the broken one third, column, rule, value as reported)
RULE_CASES = {
    "missing_value": ("people", PEOPLE, [*GOOD_PEOPLE, "P3,1990-01-01,M,White,"], "yot", None),
    "missing_value_quoted_empty": ("people", PEOPLE, [*GOOD_PEOPLE, 'P3,1990-01-01,M,"",Barnet'], "ethnicity", None),
    "bad_date": ("people", PEOPLE, [*GOOD_PEOPLE, "P3,1990-02-30,M,White,Barnet"], "date_of_birth", "1990-02-30"),
    "bad_integer": ("offences", OFFENCES, [*GOOD_OFFENCES, "O3,P1,2005-01-10,2005-02-01,theft,3.0,fine,"], "gravity", "3.0"),
    "bad_integer_word": ("offences", OFFENCES, [*GOOD_OFFENCES, "O3,P1,2005-01-10,2005-02-01,theft,three,fine,"], "gravity", "three"),
    "out_of_range_high": ("offences", OFFENCES, [*GOOD_OFFENCES, "O3,P1,2005-01-10,2005-02-01,theft,9,fine,"], "gravity", "9"),
    "out_of_range_low": ("offences", OFFENCES, [*GOOD_OFFENCES, "O3,P1,2005-01-10,2005-02-01,theft,0,fine,"], "gravity", "0"),
    "unknown_code": ("people", PEOPLE, [*GOOD_PEOPLE, "P3,1990-01-01,m,White,Barnet"], "sex", "m"),
    "unknown_code_numeric": ("people", PEOPLE, [*GOOD_PEOPLE, "P3,1990-01-01,1,White,Barnet"], "sex", "1"),
    "unknown_code_outcome": ("offences", OFFENCES, [*GOOD_OFFENCES, "O3,P1,2005-01-10,2005-02-01,theft,3,Fine,"], "outcome", "Fine"),
    "unknown_person": ("offences", OFFENCES, [*GOOD_OFFENCES, "O3,P9,2005-01-10,2005-02-01,theft,3,fine,"], "person_id", "P9"),
    "offence_after_outcome": (
        "offences", OFFENCES, [*GOOD_OFFENCES, "O3,P1,2005-02-02,2005-02-01,theft,3,fine,"],
        "offence_date", "2005-02-02 (outcome_date 2005-02-01)",
    ),
    "release_not_custody": (
        "offences", OFFENCES, [*GOOD_OFFENCES, "O3,P1,2005-01-10,2005-02-01,theft,3,fine,2005-06-01"],
        "release_date", "2005-06-01 (outcome fine)",
    ),
    "release_before_outcome": (
        "offences", OFFENCES,
        [*GOOD_OFFENCES, "O3,P1,2005-01-10,2005-02-01,theft,3,section_90_91_detention,2005-01-31"],
        "release_date", "2005-01-31 (outcome_date 2005-02-01)",
    ),
}


@pytest.mark.parametrize("case", list(RULE_CASES))
def test_each_rule_sets_aside_exactly_the_broken_row(tmp_path: Path, case: str) -> None:
    table, header, rows, column, value = RULE_CASES[case]
    rule = next(r for r in RULES if case.startswith(r))
    folder = make_dir(tmp_path / "x")
    write_table(folder, table, header, rows)
    extract = load_extract(folder)

    assert extract.counts[table] == TableCount(read=3, accepted=2, quarantined=1)
    assert extract.problems == (Problem(table, 3, column, rule, value),)
    quarantine = extract.quarantine[table]
    assert quarantine.get_column("row").to_list() == [3]
    assert quarantine.get_column("rule").to_list() == [rule]
    # the set-aside row is kept as read, every column as text
    assert quarantine.drop("row", "rule").schema == dict.fromkeys(header.split(","), pl.String)
    first = rows[2].split(",")[0]
    assert quarantine.item(0, 0) == first
    assert first not in extract.table(table).get_column(header.split(",")[0]).to_list()


def test_duplicate_id_sets_aside_every_row_sharing_it(tmp_path: Path) -> None:
    offences = [*GOOD_OFFENCES, "O1,P2,2005-05-01,2005-06-01,theft,2,fine,"]
    extract = load_extract(make_dir(tmp_path / "x", offences=offences))
    assert extract.counts["offences"] == TableCount(3, 1, 2)
    assert extract.problems == (
        Problem("offences", 1, "offence_id", "duplicate_id", "O1"),
        Problem("offences", 3, "offence_id", "duplicate_id", "O1"),
    )
    assert extract.offences.get_column("offence_id").to_list() == ["O2"]
    assert extract.quarantine["offences"].get_column("row").to_list() == [1, 3]


def test_duplicated_person_takes_their_offences_with_them(tmp_path: Path) -> None:
    people = [*GOOD_PEOPLE, "P2,1991-06-15,F,Black,Barnet"]
    extract = load_extract(make_dir(tmp_path / "x", people=people))
    assert extract.counts["people"] == TableCount(3, 1, 2)
    assert extract.counts["offences"] == TableCount(2, 1, 1)
    assert extract.problems[-1] == Problem("offences", 2, "person_id", "unknown_person", "P2")


def test_offences_of_a_quarantined_person_follow_them(tmp_path: Path) -> None:
    # P2's date of birth is not a date: P2 is set aside, so are both of P2's offences (and any table's rows)
    people = ["P1,1990-01-01,M,White,Barnet", "P2,15/06/1991,F,Black,Barnet"]
    offences = [*GOOD_OFFENCES, "O3,P2,2006-01-01,2006-02-01,drugs,2,fine,"]
    folder = make_dir(
        tmp_path / "x", people=people, offences=offences,
        assessments=(ASSESSMENTS, ["P1,2005-01-20,30", "P2,2005-01-20,30"]),
    )
    extract = load_extract(folder)
    assert extract.counts["people"] == TableCount(2, 1, 1)
    assert extract.counts["offences"] == TableCount(3, 1, 2)
    assert extract.counts["assessments"] == TableCount(2, 1, 1)
    assert [p for p in extract.problems if p.rule == "unknown_person"] == [
        Problem("offences", 2, "person_id", "unknown_person", "P2"),
        Problem("offences", 3, "person_id", "unknown_person", "P2"),
        Problem("assessments", 2, "person_id", "unknown_person", "P2"),
    ]
    assert extract.offences.get_column("person_id").to_list() == ["P1"]


def test_end_before_start(tmp_path: Path) -> None:
    rows = ["I1,P1,ISSP,2005-02-10,2005-05-01,completed", "I2,P2,ETE,2005-02-10,2005-02-09,completed"]
    extract = load_extract(make_dir(tmp_path / "x", interventions=(INTERVENTIONS, rows)))
    assert extract.counts["interventions"] == TableCount(2, 1, 1)
    assert extract.problems == (
        Problem("interventions", 2, "end_date", "end_before_start", "2005-02-09 (start_date 2005-02-10)"),
    )


def test_same_day_and_open_dates_are_fine(tmp_path: Path) -> None:
    offences = [
        "O1,P1,2005-02-01,2005-02-01,theft,3,fine,",  # offence and outcome the same day
        "O2,P2,2005-03-01,2005-04-01,robbery,5,detention_training_order,2005-04-01",  # released the day of sentence
        "O3,P2,2005-03-01,2005-04-01,robbery,5,section_90_91_detention,",  # still in custody
    ]
    rows = ["I1,P1,ISSP,2005-02-10,2005-02-10,completed", "I2,P1,ISSP,2005-02-10,,ongoing"]
    extract = load_extract(make_dir(tmp_path / "x", offences=offences, interventions=(INTERVENTIONS, rows)))
    assert extract.problems == ()
    assert extract.counts["offences"].accepted == 3


def test_out_of_range_in_other_tables(tmp_path: Path) -> None:
    folder = make_dir(
        tmp_path / "x",
        referrals=(REFERRALS, ["R1,P1,YISP,2004-05-01,41,accepted", "R2,P1,YISP,2004-05-01,-1,accepted"]),
        assessments=(ASSESSMENTS, ["P1,2005-01-20,65"]),
        population=(POPULATION, ["Barnet,2005,9,M,100", "Barnet,2005,12,M,-5", "Barnet,2005,12,U,5"]),
    )
    got = [(p.table, p.row, p.column, p.rule, p.value) for p in load_extract(folder).problems]
    assert got == [
        ("referrals", 1, "risk_score", "out_of_range", "41"),
        ("referrals", 2, "risk_score", "out_of_range", "-1"),
        ("assessments", 1, "asset_score", "out_of_range", "65"),
        ("population", 1, "age", "out_of_range", "9"),
        ("population", 2, "count", "out_of_range", "-5"),
        ("population", 3, "sex", "unknown_code", "U"),
    ]


def test_a_row_breaking_several_rules_is_set_aside_once(tmp_path: Path) -> None:
    offences = [*GOOD_OFFENCES, "O3,P9,2005-03-01,2005-02-01,Theft,x,fine,2005-01-01"]
    extract = load_extract(make_dir(tmp_path / "x", offences=offences))
    assert extract.counts["offences"] == TableCount(3, 2, 1)
    assert [(p.column, p.rule) for p in extract.problems] == [
        ("person_id", "unknown_person"),
        ("offence_type", "unknown_code"),
        ("gravity", "bad_integer"),
        ("offence_date", "offence_after_outcome"),
        ("release_date", "release_not_custody"),
        ("release_date", "release_before_outcome"),
    ]
    assert extract.quarantine["offences"].get_column("rule").to_list() == [
        "bad_integer; unknown_code; unknown_person; offence_after_outcome; release_not_custody; "
        "release_before_outcome"
    ]


@pytest.mark.parametrize("text", ["01/02/2005", "2005-2-1", "2005/02/01", "2005-02-01T00:00:00", " 2005-02-01", "20050201", "2005-13-01"])
def test_dates_in_other_formats_are_bad_dates(tmp_path: Path, text: str) -> None:
    offences = [*GOOD_OFFENCES, f"O3,P1,{text},2005-02-01,theft,3,fine,"]
    extract = load_extract(make_dir(tmp_path / "x", offences=offences))
    assert extract.problems == (Problem("offences", 3, "offence_date", "bad_date", text),)


def test_29_february_only_in_leap_years(tmp_path: Path) -> None:
    people = ["P1,1992-02-29,M,White,Barnet", "P2,1991-02-29,F,Black,Barnet"]
    extract = load_extract(make_dir(tmp_path / "x", people=people, offences=[]))
    assert extract.people.get_column("date_of_birth").to_list() == [dt.date(1992, 2, 29)]
    assert extract.problems == (Problem("people", 2, "date_of_birth", "bad_date", "1991-02-29"),)


def test_leading_zeros_and_extra_columns_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    write_table(folder, "people", "yot,note,person_id,date_of_birth,sex,ethnicity", [
        "Barnet,first,007,1990-01-01,M,White",
        "Barnet,,0042,1991-01-01,F,Asian",
    ])
    write_table(folder, "offences", OFFENCES + ",court", ["O1,007,2005-01-10,2005-02-01,theft,3,fine,,Hendon"])
    extract = load_extract(folder)
    assert extract.people.columns == [*TABLES["people"].column_names, "note"]
    assert extract.people.get_column("person_id").to_list() == ["007", "0042"]
    assert extract.people.get_column("note").to_list() == ["first", None]
    assert extract.offences.get_column("court").to_list() == ["Hendon"]
    assert extract.offences.get_column("person_id").to_list() == ["007"]


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x", referrals=(REFERRALS.replace(",risk_score", ""), ["R1,P1,YISP,2004-05-01,accepted"]))
    write_table(folder, "offences", OFFENCES.replace(",release_date", ""), ["O1,P1,2005-01-10,2005-02-01,theft,3,fine"])
    extract = load_extract(folder)
    assert extract.problems == ()
    assert extract.offences.schema == TABLES["offences"].schema
    assert extract.offences.get_column("release_date").to_list() == [None]
    assert extract.referrals.get_column("risk_score").to_list() == [None]
    # the quarantine keeps the file's own columns only
    assert extract.quarantine["offences"].columns == [*OFFENCES.split(",")[:-1], "row", "rule"]


def test_header_only_csv_is_an_empty_table(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x", offences=[], interventions=(INTERVENTIONS, []))
    (folder / "offences.csv").write_text(OFFENCES + "\n")
    (folder / "interventions.csv").write_text(INTERVENTIONS)  # no final newline either
    extract = load_extract(folder)
    assert extract.counts["offences"] == TableCount(0, 0, 0)
    assert extract.counts["interventions"] == TableCount(0, 0, 0)
    assert extract.has("interventions")
    assert extract.offences.schema == TABLES["offences"].schema


def test_windows_line_endings(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x")
    (folder / "people.csv").write_bytes(("\r\n".join([PEOPLE, *GOOD_PEOPLE]) + "\r\n").encode())
    extract = load_extract(folder)
    assert extract.problems == ()
    assert extract.people.get_column("yot").to_list() == ["Barnet", "Barnet"]


def test_blank_lines_are_not_rows_but_keep_their_place(tmp_path: Path) -> None:
    # line 3 of the file is blank and line 5 holds only commas: neither is a record; the rows after
    # them keep their place in the file (data row 4 is the bad date)
    offences = [GOOD_OFFENCES[0], "", GOOD_OFFENCES[1], ",,,,,,,", "O3,P1,2005-01-10,2005-02-31,theft,3,fine,", ""]
    extract = load_extract(make_dir(tmp_path / "x", offences=offences))
    assert extract.counts["offences"] == TableCount(3, 2, 1)
    assert extract.problems == (Problem("offences", 5, "outcome_date", "bad_date", "2005-02-31"),)


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x")
    (folder / "people.csv").write_bytes(("\ufeff" + PEOPLE + "\n" + "\n".join(GOOD_PEOPLE) + "\n").encode("utf-8"))
    assert load_extract(folder).counts["people"] == TableCount(2, 2, 0)


def test_non_ascii_text_is_fine(tmp_path: Path) -> None:
    extract = load_extract(make_dir(tmp_path / "x", people=["P1,1990-01-01,M,White,Hammersmith & Fulham – West"]))
    assert extract.people.get_column("yot").to_list() == ["Hammersmith & Fulham – West"]


# --- fatal problems ------------------------------------------------------------------------------


def fatal(folder: Path) -> str:
    with pytest.raises(LoadError) as info:
        load_extract(folder)
    return str(info.value)


def test_missing_folder_is_fatal(tmp_path: Path) -> None:
    assert fatal(tmp_path / "nowhere") == f"{tmp_path / 'nowhere'}: no such folder"


def test_a_file_instead_of_a_folder_is_fatal(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("x\n")
    assert "not a folder" in fatal(tmp_path / "f.csv")


@pytest.mark.parametrize("table", ["people", "offences"])
def test_missing_required_table_is_fatal(tmp_path: Path, table: str) -> None:
    folder = make_dir(tmp_path / "x")
    (folder / f"{table}.csv").unlink()
    assert fatal(folder) == f"{folder}: required table {table!r} is missing (expected {table}.parquet or {table}.csv)"


def test_missing_contract_column_is_fatal_and_named(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x")
    write_table(folder, "offences", OFFENCES.replace("gravity,", ""), ["O1,P1,2005-01-10,2005-02-01,theft,fine,"])
    message = fatal(folder)
    assert message.startswith(f"{folder / 'offences.csv'}: column 'gravity' is missing")


def test_column_names_are_exact(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x")
    write_table(folder, "people", PEOPLE.replace("person_id", "Person_ID"), GOOD_PEOPLE)
    message = fatal(folder)
    assert "column 'person_id' is missing (found 'Person_ID'" in message


def test_a_semicolon_separated_file_is_fatal(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x")
    write_table(folder, "people", PEOPLE.replace(",", ";"), [r.replace(",", ";") for r in GOOD_PEOPLE])
    assert "column 'person_id' is missing" in fatal(folder)


def test_an_empty_file_is_fatal(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x")
    (folder / "offences.csv").write_bytes(b"")
    assert fatal(folder) == f"{folder / 'offences.csv'}: the file is empty (0 bytes): expected at least a header row"


def test_an_optional_table_that_is_an_empty_file_is_fatal_too(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x")
    (folder / "population.csv").write_bytes(b"")
    assert "population.csv: the file is empty" in fatal(folder)


def test_non_utf8_bytes_are_fatal_naming_the_line(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x")
    # a Latin-1 e-acute on the third line of the file (the second data row)
    (folder / "people.csv").write_bytes(
        (PEOPLE + "\n" + GOOD_PEOPLE[0] + "\n").encode() + b"P2,1991-06-15,F,Black,Barnet Caf\xe9\n"
    )
    assert fatal(folder) == f"{folder / 'people.csv'}: not UTF-8 text: the first bad byte is on line 3"


def test_a_record_with_more_fields_than_the_header_is_fatal(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x", offences=[*GOOD_OFFENCES, "O3,P1,2005-01-10,2005-02-01,theft,3,fine,,extra"])
    assert fatal(folder) == f"{folder / 'offences.csv'}: a record has more fields than the header (line 4)"


def test_a_repeated_column_is_fatal(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x")
    write_table(folder, "people", PEOPLE + ",sex", [r + ",F" for r in GOOD_PEOPLE])
    assert "column 'sex' appears more than once" in fatal(folder)


def test_nothing_is_half_loaded(tmp_path: Path) -> None:
    # a fatal problem in the last table read still stops the whole load
    folder = make_dir(tmp_path / "x")
    (folder / "substance_reviews.csv").write_bytes(b"person_id,review_date\nP1,2005-01-01\n")
    assert "substance_reviews.csv: column 'use_change' is missing" in fatal(folder)


# --- Parquet -------------------------------------------------------------------------------------


def people_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "person_id": ["007", "P2"],
        "date_of_birth": [dt.date(1990, 1, 1), dt.date(1991, 6, 15)],
        "sex": ["M", "F"],
        "ethnicity": ["White", "Black"],
        "yot": ["Barnet", "Barnet"],
    })


def offences_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "offence_id": ["O1", "O2"],
        "person_id": ["007", "P2"],
        "offence_date": [dt.date(2005, 1, 10), dt.date(2005, 3, 1)],
        "outcome_date": [dt.date(2005, 2, 1), dt.date(2005, 4, 1)],
        "offence_type": ["theft", "robbery"],
        "gravity": [3, 5],
        "outcome": ["fine", "detention_training_order"],
        "release_date": [None, dt.date(2005, 10, 1)],
        "court": [1, 2],
    })


def parquet_dir(folder: Path, people: pl.DataFrame | None = None, offences: pl.DataFrame | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (people_frame() if people is None else people).write_parquet(folder / "people.parquet")
    (offences_frame() if offences is None else offences).write_parquet(folder / "offences.parquet")
    return folder


def test_typed_parquet_loads(tmp_path: Path) -> None:
    extract = load_extract(parquet_dir(tmp_path / "x"))
    assert extract.problems == ()
    assert extract.offences.drop("court").schema == TABLES["offences"].schema
    assert extract.offences.get_column("court").to_list() == [1, 2]  # extra column kept, as stored
    assert extract.people.get_column("person_id").to_list() == ["007", "P2"]
    assert extract.files["people"].suffix == ".parquet"


def test_parquet_wins_over_csv(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x", people=["X1,1990-01-01,M,White,Barnet"], offences=[])
    parquet_dir(folder)
    extract = load_extract(folder)
    assert extract.people.get_column("person_id").to_list() == ["007", "P2"]
    assert extract.files == {"people": folder / "people.parquet", "offences": folder / "offences.parquet"}


def test_a_parquet_file_that_is_not_parquet_is_fatal(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x")
    (folder / "offences.parquet").write_text(OFFENCES + "\n" + GOOD_OFFENCES[0] + "\n")
    assert fatal(folder).startswith(f"{folder / 'offences.parquet'}: not a readable Parquet file")


def test_an_empty_parquet_file_is_fatal(tmp_path: Path) -> None:
    folder = make_dir(tmp_path / "x")
    (folder / "people.parquet").write_bytes(b"")
    assert fatal(folder).startswith(f"{folder / 'people.parquet'}: not a readable Parquet file")


def test_numeric_identifiers_in_parquet_are_fatal(tmp_path: Path) -> None:
    people = people_frame().with_columns(pl.Series("person_id", [7, 2]))
    offences = offences_frame().with_columns(pl.Series("person_id", [7, 2]))
    folder = parquet_dir(tmp_path / "x", people=people, offences=offences)
    assert fatal(folder) == (
        f"{folder / 'people.parquet'}: column 'person_id' is stored as numbers (Int64): "
        "identifiers must be strings: leading zeros would be lost"
    )


def test_typed_parquet_rows_break_rules_like_csv_rows(tmp_path: Path) -> None:
    offences = offences_frame().with_columns(
        pl.Series("offence_date", [dt.date(2005, 2, 2), dt.date(2005, 3, 1)]),
        pl.Series("gravity", [3, 9], dtype=pl.Int8),
    )
    extract = load_extract(parquet_dir(tmp_path / "x", offences=offences))
    assert extract.problems == (
        Problem("offences", 1, "offence_date", "offence_after_outcome", "2005-02-02 (outcome_date 2005-02-01)"),
        Problem("offences", 2, "gravity", "out_of_range", "9"),
    )
    assert extract.counts["offences"] == TableCount(2, 0, 2)
    quarantine = extract.quarantine["offences"]
    assert quarantine.row(1) == (
        "O2", "P2", "2005-03-01", "2005-04-01", "robbery", "9", "detention_training_order", "2005-10-01", "2", 2,
        "out_of_range",
    )
    assert set(quarantine.drop("row").schema.values()) == {pl.String}


def test_parquet_text_columns_go_through_the_same_rules(tmp_path: Path) -> None:
    # dates stored as text, a gravity stored as text: checked exactly like a CSV
    offences = offences_frame().with_columns(
        pl.Series("offence_date", ["2005-01-10", "01/03/2005"]),
        pl.Series("gravity", ["3", "high"]),
    )
    extract = load_extract(parquet_dir(tmp_path / "x", offences=offences))
    assert extract.problems == (
        Problem("offences", 2, "offence_date", "bad_date", "01/03/2005"),
        Problem("offences", 2, "gravity", "bad_integer", "high"),
    )
    assert extract.quarantine["offences"].row(0) == (
        "O2", "P2", "01/03/2005", "2005-04-01", "robbery", "high", "detention_training_order", "2005-10-01",
        "2", 2, "bad_date; bad_integer",
    )


def test_parquet_numbers_stored_as_floats(tmp_path: Path) -> None:
    # pandas writes an integer column with gaps as floats: whole values are fine, 2.5 is not
    offences = pl.concat([offences_frame()] * 2).with_columns(
        pl.Series("offence_id", ["O1", "O2", "O3", "O4"]),
        pl.Series("gravity", [3.0, 5.0, 2.5, float("nan")]),
    )
    extract = load_extract(parquet_dir(tmp_path / "x", offences=offences))
    assert extract.offences.get_column("gravity").to_list() == [3, 5]
    assert extract.problems == (
        Problem("offences", 3, "gravity", "bad_integer", "2.5"),
        Problem("offences", 4, "gravity", "missing_value", None),
    )


def test_parquet_datetimes_at_midnight_are_dates(tmp_path: Path) -> None:
    people = people_frame().with_columns(
        pl.Series("date_of_birth", [dt.datetime(1990, 1, 1), dt.datetime(1991, 6, 15, 13, 30)])
    )
    extract = load_extract(parquet_dir(tmp_path / "x", people=people))
    assert extract.people.get_column("date_of_birth").to_list() == [dt.date(1990, 1, 1)]
    assert [(p.table, p.row, p.rule, p.value) for p in extract.problems] == [
        ("people", 2, "bad_date", "1991-06-15 13:30:00.000000"),
        ("offences", 2, "unknown_person", "P2"),
    ]


def test_a_numeric_code_in_parquet_is_an_unknown_code(tmp_path: Path) -> None:
    people = people_frame().with_columns(pl.Series("sex", [1, 2]))
    extract = load_extract(parquet_dir(tmp_path / "x", people=people))
    assert [(p.table, p.row, p.column, p.rule, p.value) for p in extract.problems[:2]] == [
        ("people", 1, "sex", "unknown_code", "1"),
        ("people", 2, "sex", "unknown_code", "2"),
    ]


def test_csv_and_parquet_give_the_same_extract(tmp_path: Path) -> None:
    csv = load_extract(make_dir(tmp_path / "csv", people=["007,1990-01-01,M,White,Barnet", "P2,1991-06-15,F,Black,Barnet"],
                                offences=["O1,007,2005-01-10,2005-02-01,theft,3,fine,",
                                          "O2,P2,2005-03-01,2005-04-01,robbery,5,detention_training_order,2005-10-01"]))
    parquet = load_extract(parquet_dir(tmp_path / "pq", offences=offences_frame().drop("court")))
    assert csv.people.equals(parquet.people)
    assert csv.offences.equals(parquet.offences)


# --- reports and the quarantine files ------------------------------------------------------------


def test_load_report_shape(tmp_path: Path) -> None:
    offences = [*GOOD_OFFENCES, "O3,P1,2005-01-10,2005-02-01,theft,3,Fine,"]
    folder = make_dir(tmp_path / "x", offences=offences, population=(POPULATION, ["Barnet,2005,12,M,100"]))
    report = load_report(load_extract(folder))
    assert report == {
        "tables": {
            "people": {"read": 2, "accepted": 2, "quarantined": 0},
            "offences": {"read": 3, "accepted": 2, "quarantined": 1},
            "population": {"read": 1, "accepted": 1, "quarantined": 0},
        },
        "problems": [{"table": "offences", "row": 3, "column": "outcome", "rule": "unknown_code", "value": "Fine"}],
    }
    assert list(report["tables"]) == ["people", "offences", "population"]


@pytest.mark.parametrize("bad", [True, False])
def test_load_report_json_is_the_load_report(tmp_path: Path, bad: bool) -> None:
    offences = [*GOOD_OFFENCES, 'O3,P1,2005-01-10,2005-02-01,"the ""worst"" – café",3,fine,'] if bad else None
    extract = load_extract(make_dir(tmp_path / "x", offences=offences))
    text = load_report_json(extract)
    assert json.loads(text) == load_report(extract)
    if bad:
        assert json.loads(text)["problems"][0]["value"] == 'the "worst" – café'


def test_write_quarantine_writes_rows_as_read_with_row_and_rule(tmp_path: Path) -> None:
    people = [*GOOD_PEOPLE, "0003,1990-02-30,M,White,Barnet"]
    extract = load_extract(make_dir(tmp_path / "x", people=people))
    written = write_quarantine(extract, tmp_path / "q")
    assert written == [tmp_path / "q/people.csv"]  # offences has no set-aside row: no file
    assert (tmp_path / "q/people.csv").read_text() == (
        "person_id,date_of_birth,sex,ethnicity,yot,row,rule\n0003,1990-02-30,M,White,Barnet,3,bad_date\n"
    )


def test_write_quarantine_writes_nothing_for_a_clean_extract(tmp_path: Path) -> None:
    assert write_quarantine(load_extract(make_dir(tmp_path / "x")), tmp_path / "q") == []


def test_rule_counts_and_descriptions(tmp_path: Path) -> None:
    offences = [*GOOD_OFFENCES, "O1,P9,2005-01-10,2005-02-01,theft,3,fine,"]
    counts = rule_counts(load_extract(make_dir(tmp_path / "x", offences=offences)))
    assert counts.rows() == [
        ("offences", "duplicate_id", 2, RULES["duplicate_id"]),
        ("offences", "unknown_person", 1, RULES["unknown_person"]),
    ]


def test_every_rule_has_a_plain_description() -> None:
    assert len(RULES) == 13
    assert all(isinstance(text, str) and len(text) > 10 for text in RULES.values())


# --- property: nothing is lost, and what is accepted meets the rules -----------------------------

ROW_KINDS = {
    "good": "{i},P1,2005-01-10,2005-02-01,theft,3,fine,",
    "custody": "{i},P2,2005-01-10,2005-02-01,robbery,8,detention_training_order,2005-06-30",
    "bad_date": "{i},P1,2005-02-30,2005-03-01,theft,3,fine,",
    "other_format": "{i},P1,10/01/2005,2005-02-01,theft,3,fine,",
    "bad_integer": "{i},P1,2005-01-10,2005-02-01,theft,2.0,fine,",
    "out_of_range": "{i},P2,2005-01-10,2005-02-01,theft,12,fine,",
    "unknown_code": "{i},P1,2005-01-10,2005-02-01,Theft,3,fine,",
    "missing_value": "{i},P1,,2005-02-01,theft,3,fine,",
    "unknown_person": "{i},P3,2005-01-10,2005-02-01,theft,3,fine,",
    "quarantined_person": "{i},PX,2005-01-10,2005-02-01,theft,3,fine,",
    "after": "{i},P1,2005-03-10,2005-02-01,theft,3,fine,",
    "release_not_custody": "{i},P1,2005-01-10,2005-02-01,theft,3,fine,2005-03-01",
    "release_before": "{i},P2,2005-01-10,2005-02-01,theft,3,detention_training_order,2005-01-01",
}
GOOD_KINDS = {"good", "custody"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(sorted(ROW_KINDS)), max_size=25), fmt=st.sampled_from(["csv", "parquet"]))
def test_read_is_accepted_plus_quarantined_and_accepted_rows_meet_the_rules(kinds: list[str], fmt: str) -> None:
    people = [*GOOD_PEOPLE, "PX,1990-01-01,X,White,Barnet"]  # PX breaks a rule: their offences follow
    rows = [ROW_KINDS[kind].format(i=f"O{i:03d}") for i, kind in enumerate(kinds)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_dir(Path(tmp), people=people, offences=rows)
        if fmt == "parquet":
            frame = pl.read_csv(folder / "offences.csv", infer_schema=False)
            frame.write_parquet(folder / "offences.parquet")
        extract = load_extract(folder)

    count = extract.counts["offences"]
    assert count.read == count.accepted + count.quarantined == len(kinds)
    broken_rows = [i + 1 for i, kind in enumerate(kinds) if kind not in GOOD_KINDS]
    assert extract.quarantine["offences"].get_column("row").to_list() == broken_rows
    assert count.quarantined == len(broken_rows)

    accepted = extract.offences
    assert accepted.null_count().select(pl.exclude("release_date")).sum_horizontal().item() == 0
    assert accepted.get_column("offence_type").is_in(list(OFFENCE_TYPES)).all()
    assert accepted.get_column("outcome").is_in(list(OUTCOMES)).all()
    assert accepted.get_column("gravity").is_between(1, 8).all()
    assert accepted.get_column("person_id").is_in(extract.people.get_column("person_id").implode()).all()
    assert (accepted.get_column("offence_date") <= accepted.get_column("outcome_date")).all()
    released = accepted.filter(pl.col("release_date").is_not_null())
    assert released.get_column("outcome").is_in(list(CUSTODY_OUTCOMES)).all()
    assert (released.get_column("release_date") >= released.get_column("outcome_date")).all()
    assert accepted.get_column("offence_id").is_unique().all()


# --- the problems sequence -----------------------------------------------------------------------


def test_problems_behave_like_a_tuple_of_problem(tmp_path: Path) -> None:
    offences = [*GOOD_OFFENCES, "O3,P9,2005-01-10,2005-02-01,theft,3,fine,", "O4,P1,2005-01-10,2005-02-01,theft,0,fine,"]
    problems = load_extract(make_dir(tmp_path / "x", offences=offences)).problems
    first = Problem("offences", 3, "person_id", "unknown_person", "P9")
    last = Problem("offences", 4, "gravity", "out_of_range", "0")
    assert len(problems) == 2
    assert problems[0] == first and problems[-1] == last
    assert problems[:1] == (first,)
    assert list(problems) == [first, last]
    assert problems == (first, last) and problems != (last, first) and problems != (first,)
    assert tuple(problems) == (first, last)
    with pytest.raises(IndexError):
        problems[2]
    assert "unknown_person" in repr(problems)


def test_reports_of_an_extract_made_in_memory() -> None:
    from yot.extract import make_extract

    extract = make_extract(
        people=[{"person_id": "P1", "date_of_birth": dt.date(1990, 1, 1), "sex": "M", "ethnicity": "White", "yot": "B"}],
        offences=[],
    )
    assert load_report(extract) == {
        "tables": {
            "people": {"read": 1, "accepted": 1, "quarantined": 0},
            "offences": {"read": 0, "accepted": 0, "quarantined": 0},
        },
        "problems": [],
    }
    assert rule_counts(extract).height == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.binary(max_size=200),
        st.lists(
            st.lists(st.sampled_from(["", "P1", "2005-01-01", "x", '"', '"a,b"', "é", "\r", "3", ";"]), max_size=9).map(",".join),
            max_size=6,
        ).map(lambda lines: "\n".join(lines).encode()),
    ),
    fmt=st.sampled_from(["csv", "parquet"]),
)
def test_any_bytes_either_load_or_give_a_load_error(body: bytes, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_dir(Path(tmp))
        (folder / f"offences.{fmt}").write_bytes(OFFENCES.encode() + b"\n" + body if fmt == "csv" else body)
        try:
            extract = load_extract(folder)
        except LoadError as exc:
            assert "offences" in str(exc)
        else:
            count = extract.counts["offences"]
            assert count.read == count.accepted + count.quarantined
