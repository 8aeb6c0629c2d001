"""Programme evaluation against matched comparison groups: METHODS.md "Programme evaluation".

Two layers. The matching engine (:func:`matched_comparison`) works on any table of people: a logistic
propensity model on the characteristics known before treatment, 1:1 nearest-neighbour matching on
the logit of the score, **with replacement**, within a caliper of 0.2 pooled standard deviations of
the logit, standardised mean differences before and after, and the matched difference with a 95%
interval whose variance counts each reuse of a comparison person. The programme layer
(:func:`evaluate_programme`) builds the treated group and the comparison pool of ISSP, restorative
justice, referral orders and YISP exactly as METHODS.md defines them and estimates every outcome on
the same match. docs/evaluation.md gives the choices and the simulation study behind them.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from yot._lazy import lazy_module
from yot.cohort import reoffending
from yot.contract import CUSTODY_OUTCOMES
from yot.dates import add_months_expr, age_at
from yot.extract import Extract
from yot.stats import proportion_difference

sps = lazy_module("scipy.stats")  # imported on first use

PROGRAMMES: tuple[str, ...] = ("ISSP", "referral_order", "restorative_justice", "YISP")
INTERVENTION_PROGRAMMES: tuple[str, ...] = ("ISSP", "restorative_justice")
START_WINDOW_DAYS = 90
"""Treated: the programme starts 0 to 90 days after the index date (both ends included)."""
LOOKBACK_DAYS = 365
"""Comparison pool: no start from 365 days before the index date to the end of follow-up."""
MIN_TREATED = 60
"""Fewer treated people than this (METHODS.md): the estimate is indicative only."""
BALANCE_LIMIT = 0.10
"""A match is acceptable when every |SMD| after matching is below this."""
REOFFENDING_COVARIATES: tuple[str, ...] = (
    "age", "sex", "ethnicity", "previous_offences", "years_since_first_offence", "gravity",
    "offence_type", "tier", "asset_score",
)
YISP_COVARIATES: tuple[str, ...] = ("age", "sex", "ethnicity", "risk_score")
RIDGE_ALPHA = 0.01


# ============================================================================ the matching engine
@dataclass(frozen=True)
class Design:
    """How the match was made (METHODS.md: the fixed sequence of designs, chosen on balance alone).

    ``neighbours``: M, the nearest comparison people each treated person is matched to (ties at the
    M-th distance share the last places); ``exact``: columns matched exactly (the pool is first cut to
    the strata that have treated people); ``distance``: ``"logit"`` (distance on the logit of the
    propensity score) or ``"mahalanobis"`` (Mahalanobis distance on the characteristics among the
    comparison people inside the logit caliper); ``step``: 1-9, the place in the sequence (0 when the
    caller fixed the design); ``stage``: 1 (logit), 2 (exact), 3 (Mahalanobis); ``balanced``: every
    |SMD| after matching below 0.10; ``max_abs_smd``: the largest |SMD| after matching.
    """

    neighbours: int
    exact: tuple[str, ...] = ()
    distance: str = "logit"
    step: int = 0
    stage: int = 1
    balanced: bool = False
    max_abs_smd: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"neighbours": self.neighbours, "exact": list(self.exact), "distance": self.distance,
                "step": self.step, "stage": self.stage, "balanced": self.balanced,
                "max_abs_smd": self.max_abs_smd}


@dataclass(frozen=True)
class SurvivalDifference:
    """Time to first reoffence on the match: the share not reoffended by ``day`` in each group
    (Kaplan-Meier; the comparison weighted by its match weights), treated minus comparison with its
    95% interval (Greenwood-type variance, weighted), and the weighted log-rank p-value."""

    day: int
    treated: float | None
    comparison: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    logrank_p_value: float | None


@dataclass(frozen=True)
class Effect:
    """A treated-minus-comparison difference of one outcome on one match, with its 95% interval."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    treated_mean: float | None
    comparison_mean: float | None


@dataclass(frozen=True)
class MatchedComparison:
    """The result of a matched comparison (see :func:`matched_comparison`).

    ``pairs`` has one row per (matched treated person, comparison person matched to them):
    ``treated_row`` and ``comparison_row`` are 0-based row positions in the frame given,
    ``distance`` the gap in the design's distance, ``weight`` the comparison person's share of that
    treated person (1/M, or shared equally among people tied at the M-th distance; the weights of
    each treated person add up to 1). ``weights`` gives, per row of the frame, its weight in the
    match (1 for a matched treated person, the sum of its shares for a comparison person, else 0).
    ``design``: the design used (:class:`Design`); ``designs_tried``: one row per design looked at
    in the sequence with its largest |SMD|. ``adjusted_*``: the bias-adjusted difference (a linear
    model of the outcome fitted in the matched comparison group corrects each pair).
    ``e_value``/``e_value_ci``: for a 0/1 outcome, the E-value of the risk ratio and of its interval
    bound nearer 1 (VanderWeele and Ding 2017).
    """

    effect: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_treated: int
    n_matched_treated: int
    n_matched_comparison: int
    n_comparison_pool: int
    treated_mean: float | None
    comparison_mean: float | None
    naive_effect: float | None
    naive_treated_mean: float | None
    naive_comparison_mean: float | None
    balance: pl.DataFrame
    pairs: pl.DataFrame
    weights: np.ndarray = field(repr=False)
    logit: np.ndarray = field(repr=False)
    caliper_width: float | None = None
    model: str = "none"
    covariates_used: tuple[str, ...] = ()
    dropped_covariates: tuple[str, ...] = ()
    design: Design | None = None
    adjusted_effect: float | None = None
    adjusted_ci_low: float | None = None
    adjusted_ci_high: float | None = None
    adjusted_p_value: float | None = None
    e_value: float | None = None
    e_value_ci: float | None = None
    designs_tried: pl.DataFrame | None = field(default=None, repr=False)

    @property
    def n_unmatched_treated(self) -> int:
        """Treated people with no comparison person within the caliper (reported, not hidden)."""
        return self.n_treated - self.n_matched_treated

    @property
    def max_abs_smd_before(self) -> float | None:
        return _max_abs(self.balance, "smd_before")

    @property
    def max_abs_smd_after(self) -> float | None:
        return _max_abs(self.balance, "smd_after")

    @property
    def poor_balance(self) -> bool:
        """Any |SMD| of 0.10 or more after matching."""
        worst = self.max_abs_smd_after
        return worst is not None and worst >= BALANCE_LIMIT


