"""First-time entrants: METHODS.md "First-time entrants" and the path of the YJB's first-time-entrant target
(its verdicts: :func:`yot.verdicts.fte_verdicts`, the one rule).

A person is a **first-time entrant** (FTE) in a period when their earliest proven offence (by
outcome_date, over the whole extract) has its outcome_date in the period (inclusive) and they were 10
to 17 on that date. Two offences proven on their first day make one FTE. The FTE rate per 100,000 is
``FTE / (population aged 10 to 17 of the YOT in the mid-year of the period's start year) * 100,000``;
when the population table lacks that year there is no rate (None), never a rate on the wrong base.

The population is that of the YOT(s) present among the extract's people (or of the ``yot`` named);
when any of those YOTs has no estimate for the year, the population is None, so a partial sum never
passes for the whole.

Periods come from :func:`yot.dates.period_bounds` (``calendar``, ``financial``, ``october_december``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import polars as pl

from yot.cohort import default_extract_date
from yot.contract import ETHNICITIES, POPULATION_SEXES, SEXES
from yot.dates import add_months, age_at, period_bounds, period_name
from yot.extract import Extract
from yot.stats import poisson_interval
from yot.targets import Mode, target_value

FTE_AGES: tuple[int, ...] = tuple(range(10, 18))
FTE_COLUMNS: tuple[str, ...] = (
    "person_id", "offence_id", "offence_date", "outcome_date", "outcome", "offence_type", "gravity",
    "age", "sex", "ethnicity", "yot",
)
PER = 100_000
FINAL_AFTER_MONTHS = 6
"""An FTE count is final once the extract date is at least this many months after the period end (a
choice: outcomes in the period are all in the past by then, and 6 months allows for late recording,
as the MoJ's waiting period does for reoffences). Before that it is provisional."""


# ------------------------------------------------------------------------------------ the rule
def first_proven_offences(extract: Extract) -> pl.LazyFrame:
    """Each person's earliest proven offence by outcome_date over the whole extract, one row per person.

    When several offences share the first outcome_date (two offences dealt with on one day) the person
    still has one row: the highest gravity, then the smallest offence_id, stands for the day. ``age`` is
    the age on that outcome_date. People without a proven offence have no row.
    """
    people = extract.people.lazy().select("person_id", "date_of_birth", "sex", "ethnicity", "yot")
    return (
        extract.offences.lazy()
        .filter(pl.col("outcome_date").is_not_null())
        .sort(["person_id", "outcome_date", "gravity", "offence_id"], descending=[False, False, True, False])
        .unique(subset="person_id", keep="first", maintain_order=True)
        .join(people, on="person_id", how="inner")
        .with_columns(age=age_at(pl.col("date_of_birth"), pl.col("outcome_date")))
        .select(FTE_COLUMNS)
    )


def _entrants(first: pl.LazyFrame, start: dt.date, end: dt.date) -> pl.LazyFrame:
    return first.filter(
        pl.col("outcome_date").is_between(start, end, closed="both") & pl.col("age").is_between(10, 17)
    )


def first_time_entrants(extract: Extract, start: dt.date, end: dt.date) -> pl.DataFrame:
    """The first-time entrants of ``start <= outcome_date <= end``: one row per young person.

    Their earliest proven offence over the whole extract was proven in the period, when they were 10
    to 17. Someone first proven to have offended at 9 (below the age of criminal responsibility, but
    in the data) or at 18 never becomes an FTE. Analyst-side: rows of people, never published as such.
    """
    _check_period(start, end)
    return _entrants(first_proven_offences(extract), start, end).sort("person_id").collect()


# ------------------------------------------------------------------------------------ population
def _yots(extract: Extract, yot: str | Sequence[str] | None) -> list[str]:
    if yot is None:
        return sorted(extract.people.get_column("yot").drop_nulls().unique().to_list())
    return [yot] if isinstance(yot, str) else list(yot)


def population_cells(
    extract: Extract, year: int, yot: str | Sequence[str] | None = None
) -> pl.DataFrame | None:
    """The mid-year ``year`` population aged 10 to 17 by single year of age and sex, summed over the
    YOT(s): those present among the extract's people, or ``yot``.

    None when the population table is absent or any of those YOTs has no estimate for ``year``.
    """
    yots = _yots(extract, yot)
    if not extract.has("population") or not yots:
        return None
    rows = extract.population.lazy().filter(
        (pl.col("year") == year) & pl.col("yot").is_in(yots) & pl.col("age").is_between(10, 17)
        & pl.col("sex").is_in(list(POPULATION_SEXES))
    )
    cells = rows.group_by("age", "sex").agg(pl.col("count").sum()).sort("age", "sex")
    found = rows.select(pl.col("yot").unique()).collect().get_column("yot").to_list()
    if set(found) != set(yots):
        return None
    return cells.collect()


def population_10_17(extract: Extract, year: int, yot: str | Sequence[str] | None = None) -> int | None:
    """The population aged 10 to 17 (both sexes) of the YOT(s) in the mid-year ``year``; None when
    the population table lacks that year (there is then no rate, not a wrong one)."""
    cells = population_cells(extract, year, yot)
    return None if cells is None else int(cells.get_column("count").sum())


def rate_per_100k(count: int, population: int | None) -> float | None:
    """``count / population * 100,000``; None without a population (or with a population of 0)."""
    if population is None or population <= 0:
        return None
    return count / population * PER


# ------------------------------------------------------------------------------------ summary
def _check_period(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise ValueError(f"period start {start} is after its end {end}")


def _group(count: int, population: int | None) -> dict[str, Any]:
    return {"fte": count, "population": population, "rate_per_100k": rate_per_100k(count, population)}


def fte_summary(
    extract: Extract, start: dt.date, end: dt.date, yot: str | Sequence[str] | None = None
) -> dict[str, Any]:
    """The first-time entrants of a period with rates: exactly the ``yot fte --json`` shape.

    ``{"period": {"start", "end"}, "fte", "population_10_17", "rate_per_100k", "by": {"sex", "age",
    "ethnicity"}}``. Every group of ``by`` has ``fte``, ``population`` and ``rate_per_100k``; the
    population is that group's own (sex M/F, single years of age 10 to 17, from the mid-year of the
    start's year) and null where none exists (sex U, every ethnic group, a missing year). Every
    contract category is listed, zeros included. Exact figures: analyst-facing.
    """
    entrants = first_time_entrants(extract, start, end)
    cells = population_cells(extract, start.year, yot)

    def counts(column: str, keys: Sequence[Any]) -> dict[str, int]:
        got = dict(entrants.group_by(column).len().iter_rows())
        return {str(k): int(got.get(k, 0)) for k in keys}

    def pops(column: str) -> dict[str, int]:
        if cells is None:
            return {}
        return {str(k): int(v) for k, v in cells.group_by(column).agg(pl.col("count").sum()).iter_rows()}

    total = int(entrants.height)
    population = None if cells is None else int(cells.get_column("count").sum())
    sex_pop, age_pop = pops("sex"), pops("age")
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "fte": total,
        "population_10_17": population,
        "rate_per_100k": rate_per_100k(total, population),
        "by": {
            "sex": {k: _group(n, sex_pop.get(k)) for k, n in counts("sex", SEXES).items()},
            "age": {k: _group(n, age_pop.get(k)) for k, n in counts("age", FTE_AGES).items()},
            "ethnicity": {k: _group(n, None) for k, n in counts("ethnicity", ETHNICITIES).items()},
        },
    }


# ------------------------------------------------------------------------------------ by year
def fte_final_from(end: dt.date, final_after_months: int = FINAL_AFTER_MONTHS) -> dt.date:
    """The first extract date on which the FTE count of a period ending ``end`` is final."""
    return add_months(end, final_after_months)


def fte_by_year(
    extract: Extract,
    years: Sequence[int],
    period: str = "financial",
    extract_date: dt.date | None = None,
    final_after_months: int = FINAL_AFTER_MONTHS,
    yot: str | Sequence[str] | None = None,
) -> pl.DataFrame:
    """One row per year: the period, its FTE count with an exact Poisson 95% interval, the population
    aged 10 to 17 of the start year's mid-year (null if missing), the rate per 100,000 with the
    interval scaled to it, and whether the figures are final.

    ``covered`` is False when the extract cannot speak for the period: it starts after the extract
    date, or ends before the extract's first proven outcome.
    """
    as_of = extract_date if extract_date is not None else default_extract_date(extract)
    earliest = extract.offences.get_column("outcome_date").min()
    first = first_proven_offences(extract).collect().lazy()
    rows = []
    for year in years:
        start, end = period_bounds(period, year)
        n = int(_entrants(first, start, end).select(pl.len()).collect().item())
        pop = population_10_17(extract, start.year, yot)
        low, high = poisson_interval(n)
        scale = PER / pop if pop else None
        rows.append({
            "year": year, "period": period_name(period, year), "start": start, "end": end, "fte": n,
            "fte_ci_low": low, "fte_ci_high": high, "population_10_17": pop,
            "rate_per_100k": rate_per_100k(n, pop),
            "rate_ci_low": None if scale is None else low * scale,
            "rate_ci_high": None if scale is None else high * scale,
            "covered": as_of is not None and earliest is not None and start <= as_of and end >= earliest,
            "complete": as_of is not None and as_of >= fte_final_from(end, final_after_months),
        })
    schema = {
        "year": pl.Int64, "period": pl.String, "start": pl.Date, "end": pl.Date, "fte": pl.Int64,
        "fte_ci_low": pl.Float64, "fte_ci_high": pl.Float64, "population_10_17": pl.Int64,
        "rate_per_100k": pl.Float64, "rate_ci_low": pl.Float64, "rate_ci_high": pl.Float64,
        "covered": pl.Boolean, "complete": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema)


# ------------------------------------------------------------------------------------ target
def yearly_change(change: float, span: int, mode: Mode = "relative") -> float:
    """The change per year that spreads ``change`` evenly over ``span`` years: geometric when
    relative (``(1 + change) ** (1 / span) - 1``), linear when in points (``change / span``)."""
    if span <= 0:
        return change
    if mode == "relative":
        return (1 + change) ** (1 / span) - 1
    if mode == "points":
        return change / span
    raise ValueError(f"unknown target mode: {mode!r}")


def fte_target(baseline: float, baseline_year: int, change: float, by_year: int, year: int,
               mode: Mode = "relative") -> float:
    """The FTE target for ``year``: the baseline before and in the baseline year, ``change`` reached
    by ``by_year`` and held after it, spread evenly in between (see :func:`yearly_change`)."""
    span = by_year - baseline_year
    if span <= 0:
        return baseline if year < by_year else target_value(baseline, 0, change, 1, mode)
    step = min(max(year, baseline_year), by_year)
    return target_value(baseline, baseline_year, yearly_change(change, span, mode), step, mode)
