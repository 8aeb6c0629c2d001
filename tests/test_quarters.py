"""Quarterly cohorts: the annual figure from four quarterly cohorts (MoJ since 2017) against the one
annual cohort, on a hand-made year."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from handmade import offence, person

from yot.extract import make_extract
from yot.measures import measures_by_year, measures_by_year_from_quarters, year_quarters

D = dt.date


def _year() -> object:
    people = [person(p, D(1990, 6, 1)) for p in "ABC"]
    offences = [
        offence("A1", "A", D(2005, 1, 10), D(2005, 2, 1)),   # index 1 Feb (Q1)
        offence("A2", "A", D(2005, 3, 1), D(2005, 4, 1)),    # a reoffence of Q1; A's index in Q2 (1 Apr)
        offence("B1", "B", D(2005, 4, 10), D(2005, 5, 1)),   # index 1 May (Q2), no reoffence
        offence("C1", "C", D(2005, 7, 10), D(2005, 8, 1)),   # index 1 Aug (Q3)
        offence("C2", "C", D(2005, 9, 1), D(2005, 10, 1)),   # reoffence of Q3; C's index in Q4 (1 Oct)
        offence("C3", "C", D(2005, 11, 1), D(2005, 12, 1)),  # reoffence of Q3 and of Q4
    ]
    return make_extract(people=people, offences=offences)


def _all(table: pl.DataFrame) -> dict:
    return table.filter(pl.col("breakdown") == "all").row(0, named=True)


def test_four_quarters_added_together_against_one_annual_cohort() -> None:
    annual = _all(measures_by_year(_year(), [2005], "calendar", extract_date=D(2008, 1, 1)))
    # one cohort, each person once at their earliest index date: A (1 reoffence), B, C (2)
    assert (annual["cohort_size"], annual["reoffenders"], annual["reoffences"]) == (3, 2, 3)
    quarters = _all(measures_by_year_from_quarters(_year(), [2005], "calendar", extract_date=D(2008, 1, 1)))
    # Q1: A reoffends (1); Q2: A (index 1 Apr, nothing after) and B; Q3: C (2); Q4: C (1): 5 members, 3, 4
    assert (quarters["cohort_size"], quarters["reoffenders"], quarters["reoffences"]) == (5, 3, 4)
    assert quarters["binary_rate"] == pytest.approx(0.6) and annual["binary_rate"] == pytest.approx(2 / 3)
    assert quarters["period"] == "2005" and quarters["year"] == 2005 and quarters["complete"]
    assert (quarters["start"], quarters["end"]) == (D(2005, 1, 1), D(2005, 12, 31))


def test_the_quarterly_table_has_the_annual_tables_shape() -> None:
    a = measures_by_year(_year(), [2004, 2005], "calendar", extract_date=D(2008, 1, 1))
    q = measures_by_year_from_quarters(_year(), [2004, 2005], "calendar", extract_date=D(2008, 1, 1))
    assert a.columns == q.columns and a.height == q.height
    assert a.select("period", "breakdown", "group").equals(q.select("period", "breakdown", "group"))


def test_year_quarters_split_calendar_and_financial_years() -> None:
    assert year_quarters(D(2005, 1, 1), D(2005, 12, 31)) == [
        (D(2005, 1, 1), D(2005, 3, 31)), (D(2005, 4, 1), D(2005, 6, 30)), (D(2005, 7, 1), D(2005, 9, 30)),
        (D(2005, 10, 1), D(2005, 12, 31))]
    assert year_quarters(D(2005, 4, 1), D(2006, 3, 31))[-1] == (D(2006, 1, 1), D(2006, 3, 31))
    with pytest.raises(ValueError):
        year_quarters(D(2005, 1, 1), D(2005, 2, 28))


def test_the_reoffending_target_uses_the_quarterly_figure_when_asked_and_the_page_says_so() -> None:
    from yot.pages import targets
    from yot.verdicts import reoffending_verdicts

    kw = dict(baseline_year=2005, baseline_value=0.5, change_per_year=-0.05)
    plain = reoffending_verdicts(_year(), [2005], "calendar", extract_date=D(2008, 1, 1), **kw)
    quarters = reoffending_verdicts(_year(), [2005], "calendar", extract_date=D(2008, 1, 1), annual_from_quarters=True,
                                    **kw)
    assert plain[0].observed == pytest.approx(2 / 3) and quarters[0].observed == pytest.approx(0.6)
    page = targets.build(_year(), targets.Params(cohort_years=[2005], baseline_year=2005, baseline_value=0.5,
                                                 targets_by_tier=False, annual_from_quarters=True,
                                                 extract_date=D(2008, 1, 1)))
    assert dict(page.settings)["How a year's figure is counted"].startswith("the four quarterly cohorts")
