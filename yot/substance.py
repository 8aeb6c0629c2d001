"""Substance-misuse targets of Theme 1 (METHODS.md "Targets"; the Barnet strategy, Theme 1, target 3).

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
import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from yot._lazy import lazy_module
from yot.cohort import default_extract_date
from yot.dates import add_months, period_bounds, period_name
from yot.extract import Extract
from yot.stats import (
    count_change_test,
    detectable_count_change,
    poisson_interval,
    proportion_difference,
    wilson_interval,
)
from yot.targets import TargetResult, is_met, rag_status, target_value

sps = lazy_module("scipy.stats")  # imported on first use

PROGRAMME = "substance_misuse"
IMPROVED: tuple[str, ...] = ("reduced", "discontinued")
FINAL_AFTER_MONTHS = 6
"""Figures of a period are final once the extract date is this many months after its end (a choice,
as for first-time entrants: it allows for late recording of starts and end reviews)."""

STARTS_TARGET: dict[str, Any] = {"baseline_year": 2004, "baseline_value": 280, "change_per_year": 0.10,
                                 "mode": "relative"}
IMPROVEMENT_TARGET: dict[str, Any] = {"baseline_year": 2004, "baseline_value": 0.72, "change_per_year": 0.05,
                                      "mode": "relative"}


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


# ------------------------------------------------------------------------------------ tests, power
def one_sample_proportion_test(successes: int, n: int, value: float) -> float | None:
    """Exact two-sided binomial test of ``successes / n`` against a fixed baseline share ``value``."""
    if n <= 0 or not 0 <= value <= 1:
        return None
    return float(sps.binomtest(successes, n, value).pvalue)


def detectable_proportion_rise(baseline_share: float, n_observed: int, n_baseline: int | None = None,
                               power: float = 0.8, alpha: float = 0.05) -> float | None:
    """The smallest rise from ``baseline_share`` (in proportion points) that ``n_observed`` reviews
    could detect, against ``n_baseline`` baseline reviews (two proportions) or, with no baseline
    reviews, against the baseline share as a fixed value (one sample). Cohen's h, 80% power, 5%
    two-sided, as :func:`yot.stats.detectable_proportion_change` does for a fall."""
    if n_observed <= 0 or not 0 < baseline_share < 1:
        return None
    ratio = 0 if not n_baseline else n_observed / n_baseline
    nobs1 = n_observed if not n_baseline else n_baseline
    from statsmodels.stats.power import NormalIndPower

    h = NormalIndPower().solve_power(effect_size=None, nobs1=nobs1, ratio=ratio, alpha=alpha, power=power,
                                     alternative="two-sided")
    phi = min(2 * math.asin(math.sqrt(baseline_share)) + float(h), math.pi)
    return float(math.sin(phi / 2) ** 2 - baseline_share)


# ------------------------------------------------------------------------------------ targets
def _param(target: Mapping[str, Any] | Any, key: str) -> Any:
    return target[key] if isinstance(target, Mapping) else getattr(target, key)


def _target_of(target: Mapping[str, Any] | Any) -> tuple[int, float, float, str]:
    return (int(_param(target, "baseline_year")), float(_param(target, "baseline_value")),
            float(_param(target, "change_per_year")), str(_param(target, "mode") or "relative"))


def _path(mode: str, change: float, year: int) -> str:
    return (f"{change:+.0%} a year (relative) from {year}" if mode == "relative"
            else f"{change:+g} a year (points) from {year}")


def substance_target_results(
    extract: Extract,
    years: Sequence[int],
    period: str = "financial",
    starts_target: Mapping[str, Any] | Any = STARTS_TARGET,
    improvement_target: Mapping[str, Any] | Any = IMPROVEMENT_TARGET,
    extract_date: dt.date | None = None,
    final_after_months: int = FINAL_AFTER_MONTHS,
) -> list[TargetResult]:
    """Both substance-misuse targets for each of ``years``: starts, then the improvement share.

    Each target is a dict (or an object with the attributes) ``baseline_year``, ``baseline_value``,
    ``change_per_year`` and ``mode`` (``relative`` or ``points``; a share's points are proportions,
    0.05 = 5 points). The trajectory starts from the strategy's ``baseline_value``. Change from the
    baseline: for starts, an exact test of two Poisson counts against the baseline period's starts
    in the extract (or ``baseline_value`` when the extract has none then); for the share, a
    two-proportion score test against the baseline period's reviews in the extract, or an exact
    one-sample binomial test against ``baseline_value`` when they are not in the extract. ``note``
    says which. A year the extract does not cover (see :func:`substance_by_year`) or with no reviews
    has no observed value; a year is provisional until ``final_after_months`` after its end.
    """
    years = list(years)
    s_year, s_base, s_change, s_mode = _target_of(starts_target)
    i_year, i_base, i_change, i_mode = _target_of(improvement_target)
    table = substance_by_year(extract, sorted(set(years) | {s_year, i_year}), period, extract_date, final_after_months)
    by = {r["year"]: r for r in table.iter_rows(named=True)}
    has_iv, has_rv = extract.has("interventions"), extract.has("substance_reviews")
    results: list[TargetResult] = []

    s_data = by[s_year]["starts"] if has_iv and by[s_year]["covered"] else 0
    s_compare = s_data if s_data > 0 else round(s_base)
    s_rule = (f"METHODS.md Targets: distinct young people starting substance_misuse interventions (start_date in "
              f"the period); target {_path(s_mode, s_change, s_year)}, baseline {s_base:g}; exact Poisson 95% interval")
    for year in years:
        row = by[year]
        target = target_value(s_base, s_year, s_change, year, s_mode)
        observed = float(row["starts"]) if has_iv and row["covered"] else None
        ci = (row["starts_ci_low"], row["starts_ci_high"]) if observed is not None else (None, None)
        if s_data > 0:
            note = (f"change from baseline: exact test of two Poisson counts against the "
                    f"{period_name(period, s_year)} starts in the extract ({s_data})")
        else:
            note = (f"the {period_name(period, s_year)} starts are not in the extract: change from baseline tested "
                    f"against the baseline value {s_compare}")
        p_value = count_change_test(row["starts"], s_compare) if observed is not None else None
        if year == s_year:
            p_value, note = None, "the baseline year itself"
        if not has_iv:
            note = "no figure: the extract has no interventions table"
        elif not row["covered"]:
            note = "no figure: the extract does not cover this period"
        elif not row["complete"]:
            note += f"; provisional: final in an extract dated {substance_final_from(row['end'], final_after_months)} or later"
        results.append(TargetResult(
            area="Substance misuse",
            measure="Young people starting substance-misuse early intervention or treatment",
            period_label=row["period"], year=year, unit="count", lower_is_better=False,
            baseline_label=f"{period_name(period, s_year)}, strategy baseline",
            baseline_value=s_base, target_value=float(target), observed=observed, ci_low=ci[0], ci_high=ci[1],
            denominator=None, met=is_met(observed, target, lower_is_better=False), p_value=p_value,
            significant=None if p_value is None else p_value < 0.05,
            detectable_change=detectable_count_change(s_compare) if observed is not None else None,
            status=rag_status(observed, target, s_base, lower_is_better=False, ci=ci),
            provisional=bool(observed is not None and not row["complete"]), rule=s_rule, note=note,
        ))

    base_row = by[i_year]
    b_x, b_n = (base_row["improved"], base_row["reviews"]) if has_rv and base_row["covered"] else (0, 0)
    i_rule = (f"METHODS.md Targets: share of end reviews (review_date in the period) reporting reduced or "
              f"discontinued use; target {_path(i_mode, i_change, i_year)}, baseline {i_base:.0%}, at most 100%; "
              "Wilson 95% interval")
    for year in years:
        row = by[year]
        target = min(target_value(i_base, i_year, i_change, year, i_mode), 1.0)
        x, n = row["improved"], row["reviews"]
        observed = row["share_improved"] if has_rv and row["covered"] and n > 0 else None
        ci = (row["share_ci_low"], row["share_ci_high"]) if observed is not None else (None, None)
        if b_n > 0:
            p_value = proportion_difference(x, n, b_x, b_n)[3] if observed is not None else None
            detectable = detectable_proportion_rise(b_x / b_n, n, b_n) if b_x < b_n else None
            note = (f"change from baseline: two-proportion score test against the {period_name(period, i_year)} "
                    f"end reviews in the extract ({b_x} of {b_n})")
        else:
            p_value = one_sample_proportion_test(x, n, i_base) if observed is not None else None
            detectable = detectable_proportion_rise(i_base, n)
            note = (f"the {period_name(period, i_year)} end reviews are not in the extract: change from baseline "
                    f"tested with an exact binomial test against the baseline value {i_base:.0%}")
        if year == i_year:
            p_value, note = None, "the baseline year itself"
        if not has_rv:
            note = "no figure: the extract has no substance_reviews table"
        elif not row["covered"]:
            note = "no figure: the extract does not cover this period"
        elif n == 0:
            note = "no figure: no end reviews dated in this period"
        elif not row["complete"]:
            note += f"; provisional: final in an extract dated {substance_final_from(row['end'], final_after_months)} or later"
        if target >= 1.0 and target_value(i_base, i_year, i_change, year, i_mode) > 1.0:
            note += "; the trajectory passes 100%, so the target is held at 100%"
        results.append(TargetResult(
            area="Substance misuse",
            measure="End reviews reporting reduced or discontinued use",
            period_label=row["period"], year=year, unit="proportion", lower_is_better=False,
            baseline_label=f"{period_name(period, i_year)}, strategy baseline",
            baseline_value=i_base, target_value=float(target), observed=observed, ci_low=ci[0], ci_high=ci[1],
            denominator=n if observed is not None else None,
            met=is_met(observed, target, lower_is_better=False), p_value=p_value,
            significant=None if p_value is None else p_value < 0.05,
            detectable_change=detectable if observed is not None else None,
            status=rag_status(observed, target, i_base, lower_is_better=False, ci=ci),
            provisional=bool(observed is not None and not row["complete"]), rule=i_rule, note=note,
        ))
    return results
