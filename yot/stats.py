"""Intervals, tests and power for the measures and targets (thin wrappers over statsmodels and scipy).

Every function returns plain floats (or None where the quantity does not exist, e.g. a rate of an
empty cohort), so results serialise straight to JSON and to published tables.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)

Z_95 = sps.norm.ppf(0.975)


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float | None, float | None]:
    """The Wilson score interval of ``successes / n`` (METHODS.md: binary_rate's 95% interval)."""
    if n <= 0:
        return None, None
    low, high = proportion_confint(successes, n, alpha=alpha, method="wilson")
    # The closed form leaves floating-point residue at the ends (1e-18 for 0 of n): snap it.
    low = 0.0 if successes == 0 else float(low)
    high = 1.0 if successes == n else float(high)
    return low, high


def proportion_difference(
    x1: int, n1: int, x2: int, n2: int, alpha: float = 0.05
) -> tuple[float | None, float | None, float | None, float | None]:
    """Difference ``x1/n1 - x2/n2`` with its Newcombe (hybrid Wilson) interval and a two-sided p-value.

    The p-value is the score test of equal proportions. Returns Nones when either group is empty.
    """
    if n1 <= 0 or n2 <= 0:
        return None, None, None, None
    diff = x1 / n1 - x2 / n2
    # statsmodels also works out an odds ratio on the side, which divides by zero at 0% or 100%.
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha)
        if x1 + x2 == 0 or x1 + x2 == n1 + n2:
            p_value = 1.0  # both groups all-or-nothing alike: no evidence of a difference
        else:
            p_value = float(test_proportions_2indep(x1, n1, x2, n2, method="score", compare="diff").pvalue)
    return float(diff), float(low), float(high), p_value


def detectable_proportion_change(
    baseline_rate: float, n_baseline: int, n_observed: int, power: float = 0.8, alpha: float = 0.05
) -> float | None:
    """The smallest fall from ``baseline_rate`` that cohorts of these sizes could detect.

    Two independent proportions, two-sided test at ``alpha`` with ``power`` (METHODS.md Targets: 80%
    power, 5% two-sided). Solved on Cohen's h (arcsine scale) with statsmodels, then turned back into
    a difference in proportions below the baseline (a positive number of proportion points).
    """
    if n_baseline <= 0 or n_observed <= 0 or not 0 < baseline_rate < 1:
        return None
    h = NormalIndPower().solve_power(
        effect_size=None, nobs1=n_baseline, ratio=n_observed / n_baseline, alpha=alpha, power=power,
        alternative="two-sided",
    )
    phi = 2 * math.asin(math.sqrt(baseline_rate)) - float(h)
    lower = math.sin(max(phi, 0.0) / 2) ** 2
    return float(baseline_rate - lower)


def poisson_interval(count: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood) interval for a count treated as Poisson."""
    low = 0.0 if count == 0 else sps.chi2.ppf(alpha / 2, 2 * count) / 2
    high = sps.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return float(low), float(high)


def count_change_test(observed: int, baseline: int) -> float | None:
    """Two-sided p-value that two Poisson counts over equal exposure differ (exact conditional test).

    Given the total, the observed count is binomial(total, 1/2) under no change.
    """
    total = observed + baseline
    if total == 0:
        return None
    return float(sps.binomtest(observed, total, 0.5).pvalue)


def detectable_count_change(baseline: float, power: float = 0.8, alpha: float = 0.05) -> float | None:
    """Smallest relative change in a Poisson count from ``baseline`` detectable at this power.

    Normal approximation on the log ratio of two counts of about the baseline size:
    ``exp((z_{1-alpha/2} + z_power) * sqrt(2 / baseline)) - 1``.
    """
    if baseline <= 0:
        return None
    z = sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power)
    return float(math.exp(z * math.sqrt(2.0 / baseline)) - 1.0)
