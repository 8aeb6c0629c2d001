"""The live tracker (yot.tracker) and ``yot tracker --json`` on hand-made cohorts."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
from handmade import offence, person

from yot.cli import main
from yot.extract import make_extract
from yot.tracker import earlier_periods, months_observed, tracker

D = dt.date
Q1 = (D(2005, 1, 1), D(2005, 3, 31))


def _cohort_q1_2005() -> tuple[list[dict], list[dict]]:
    """Five members of the January-March 2005 cohort, each proven (a fine) on their index date."""
    people = [person(p, D(1990, 6, 1)) for p in "ABCDE"]
    offences = [
        offence("A1", "A", D(2005, 1, 10), D(2005, 1, 31)),   # index 31 Jan
        offence("A2", "A", D(2005, 2, 28), D(2005, 3, 15)),   # 28 Feb = 31 Jan + 1 month (clamped): month 1
        offence("B1", "B", D(2005, 1, 10), D(2005, 1, 31)),
        offence("B2", "B", D(2005, 2, 10), D(2005, 2, 20), offence_type="breach"),  # a breach never counts
        offence("C1", "C", D(2005, 2, 1), D(2005, 2, 15)),    # index 15 Feb
        offence("C2", "C", D(2005, 3, 1), D(2005, 7, 15)),    # month 1, but proven after 30 June
        offence("D1", "D", D(2005, 3, 1), D(2005, 3, 31)),    # index 31 Mar
        offence("D2", "D", D(2005, 5, 31), D(2005, 6, 10)),   # 31 May = 31 Mar + 2 months: month 2
        offence("E1", "E", D(2005, 2, 1), D(2005, 3, 1)),     # no reoffence
    ]
    return people, offences


def test_months_observed_counts_whole_months_after_the_period_end_on_month_ends() -> None:
    assert months_observed(D(2005, 3, 31), D(2005, 6, 30)) == 3      # 30 Apr, 31 May, 30 Jun all passed
    assert months_observed(D(2005, 3, 31), D(2005, 6, 29)) == 2
    assert months_observed(D(2005, 3, 31), D(2005, 3, 31)) == 0
    assert months_observed(D(2005, 3, 31), D(2004, 1, 1)) == 0
    assert months_observed(D(2005, 3, 31), D(2009, 1, 1)) == 12       # never more than the follow-up
    assert months_observed(D(2005, 3, 31), D(2009, 1, 1), follow_up_months=6) == 6


def test_earlier_periods_step_back_by_whole_months_or_by_days() -> None:
    assert earlier_periods(*Q1, 2) == [(D(2004, 10, 1), D(2004, 12, 31)), (D(2004, 7, 1), D(2004, 9, 30))]
    assert earlier_periods(D(2005, 1, 1), D(2005, 12, 31), 1) == [(D(2004, 1, 1), D(2004, 12, 31))]
    assert earlier_periods(D(2005, 1, 5), D(2005, 1, 14), 1) == [(D(2004, 12, 26), D(2005, 1, 4))]


def test_cumulative_counts_proof_after_the_extract_date_breaches_and_month_ends() -> None:
    extract = make_extract(people=_cohort_q1_2005()[0], offences=_cohort_q1_2005()[1])
    got = tracker(extract, *Q1, extract_date=D(2005, 6, 30))
    assert got.cohort_size == 5
    assert got.months_observed == 3
    # month 1: A only (C's reoffence is not proven by 30 June, B's is a breach); month 2: A and D
    assert got.reoffenders == (1, 2, 2)
    assert got.earlier == () and got.projected_final is None and not got.complete
    # a month later C's reoffence has been proven: month 1 counts A and C
    later = tracker(extract, *Q1, extract_date=D(2005, 7, 31))
    assert later.reoffenders[:3] == (2, 3, 3)


def test_29_february_is_within_one_month_of_31_january_in_a_leap_year() -> None:
    people = [person("A", D(1990, 6, 1)), person("B", D(1990, 6, 1))]
    offences = [offence("A1", "A", D(2004, 1, 10), D(2004, 1, 31)), offence("A2", "A", D(2004, 2, 29), D(2004, 3, 5)),
                offence("B1", "B", D(2004, 1, 10), D(2004, 1, 31)), offence("B2", "B", D(2004, 3, 1), D(2004, 3, 5))]
    got = tracker(make_extract(people=people, offences=offences), D(2004, 1, 1), D(2004, 1, 31),
                  extract_date=D(2004, 4, 30))
    assert got.reoffenders[:2] == (1, 2)  # A on 29 Feb in month 1; B on 1 March only in month 2


def _earlier_and_current() -> tuple[list[dict], list[dict]]:
    """October-December 2003: 10 members proven on 1 November 2003; January-March 2005: 10 members."""
    people, offences = [], []
    for i in (3, 7, 0, 9, 1, 5, 2, 8, 4, 6):  # not in person_id order: the pairing must go by person
        pid = f"E{i}"
        people.append(person(pid, D(1990, 6, 1)))
        offences.append(offence(f"{pid}-1", pid, D(2003, 10, 1), D(2003, 11, 1)))
    # E7: month 2, proven 10 Jan 2004 (by 31 Dec 2003 + 91 days = 31 Mar 2004): in c and in the final rate
    offences.append(offence("E7-2", "E7", D(2003, 12, 15), D(2004, 1, 10)))
    # E1: month 3, proven 1 June 2004: too late for the like-with-like month 3, in the final rate
    offences.append(offence("E1-2", "E1", D(2004, 1, 15), D(2004, 6, 1)))
    # E2, E3: month 7 (1 June 2004 = 1 November 2003 + 7 months): final rate only
    for pid in ("E2", "E3"):
        offences.append(offence(f"{pid}-2", pid, D(2004, 6, 1), D(2004, 7, 1)))
    for i in range(10):
        pid = f"N{i}"
        people.append(person(pid, D(1990, 6, 1)))
        offences.append(offence(f"{pid}-1", pid, D(2005, 1, 1), D(2005, 2, 1)))
    offences.append(offence("N0-2", "N0", D(2005, 3, 1), D(2005, 3, 20)))  # month 1
    return people, offences


def test_projection_is_this_share_times_the_earlier_ratio_with_a_delta_method_interval() -> None:
    people, offences = _earlier_and_current()
    got = tracker(make_extract(people=people, offences=offences), *Q1, extract_date=D(2005, 6, 30), earlier=4)
    # complete at 30 June 2005: Oct-Dec 2003 (ends 31 Dec 2003 + 18 months = 30 June 2005); 2004's quarters
    # are not complete and are skipped; earlier quarters of 2003 have nobody (the search stops there)
    assert [(c.start, c.end, c.cohort_size, c.final_reoffenders) for c in got.earlier] == [
        (D(2003, 10, 1), D(2003, 12, 31), 10, 4)]
    assert got.months_observed == 3
    assert got.reoffenders == (1, 1, 1)
    assert got.earlier_share == (0.0, 0.1, 0.1)  # like with like: E7 only (month 2)
    assert got.earlier_curve[11] == pytest.approx(0.1)  # E2 and E3 proven after 31 March 2004
    assert got.earlier[0].full[:8] == (0, 1, 2, 2, 2, 2, 4, 4)  # as known at the extract date
    a, b, c, p11, n, big_n = 0.1, 0.4, 0.1, 0.1, 10, 10
    assert got.ratio == pytest.approx(b / c)
    assert got.projected_final == pytest.approx(a * b / c)
    var = (1 - a) / (n * a) + (1 - b) / (big_n * b) + (1 - c) / (big_n * c) - 2 * (p11 - b * c) / (big_n * b * c)
    assert var == pytest.approx(1.65)
    assert got.ci_low == pytest.approx(0.4 * math.exp(-1.959964 * math.sqrt(1.65)), rel=1e-6)
    assert got.ci_high == 1.0  # clipped
    assert got.to_json()["months"][1] == {"month": 2, "reoffenders": 1, "share": 0.1, "earlier_share": 0.1}


def test_no_earlier_complete_cohort_no_projection_and_a_complete_cohort_tracks_to_its_final_rate() -> None:
    people, offences = _earlier_and_current()
    extract = make_extract(people=people, offences=offences)
    assert tracker(extract, *Q1, extract_date=D(2005, 6, 29)).projected_final is None  # Oct-Dec 2003 not complete
    full = tracker(extract, D(2003, 10, 1), D(2003, 12, 31), extract_date=D(2006, 1, 1))
    assert full.complete and full.months_observed == 12
    assert full.share(12) == pytest.approx(0.4)


PEOPLE = "person_id,date_of_birth,sex,ethnicity,yot\n" + "".join(
    f"{p},1990-06-01,M,White,Barnet\n" for p in "ABCDE")
OFFENCES = "offence_id,person_id,offence_date,outcome_date,offence_type,gravity,outcome,release_date\n" + "".join(
    f"{o['offence_id']},{o['person_id']},{o['offence_date']},{o['outcome_date']},{o['offence_type']},3,fine,\n"
    for o in _cohort_q1_2005()[1])


def test_cli_prints_exactly_the_issue_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "people.csv").write_text(PEOPLE)
    (tmp_path / "offences.csv").write_text(OFFENCES)
    code = main(["tracker", "--data", str(tmp_path), "--start", "2005-01-01", "--end", "2005-03-31",
                 "--extract-date", "2005-06-30", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "period": {"start": "2005-01-01", "end": "2005-03-31"}, "extract_date": "2005-06-30", "cohort_size": 5,
        "months_observed": 3,
        "months": [{"month": 1, "reoffenders": 1, "share": 0.2, "earlier_share": None},
                   {"month": 2, "reoffenders": 2, "share": 0.4, "earlier_share": None},
                   {"month": 3, "reoffenders": 2, "share": 0.4, "earlier_share": None}],
        "projected_final": None, "ci_low": None, "ci_high": None,
    }


def test_cli_start_after_end_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(PEOPLE)
    (tmp_path / "offences.csv").write_text(OFFENCES)
    assert main(["tracker", "--data", str(tmp_path), "--start", "2005-04-01", "--end", "2005-03-31", "--json"]) == 1
