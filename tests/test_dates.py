"""Period helpers (METHODS.md: periods are inclusive; cohort periods are parameters)."""

from __future__ import annotations

import datetime as dt

import pytest

from yot.dates import (
    PERIOD_KINDS,
    add_months,
    october_december,
    period_bounds,
    period_description,
    period_name,
    quarter_bounds,
)


def test_periods_are_inclusive_and_named_for_readers() -> None:
    assert october_december(2004) == (dt.date(2004, 10, 1), dt.date(2004, 12, 31))
    assert period_bounds("financial", 2005) == (dt.date(2005, 4, 1), dt.date(2006, 3, 31))
    assert period_bounds("calendar", 2005) == (dt.date(2005, 1, 1), dt.date(2005, 12, 31))
    assert [period_name(p, 2005) for p in ("calendar", "financial", "october_december")] == [
        "2005", "2005-06", "Oct-Dec 2005"]
    with pytest.raises(ValueError, match="unknown period"):
        period_bounds("weekly", 2005)


def test_quarters_tile_the_year_and_end_on_month_ends() -> None:
    got = [quarter_bounds(2004, q) for q in (1, 2, 3, 4)]
    assert got == [
        (dt.date(2004, 1, 1), dt.date(2004, 3, 31)), (dt.date(2004, 4, 1), dt.date(2004, 6, 30)),
        (dt.date(2004, 7, 1), dt.date(2004, 9, 30)), (dt.date(2004, 10, 1), dt.date(2004, 12, 31)),
    ]
    for (_, end), (start, _) in zip(got, got[1:]):
        assert start - end == dt.timedelta(days=1)
    assert period_bounds("quarter", 2004, 2) == got[1]
    assert period_bounds("quarter", 2004) == (dt.date(2004, 1, 1), dt.date(2004, 12, 31))
    assert period_name("quarter", 2004, 3) == "Jul-Sep 2004"
    with pytest.raises(ValueError, match="quarter"):
        quarter_bounds(2004, 5)


def test_every_kind_is_described_for_readers() -> None:
    assert all(period_description(kind) for kind in PERIOD_KINDS)


def test_months_clamp_to_month_end() -> None:
    assert add_months(dt.date(2004, 1, 31), 1) == dt.date(2004, 2, 29)
    assert add_months(dt.date(2005, 1, 31), 1) == dt.date(2005, 2, 28)
    assert add_months(dt.date(2005, 3, 31), -1) == dt.date(2005, 2, 28)
