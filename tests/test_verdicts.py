"""The one verdict rule (yot.verdicts) on hand-made cohorts: status, direction, test, chance of being on
target, detectable change, trend, and the one baseline (METHODS.md "Targets and verdicts", issue 11)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from handmade import cohort_extract, extract_of
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats import rates

from yot.extract import make_extract
from yot.pages.verdict_words import (
    change_phrase,
    detectable_phrase,
    p_text,
    test_phrase as said_test,
    trend_sentence,
    verdict_sentence,
)
from yot.stats import detectable_one_sample_count, detectable_one_sample_proportion, wilson_interval
from yot.verdicts import fte_verdicts, reoffending_verdicts, trend, verdict

D = dt.date
LATE = D(2012, 1, 1)  # every cohort below is complete by then


def _reoffending(extract, years=(2003, 2004), extract_date=LATE, **kw):
    kw.setdefault("baseline_value", 0.282)
    return reoffending_verdicts(extract, list(years), "calendar", 12, 6, extract_date, baseline_year=2003, **kw)


def _one(rows, year, tier=None):
    return next(r for r in rows if r.year == year and r.tier == tier)


def _verdict(x, n, target, *, baseline=0.282, lower=True, final=True, is_baseline=False, unit="proportion"):
    return verdict(target="reoffending", tier=None, period="2004", start=D(2004, 1, 1), end=D(2004, 12, 31),
                   year=2004, final=final, is_baseline=is_baseline, unit=unit, lower_is_better=lower,
                   baseline=baseline, baseline_from_data=None, baseline_source="parameter", target_value=target,
                   numerator=x, denominator=n if unit != "count" else None, baseline_year=2003)


# ------------------------------------------------------------------------------------ status
def test_the_baseline_year_is_baseline_and_never_rated() -> None:
    rows = _reoffending(extract_of(cohort_extract(2003, 100, 28), cohort_extract(2004, 100, 20)))
    base = _one(rows, 2003)
    assert base.status == "baseline" and base.final
    assert base.target_value is None and base.p_value is None and base.p_on_target is None
    assert base.detectable_change is None and base.change is None
    assert base.observed == pytest.approx(0.28) and base.numerator == 28 and base.denominator == 100


def test_a_provisional_cohort_is_provisional_whatever_its_figure() -> None:
    # nobody in the 2004 cohort has reoffended yet, far below the target, but the cohort is not complete
    # (it is complete from 30 June 2006: end + 12 + 6 months)
    rows = _reoffending(extract_of(cohort_extract(2003, 100, 28), cohort_extract(2004, 100, 0)),
                        extract_date=D(2006, 6, 29))
    row = _one(rows, 2004)
    assert row.observed == 0.0 and not row.final
    assert row.status == "provisional"
    assert row.p_value is None and row.p_on_target is None
    final = _one(_reoffending(extract_of(cohort_extract(2003, 100, 28), cohort_extract(2004, 100, 0)),
                              extract_date=D(2006, 6, 30)), 2004)
    assert final.final and final.status == "met"


def test_a_period_with_no_cohort_is_no_data() -> None:
    rows = _reoffending(extract_of(cohort_extract(2003, 100, 28)), years=(2003, 2004))
    row = _one(rows, 2004)
    assert row.status == "no_data" and row.observed is None and row.numerator is None and row.denominator is None
    assert "No data" in verdict_sentence(row)


def test_a_rise_is_said_as_up_and_the_test_says_a_rise() -> None:
    # 2004: 100 of 200 = 50.0% against the published 28.2%: up 21.8 points
    rows = _reoffending(extract_of(cohort_extract(2003, 100, 28), cohort_extract(2004, 200, 100)))
    row = _one(rows, 2004)
    assert row.status == "missed"
    assert row.change == pytest.approx(0.5 - 0.282)
    assert row.p_value == pytest.approx(sps.binomtest(100, 200, 0.282).pvalue)
    assert change_phrase(row) == "up 21.8 percentage points from 28.2%"
    assert said_test(row) == "a rise unlikely to be chance, p < 0.001"
    words = verdict_sentence(row)
    assert "Red: Missed" in words and "down" not in words and "fall unlikely" not in words


def test_a_fall_on_target_is_met_and_said_as_down() -> None:
    # 2004: 40 of 200 = 20.0%; target 28.2% x 0.95 = 26.79%
    rows = _reoffending(extract_of(cohort_extract(2003, 100, 28), cohort_extract(2004, 200, 40)))
    row = _one(rows, 2004)
    assert row.target_value == pytest.approx(0.282 * 0.95)
    assert row.status == "met"
    assert change_phrase(row) == "down 8.2 percentage points from 28.2%"
    assert said_test(row).startswith("a fall unlikely to be chance, p = 0.00")
    assert row.p_on_target == pytest.approx(sps.beta(40.5, 160.5).cdf(0.282 * 0.95))
    assert "Green: Met" in verdict_sentence(row)


def test_amber_exactly_at_the_interval_edge_and_red_just_beyond() -> None:
    low, high = wilson_interval(30, 100)
    assert _verdict(30, 100, low).status == "within_margin"  # worse than the target, target on the interval's end
    assert _verdict(30, 100, math.nextafter(low, 0)).status == "missed"
    assert _verdict(30, 100, 0.30).status == "met"  # at the target is met
    # higher is better: the upper end is the edge
    assert _verdict(30, 100, high, lower=False).status == "within_margin"
    assert _verdict(30, 100, math.nextafter(high, 1), lower=False).status == "missed"


def test_amber_at_the_edge_through_the_whole_rule() -> None:
    # a target in points with no change: target(y) = baseline exactly, set to the 2004 interval's lower end
    low, _ = wilson_interval(30, 100)
    rows = _reoffending(extract_of(cohort_extract(2003, 100, 28), cohort_extract(2004, 100, 30)), baseline_value=low,
                        change_per_year=0.0, mode="points")
    row = _one(rows, 2004)
    assert row.target_value == low and row.ci_low == low
    assert row.status == "within_margin"


def test_a_cohort_too_small_for_any_change_to_show() -> None:
    row = _verdict(1, 3, 0.2679)
    assert row.status in ("met", "within_margin", "missed")
    assert row.detectable_change is None
    assert detectable_phrase(row) == "no change of any size would reliably show with this few people"
    assert "no change of any size would reliably show with this few people" in verdict_sentence(row)


def test_the_detectable_change_is_a_signed_change_in_the_better_direction() -> None:
    # Cohen's h for one sample of 500 at 80% power, 5% two-sided: h = 2.8016 / sqrt(500)
    h = (sps.norm.ppf(0.975) + sps.norm.ppf(0.8)) / math.sqrt(500)
    expected = math.sin((2 * math.asin(math.sqrt(0.282)) - h) / 2) ** 2 - 0.282
    assert detectable_one_sample_proportion(0.282, 500, True) == pytest.approx(expected, rel=1e-3)
    assert expected < 0
    row = _verdict(140, 500, 0.2679)
    assert row.detectable_change == pytest.approx(expected, rel=1e-3)
    assert detectable_phrase(row) == f"a fall of {abs(100 * expected):.1f} points would show about 8 times in 10"
    assert detectable_one_sample_proportion(0.72, 300, False) > 0  # a rise for a higher-is-better share
    # counts: 2 (sqrt(mu1) - sqrt(mu0)) = 2.8016 on the square-root scale
    step = (sps.norm.ppf(0.975) + sps.norm.ppf(0.8)) / 2
    assert detectable_one_sample_count(280, False) == pytest.approx((math.sqrt(280) + step) ** 2 - 280, rel=1e-3)
    assert detectable_one_sample_count(1.5, True) is None  # a fall would have to go below zero


def test_jeffreys_probability_against_scipy_on_a_hand_case() -> None:
    # 3 of 10 reoffended; target 25%: P(p <= 0.25) under Beta(3.5, 7.5)
    row = _verdict(3, 10, 0.25, baseline=0.30)
    assert row.p_on_target == pytest.approx(sps.beta(3.5, 7.5).cdf(0.25), abs=1e-12)
    # higher is better: P(p >= 0.25)
    assert _verdict(3, 10, 0.25, baseline=0.2, lower=False).p_on_target == pytest.approx(sps.beta(3.5, 7.5).sf(0.25))
    # a count: Gamma(x + 1/2), P(mu >= 308) for 305 starts
    count = _verdict(305, None, 308.0, baseline=280.0, lower=False, unit="count")
    assert count.p_on_target == pytest.approx(sps.gamma(305.5).sf(308.0))


def test_a_count_is_tested_against_the_baseline_with_the_exact_poisson_test() -> None:
    row = _verdict(305, None, 308.0, baseline=280.0, lower=False, unit="count")
    assert row.p_value == pytest.approx(rates.test_poisson(305, 1, 280.0, method="exact-c").pvalue)
    assert row.status == "within_margin"  # 305 < 308, 308 inside the exact interval
    assert change_phrase(row) == "up 9% from 280"


def test_p_values_below_0_001_are_written_as_such() -> None:
    assert p_text(0.0004) == "p < 0.001" and p_text(0.031) == "p = 0.03" and p_text(0.004) == "p = 0.004"
    assert p_text(0.054) == "p = 0.054" and p_text(0.046) == "p = 0.046" and p_text(0.41) == "p = 0.41"


# ------------------------------------------------------------------------------------ one baseline
def test_the_published_baseline_is_used_throughout_when_the_extract_differs() -> None:
    # the extract's own 2003 cohort: 30 of 100 = 30.0%; the published baseline is 28.2%
    rows = _reoffending(extract_of(cohort_extract(2003, 100, 30), cohort_extract(2004, 200, 50)))
    row = _one(rows, 2004)
    assert row.baseline == 0.282 and row.baseline_from_data == pytest.approx(0.30)
    assert row.target_value == pytest.approx(0.282 * 0.95)
    assert row.change == pytest.approx(0.25 - 0.282)
    assert row.p_value == pytest.approx(sps.binomtest(50, 200, 0.282).pvalue)
    assert row.detectable_change == pytest.approx(detectable_one_sample_proportion(0.282, 200, True))
    assert _one(rows, 2003).baseline == 0.282


def test_tier_baselines_come_from_the_parameters_where_given_else_from_the_extract() -> None:
    rows = _reoffending(extract_of(cohort_extract(2003, 100, 30), cohort_extract(2004, 100, 20)), by_tier=True,
                        tier_baselines={"first_tier": 0.25})
    first = _one(rows, 2004, "first_tier")  # everyone has a fine: first tier
    assert first.baseline == 0.25 and first.baseline_source == "parameter"
    assert not any(r.tier == "pre_court" for r in rows)  # nobody pre-court in 2003, no parameter: no target
    rows = _reoffending(extract_of(cohort_extract(2003, 100, 30), cohort_extract(2004, 100, 20)), by_tier=True)
    first = _one(rows, 2004, "first_tier")
    assert first.baseline == pytest.approx(0.30) and first.baseline_source == "data"
    assert first.baseline_numerator == 30 and first.baseline_denominator == 100


# ------------------------------------------------------------------------------------ trend
def test_the_trend_of_three_cohorts_falling_10_percent_a_year() -> None:
    # 400, 360 and 324 of 1,000: exactly 10% down a year; the binomial log-link fit finds it
    extract = extract_of(cohort_extract(2003, 1000, 400), cohort_extract(2004, 1000, 360),
                         cohort_extract(2005, 1000, 324))
    found = trend([r for r in _reoffending(extract, years=(2003, 2004, 2005)) if r.tier is None])
    assert found.periods == 3
    assert found.change_per_year == pytest.approx(-0.10, abs=1e-6)
    assert found.ci_low < -0.10 < found.ci_high
    assert found.target_change_per_year == pytest.approx(-0.05)
    assert found.model == "binomial, log link"
    assert trend_sentence(found) == (
        f"Across the 2003 to 2005 cohorts reoffending fell: it changed by -10.0% a year (95% interval "
        f"{100 * found.ci_low:+.1f}% to {100 * found.ci_high:+.1f}%); the strategy aimed for -5% a year.")


def test_the_trend_uses_only_final_cohorts_and_needs_two() -> None:
    extract = extract_of(cohort_extract(2003, 1000, 400), cohort_extract(2004, 1000, 360))
    rows = [r for r in _reoffending(extract, years=(2003, 2004), extract_date=D(2005, 1, 1)) if r.tier is None]
    found = trend(rows)  # 2003 complete on 30 June 2005: not yet; neither is final
    assert found.change_per_year is None and found.periods == 0
    assert trend_sentence(found).startswith("There is no trend for reoffending yet: a trend needs at least two final")


# ------------------------------------------------------------------------------------ FTE units
def _population(years: list[int], yot: str = "Testville") -> list[dict]:
    return [{"yot": yot, "year": y, "age": a, "sex": s, "count": 1000} for y in years for a in range(10, 18)
            for s in ("M", "F")]


def _fte_extract(population_years: list[int]):
    # first-time entrants proven on 1 March: FY2004 (1 Mar 2005) 40 people, FY2005 (1 Mar 2006) 30 people
    people_a, offences_a = cohort_extract(2005, 40, 0)
    people_b, offences_b = cohort_extract(2006, 30, 0)
    return make_extract(people=people_a + people_b, offences=offences_a + offences_b,
                        population=_population(population_years))


def test_fte_is_a_rate_per_100k_when_the_population_is_complete() -> None:
    rows = fte_verdicts(_fte_extract([2004, 2005]), [2004, 2005], "financial", LATE, baseline_year=2004,
                        change=-0.05, by_year=2005)
    base, year = rows
    assert base.unit == year.unit == "per_100k"
    assert base.baseline == pytest.approx(40 / 16000 * 100_000) and base.status == "baseline"
    assert year.observed == pytest.approx(30 / 16000 * 100_000) and year.denominator == 16000
    assert year.target_value == pytest.approx(base.baseline * 0.95)
    assert year.status == "met"
    assert year.p_value == pytest.approx(rates.test_poisson(30, 1, 40.0, method="exact-c").pvalue)  # 250 x 16,000 / 100,000
    assert change_phrase(year) == "down 25% from 250 per 100,000"


def test_fte_falls_back_to_counts_when_a_population_is_missing() -> None:
    rows = fte_verdicts(_fte_extract([2004]), [2004, 2005], "financial", LATE, baseline_year=2004, change=-0.05,
                        by_year=2005)
    year = rows[1]
    assert year.unit == "count" and year.denominator is None
    assert year.observed == 30 and year.baseline == 40
    assert change_phrase(year) == "down 25% from 40"


def test_the_trend_falls_back_to_poisson_with_the_period_size_as_offset(monkeypatch) -> None:
    import statsmodels.api as sm

    from yot.stats import yearly_relative_change

    class FailingBinomial(sm.families.Binomial):
        def __init__(self, *args, **kwargs):
            raise ValueError("the binomial fit failed")

    monkeypatch.setattr(sm.families, "Binomial", FailingBinomial)
    change, low, high, model = yearly_relative_change([2003, 2004, 2005], [400, 360, 324], [1000, 1000, 1000],
                                                      "proportion")
    assert model.startswith("Poisson, log of the period size as offset")
    assert change == pytest.approx(-0.10, abs=1e-6)  # the log-linear model fits 10% down a year exactly too
    assert low < change < high


def test_no_trend_when_nothing_was_counted() -> None:
    from yot.stats import yearly_relative_change

    assert yearly_relative_change([2003, 2004, 2005], [0, 0, 0], [50, 50, 50], "proportion") is None
    assert yearly_relative_change([2003], [10], [50], "proportion") is None


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 400), share=st.floats(0, 1), target=st.floats(0.001, 0.999), lower=st.booleans())
def test_the_status_follows_the_rule_for_any_share(n: int, share: float, target: float, lower: bool) -> None:
    x = round(share * n)
    row = _verdict(x, n, target, baseline=0.5, lower=lower)
    better = row.observed <= target if lower else row.observed >= target
    inside = row.ci_low <= target <= row.ci_high
    assert row.status == ("met" if better else "within_margin" if inside else "missed")
    # the chance of being on target is the Jeffreys posterior's; the detectable change is in the better direction
    posterior = sps.beta(x + 0.5, n - x + 0.5)
    assert row.p_on_target == pytest.approx(posterior.cdf(target) if lower else posterior.sf(target))
    if row.detectable_change is not None:
        assert (row.detectable_change < 0) == lower and 0 <= 0.5 + row.detectable_change <= 1


def test_the_trend_sentence_says_rose_for_a_rise_and_level_for_no_change() -> None:
    from dataclasses import replace as _replace

    extract = extract_of(cohort_extract(2003, 1000, 400), cohort_extract(2004, 1000, 360),
                         cohort_extract(2005, 1000, 324))
    found = trend([r for r in _reoffending(extract, years=(2003, 2004, 2005)) if r.tier is None])
    rising = _replace(found, change_per_year=0.039, ci_low=0.006, ci_high=0.073)
    assert "reoffending rose: it changed by +3.9% a year" in trend_sentence(rising)
    level = _replace(found, change_per_year=0.0004, ci_low=-0.02, ci_high=0.02)
    assert "reoffending was level: it changed by" in trend_sentence(level)
