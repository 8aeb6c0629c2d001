"""yot.stats: intervals, tests and power, each checked against a computation written out in the test."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yot.stats import (
    Z_95,
    count_change_test,
    detectable_count_change,
    detectable_proportion_change,
    poisson_interval,
    proportion_difference,
    wilson_interval,
)


def wilson_by_hand(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)."""
    p = x / n
    denominator = 1 + z * z / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / denominator, (centre + half) / denominator


def test_z_95() -> None:
    assert Z_95 == pytest.approx(1.959963984540054)


@pytest.mark.parametrize(("x", "n"), [(3, 5), (0, 10), (10, 10), (141, 500), (1, 1)])
def test_wilson_interval_matches_the_formula(x: int, n: int) -> None:
    assert wilson_interval(x, n) == pytest.approx(wilson_by_hand(x, n))


def test_wilson_interval_three_of_five_in_figures() -> None:
    # p = 0.6, z^2 = 3.8415: centre 0.98415 / 1.76829 = 0.55655, half-width 0.32583
    low, high = wilson_interval(3, 5)
    assert (low, high) == pytest.approx((0.2307, 0.8824), abs=1e-4)


def test_wilson_interval_of_an_empty_cohort_is_none() -> None:
    assert wilson_interval(0, 0) == (None, None)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 2000), st.data())
def test_wilson_interval_holds_the_rate_inside_0_and_1(n: int, data: st.DataObject) -> None:
    x = data.draw(st.integers(0, n))
    low, high = wilson_interval(x, n)
    # statsmodels leaves a rounding residue (~1e-16) at 0 of n and n of n
    assert 0 <= low <= x / n + 1e-12 and x / n - 1e-12 <= high <= 1


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000), st.data(), st.sampled_from([0.05, 0.01, 0.1]))
def test_wilson_interval_equals_statsmodels(n: int, data: st.DataObject, alpha: float) -> None:
    """The closed form kept in yot.stats (to spare commands the statsmodels import) is statsmodels' own."""
    from statsmodels.stats.proportion import proportion_confint

    x = data.draw(st.integers(0, n))
    low, high = proportion_confint(x, n, alpha=alpha, method="wilson")
    assert wilson_interval(x, n, alpha) == pytest.approx((low, high), abs=1e-12)


def test_proportion_difference_by_hand() -> None:
    diff, low, high, p = proportion_difference(20, 100, 30, 100)
    assert diff == pytest.approx(-0.1)
    assert low < diff < high
    # Newcombe's hybrid interval from the two Wilson intervals
    l1, u1 = wilson_by_hand(20, 100)
    l2, u2 = wilson_by_hand(30, 100)
    assert low == pytest.approx(diff - math.sqrt((0.2 - l1) ** 2 + (u2 - 0.3) ** 2))
    assert high == pytest.approx(diff + math.sqrt((u1 - 0.2) ** 2 + (0.3 - l2) ** 2))
    # score test (statsmodels' small-sample correction n/(n-1) on the pooled variance):
    # z = -0.1 / sqrt(0.25 * 0.75 * (1/100 + 1/100) * 200/199) = -1.6289, two-sided p = 0.1033
    assert p == pytest.approx(0.1033, abs=5e-4)


def test_proportion_difference_is_symmetric_and_none_when_empty() -> None:
    a = proportion_difference(5, 40, 12, 50)
    b = proportion_difference(12, 50, 5, 40)
    assert a[0] == pytest.approx(-b[0]) and a[3] == pytest.approx(b[3])
    assert proportion_difference(1, 0, 1, 10) == (None, None, None, None)
    assert proportion_difference(0, 10, 0, 20)[3] == 1.0


def test_detectable_change_is_smaller_for_larger_cohorts() -> None:
    sizes = [50, 200, 1000, 10000]
    changes = [detectable_proportion_change(0.282, n, n) for n in sizes]
    assert all(a > b > 0 for a, b in zip(changes, changes[1:]))


def test_detectable_change_by_hand() -> None:
    # equal cohorts of 500: Cohen's h = (z_0.975 + z_0.8) * sqrt(2 / 500) = 0.17719
    h = (1.959963984540054 + 0.8416212335729143) * math.sqrt(2 / 500)
    lower = math.sin((2 * math.asin(math.sqrt(0.282)) - h) / 2) ** 2
    assert detectable_proportion_change(0.282, 500, 500) == pytest.approx(0.282 - lower, rel=1e-4)


def test_detectable_change_for_a_barnet_sized_cohort_dwarfs_a_5_percent_cut() -> None:
    # a 5% relative cut of 28.2% is 1.4 points; two cohorts of 500 can only tell ~8 points from chance
    assert detectable_proportion_change(0.282, 500, 500) > 0.05 * 0.282 * 4


def test_detectable_change_none_when_it_cannot_exist() -> None:
    assert detectable_proportion_change(0.3, 0, 10) is None
    assert detectable_proportion_change(0.0, 10, 10) is None
    assert detectable_proportion_change(1.0, 10, 10) is None


def test_poisson_interval() -> None:
    assert poisson_interval(0) == pytest.approx((0.0, 3.6889), abs=1e-4)  # -ln(0.025)
    low, high = poisson_interval(10)
    assert (low, high) == pytest.approx((4.7954, 18.3904), abs=1e-4)


def test_count_change_test() -> None:
    assert count_change_test(0, 0) is None
    assert count_change_test(10, 10) == pytest.approx(1.0)
    # 2 of 12 under Binomial(12, 1/2): two-sided p = 2 * (1 + 12 + 66) / 4096
    assert count_change_test(2, 10) == pytest.approx(2 * 79 / 4096)


def test_detectable_count_change() -> None:
    z = 1.959963984540054 + 0.8416212335729143
    assert detectable_count_change(280) == pytest.approx(math.exp(z * math.sqrt(2 / 280)) - 1)
    assert detectable_count_change(0) is None
    assert detectable_count_change(1000) < detectable_count_change(100)
