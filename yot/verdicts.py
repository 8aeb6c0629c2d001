"""Target verdicts: one rule for every target, period and page (METHODS.md "Targets and verdicts",
revised December 2026).

:func:`verdict` is the rule. Given a target's baseline (the parameter: the strategy's published figure),
its target for the period, the period's counts and whether they are final, it gives a :class:`Verdict`:
the observed figure with its 95% interval, the change from the baseline with its sign, the one-sample
two-sided test of that change against the baseline value, the chance of being on target (Jeffreys
posterior), the detectable change at 80% power (or none), and the status:

- the baseline period (and any period before it) is ``baseline``: never rated;
- a period whose figures are not final is ``provisional``, whatever its figure;
- a period with no data is ``no_data``;
- otherwise ``met`` when the observed figure is at or better than the target, ``within_margin`` when
  it is worse but the target lies inside the 95% interval (ends included), ``missed`` otherwise.

The gatherers (:func:`reoffending_verdicts`, :func:`fte_verdicts`, :func:`substance_verdicts`) count
each target's periods with the engine (``yot.measures``, ``yot.fte``, ``yot.substance``) and call the
rule; :func:`trend` gives the average relative change a year across the final periods. The pages, the
index, the published CSVs and ``yot targets`` all use these, so a verdict is worked out in one place.

Inference (the test, the chance of being on target, the detectable change) is given only for rated
periods; a baseline, provisional or empty period has none (it is not rated).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import polars as pl

from yot.cohort import default_extract_date
from yot.contract import TIER_ORDER
from yot.extract import Extract
from yot.fte import PER, fte_by_year, fte_target
from yot.measures import measures_by_year, measures_by_year_from_quarters
from yot.stats import (
    detectable_one_sample_count,
    detectable_one_sample_proportion,
    jeffreys_count_probability,
    jeffreys_proportion_probability,
    one_sample_poisson_p,
    one_sample_proportion_p,
    poisson_interval,
    wilson_interval,
    yearly_relative_change,
)
from yot.substance import substance_by_year
from yot.targets import Mode, target_value

TargetName = Literal["reoffending", "fte", "substance_starts", "substance_improvement"]
Status = Literal["met", "within_margin", "missed", "baseline", "provisional", "no_data"]
Unit = Literal["proportion", "per_100k", "count"]
BaselineSource = Literal["parameter", "data"]

TARGETS: tuple[str, ...] = ("reoffending", "fte", "substance_starts", "substance_improvement")
STATUSES: tuple[str, ...] = ("met", "within_margin", "missed", "baseline", "provisional", "no_data")
RATED: frozenset[str] = frozenset({"met", "within_margin", "missed"})
FINAL_AFTER_MONTHS = 6
"""FTE and substance-misuse periods are final once their end is at least this many months before the
extract date (METHODS.md); reoffending cohorts once complete (``yot.cohort.is_complete``)."""


@dataclass(frozen=True)
class Verdict:
    """One target in one period. ``tier`` is None for the whole cohort (reoffending) and for the other
    targets. Figures are in ``unit``: proportions as proportions (0.282), FTE rates per 100,000, counts
    as counts. ``numerator``/``denominator``: reoffenders of the cohort, improved end reviews of all
    end reviews, FTE of the population aged 10 to 17 (per_100k) or alone (count), starts alone.
    ``baseline`` is the one baseline (the parameter where the suite gives one, else the extract's
    baseline-period figure: ``baseline_source`` says which); ``baseline_from_data`` is the extract's
    own baseline-period figure (None when the extract lacks it). ``change`` = observed - baseline, in
    the same unit. ``detectable_change`` is signed (negative for a fall)."""

    target: str
    tier: str | None
    period: str
    start: dt.date
    end: dt.date
    year: int
    final: bool
    status: str
    unit: str
    lower_is_better: bool
    baseline: float | None
    baseline_from_data: float | None
    baseline_source: str
    target_value: float | None
    observed: float | None
    numerator: int | None
    denominator: int | None
    ci_low: float | None
    ci_high: float | None
    change: float | None
    p_value: float | None
    p_on_target: float | None
    detectable_change: float | None
    baseline_year: int = 0
    baseline_numerator: int | None = None
    baseline_denominator: int | None = None

    @property
    def rated(self) -> bool:
        return self.status in RATED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Trend:
    """The average relative change a year of a target across its final periods from the baseline on
    (``change_per_year`` -0.05 = 5% down a year) with its 95% interval, beside the target's own change
    a year over the same years. ``change_per_year`` is None when there is no trend (``reason``)."""

    target: str
    tier: str | None
    periods: int
    first_year: int | None
    last_year: int | None
    first_period: str | None
    last_period: str | None
    change_per_year: float | None
    ci_low: float | None
    ci_high: float | None
    target_change_per_year: float | None
    model: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------------------------ the rule
def _better_or_equal(observed: float, target: float, lower_is_better: bool) -> bool:
    return observed <= target if lower_is_better else observed >= target


def status_of(*, is_baseline: bool, final: bool, observed: float | None, target: float | None,
              ci: tuple[float | None, float | None], lower_is_better: bool) -> str:
    """The status of one period (METHODS.md): baseline, then provisional, then no data, then
    met / within_margin / missed against the target and the 95% interval (ends included)."""
    if is_baseline:
        return "baseline"
    if not final:
        return "provisional"
    if observed is None or target is None:
        return "no_data"
    if _better_or_equal(observed, target, lower_is_better):
        return "met"
    low, high = ci
    if low is not None and high is not None and low <= target <= high:
        return "within_margin"
    return "missed"


def verdict(
    *,
    target: str,
    tier: str | None,
    period: str,
    start: dt.date,
    end: dt.date,
    year: int,
    final: bool,
    is_baseline: bool,
    unit: str,
    lower_is_better: bool,
    baseline: float | None,
    baseline_from_data: float | None,
    baseline_source: str,
    target_value: float | None,
    numerator: int | None,
    denominator: int | None = None,
    baseline_year: int = 0,
    baseline_numerator: int | None = None,
    baseline_denominator: int | None = None,
) -> Verdict:
    """The verdict of one target in one period: THE rule (see the module docstring).

    ``numerator`` None means no data for the period. ``proportion``: ``numerator`` of ``denominator``
    (Wilson 95% interval; exact binomial test against the baseline; Jeffreys Beta posterior; Cohen's h
    for the detectable change). ``per_100k``: a count of ``denominator`` people (exact Poisson interval
    scaled to the rate; the count tested against baseline rate x population / 100,000; Jeffreys Gamma
    posterior on the count scale; square-root-scale power). ``count``: the same with no population.
    """
    if unit in ("proportion", "per_100k") and not denominator:
        numerator = None  # a share of nobody, or a rate without its population: no figure
    scale = PER / denominator if unit == "per_100k" and denominator else None
    observed: float | None = None
    low = high = None
    if numerator is not None:
        if unit == "proportion":
            observed = numerator / denominator  # type: ignore[operator]
            low, high = wilson_interval(numerator, denominator)  # type: ignore[arg-type]
        else:
            c_low, c_high = poisson_interval(numerator)
            factor = scale if unit == "per_100k" else 1.0
            observed, low, high = numerator * factor, c_low * factor, c_high * factor  # type: ignore[operator]
    status = status_of(is_baseline=is_baseline, final=final, observed=observed, target=target_value,
                       ci=(low, high), lower_is_better=lower_is_better)
    change = None if observed is None or baseline is None or is_baseline else observed - baseline
    p_value = p_on_target = detectable = None
    if status in RATED and baseline is not None and target_value is not None and numerator is not None:
        if unit == "proportion":
            p_value = one_sample_proportion_p(numerator, denominator, baseline)  # type: ignore[arg-type]
            p_on_target = jeffreys_proportion_probability(numerator, denominator, target_value,  # type: ignore[arg-type]
                                                          lower_is_better)
            detectable = detectable_one_sample_proportion(baseline, denominator, lower_is_better)  # type: ignore[arg-type]
        else:
            factor = scale if unit == "per_100k" else 1.0
            expected = baseline / factor  # the baseline on the count scale of this period
            p_value = one_sample_poisson_p(numerator, expected)
            p_on_target = jeffreys_count_probability(numerator, target_value / factor, lower_is_better)
            found = detectable_one_sample_count(expected, lower_is_better)
            detectable = None if found is None else found * factor
    return Verdict(
        target=target, tier=tier, period=period, start=start, end=end, year=year, final=final, status=status,
        unit=unit, lower_is_better=lower_is_better, baseline=baseline, baseline_from_data=baseline_from_data,
        baseline_source=baseline_source, target_value=None if is_baseline else target_value,
        observed=observed, numerator=numerator, denominator=denominator if numerator is not None else None,
        ci_low=low, ci_high=high, change=change, p_value=p_value, p_on_target=p_on_target,
        detectable_change=detectable, baseline_year=baseline_year, baseline_numerator=baseline_numerator,
        baseline_denominator=baseline_denominator,
    )


# ------------------------------------------------------------------------------------ reoffending
def _as_of(extract: Extract, extract_date: dt.date | None) -> dt.date | None:
    return extract_date if extract_date is not None else default_extract_date(extract)


def reoffending_verdicts(
    extract: Extract,
    years: Sequence[int],
    period: str = "calendar",
    follow_up_months: int = 12,
    waiting_months: int = 6,
    extract_date: dt.date | None = None,
    *,
    baseline_year: int = 2003,
    baseline_value: float = 0.282,
    change_per_year: float = -0.05,
    mode: Mode = "relative",
    by_tier: bool = False,
    tier_baselines: Mapping[str, float] | None = None,
    annual_from_quarters: bool = False,
) -> list[Verdict]:
    """The reoffending target (binary rate, lower is better) of each cohort, then of each tier.

    Rows: the whole cohort for every year of ``years`` and the baseline year (in year order), then,
    with ``by_tier``, each tier the same way. ``target(y) = baseline * (1 + change_per_year) ** (y -
    baseline_year)`` (``points``: the change added each year), at most 1 and at least 0. The baseline
    is ``baseline_value`` for the whole cohort; for a tier, ``tier_baselines[tier]`` where given, else
    the extract's baseline cohort's rate for that tier (``baseline_source`` ``data``); a tier with no
    member in the baseline cohort and no parameter has no baseline and no rows. Final = the cohort is
    complete (follow-up and waiting period passed by the extract date). ``annual_from_quarters``: each
    year's figure is its four quarterly cohorts added together (:func:`yot.measures.measures_by_year_from_quarters`).
    """
    as_of = _as_of(extract, extract_date)
    all_years = sorted(set(years) | {baseline_year})
    by_year = measures_by_year_from_quarters if annual_from_quarters else measures_by_year
    table = by_year(extract, all_years, period, follow_up_months, waiting_months, as_of)
    groups: list[tuple[str, str]] = [("all", "all")] + ([("tier", t) for t in TIER_ORDER] if by_tier else [])
    given = dict(tier_baselines or {})
    out: list[Verdict] = []
    for breakdown, group in groups:
        rows = {r["year"]: r for r in table.filter((pl.col("breakdown") == breakdown) & (pl.col("group") == group))
                .iter_rows(named=True)}
        base = rows[baseline_year]
        from_data = base["binary_rate"] if base["cohort_size"] > 0 else None
        if breakdown == "all":
            baseline, source = float(baseline_value), "parameter"
        elif group in given:
            baseline, source = float(given[group]), "parameter"
        elif from_data is not None:
            baseline, source = float(from_data), "data"
        else:
            continue
        for year in all_years:
            row = rows[year]
            aim = None
            if year > baseline_year:
                aim = min(max(target_value(baseline, baseline_year, change_per_year, year, mode), 0.0), 1.0)
            n = row["cohort_size"]
            out.append(verdict(
                target="reoffending", tier=None if breakdown == "all" else group, period=row["period"],
                start=row["start"], end=row["end"], year=year, final=bool(row["complete"]),
                is_baseline=year <= baseline_year, unit="proportion", lower_is_better=True, baseline=baseline,
                baseline_from_data=from_data, baseline_source=source, target_value=aim,
                numerator=row["reoffenders"] if n > 0 else None, denominator=n if n > 0 else None,
                baseline_year=baseline_year, baseline_numerator=base["reoffenders"] if source == "data" else None,
                baseline_denominator=base["cohort_size"] if source == "data" else None,
            ))
    return out


# ------------------------------------------------------------------------------------ first-time entrants
def fte_verdicts(
    extract: Extract,
    years: Sequence[int],
    period: str = "financial",
    extract_date: dt.date | None = None,
    *,
    baseline_year: int = 2004,
    change: float = -0.05,
    by_year: int = 2007,
    mode: Mode = "relative",
    final_after_months: int = FINAL_AFTER_MONTHS,
) -> list[Verdict]:
    """The first-time-entrant target (lower is better) of each year and the baseline year.

    The strategy publishes no FTE baseline figure, so the baseline is the extract's own baseline-period
    figure (``baseline_source`` ``data``). A period is compared as a rate per 100,000 aged 10 to 17
    when its population and the baseline period's are both complete (``unit`` ``per_100k``), else as
    a count (``count``: then the baseline is the baseline period's count too). The target is
    :func:`yot.fte.fte_target`: ``change`` from the baseline reached by ``by_year``, spread evenly,
    held after it. Final: the period ended at least ``final_after_months`` before the extract date.
    No data: the extract does not cover the period. Without a baseline period in the extract there is
    no baseline, and no later period can be rated (``no_data``).
    """
    as_of = _as_of(extract, extract_date)
    all_years = sorted(set(years) | {baseline_year})
    rows = {r["year"]: r for r in fte_by_year(extract, all_years, period, as_of, final_after_months).iter_rows(named=True)}
    base = rows[baseline_year]
    base_pop = base["population_10_17"] if base["covered"] else None
    out: list[Verdict] = []
    for year in all_years:
        row = rows[year]
        pop = row["population_10_17"]
        rate = bool(pop) and bool(base_pop)
        if rate:
            baseline = base["rate_per_100k"] if base["covered"] else None
        else:
            baseline = float(base["fte"]) if base["covered"] else None
        aim = None
        if baseline is not None and year > baseline_year:
            aim = max(fte_target(baseline, baseline_year, change, by_year, year, mode), 0.0)
        out.append(verdict(
            target="fte", tier=None, period=row["period"], start=row["start"], end=row["end"], year=year,
            final=bool(row["complete"]), is_baseline=year <= baseline_year, unit="per_100k" if rate else "count",
            lower_is_better=True, baseline=baseline, baseline_from_data=baseline, baseline_source="data",
            target_value=aim, numerator=row["fte"] if row["covered"] else None, denominator=pop if rate else None,
            baseline_year=baseline_year, baseline_numerator=base["fte"] if base["covered"] else None,
            baseline_denominator=base_pop if rate else None,
        ))
    return out


# ------------------------------------------------------------------------------------ substance misuse
@dataclass(frozen=True)
class TargetPath:
    """A yearly target path: ``baseline_value`` in ``baseline_year``, ``change_per_year`` relative
    (``baseline * (1 + change) ** years``) or in ``points`` (added each year)."""

    baseline_year: int
    baseline_value: float
    change_per_year: float
    mode: Mode = "relative"

    def at(self, year: int) -> float:
        return target_value(self.baseline_value, self.baseline_year, self.change_per_year, year, self.mode)


def substance_verdicts(
    extract: Extract,
    years: Sequence[int],
    period: str = "financial",
    extract_date: dt.date | None = None,
    *,
    starts: TargetPath = TargetPath(2004, 280, 0.10),
    improvement: TargetPath = TargetPath(2004, 0.72, 0.05),
    final_after_months: int = FINAL_AFTER_MONTHS,
) -> list[Verdict]:
    """Both substance-misuse targets (higher is better): the young people starting early intervention
    or treatment (a count), then the share of end reviews reporting reduced or stopped use (a
    proportion, its target at most 100%). Baselines are the parameters. No data: the extract lacks the
    table or does not cover the period, or (improvement) has no end review dated in it."""
    as_of = _as_of(extract, extract_date)
    all_years = sorted(set(years) | {starts.baseline_year, improvement.baseline_year})
    rows = {r["year"]: r for r in substance_by_year(extract, all_years, period, as_of, final_after_months)
            .iter_rows(named=True)}
    has_iv, has_rv = extract.has("interventions"), extract.has("substance_reviews")
    out: list[Verdict] = []
    s_base = rows.get(starts.baseline_year)
    s_from_data = float(s_base["starts"]) if has_iv and s_base and s_base["covered"] else None
    for year in sorted(set(years) | {starts.baseline_year}):
        row = rows[year]
        has = has_iv and row["covered"]
        out.append(verdict(
            target="substance_starts", tier=None, period=row["period"], start=row["start"], end=row["end"],
            year=year, final=bool(row["complete"]), is_baseline=year <= starts.baseline_year, unit="count",
            lower_is_better=False, baseline=float(starts.baseline_value), baseline_from_data=s_from_data,
            baseline_source="parameter", target_value=max(starts.at(year), 0.0) if year > starts.baseline_year else None,
            numerator=row["starts"] if has else None, baseline_year=starts.baseline_year,
        ))
    i_base = rows.get(improvement.baseline_year)
    i_from_data = (i_base["share_improved"] if has_rv and i_base and i_base["covered"] and i_base["reviews"] else None)
    for year in sorted(set(years) | {improvement.baseline_year}):
        row = rows[year]
        has = has_rv and row["covered"] and row["reviews"] > 0
        aim = min(max(improvement.at(year), 0.0), 1.0) if year > improvement.baseline_year else None
        out.append(verdict(
            target="substance_improvement", tier=None, period=row["period"], start=row["start"], end=row["end"],
            year=year, final=bool(row["complete"]), is_baseline=year <= improvement.baseline_year,
            unit="proportion", lower_is_better=False, baseline=float(improvement.baseline_value),
            baseline_from_data=i_from_data, baseline_source="parameter", target_value=aim,
            numerator=row["improved"] if has else None, denominator=row["reviews"] if has else None,
            baseline_year=improvement.baseline_year,
        ))
    return out


# ------------------------------------------------------------------------------------ trend
def _target_change_per_year(rows: Sequence[Verdict], first: Verdict, last: Verdict) -> float | None:
    """The target's own average relative change a year from the baseline to the last period of the
    trend: ``(target(last) / baseline) ** (1 / years) - 1`` (exactly ``change_per_year`` for a relative
    target; for a target in points or one spread to a date, its geometric average over those years)."""
    base = next((r for r in rows if r.status == "baseline" and r.year == r.baseline_year), None)
    baseline = base.baseline if base else first.baseline
    later = [r for r in rows if r.year == last.year and r.target_value is not None]
    if baseline is None or not baseline > 0 or not later or last.year <= last.baseline_year:
        return None
    steps = last.year - last.baseline_year
    ratio = later[0].target_value / baseline  # type: ignore[operator]
    return ratio ** (1 / steps) - 1 if ratio > 0 else None


def trend(rows: Sequence[Verdict]) -> Trend:
    """The trend of one target (and tier) across its final periods with data from the baseline on
    (METHODS.md "Trend"): a binomial GLM with log link for proportions (Poisson with the log period
    size as offset if that fails), Poisson with log population offset for FTE rates, Poisson for counts
    (:func:`yot.stats.yearly_relative_change`). At least two final periods are needed."""
    if not rows:
        raise ValueError("a trend needs the verdict rows of one target")
    first_row = rows[0]
    used = sorted((r for r in rows if r.final and r.numerator is not None and r.year >= r.baseline_year),
                  key=lambda r: r.year)
    # FTE periods fall back to counts where a population is missing: then the whole trend is of counts
    units = {r.unit for r in used} or {first_row.unit}
    kind = "count" if len(units) > 1 else {"proportion": "proportion", "per_100k": "rate", "count": "count"}[units.pop()]
    empty = Trend(first_row.target, first_row.tier, len(used), None, None, None, None, None, None, None, None, "")
    if len(used) < 2:
        return Trend(**{**empty.to_dict(), "reason": (
            f"a trend needs at least two final periods from the baseline on; there {'is' if len(used) == 1 else 'are'} "
            f"{'only one' if len(used) == 1 else 'none'}")})
    numerators = [int(r.numerator) for r in used]  # type: ignore[arg-type]
    denominators: list[float | None] = [None if kind == "count" else r.denominator for r in used]
    fit = yearly_relative_change([r.year for r in used], numerators, denominators, kind)
    first, last = used[0], used[-1]
    base = Trend(first_row.target, first_row.tier, len(used), first.year, last.year, first.period, last.period,
                 None, None, None, _target_change_per_year(rows, first, last), "", "")
    if fit is None:
        return Trend(**{**base.to_dict(), "reason": "the model could not be fitted to these figures (for example, "
                                                    "nothing counted in most periods)"})
    change, low, high, model = fit
    return Trend(**{**base.to_dict(), "change_per_year": change, "ci_low": low, "ci_high": high, "model": model})


def trends(rows: Sequence[Verdict]) -> list[Trend]:
    """:func:`trend` of each target and tier among ``rows``, in the order they first appear."""
    keys = list(dict.fromkeys((r.target, r.tier) for r in rows))
    return [trend([r for r in rows if (r.target, r.tier) == key]) for key in keys]
