"""Programme evaluation against matched comparison groups: METHODS.md "Programme evaluation"
(revised December 2026).

Two layers. The matching engine (:func:`matched_comparison`) works on any table of people: a logistic
propensity model on the characteristics known before treatment; M-nearest-neighbour matching with
replacement within a caliper of 0.2 pooled standard deviations of the logit, every comparison person
tied at the M-th distance sharing the match (no random tie-break: the same data always give the same
answer); the fixed sequence of designs (1, 3, 5 neighbours on the logit; the same within tier, with
the pool cut to the tiers that have treated people before the model is fitted; the same by
Mahalanobis distance inside the caliper), the first with every |SMD| below 0.10 used, chosen before
the outcome is looked at; the matched difference with the Abadie-Imbens variance (conditional
variance from matching within the comparison group), the bias-adjusted difference beside it, and
E-values. Sorted searches and a k-d tree, no loop per person, so national pools match in seconds.
The programme layer (:func:`evaluate_programme`) builds the treated group and the comparison pool of
ISSP, restorative justice (and any other programme code of the interventions table), referral orders
and YISP exactly as METHODS.md defines them and estimates every outcome on the same match, with the
time to the first reoffence (difference at 365 days, weighted log-rank test). Holm-adjusted p-values
across programmes: :func:`primary_tests`. docs/evaluation.md gives the choices and the simulation
study behind them.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl

from yot._lazy import lazy_module
from yot.cohort import MEMBER_COLUMNS, check_period, default_extract_date, is_complete, reoffending
from yot.contract import CUSTODY_OUTCOMES
from yot.contract import PROGRAMMES as CONTRACT_PROGRAMMES
from yot.dates import add_months_expr, age_at
from yot.extract import Extract
from yot.stats import proportion_difference

sps = lazy_module("scipy.stats")  # imported on first use

PROGRAMMES: tuple[str, ...] = ("ISSP", "referral_order", "restorative_justice", "YISP")
"""The programmes evaluated by default (any interventions programme code may also be evaluated)."""
INTERVENTION_PROGRAMMES: tuple[str, ...] = ("ISSP", "restorative_justice")
START_WINDOW_DAYS = 90
"""Treated: the programme starts 0 to 90 days after the index date (both ends included)."""
LOOKBACK_DAYS = 365
"""Neither group: a start in the 365 days before the index date."""
SURVIVAL_DAY = 365
"""Time to first reoffence: the share not reoffended by this day is compared."""
OUTCOME_COLUMNS: tuple[str, ...] = (
    "treated", "comparison", "difference", "ci_low", "ci_high", "p_value", "naive_treated", "naive_comparison",
    "naive_difference", "adjusted_difference", "adjusted_ci_low", "adjusted_ci_high", "adjusted_p_value",
)
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
NEWTON_ITERATIONS = 25
"""The maximum-likelihood propensity fit gets 25 Newton steps, as R's ``glm`` (``maxit = 25``): a
logistic fit that has not converged by then is drifting towards separation (on a national pool each
further step costs a pass over every person), and the ridge fit is used instead."""


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
    |SMD| after matching below 0.10; ``max_abs_smd``: the largest |SMD| after matching; ``pool``:
    the comparison people the design could use (after the pool is cut to the exact strata).
    """

    neighbours: int
    exact: tuple[str, ...] = ()
    distance: str = "logit"
    step: int = 0
    stage: int = 1
    balanced: bool = False
    max_abs_smd: float | None = None
    pool: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"neighbours": self.neighbours, "exact": list(self.exact), "distance": self.distance,
                "step": self.step, "stage": self.stage, "balanced": self.balanced,
                "max_abs_smd": self.max_abs_smd, "pool": self.pool}


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


@dataclass(frozen=True, eq=False)
class GroupMatch:
    """A match kept by groups of tied people: one entry per (query person, group of pool people).

    People of the pool who stand at the same place (the same logit, or the same point for the
    Mahalanobis distance, in the same stratum) are one group: a query person either takes all of a
    group at one share each or none of it, so the match is kept as ``query`` (frame row of the query
    person), ``group`` (the group's number), ``weight`` (the share of each person of the group) and
    ``distance``, with ``group_of`` giving, per frame row, its group (-1: in no group). On a national
    pool a tie can hold thousands of people; kept by group, every sum over the match is a sum over
    groups (the group's total of an outcome) and nothing is expanded to one row per person.
    ``exclude_self``: the query people are pool people themselves (matching within the comparison
    group) and each is left out of its own group. :meth:`pairs` expands it to one row per person.
    """

    query: np.ndarray
    group: np.ndarray
    weight: np.ndarray
    distance: np.ndarray
    group_of: np.ndarray
    exclude_self: bool = False

    @property
    def height(self) -> int:
        """Entries (query, group): 0 when nobody was matched."""
        return int(self.query.size)

    @property
    def n_groups(self) -> int:
        return int(self.group_of.max(initial=-1)) + 1

    def group_sizes(self) -> np.ndarray:
        """People in each group."""
        return np.bincount(self.group_of[self.group_of >= 0], minlength=self.n_groups)

    def own(self) -> np.ndarray:
        """Per entry: the query person is in the group (and left out of it)."""
        if not self.exclude_self:
            return np.zeros(self.height, bool)
        return self.group_of[self.query] == self.group

    def people(self) -> np.ndarray:
        """Per entry: how many people share it (the group, less the query person when excluded)."""
        return self.group_sizes()[self.group] - self.own()

    def group_sums(self, values: np.ndarray) -> np.ndarray:
        """Per group: the sum of ``values`` (one per frame row) over its people."""
        inside = self.group_of >= 0
        return np.bincount(self.group_of[inside], weights=values[inside].astype(float), minlength=self.n_groups)

    def matched_sums(self, values: np.ndarray) -> np.ndarray:
        """Per entry: the weighted sum of ``values`` over the people sharing it (weight times the
        group's total, less the query person's own value when excluded)."""
        v = values.astype(float)
        return self.weight * (self.group_sums(v)[self.group] - np.where(self.own(), v[self.query], 0.0))

    def group_totals(self) -> tuple[np.ndarray, np.ndarray]:
        """Per group: K, the sum of its shares over the query people (how many query people each
        of its people stands in for), and K', the sum of their squares."""
        k = np.bincount(self.group, weights=self.weight, minlength=self.n_groups)
        k2 = np.bincount(self.group, weights=self.weight**2, minlength=self.n_groups)
        return k, k2

    def used_rows(self) -> np.ndarray:
        """Frame rows of the pool people the match uses (each once, sorted)."""
        used = np.zeros(self.n_groups + 1, bool)
        used[self.group] = True
        return np.flatnonzero(used[self.group_of])  # group_of -1 looks at the spare last place

    def query_rows(self) -> np.ndarray:
        """Frame rows of the matched query people (each once, sorted)."""
        return np.unique(self.query)

    def pairs(self) -> pl.DataFrame:
        """One row per (query person, person of the pool sharing its match): ``treated_row``,
        ``comparison_row``, ``distance``, ``weight``, sorted by both rows (the query person left out
        of its own group)."""
        if self.height == 0:
            return pl.DataFrame(schema=PAIR_SCHEMA)
        q, person, d, w = _expand_groups(self.query, self.group, self.weight, self.distance, self.group_of)
        keep = person != q if self.exclude_self else np.ones(q.size, bool)
        return pl.DataFrame({"treated_row": q[keep].astype(np.int64), "comparison_row": person[keep].astype(np.int64),
                             "distance": d[keep].astype(float), "weight": w[keep].astype(float)},
                            schema=PAIR_SCHEMA).sort("treated_row", "comparison_row")

    @staticmethod
    def empty(n: int) -> "GroupMatch":
        return GroupMatch(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0),
                          np.full(n, -1, np.int64))

    @staticmethod
    def of_pairs(pairs: pl.DataFrame, n: int) -> "GroupMatch":
        """A person-level pairs frame (``treated_row``, ``comparison_row``, optional ``distance`` and
        ``weight``: 1 when absent) as a match with every comparison person a group of their own."""
        if pairs.height == 0:
            return GroupMatch.empty(n)
        cr = pairs.get_column("comparison_row").to_numpy()
        rows, group = np.unique(cr, return_inverse=True)
        group_of = np.full(max(n, int(rows.max()) + 1), -1, np.int64)
        group_of[rows] = np.arange(rows.size)
        w = pairs.get_column("weight").to_numpy() if "weight" in pairs.columns else np.ones(pairs.height)
        d = pairs.get_column("distance").to_numpy() if "distance" in pairs.columns else np.zeros(pairs.height)
        return GroupMatch(pairs.get_column("treated_row").to_numpy().astype(np.int64),
                          group.reshape(-1).astype(np.int64), w.astype(float), d.astype(float), group_of)


