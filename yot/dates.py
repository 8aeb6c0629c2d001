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


def period_label(start: dt.date, end: dt.date) -> str:
    """A reader's name for a period: ``2005``, ``2005-06`` (financial year) or ``start to end``."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    if (start.month, start.day, end.month, end.day) == (4, 1, 3, 31) and end.year == start.year + 1:
        return f"{start.year}-{str(end.year)[2:]}"
    return f"{start.isoformat()} to {end.isoformat()}"
