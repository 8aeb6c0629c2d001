"""The reoffending rules of yot.cohort (METHODS.md "Index event and cohort", "Reoffences"), one at a time.

Each test builds a tiny extract by hand; the expected cohort, index offence and reoffences are worked
out in the test from the rule. The property tests at the end compare the engine with a plain-Python
reading of METHODS.md written here, independently of yot.dates, on random small extracts.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yot.cohort import cohort, completion_date, default_extract_date, index_events, is_complete, reoffending
from yot.contract import CUSTODY_OUTCOMES, OUTCOME_TIER, OUTCOMES
from yot.extract import Extract, make_extract
from yot.measures import breakdowns, measures

D = dt.date
Y2005 = (D(2005, 1, 1), D(2005, 12, 31))


def person(pid: str = "p1", dob: dt.date = D(1990, 6, 15), sex: str = "M", ethnicity: str = "White") -> dict:
    return {"person_id": pid, "date_of_birth": dob, "sex": sex, "ethnicity": ethnicity, "yot": "Barnet"}


def offence(
    oid: str,
    offence_date: dt.date,
    outcome_date: dt.date | None = None,
    *,
    pid: str = "p1",
    offence_type: str = "theft",
    gravity: int = 3,
    outcome: str = "reprimand",
    release_date: dt.date | None = None,
) -> dict:
    return {
        "offence_id": oid, "person_id": pid, "offence_date": offence_date,
        "outcome_date": outcome_date or offence_date, "offence_type": offence_type, "gravity": gravity,
        "outcome": outcome, "release_date": release_date,
    }


def extract_of(offences: list[dict], people: list[dict] | None = None) -> Extract:
    return make_extract(people=people or [person()], offences=offences)


def members(
    offences: list[dict],
    people: list[dict] | None = None,
    period: tuple[dt.date, dt.date] = Y2005,
    follow_up_months: int = 12,
    waiting_months: int = 6,
) -> pl.DataFrame:
    return reoffending(extract_of(offences, people), *period, follow_up_months, waiting_months)


def only(frame: pl.DataFrame) -> dict[str, Any]:
    assert frame.height == 1, frame
    return frame.row(0, named=True)


def reoffences_of(offences: list[dict], **kwargs: Any) -> int:
    return only(members(offences, **kwargs))["reoffences"]


# ----------------------------------------------------------------------------- index events
def test_index_date_is_the_outcome_date() -> None:
    row = only(members([offence("o1", D(2005, 2, 1), D(2005, 3, 10), outcome="fine")]))
    assert (row["index_date"], row["offence_id"], row["tier"]) == (D(2005, 3, 10), "o1", "first_tier")


def test_custody_index_date_is_the_release_date() -> None:
    # sentenced 1 Nov 2004, released 1 May 2005: in the 2005 cohort (release), not the 2004 one
    dto = offence("o1", D(2004, 10, 1), D(2004, 11, 1), outcome="detention_training_order",
                  release_date=D(2005, 5, 1), gravity=6)
    assert members([dto], period=(D(2004, 1, 1), D(2004, 12, 31))).height == 0
    row = only(members([dto]))
    assert (row["index_date"], row["tier"]) == (D(2005, 5, 1), "custody")


def test_reoffence_window_of_custody_starts_at_release() -> None:
    dto = offence("o1", D(2004, 10, 1), D(2004, 11, 1), outcome="detention_training_order",
                  release_date=D(2005, 5, 1), gravity=6)
    during = offence("o2", D(2005, 4, 15), D(2005, 6, 1))  # committed before release: before the index date
    last_day = offence("o3", D(2006, 5, 1), D(2006, 6, 1))  # release + 12 months
    day_after = offence("o4", D(2006, 5, 2), D(2006, 6, 1))
    assert reoffences_of([dto, during, last_day, day_after]) == 1


def test_custody_without_release_date_has_no_index_date() -> None:
    inside = offence("o1", D(2005, 1, 5), D(2005, 2, 1), outcome="section_90_91_detention", gravity=8)
    assert index_events(pl.DataFrame([inside])).collect().height == 0
    assert members([inside]).height == 0
    # with a later non-custody offence in the period, that one is the index offence
    later = offence("o2", D(2005, 6, 1), D(2005, 7, 1), outcome="final_warning")
    row = only(members([inside, later]))
    assert (row["offence_id"], row["index_date"], row["tier"]) == ("o2", D(2005, 7, 1), "pre_court")


def test_custody_without_release_date_can_be_a_reoffence() -> None:
    index = offence("o1", D(2005, 1, 5), D(2005, 2, 1))
    inside = offence("o2", D(2005, 6, 1), D(2005, 9, 1), outcome="detention_training_order", gravity=7)
    assert reoffences_of([index, inside]) == 1


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_tier_comes_from_the_index_outcome(outcome: str) -> None:
    release = D(2005, 8, 1) if outcome in CUSTODY_OUTCOMES else None
    row = only(members([offence("o1", D(2005, 2, 1), D(2005, 3, 1), outcome=outcome, release_date=release)]))
    assert row["tier"] == OUTCOME_TIER[outcome]


# ---------------------------------------------------------------------------------- cohort
def test_period_bounds_are_inclusive() -> None:
    people = [person(p) for p in ("before", "first", "last", "after")]
    offences = [
        offence("o1", D(2004, 12, 1), D(2004, 12, 31), pid="before"),
        offence("o2", D(2004, 12, 1), D(2005, 1, 1), pid="first"),
        offence("o3", D(2005, 12, 1), D(2005, 12, 31), pid="last"),
        offence("o4", D(2005, 12, 1), D(2006, 1, 1), pid="after"),
    ]
    assert members(offences, people)["person_id"].to_list() == ["first", "last"]


def test_one_row_per_member_at_the_earliest_index_date() -> None:
    offences = [
        offence("o1", D(2005, 5, 1), D(2005, 6, 1), gravity=8, outcome="referral_order"),
        offence("o2", D(2005, 2, 1), D(2005, 3, 1), gravity=2),
    ]
    row = only(members(offences))
    assert (row["offence_id"], row["index_date"], row["tier"]) == ("o2", D(2005, 3, 1), "pre_court")


def test_same_day_tie_goes_to_the_highest_gravity() -> None:
    offences = [
        offence("a", D(2005, 2, 1), D(2005, 3, 1), gravity=3, outcome="reprimand"),
        offence("b", D(2005, 2, 2), D(2005, 3, 1), gravity=5, outcome="supervision_order"),
    ]
    row = only(members(offences))
    assert (row["offence_id"], row["gravity"], row["tier"]) == ("b", 5, "community")


def test_same_day_same_gravity_tie_goes_to_the_smallest_offence_id() -> None:
    offences = [
        offence("b2", D(2005, 2, 1), D(2005, 3, 1), gravity=4, outcome="fine"),
        offence("a9", D(2005, 2, 1), D(2005, 3, 1), gravity=4, outcome="reprimand"),
    ]
    assert only(members(offences))["offence_id"] == "a9"
    # identifiers are strings: "10" sorts before "9"
    offences = [
        offence("9", D(2005, 2, 1), D(2005, 3, 1), gravity=4, outcome="fine"),
        offence("10", D(2005, 2, 1), D(2005, 3, 1), gravity=4, outcome="reprimand"),
    ]
    assert only(members(offences))["offence_id"] == "10"


def test_same_day_ties_are_not_reoffences_of_each_other() -> None:
    offences = [
        offence("a", D(2005, 2, 1), D(2005, 3, 1), gravity=3),
        offence("b", D(2005, 2, 1), D(2005, 3, 1), gravity=5),
    ]
    assert reoffences_of(offences) == 0


@pytest.mark.parametrize(
    ("index_date", "in_cohort", "age", "band"),
    [
        (D(2005, 6, 14), True, 17, "15-17"),  # the day before the 18th birthday
        (D(2005, 6, 15), False, 18, None),  # the 18th birthday
    ],
)
def test_age_17_is_in_and_18_is_out(index_date: dt.date, in_cohort: bool, age: int, band: str | None) -> None:
    people = [person(dob=D(1987, 6, 15))]
    got = members([offence("o1", index_date, index_date)], people)
    assert got.height == int(in_cohort)
    if in_cohort:
        assert (got["age"][0], got["age_band"][0]) == (age, band)


@pytest.mark.parametrize(("index_date", "in_cohort"), [(D(2005, 6, 14), False), (D(2005, 6, 15), True)])
def test_age_9_is_out_and_10_is_in(index_date: dt.date, in_cohort: bool) -> None:
    people = [person(dob=D(1995, 6, 15))]
    got = members([offence("o1", index_date, index_date)], people)
    assert got.height == int(in_cohort)
    if in_cohort:
        assert (got["age"][0], got["age_band"][0]) == (10, "10-14")


@pytest.mark.parametrize(("index_date", "band"), [(D(2005, 6, 14), "10-14"), (D(2005, 6, 15), "15-17")])
def test_age_band_turns_at_the_15th_birthday(index_date: dt.date, band: str) -> None:
    got = only(members([offence("o1", index_date, index_date)], [person(dob=D(1990, 6, 15))]))
    assert got["age_band"] == band


@pytest.mark.parametrize(
    ("index_date", "in_cohort"),
    [
        (D(2010, 2, 28), True),  # still 17: no 29 February in 2010
        (D(2010, 3, 1), False),  # 18 on 1 March
    ],
)
def test_29_february_birthday_turns_18_on_1_march(index_date: dt.date, in_cohort: bool) -> None:
    people = [person(dob=D(1992, 2, 29))]
    got = members([offence("o1", index_date, index_date)], people, period=(D(2010, 1, 1), D(2010, 12, 31)))
    assert got.height == int(in_cohort)


@pytest.mark.parametrize(("index_date", "in_cohort"), [(D(2002, 2, 28), False), (D(2002, 3, 1), True)])
def test_29_february_birthday_turns_10_on_1_march(index_date: dt.date, in_cohort: bool) -> None:
    people = [person(dob=D(1992, 2, 29))]
    got = members([offence("o1", index_date, index_date)], people, period=(D(2002, 1, 1), D(2002, 12, 31)))
    assert got.height == int(in_cohort)


def test_29_february_birthday_in_a_leap_year_turns_on_the_day() -> None:
    people = [person(dob=D(1992, 2, 29))]
    period = (D(2008, 1, 1), D(2008, 12, 31))
    assert only(members([offence("o1", D(2008, 2, 28), D(2008, 2, 28))], people, period=period))["age"] == 15
    assert only(members([offence("o1", D(2008, 2, 29), D(2008, 2, 29))], people, period=period))["age"] == 16


def test_index_offence_is_the_earliest_that_qualifies_on_age() -> None:
    # aged 9 on the first index date of the period, 10 on the second: the second is the index offence,
    # and the first (committed before it) is not its reoffence
    people = [person(dob=D(1995, 6, 15))]
    offences = [offence("o1", D(2005, 3, 1), D(2005, 4, 1)), offence("o2", D(2005, 6, 20), D(2005, 7, 1))]
    row = only(members(offences, people))
    assert (row["offence_id"], row["age"], row["reoffences"]) == ("o2", 10, 0)


def test_people_without_a_record_and_offences_of_others_are_apart() -> None:
    people = [person("p1"), person("p2"), person("p3")]
    offences = [offence("o1", D(2005, 1, 5), D(2005, 2, 1), pid="p1"),
                offence("o2", D(2005, 3, 5), D(2005, 4, 1), pid="p2"),
                offence("o3", D(2005, 6, 1), D(2005, 7, 1), pid="p2")]
    got = members(offences, people)
    assert got.select("person_id", "reoffences").rows() == [("p1", 0), ("p2", 1)]


def test_breach_can_be_an_index_offence() -> None:
    row = only(members([offence("o1", D(2005, 2, 1), D(2005, 3, 1), offence_type="breach", outcome="fine")]))
    assert row["offence_id"] == "o1"


# ------------------------------------------------------------------------------- reoffences
def test_last_day_of_follow_up_counts_and_the_day_after_does_not() -> None:
    index = offence("o1", D(2005, 6, 1), D(2005, 6, 15))  # index 15 Jun 2005; follow-up to 15 Jun 2006
    assert reoffences_of([index, offence("o2", D(2006, 6, 15), D(2006, 7, 1))]) == 1
    assert reoffences_of([index, offence("o2", D(2006, 6, 16), D(2006, 7, 1))]) == 0


def test_outcome_on_the_last_day_of_the_waiting_period_counts_and_the_day_after_does_not() -> None:
    index = offence("o1", D(2005, 6, 1), D(2005, 6, 15))  # proven by 15 Jun 2005 + 18 months = 15 Dec 2006
    assert reoffences_of([index, offence("o2", D(2006, 1, 1), D(2006, 12, 15))]) == 1
    assert reoffences_of([index, offence("o2", D(2006, 1, 1), D(2006, 12, 16))]) == 0


def test_legacy_three_month_waiting_period() -> None:
    index = offence("o1", D(2005, 10, 1), D(2005, 10, 15))  # YJB: proven by 15 Oct 2006 + 3 months = 15 Jan 2007
    period = (D(2005, 10, 1), D(2005, 12, 31))
    assert reoffences_of([index, offence("o2", D(2006, 10, 1), D(2007, 1, 15))], period=period, waiting_months=3) == 1
    assert reoffences_of([index, offence("o2", D(2006, 10, 1), D(2007, 1, 16))], period=period, waiting_months=3) == 0


def test_31_january_plus_12_months_is_31_january() -> None:
    index = offence("o1", D(2005, 1, 10), D(2005, 1, 31))
    assert reoffences_of([index, offence("o2", D(2006, 1, 31), D(2006, 2, 10))]) == 1
    assert reoffences_of([index, offence("o2", D(2006, 2, 1), D(2006, 2, 10))]) == 0


def test_31_august_plus_18_months_is_28_february() -> None:
    # index 31 Aug 2005: follow-up to 31 Aug 2006; proven by 31 Aug 2005 + 18 months = 28 Feb 2007
    index = offence("o1", D(2005, 8, 1), D(2005, 8, 31))
    assert reoffences_of([index, offence("o2", D(2006, 8, 31), D(2007, 2, 28))]) == 1
    assert reoffences_of([index, offence("o2", D(2006, 8, 31), D(2007, 3, 1))]) == 0


def test_month_end_clamps_to_29_february_in_a_leap_year() -> None:
    # index 31 Aug 2006 + 18 months = 29 Feb 2008 (leap year)
    period = (D(2006, 1, 1), D(2006, 12, 31))
    index = offence("o1", D(2006, 8, 1), D(2006, 8, 31))
    assert reoffences_of([index, offence("o2", D(2007, 1, 1), D(2008, 2, 29))], period=period) == 1
    assert reoffences_of([index, offence("o2", D(2007, 1, 1), D(2008, 3, 1))], period=period) == 0


def test_30th_and_31st_with_one_month_follow_up() -> None:
    # 31 Mar + 1 month = 30 Apr; 30 Apr + 1 month = 30 May (not 31 May)
    march = offence("o1", D(2005, 3, 1), D(2005, 3, 31))
    assert reoffences_of([march, offence("o2", D(2005, 4, 30), D(2005, 4, 30))], follow_up_months=1, waiting_months=0) == 1
    assert reoffences_of([march, offence("o2", D(2005, 5, 1), D(2005, 5, 1))], follow_up_months=1, waiting_months=0) == 0
    april = offence("o1", D(2005, 4, 1), D(2005, 4, 30))
    assert reoffences_of([april, offence("o2", D(2005, 5, 30), D(2005, 5, 30))], follow_up_months=1, waiting_months=0) == 1
    assert reoffences_of([april, offence("o2", D(2005, 5, 31), D(2005, 5, 31))], follow_up_months=1, waiting_months=0) == 0


def test_index_on_29_february_follows_up_to_28_february() -> None:
    period = (D(2004, 1, 1), D(2004, 12, 31))
    index = offence("o1", D(2004, 2, 1), D(2004, 2, 29))
    assert reoffences_of([index, offence("o2", D(2005, 2, 28), D(2005, 3, 1))], period=period) == 1
    assert reoffences_of([index, offence("o2", D(2005, 3, 1), D(2005, 3, 1))], period=period) == 0
    # proven by 29 Feb 2004 + 18 months = 29 Aug 2005 (one step of F + W months)
    assert reoffences_of([index, offence("o2", D(2005, 1, 1), D(2005, 8, 29))], period=period) == 1
    assert reoffences_of([index, offence("o2", D(2005, 1, 1), D(2005, 8, 30))], period=period) == 0


def test_offence_on_the_index_date_is_not_a_reoffence() -> None:
    index = offence("o1", D(2005, 3, 1), D(2005, 3, 10))
    assert reoffences_of([index, offence("o2", D(2005, 3, 10), D(2005, 4, 1))]) == 0
    assert reoffences_of([index, offence("o2", D(2005, 3, 11), D(2005, 4, 1))]) == 1


def test_offence_committed_before_the_index_date_is_not_a_reoffence() -> None:
    # o2 was committed before o1's outcome (the index date) but proven after it, inside the follow-up
    index = offence("o1", D(2005, 2, 1), D(2005, 3, 1))
    earlier = offence("o2", D(2005, 1, 10), D(2005, 8, 1))
    row = only(members([index, earlier]))
    assert (row["offence_id"], row["reoffences"], row["reoffended"]) == ("o1", 0, False)


def test_breaches_are_never_reoffences() -> None:
    index = offence("o1", D(2005, 2, 1), D(2005, 3, 1), outcome="referral_order")
    breach = offence("o2", D(2005, 6, 1), D(2005, 7, 1), offence_type="breach", outcome="fine")
    row = only(members([index, breach]))
    assert (row["reoffences"], row["reoffended"], row["days_to_first_reoffence"]) == (0, False, None)


def test_reoffences_are_counted_and_days_to_first_reoffence_measured() -> None:
    index = offence("o1", D(2005, 2, 1), D(2005, 3, 1))
    offences = [index, offence("o2", D(2005, 5, 10), D(2005, 6, 1)), offence("o3", D(2005, 3, 31), D(2005, 9, 1)),
                offence("o4", D(2005, 3, 31), D(2005, 9, 1), offence_type="breach")]
    row = only(members(offences))
    # first reoffence committed 31 Mar 2005: 30 days after 1 Mar 2005
    assert (row["reoffences"], row["reoffended"], row["days_to_first_reoffence"]) == (2, True, 30)


def test_reoffence_may_have_its_own_index_date_in_the_period() -> None:
    # a second proven offence in the same cohort year is a reoffence of the first
    offences = [offence("o1", D(2005, 1, 5), D(2005, 2, 1)), offence("o2", D(2005, 4, 1), D(2005, 5, 1))]
    assert reoffences_of(offences) == 1


# ------------------------------------------------------------------------------- completeness
@pytest.mark.parametrize(
    ("end", "extract_date", "complete"),
    [
        (D(2005, 12, 31), D(2007, 6, 30), True),  # end + 18 months, exactly
        (D(2005, 12, 31), D(2007, 6, 29), False),
        (D(2005, 8, 31), D(2007, 2, 28), True),  # 31 Aug + 18 months clamps to 28 Feb
        (D(2005, 8, 31), D(2007, 2, 27), False),
        (D(2005, 12, 31), None, False),
    ],
)
def test_completeness_on_the_exact_day(end: dt.date, extract_date: dt.date | None, complete: bool) -> None:
    assert is_complete(end, extract_date, 12, 6) is complete


def test_legacy_completion_date() -> None:
    assert completion_date(D(2005, 12, 31), 12, 3) == D(2007, 3, 31)


def test_default_extract_date_is_the_latest_outcome_date() -> None:
    ex = extract_of([offence("o1", D(2005, 1, 1), D(2005, 2, 1)), offence("o2", D(2006, 1, 1), D(2007, 3, 4)),
                     offence("o3", D(2006, 1, 1), D(2006, 3, 4))])
    assert default_extract_date(ex) == D(2007, 3, 4)


# ------------------------------------------------------------------- properties (hypothesis)
BASE = D(2004, 7, 1)
SPAN = 2 * 366
# dates that sit exactly on each other's window edges (month ends, 29 February, period bounds), so
# that random extracts often test the boundaries and same-day ties
POOL = sorted({D(y, m, calendar.monthrange(y, m)[1]) for y in range(2004, 2007) for m in (1, 2, 3, 4, 8, 12)}
              | {D(y, m, 1) for y in range(2004, 2007) for m in (1, 3, 4, 10)}
              | {D(y, m, 15) for y in range(2004, 2007) for m in (6, 12)})


def _add_months(date: dt.date, months: int) -> dt.date:
    """Calendar months clamped to month end, written here apart from yot.dates."""
    y, m = divmod(date.month - 1 + months, 12)
    year, month = date.year + y, m + 1
    return D(year, month, min(date.day, calendar.monthrange(year, month)[1]))


def _age(dob: dt.date, on: dt.date) -> int:
    return on.year - dob.year - (1 if (on.month, on.day) < (dob.month, dob.day) else 0)


def reference(ex: Extract, start: dt.date, end: dt.date, f: int, w: int) -> dict[str, tuple[str, int, int | None]]:
    """METHODS.md read literally, in plain Python: person -> (index offence_id, reoffences, days to first)."""
    dob = {p["person_id"]: p["date_of_birth"] for p in ex.people.iter_rows(named=True)}
    offences = list(ex.offences.iter_rows(named=True))
    out = {}
    for pid in dob:
        mine = [o for o in offences if o["person_id"] == pid]
        candidates = []
        for o in mine:
            idx = o["release_date"] if o["outcome"] in CUSTODY_OUTCOMES else o["outcome_date"]
            if idx is not None and start <= idx <= end and 10 <= _age(dob[pid], idx) <= 17:
                candidates.append((idx, -o["gravity"], o["offence_id"], o))
        if not candidates:
            continue
        idx, _, _, first = min(candidates, key=lambda c: c[:3])
        re = [o for o in mine if o["offence_id"] != first["offence_id"] and o["offence_type"] != "breach"
              and idx < o["offence_date"] <= _add_months(idx, f) and o["outcome_date"] <= _add_months(idx, f + w)]
        days = min((o["offence_date"] - idx).days for o in re) if re else None
        out[pid] = (first["offence_id"], len(re), days)
    return out


@st.composite
def small_extracts(draw: st.DrawFn) -> Extract:
    """1-3 people and up to 10 offences; many offences are placed on another offence's window edges
    (a whole number of months after its outcome or release, give or take a day) or on the same day."""
    n_people = draw(st.integers(1, 3))
    people = [person(f"p{i}", BASE - dt.timedelta(days=draw(st.integers(9 * 365, 18 * 365))),
                     sex=draw(st.sampled_from(["M", "F", "U"])),
                     ethnicity=draw(st.sampled_from(["White", "Black", "Unknown"]))) for i in range(n_people)]
    free_day = st.one_of(st.sampled_from(POOL), st.integers(0, SPAN).map(lambda d: BASE + dt.timedelta(days=d)))
    months = st.sampled_from([0, 1, 3, 6, 12, 18])
    nudge = st.sampled_from([-1, 0, 0, 1]).map(lambda n: dt.timedelta(days=n))
    offences: list[dict] = []
    for k in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["free", "edge", "edge", "tie"])) if offences else "free"
        pid = f"p{draw(st.integers(0, n_people - 1))}"
        if kind == "free":
            committed = draw(free_day)
            proven = committed + dt.timedelta(days=draw(st.sampled_from([0, 1, 30, 200])))
        else:
            other = draw(st.sampled_from(offences))
            pid = other["person_id"]
            anchor = other["release_date"] or other["outcome_date"]
            if kind == "tie":
                proven = anchor
                committed = anchor - dt.timedelta(days=draw(st.sampled_from([0, 10])))
            else:
                committed = _add_months(anchor, draw(months)) + draw(nudge)
                proven = max(committed, draw(st.one_of(
                    st.sampled_from([0, 1, 30]).map(lambda n: committed + dt.timedelta(days=n)),
                    st.tuples(months, nudge).map(lambda mn: _add_months(anchor, mn[0] + 6) + mn[1]),
                )))
        outcome = draw(st.sampled_from(["reprimand", "fine", "supervision_order", "detention_training_order"]))
        release = None
        if outcome in CUSTODY_OUTCOMES and draw(st.booleans()):
            release = draw(st.one_of(st.integers(0, 400).map(lambda n: proven + dt.timedelta(days=n)),
                                     st.sampled_from([d for d in POOL if d >= proven] or [proven])))
        offences.append(offence(
            draw(st.sampled_from(["1", "2", "9", "10", "a"])) + f"-{k}" if draw(st.booleans()) else str(k),
            committed, proven, pid=pid, gravity=draw(st.integers(2, 4)),
            offence_type=draw(st.sampled_from(["theft", "theft", "breach"])), outcome=outcome, release_date=release,
        ))
    return extract_of(offences, people)


PERIODS = st.sampled_from([(D(2005, 1, 1), D(2005, 12, 31)), (D(2005, 4, 1), D(2006, 3, 31)),
                           (D(2005, 10, 1), D(2005, 12, 31)), (D(2004, 8, 31), D(2005, 2, 28))])
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _with(ex: Extract, extra: dict) -> Extract:
    return extract_of(list(ex.offences.iter_rows(named=True)) + [extra], list(ex.people.iter_rows(named=True)))


@settings(PROPERTY, max_examples=200)
@given(small_extracts(), PERIODS, st.sampled_from([0, 1, 6, 12, 12, 18]), st.sampled_from([0, 3, 6, 6]))
def test_engine_agrees_with_a_plain_reading_of_the_rules(
    ex: Extract, period: tuple[dt.date, dt.date], f: int, w: int
) -> None:
    got = reoffending(ex, *period, f, w)
    mine = {r["person_id"]: (r["offence_id"], r["reoffences"], r["days_to_first_reoffence"])
            for r in got.iter_rows(named=True)}
    assert mine == reference(ex, *period, f, w)


@PROPERTY
@given(small_extracts(), PERIODS, st.data())
def test_adding_a_breach_never_changes_the_measures(
    ex: Extract, period: tuple[dt.date, dt.date], data: st.DataObject
) -> None:
    # a breach proven after the period cannot join the cohort, and a breach is never a reoffence
    committed = period[0] + dt.timedelta(days=data.draw(st.integers(0, 700)))
    proven = max(committed, period[1] + dt.timedelta(days=1)) + dt.timedelta(days=data.draw(st.integers(0, 90)))
    pid = data.draw(st.sampled_from(ex.people["person_id"].to_list()))
    breach = offence("breach-x", committed, proven, pid=pid, offence_type="breach", outcome="fine")
    before = reoffending(ex, *period)
    after = reoffending(_with(ex, breach), *period)
    assert measures(after) == measures(before)
    assert breakdowns(after) == breakdowns(before)


@PROPERTY
@given(small_extracts(), PERIODS, st.integers(0, 24), st.data())
def test_adding_an_offence_after_the_window_never_changes_the_measures(
    ex: Extract, period: tuple[dt.date, dt.date], f: int, data: st.DataObject
) -> None:
    # committed after period end + F months: after every member's follow-up, and indexed after the period
    committed = _add_months(period[1], f) + dt.timedelta(days=data.draw(st.integers(1, 400)))
    pid = data.draw(st.sampled_from(ex.people["person_id"].to_list()))
    late = offence("late-x", committed, committed + dt.timedelta(days=10), pid=pid, gravity=8)
    before = reoffending(ex, *period, f, 6)
    after = reoffending(_with(ex, late), *period, f, 6)
    assert measures(after) == measures(before)


@PROPERTY
@given(small_extracts(), PERIODS, st.integers(0, 24), st.integers(0, 9))
def test_rates_stay_between_0_and_1(ex: Extract, period: tuple[dt.date, dt.date], f: int, w: int) -> None:
    got = reoffending(ex, *period, f, w)
    overall = measures(got)
    groups = [overall] + [m for b in breakdowns(got).values() for m in b.values()]
    for m in groups:
        if m["cohort_size"] == 0:
            assert m["binary_rate"] is None and m["binary_rate_ci"] == [None, None]
            continue
        low, high = m["binary_rate_ci"]
        assert 0 <= low <= m["binary_rate"] + 1e-12 and m["binary_rate"] - 1e-12 <= high <= 1  # ~1e-16 residue
        assert m["frequency_rate"] >= m["binary_rate"]


@PROPERTY
@given(small_extracts(), PERIODS, st.integers(0, 18), st.integers(1, 12), st.integers(0, 9))
def test_a_wider_follow_up_never_lowers_the_reoffenders(
    ex: Extract, period: tuple[dt.date, dt.date], f: int, more: int, w: int
) -> None:
    narrow = reoffending(ex, *period, f, w)
    wide = reoffending(ex, *period, f + more, w)
    assert wide["reoffended"].sum() >= narrow["reoffended"].sum()
    assert wide["reoffences"].sum() >= narrow["reoffences"].sum()


@PROPERTY
@given(small_extracts(), PERIODS, st.integers(0, 18), st.integers(0, 9), st.integers(1, 9))
def test_a_longer_waiting_period_never_lowers_the_reoffenders(
    ex: Extract, period: tuple[dt.date, dt.date], f: int, w: int, more: int
) -> None:
    short = reoffending(ex, *period, f, w)
    long = reoffending(ex, *period, f, w + more)
    assert long["reoffended"].sum() >= short["reoffended"].sum()


@PROPERTY
@given(small_extracts(), PERIODS)
def test_cohort_has_one_row_per_member_aged_10_to_17_with_index_date_in_the_period(
    ex: Extract, period: tuple[dt.date, dt.date]
) -> None:
    got = cohort(ex, *period).collect()
    assert got["person_id"].is_unique().all()
    assert got["age"].is_between(10, 17).all()
    assert got["index_date"].is_between(*period).all()
