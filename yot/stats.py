"""Intervals, tests and power for the measures and targets (thin wrappers over statsmodels and scipy).

Every function returns plain floats (or None where the quantity does not exist, e.g. a rate of an
empty cohort), so results serialise straight to JSON and to published tables.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from yot._lazy import lazy_module

sps = lazy_module("scipy.stats")  # scipy and statsmodels are imported on first use (about a second each)
np = lazy_module("numpy")  # numpy too (0.1 s): `yot metrics` needs only the closed-form Wilson interval


def __getattr__(name: str) -> float:
    if name == "Z_95":  # the 97.5% point of the standard normal, worked out on first use
        return float(sps.norm.ppf(0.975))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float | None, float | None]:
    """The Wilson score interval of ``successes / n`` (METHODS.md: binary_rate's 95% interval)."""
    if n <= 0:
        return None, None
    # The closed form (Wilson 1927), as statsmodels' proportion_confint(method="wilson") computes it (a
    # test holds the two equal): written here because importing statsmodels costs a command such as
    # `yot metrics` more than a second, for this one interval.
    z = NormalDist().inv_cdf(1 - alpha / 2)
    share, z2 = successes / n, z * z
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # Floating-point residue at the ends (1e-18 for 0 of n) is snapped to the exact ends.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def proportion_difference(
    x1: int, n1: int, x2: int, n2: int, alpha: float = 0.05
) -> tuple[float | None, float | None, float | None, float | None]:
    """Difference ``x1/n1 - x2/n2`` with its Newcombe (hybrid Wilson) interval and a two-sided p-value.

    The p-value is the score test of equal proportions. Returns Nones when either group is empty.
    """
    if n1 <= 0 or n2 <= 0:
        return None, None, None, None
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    diff = x1 / n1 - x2 / n2
    # statsmodels also works out an odds ratio on the side, which divides by zero at 0% or 100%.
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha)
        if x1 + x2 == 0 or x1 + x2 == n1 + n2:
            p_value = 1.0  # both groups all-or-nothing alike: no evidence of a difference
        else:
            p_value = float(test_proportions_2indep(x1, n1, x2, n2, method="score", compare="diff").pvalue)
    return float(diff), float(low), float(high), p_value


def required_effect(nobs1: float, ratio: float = 0.0, power: float = 0.8, alpha: float = 0.05) -> float:
    """The standardised effect a two-sided z test at ``alpha`` detects with ``power`` (statsmodels'
    ``NormalIndPower``): two samples of ``nobs1`` and ``ratio * nobs1``, or one sample of ``nobs1``
    against a fixed value when ``ratio`` is 0. On the arcsine scale it is Cohen's h; on the square-root
    scale of a Poisson count (``nobs1 = 1``) it is ``2 * (sqrt(mu1) - sqrt(mu0))``."""
    from statsmodels.stats.power import NormalIndPower

    return float(NormalIndPower().solve_power(effect_size=None, nobs1=nobs1, ratio=ratio, alpha=alpha, power=power,
                                              alternative="two-sided"))


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
    h = required_effect(n_baseline, n_observed / n_baseline, power, alpha)
    phi = 2 * math.asin(math.sqrt(baseline_rate)) - h
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


# ------------------------------------------------------------------ one sample against a fixed value
def one_sample_proportion_p(successes: int, n: int, value: float) -> float | None:
    """Two-sided exact binomial test of ``successes / n`` against the fixed proportion ``value``
    (scipy's ``binomtest``); None for an empty period or a value outside 0 to 1."""
    if n <= 0 or not 0 <= value <= 1:
        return None
    return float(sps.binomtest(successes, n, value).pvalue)


def one_sample_poisson_p(count: int, expected: float) -> float | None:
    """Two-sided exact Poisson test of ``count`` against the fixed mean ``expected`` (statsmodels'
    ``test_poisson``, ``exact-c``: twice the smaller tail, at most 1); None without a positive mean."""
    if expected is None or not expected > 0:
        return None
    from statsmodels.stats.rates import test_poisson

    return float(min(1.0, test_poisson(count, 1, expected, method="exact-c").pvalue))


def jeffreys_proportion_probability(successes: int, n: int, value: float, lower_is_better: bool) -> float | None:
    """The probability that the true proportion is at or better than ``value`` given ``successes`` of
    ``n``, from the Jeffreys posterior Beta(x + 1/2, n - x + 1/2): at or below ``value`` when lower is
    better, at or above it otherwise. None for an empty period."""
    if n <= 0:
        return None
    posterior = sps.beta(successes + 0.5, n - successes + 0.5)
    return float(posterior.cdf(value) if lower_is_better else posterior.sf(value))


def jeffreys_count_probability(count: int, value: float, lower_is_better: bool) -> float:
    """The probability that the true mean count is at or better than ``value`` (on the count scale:
    for a rate, the target rate times the population over 100,000) given ``count``, from the Jeffreys
    posterior Gamma(x + 1/2)."""
    posterior = sps.gamma(count + 0.5)
    return float(posterior.cdf(value) if lower_is_better else posterior.sf(value))