def _as_groups(match: "GroupMatch | pl.DataFrame", n: int) -> GroupMatch:
    return match if isinstance(match, GroupMatch) else GroupMatch.of_pairs(match, n)


@dataclass(frozen=True)
class MatchedComparison:
    """The result of a matched comparison (see :func:`matched_comparison`).

    ``grouped``: the match, kept by groups of tied comparison people (:class:`GroupMatch`);
    ``pairs`` expands it to one row per (matched treated person, comparison person matched to them):
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
    grouped: GroupMatch = field(repr=False)
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
    within_neighbours: GroupMatch | None = field(default=None, repr=False)
    covariate_matrix: np.ndarray | None = field(default=None, repr=False)
    treated_mask: np.ndarray | None = field(default=None, repr=False)

    @cached_property
    def pairs(self) -> pl.DataFrame:
        """The match with one row per (matched treated person, comparison person): see above. On a
        national pool with large ties this is big: the estimates never need it."""
        return self.grouped.pairs()

    @property
    def matched_treated_rows(self) -> np.ndarray:
        """Row positions of the matched treated people (each once, sorted)."""
        return self.grouped.query_rows()

    @property
    def matched_comparison_rows(self) -> np.ndarray:
        """Row positions of the comparison people used (each once, sorted); their weights are
        ``weights[rows]``."""
        return self.grouped.used_rows()

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


@dataclass(frozen=True, eq=False)
class BalanceBase:
    """What every balance table of one frame shares, worked out once however many designs are tried:
    the encoded values, the pooled SD of the unmatched groups and the SMDs before matching."""

    columns: tuple[str, ...]
    values: np.ndarray
    sd: np.ndarray
    before: np.ndarray

    @staticmethod
    def of(x: pl.DataFrame, treated: np.ndarray) -> "BalanceBase":
        v = x.to_numpy().astype(float) if x.width else np.zeros((treated.size, 0))
        vt, vc = v[treated], v[~treated]
        var_t = vt.var(axis=0, ddof=1) if vt.shape[0] > 1 else np.zeros(v.shape[1])
        var_c = vc.var(axis=0, ddof=1) if vc.shape[0] > 1 else np.zeros(v.shape[1])
        sd = np.sqrt((var_t + var_c) / 2)
        nothing = np.full(v.shape[1], np.nan)
        before = _smd(vt.mean(axis=0) - vc.mean(axis=0), sd) if vt.shape[0] and vc.shape[0] else nothing
        return BalanceBase(tuple(x.columns), v, sd, before)


def _smd(diff: np.ndarray, sd: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = diff / sd
    return np.where(sd > 0, out, np.where(np.abs(diff) < 1e-12, 0.0, np.nan))


def balance_table(x: pl.DataFrame, treated: np.ndarray, weights: np.ndarray, base: BalanceBase | None = None
                  ) -> pl.DataFrame:
    """SMD of every encoded covariate before matching and after (matched treated vs comparison
    people weighted by their match weights), both over the pooled SD of the unmatched groups
    (:func:`pooled_sd`, :func:`standardised_mean_difference`), worked out for all columns at once.
    A covariate whose pooled SD is 0 has SMD 0 when the means agree and none (null) when they do
    not (the design sequence counts that as unbalanced). ``base``: :meth:`BalanceBase.of` the same
    ``x`` and ``treated``, when several matches of one frame are looked at."""
    schema = {"covariate": pl.String, "smd_before": pl.Float64, "smd_after": pl.Float64}
    if x.width == 0:
        return pl.DataFrame(schema=schema)
    b = base if base is not None else BalanceBase.of(x, treated)
    v = b.values
    matched_t = treated & (weights > 0)
    matched_c = ~treated & (weights > 0)
    if matched_t.any() and matched_c.any():
        after = _smd(v[matched_t].mean(axis=0) - np.average(v[matched_c], axis=0, weights=weights[matched_c]), b.sd)
    else:
        after = np.full(v.shape[1], np.nan)
    return pl.DataFrame({"covariate": list(b.columns), "smd_before": b.before, "smd_after": after},
                        schema=schema).fill_nan(None)


def _worst_after(balance: pl.DataFrame) -> float:
    """The largest |SMD| after matching for choosing a design: a missing SMD (no finite value) counts
    as infinitely unbalanced; no covariates at all as perfectly balanced."""
    if balance.height == 0:
        return 0.0
    after = balance.get_column("smd_after")
    if after.null_count():
        return math.inf
    return float(after.abs().max())  # type: ignore[arg-type]


def _independent_columns(x: np.ndarray) -> list[int]:
    """Columns kept for the model: non-constant and not a linear combination of the earlier ones
    (with the constant), so the fit is never singular. Gram-Schmidt in column order (twice, for
    accuracy): a column is kept when what is left of it after projecting out the constant and the
    columns kept so far is more than 1e-8 of its length."""
    n = x.shape[0]
    if n == 0:
        return []
    space = np.empty((n, x.shape[1] + 1), order="F")  # the basis grows in place, its columns contiguous
    space[:, 0] = 1 / math.sqrt(n)
    keep: list[int] = []
    for j in range(x.shape[1]):
        v = x[:, j].astype(float)
        if np.ptp(v) == 0:
            continue
        basis = space[:, :len(keep) + 1]
        r = v - basis @ (basis.T @ v)
        r = r - basis @ (basis.T @ r)
        size = float(np.linalg.norm(r))
        if size > 1e-8 * float(np.linalg.norm(v)):
            keep.append(j)
            space[:, len(keep)] = r / size
    return keep


def propensity_logit(x: pl.DataFrame | np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, str]:
    """The logit of each person's propensity score from a logistic model of treatment.

    Columns are standardised and reduced to a linearly independent set first. A maximum-likelihood
    fit (statsmodels ``Logit``) is used when it converges within :data:`NEWTON_ITERATIONS` Newton
    steps to finite, plausible coefficients; under separation or non-convergence the fit falls back
    to a lightly ridge-penalised logistic regression (``GLM.fit_regularized``, alpha 0.01, intercept
    unpenalised). Returns the logits and which fit was used (``"mle"`` or ``"ridge"``).
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    n = treated.size
    y = treated.astype(float)
    raw = x.to_numpy().astype(float) if isinstance(x, pl.DataFrame) else np.asarray(x, dtype=float)
    raw = raw if raw.ndim == 2 else raw.reshape(n, 1)
    if raw.shape[1] == 0:
        p = y.mean()
        return np.full(n, math.log(p / (1 - p)) if 0 < p < 1 else 0.0), "constant"
    sd = raw.std(axis=0)
    z = (raw - raw.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    keep = _independent_columns(z)
    design = np.column_stack([np.ones(n), z[:, keep]])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("error", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            fit = sm.Logit(y, design, check_rank=False).fit(disp=0, maxiter=NEWTON_ITERATIONS)  # columns independent
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


TIE_DECIMALS = 9
"""Distances (and logits) equal to 9 decimals are ties: floating-point noise never splits a tie."""
PAIR_SCHEMA = {"treated_row": pl.Int64, "comparison_row": pl.Int64, "distance": pl.Float64, "weight": pl.Float64}


def tie_shared_weights(distance: np.ndarray, counts: np.ndarray, neighbours: int) -> np.ndarray:
    """The weight of each person at each candidate when each row (a treated person) takes its
    ``neighbours`` (M) nearest people, ties sharing.

    ``distance``: rows x candidates, ``inf`` where a candidate is not allowed (outside the caliper,
    another stratum, padding); ``counts``: how many people stand at each candidate (people with the
    same distance, e.g. the same logit). With r the distance of the M-th nearest person, everyone
    nearer than r gets 1/M and the people at exactly r share the places left equally; with fewer
    than M allowed people, each of them gets 1 / (their number). A row's weights times its counts
    add up to 1 (0 with no allowed candidate). Returns the weight per person, same shape.
    """
    n, m = distance.shape
    if n == 0 or m == 0:
        return np.zeros((n, m))
    d = np.where(np.isfinite(distance), np.round(distance, TIE_DECIMALS), np.inf)
    c = np.where(np.isfinite(d), counts, 0).astype(float)
    total = c.sum(axis=1)
    kk = np.minimum(float(neighbours), total)
    order = np.argsort(d, axis=1, kind="stable")
    ds = np.take_along_axis(d, order, axis=1)
    cum = np.cumsum(np.take_along_axis(c, order, axis=1), axis=1)
    pos = np.minimum((cum < kk[:, None]).sum(axis=1), m - 1)
    r = ds[np.arange(n), pos][:, None]
    below = np.isfinite(d) & (d < r)
    at = np.isfinite(d) & (d == r)
    n_below = (c * below).sum(axis=1)
    n_at = (c * at).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(below, 1 / kk[:, None], 0.0) + np.where(at, ((kk - n_below) / (n_at * kk))[:, None], 0.0)
    w[total == 0] = 0.0
    return np.where(c > 0, w, 0.0)


def _groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """People grouped by equal value: the distinct values (sorted), where each group starts in
    ``order``, its size, and ``order`` (positions sorted by value)."""
    order = np.argsort(values, kind="stable")
    uniq, start, count = np.unique(values[order], return_index=True, return_counts=True)
    return uniq, start, count, order


def _expand(query: np.ndarray, group: np.ndarray, weight: np.ndarray, distance: np.ndarray,
            start: np.ndarray, count: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, ...]:
    """(query, group) matches -> one row per (query, person of the group), vectorised."""
    sizes = count[group]
    total = int(sizes.sum())
    first = np.repeat(np.cumsum(sizes) - sizes, sizes)
    within = np.arange(total) - first
    person = order[np.repeat(start[group], sizes) + within]
    return (np.repeat(query, sizes), person, np.repeat(distance, sizes), np.repeat(weight, sizes))


def _group_of(start: np.ndarray, count: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Each pool position's group number, from the grouping (:func:`_groups`)."""
    group = np.empty(order.size, np.int64)
    group[order] = np.repeat(np.arange(count.size), count)
    return group


def score_groups(query: np.ndarray, pool: np.ndarray, neighbours: int, width: float = math.inf,
                 self_rows: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Each query value's ``neighbours`` nearest pool values within ``width`` (ties share: see
    :func:`tie_shared_weights`), by a sorted search: no loop per person, and kept by group.

    Pool people with equal values are one group; the M nearest people lie within M distinct values
    either side of the query's place in the sorted values, so only those 2M + 1 groups are looked at.
    ``self_rows``: when the queries are pool people themselves (matching within a group), their
    positions in ``pool``: each is left out of its own match (its group counts one person fewer).
    Returns ``(query index, group, distance, weight of each person of the group, group of each pool
    position)``, one entry per (query, group) matched.
    """
    if query.size == 0 or pool.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(pool.size, np.int64)
    uniq, start, count, order = _groups(pool)
    pos = np.searchsorted(uniq, query)
    offsets = np.arange(-neighbours, neighbours + 1)
    cand = pos[:, None] + offsets[None, :]
    valid = (cand >= 0) & (cand < uniq.size)
    cand = np.clip(cand, 0, uniq.size - 1)
    dist = np.abs(uniq[cand] - query[:, None])
    counts = count[cand].astype(float)
    if self_rows is not None:
        own = np.searchsorted(uniq, pool[self_rows])
        counts = counts - ((cand == own[:, None]) & valid)
    allowed = valid & (counts > 0) & (dist <= width + 1e-12)  # clipped (repeated) columns are not valid
    w = tie_shared_weights(np.where(allowed, dist, np.inf), counts, neighbours)
    qi, ci = np.nonzero(w > 0)
    return qi, cand[qi, ci], dist[qi, ci], w[qi, ci], _group_of(start, count, order)


def _expand_groups(query: np.ndarray, group: np.ndarray, weight: np.ndarray, distance: np.ndarray,
                   group_of: np.ndarray) -> tuple[np.ndarray, ...]:
    """(query, group) matches -> one row per (query, person of the group), with ``group_of`` giving
    each position's group (-1: none): :func:`_expand` on the grouping it describes."""
    inside = np.flatnonzero(group_of >= 0)
    order = inside[np.argsort(group_of[inside], kind="stable")]
    count = np.bincount(group_of[inside], minlength=int(group_of.max(initial=-1)) + 1)
    return _expand(query, group, weight, distance, np.r_[0, np.cumsum(count)[:-1]], count, order)


def match_on_score(query: np.ndarray, pool: np.ndarray, neighbours: int, width: float = math.inf,
                   self_rows: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """:func:`score_groups` with one entry per matched person: ``(query index, pool index, distance,
    weight)`` arrays (the query left out of its own match when ``self_rows`` is given)."""
    qi, group, dist, w, group_of = score_groups(query, pool, neighbours, width, self_rows)
    if qi.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    q, person, d, weight = _expand_groups(qi, group, w, dist, group_of)
    if self_rows is not None:
        keep = person != self_rows[q]
        q, person, d, weight = q[keep], person[keep], d[keep], weight[keep]
    return q, person, d, weight


def whiten(x: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Coordinates in which Euclidean distance is the Mahalanobis distance on ``x`` with the pooled
    covariance (mean of the two groups' sample covariances), through its pseudo-inverse (eigenvalues
    below 1e-10 of the largest dropped, so collinear dummies do no harm)."""
    if x.shape[1] == 0:
        return np.zeros((x.shape[0], 1))

    def cov(rows: np.ndarray) -> np.ndarray:
        return np.atleast_2d(np.cov(rows, rowvar=False, ddof=1)) if rows.shape[0] > 1 else np.zeros((x.shape[1],) * 2)

    s = (cov(x[treated]) + cov(x[~treated])) / 2
    vals, vecs = np.linalg.eigh(s)
    keep = vals > 1e-10 * max(float(vals.max(initial=0.0)), 1e-300)
    if not keep.any():
        return np.zeros((x.shape[0], 1))
    return x @ (vecs[:, keep] / np.sqrt(vals[keep]))


def match_mahalanobis(zq: np.ndarray, lq: np.ndarray, zp: np.ndarray, lp: np.ndarray, neighbours: int,
                      width: float) -> tuple[np.ndarray, ...]:
    """:func:`mahalanobis_groups` with one entry per matched person: ``(query index, pool index,
    distance, weight)``."""
    qi, group, dist, w, group_of = mahalanobis_groups(zq, lq, zp, lp, neighbours, width)
    if qi.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    return _expand_groups(qi, group, w, dist, group_of)


BAND_POINTS = 4096
"""Mahalanobis matching: a treated person with at most this many comparison points inside their logit
caliper is matched by measuring the distance to every one of them (a sorted band, in blocks); one with
more asks the k-d tree."""
_BLOCK_CELLS = 1 << 21
"""Distances worked out at once in the band search (queries x points x characteristics): 16 MB."""


def mahalanobis_groups(zq: np.ndarray, lq: np.ndarray, zp: np.ndarray, lp: np.ndarray, neighbours: int,
                       width: float) -> tuple[np.ndarray, ...]:
    """Each query's ``neighbours`` nearest pool people by Mahalanobis distance (Euclidean on the
    whitened ``z``) among those whose logit ``l`` is within ``width`` of the query's (ties share).

    Pool people with the same coordinates and logit are one point (with a count). Sorted by logit,
    the points inside a query's caliper are one band: a query whose band holds at most
    :data:`BAND_POINTS` points gets the distance to each of them (queries in blocks, sorted by
    logit, so neighbouring queries share their bands); the others ask a k-d tree
    (``scipy.spatial.cKDTree``) for their nearest points, keep those inside the caliper, and are
    settled once they have every pool person inside the caliper, or M of them and a further point
    strictly beyond the M-th distance (so no tie is cut off), asking again for four times as many
    points until then. Either way every point inside the caliper is looked at or ruled out, so the
    answer is the same. Returns ``(query index, point, distance, weight of each person at the point,
    point of each pool position)``, one entry per (query, point) matched, sorted by query and point.
    """
    if zq.shape[0] == 0 or zp.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(zp.shape[0], np.int64)
    key = np.column_stack([np.round(zp, TIE_DECIMALS), lp])
    _, inverse, count = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    order = np.argsort(inverse, kind="stable")
    start = np.r_[0, np.cumsum(count)[:-1]]
    uz, ul = zp[order[start]], lp[order[start]]  # each point's exact coordinates (its first person's)
    reach = width + 1e-12
    by_logit = np.argsort(ul, kind="stable")
    sorted_ul = ul[by_logit]
    lo = np.searchsorted(sorted_ul, lq - reach, "left")
    hi = np.searchsorted(sorted_ul, lq + reach, "right")
    small = hi - lo <= BAND_POINTS
    out = _band_search(zq, lq, uz, ul, count, by_logit, lo, hi, np.flatnonzero(small), neighbours, reach)
    if (~small).any():
        out += _tree_search(zq, lq, uz, ul, count, lp, np.flatnonzero(~small), neighbours, reach)
    if not out:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), inverse
    q, point, dist, w = (np.concatenate(parts) for parts in zip(*out, strict=True))
    by = np.lexsort((point, q))
    return q[by], point[by], dist[by], w[by], inverse


def _band_search(zq: np.ndarray, lq: np.ndarray, uz: np.ndarray, ul: np.ndarray, count: np.ndarray,
                 by_logit: np.ndarray, lo: np.ndarray, hi: np.ndarray, queries: np.ndarray, neighbours: int,
                 reach: float) -> list[tuple[np.ndarray, ...]]:
    """:func:`mahalanobis_groups` for ``queries`` with small bands: each block of queries (sorted by
    the start of their band) against the points of the union of their bands, the points outside a
    query's own caliper ruled out."""
    out: list[tuple[np.ndarray, ...]] = []
    queries = queries[np.argsort(lo[queries], kind="stable")]
    dims = max(uz.shape[1], 1)
    i = 0
    while i < queries.size:
        size = min(queries.size - i, 64)
        while True:  # the largest block (at most 64 queries) whose distances fit in _BLOCK_CELLS
            block = queries[i:i + size]
            first, last = int(lo[block].min()), int(hi[block].max())
            if size == 1 or size * (last - first) * dims <= _BLOCK_CELLS:
                break
            size //= 2
        i += size
        if last <= first:
            continue  # nobody inside any of these calipers
        cand = by_logit[first:last]
        diff = zq[block][:, None, :] - uz[cand][None, :, :]
        dist = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        in_cal = np.abs(ul[cand][None, :] - lq[block][:, None]) <= reach
        masked = np.where(in_cal, dist, np.inf)
        w = tie_shared_weights(masked, np.where(in_cal, count[cand][None, :], 0), neighbours)
        qi, ci = np.nonzero(w > 0)
        out.append((block[qi], cand[ci], masked[qi, ci], w[qi, ci]))
    return out


def _tree_search(zq: np.ndarray, lq: np.ndarray, uz: np.ndarray, ul: np.ndarray, count: np.ndarray,
                 lp: np.ndarray, queries: np.ndarray, neighbours: int, reach: float) -> list[tuple[np.ndarray, ...]]:
    """:func:`mahalanobis_groups` for ``queries`` with wide bands, through a k-d tree of the points."""
    from scipy.spatial import cKDTree

    tree = cKDTree(uz)
    sorted_l = np.sort(lp)
    inside = np.searchsorted(sorted_l, lq + reach, "right") - np.searchsorted(sorted_l, lq - reach, "left")
    n_points = uz.shape[0]
    k = min(n_points, max(4 * neighbours, 16))
    todo = queries
    out: list[tuple[np.ndarray, ...]] = []
    while todo.size:
        dist, idx = tree.query(zq[todo], k=k, workers=-1)
        dist, idx = dist.reshape(todo.size, k), idx.reshape(todo.size, k)
        ok = idx < n_points
        idx = np.minimum(idx, n_points - 1)
        in_cal = ok & (np.abs(ul[idx] - lq[todo, None]) <= reach)
        c = np.where(in_cal, count[idx], 0)
        found = c.sum(axis=1)
        kk = np.minimum(neighbours, found)
        pos = np.minimum((np.cumsum(c, axis=1) < kk[:, None]).sum(axis=1), k - 1)
        masked = np.where(in_cal, dist, np.inf)
        r = np.round(masked[np.arange(todo.size), pos], TIE_DECIMALS)
        last = np.round(np.where(ok[:, -1], dist[:, -1], np.inf), TIE_DECIMALS)
        done = (found >= inside[todo]) | (k >= n_points) | ((found >= neighbours) & (last > r))
        if done.any():
            w = tie_shared_weights(masked[done], c[done], neighbours)
            qi, ci = np.nonzero(w > 0)
            rows = todo[done]
            out.append((rows[qi], idx[done][qi, ci], masked[done][qi, ci], w[qi, ci]))
        todo = todo[~done]
        k = min(n_points, 4 * k)
    return out


def nearest_neighbour_match(
    logit: np.ndarray, treated: np.ndarray, width: float, neighbours: int = 1, strata: np.ndarray | None = None
) -> pl.DataFrame:
    """M-nearest-neighbour matching on the logit, with replacement, within ``width`` (and within
    the same value of ``strata`` when given). Every comparison person tied at the M-th nearest
    distance shares the match (:func:`tie_shared_weights`): no random tie-break. A treated person
    with nobody within ``width`` is left unmatched. Returns ``treated_row``, ``comparison_row``,
    ``distance``, ``weight`` (matched people only), sorted by treated then comparison row."""
    logit = np.round(np.asarray(logit, float), 10)
    return _match_by_stratum(treated, strata, lambda t, c: score_groups(logit[t], logit[c], neighbours, width)).pairs()


def _stacked(n: int, strata: Any, exclude_self: bool = False) -> GroupMatch:
    """One :class:`GroupMatch` over ``n`` frame rows from the matches of several strata, each given as
    ``(query rows, pool rows, (query index, group, distance, weight, group of each pool position))``
    (:func:`score_groups` or :func:`mahalanobis_groups` on the stratum): groups numbered across them."""
    group_of = np.full(n, -1, np.int64)
    parts: list[tuple[np.ndarray, ...]] = []
    offset = 0
    for query_rows, pool_rows, (q, g, d, w, of) in strata:
        group_of[pool_rows] = of + offset
        parts.append((query_rows[q].astype(np.int64), g.astype(np.int64) + offset, d.astype(float), w.astype(float)))
        offset += int(of.max(initial=-1)) + 1
    if not parts:
        return replace(GroupMatch.empty(n), exclude_self=exclude_self)
    query, group, dist, weight = (np.concatenate(a) for a in zip(*parts, strict=True))
    return GroupMatch(query, group, weight, dist, group_of, exclude_self=exclude_self)


def _match_by_stratum(treated: np.ndarray, strata: np.ndarray | None, match: Any) -> GroupMatch:
    """Run ``match(treated rows, comparison rows)`` in each stratum (one stratum when None), stacked
    as one :class:`GroupMatch` over the frame's rows (:func:`_stacked`)."""
    keys = np.zeros(treated.size, np.int64) if strata is None else strata

    def each() -> Any:
        for key in np.unique(keys[treated]):
            t_rows = np.flatnonzero(treated & (keys == key))
            c_rows = np.flatnonzero(~treated & (keys == key))
            yield t_rows, c_rows, match(t_rows, c_rows)

    return _stacked(treated.size, each())


def match_weights(pairs: "GroupMatch | pl.DataFrame", n: int) -> np.ndarray:
    """Each row's weight in the match (see ``MatchedComparison.weights``): 1 for a matched treated
    person, the sum of its shares for a comparison person, 0 otherwise."""
    g = _as_groups(pairs, n)
    w = np.zeros(n)
    if g.height == 0:
        return w
    w[g.query_rows()] = 1.0
    k, _ = g.group_totals()
    inside = np.flatnonzero(g.group_of[:n] >= 0)
    w[inside] += k[g.group_of[inside]]
    return w


def within_group_neighbours(score: np.ndarray, rows: np.ndarray, pool: np.ndarray, neighbours: int,
                            strata: np.ndarray | None = None) -> GroupMatch:
    """For each comparison person in ``rows`` (those used in the match), their ``neighbours`` (J)
    nearest *other* comparison people of ``pool`` on ``score`` (in the same stratum), ties sharing:
    the matching within the group from which Abadie and Imbens (2006) estimate the conditional
    variance of the outcome. Kept by groups of people with the same score (:class:`GroupMatch`,
    each person left out of their own group; ``.pairs()`` gives ``treated_row`` (the person),
    ``comparison_row`` (a neighbour) and ``weight``)."""
    keys = np.zeros(score.size, np.int64) if strata is None else strata

    def each() -> Any:
        for key in np.unique(keys[rows]):
            members = pool[keys[pool] == key]
            self_rows = np.flatnonzero(np.isin(members, rows))
            yield members[self_rows], members, score_groups(score[members][self_rows], score[members], neighbours,
                                                            math.inf, self_rows=self_rows)

    return _stacked(score.size, each(), exclude_self=True)


def conditional_variance(outcome: np.ndarray, neighbours: GroupMatch) -> np.ndarray:
    """Abadie-Imbens (2006) estimate of the conditional variance of the outcome of each comparison
    person: (Y_j - sum_l w_l Y_l)^2 / (1 + sum_l w_l^2) over their within-group neighbours l
    (:func:`within_group_neighbours`; with J equal weights this is J / (J + 1) (Y_j - mean)^2),
    summed by group. NaN for rows with no neighbour."""
    y = outcome.astype(float)
    out = np.full(y.size, np.nan)
    if neighbours.height == 0:
        return out
    r = neighbours.query
    fitted = np.bincount(r, weights=neighbours.matched_sums(y), minlength=y.size)
    sum_w2 = np.bincount(r, weights=neighbours.weight**2 * neighbours.people(), minlength=y.size)
    has = np.bincount(r, minlength=y.size) > 0
    out[has] = (y[has] - fitted[has]) ** 2 / (1 + sum_w2[has])
    return out


def matched_effect(
    outcome: np.ndarray, pairs: "GroupMatch | pl.DataFrame", sigma2: np.ndarray | None = None,
    adjustment: np.ndarray | None = None,
) -> Effect:
    """The average effect on the matched treated: the mean over matched treated people i of
    d_i = Y_i - sum_j w_ij Y_j (their comparison people weighted by their shares).

    Variance after Abadie and Imbens (2006), counting the reuse of comparison people:
    sum_i (d_i - mean d)^2 / (N (N - 1)) + sum_j (K_j^2 - K'_j) sigma2_j / N^2, where
    K_j = sum_i w_ij (how many treated people comparison person j stands in for),
    K'_j = sum_i w_ij^2 and sigma2_j the conditional variance of j's outcome
    (:func:`conditional_variance`; missing values, or all of them when ``sigma2`` is None, take the
    sample variance of the outcome among the comparison people used). Without reuse (every K = 1 and
    one match each) this is the paired-difference variance. The 95% interval and two-sided p-value use
    Student's t with N - 1 degrees of freedom (:func:`paired_interval`).

    ``adjustment``: predictions mu(X) of the comparison outcome from the characteristics (per row of
    the frame); each pair is then corrected by mu(X_i) - sum_j w_ij mu(X_j): the bias-adjusted
    difference (Abadie and Imbens 2011).
    """
    y = outcome.astype(float)
    g = _as_groups(pairs, y.size)
    if g.height == 0:
        return Effect(None, None, None, None, None, None)
    t_rows, t_idx = np.unique(g.query, return_inverse=True)
    t_idx = t_idx.reshape(-1)
    c_rows = g.used_rows()
    n = t_rows.size
    yt = y[t_rows]
    yc = np.bincount(t_idx, weights=g.matched_sums(y), minlength=n)
    d = yt - yc
    if adjustment is not None:
        mu = adjustment.astype(float)
        d = d - (mu[t_rows] - np.bincount(t_idx, weights=g.matched_sums(mu), minlength=n))
    tau = float(d.mean())
    var = float(np.var(d, ddof=1)) / n if n > 1 else 0.0
    k, k2 = g.group_totals()
    reuse = k**2 - k2  # the same for every person of a group
    if reuse.max(initial=0.0) > 1e-12:
        marginal = float(np.var(y[c_rows], ddof=1)) if c_rows.size > 1 else 0.0
        s2 = np.full(y.size, marginal) if sigma2 is None else np.where(np.isnan(sigma2), marginal, sigma2)
        var += float(np.sum(reuse * g.group_sums(np.where(g.group_of >= 0, s2, 0.0)))) / n**2
    binary = bool(np.isin(y[np.r_[t_rows, c_rows]], (0.0, 1.0)).all())
    low, high, p = paired_interval(tau, math.sqrt(max(var, 0.0)), yt, yc, binary=binary)
    return Effect(tau, low, high, p, float(yt.mean()), float(yc.mean()))


def outcome_model(x: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Predicted outcome for every row from a linear model of the outcome on the characteristics
    ``x`` fitted by weighted least squares on the rows with weight > 0 (the matched comparison people,
    weighted by their use); minimum-norm least squares, so collinear dummies do no harm."""
    fit_rows = weights > 0
    design = np.column_stack([np.ones(x.shape[0]), x])
    if fit_rows.sum() == 0:
        return np.zeros(x.shape[0])
    root = np.sqrt(weights[fit_rows])[:, None]
    beta, *_ = np.linalg.lstsq(design[fit_rows] * root, outcome[fit_rows].astype(float) * root[:, 0], rcond=None)
    return design @ beta


def outcome_effects(match: "MatchedComparison", outcome: np.ndarray) -> tuple[Effect, Effect]:
    """The matched and the bias-adjusted effect of ``outcome`` (per row of the matched frame) on
    ``match``, with the conditional variance from the match's within-group neighbours."""
    if match.grouped.height == 0:
        none = Effect(None, None, None, None, None, None)
        return none, none
    y = outcome.astype(float)
    sigma2 = conditional_variance(y, match.within_neighbours) if match.within_neighbours is not None else None
    plain = matched_effect(y, match.grouped, sigma2)
    if match.covariate_matrix is None:
        return plain, Effect(None, None, None, None, None, None)
    c_weights = np.where(match.treated_mask, 0.0, match.weights)
    adjusted = matched_effect(y, match.grouped, sigma2, outcome_model(match.covariate_matrix, y, c_weights))
    return plain, adjusted


def paired_interval(
    estimate: float, se: float, first: np.ndarray, second: np.ndarray, binary: bool | None = None
) -> tuple[float | None, float | None, float | None]:
    """95% interval and two-sided p-value of ``estimate`` = mean(first) - mean(second) over n pairs.

    Student's t with n - 1 degrees of freedom on ``se``. For 0/1 outcomes (``binary``; by default:
    both arrays hold only 0 and 1) the interval is kept within [-1, 1]; where the pairs show no
    spread at all (``se`` 0: one pair, or every pair alike, e.g. nobody reoffended) a zero-width
    interval would claim certainty, so the Newcombe interval and score test of the two groups'
    counts (``second`` summed and rounded: comparison shares) are used instead. A numeric outcome with
    no spread has no interval (Nones).
    """
    n = first.size
    if binary is None:
        binary = bool(np.isin(first, (0.0, 1.0)).all() and np.isin(second, (0.0, 1.0)).all())
    if se > 1e-12:
        p: float | None = float(2 * sps.t.sf(abs(estimate) / se, max(n - 1, 1)))
        crit = critical_value(n)
        low: float | None = estimate - crit * se
        high: float | None = estimate + crit * se
    elif binary:
        _, low, high, p = proportion_difference(int(round(first.sum())), n, int(round(second.sum())), n)
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


NEIGHBOURS_SEQUENCE: tuple[int, ...] = (1, 3, 5)
MIN_VARIANCE_NEIGHBOURS = 2
"""Within-group neighbours for the conditional variance: the design's M, and at least 2."""


def design_sequence(exact: Sequence[str] = ()) -> list[Design]:
    """The fixed sequence of designs (METHODS.md): 1, 3, 5 neighbours on the logit (steps 1-3);
    the same with exact matching on ``exact`` (steps 4-6; left out when there is nothing to match
    exactly on); the same choosing by Mahalanobis distance inside the logit caliper, with the exact
    matching where it applies (steps 7-9)."""
    exact = tuple(exact)
    designs = []
    for stage, (cols, distance) in enumerate((((), "logit"), (exact, "logit"), (exact, "mahalanobis")), start=1):
        for i, k in enumerate(NEIGHBOURS_SEQUENCE):
            if stage == 2 and not exact:
                continue
            designs.append(Design(neighbours=k, exact=cols, distance=distance, step=3 * (stage - 1) + i + 1, stage=stage))
    return designs


def strata_codes(frame: pl.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """One integer code per row for the combination of values of ``columns`` (missing is a value)."""
    key = frame.select(pl.concat_str([pl.col(c).cast(pl.String).fill_null("\x00missing") for c in columns],
                                     separator="\x1f")).to_series()
    _, codes = np.unique(key.to_numpy().astype(str), return_inverse=True)
    return codes.reshape(-1).astype(np.int64)


@dataclass(frozen=True)
class _Context:
    """What the designs with one exact-matching choice share: who may be matched (the treated and
    the comparison people in strata with a treated person), the propensity fit and its caliper."""

    rows: np.ndarray
    logit: np.ndarray
    width: float
    model: str
    strata: np.ndarray | None


def _context(x: np.ndarray, treated: np.ndarray, strata: np.ndarray | None, caliper: float) -> _Context:
    if strata is None:
        rows = np.arange(treated.size)
    else:
        rows = np.flatnonzero(treated | np.isin(strata, np.unique(strata[treated])))
    logit_sub, model = propensity_logit(x if strata is None else x[rows], treated[rows])
    logit = np.full(treated.size, np.nan)
    logit[rows] = np.round(logit_sub, 10)
    return _Context(rows, logit, caliper_width(logit_sub, treated[rows], caliper), model, strata)


def _design_match(ctx: _Context, design: Design, x_np: np.ndarray, treated: np.ndarray) -> GroupMatch:
    rows = ctx.rows
    t_sub, l_sub = treated[rows], ctx.logit[rows]
    s_sub = None if ctx.strata is None else ctx.strata[rows]
    if design.distance == "mahalanobis":
        z = whiten(x_np[rows], t_sub)
        sub = _match_by_stratum(t_sub, s_sub, lambda t, c: mahalanobis_groups(
            z[t], l_sub[t], z[c], l_sub[c], design.neighbours, ctx.width))
    else:  # ctx.logit is already rounded to 10 decimals (_context)
        sub = _match_by_stratum(t_sub, s_sub, lambda t, c: score_groups(
            l_sub[t], l_sub[c], design.neighbours, ctx.width))
    group_of = np.full(treated.size, -1, np.int64)
    group_of[rows] = sub.group_of
    return GroupMatch(rows[sub.query].astype(np.int64), sub.group, sub.weight, sub.distance, group_of)


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
    :func:`encode_covariates`).

    ``neighbours="auto"`` runs the fixed sequence of designs (:func:`design_sequence`, with ``exact``
    as the exact-matching columns of steps 4-9) and uses the first in which every |SMD| after
    matching is below 0.10, else the one with the smallest largest |SMD| (``poor_balance``): chosen on
    the characteristics alone, before the outcome is looked at. An integer fixes the design: that many
    neighbours, exact matching on ``exact`` and ``distance`` (``"logit"`` or ``"mahalanobis"``).
    With exact matching, comparison people in strata with no treated person are left out before the
    propensity model (:func:`propensity_logit`) is fitted. Matching is with replacement within
    ``caliper`` pooled SDs of the logit; people tied at the M-th distance share the match, so the
    same data always give the same answer, whatever the row order.

    Returns the matched difference (:func:`matched_effect`, Abadie-Imbens variance with the
    conditional variance from matching within the comparison group), the bias-adjusted difference,
    the E-values of a 0/1 outcome, the naive difference, the balance table, the design and the match.
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
    exact_cols = tuple(exact or ())
    if neighbours == "auto":
        designs = design_sequence(exact_cols)
    else:
        if isinstance(neighbours, str) or int(neighbours) < 1:
            raise ValueError(f"neighbours must be 'auto' or a whole number of at least 1, not {neighbours!r}")
        if distance not in ("logit", "mahalanobis"):
            raise ValueError(f"distance must be 'logit' or 'mahalanobis', not {distance!r}")
        stage = 3 if distance == "mahalanobis" else 2 if exact_cols else 1
        designs = [Design(int(neighbours), exact_cols, distance, 0, stage)]
    x, dropped = encode_covariates(df, covariates)
    used = tuple(c for c in covariates if c not in dropped)
    n, n_t, n_c = df.height, int(treated.sum()), int((~treated).sum())
    mt, mc, naive = naive_difference(y, treated)
    if n_t == 0 or n_c == 0:
        w = np.zeros(n)
        return MatchedComparison(
            None, None, None, None, n_t, 0, 0, n_c, None, None, naive, mt, mc,
            balance_table(x, treated, w), GroupMatch.empty(n), w, np.full(n, np.nan), None, "none",
            used, dropped, design=designs[0], treated_mask=treated,
        )
    base = BalanceBase.of(x, treated)  # the encoded values, their pooled SDs and the SMDs before matching
    x_np = base.values
    strata = strata_codes(df, exact_cols) if exact_cols else None
    contexts: dict[tuple[str, ...], _Context] = {}
    tried: list[tuple[Design, _Context, GroupMatch, np.ndarray, pl.DataFrame, float]] = []
    for design in designs:
        if design.exact not in contexts:
            contexts[design.exact] = _context(x_np, treated, strata if design.exact else None, caliper)
        ctx = contexts[design.exact]
        pairs = _design_match(ctx, design, x_np, treated)
        w = match_weights(pairs, n)
        balance = balance_table(x, treated, w, base)
        worst = _worst_after(balance)
        tried.append((design, ctx, pairs, w, balance, worst))
        if worst < BALANCE_LIMIT:
            break
    best = next((t for t in tried if t[5] < BALANCE_LIMIT), None) or min(tried, key=lambda t: t[5])
    design, ctx, pairs, w, balance, worst = best
    design = replace(design, balanced=worst < BALANCE_LIMIT, max_abs_smd=worst if math.isfinite(worst) else None,
                     pool=int((~treated[ctx.rows]).sum()))
    designs_tried = pl.DataFrame(
        [{"step": d.step, "stage": d.stage, "neighbours": d.neighbours, "exact": ", ".join(d.exact),
          "distance": d.distance, "n_matched_treated": int(p.query_rows().size),
          "max_abs_smd": wst if math.isfinite(wst) else None, "balanced": wst < BALANCE_LIMIT,
          "used": d.step == design.step} for d, _, p, _, _, wst in tried],
        schema={"step": pl.Int64, "stage": pl.Int64, "neighbours": pl.Int64, "exact": pl.String, "distance": pl.String,
                "n_matched_treated": pl.Int64, "max_abs_smd": pl.Float64, "balanced": pl.Boolean, "used": pl.Boolean},
    )
    comparison_used = np.flatnonzero(~treated & (w > 0))
    pool_rows = ctx.rows[~treated[ctx.rows]]
    within = within_group_neighbours(ctx.logit, comparison_used, pool_rows,
                                     max(design.neighbours, MIN_VARIANCE_NEIGHBOURS), ctx.strata)
    result = MatchedComparison(
        effect=None, ci_low=None, ci_high=None, p_value=None, n_treated=n_t,
        n_matched_treated=int(pairs.query_rows().size),
        n_matched_comparison=int(comparison_used.size), n_comparison_pool=n_c, treated_mean=None,
        comparison_mean=None, naive_effect=naive, naive_treated_mean=mt, naive_comparison_mean=mc,
        balance=balance, grouped=pairs, weights=w, logit=ctx.logit, caliper_width=ctx.width, model=ctx.model,
        covariates_used=used, dropped_covariates=dropped, design=design, designs_tried=designs_tried,
        within_neighbours=within, covariate_matrix=x_np, treated_mask=treated,
    )
    plain, adjusted = outcome_effects(result, y)
    binary = bool(np.isin(y, (0.0, 1.0)).all())
    e, e_ci = e_values(plain.treated_mean, plain.comparison_mean, plain.ci_low, plain.ci_high) if binary else (None, None)
    return replace(
        result, effect=plain.estimate, ci_low=plain.ci_low, ci_high=plain.ci_high, p_value=plain.p_value,
        treated_mean=plain.treated_mean, comparison_mean=plain.comparison_mean,
        adjusted_effect=adjusted.estimate, adjusted_ci_low=adjusted.ci_low, adjusted_ci_high=adjusted.ci_high,
        adjusted_p_value=adjusted.p_value, e_value=e, e_value_ci=e_ci,
    )


# ============================================================================ programme definitions
def _interventions_of(extract: Extract, programme: str) -> pl.LazyFrame:
    return (
        extract.interventions.lazy()
        .filter(pl.col("programme") == programme)
        .select("person_id", "start_date")
    )


def intervention_members(
    extract: Extract, programme: str, start: dt.date, end: dt.date,
    follow_up_months: int = 12, waiting_months: int = 6,
) -> pl.DataFrame:
    """The cohort of ``start..end`` at each member's evaluation index event for an intervention
    programme (ISSP, restorative_justice or any other programme code of the interventions table),
    with ``treated``: True, False (comparison pool) or null (neither), and their reoffending.

    METHODS.md, decided at the end of the 90-day treatment window: a member's evaluation index event
    is the earliest index event in the period (aged 10 to 17 on it) that falls 0 to 90 days before a
    start of the programme (treated); for everyone else it is their earliest index event in the
    period (the cohort rule: earliest index date, then highest gravity, then smallest offence_id).
    Comparison pool: no start from 365 days before the index date to 90 days after it; a later
    start leaves them in the pool. Anyone with a start in the 365 days before their evaluation
    index date (days -365 to -1) is in neither group, treated or not. Adds ``reoffences``,
    ``reoffended``, ``days_to_first_reoffence`` as :func:`yot.cohort.reoffending` does.
    """
    from yot.cohort import age_band, index_events, reoffences

    check_period(start, end)
    people = extract.people.lazy().select("person_id", "date_of_birth", "sex", "ethnicity", "yot")
    events = (
        index_events(extract.offences)
        .filter(pl.col("index_date").is_between(start, end, closed="both"))
        .join(people, on="person_id", how="inner")
        .with_columns(age=age_at(pl.col("date_of_birth"), pl.col("index_date")))
        .filter(pl.col("age").is_between(10, 17))
    )
    starts = _interventions_of(extract, programme)
    days = (pl.col("start_date") - pl.col("index_date")).dt.total_days()
    anchored = (
        events.select("person_id", "offence_id", "index_date")
        .join(starts, on="person_id", how="inner")
        .filter(days.is_between(0, START_WINDOW_DAYS))
        .select("person_id", "offence_id").unique()
        .with_columns(_anchored=pl.lit(True))
    )
    members = (
        events.join(anchored, on=["person_id", "offence_id"], how="left")
        .with_columns(_anchored=pl.col("_anchored").fill_null(False))
        .sort(["person_id", "_anchored", "index_date", "gravity", "offence_id"],
              descending=[False, True, False, True, False])
        .unique(subset="person_id", keep="first", maintain_order=True)
        .with_columns(age_band=age_band(pl.col("age")))
    )
    before = (
        members.select("person_id", "index_date")
        .join(starts, on="person_id", how="inner")
        .filter(days.is_between(-LOOKBACK_DAYS, -1))
        .select("person_id").unique()
        .with_columns(_before=pl.lit(True))
    )
    members = (
        members.join(before, on="person_id", how="left")
        .with_columns(treated=pl.when(pl.col("_before").fill_null(False)).then(None)
                      .otherwise(pl.col("_anchored")))
        .select(*MEMBER_COLUMNS, "treated")
        .collect()
    )
    per_person = (
        reoffences(extract, members.lazy(), follow_up_months, waiting_months)
        .group_by("person_id")
        .agg(reoffences=pl.len().cast(pl.Int64), _first=pl.col("offence_date").min())
    )
    return (
        members.lazy().join(per_person, on="person_id", how="left")
        .with_columns(
            reoffences=pl.col("reoffences").fill_null(0),
            reoffended=pl.col("reoffences").fill_null(0) > 0,
            days_to_first_reoffence=(pl.col("_first") - pl.col("index_date")).dt.total_days(),
        )
        .drop("_first")
        .sort("person_id")
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
    ``programme`` (referral_order, or an intervention programme: :func:`intervention_members`), with
    covariates and outcomes, sorted by person_id (the result does not depend on the order)."""
    if programme == "referral_order":
        members = referral_order_treatment(reoffending(extract, start, end, follow_up_months, waiting_months))
    else:
        members = intervention_members(extract, programme, start, end, follow_up_months, waiting_months)
    members = members.filter(pl.col("treated").is_not_null())
    members = index_covariates(extract, members)
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
    if match.grouped.height:
        tr, cr = match.matched_treated_rows, match.matched_comparison_rows
        frames.append(kaplan_meier(t[tr], e[tr]).with_columns(group=pl.lit("treated (matched)")))
        frames.append(kaplan_meier(t[cr], e[cr], match.weights[cr]).with_columns(group=pl.lit("matched comparison")))
    if not frames:
        return pl.DataFrame(schema={"group": pl.String, "day": pl.Float64, "surviving": pl.Float64,
                                    "people": pl.Int64})
    return pl.concat(frames).select("group", "day", "surviving", "people")


def _event_table(time: np.ndarray, event: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, ...]:
    """At each distinct event time (ascending): the weighted number at risk and of events."""
    times = np.unique(time[event > 0])
    order = np.argsort(time, kind="stable")
    t_sorted, w_sorted = time[order], weights[order]
    tail = np.r_[np.cumsum(w_sorted[::-1])[::-1], 0.0]  # weight with time >= t_sorted[i]
    at_risk = tail[np.searchsorted(t_sorted, times, "left")]
    events = np.bincount(np.searchsorted(times, time[event > 0]), weights=weights[event > 0], minlength=times.size)
    return times, at_risk, events


def km_at(time: np.ndarray, event: np.ndarray, day: float, weights: np.ndarray | None = None) -> tuple[float, float]:
    """The Kaplan-Meier share without the event by ``day`` (events on or before it) and its Greenwood
    variance S^2 sum d / (n (n - d)), with weighted counts (``weights``: frequency weights)."""
    w = np.ones(time.size) if weights is None else weights.astype(float)
    times, n, d = _event_table(time.astype(float), event.astype(float), w)
    keep = times <= day
    n, d = n[keep], d[keep]
    s = float(np.prod(1 - d / n)) if n.size else 1.0
    if s <= 0:
        return 0.0, 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > d, d / (n * (n - d)), 0.0)
    return s, s**2 * float(terms.sum())


def weighted_logrank(time: np.ndarray, event: np.ndarray, group: np.ndarray, weights: np.ndarray | None = None,
                     robust: bool = True) -> tuple[float | None, float | None]:
    """The log-rank test of two groups (``group`` True/False) with case weights: U = sum over event
    times of (d1 - d n1 / n), weighted counts; chi-square (1 df) = U^2 / V and its p-value.

    ``robust`` (default): V = sum_i (w_i u_i)^2, u_i each person's score residual
    delta_i (g_i - gbar(T_i)) - (g_i Lambda(T_i) - C(T_i)) (Lambda the pooled Nelson-Aalen hazard,
    C its g-bar-weighted sum): the variance counts a comparison person used for several treated
    people once, with its weight (Lin and Wei 1989). Otherwise the usual hypergeometric variance
    sum d (n1/n) (1 - n1/n) (n - d) / (n - 1) on the weighted counts (equal to statsmodels'
    ``survdiff`` for unit weights). Nones when there is no event or one group is empty."""
    t, e, g = time.astype(float), event.astype(float) > 0, group.astype(bool)
    w = np.ones(t.size) if weights is None else weights.astype(float)
    if not e.any() or g.all() or not g.any():
        return None, None
    times, n, d = _event_table(t, e.astype(float), w)
    # the treated at risk / with events at every pooled event time
    t_g = np.sort(t[g])
    w_g = w[g][np.argsort(t[g], kind="stable")]
    tail_g = np.r_[np.cumsum(w_g[::-1])[::-1], 0.0]
    n1 = tail_g[np.searchsorted(t_g, times, "left")]
    d1 = np.bincount(np.searchsorted(times, t[g & e]), weights=w[g & e], minlength=times.size)
    gbar = n1 / n
    u = float(np.sum(d1 - d * gbar))
    if robust:
        hazard = d / n
        cum_h = np.cumsum(hazard)
        cum_c = np.cumsum(gbar * hazard)
        upto = np.searchsorted(times, t, "right") - 1  # last event time on or before T_i
        lam = np.where(upto >= 0, cum_h[np.maximum(upto, 0)], 0.0)
        cc = np.where(upto >= 0, cum_c[np.maximum(upto, 0)], 0.0)
        at_own = np.where(e, gbar[np.maximum(upto, 0)], 0.0)
        resid = np.where(e, g - at_own, 0.0) - (g * lam - cc)
        var = float(np.sum((w * resid) ** 2))
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            var = float(np.sum(np.where(n > 1, d * gbar * (1 - gbar) * (n - d) / (n - 1), 0.0)))
    if var <= 0:
        return None, None
    chisq = u**2 / var
    return float(chisq), float(sps.chi2.sf(chisq, 1))


def survival_difference(time: np.ndarray, event: np.ndarray, match: MatchedComparison, day: int = 365
                        ) -> SurvivalDifference:
    """Time to the first event on the match: the share of the matched treated and of the matched
    comparison (weighted by their match weights) without the event by ``day`` (Kaplan-Meier), the
    difference with a 95% normal interval and p-value, and the weighted log-rank p-value.

    Variance: Greenwood's for each group; the comparison group's, with weights that add up to the
    number of matched treated people, is multiplied by sum K^2 / sum K (the design effect of the
    reuse of comparison people: 1 when nobody is reused)."""
    if match.grouped.height == 0:
        return SurvivalDifference(day, None, None, None, None, None, None, None)
    t_rows, c_rows = match.matched_treated_rows, match.matched_comparison_rows
    k = match.weights[c_rows]
    t, e = time.astype(float), event.astype(float)
    s_t, v_t = km_at(t[t_rows], e[t_rows], day)
    s_c, v_c = km_at(t[c_rows], e[c_rows], day, k)
    v_c *= float(np.sum(k**2) / np.sum(k))
    diff = s_t - s_c
    se = math.sqrt(v_t + v_c)
    if se > 0:
        z = float(sps.norm.ppf(0.975))
        low, high = max(diff - z * se, -1.0), min(diff + z * se, 1.0)
        p: float | None = float(2 * sps.norm.sf(abs(diff) / se))
    else:
        low = high = p = None
    rows = np.r_[t_rows, c_rows]
    _, logrank_p = weighted_logrank(t[rows], e[rows], np.r_[np.ones(t_rows.size, bool), np.zeros(c_rows.size, bool)],
                                    np.r_[np.ones(t_rows.size), k])
    return SurvivalDifference(day, s_t, s_c, diff, low, high, p, logrank_p)


def _outcome_row(measure: str, y: np.ndarray, treated: np.ndarray, match: MatchedComparison) -> dict[str, Any]:
    plain, adjusted = outcome_effects(match, y)
    mt, mc, naive = naive_difference(y, treated)
    return {
        "measure": measure, "treated": plain.treated_mean, "comparison": plain.comparison_mean,
        "difference": plain.estimate, "ci_low": plain.ci_low, "ci_high": plain.ci_high, "p_value": plain.p_value,
        "naive_treated": mt, "naive_comparison": mc, "naive_difference": naive,
        "adjusted_difference": adjusted.estimate, "adjusted_ci_low": adjusted.ci_low,
        "adjusted_ci_high": adjusted.ci_high, "adjusted_p_value": adjusted.p_value,
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
    """Evaluate ``programme`` over ``start..end``: YISP, referral_order, or any intervention
    programme code of the interventions table (ISSP, restorative_justice, ETE, fire_setters,
    PPO_prevent_deter, ...: :func:`intervention_members`).

    Builds the treated group and comparison pool (METHODS.md definitions), matches on the
    characteristics known at the index (referral) date with the design sequence (exact matching on
    tier for the reoffending programmes; :func:`matched_comparison`), and estimates on the one match:
    one-year binary reoffending (YISP: first-time entry), and for the reoffending programmes also
    frequency and custody, each with the bias-adjusted difference beside it; time to the first event
    (Kaplan-Meier curves, the difference at 365 days, the weighted log-rank test); the naive
    comparison; the treated group's before/after. ``seed`` is accepted for old callers and has no
    effect (ties share the match). ``extract_date``: the day the figures are as at (default: the
    extract's, :func:`yot.cohort.default_extract_date`); ``complete`` says whether the follow-up and
    waiting period after ``end`` are over by then.
    """
    del seed  # no effect: tied comparison people share the match
    if programme != "referral_order" and programme not in CONTRACT_PROGRAMMES:
        raise ValueError(f"unknown programme {programme!r}; referral_order or one of {CONTRACT_PROGRAMMES}")
    check_period(start, end)
    notes: list[str] = []
    exact: tuple[str, ...] = ()
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
        exact = ("tier",)
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
    match = matched_comparison(pop, "treated", "_y", covariates, caliper=caliper, neighbours=neighbours, exact=exact)
    pop = pop.drop("_y")
    if match.dropped_covariates:
        notes.append("Left out as the same for everyone evaluated: " + ", ".join(match.dropped_covariates) + ".")
    if match.model == "ridge":
        notes.append("The propensity model needed a lightly penalised fit (separation or too few people).")
    treated = pop.get_column("treated").to_numpy().astype(bool)
    rows = [_outcome_row(m, pop.get_column(c).cast(pl.Float64).to_numpy(), treated, match) for m, c in measures]
    outcomes = pl.DataFrame(rows, schema={"measure": pl.String, **{c: pl.Float64 for c in OUTCOME_COLUMNS}})
    before_after = None if programme == "YISP" else before_after_change(pop, match.matched_treated_rows)
    day = SURVIVAL_DAY if follow_up_months >= 12 else int(follow_up_months * 365.25 / 12)
    time_to = survival_difference(pop.get_column("time_days").cast(pl.Float64).to_numpy(),
                                  pop.get_column("event").cast(pl.Float64).to_numpy(), match, day)
    as_at = extract_date if extract_date is not None else default_extract_date(extract)
    return ProgrammeEvaluation(
        programme=programme, start=start, end=end, follow_up_months=follow_up_months,
        waiting_months=waiting_months, outcome=outcome, match=match, outcomes=outcomes,
        before_after=before_after, survival=_survival(pop, match), population=pop, notes=tuple(notes),
        time_to_reoffence=time_to, extract_date=as_at,
        complete=is_complete(end, as_at, follow_up_months, waiting_months),
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