def _max_abs(balance: pl.DataFrame, col: str) -> float | None:
    if balance.height == 0:
        return None
    values = balance.get_column(col).drop_nulls().drop_nans().abs()
    return float(values.max()) if values.len() else None


def _to_polars(frame: Any) -> pl.DataFrame:
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    return pl.from_pandas(frame)


def _is_numeric(series: pl.Series) -> bool:
    return series.dtype.is_numeric() or series.dtype == pl.Boolean


def encode_covariates(frame: pl.DataFrame, covariates: Sequence[str]) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The covariates as numeric columns for the propensity model and the balance table.

    A numeric covariate is kept; with missing values it gets ``<name>: missing`` (1 = missing) and
    its missing values are set to the mean of the others. A categorical (string) covariate becomes
    one 0/1 column per level, ``<name>: <level>``, with missing values as their own level
    ``<name>: missing``. A covariate that is constant over the whole frame is dropped (returned as
    the second item): it cannot explain who was treated.
    """
    columns: dict[str, pl.Series] = {}
    dropped: list[str] = []
    for name in covariates:
        s = frame.get_column(name)
        if _is_numeric(s):
            s = s.cast(pl.Float64)
            if s.n_unique() <= 1:
                dropped.append(name)
                continue
            missing = s.is_null() | s.is_nan()
            if missing.any():
                kept = s.filter(~missing)
                fill = float(kept.mean()) if kept.len() else 0.0
                columns[name] = pl.Series(name, np.where(missing.to_numpy(), fill, s.fill_null(fill).to_numpy()))
                columns[f"{name}: missing"] = missing.cast(pl.Float64).alias(f"{name}: missing")
            else:
                columns[name] = s.alias(name)
        else:
            s = s.cast(pl.String).fill_null("missing")
            levels = sorted(s.unique().to_list())
            if len(levels) <= 1:
                dropped.append(name)
                continue
            for level in levels:
                columns[f"{name}: {level}"] = (s == level).cast(pl.Float64).alias(f"{name}: {level}")
    return pl.DataFrame(list(columns.values())) if columns else pl.DataFrame(), tuple(dropped)


def standardised_mean_difference(
    treated: np.ndarray, comparison: np.ndarray, pooled_sd: float, comparison_weights: np.ndarray | None = None
) -> float:
    """(mean of the treated - (weighted) mean of the comparison) / ``pooled_sd``.

    ``pooled_sd`` is sqrt((var_t + var_c) / 2) of the unmatched groups (sample variances), used both
    before and after matching so that the two SMDs are on one scale. Zero when the SD is zero and the
    means agree; NaN when the SD is zero and they differ.
    """
    mt = float(np.mean(treated))
    mc = float(np.average(comparison, weights=comparison_weights))
    diff = mt - mc
    if pooled_sd <= 0 or not math.isfinite(pooled_sd):
        return 0.0 if abs(diff) < 1e-12 else float("nan")
    return diff / pooled_sd


def pooled_sd(treated: np.ndarray, comparison: np.ndarray) -> float:
    """sqrt((var_t + var_c) / 2), sample variances (ddof 1; 0 for a group of one)."""
    vt = float(np.var(treated, ddof=1)) if treated.size > 1 else 0.0
    vc = float(np.var(comparison, ddof=1)) if comparison.size > 1 else 0.0
    return math.sqrt((vt + vc) / 2)


def balance_table(x: pl.DataFrame, treated: np.ndarray, weights: np.ndarray) -> pl.DataFrame:
    """SMD of every encoded covariate before matching and after (matched treated vs comparison
    people weighted by their use), both over the pooled SD of the unmatched groups."""
    rows = []
    matched_t = treated & (weights > 0)
    matched_c = ~treated & (weights > 0)
    for name in x.columns:
        v = x.get_column(name).to_numpy().astype(float)
        sd = pooled_sd(v[treated], v[~treated])
        before = standardised_mean_difference(v[treated], v[~treated], sd) if treated.any() and (~treated).any() else None
        after = (
            standardised_mean_difference(v[matched_t], v[matched_c], sd, weights[matched_c])
            if matched_t.any() else None
        )
        rows.append({"covariate": name, "smd_before": before, "smd_after": after})
    return pl.DataFrame(rows, schema={"covariate": pl.String, "smd_before": pl.Float64, "smd_after": pl.Float64})


def _independent_columns(x: np.ndarray) -> list[int]:
    """Columns kept for the model: non-constant and not a linear combination of the earlier ones
    (with the constant), so the fit is never singular."""
    keep: list[int] = []
    base = np.ones((x.shape[0], 1))
    rank = 1
    for j in range(x.shape[1]):
        if np.ptp(x[:, j]) == 0:
            continue
        trial = np.column_stack([base, x[:, keep + [j]]])
        r = np.linalg.matrix_rank(trial)
        if r > rank:
            keep.append(j)
            rank = r
    return keep


def propensity_logit(x: pl.DataFrame, treated: np.ndarray) -> tuple[np.ndarray, str]:
    """The logit of each person's propensity score from a logistic model of treatment.

    Columns are standardised and reduced to a linearly independent set first. A maximum-likelihood
    fit (statsmodels ``Logit``) is used when it converges to finite, plausible coefficients; under
    separation or non-convergence the fit falls back to a lightly ridge-penalised logistic
    regression (``GLM.fit_regularized``, alpha 0.01, intercept unpenalised). Returns the logits and
    which fit was used (``"mle"`` or ``"ridge"``).
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    n = treated.size
    y = treated.astype(float)
    if x.width == 0:
        p = y.mean()
        return np.full(n, math.log(p / (1 - p)) if 0 < p < 1 else 0.0), "constant"
    raw = x.to_numpy().astype(float)
    sd = raw.std(axis=0)
    z = (raw - raw.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    keep = _independent_columns(z)
    design = np.column_stack([np.ones(n), z[:, keep]])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("error", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            fit = sm.Logit(y, design).fit(disp=0, maxiter=200)
        params = np.asarray(fit.params)
        if fit.mle_retvals.get("converged", False) and np.all(np.isfinite(params)) and np.abs(params[1:]).max(initial=0) < 15:
            return design @ params, "mle"
    except (PerfectSeparationWarning, ConvergenceWarning, np.linalg.LinAlgError, ValueError):
        pass
    alpha = np.full(design.shape[1], RIDGE_ALPHA)
    alpha[0] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, design, family=sm.families.Binomial()).fit_regularized(alpha=alpha, L1_wt=0.0)
    return design @ np.asarray(fit.params), "ridge"


def caliper_width(logit: np.ndarray, treated: np.ndarray, caliper: float = 0.2) -> float:
    """``caliper`` times the pooled SD of the logit, sqrt((var_t + var_c) / 2) (Austin 2011)."""
    return caliper * pooled_sd(logit[treated], logit[~treated])


def nearest_neighbour_match(
    logit: np.ndarray, treated: np.ndarray, width: float, seed: int = 0
) -> pl.DataFrame:  # TODO(v2): tie sharing, M neighbours
    """1:1 nearest-neighbour matching on the logit, with replacement, within ``width``.

    Each treated person gets the comparison person whose logit is nearest; a comparison person may
    stand in for several treated people. Ties (equal distances, common with few discrete
    covariates) are broken at random with ``seed``, which spreads the reuse over equally good
    matches. A treated person whose nearest comparison person is further than ``width`` is left
    unmatched. Returns ``treated_row``, ``comparison_row``, ``distance`` (matched people only).
    """
    t_rows = np.flatnonzero(treated)
    c_rows = np.flatnonzero(~treated)
    empty = pl.DataFrame(schema={"treated_row": pl.Int64, "comparison_row": pl.Int64, "distance": pl.Float64})
    if t_rows.size == 0 or c_rows.size == 0:
        return empty
    rng = np.random.default_rng(seed)
    v_all = np.round(logit, 10)
    order = np.argsort(v_all[c_rows], kind="stable")
    c_sorted = c_rows[order]
    v = v_all[c_sorted]
    x = v_all[t_rows]
    i = np.searchsorted(v, x)
    left = np.clip(i - 1, 0, v.size - 1)
    right = np.clip(i, 0, v.size - 1)
    dl = np.where(i > 0, x - v[left], np.inf)
    dr = np.where(i < v.size, v[right] - x, np.inf)
    best = np.minimum(dl, dr)
    use_l = dl <= dr
    use_r = dr <= dl
    l_lo, l_hi = np.searchsorted(v, v[left], "left"), np.searchsorted(v, v[left], "right")
    r_lo, r_hi = np.searchsorted(v, v[right], "left"), np.searchsorted(v, v[right], "right")
    n_l = np.where(use_l, l_hi - l_lo, 0)
    n_r = np.where(use_r & ~(use_l & (v[left] == v[right])), r_hi - r_lo, 0)
    u = np.floor(rng.random(t_rows.size) * (n_l + n_r)).astype(np.int64)
    pick = np.where(u < n_l, l_lo + u, r_lo + (u - n_l))
    ok = best <= width + 1e-12
    return pl.DataFrame({
        "treated_row": t_rows[ok].astype(np.int64),
        "comparison_row": c_sorted[pick[ok]].astype(np.int64),
        "distance": best[ok].astype(float),
    })


def match_weights(pairs: pl.DataFrame, n: int) -> np.ndarray:
    """How often each row of the frame is used in the match (see ``MatchedComparison.weights``)."""
    w = np.zeros(n)
    np.add.at(w, pairs.get_column("treated_row").to_numpy(), 1.0)
    np.add.at(w, pairs.get_column("comparison_row").to_numpy(), 1.0)
    return w


def matched_effect(outcome: np.ndarray, pairs: pl.DataFrame) -> Effect:
    """The average effect on the matched treated: mean over pairs of (treated - matched comparison).

    Variance for matching with replacement (after Abadie and Imbens 2006): the variance of the
    paired differences, sum((d - mean d)^2) / (n (n - 1)), plus sum over comparison people of
    (K^2 - K) * s_c^2 / n^2, where K is how many treated people a comparison person stands in for
    and s_c^2 the sample variance of the outcome among the matched comparison people. Without reuse
    (every K = 1) this is the paired-difference variance. The 95% interval and two-sided p-value use
    Student's t with n - 1 degrees of freedom (the paired t interval; the normal one for large n).
    See :func:`paired_interval` for binary outcomes and pairs with no spread.
    """
    n = pairs.height
    if n == 0:
        return Effect(None, None, None, None, None, None)
    y = outcome.astype(float)
    yt = y[pairs.get_column("treated_row").to_numpy()]
    c = pairs.get_column("comparison_row").to_numpy()
    yc = y[c]
    d = yt - yc
    tau = float(d.mean())
    var = float(np.var(d, ddof=1)) / n if n > 1 else 0.0
    _, k = np.unique(c, return_counts=True)
    if k.max(initial=1) > 1:
        used = np.unique(c)
        s2 = float(np.var(y[used], ddof=1)) if used.size > 1 else float(np.var(yc))
        var += float(np.sum(k.astype(float) ** 2 - k)) * s2 / n**2
    low, high, p = paired_interval(tau, math.sqrt(var), yt, yc)
    return Effect(tau, low, high, p, float(yt.mean()), float(yc.mean()))


def paired_interval(
    estimate: float, se: float, first: np.ndarray, second: np.ndarray
) -> tuple[float | None, float | None, float | None]:
    """95% interval and two-sided p-value of ``estimate`` = mean(first) - mean(second) over n pairs.

    Student's t with n - 1 degrees of freedom on ``se``. For 0/1 outcomes the interval is kept
    within [-1, 1]; where the pairs show no spread at all (``se`` 0: one pair, or every pair alike,
    e.g. nobody reoffended) a zero-width interval would claim certainty, so the Newcombe interval
    and score test of the two groups' counts are used instead. A numeric outcome with no spread
    has no interval (Nones).
    """
    n = first.size
    binary = bool(np.isin(first, (0.0, 1.0)).all() and np.isin(second, (0.0, 1.0)).all())
    if se > 0:
        p: float | None = float(2 * sps.t.sf(abs(estimate) / se, max(n - 1, 1)))
        crit = critical_value(n)
        low: float | None = estimate - crit * se
        high: float | None = estimate + crit * se
    elif binary:
        _, low, high, p = proportion_difference(int(first.sum()), n, int(second.sum()), n)
    else:
        return None, None, None
    if binary and low is not None and high is not None:
        low, high = max(low, -1.0), min(high, 1.0)
    return low, high, p


def critical_value(n: int) -> float:
    """The two-sided 95% critical value of Student's t with n - 1 degrees of freedom (at least 1)."""
    return float(sps.t.ppf(0.975, max(n - 1, 1)))


def naive_difference(outcome: np.ndarray, treated: np.ndarray) -> tuple[float | None, float | None, float | None]:
    """Mean of all treated, mean of the whole comparison pool, and their difference (no matching)."""
    y = outcome.astype(float)
    mt = float(y[treated].mean()) if treated.any() else None
    mc = float(y[~treated].mean()) if (~treated).any() else None
    return mt, mc, (mt - mc if mt is not None and mc is not None else None)


def matched_comparison(
    frame: Any,
    treatment: str,
    outcome: str,
    covariates: Sequence[str],
    caliper: float = 0.2,
    neighbours: int | str = "auto",
    exact: Sequence[str] | None = None,
    distance: str = "logit",
) -> MatchedComparison:
    """Propensity-score matched comparison of ``outcome`` between treated people and a comparison pool.

    ``frame``: pandas or polars, one row per person; ``treatment``: 0/1 (or boolean), 1 = treated;
    ``outcome``: binary or numeric, no missing values; ``covariates``: numeric or categorical columns
    known before treatment (missing values are flagged and imputed, never dropped; see
    :func:`encode_covariates`). Fits the propensity model (:func:`propensity_logit`), matches 1:1 on
    its logit with replacement within ``caliper`` pooled SDs (:func:`nearest_neighbour_match`), and
    returns the matched difference (:func:`matched_effect`), the naive difference, the balance table
    and the match itself.
    """
    df = _to_polars(frame)
    t_col = df.get_column(treatment)
    if t_col.null_count():
        raise ValueError(f"treatment column {treatment!r} has missing values")
    treated = t_col.cast(pl.Int64).to_numpy() == 1
    y_col = df.get_column(outcome)
    if y_col.null_count():
        raise ValueError(f"outcome column {outcome!r} has missing values")
    y = y_col.cast(pl.Float64).to_numpy()
    x, dropped = encode_covariates(df, covariates)
    n_t, n_c = int(treated.sum()), int((~treated).sum())
    mt, mc, naive = naive_difference(y, treated)
    if n_t == 0 or n_c == 0:
        pairs = nearest_neighbour_match(np.zeros(df.height), treated, 0.0)
        w = np.zeros(df.height)
        return MatchedComparison(
            None, None, None, None, n_t, 0, 0, n_c, None, None, naive, mt, mc,
            balance_table(x, treated, w), pairs, w, np.zeros(df.height), None, "none",
            tuple(c for c in covariates if c not in dropped), dropped,
        )
    logit, model = propensity_logit(x, treated)
    width = caliper_width(logit, treated, caliper)
    pairs = nearest_neighbour_match(logit, treated, width)
    w = match_weights(pairs, df.height)
    eff = matched_effect(y, pairs)
    return MatchedComparison(
        effect=eff.estimate, ci_low=eff.ci_low, ci_high=eff.ci_high, p_value=eff.p_value,
        n_treated=n_t, n_matched_treated=pairs.height,
        n_matched_comparison=int(pairs.get_column("comparison_row").n_unique()) if pairs.height else 0,
        n_comparison_pool=n_c, treated_mean=eff.treated_mean, comparison_mean=eff.comparison_mean,
        naive_effect=naive, naive_treated_mean=mt, naive_comparison_mean=mc,
        balance=balance_table(x, treated, w), pairs=pairs, weights=w, logit=logit, caliper_width=width,
        model=model, covariates_used=tuple(c for c in covariates if c not in dropped), dropped_covariates=dropped,
    )


# ============================================================================ programme definitions
def _interventions_of(extract: Extract, programme: str) -> pl.LazyFrame:
    return (
        extract.interventions.lazy()
        .filter(pl.col("programme") == programme)
        .select("person_id", "start_date")
    )


def programme_treatment(
    extract: Extract, members: pl.DataFrame, programme: str, follow_up_months: int = 12
) -> pl.DataFrame:
    """``treated`` for ISSP or restorative justice: True, False (comparison pool) or null (neither).

    Treated: the member starts the programme 0 to 90 days after the index date (a start on the index
    date itself counts: ISSP begins with the order). Comparison pool: no start of it at any time from
    365 days before the index date to the end of follow-up (index date + F months). Members with a
    start only elsewhere in that window (or further back/forward than 90 days) are in neither group.
    """
    starts = (
        _interventions_of(extract, programme)
        .join(members.lazy().select("person_id", "index_date"), on="person_id", how="inner")
        .with_columns(days=(pl.col("start_date") - pl.col("index_date")).dt.total_days())
        .group_by("person_id")
        .agg(
            in_window=pl.col("days").is_between(0, START_WINDOW_DAYS).any(),
            near=(
                (pl.col("days") >= -LOOKBACK_DAYS)
                & (pl.col("start_date") <= add_months_expr(pl.col("index_date"), follow_up_months))
            ).any(),
        )
    )
    return (
        members.lazy()
        .join(starts, on="person_id", how="left")
        .with_columns(
            treated=pl.when(pl.col("in_window").fill_null(False)).then(True)
            .when(pl.col("near").fill_null(False)).then(None)
            .otherwise(False)
        )
        .drop("in_window", "near")
        .collect()
    )


def referral_order_treatment(members: pl.DataFrame) -> pl.DataFrame:
    """``treated`` for referral orders: True when the index outcome is ``referral_order``; False for
    the other first_tier and pre_court members; null (neither) for community and custody."""
    return members.with_columns(
        treated=pl.when(pl.col("outcome") == "referral_order").then(True)
        .when(pl.col("tier").is_in(["first_tier", "pre_court"])).then(False)
        .otherwise(None)
    )


def index_covariates(extract: Extract, members: pl.DataFrame) -> pl.DataFrame:
    """Characteristics known at the index date, added to each member.

    ``previous_offences``: proven offences (any type) other than the index offence with
    outcome_date before the index date; ``years_since_first_offence``: years from the outcome_date
    of the first of them to the index date (missing when there is none); ``asset_score``: the latest
    Asset score with assessment_date before the index date (missing when there is none).
    """
    index = members.lazy().select("person_id", pl.col("offence_id").alias("_index_id"), "index_date")
    previous = (
        extract.offences.lazy()
        .join(index, on="person_id", how="inner")
        .filter((pl.col("offence_id") != pl.col("_index_id")) & (pl.col("outcome_date") < pl.col("index_date")))
        .group_by("person_id")
        .agg(previous_offences=pl.len().cast(pl.Int64), _first=pl.col("outcome_date").min(),
             _index=pl.col("index_date").first())
        .with_columns(years_since_first_offence=(pl.col("_index") - pl.col("_first")).dt.total_days() / 365.25)
        .select("person_id", "previous_offences", "years_since_first_offence")
    )
    asset = (
        extract.assessments.lazy()
        .join(index, on="person_id", how="inner")
        .filter(pl.col("assessment_date") < pl.col("index_date"))
        .sort(["person_id", "assessment_date"])
        .group_by("person_id")
        .agg(asset_score=pl.col("asset_score").last().cast(pl.Float64))
    )
    return (
        members.lazy()
        .join(previous, on="person_id", how="left")
        .join(asset, on="person_id", how="left")
        .with_columns(previous_offences=pl.col("previous_offences").fill_null(0))
        .collect()
    )


def reoffending_outcomes(
    extract: Extract, members: pl.DataFrame, follow_up_months: int = 12, waiting_months: int = 6
) -> pl.DataFrame:
    """Adds ``custody_reoffence`` (a reoffence whose outcome is custody), the survival time
    ``time_days`` (days to first reoffence, or to index + F months when none: censored) with
    ``event``, and the before/after counts of the treated comparison: ``offences_before`` (proven
    offences other than the index one and breaches, committed in the 12 months before the index
    date) and ``reoffended_before``.

    ``members`` come from :func:`yot.cohort.reoffending` (``reoffences``, ``reoffended``).
    """
    from yot.cohort import reoffences as reoffence_rows

    custody = (
        reoffence_rows(extract, members.lazy(), follow_up_months, waiting_months)
        .group_by("person_id")
        .agg(custody_reoffence=pl.col("outcome").is_in(list(CUSTODY_OUTCOMES)).any())
    )
    index = members.lazy().select("person_id", pl.col("offence_id").alias("_index_id"), "index_date")
    before = (
        extract.offences.lazy()
        .filter(pl.col("offence_type") != "breach")
        .join(index, on="person_id", how="inner")
        .filter(
            (pl.col("offence_id") != pl.col("_index_id"))
            & (pl.col("offence_date") < pl.col("index_date"))
            & (pl.col("offence_date") >= add_months_expr(pl.col("index_date"), -12))
        )
        .group_by("person_id")
        .agg(offences_before=pl.len().cast(pl.Int64))
    )
    return (
        members.lazy()
        .join(custody, on="person_id", how="left")
        .join(before, on="person_id", how="left")
        .with_columns(
            custody_reoffence=pl.col("custody_reoffence").fill_null(False),
            offences_before=pl.col("offences_before").fill_null(0),
            event=pl.col("reoffended"),
            time_days=pl.coalesce(
                pl.col("days_to_first_reoffence"),
                (add_months_expr(pl.col("index_date"), follow_up_months) - pl.col("index_date")).dt.total_days(),
            ),
        )
        .with_columns(reoffended_before=pl.col("offences_before") > 0)
        .collect()
    )


def reoffending_population(
    extract: Extract, programme: str, start: dt.date, end: dt.date,
    follow_up_months: int = 12, waiting_months: int = 6,
) -> pl.DataFrame:
    """One row per cohort member of ``start..end`` in the treated group or the comparison pool of
    ``programme`` (ISSP, restorative_justice, referral_order), with covariates and outcomes."""
    members = reoffending(extract, start, end, follow_up_months, waiting_months)
    if programme == "referral_order":
        members = referral_order_treatment(members)
    else:
        members = programme_treatment(extract, members, programme, follow_up_months)
    members = members.filter(pl.col("treated").is_not_null())
    members = index_covariates(extract, members)
    # a fixed row order (joins need not keep one), so that the seed alone decides the random tie-breaks
    return reoffending_outcomes(extract, members, follow_up_months, waiting_months).sort("person_id")


def yisp_population(
    extract: Extract, start: dt.date, end: dt.date, follow_up_months: int = 12, waiting_months: int = 6
) -> pl.DataFrame:
    """One row per young person referred to YISP with a referral_date in ``start..end``.

    One referral per person: the earliest in the period (then the smallest referral_id). People with
    a proven offence (outcome_date) on or before that referral date are out. ``treated``: decision
    ``accepted``; comparison pool: ``declined`` or ``no_capacity``. Outcome ``first_time_entrant``:
    their earliest proven offence (by outcome_date, then offence_date, then offence_id, over the
    whole extract) was committed after the referral date and within F (12) months of it, proven
    within F + W (18) months, and they were 10 to 17 on its outcome_date (METHODS.md FTE rule).
    ``time_days``/``event``: days to that offence, censored at F months.
    """
    referrals = (
        extract.referrals.lazy()
        .filter((pl.col("programme") == "YISP") & pl.col("referral_date").is_between(start, end, closed="both"))
        .sort(["person_id", "referral_date", "referral_id"])
        .unique(subset="person_id", keep="first", maintain_order=True)
    )
    first = (
        extract.offences.lazy()
        .sort(["person_id", "outcome_date", "offence_date", "offence_id"])
        .unique(subset="person_id", keep="first", maintain_order=True)
        .select("person_id", pl.col("offence_date").alias("first_offence_date"),
                pl.col("outcome_date").alias("first_outcome_date"))
    )
    people = extract.people.lazy().select("person_id", "date_of_birth", "sex", "ethnicity")
    ref = pl.col("referral_date")
    fte = (
        (pl.col("first_offence_date") > ref)
        & (pl.col("first_offence_date") <= add_months_expr(ref, follow_up_months))
        & (pl.col("first_outcome_date") <= add_months_expr(ref, follow_up_months + waiting_months))
        & age_at(pl.col("date_of_birth"), pl.col("first_outcome_date")).is_between(10, 17)
    ).fill_null(False)
    return (
        referrals.join(first, on="person_id", how="left")
        .join(people, on="person_id", how="inner")
        .filter(pl.col("first_outcome_date").is_null() | (pl.col("first_outcome_date") > ref))
        .with_columns(
            treated=pl.col("decision") == "accepted",
            age=age_at(pl.col("date_of_birth"), ref),
            risk_score=pl.col("risk_score").cast(pl.Float64),
            first_time_entrant=fte,
        )
        .with_columns(
            event=pl.col("first_time_entrant"),
            time_days=pl.when(pl.col("first_time_entrant"))
            .then((pl.col("first_offence_date") - ref).dt.total_days())
            .otherwise((add_months_expr(ref, follow_up_months) - ref).dt.total_days()),
        )
        .select("person_id", "referral_id", "referral_date", "decision", "treated", "age", "sex", "ethnicity",
                "risk_score", "first_time_entrant", "event", "time_days")
        .sort("person_id")
        .collect()
    )


# ============================================================================ evaluations
@dataclass(frozen=True)
class ProgrammeEvaluation:
    """A programme's matched-comparison evaluation: the match, every outcome on it, and the caveats.

    ``outcomes``: one row per outcome (``measure``, ``treated``, ``comparison``, ``difference``,
    ``ci_low``, ``ci_high``, ``p_value``, ``naive_treated``, ``naive_comparison``, ``naive_difference``).
    ``before_after``: the matched treated people's offending in the 12 months before vs after the index
    date (none for YISP). ``survival``: Kaplan-Meier curves of the matched groups (``group``, ``day``,
    ``surviving``). ``time_to_reoffence``: the difference in the share not reoffended (YISP: not
    entered) at 365 days with its interval and the weighted log-rank p-value. ``population``: the
    row-level frame (analyst use only; never shown). ``extract_date``: the day the figures are as at;
    ``complete``: False while the follow-up and waiting period after the period's end run past it
    (the figures are then provisional). The outcomes table also has ``adjusted_difference``,
    ``adjusted_ci_low``, ``adjusted_ci_high``, ``adjusted_p_value`` (bias-adjusted check).
    """

    programme: str
    start: dt.date
    end: dt.date
    follow_up_months: int
    waiting_months: int
    outcome: str
    match: MatchedComparison
    outcomes: pl.DataFrame
    before_after: pl.DataFrame | None
    survival: pl.DataFrame
    population: pl.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()
    time_to_reoffence: SurvivalDifference | None = None
    extract_date: dt.date | None = None
    complete: bool = False

    @property
    def indicative_only(self) -> bool:
        """Fewer than 60 treated people (METHODS.md, read literally: all treated, matched or not).

        Treated people left unmatched are reported separately, never hidden."""
        return self.match.n_treated < MIN_TREATED

    @property
    def primary(self) -> Effect:
        row = self.outcomes.row(0, named=True)
        return Effect(row["difference"], row["ci_low"], row["ci_high"], row["p_value"], row["treated"],
                      row["comparison"])


def kaplan_meier(time_days: np.ndarray, event: np.ndarray, weights: np.ndarray | None = None) -> pl.DataFrame:
    """The Kaplan-Meier curve (statsmodels ``SurvfuncRight``) as ``day``, ``surviving`` (share not yet
    reoffended), starting at day 0 with 1.0, and ``people``: how many of the (distinct, unweighted)
    people had their event on that day (0 on the added first and last rows). ``weights``: frequency
    weights (comparison reuse)."""
    if time_days.size == 0:
        return pl.DataFrame(schema={"day": pl.Float64, "surviving": pl.Float64, "people": pl.Int64})
    from statsmodels.duration.survfunc import SurvfuncRight

    t, e = time_days.astype(float), event.astype(float)
    sf = SurvfuncRight(t, e, freq_weights=weights)
    times = np.asarray(sf.surv_times, float)
    days = np.r_[0.0, times]
    surv = np.r_[1.0, np.asarray(sf.surv_prob, float)]
    event_days, event_people = np.unique(t[e > 0], return_counts=True)
    people = np.r_[0, event_people[np.searchsorted(event_days, times)]]  # surv_times are the event days
    end = float(np.max(time_days))
    if end > days[-1]:  # carry the curve on to the end of follow-up (the censored tail)
        days, surv, people = np.r_[days, end], np.r_[surv, surv[-1]], np.r_[people, 0]
    return pl.DataFrame({"day": days, "surviving": surv, "people": people.astype(np.int64)})


def _survival(pop: pl.DataFrame, match: MatchedComparison) -> pl.DataFrame:
    t = pop.get_column("time_days").cast(pl.Float64).to_numpy()
    e = pop.get_column("event").cast(pl.Float64).to_numpy()
    frames = []
    if match.pairs.height:
        tr = match.pairs.get_column("treated_row").to_numpy()
        cr, k = np.unique(match.pairs.get_column("comparison_row").to_numpy(), return_counts=True)
        frames.append(kaplan_meier(t[tr], e[tr]).with_columns(group=pl.lit("treated (matched)")))
        frames.append(kaplan_meier(t[cr], e[cr], k.astype(float)).with_columns(group=pl.lit("matched comparison")))
    if not frames:
        return pl.DataFrame(schema={"group": pl.String, "day": pl.Float64, "surviving": pl.Float64,
                                    "people": pl.Int64})
    return pl.concat(frames).select("group", "day", "surviving", "people")


def _outcome_row(measure: str, y: np.ndarray, treated: np.ndarray, pairs: pl.DataFrame) -> dict[str, Any]:
    eff = matched_effect(y, pairs)
    mt, mc, naive = naive_difference(y, treated)
    return {
        "measure": measure, "treated": eff.treated_mean, "comparison": eff.comparison_mean,
        "difference": eff.estimate, "ci_low": eff.ci_low, "ci_high": eff.ci_high, "p_value": eff.p_value,
        "naive_treated": mt, "naive_comparison": mc, "naive_difference": naive,
    }


def before_after_change(pop: pl.DataFrame, rows: np.ndarray | None = None) -> pl.DataFrame:
    """The treated group's offending before vs after the index date (12 months each side), with the
    paired 95% interval of the change: ``measure``, ``before``, ``after``, ``change``, ``ci_low``,
    ``ci_high``, ``p_value``. It falls with regression to the mean whatever the programme does.

    ``rows``: the row positions of the treated people to use (the matched treated, so that it describes
    the same young people as the matched estimate); by default every treated row."""
    t = pop.filter(pl.col("treated")) if rows is None else pop[rows]
    rows = []
    for measure, b, a in (
        ("reoffended (any offence)", "reoffended_before", "reoffended"),
        ("offences per young person", "offences_before", "reoffences"),
    ):
        before = t.get_column(b).cast(pl.Float64).to_numpy()
        after = t.get_column(a).cast(pl.Float64).to_numpy()
        n = before.size
        if n == 0:
            rows.append({"measure": measure, "before": None, "after": None, "change": None,
                         "ci_low": None, "ci_high": None, "p_value": None})
            continue
        d = after - before
        se = float(np.std(d, ddof=1) / math.sqrt(n)) if n > 1 else 0.0
        change = float(d.mean())
        low, high, p = paired_interval(change, se, after, before)
        rows.append({"measure": measure, "before": float(before.mean()), "after": float(after.mean()),
                     "change": change, "ci_low": low, "ci_high": high, "p_value": p})
    return pl.DataFrame(rows, schema={"measure": pl.String, **{c: pl.Float64 for c in
                                      ("before", "after", "change", "ci_low", "ci_high", "p_value")}})


def evaluate_programme(
    extract: Extract,
    programme: str,
    start: dt.date,
    end: dt.date,
    follow_up_months: int = 12,
    waiting_months: int = 6,
    seed: int | None = None,
    caliper: float = 0.2,
    *,
    neighbours: int | str = "auto",
    extract_date: dt.date | None = None,
) -> ProgrammeEvaluation:
    """Evaluate ``programme`` (ISSP, referral_order, restorative_justice, YISP) over ``start..end``.

    Builds the treated group and comparison pool (METHODS.md definitions), matches on the
    characteristics known at the index (referral) date, and estimates on the one match: one-year
    binary reoffending (YISP: first-time entry), and for the reoffending programmes also frequency
    and custody; the Kaplan-Meier curves; the naive comparison; the treated group's before/after.
    """
    if programme not in PROGRAMMES:
        raise ValueError(f"unknown programme {programme!r}; one of {PROGRAMMES}")
    notes: list[str] = []
    if programme == "YISP":
        pop = yisp_population(extract, start, end, follow_up_months, waiting_months)
        covariates = list(YISP_COVARIATES)
        measures = [("first-time entrant within a year", "first_time_entrant")]
        outcome = "first_time_entrant"
        notes.append("Previous offences, gravity, offence type, tier and Asset do not apply: no one referred "
                     "to YISP has a proven offence yet; the ONSET risk score stands in for Asset.")
    else:
        pop = reoffending_population(extract, programme, start, end, follow_up_months, waiting_months)
        covariates = list(REOFFENDING_COVARIATES)
        if programme == "referral_order":
            covariates.remove("tier")
            notes.append("Tier is left out of the model: every treated young person is first_tier by "
                         "definition of the programme.")
        measures = [
            ("reoffended within a year", "reoffended"),
            ("reoffences per young person", "reoffences"),
            ("reoffence ending in custody", "custody_reoffence"),
        ]
        outcome = "reoffending"
    main_col = measures[0][1]
    pop = pop.with_columns(pl.col(main_col).cast(pl.Float64).alias("_y"))
    del seed  # accepted for old callers; no effect: tied comparison people share the match
    match = matched_comparison(pop, "treated", "_y", covariates, caliper=caliper, neighbours=neighbours)
    pop = pop.drop("_y")
    if match.dropped_covariates:
        notes.append("Left out as the same for everyone evaluated: " + ", ".join(match.dropped_covariates) + ".")
    if match.model == "ridge":
        notes.append("The propensity model needed a lightly penalised fit (separation or too few people).")
    treated = pop.get_column("treated").to_numpy().astype(bool)
    rows = [_outcome_row(m, pop.get_column(c).cast(pl.Float64).to_numpy(), treated, match.pairs) for m, c in measures]
    outcomes = pl.DataFrame(rows, schema={"measure": pl.String, **{c: pl.Float64 for c in (
        "treated", "comparison", "difference", "ci_low", "ci_high", "p_value",
        "naive_treated", "naive_comparison", "naive_difference")}})
    before_after = None if programme == "YISP" else before_after_change(
        pop, match.pairs.get_column("treated_row").to_numpy())
    return ProgrammeEvaluation(
        programme=programme, start=start, end=end, follow_up_months=follow_up_months,
        waiting_months=waiting_months, outcome=outcome, match=match, outcomes=outcomes,
        before_after=before_after, survival=_survival(pop, match), population=pop, notes=tuple(notes),
    )


PROGRAMME_NAMES: dict[str, str] = {
    "ISSP": "ISSP", "referral_order": "a referral order", "restorative_justice": "restorative justice",
    "YISP": "a YISP",
}


def _count_words(count: int, threshold: int | None) -> str:
    if threshold is not None and 1 <= count < threshold:
        return f"fewer than {threshold}"
    return f"{count:,}"


def _per_100(value: float) -> str:
    """A number of young people per 100, unsigned: whole numbers, but one decimal under 1 (so a bound
    of +0.4 is not said as "0 more")."""
    size = abs(value)
    return "0" if size == 0 else f"{size:.1f}" if size < 1 else f"{size:.0f}"


def plain_words(evaluation: ProgrammeEvaluation, threshold: int | None = None) -> str:
    """The result as a sentence: "For every 100 young people like those on ISSP, between A and B
    fewer (or more) reoffended within a year", with "no evidence of an effect" when the interval
    spans zero, "indicative only" under 60 treated people, and poor balance said.

    ``threshold``: for published pages, counts from 1 to ``threshold - 1`` are said as "fewer than
    threshold" (and the treated total is not said next to a small number left unmatched)."""
    m = evaluation.match
    name = PROGRAMME_NAMES.get(evaluation.programme, evaluation.programme)
    what = "became first-time entrants" if evaluation.outcome == "first_time_entrant" else "reoffended"
    if m.n_treated == 0 or m.n_comparison_pool == 0 or m.n_matched_treated == 0:
        return (f"There is no estimate for {name}: "
                + ("no young person started it in the period." if m.n_treated == 0 else
                   "there was no one to compare with." if m.n_comparison_pool == 0 else
                   "no treated young person had a close enough match."))
    e = evaluation.primary
    assert e.ci_low is not None and e.ci_high is not None
    lo, hi = 100 * e.ci_low, 100 * e.ci_high
    who = f"For every 100 young people like those on {name}"
    if lo <= 0 <= hi:
        text = (f"No evidence of an effect: f{who[1:]}, the number who {what} within a year could be anywhere "
                f"from {_per_100(lo)} fewer to {_per_100(hi)} more than had they not been on it.")
    elif hi < 0:
        text = f"{who}, between {_per_100(hi)} and {_per_100(lo)} fewer {what} within a year."
    else:
        text = f"{who}, between {_per_100(lo)} and {_per_100(hi)} more {what} within a year."
    if evaluation.indicative_only:
        text += (f" Indicative only: {_count_words(m.n_treated, threshold)} young people were treated, "
                 f"fewer than {MIN_TREATED}.")
    if m.n_unmatched_treated:
        unmatched = _count_words(m.n_unmatched_treated, threshold)
        of = "" if unmatched.startswith("fewer") else f" of {_count_words(m.n_treated, threshold)}"
        text += f" {unmatched[0].upper()}{unmatched[1:]}{of} treated young people had no close match and are left out."
    if m.poor_balance:
        text += (f" Poor balance: after matching the groups still differ (largest standardised difference "
                 f"{m.max_abs_smd_after:.2f}, acceptable below {BALANCE_LIMIT:.2f}), so the comparison may be unfair.")
    return text


# ============================================================================ sensitivity, several tests
def e_value(risk_ratio: float | None) -> float | None:
    """The E-value of a risk ratio (VanderWeele and Ding 2017): RR + sqrt(RR (RR - 1)), with a ratio
    below 1 inverted first. 1 for a ratio of 1; None when there is no ratio."""
    if risk_ratio is None or not math.isfinite(risk_ratio) or risk_ratio <= 0:
        return None
    rr = 1 / risk_ratio if risk_ratio < 1 else risk_ratio
    return float(rr + math.sqrt(rr * (rr - 1)))


def e_values(
    treated_mean: float | None, comparison_mean: float | None, ci_low: float | None, ci_high: float | None
) -> tuple[float | None, float | None]:
    """E-values of the risk ratio treated / comparison of a 0/1 outcome and of the interval bound
    nearer 1. The ratio's interval is the difference's interval over the comparison rate
    (1 + bound / comparison rate, the comparison rate held at its matched value); an interval
    that includes a ratio of 1 gives an E-value of 1 for the bound."""
    if treated_mean is None or not comparison_mean or comparison_mean <= 0:
        return None, None
    rr = treated_mean / comparison_mean
    point = e_value(rr) if rr > 0 else None
    if ci_low is None or ci_high is None:
        return point, None
    lo, hi = 1 + ci_low / comparison_mean, 1 + ci_high / comparison_mean
    if lo <= 1 <= hi:
        return point, 1.0
    bound = hi if hi < 1 else lo
    return point, e_value(bound) if bound > 0 else None


def holm_adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (statsmodels ``multipletests``, method ``holm``) of the p-values given,
    in the same order; a missing p-value stays missing and is not counted as a test."""
    from statsmodels.stats.multitest import multipletests

    present = [i for i, p in enumerate(p_values) if p is not None and math.isfinite(p)]
    out: list[float | None] = [None] * len(p_values)
    if present:
        adjusted = multipletests([float(p_values[i]) for i in present], method="holm")[1]  # type: ignore[arg-type]
        for i, q in zip(present, adjusted, strict=True):
            out[i] = float(q)
    return out


def primary_tests(evaluations: Sequence[ProgrammeEvaluation]) -> pl.DataFrame:
    """The primary outcome of each programme with its p-value and the Holm-adjusted one across the
    programmes given (``programme``, ``measure``, ``difference``, ``p_value``, ``holm_p_value``);
    ``tests``: how many primary tests were made (programmes with a p-value)."""
    rows = []
    for ev in evaluations:
        first = ev.outcomes.row(0, named=True) if ev.outcomes.height else {}
        rows.append({"programme": ev.programme, "measure": first.get("measure"),
                     "difference": first.get("difference"), "p_value": first.get("p_value")})
    holm = holm_adjusted([r["p_value"] for r in rows])
    tests = sum(q is not None for q in holm)
    return pl.DataFrame(
        [{**r, "holm_p_value": q, "tests": tests} for r, q in zip(rows, holm, strict=True)],
        schema={"programme": pl.String, "measure": pl.String, "difference": pl.Float64, "p_value": pl.Float64,
                "holm_p_value": pl.Float64, "tests": pl.Int64},
    )


def cli_summary(evaluation: ProgrammeEvaluation) -> dict[str, Any]:
    """The analyst-facing JSON of ``yot evaluate`` (exact figures)."""
    m = evaluation.match
    return {
        "programme": evaluation.programme,
        "outcome": evaluation.outcome,
        "n_treated": m.n_treated,
        "n_matched_treated": m.n_matched_treated,
        "n_comparison_pool": m.n_comparison_pool,
        "n_matched_comparison": m.n_matched_comparison,
        "treated_rate": m.treated_mean,
        "comparison_rate": m.comparison_mean,
        "effect": m.effect,
        "ci_low": m.ci_low,
        "ci_high": m.ci_high,
        "p_value": m.p_value,
        "naive_effect": m.naive_effect,
        "max_abs_smd_before": m.max_abs_smd_before,
        "max_abs_smd_after": m.max_abs_smd_after,
        "indicative_only": evaluation.indicative_only,
        "period": {"start": evaluation.start.isoformat(), "end": evaluation.end.isoformat()},
        "extract_date": None if evaluation.extract_date is None else evaluation.extract_date.isoformat(),
        "complete": evaluation.complete,
        "design": None if m.design is None else m.design.as_dict(),
        "adjusted_effect": m.adjusted_effect,
        "adjusted_ci_low": m.adjusted_ci_low,
        "adjusted_ci_high": m.adjusted_ci_high,
        "e_value": m.e_value,
        "e_value_ci": m.e_value_ci,
        "time_to_reoffence": None if evaluation.time_to_reoffence is None else {
            k: getattr(evaluation.time_to_reoffence, k) for k in (
                "day", "treated", "comparison", "difference", "ci_low", "ci_high", "p_value", "logrank_p_value")},
    }
