"""The live tracker page (yot.pages.tracker) on hand-made quarterly cohorts: its words against its numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from handmade import offence, person

from yot.extract import make_extract
from yot.pages import tracker as page_module
from yot.pages.tracker import cohort_name, published_months, recent_cohorts

D = dt.date


def _quarter(year: int, month: int, size: int, reoffenders: int, tag: str) -> tuple[list[dict], list[dict]]:
    """``size`` young people proven on the 15th of ``month``; the first ``reoffenders`` commit a theft 20 days
    later, proven 10 days after that (well within the first month)."""
    people, offences = [], []
    for i in range(size):
        pid = f"{tag}{i:03d}"
        people.append(person(pid, D(1990, 6, 1)))
        index = D(year, month, 15)
        offences.append(offence(f"{pid}-1", pid, index - dt.timedelta(days=20), index))
        if i < reoffenders:
            committed = index + dt.timedelta(days=20)
            offences.append(offence(f"{pid}-2", pid, committed, committed + dt.timedelta(days=10)))
    return people, offences


def _extract(current_reoffenders: int) -> object:
    parts = [_quarter(2004, m, 40, 10, f"E{m:02d}") for m in (1, 4, 7, 10)]  # complete: 25% each
    parts.append(_quarter(2006, 1, 40, current_reoffenders, "N"))
    return make_extract(people=[p for ps, _ in parts for p in ps], offences=[o for _, os in parts for o in os])


def _page(extract, **kw):
    params = page_module.Params(extract_date=D(2006, 6, 30), **kw)
    return page_module.build(extract, params)


def test_recent_cohorts_have_started_their_follow_up_and_are_not_complete() -> None:
    got = recent_cohorts("quarter", D(2006, 6, 30), 4)
    assert [name for name, _, _ in got] == ["Apr-Jun 2005", "Jul-Sep 2005", "Oct-Dec 2005", "Jan-Mar 2006"]
    # Apr-Jun 2006 has had no whole month since it ended; Jan-Mar 2005 is complete on 30 September 2006
    assert recent_cohorts("calendar", D(2006, 6, 30), 4) == [("2005", D(2005, 1, 1), D(2005, 12, 31))]
    assert cohort_name(D(2006, 1, 1), D(2006, 3, 31)) == "Jan-Mar 2006"
    assert cohort_name(D(2006, 4, 1), D(2007, 3, 31)) == "2006-07"


def test_published_months_never_let_a_small_count_be_worked_out_by_subtraction() -> None:
    # the last month first: 30 of 100; 28 is 2 below it (hidden); 24 is 6 below 30 (shown); 22, 2 below (hidden)
    assert published_months([22, 24, 28, 30], 100, 5) == [False, True, False, True]
    assert published_months([3, 3, 10], 100, 5) == [False, False, True]  # 3 is small itself
    assert published_months([0, 0, 97], 100, 5) == [True, True, False]  # 97 leaves 3 of 100
    assert published_months([], 10, 5) == []


def test_a_cohort_heading_higher_than_the_earlier_ones_is_said_to_be_higher() -> None:
    page = _page(_extract(30))  # 75% after 3 months against earlier cohorts' 25%
    assert page.provisional
    assert page.answer is not None
    assert page.answer.text.startswith("The Jan-Mar 2006 cohort [p] is heading for a reoffending rate of about **75.0%**")
    assert "higher than the earlier complete cohorts' final rate (25.0%)" in page.answer.text
    assert page.summary["projected_final"] == pytest.approx(0.75)


def test_a_cohort_heading_lower_is_said_to_be_lower_and_within_when_the_interval_covers_it() -> None:
    assert "lower than the earlier complete cohorts' final rate (25.0%)" in _page(_extract(0)).answer.text
    within = _page(_extract(10)).answer.text
    assert "the earlier complete cohorts' final rate (25.0%) is within its interval" in within
    assert "higher" not in within and "lower" not in within


def test_small_counts_are_hidden_and_so_is_the_projection_resting_on_them() -> None:
    page = _page(_extract(3))  # 3 of 40 after 3 months: a count below 5
    assert page.answer is not None and "No projection can be published" in page.answer.text
    standing = page.tables()[0]
    row = standing.frame["cohort"].to_list().index("Jan-Mar 2006")
    assert list(standing.rows())[row][3:5] == ["[c]", "[c]"]
    assert all(not standing.shown(c, row) for c in ("projected", "ci_low", "ci_high"))
    texts = " ".join(t.text for t in page.texts())
    assert " 3 of " not in texts and "7.5%" not in texts


def test_no_recent_cohort_says_so() -> None:
    page = _page(make_extract(people=[person("A")], offences=[offence("A1", "A", D(2000, 1, 1), D(2000, 2, 1))]))
    assert page.answer is not None and page.answer.text.startswith("No recent cohort to track")
    assert page.sections == ()
