"""The extract object: ``as_at`` (METHODS.md "Extract date and as at runs") and the comparators table.

Hand-made tables; every expected row is read off the rows written here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from yot.cohort import default_extract_date, reoffending
from yot.extract import as_at, latest_date, make_extract
from yot.load import load_extract

D = dt.date


def _extract():
    return make_extract(
        people=[{"person_id": "A", "date_of_birth": D(1990, 1, 1), "sex": "M", "ethnicity": "White", "yot": "X"},
                {"person_id": "B", "date_of_birth": D(1990, 1, 1), "sex": "F", "ethnicity": "Black", "yot": "X"}],
        offences=[
            # A: proven 2005-03-01; reoffends 2005-06-01, proven 2005-09-01 (after the as-at date below)
            {"offence_id": "1", "person_id": "A", "offence_date": D(2005, 1, 1), "outcome_date": D(2005, 3, 1),
             "offence_type": "theft", "gravity": 3, "outcome": "fine"},
            {"offence_id": "2", "person_id": "A", "offence_date": D(2005, 6, 1), "outcome_date": D(2005, 9, 1),
             "offence_type": "theft", "gravity": 3, "outcome": "fine"},
            # B: custody from 2005-02-01, released 2005-08-01 (after the as-at date)
            {"offence_id": "3", "person_id": "B", "offence_date": D(2005, 1, 1), "outcome_date": D(2005, 2, 1),
             "offence_type": "robbery", "gravity": 6, "outcome": "detention_training_order",
             "release_date": D(2005, 8, 1)},
        ],
        interventions=[
            {"intervention_id": "I1", "person_id": "A", "programme": "ISSP", "start_date": D(2005, 3, 10),
             "end_date": D(2005, 9, 10), "status": "completed"},
            {"intervention_id": "I2", "person_id": "B", "programme": "ISSP", "start_date": D(2005, 7, 10),
             "end_date": None, "status": "ongoing"},
        ],
        referrals=[{"referral_id": "R1", "person_id": "A", "programme": "YISP", "referral_date": D(2005, 7, 1),
                    "risk_score": 10, "decision": "accepted"}],
        assessments=[{"person_id": "A", "assessment_date": D(2005, 6, 30), "asset_score": 20},
                     {"person_id": "A", "assessment_date": D(2005, 7, 1), "asset_score": 30}],
        substance_reviews=[{"person_id": "A", "review_date": D(2005, 6, 30), "use_change": "reduced"},
                           {"person_id": "A", "review_date": D(2005, 7, 1), "use_change": "increased"}],
    )


def test_as_at_forgets_everything_dated_after_the_extract_date() -> None:
    cut = as_at(_extract(), D(2005, 6, 30))
    assert cut.offences["offence_id"].to_list() == ["1", "3"]  # offence 2 is not proven yet
    assert cut.offences.filter(pl.col("offence_id") == "3")["release_date"].to_list() == [None]  # still inside
    assert cut.interventions.rows(named=True) == [
        {"intervention_id": "I1", "person_id": "A", "programme": "ISSP", "start_date": D(2005, 3, 10),
         "end_date": None, "status": "ongoing"}]  # I2 has not started; I1 has not ended
    assert cut.referrals.height == 0
    assert cut.assessments["asset_score"].to_list() == [20]  # on the day counts: dated on or before
    assert cut.substance_reviews["use_change"].to_list() == ["reduced"]
    assert cut.people.height == 2
    assert default_extract_date(cut) == D(2005, 6, 30)


def test_as_at_reproduces_the_cohort_as_it_stood() -> None:
    full, cut = _extract(), as_at(_extract(), D(2005, 6, 30))
    # in full, B's index date is the release 2005-08-01; A reoffended (proven 2005-09-01)
    assert reoffending(full, D(2005, 1, 1), D(2005, 12, 31))["reoffended"].to_list() == [True, False]
    # as at 30 June: B is still in custody (no index date), A's reoffence is not proven yet
    got = reoffending(cut, D(2005, 1, 1), D(2005, 12, 31))
    assert got["person_id"].to_list() == ["A"]
    assert got["reoffended"].to_list() == [False]


def test_an_extract_date_after_the_data_keeps_every_row() -> None:
    full = _extract()
    assert latest_date(full) == D(2005, 9, 10)
    late = as_at(full, D(2010, 1, 1))
    for name in ("offences", "interventions", "referrals", "assessments", "substance_reviews"):
        assert late.table(name).equals(full.table(name)), name
    assert default_extract_date(late) == D(2010, 1, 1)


COMPARATORS = "area,area_type,period_start,period_end,cohort_size,reoffenders,reoffences,family,region"


def test_comparators_rows_that_break_a_rule_are_set_aside_with_it(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("person_id,date_of_birth,sex,ethnicity,yot\nP1,1990-01-01,M,White,X\n")
    (tmp_path / "offences.csv").write_text(
        "offence_id,person_id,offence_date,outcome_date,offence_type,gravity,outcome,release_date\n"
        "O1,P1,2005-01-10,2005-02-01,theft,3,fine,\n")
    rows = [
        "Barnet,yot,2005-01-01,2005-12-31,500,140,400,F1,London",   # good
        "England,england,2005-01-01,2005-12-31,90000,30000,80000,,",  # good: family and region optional
        "Brent,yot,2005-01-01,2004-12-31,500,140,400,F1,London",    # end_before_start
        "Ealing,yot,2005-01-01,2005-12-31,100,140,400,F1,London",   # reoffenders_above_cohort
        "Harrow,yot,2005-01-01,2005-12-31,100,40,30,F1,London",     # reoffences_below_reoffenders
        "Hounslow,borough,2005-01-01,2005-12-31,100,40,50,F1,London",  # unknown_code
        ",yot,2005-01-01,2005-12-31,100,40,50,F1,London",            # missing_value
    ]
    (tmp_path / "comparators.csv").write_text(COMPARATORS + "\n" + "\n".join(rows) + "\n")
    extract = load_extract(tmp_path)
    count = extract.counts["comparators"]
    assert (count.read, count.accepted, count.quarantined) == (7, 2, 5)
    assert extract.comparators["area"].to_list() == ["Barnet", "England"]
    assert extract.comparators.schema["cohort_size"] == pl.Int64
    assert extract.quarantine["comparators"].select("row", "rule").rows() == [
        (3, "end_before_start"), (4, "reoffenders_above_cohort"), (5, "reoffences_below_reoffenders"),
        (6, "unknown_code"), (7, "missing_value")]
