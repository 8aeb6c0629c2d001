"""The cohort page (yot.pages.cohort) on hand-made cohorts: its sentences against its numbers."""

from __future__ import annotations

import datetime as dt

from handmade import cohort_extract, extract_of

from yot.pages import cohort
from yot.pages.model import Table

D = dt.date


def _page(extract, year=2005, threshold=5, **kw):
    params = cohort.Params(cohort_year=year, disclosure_threshold=threshold, extract_date=D(2010, 1, 1), **kw)
    return cohort.build(extract, params)


def _text(page) -> str:
    return " ".join(t.text for t in page.texts())


def test_the_answer_gives_the_rate_its_interval_and_its_counts() -> None:
    # 40 young people, 10 reoffend: 25.0%; Wilson 95% interval 14.2% to 40.2%
    page = _page(extract_of(cohort_extract(2004, 40, 14), cohort_extract(2005, 40, 10)))
    assert page.answer is not None
    assert page.answer.text.startswith("**25.0%** of the 2005 cohort reoffended within 12 months")
    assert "(95% interval 14.2% to 40.2%): 10 of 40 young people." in page.answer.text
    assert not page.provisional


def test_a_fall_from_the_previous_cohort_is_said_as_lower_with_the_points_of_the_rounded_rates() -> None:
    # 2004: 14 of 40 = 35.0%; 2005: 10 of 40 = 25.0%: 10.0 points lower
    page = _page(extract_of(cohort_extract(2004, 40, 14), cohort_extract(2005, 40, 10)))
    words = _text(page)
    assert "is **10.0 percentage points lower** than the 2004 rate (35.0%)" in words
    assert "higher" not in words


def test_a_rise_is_said_as_higher() -> None:
    page = _page(extract_of(cohort_extract(2004, 40, 10), cohort_extract(2005, 40, 14)))
    assert "**10.0 percentage points higher** than the 2004 rate (25.0%)" in _text(page)


def test_a_small_count_never_appears_in_a_sentence_or_a_table() -> None:
    # 3 of 40 reoffend: the count 3 is confidential, and so is the rate built on it
    page = _page(extract_of(cohort_extract(2004, 40, 14), cohort_extract(2005, 40, 3)))
    words = _text(page)
    assert "too small to publish" in page.answer.text
    assert " 3 of 40" not in words and "7.5%" not in words
    headline = next(t for t in page.tables() if t.name.endswith("headline"))
    assert next(headline.rows())[2] == "[c]"  # Reoffended
    assert "too small to compare" in words


def test_a_provisional_cohort_is_marked_and_says_when_it_will_be_final() -> None:
    extract = extract_of(cohort_extract(2005, 40, 10))
    page = cohort.build(extract, cohort.Params(cohort_year=2005, extract_date=D(2006, 1, 31)))
    assert page.provisional
    assert page.banners and "final in an extract dated 30 June 2007" in page.banners[0].text
    headline = next(t for t in page.tables() if t.name.endswith("headline"))
    assert next(headline.rows())[0] == "2005 [p]"


def test_a_period_with_no_data_says_so() -> None:
    page = _page(extract_of(cohort_extract(2004, 40, 10)), year=2008)
    assert page.answer.text.startswith("No data: no young person in this extract has an index date in 2008")
    assert page.tables() == []


def test_groups_add_up_so_one_small_group_takes_the_next_smallest_with_it() -> None:
    # 2005: 30 boys (8 reoffend) and 10 girls (2 reoffend): the girls' 2 is primary; the boys' 8 would
    # then be 10 - 2 from the headline, so it goes too (the sex block adds up to the whole cohort)
    boys = cohort_extract(2005, 30, 8, prefix="b")
    girls = cohort_extract(2005, 10, 2, prefix="g", sexes=("F",))
    page = _page(extract_of(boys, girls))
    groups: Table = next(t for t in page.tables() if t.name.endswith("breakdowns"))
    rows = {(r[0], r[1]): r for r in groups.rows()}
    assert rows[("Sex", "Female")][3] == "[c]" and rows[("Sex", "Male")][3] == "[c]"
    assert rows[("Sex", "Male")][2] == "30"  # the group size stays: only the cell that protects goes
    assert rows[("Age", "10 to 14")][3] == "10"  # everyone is 14: one group, the whole cohort
