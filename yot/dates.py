"""Date rules of METHODS.md (Dates and ages) as polars expressions and plain functions."""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl


def age_at(date_of_birth: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Age in completed years on ``on``.

    Someone born on 29 February turns a year older on 1 March in years with no 29 February: the
    comparison of (month, day) pairs gives exactly that, because (2, 28) < (2, 29) <= (3, 1).
    """
    not_yet = (on.dt.month() < date_of_birth.dt.month()) | (
        (on.dt.month() == date_of_birth.dt.month()) & (on.dt.day() < date_of_birth.dt.day())
    )
    return (on.dt.year().cast(pl.Int32) - date_of_birth.dt.year().cast(pl.Int32)) - not_yet.cast(pl.Int32)


def add_months_expr(date: pl.Expr, months: int) -> pl.Expr:
    """``date`` plus ``months`` calendar months, clamped to month end (31 Jan + 1 month = 28/29 Feb)."""
    return date.dt.offset_by(f"{int(months)}mo")


def add_months(date: dt.date, months: int) -> dt.date:
    """Plain-Python twin of :func:`add_months_expr`, for period arithmetic on parameters."""
    index = date.year * 12 + (date.month - 1) + int(months)
    year, month = divmod(index, 12)
    month += 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    """Plain-Python twin of :func:`age_at`."""
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def financial_year(start_year: int) -> tuple[dt.date, dt.date]:
    """The financial year from 1 April ``start_year`` to 31 March the next year, inclusive."""
    return dt.date(start_year, 4, 1), dt.date(start_year + 1, 3, 31)


def calendar_year(year: int) -> tuple[dt.date, dt.date]:
    """1 January to 31 December of ``year``, inclusive."""
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


PERIOD_KINDS: tuple[str, ...] = ("calendar", "financial", "october_december", "quarter")
"""The cohort period kinds a suite can choose (METHODS.md: cohort periods are parameters).

``calendar`` January-December; ``financial`` 1 April to 31 March; ``october_december`` the YJB's
legacy October-December quarter; ``quarter`` the MoJ's 3-month cohorts (January-March, April-June,
July-September, October-December), four to a year."""

_QUARTER_NAMES = ("Jan-Mar", "Apr-Jun", "Jul-Sep", "Oct-Dec")


def october_december(year: int) -> tuple[dt.date, dt.date]:
    """The YJB's legacy cohort quarter: 1 October to 31 December of ``year``, inclusive."""
    return dt.date(year, 10, 1), dt.date(year, 12, 31)


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of calendar quarter ``quarter`` (1 to 4) of ``year``, inclusive."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"a quarter is 1, 2, 3 or 4, got {quarter!r}")
    start = dt.date(year, 3 * quarter - 2, 1)
    return start, add_months(start, 3) - dt.timedelta(days=1)


def _check_kind(kind: str) -> None:
    if kind not in PERIOD_KINDS:
        raise ValueError(f"unknown period {kind!r}: one of {', '.join(PERIOD_KINDS)}")


def period_bounds(kind: str, year: int, quarter: int | None = None) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of the ``kind`` period that belongs to ``year``.

    ``calendar``: January to December; ``financial``: 1 April ``year`` to 31 March the next year;
    ``october_december``: the YJB's October to December quarter; ``quarter``: calendar quarter
    ``quarter`` (1 to 4) of ``year`` (the whole year, 1 January to 31 December, when no quarter is
    given: the span of its four quarterly cohorts).
    """
    _check_kind(kind)
    if kind == "calendar" or (kind == "quarter" and quarter is None):
        return calendar_year(year)
    if kind == "financial":
        return financial_year(year)
    if kind == "october_december":
        return october_december(year)
    return quarter_bounds(year, quarter)  # type: ignore[arg-type]


def period_name(kind: str, year: int, quarter: int | None = None) -> str:
    """A reader's name for one period: ``2005``, ``2005-06``, ``Oct-Dec 2005`` or ``Apr-Jun 2005``."""
    _check_kind(kind)
    if kind == "calendar" or (kind == "quarter" and quarter is None):
        return str(year)
    if kind == "financial":
        return f"{year}-{str(year + 1)[2:]}"
    if kind == "october_december":
        return f"Oct-Dec {year}"
    quarter_bounds(year, quarter)  # type: ignore[arg-type]  # checks the quarter
    return f"{_QUARTER_NAMES[quarter - 1]} {year}"  # type: ignore[operator]


def period_description(kind: str) -> str:
    """What a ``kind`` of period means, in words, for page headers."""
    _check_kind(kind)
    return {
        "calendar": "calendar years, 1 January to 31 December",
        "financial": "financial years, 1 April to 31 March",
        "october_december": "the October to December quarter of each year, the YJB's legacy measure",
        "quarter": "three-month cohorts: January-March, April-June, July-September, October-December",
    }[kind]


def period_label(start: dt.date, end: dt.date) -> str:
    """A reader's name for a period: ``2005``, ``2005-06`` (financial year) or ``start to end``."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    if (start.month, start.day, end.month, end.day) == (4, 1, 3, 31) and end.year == start.year + 1:
        return f"{start.year}-{str(end.year)[2:]}"
    return f"{start.isoformat()} to {end.isoformat()}"