def detectable_one_sample_proportion(value: float, n: int, lower_is_better: bool, power: float = 0.8,
                                     alpha: float = 0.05) -> float | None:
    """The smallest change from the fixed proportion ``value``, in the better direction (a fall when
    lower is better), that a one-sample two-sided test on ``n`` would detect with ``power``: Cohen's h
    solved by :func:`required_effect`, turned back into proportion points. Signed (negative for a fall).
    None when no change within 0 to 1 reaches that power (or for an empty period, or a value of 0 or 1)."""
    if n <= 0 or not 0 < value < 1:
        return None
    h = required_effect(n, 0.0, power, alpha)
    phi = 2 * math.asin(math.sqrt(value)) + (-h if lower_is_better else h)
    if not 0 <= phi <= math.pi:
        return None
    return float(math.sin(phi / 2) ** 2 - value)


def detectable_one_sample_count(expected: float, lower_is_better: bool, power: float = 0.8,
                                alpha: float = 0.05) -> float | None:
    """The smallest change from the fixed mean count ``expected``, in the better direction, that a
    two-sided test of one Poisson count would detect with ``power``: on the square-root scale, where
    a count's spread is 1/2 whatever its size, ``2 * (sqrt(mu1) - sqrt(mu0))`` must reach the effect of
    :func:`required_effect` for one observation. Signed, on the count scale; None when a fall would
    have to go below zero (or without a positive mean)."""
    if expected is None or not expected > 0:
        return None
    step = required_effect(1, 0.0, power, alpha) / 2
    root = math.sqrt(expected) + (-step if lower_is_better else step)
    if root < 0:
        return None
    return float(root ** 2 - expected)


# ------------------------------------------------------------------ trend across periods
def yearly_relative_change(
    years: list[int], numerators: list[int], denominators: list[float | None], kind: str
) -> tuple[float, float, float, str] | None:
    """The average relative change a year across periods, with its 95% interval, from a statsmodels
    GLM of the figure on the year (METHODS.md "Trend").

    ``kind``: ``proportion`` (numerators of denominators: binomial with log link; if that fit fails,
    a log-linear Poisson model with the log of the denominator as offset), ``rate`` (counts with the
    population as ``denominators``: Poisson, log population offset) or ``count`` (Poisson, no offset).
    Returns ``(exp(b) - 1, exp(b - 1.96 se) - 1, exp(b + 1.96 se) - 1, model)``, or None with fewer than
    two periods or when no model can be fitted (e.g. a zero count in every period).
    """
    import warnings

    import statsmodels.api as sm

    if len(years) < 2 or len(set(years)) < 2:
        return None
    x = np.asarray(years, dtype=float) - float(min(years))
    design = sm.add_constant(x, has_constant="add")
    counts = np.asarray(numerators, dtype=float)
    if not counts.sum() > 0:
        return None  # nothing counted in any period: no rate of change exists

    def fitted(make: object) -> tuple[float, float] | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. the log link outside the binomial's canonical domain
                result = make().fit()  # type: ignore[operator]
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError, FloatingPointError, OverflowError):
            return None
        beta, se = float(result.params[1]), float(result.bse[1])
        converged = bool(getattr(result, "converged", True))
        if not (converged and math.isfinite(beta) and math.isfinite(se) and 0 < se < 50 and abs(beta) < 50):
            return None  # a fit that ran off to the edge of the scale is no estimate
        return beta, se

    fit: tuple[float, float] | None = None
    model_name = ""
    if kind == "proportion":
        sizes = np.asarray(denominators, dtype=float)
        if np.any(sizes <= 0):
            return None
        fit, model_name = fitted(lambda: sm.GLM(np.column_stack([counts, sizes - counts]), design,
                                                family=sm.families.Binomial(link=sm.families.links.Log()))), \
            "binomial, log link"
        if fit is None:
            fit, model_name = fitted(lambda: sm.GLM(counts, design, family=sm.families.Poisson(),
                                                    offset=np.log(sizes))), \
                "Poisson, log of the period size as offset (the binomial fit failed)"
    elif kind == "rate":
        sizes = np.asarray(denominators, dtype=float)
        if np.any(sizes <= 0):
            return None
        fit, model_name = fitted(lambda: sm.GLM(counts, design, family=sm.families.Poisson(),
                                                offset=np.log(sizes))), "Poisson, log of the population as offset"
    elif kind == "count":
        fit, model_name = fitted(lambda: sm.GLM(counts, design, family=sm.families.Poisson())), "Poisson"
    else:
        raise ValueError(f"unknown kind of figure: {kind!r}")
    if fit is None:
        return None
    beta, se = fit
    z = float(sps.norm.ppf(0.975))
    return (math.expm1(beta), math.expm1(beta - z * se), math.expm1(beta + z * se), model_name)
