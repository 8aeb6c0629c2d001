"""Substance-misuse figures of Theme 1 (METHODS.md "Targets"; the Barnet strategy, Theme 1, target 3); their
target verdicts are :func:`yot.verdicts.substance_verdicts` (the one rule).

- **Starts**: distinct young people starting a ``substance_misuse`` intervention (early intervention or
  treatment) with start_date in the period. Two episodes of one young person in a period count once.
  Target: +10% a year from 280 in 2004-05.
- **Improvement**: the share of end reviews (``substance_reviews`` with review_date in the period)
  reporting ``reduced`` or ``discontinued`` use, with its Wilson 95% interval. Every review counts
  (a young person reviewed twice counts twice: the measure is of reviews). Target: +5% a year from 72%.

Targets are relative (``baseline * (1 + change) ** years``) or in points (``baseline + change * years``),
as ``mode`` says. A share's target never goes above 100%.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from yot.cohort import default_extract_date
from yot.dates import add_months, period_bounds, period_name
from yot.extract import Extract
from yot.stats import poisson_interval, wilson_interval

PROGRAMME = "substance_misuse"
IMPROVED: tuple[str, ...] = ("reduced", "discontinued")
FINAL_AFTER_MONTHS = 6
"""Figures of a period are final once the extract date is this many months after its end (a choice,
as for first-time entrants: it allows for late recording of starts and end reviews)."""

# ------------------------------------------------------------------------------------ the rules
def substance_starts(extract: Extract, start: dt.date, end: dt.date) -> int:
    """Distinct young people starting a substance-misuse intervention with ``start <= start_date <= end``."""
    return int(
        extract.interventions.lazy()
        .filter((pl.col("programme") == PROGRAMME) & pl.col("start_date").is_between(start, end, closed="both"))
        .select(pl.col("person_id").n_unique())
        .collect()
        .item()
    )


def end_review_outcomes(extract: Extract, start: dt.date, end: dt.date) -> tuple[int, int]:
    """``(improved, reviews)``: end reviews dated in the period, and those among them reporting reduced
    or discontinued use."""
    improved, reviews = (
        extract.substance_reviews.lazy()
        .filter(pl.col("review_date").is_between(start, end, closed="both"))
        .select(pl.col("use_change").is_in(list(IMPROVED)).sum(), pl.len())
        .collect()
        .row(0)
    )
    return int(improved or 0), int(reviews)


def substance_final_from(end: dt.date, final_after_months: int = FINAL_AFTER_MONTHS) -> dt.date:
    """The first extract date on which a period ending ``end`` has final figures."""
    return add_months(end, final_after_months)


def substance_by_year(
    extract: Extract,
    years: Sequence[int],
    period: str = "financial",
    extract_date: dt.date | None = None,
    final_after_months: int = FINAL_AFTER_MONTHS,
) -> pl.DataFrame:
    """One row per year: starts (distinct young people) with an exact Poisson 95% interval; end
    reviews, those reporting reduced or discontinued use, their share and its Wilson 95% interval;
    ``covered`` (the period starts on or before the extract date and does not end before the extract's
    first record: its earliest outcome, intervention start or review) and ``complete`` (final)."""
    as_of = extract_date if extract_date is not None else default_extract_date(extract)
    firsts = [extract.offences.get_column("outcome_date").min(), extract.interventions.get_column("start_date").min(),
              extract.substance_reviews.get_column("review_date").min()]
    earliest = min((d for d in firsts if d is not None), default=None)
    rows = []
    for year in years:
        start, end = period_bounds(period, year)
        starts = substance_starts(extract, start, end)
        improved, reviews = end_review_outcomes(extract, start, end)
        s_low, s_high = poisson_interval(starts)
        r_low, r_high = wilson_interval(improved, reviews)
        rows.append({
            "year": year, "period": period_name(period, year), "start": start, "end": end,
            "starts": starts, "starts_ci_low": s_low, "starts_ci_high": s_high,
            "reviews": reviews, "improved": improved, "share_improved": improved / reviews if reviews else None,
            "share_ci_low": r_low, "share_ci_high": r_high,
            "covered": as_of is not None and start <= as_of and (earliest is None or end >= earliest),
            "complete": as_of is not None and as_of >= substance_final_from(end, final_after_months),
        })
    schema = {
        "year": pl.Int64, "period": pl.String, "start": pl.Date, "end": pl.Date, "starts": pl.Int64,
        "starts_ci_low": pl.Float64, "starts_ci_high": pl.Float64, "reviews": pl.Int64, "improved": pl.Int64,
        "share_improved": pl.Float64, "share_ci_low": pl.Float64, "share_ci_high": pl.Float64,
        "covered": pl.Boolean, "complete": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema)
