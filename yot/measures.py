"""The proven reoffending measures and their breakdowns (METHODS.md "Measures"). The reoffending target's
verdicts are worked out from these measures by :mod:`yot.verdicts` (the one rule).

Every function here takes the cohort members as :func:`yot.cohort.reoffending` gives them (one row per
member with ``reoffended``, ``reoffences`` and ``days_to_first_reoffence``) or the extract itself.
The counting is one polars ``group_by`` over (period, breakdown, group) (and one more over the
reoffenders for the days to first reoffence); all periods' cohorts are picked in one query
(:func:`yot.cohort.cohort_members`), and the only Python loop runs over the handful of groups that come out,
to attach Wilson intervals.

Breakdowns always list every category of the data contract, in contract order, even when no member
falls in it (cohort_size 0, counts 0, rates None), so JSON and published tables keep the same shape
from one cohort to the next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import polars as pl

from yot.cohort import (
    AGE_BANDS,
    check_period,
    cohort_members,
    default_extract_date,
    is_complete,
    reoffending,
)
from yot.contract import ETHNICITIES, SEXES, TIER_ORDER
from yot.dates import period_bounds, period_name
from yot.extract import Extract
from yot.stats import wilson_interval

BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "tier": TIER_ORDER,
    "sex": SEXES,
    "age_band": AGE_BANDS,
    "ethnicity": ETHNICITIES,
}
"""Each breakdown of METHODS.md "Measures" and its categories, in the order outputs list them."""

HEADLINE_KEYS: tuple[str, ...] = (
    "cohort_size", "reoffenders", "reoffences", "binary_rate", "binary_rate_ci", "frequency_rate",
    "reoffences_per_reoffender",
)
"""The measures of the ``metrics --json`` shape, overall and inside ``by``."""

DAY_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-90", 0, 90), ("91-180", 91, 180), ("181-270", 181, 270), ("271-365", 271, 365), ("366+", 366, None),
)
"""Days to first reoffence, banded. ``366+`` catches the 366th day of a 12-month follow-up that spans
a 29 February, and longer follow-ups, so the bands always add up to the reoffenders."""

TABLE_COLUMNS: tuple[str, ...] = (
    "period", "year", "start", "end", "complete", "breakdown", "group", "cohort_size", "reoffenders",
    "reoffences", "binary_rate", "ci_low", "ci_high", "frequency_rate", "reoffences_per_reoffender",
    "days_median", "days_q1", "days_q3", *(f"days_{label.replace('-', '_').replace('+', '_plus')}"
                                            for label, _, _ in DAY_BANDS),
)
"""Columns of :func:`measures_table`: one row per period x breakdown x group."""

_DAYS = pl.col("days_to_first_reoffence")
_BAND_COLUMNS: tuple[str, ...] = TABLE_COLUMNS[-len(DAY_BANDS):]


def _count_aggs() -> list[pl.Expr]:
    """The per-group counts every measure is derived from."""
    return [
        pl.len().cast(pl.Int64).alias("cohort_size"),
        pl.col("reoffended").sum().cast(pl.Int64).alias("reoffenders"),
        pl.col("reoffences").sum().cast(pl.Int64).alias("reoffences"),
    ]


def _days_aggs() -> list[pl.Expr]:
    """Days to first reoffence of the reoffenders of a group: median, quartiles (linear
    interpolation between order statistics, as numpy's default) and counts by band."""
    bands = [
        (_DAYS >= low if high is None else _DAYS.is_between(low, high)).sum().cast(pl.Int64).alias(name)
        for (_, low, high), name in zip(DAY_BANDS, _BAND_COLUMNS, strict=True)
    ]
    return [
        _DAYS.median().alias("days_median"),
        _DAYS.quantile(0.25, interpolation="linear").alias("days_q1"),
        _DAYS.quantile(0.75, interpolation="linear").alias("days_q3"),
        *bands,
    ]


def _rates() -> list[pl.Expr]:
    """binary_rate, frequency_rate and reoffences_per_reoffender; null where the denominator is 0."""
    n, r = pl.col("cohort_size"), pl.col("reoffenders")
    return [
        pl.when(n > 0).then(r / n).alias("binary_rate"),
        pl.when(n > 0).then(pl.col("reoffences") / n).alias("frequency_rate"),
        pl.when(r > 0).then(pl.col("reoffences") / r).alias("reoffences_per_reoffender"),
    ]


_GROUP = pl.Enum(list(dict.fromkeys(["all", *(g for groups in BREAKDOWNS.values() for g in groups)])))


def _long(members: pl.DataFrame) -> pl.LazyFrame:
    """Each member once per breakdown (and once under ``all``), as (breakdown, group) rows.

    ``group`` is an Enum of every category (cheap to group on); a value outside the contract's codes
    becomes null and so falls in no group.
    """
    lazy = members.lazy()
    keep = [c for c in ("period",) if c in members.columns]
    values = [*keep, "reoffended", "reoffences", "days_to_first_reoffence"]
    overall = lazy.select(*values, breakdown=pl.lit("all"), group=pl.lit("all", dtype=_GROUP))
    parts = [
        lazy.select(*values, breakdown=pl.lit(name), group=pl.col(name).cast(pl.String).cast(_GROUP, strict=False))
        for name in BREAKDOWNS
    ]
    return pl.concat([overall, *parts], how="vertical")


def _skeleton() -> pl.DataFrame:
    """Every (breakdown, group) the outputs list, in output order."""
    rows = [("all", "all")] + [(b, g) for b, groups in BREAKDOWNS.items() for g in groups]
    return pl.DataFrame(
        {"breakdown": [b for b, _ in rows], "group": [g for _, g in rows], "order": list(range(len(rows)))},
        schema={"breakdown": pl.String, "group": pl.String, "order": pl.Int64},
    )


def group_counts(members: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Counts and rates of every (breakdown, group), and per ``period`` when the members carry one.

    All groups of all periods are counted in one ``group_by`` (and the days to first reoffence in one
    more, over the reoffenders only); groups with no members appear with zeros and null rates.
    Members whose category is not in the contract (possible only in unvalidated hand-made extracts)
    count in ``all`` but in no breakdown group.
    """
    if isinstance(members, pl.LazyFrame):  # collected first: the five stacked views would each re-run it
        members = members.collect()
    long = _long(members)
    by_period = "period" in members.columns
    keys = ["period", "breakdown", "group"] if by_period else ["breakdown", "group"]
    counts = long.group_by(keys).agg(_count_aggs())
    days = long.filter(_DAYS.is_not_null()).group_by(keys).agg(_days_aggs())
    skeleton = _skeleton().lazy().with_columns(pl.col("group").cast(_GROUP))
    if by_period:
        periods = members.lazy().select(pl.col("period").unique())
        skeleton = periods.join(skeleton, how="cross")
    zero = [pl.col(c).fill_null(0) for c in ("cohort_size", "reoffenders", "reoffences", *_BAND_COLUMNS)]
    return (
        skeleton.join(counts, on=keys, how="left")
        .join(days, on=keys, how="left")
        .with_columns(zero)
        .with_columns(_rates())
        .sort([*(["period"] if by_period else []), "order"])
        .drop("order")
        .with_columns(pl.col("group").cast(pl.String))
        .collect()
    )


def _with_intervals(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds the 95% Wilson interval of binary_rate (``ci_low``, ``ci_high``), one call per group."""
    intervals = [
        wilson_interval(r, n) for r, n in zip(frame["reoffenders"].to_list(), frame["cohort_size"].to_list(),
                                              strict=True)
    ]
    return frame.with_columns(
        ci_low=pl.Series([lo for lo, _ in intervals], dtype=pl.Float64),
        ci_high=pl.Series([hi for _, hi in intervals], dtype=pl.Float64),
    )


def _num(value: Any) -> Any:
    """A plain JSON number (ints stay ints)."""
    if value is None:
        return None
    return int(value) if isinstance(value, int) else float(value)


def _measures_of(row: dict[str, Any]) -> dict[str, Any]:
    """The measures dict of one group from its row of :func:`group_counts`."""
    low, high = wilson_interval(row["reoffenders"], row["cohort_size"])
    return {
        "cohort_size": row["cohort_size"],
        "reoffenders": row["reoffenders"],
        "reoffences": row["reoffences"],
        "binary_rate": _num(row["binary_rate"]),
        "binary_rate_ci": [low, high],
        "frequency_rate": _num(row["frequency_rate"]),
        "reoffences_per_reoffender": _num(row["reoffences_per_reoffender"]),
        "days_to_first_reoffence": {
            "median": _num(row["days_median"]),
            "q1": _num(row["days_q1"]),
            "q3": _num(row["days_q3"]),
            "bands": {label: row[col] for (label, _, _), col in zip(DAY_BANDS, _BAND_COLUMNS, strict=True)},
        },
    }


def measures(members: pl.DataFrame) -> dict[str, Any]:
    """The measures of a cohort (METHODS.md "Measures").

    cohort_size, reoffenders (members with at least one reoffence), reoffences, binary_rate with its
    95% Wilson interval ``binary_rate_ci`` = [low, high], frequency_rate, reoffences_per_reoffender
    (None when there are no reoffenders) and ``days_to_first_reoffence``: median, quartiles (linear
    interpolation) and counts of reoffenders by days band (0-90, 91-180, 181-270, 271-365, 366+).
    An empty cohort gives zeros, None rates and a [None, None] interval.
    """
    row = group_counts(members).row(0, named=True)
    return _measures_of(row)


def breakdowns(members: pl.DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
    """The measures of :func:`measures` by tier, sex, age band and ethnicity.

    ``{"tier": {"pre_court": {...}, "first_tier": ..., "community": ..., "custody": ...}, "sex": {M, F,
    U}, "age_band": {"10-14", "15-17"}, "ethnicity": {contract order}}``: every category always
    appears, with zeros and None rates when no member falls in it.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in BREAKDOWNS}
    for row in group_counts(members).filter(pl.col("breakdown") != "all").iter_rows(named=True):
        out[row["breakdown"]][row["group"]] = _measures_of(row)
    return out


def headline(measures_dict: dict[str, Any]) -> dict[str, Any]:
    """Only the ``metrics --json`` measures (cohort_size .. reoffences_per_reoffender) of a measures dict."""
    return {key: measures_dict[key] for key in HEADLINE_KEYS}


def cohort_metrics(
    extract: Extract,
    start: dt.date,
    end: dt.date,
    follow_up_months: int = 12,
    waiting_months: int = 6,
    extract_date: dt.date | None = None,
) -> dict[str, Any]:
    """The ``metrics --json`` result of the cohort ``start <= index_date <= end``.

    Exact figures (analyst-facing, no suppression). ``extract_date`` defaults to the latest
    outcome_date in the extract; ``complete`` says whether the cohort's figures are final.
    """
    check_period(start, end)
    members = reoffending(extract, start, end, follow_up_months, waiting_months)
    as_of = extract_date if extract_date is not None else default_extract_date(extract)
    rows = group_counts(members)
    overall = _measures_of(rows.row(0, named=True))
    by: dict[str, dict[str, Any]] = {name: {} for name in BREAKDOWNS}
    for row in rows.slice(1).iter_rows(named=True):
        by[row["breakdown"]][row["group"]] = headline(_measures_of(row))
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "follow_up_months": follow_up_months,
        "waiting_months": waiting_months,
        "extract_date": as_of.isoformat() if as_of is not None else None,
        "complete": is_complete(end, as_of, follow_up_months, waiting_months),
        **headline(overall),
        "by": by,
    }


def measures_table(
    extract: Extract,
    periods: Sequence[tuple[str, dt.date, dt.date]],
    follow_up_months: int = 12,
    waiting_months: int = 6,
    extract_date: dt.date | None = None,
) -> pl.DataFrame:
    """A tidy table of the measures: one row per period x breakdown x group (columns ``TABLE_COLUMNS``).

    ``periods`` are (label, start, end). ``breakdown`` is ``all`` (with group ``all``), ``tier``,
    ``sex``, ``age_band`` or ``ethnicity``; every contract category appears. ``complete`` is False
    for a provisional cohort. ``year`` is null here (see :func:`measures_by_year`).
    """
    as_of = extract_date if extract_date is not None else default_extract_date(extract)
    bounds = pl.DataFrame(
        {
            "period": [label for label, _, _ in periods],
            "start": [start for _, start, _ in periods],
            "end": [end for _, _, end in periods],
            "complete": [is_complete(end, as_of, follow_up_months, waiting_months) for _, _, end in periods],
            "order": list(range(len(periods))),
        },
        schema={"period": pl.String, "start": pl.Date, "end": pl.Date, "complete": pl.Boolean, "order": pl.Int64},
    )
    members = cohort_members(extract, periods, follow_up_months, waiting_months)
    counts = group_counts(members)  # periods with no members are filled with zeros below
    skeleton = bounds.join(_skeleton(), how="cross").rename({"order_right": "group_order"})
    table = (
        skeleton.join(counts, on=["period", "breakdown", "group"], how="left")
        .with_columns(pl.col(c).fill_null(0) for c in ("cohort_size", "reoffenders", "reoffences", *_BAND_COLUMNS))
        .sort(["order", "group_order"])
        .with_columns(year=pl.lit(None, dtype=pl.Int64))
    )
    return _with_intervals(table).select(TABLE_COLUMNS)


def measures_by_year(
    extract: Extract,
    years: Sequence[int],
    period: str = "calendar",
    follow_up_months: int = 12,
    waiting_months: int = 6,
    extract_date: dt.date | None = None,
) -> pl.DataFrame:
    """:func:`measures_table` for the cohort of each of ``years``: ``period`` is ``calendar``
    (1 Jan-31 Dec), ``financial`` (1 Apr-31 Mar) or ``october_december``; ``year`` is filled in."""
    periods = [(period_name(period, y), *period_bounds(period, y)) for y in years]
    table = measures_table(extract, periods, follow_up_months, waiting_months, extract_date)
    years_of = pl.DataFrame({"period": [p for p, _, _ in periods], "y": list(years)},
                            schema={"period": pl.String, "y": pl.Int64})
    return (
        table.join(years_of, on="period", how="left", maintain_order="left")
        .with_columns(year=pl.col("y"))
        .select(TABLE_COLUMNS)
    )


# ------------------------------------------------------------------------- annual from four quarters
def year_quarters(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The consecutive three-month periods from ``start`` to ``end`` (a year gives four)."""
    from yot.dates import add_months

    quarters, s = [], start
    while s <= end:
        e = add_months(s, 3) - dt.timedelta(days=1)
        if e > end:
            raise ValueError(f"{start} to {end} is not a whole number of three-month periods")
        quarters.append((s, e))
        s = e + dt.timedelta(days=1)
    return quarters


def measures_by_year_from_quarters(
    extract: Extract,
    years: Sequence[int],
    period: str = "calendar",
    follow_up_months: int = 12,
    waiting_months: int = 6,
    extract_date: dt.date | None = None,
) -> pl.DataFrame:
    """:func:`measures_by_year` with each year's figure built as the MoJ has since 2017 (METHODS.md
    "Quarterly cohorts"): the year's four quarterly cohorts, each with its own index offence (and its
    own follow-up), added together, so a person with index dates in two quarters counts in both.

    Same columns (``TABLE_COLUMNS``) and rows as :func:`measures_by_year`: ``cohort_size`` is the sum
    of the four quarterly cohort sizes, ``reoffenders`` and ``reoffences`` the sums of theirs, the
    rates and Wilson intervals are worked out on those sums, and the days to first reoffence pool the
    quarters' reoffenders. ``complete`` is the year's (the last quarter's) completeness.
    """
    as_of = extract_date if extract_date is not None else default_extract_date(extract)
    labels = [period_name(period, y) for y in years]
    bounds_of = [period_bounds(period, y) for y in years]
    quarters = [(f"{label}|{i}", s, e) for label, (start, end) in zip(labels, bounds_of, strict=True)
                for i, (s, e) in enumerate(year_quarters(start, end))]
    members = cohort_members(extract, quarters, follow_up_months, waiting_months).with_columns(
        period=pl.col("period").str.split("|").list.first())
    counts = group_counts(members)
    bounds = pl.DataFrame(
        {"period": labels, "start": [s for s, _ in bounds_of], "end": [e for _, e in bounds_of],
         "complete": [is_complete(e, as_of, follow_up_months, waiting_months) for _, e in bounds_of],
         "order": list(range(len(labels))), "year": list(years)},
        schema={"period": pl.String, "start": pl.Date, "end": pl.Date, "complete": pl.Boolean, "order": pl.Int64,
                "year": pl.Int64},
    )
    skeleton = bounds.join(_skeleton(), how="cross").rename({"order_right": "group_order"})
    table = (
        skeleton.join(counts, on=["period", "breakdown", "group"], how="left")
        .with_columns(pl.col(c).fill_null(0) for c in ("cohort_size", "reoffenders", "reoffences", *_BAND_COLUMNS))
        .sort(["order", "group_order"])
    )
    return _with_intervals(table).select(TABLE_COLUMNS)
