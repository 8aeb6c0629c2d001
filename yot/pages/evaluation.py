"""The page of one programme evaluation (METHODS.md "Programme evaluation", revised December 2026).

The page opens with its answer in one sentence ("Does ISSP work? No evidence either way: ..."),
generated from the matched difference and its interval, then says who was compared, how alike the
groups are (balance), what happened to them (matched, bias-adjusted, naive, before and after), how
soon, how sensitive the answer is to what was not measured, and the caveats of this programme only.

The engine (:func:`yot.evaluate.evaluate_programme`) computes; this module reads its result once,
into :class:`Figures` (exact numbers, analyst side), and every table, chart and sentence of the page
is made from those figures with the page's disclosure threshold: counts from 1 to threshold - 1 are
``[c]`` in tables (declared :class:`~yot.disclosure.SuppressionSpec`) and never written in a sentence
(:func:`yot.pages.words.count_words`). ``Page.summary`` carries what the comparison page and the
index need, already disclosure-safe.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from pydantic import Field, field_validator

from yot.cohort import completion_date, is_complete
from yot.disclosure import SuppressionSpec, safe_curve
from yot.extract import Extract
from yot.labels import characteristic_label, label
from yot.pages.base import PageParams, as_at_date, is_synthetic, settings
from yot.pages.model import Chart, Column, Page, Section, Table, Text, format_value, table
from yot.pages.words import and_list, count_words

DEFAULT_PROGRAMMES: tuple[str, ...] = ("ISSP", "referral_order", "restorative_justice", "YISP")
"""The four programmes evaluated by default; any programme code of the interventions table can be named."""
MIN_TREATED = 60
"""Fewer treated people than this: the estimate is indicative only (METHODS.md)."""
BALANCE_LIMIT = 0.10
"""Balance is acceptable when every |SMD| after matching is below this."""
SURVIVAL_DAY = 365
FINDING_ORDER = 32
"""After the comparison page's finding (30), which speaks for every programme at once."""

# engine measure names (old and new) -> the page's outcome codes (yot.labels "outcome_measure")
_MEASURE_CODES = {
    "reoffended within a year": "reoffended", "reoffended": "reoffended",
    "reoffences per young person": "reoffences", "reoffences": "reoffences",
    "reoffence ending in custody": "custody_reoffence", "custody_reoffence": "custody_reoffence",
    "first-time entrant within a year": "first_time_entrant", "first_time_entrant": "first_time_entrant",
}
_BINARY = ("reoffended", "custody_reoffence", "first_time_entrant")


class Params(PageParams):
    """The parameters of one evaluation page (docs/notebooks.md). There is no random seed: matching
    shares ties, so the same data always give the same answer."""

    page = "evaluation"
    programme: str = Field("ISSP", min_length=1)
    start: dt.date = dt.date(2003, 1, 1)
    end: dt.date = dt.date(2007, 12, 31)
    follow_up_months: int = Field(12, ge=1, le=120)
    waiting_months: int = Field(6, ge=0, le=60)
    caliper: float = Field(0.2, gt=0, le=5)

    @field_validator("programme")
    @classmethod
    def _known_programme(cls, code: str) -> str:
        from yot.contract import PROGRAMMES

        allowed = set(PROGRAMMES) | set(DEFAULT_PROGRAMMES)
        if code not in allowed:
            raise ValueError(f"must be one of {sorted(allowed)}")
        return code

    @property
    def page_name(self) -> str:
        return self.name or f"evaluation_{self.programme}"


# ============================================================================ figures from the engine
@dataclass(frozen=True)
class OutcomeFigures:
    """One outcome on the match (exact). Rates are proportions (frequency: reoffences per person)."""

    code: str
    treated: float | None
    comparison: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    adjusted: float | None = None
    adjusted_low: float | None = None
    adjusted_high: float | None = None
    adjusted_p: float | None = None
    treated_with: int = 0  # matched treated people with the outcome (any reoffence for the frequency)
    comparison_with: int = 0  # distinct comparison people used with the outcome
    naive_treated: float | None = None
    naive_comparison: float | None = None
    naive_difference: float | None = None
    naive_treated_with: int = 0
    pool_with: int = 0


@dataclass(frozen=True)
class Figures:
    """What the page needs of an evaluation, exact (the analyst's figures; the page suppresses)."""

    programme: str
    outcome: str  # "reoffended" or "first_time_entrant": the primary outcome's code
    start: dt.date
    end: dt.date
    follow_up_months: int
    waiting_months: int
    n_treated: int
    n_pool: int
    n_matched_treated: int
    n_comparison_used: int
    outcomes: tuple[OutcomeFigures, ...] = ()
    balance: pl.DataFrame = dataclasses.field(default_factory=lambda: pl.DataFrame(
        schema={"covariate": pl.String, "smd_before": pl.Float64, "smd_after": pl.Float64}))
    design: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    caliper: float = 0.2
    before_after: pl.DataFrame | None = None  # measure, before, after, change, ci_low, ci_high, p_value, before_with, after_with
    survival: pl.DataFrame | None = None  # group, day, surviving, people
    survival_difference: tuple[float, float, float] | None = None  # treated minus comparison not reoffended at day 365
    logrank_p: float | None = None
    e_value: float | None = None
    e_value_ci: float | None = None
    dropped: tuple[str, ...] = ()
    penalised: bool = False
    complete: bool | None = None

    @property
    def n_unmatched_treated(self) -> int:
        return self.n_treated - self.n_matched_treated

    @property
    def fte(self) -> bool:
        return self.outcome == "first_time_entrant"

    @property
    def primary(self) -> OutcomeFigures | None:
        return self.outcomes[0] if self.outcomes else None

    @property
    def indicative_only(self) -> bool:
        return self.n_treated < MIN_TREATED

    @property
    def max_smd_after(self) -> float | None:
        return _max_abs(self.balance, "smd_after")

    @property
    def max_smd_before(self) -> float | None:
        return _max_abs(self.balance, "smd_before")

    @property
    def poor_balance(self) -> bool:
        worst = self.max_smd_after
        return worst is not None and worst >= BALANCE_LIMIT


def _max_abs(balance: pl.DataFrame, col: str) -> float | None:
    if balance.height == 0:
        return None
    values = balance.get_column(col).drop_nulls().drop_nans().abs()
    return float(values.max()) if values.len() else None  # type: ignore[arg-type]


def _float(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


def _design_of(match: Any) -> dict[str, Any]:
    """The matching design the engine used (``yot.evaluate.Design``) as a plain mapping: ``neighbours``,
    ``exact``, ``distance`` and the rest of its fields."""
    if match.design is None:
        return {"neighbours": 1, "exact": (), "distance": "logit"}
    return dataclasses.asdict(match.design)


def figures(ev: Any) -> Figures:
    """Read a :class:`yot.evaluate.ProgrammeEvaluation` once into the page's :class:`Figures`.

    Counts of people come from the match weights (a row is in the match when its weight is above 0),
    so they count distinct people whatever the number of neighbours and shared ties. The counts of
    people with each outcome are what the tables' suppression rests on."""
    m = ev.match
    pop: pl.DataFrame = ev.population
    treated = pop.get_column("treated").cast(pl.Boolean).to_numpy() if pop.height else np.zeros(0, bool)
    weights = np.asarray(m.weights, float) if pop.height else np.zeros(0)
    used_t = treated & (weights > 0)
    used_c = ~treated & (weights > 0)
    rows = []
    for r in ev.outcomes.iter_rows(named=True):
        code = _MEASURE_CODES.get(str(r["measure"]), str(r["measure"]))
        col = "reoffended" if code == "reoffences" else code  # the frequency rests on who reoffended
        y = pop.get_column(col).cast(pl.Float64).fill_null(0).to_numpy() > 0
        rows.append(OutcomeFigures(
            code=code, treated=_float(r["treated"]), comparison=_float(r["comparison"]),
            difference=_float(r["difference"]), ci_low=_float(r["ci_low"]), ci_high=_float(r["ci_high"]),
            p_value=_float(r["p_value"]), adjusted=_float(r.get("adjusted_difference")),
            adjusted_low=_float(r.get("adjusted_ci_low")), adjusted_high=_float(r.get("adjusted_ci_high")),
            adjusted_p=_float(r.get("adjusted_p_value")),
            treated_with=int((y & used_t).sum()), comparison_with=int((y & used_c).sum()),
            naive_treated=_float(r["naive_treated"]), naive_comparison=_float(r["naive_comparison"]),
            naive_difference=_float(r["naive_difference"]),
            naive_treated_with=int((y & treated).sum()), pool_with=int((y & ~treated).sum()),
        ))
    before_after = None
    if ev.before_after is not None and pop.height:
        t = pop.filter(pl.Series(used_t))
        before_with, after_with = _any(t, "reoffended_before"), _any(t, "reoffended")
        before_after = ev.before_after.with_columns(before_with=pl.lit(before_with, pl.Int64),
                                                    after_with=pl.lit(after_with, pl.Int64))
    surv = ev.time_to_reoffence
    difference = None
    if surv is not None and None not in (surv.difference, surv.ci_low, surv.ci_high):
        difference = (float(surv.difference), float(surv.ci_low), float(surv.ci_high))
    return Figures(
        programme=ev.programme, outcome="first_time_entrant" if ev.outcome == "first_time_entrant" else "reoffended",
        start=ev.start, end=ev.end, follow_up_months=ev.follow_up_months, waiting_months=ev.waiting_months,
        n_treated=int(m.n_treated), n_pool=int(m.n_comparison_pool),
        n_matched_treated=int(used_t.sum()), n_comparison_used=int(used_c.sum()), outcomes=tuple(rows),
        balance=m.balance, design=_design_of(m), before_after=before_after, survival=ev.survival,
        survival_difference=difference, logrank_p=None if surv is None else _float(surv.logrank_p_value),
        e_value=_float(m.e_value), e_value_ci=_float(m.e_value_ci),
        dropped=tuple(m.dropped_covariates), penalised=m.model == "ridge",
        # the engine says whether the period is complete when it knew the extract date
        complete=bool(ev.complete) if ev.extract_date is not None else None,
    )


def _any(frame: pl.DataFrame, col: str) -> int:
    if col not in frame.columns or frame.height == 0:
        return 0
    return int((frame.get_column(col).cast(pl.Float64).fill_null(0) > 0).sum())


# ============================================================================ words
def short_name(programme: str) -> str:
    """The programme inside a sentence: "young people like those on ISSP"."""
    return label("programme_short", programme)


def question_name(programme: str) -> str:
    """The programme in "Does ... work?": ISSP, a referral order, restorative justice, YISP."""
    return {"referral_order": "a referral order", "YISP": "YISP", "restorative_justice": "restorative justice"}.get(
        programme, short_name(programme))


def outcome_name(code: str, follow_up_months: int = 12) -> str:
    """An outcome as the tables and the forest plot name it ("Reoffended within a year")."""
    within = "within a year" if follow_up_months == 12 else f"within {follow_up_months} months"
    return {
        "reoffended": f"Reoffended {within}",
        "reoffences": f"Reoffences {within}",
        "custody_reoffence": f"A reoffence {within} ending in custody",
        "first_time_entrant": "Became a first-time entrant within a year of the referral",
        "not_reoffended_365": "Not reoffended after 365 days",
    }.get(code, label("outcome_measure", code))


def _verb(fte: bool) -> str:
    return "became first-time entrants" if fte else "reoffended"


def per_100(value: float) -> str:
    """A number of young people per 100 for a sentence, unsigned, with one decimal as the tables show
    it (a bound of -18.5 in the table is "18.5 fewer" in the sentence, never "18")."""
    return format_value(abs(_per100(value) or 0.0), "number")


def interval_words(low: float, high: float) -> str:
    """An interval of a difference per 100 young people, in words, smaller number first:
    "between 3.5 and 12 fewer", "between 40 fewer and 26 more", "between 2.0 and 8.1 more"."""
    if high < 0:
        return f"between {per_100(high)} and {per_100(low)} fewer"
    if low > 0:
        return f"between {per_100(low)} and {per_100(high)} more"
    lo = "none fewer" if low == 0 else f"{per_100(low)} fewer"
    hi = "none more" if high == 0 else f"{per_100(high)} more"
    return f"between {lo} and {hi}"


def verdict(low: float | None, high: float | None) -> str:
    """``lower`` (the whole interval below zero), ``higher`` (above zero) or ``none`` (it spans zero:
    no evidence of an effect, never a success)."""
    if low is None or high is None:
        return "none"
    if high < 0:
        return "lower"
    if low > 0:
        return "higher"
    return "none"


def answer_sentence(programme: str, fte: bool, low: float | None, high: float | None, *, indicative: bool,
                    no_estimate: str | None = None, threshold: int = 5) -> str:
    """The page's answer in one sentence, from the interval of the matched difference (per person).

    ``no_estimate``: why there is no figure to give (nobody treated, no one to compare with, too
    small to publish); the sentence then says so."""
    question = f"**Does {question_name(programme)} work?**"
    if no_estimate is not None or low is None or high is None:
        return f"{question} There is no answer from these data: {no_estimate or 'there is no estimate'}."
    who = f"for every 100 young people like those on {short_name(programme)}"
    span = interval_words(low, high)
    v = verdict(low, high)
    if v == "none":
        text = f"{question} No evidence either way: {who}, {span} {_verb(fte)} within a year than had they not been on it"
    elif v == "lower":
        text = f"{question} Yes, on this evidence: {who}, {span} {_verb(fte)} within a year than had they not been on it"
    else:
        text = (f"{question} No: the evidence points the other way: {who}, {span} {_verb(fte)} within a year than had "
                "they not been on it")
    if indicative:
        text += f" (indicative only: fewer than {MIN_TREATED} young people were treated)"
    return text + "."


def design_words(design: Mapping[str, Any], caliper: float = 0.2, *, short: bool = False) -> str:
    """The matching design used, in words: "3 nearest neighbours within tier", then (unless ``short``)
    the distance and the caliper."""
    if "text" in design and design.get("text"):
        return str(design["text"])
    k = int(design.get("neighbours") or design.get("k") or 1)
    exact = design.get("exact") or design.get("exact_columns") or ()
    if isinstance(exact, str):
        exact = (exact,)
    distance = str(design.get("distance") or design.get("metric") or "logit").lower()
    who = "nearest neighbour" if k == 1 else "nearest neighbours"
    text = f"{k} {who}"
    if exact:
        text += " within " + and_list([label("characteristic", e).lower().replace("tier of the index outcome", "tier")
                                       for e in exact])
    if short:
        return text + (", by Mahalanobis distance" if distance.startswith("mahal") else "")
    if distance.startswith("mahal"):
        text += (", chosen by how alike they are on every characteristic (Mahalanobis distance) among those within "
                 f"{caliper:g} standard deviations of the propensity score (logit)")
    else:
        text += f" on the propensity score (logit), within {caliper:g} standard deviations"
    return text


def direction(before: float, after: float, decimals: int = 1, scale: float = 100) -> str:
    """"rose", "fell" or "did not change", from the figures as shown (rounded as the table rounds them)."""
    a, b = round(scale * after, decimals), round(scale * before, decimals)
    return "rose" if a > b else "fell" if a < b else "did not change"


def _p(p_value: float | None) -> str:
    if p_value is None:
        return "p not available"
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def _significant(low: float | None, high: float | None) -> bool:
    return verdict(low, high) != "none"


# ============================================================================ tables
def groups_table(f: Figures, threshold: int, provisional: bool) -> Table:
    """Who was compared: treated and comparison pool, matched (used) and not. The row total is
    hidden with a small part, so the matched count published with every outcome never gives it away."""
    frame = pl.DataFrame({
        "group": ["Treated young people", "Comparison pool"],
        "people": [f.n_treated, f.n_pool],
        "matched": [f.n_matched_treated, f.n_comparison_used],
        "not_matched": [f.n_unmatched_treated, f.n_pool - f.n_comparison_used],
        "provisional": [provisional, provisional],
    })
    who = "referrals" if f.fte else "young people"
    return table(
        f"evaluation_{f.programme}_groups", f"Who was compared: treated {who} and the comparison pool", frame,
        [Column("group", "Group"), Column("people", "Young people", "count"),
         Column("matched", "In the match", "count"),
         Column("not_matched", "No close match (treated) or not used (comparison)", "count")],
        # the total is hidden wherever a part is: with the other part published elsewhere (the matched
        # count of the outcomes), total minus part would give the hidden one away
        SuppressionSpec(counts=("matched", "not_matched"), derived={"people": ("matched", "not_matched")},
                        columns_add_up=False),
        threshold=threshold, provisional="provisional",
        notes=("A comparison young person can stand in for several treated young people (matching with "
               "replacement); those counted here are distinct people.",),
    )


def balance_table(f: Figures) -> Table:
    frame = f.balance.with_columns(
        characteristic=pl.col("covariate").map_elements(balance_label, return_dtype=pl.String))
    return table(
        f"evaluation_{f.programme}_balance", "Balance: standardised differences before and after matching", frame,
        [Column("characteristic", "Characteristic"), Column("smd_before", "Before matching", "smd"),
         Column("smd_after", "After matching", "smd")],
        SuppressionSpec(counts=(), columns_add_up=False),
        notes=("The standardised difference is the difference in means (treated minus comparison) divided by the "
               f"pooled standard deviation; below {BALANCE_LIMIT:.2f} either way counts as alike.",),
    )


def balance_label(covariate: str) -> str:
    """An engine covariate name (``sex: F``, ``asset_score: missing``) as a reader's label."""
    name, _, level = covariate.partition(": ")
    return characteristic_label(name, level or None)


_OUTCOME_COUNTS = ("matched_treated", "treated_with", "comparison_used", "comparison_with")
_MATCHED_DERIVED = ("treated", "comparison", "difference", "ci_low", "ci_high", "p_value", "adjusted")


def _per100(value: float | None) -> float | None:
    """A proportion (or a per-person figure) per 100, with rounding dust (-1e-15) cleared so that a
    difference of nothing is never shown as -0.0."""
    return None if value is None else round(100 * value, 9) + 0.0


def outcomes_table(f: Figures, threshold: int, provisional: bool) -> Table:
    """The matched comparison of every outcome, per 100 young people, with the bias-adjusted
    difference beside it. Every figure of a row rests on its four counts (matched treated, of whom
    with the outcome, comparison people used, of whom with the outcome)."""
    rows = [{
        "outcome": outcome_name(o.code, f.follow_up_months), "matched_treated": f.n_matched_treated,
        "treated_with": o.treated_with, "comparison_used": f.n_comparison_used, "comparison_with": o.comparison_with,
        "treated": _per100(o.treated), "comparison": _per100(o.comparison), "difference": _per100(o.difference),
        "ci_low": _per100(o.ci_low), "ci_high": _per100(o.ci_high), "p_value": o.p_value,
        "adjusted": _per100(o.adjusted), "provisional": provisional,
    } for o in f.outcomes]
    frame = pl.DataFrame(rows, schema={"outcome": pl.String, **{c: pl.Int64 for c in _OUTCOME_COUNTS},
                                       **{c: pl.Float64 for c in _MATCHED_DERIVED if c != "p_value"},
                                       "p_value": pl.Float64, "provisional": pl.Boolean})
    frame = frame.select("outcome", *_OUTCOME_COUNTS, *_MATCHED_DERIVED, "provisional")
    who = "referred young people" if f.fte else "young people"
    return table(
        f"evaluation_{f.programme}_outcomes", f"Outcomes: treated {who} against their matched comparison", frame,
        [Column("outcome", "Outcome"), Column("treated", "Treated (per 100)", "number"),
         Column("comparison", "Matched comparison (per 100)", "number"),
         Column("difference", "Difference (per 100)", "signed"),
         Column("ci_low", "95% interval from", "signed"), Column("ci_high", "95% interval to", "signed"),
         Column("p_value", "p-value", "pvalue"), Column("adjusted", "Bias-adjusted difference (per 100)", "signed")],
        SuppressionSpec(counts=_OUTCOME_COUNTS, derived={c: _OUTCOME_COUNTS for c in _MATCHED_DERIVED},
                        columns_add_up=False,
                        complements={"treated_with": "matched_treated", "comparison_with": "comparison_used"}),
        threshold=threshold, provisional="provisional",
        notes=(("Figures are per 100 young people: for a share, the number in every 100 with the outcome (a "
                "percentage); for reoffences, the number of reoffences 100 young people committed between them. "
                "Comparison figures weight each comparison young person by the treated young people they stand in "
                "for.") if not f.fte else
               ("Figures are per 100 referred young people: the number in every 100 who became first-time "
                "entrants. Comparison figures weight each comparison young person by the treated young people "
                "they stand in for."),),
    )


_NAIVE_COUNTS = ("all_treated", "naive_treated_with", "pool", "pool_with")


def naive_table(f: Figures, threshold: int, provisional: bool) -> Table:
    """All treated against the whole comparison pool, with no matching (shown to warn against it)."""
    rows = [{"outcome": outcome_name(o.code, f.follow_up_months), "all_treated": f.n_treated,
             "naive_treated_with": o.naive_treated_with, "pool": f.n_pool, "pool_with": o.pool_with,
             "naive_treated": _per100(o.naive_treated), "naive_comparison": _per100(o.naive_comparison),
             "naive_difference": _per100(o.naive_difference), "provisional": provisional} for o in f.outcomes]
    frame = pl.DataFrame(rows, schema={"outcome": pl.String, **{c: pl.Int64 for c in _NAIVE_COUNTS},
                                       "naive_treated": pl.Float64, "naive_comparison": pl.Float64,
                                       "naive_difference": pl.Float64, "provisional": pl.Boolean})
    return table(
        f"evaluation_{f.programme}_naive", "The naive comparison: every treated young person against the whole pool",
        frame,
        [Column("outcome", "Outcome"), Column("naive_treated", "All treated (per 100)", "number"),
         Column("naive_comparison", "Whole comparison pool (per 100)", "number"),
         Column("naive_difference", "Difference (per 100)", "signed")],
        SuppressionSpec(counts=_NAIVE_COUNTS, derived={c: _NAIVE_COUNTS for c in
                                                        ("naive_treated", "naive_comparison", "naive_difference")},
                        columns_add_up=False,
                        complements={"naive_treated_with": "all_treated", "pool_with": "pool"}),
        threshold=threshold, provisional="provisional",
    )


_BA_COUNTS = ("people", "before_with", "after_with")
_BA_NAMES = {"reoffended (any offence)": "Had a proven offence", "offences per young person": "Proven offences"}


def before_after_table(f: Figures, threshold: int, provisional: bool) -> Table | None:
    if f.before_after is None or f.before_after.height == 0:
        return None
    ba = f.before_after
    frame = pl.DataFrame({
        "measure": [_BA_NAMES.get(m, m) for m in ba["measure"]],
        "people": [f.n_matched_treated] * ba.height,
        "before_with": ba["before_with"], "after_with": ba["after_with"],
        "before": [_per100(v) for v in ba["before"]], "after": [_per100(v) for v in ba["after"]],
        "change": [_per100(v) for v in ba["change"]], "ci_low": [_per100(v) for v in ba["ci_low"]],
        "ci_high": [_per100(v) for v in ba["ci_high"]], "provisional": [provisional] * ba.height,
    }, schema_overrides={c: pl.Float64 for c in ("before", "after", "change", "ci_low", "ci_high")})
    derived = ("before", "after", "change", "ci_low", "ci_high")
    return table(
        f"evaluation_{f.programme}_before_after", "The matched treated young people, the year before and the year after",
        frame,
        [Column("measure", "Measure"), Column("before", "Year before (per 100)", "number"),
         Column("after", "Year after (per 100)", "number"), Column("change", "Change (per 100)", "signed"),
         Column("ci_low", "95% interval from", "signed"), Column("ci_high", "95% interval to", "signed")],
        SuppressionSpec(counts=_BA_COUNTS, derived={c: _BA_COUNTS for c in derived}, columns_add_up=False,
                        complements={"before_with": "people", "after_with": "people"}),
        threshold=threshold, provisional="provisional",
    )


# ============================================================================ charts
def love_plot(f: Figures, source: str) -> Chart:
    """Standardised difference of each characteristic before and after matching, with the 0.10 lines."""
    data = pl.DataFrame({
        "characteristic": [balance_label(c) for c in f.balance["covariate"]],
        "before": f.balance["smd_before"], "after": f.balance["smd_after"],
    }).sort(pl.col("before").abs(), descending=True, nulls_last=True)
    inside = sum(1 for v in data["after"] if v is not None and not math.isnan(v) and abs(v) < BALANCE_LIMIT)
    worst = data.filter(pl.col("after").is_not_null()).sort(pl.col("after").abs(), descending=True).head(1)
    worst_text = (f"; the largest after matching is {worst['characteristic'][0]} at "
                  f"{format_value(worst['after'][0], 'smd')}" if worst.height else "")
    listed = "; ".join(f"{c} {format_value(b, 'smd')} before, {format_value(a, 'smd')} after"
                       for c, b, a in data.head(6).iter_rows())
    alt = (f"Dot chart of the standardised difference between treated and comparison young people on "
           f"{data.height} characteristics, before matching (open circles) and after (filled), with lines at "
           f"-{BALANCE_LIMIT:.2f} and +{BALANCE_LIMIT:.2f}: {inside} of {data.height} are inside the lines after "
           f"matching{worst_text}. The largest before matching: {listed}.")
    return Chart("balance", "love_plot", "Are the groups alike? Balance before and after matching", data, alt, source,
                 {"limit": BALANCE_LIMIT, "x_label": "Standardised difference (treated minus comparison)"})


def survival_chart(f: Figures, threshold: int, source: str) -> tuple[Chart | None, list[str]]:
    """The Kaplan-Meier curves of the matched groups, each coarsened by ``safe_curve`` so no step shows
    fewer than ``threshold`` people; returns the chart (None if no curve can be drawn) and the groups
    not drawn."""
    if f.survival is None or f.survival.height == 0:
        return None, []
    names = {"treated (matched)": "Treated (matched)", "matched comparison": "Matched comparison"}
    frames, hidden = [], []
    for (group,), curve in f.survival.group_by("group", maintain_order=True):
        safe = safe_curve(curve.sort("day"), threshold)
        if safe is None:
            hidden.append(names.get(str(group), str(group)))
        else:
            frames.append(safe.with_columns(group=pl.lit(names.get(str(group), str(group)))))
    if not frames:
        return None, hidden
    data = pl.concat(frames).select("group", "day", "surviving")
    ends = []
    for (group,), part in data.group_by("group", maintain_order=True):
        upto = part.filter(pl.col("day") <= SURVIVAL_DAY)
        last = min(SURVIVAL_DAY, int(part["day"].max()))  # a step curve keeps its value to the next step
        ends.append(f"{group}: {format_value(upto['surviving'][-1], 'percent', 0)} not yet "
                    f"{'first-time entrants' if f.fte else 'reoffended'} by day {last}")
    what = "becoming a first-time entrant" if f.fte else "a first proven reoffence"
    alt = (f"Step chart of the share of each matched group not yet {'a first-time entrant' if f.fte else 'reoffended'} "
           f"over the days after the {'referral' if f.fte else 'index date'} (time to {what}): " + "; ".join(ends) + ".")
    title = "Time to first-time entry, matched groups" if f.fte else "Time to first reoffence, matched groups"
    return Chart("time_to_event", "survival_curves", title, data, alt, source, {
        "x_label": f"Days after the {'referral' if f.fte else 'index date'}",
        "y_label": "Not yet a first-time entrant" if f.fte else "Not yet reoffended",
        "mark_day": SURVIVAL_DAY}), hidden


# ============================================================================ sections
def _no_estimate_reason(f: Figures) -> str | None:
    who = "was referred and accepted" if f.fte else "started it"
    if f.n_treated == 0:
        return f"no young person {who} in the period"
    if f.n_pool == 0:
        return "there was no one to compare with"
    if f.n_matched_treated == 0:
        return "no treated young person had a close enough match"
    return None


def _shown(t: Table, column: str, row: int = 0) -> bool:
    return t.frame.height > row and t.shown(column, row)


def _count(t: Table, column: str, row: int) -> str | None:
    """A count as a sentence may say it: the table's figure when shown, else None (never a small count)."""
    if not _shown(t, column, row):
        return None
    return count_words(int(t.frame.get_column(column)[row]), t.threshold)


def who_section(f: Figures, groups: Table, threshold: int) -> Section:
    fte = f.fte
    name = label("programme", f.programme)
    short = short_name(f.programme)
    if fte:
        defined = ("The **treated** are young people referred to a YISP in the period whose referral was accepted "
                   "(each young person's first referral in the period); the **comparison pool** are those whose "
                   "referral was declined or for whom there was no place. Referrals of young people who already had "
                   "a proven offence are left out: the outcome is becoming a first-time entrant.")
    elif f.programme == "referral_order":
        defined = ("The **treated** are young people whose index outcome in the period was a referral order; the "
                   "**comparison pool** are the other young people whose index outcome was first-tier or pre-court "
                   "(such as a fine, a discharge, a reprimand or a final warning).")
    else:
        defined = (f"The **treated** are young people who started {short} within 90 days after a proven offence "
                   "(or release from custody) in the period; that offence is their index. The **comparison pool** are "
                   f"young people with an index in the period and no start of {short} from a year before it to 90 "
                   f"days after it. Young people who started {short} in the year before their index are in neither "
                   "group.")
    blocks: list[Text | Table] = [Text(defined), groups]
    treated_words = _count(groups, "people", 0)
    matched = _count(groups, "matched", 0)
    unmatched = _count(groups, "not_matched", 0)
    pool = _count(groups, "people", 1)
    used = _count(groups, "matched", 1)
    parts = []
    if matched is not None and f.n_unmatched_treated == 0:
        parts.append(f"All {matched} treated young people found a close match")
    elif matched is not None:
        parts.append(f"{matched[0].upper()}{matched[1:]} treated young people found a close match"
                     + (f" (of {treated_words})" if treated_words else ""))
    elif f.n_matched_treated:
        parts.append(f"Fewer than {threshold} treated young people found a close match")
    if f.n_unmatched_treated:
        parts.append(f"{unmatched or count_words(f.n_unmatched_treated, threshold)} had no one close enough and are "
                     "left out of the estimate (they are reported, not hidden)")
    if pool is not None:
        parts.append(f"the comparison pool held {pool} young people"
                     + (f", of whom {used} were used in the match" if used is not None else ""))
    if parts:
        blocks.append(Text("; ".join(parts) + "."))
    if f.programme == "referral_order":
        blocks.append(Text("The tier of the index outcome is not used in the matching: every young person on a "
                           "referral order is first-tier by definition."))
    if f.programme not in ("referral_order", "YISP"):
        blocks.append(Text(
            f"Whether a young person is in the comparison pool is decided 90 days after their index date, never "
            f"with knowledge of what happened later. Young people who started {short} later than that stay in the "
            "pool: their later start is part of what happened to them. This can only pull the estimate towards no "
            "effect, never create one."))
    if f.dropped:
        blocks.append(Text("Left out of the matching because it is the same for everyone evaluated: "
                           + and_list([label("characteristic", d) for d in f.dropped]) + "."))
    if f.penalised:
        blocks.append(Text("Some characteristics almost completely separate the treated from the pool, so the model "
                           "of who was treated was fitted with a small penalty that keeps its estimates finite."))
    return Section(f"Who was compared: {name}", tuple(blocks), "who")


def balance_section(f: Figures, source: str) -> Section:
    design = design_words(f.design, f.caliper)
    worst = f.max_smd_after
    blocks: list[Text | Table | Chart] = [Text(
        "Each treated young person is matched with the comparison young people most like them on what was known "
        "before the programme: " + ("age, sex, ethnic group and the ONSET risk score at the referral. "
                                     if f.fte else
                                     "age, sex, ethnic group, previous proven offences and time since the first, the "
                                     "index offence's type and gravity, the tier of its outcome and the latest Asset "
                                     "score. ")
        + f"The design used: **{design}**. It was chosen by balance alone, before any outcome was looked at: the "
          "first in a fixed sequence in which every characteristic is alike (or, failing that, the most alike); "
          "comparison young people tied at the same distance share the match, so the same data always give the "
          "same answer.")]
    if f.balance.height:
        blocks.append(love_plot(f, source))
        blocks.append(balance_table(f))
        label_worst = ""
        ordered = f.balance.filter(pl.col("smd_after").is_not_null() & pl.col("smd_after").is_not_nan())
        if ordered.height:
            top = ordered.sort(pl.col("smd_after").abs(), descending=True).row(0, named=True)
            label_worst = balance_label(top["covariate"])
        if worst is None:
            blocks.append(Text("No standardised difference could be worked out after matching."))
        elif f.poor_balance:
            over = int((f.balance["smd_after"].drop_nulls().drop_nans().abs() >= BALANCE_LIMIT).sum())
            blocks.append(Text(
                f"After matching, {over} characteristic{'s' if over != 1 else ''} still "
                f"differ{'s' if over == 1 else ''} by {BALANCE_LIMIT:.2f} standard deviations or more (largest: "
                f"{label_worst}, {worst:.2f}), so the comparison may not be like with like; read the result with "
                "care (the warning at the top of the page)."))
        else:
            blocks.append(Text(
                f"**Good balance.** After matching every standardised difference is below {BALANCE_LIMIT:.2f} "
                f"(largest: {label_worst}, {worst:.2f}), so the groups are alike on what the data record."))
    return Section("Are the groups alike?", tuple(blocks), "balance")


def _difference_words(o: OutcomeFigures, fte: bool, outcome: str) -> str:
    assert o.ci_low is not None and o.ci_high is not None and o.difference is not None
    v = verdict(o.ci_low, o.ci_high)
    verb = _verb(fte)
    base = (f"**{outcome}**: {format_value(_per100(o.treated), 'number')} in every 100 of the matched treated "
            f"against {format_value(_per100(o.comparison), 'number')} in every 100 of their matched comparison "
            f"(difference {format_value(_per100(o.difference), 'signed')} per 100, 95% interval "
            f"{format_value(_per100(o.ci_low), 'signed')} to {format_value(_per100(o.ci_high), 'signed')}, "
            f"{_p(o.p_value)}). ")
    if v == "none":
        return base + (f"The interval spans zero: this is no evidence of an effect (which is not the same as evidence "
                       f"of no effect).")
    return base + (f"The whole interval is below zero: for every 100 young people, {interval_words(o.ci_low, o.ci_high)} "
                   f"{verb}." if v == "lower" else
                   f"The whole interval is above zero: for every 100 young people, "
                   f"{interval_words(o.ci_low, o.ci_high)} {verb}.")


def adjusted_words(o: OutcomeFigures) -> str | None:
    """The bias-adjusted difference beside the matched one; says so when they disagree in sign or
    significance."""
    if o.adjusted is None or o.difference is None:
        return None
    text = f"The bias-adjusted difference, which corrects each match for what is left of the differences in " \
           f"characteristics, is {format_value(_per100(o.adjusted), 'signed')} per 100"
    if o.adjusted_low is not None and o.adjusted_high is not None:
        text += (f" (95% interval {format_value(_per100(o.adjusted_low), 'signed')} to "
                 f"{format_value(_per100(o.adjusted_high), 'signed')})")
    shown_m = round(100 * o.difference, 1)
    shown_a = round(100 * o.adjusted, 1)
    sign_differs = (shown_m > 0 > shown_a) or (shown_m < 0 < shown_a)
    sig_m = _significant(o.ci_low, o.ci_high)
    sig_a = _significant(o.adjusted_low, o.adjusted_high) if o.adjusted_low is not None else None
    if sign_differs or (sig_a is not None and sig_a != sig_m):
        what = ("point in different directions" if sign_differs else
                "disagree on whether there is evidence of an effect")
        return text + (f". **The two estimates {what}**, so the answer depends on how the remaining differences "
                       "between the groups are allowed for: treat it with extra caution.")
    return text + ": it agrees with the matched difference."


def outcomes_section(f: Figures, outcomes: Table, naive: Table, ba: Table | None, threshold: int) -> Section:
    blocks: list[Text | Table | Chart] = [Text(
        "The **matched difference** compares the treated young people with their matched comparison: it is the "
        "estimate of the programme's effect. Its 95% interval allows for comparison young people standing in for "
        "several treated ones.")]
    blocks.append(outcomes)
    for i, o in enumerate(f.outcomes):
        if not outcomes.shown("difference", i) or o.ci_low is None:
            continue
        if i == 0:
            blocks.append(Text(_difference_words(o, f.fte, outcome_name(o.code, f.follow_up_months))))
            adj = adjusted_words(o) if outcomes.shown("adjusted", i) else None
            if adj:
                blocks.append(Text(adj))
    hidden = [outcome_name(o.code, f.follow_up_months) for i, o in enumerate(f.outcomes)
              if not outcomes.shown("difference", i)]
    if hidden:
        blocks.append(Text(f"Not shown ([c]), because a count behind the figures is below {threshold}: "
                           + and_list(hidden) + "."))
    blocks.append(naive)
    p0 = f.primary
    if p0 is not None and naive.shown("naive_difference", 0) and p0.naive_difference is not None:
        nd = _per100(p0.naive_difference)
        md = _per100(p0.difference) if outcomes.shown("difference", 0) else None
        text = (f"Without matching, every treated young person against the whole pool, the difference is "
                f"{format_value(nd, 'signed')} per 100")
        if md is not None:
            text += f", against {format_value(md, 'signed')} per 100 after matching"
        blocks.append(Text(text + ". The naive comparison is shown to warn against it: the programme takes young "
                                  "people who differ from the rest, so it compares unlike with unlike."))
    if ba is not None:
        blocks.append(ba)
        if ba.shown("before", 0) and ba.shown("after", 0):
            b, a = ba.frame["before"][0], ba.frame["after"][0]
            move = direction(b / 100, a / 100)
            text = (f"In the year before their index date, {format_value(b, 'number')} in every 100 of the matched "
                    f"treated had a proven offence; in the year after, {format_value(a, 'number')} did: the figure "
                    f"**{move}**")
            if move != "did not change" and ba.shown("ci_low", 0):
                text += (f" by {format_value(abs(a - b), 'number')} per 100 (95% interval of the change "
                         f"{format_value(ba.frame['ci_low'][0], 'signed')} to "
                         f"{format_value(ba.frame['ci_high'][0], 'signed')})")
            blocks.append(Text(text + "."))
        blocks.append(Text(
            "**Before and after is not the programme's effect.** Young people are picked for programmes at a high or "
            "low point of their offending, and any group picked that way moves back towards its usual level "
            "afterwards whatever is done (regression to the mean); other changes over time add to it. Only the "
            "matched comparison allows for that.", "note"))
    return Section("What happened to them", tuple(blocks), "outcomes")


def time_section(f: Figures, threshold: int, source: str, matched_ok: bool) -> Section:
    fte = f.fte
    blocks: list[Text | Chart] = []
    chart, hidden = survival_chart(f, threshold, source) if matched_ok else (None, [])
    event = "become first-time entrants" if fte else "reoffended"
    if chart is not None:
        blocks.append(chart)
        blocks.append(Text(
            f"Each curve is the share of a matched group who had not yet {event}, day by day. It steps down only "
            f"once at least {threshold} more young people have {event}, so that no step shows a handful of people "
            "(disclosure control); it still ends at the group's true share."
            + (f" Not drawn, because fewer than {threshold} in the group {event}: {and_list(hidden)} ([c])."
               if hidden else "")))
    elif matched_ok and hidden:
        blocks.append(Text(f"The curves are not drawn: fewer than {threshold} in each group {event} ([c])."))
    else:
        blocks.append(Text(f"The matched groups are too small to draw without revealing counts below {threshold}."))
    if matched_ok and f.survival_difference is not None:
        d, lo, hi = f.survival_difference
        v = verdict(lo, hi)
        text = (f"At day {SURVIVAL_DAY}, the share of the matched treated who had not yet {event} differs from the matched "
                f"comparison by {format_value(100 * d, 'signed')} per 100 (95% interval {format_value(100 * lo, 'signed')} "
                f"to {format_value(100 * hi, 'signed')})")
        text += (": the interval spans zero, so no evidence of a difference in how soon" if v == "none" else
                 f": more of the treated were still clear of {'first-time entry' if fte else 'reoffending'}"
                 if v == "higher" else f": fewer of the treated were still clear of "
                                      f"{'first-time entry' if fte else 'reoffending'}")
        if f.logrank_p is not None:
            text += f". Over the whole follow-up the curves are compared by the weighted log-rank test: {_p(f.logrank_p)}"
        blocks.append(Text(text + "."))
    title = "How soon it happened" if not fte else "How soon they became first-time entrants"
    return Section(title, tuple(blocks), "soon")


def e_value_words(e_value: float | None, e_value_ci: float | None, fte: bool, significant: bool) -> str | None:
    """The E-value of the primary outcome in words (VanderWeele and Ding 2017): how strong an unmeasured
    difference between the groups would have to be to explain the estimate away."""
    if e_value is None:
        return None
    what = "becoming a first-time entrant" if fte else "reoffending"
    if significant:
        text = (f"An unmeasured difference between the groups would need to make {what} **{e_value:.1f} times** as "
                f"likely, and be {e_value:.1f} times as common among the treated, to explain this away.")
        if e_value_ci is not None:
            text += (f" To move the interval as far as no effect, {e_value_ci:.1f} times would be enough (the E-value "
                     "of the interval's bound nearer to no effect).")
    else:
        text = ("There is no evidence of an effect to explain away: the interval already includes no effect (its "
                "E-value is 1). Even the central estimate would be explained away by an unmeasured difference "
                f"between the groups that made {what} **{e_value:.1f} times** as likely and was {e_value:.1f} times as "
                "common among the treated.")
    return text + " The larger these numbers, the harder the result is to explain away."


def sensitivity_section(f: Figures, outcomes: Table) -> Section | None:
    if f.e_value is None or not outcomes.shown("difference", 0):
        return None
    p0 = f.primary
    words = e_value_words(f.e_value, f.e_value_ci, f.fte,
                          significant=p0 is not None and _significant(p0.ci_low, p0.ci_high))
    assert words is not None
    return Section("How sensitive is the answer to what was not measured?", (Text(words),), "sensitivity")


def caveats(f: Figures) -> list[str]:
    """The caveats of this programme only: no wording meant for another programme."""
    common = [
        "Matching makes the groups alike only on what the extract records. Differences that are not recorded "
        "(motivation, family, school) can still bias the result; the sensitivity section says how large they would "
        "need to be.",
        "The estimate is for young people like those treated who found a close match; treated young people with "
        "no close match are counted above and are not part of it.",
        "An interval that spans zero is no evidence of an effect, which is not the same as evidence of no effect: "
        "a programme this size may be unable to show a modest effect.",
    ]
    if f.indicative_only:
        common.append(f"Fewer than {MIN_TREATED} young people were treated: the estimate is indicative only.")
    if f.fte:
        specific = [
            "The outcome is becoming a first-time entrant: a first proven offence committed within 12 months of the "
            "referral and proven within 18 months. Offences that are not caught or proven are not counted, for "
            "either group.",
            "The comparison pool are young people referred but not taken on (declined, or no place available). "
            "Families who decline may differ from those who accept in ways the ONSET score does not capture.",
        ]
    elif f.programme == "referral_order":
        specific = [
            "Proven reoffending counts only offences that are caught and proven; it understates all offending alike "
            "in both groups.",
            "A referral order follows a first court appearance with a guilty plea; the comparison are other "
            "first-tier and pre-court outcomes. The courts' and police's choice between them rests partly on "
            "things the extract does not record.",
        ]
    else:
        specific = [
            "Proven reoffending counts only offences that are caught and proven; it understates all offending alike "
            "in both groups.",
            f"Young people on {short_name(f.programme)} are chosen by practitioners; what made them choose, beyond the "
            "recorded offence, tier and Asset score, can differ between the groups.",
        ]
        if f.programme == "ISSP":
            specific.append("ISSP is for the most serious and persistent offenders, often as an alternative to "
                            "custody: few young people are like them, so the matched comparison rests on a small, "
                            "hard-to-match group.")
    return specific + common


# ============================================================================ the page
def build(extract: Extract, params: Params) -> Page:
    """The evaluation page of ``params.programme`` over ``params.start``..``params.end``."""
    from yot.evaluate import evaluate_programme

    as_at = as_at_date(extract, params)
    ev = evaluate_programme(extract, params.programme, params.start, params.end, params.follow_up_months,
                            params.waiting_months, caliper=params.caliper, extract_date=as_at)
    f = dataclasses.replace(figures(ev), caliper=params.caliper)
    return page_from_figures(f, params, as_at, is_synthetic(extract))


def page_from_figures(f: Figures, params: Params, as_at: dt.date | None, synthetic: bool) -> Page:
    """The page from the engine's figures (the part :func:`build` does after the engine; tests call it
    with hand-made figures)."""
    t = params.disclosure_threshold
    fw, w = f.follow_up_months, f.waiting_months
    complete = f.complete if f.complete is not None else is_complete(f.end, as_at, fw, w)
    prov = not complete
    shell = Page(params.page_name, "evaluation", "", "", as_at, params.yot_name, synthetic)
    source = shell.source
    name = label("programme", f.programme)
    groups = groups_table(f, t, prov)
    reason = _no_estimate_reason(f)
    outcomes = outcomes_table(f, t, prov)
    primary_shown = reason is None and outcomes.frame.height > 0 and outcomes.shown("difference", 0) \
        and f.primary is not None and f.primary.ci_low is not None
    if reason is None and not primary_shown:
        reason = f"the numbers are too small to publish an estimate without revealing counts below {t}"
    p0 = f.primary
    answer = Text(answer_sentence(f.programme, f.fte, p0.ci_low if p0 and primary_shown else None,
                                  p0.ci_high if p0 and primary_shown else None, indicative=f.indicative_only,
                                  no_estimate=reason, threshold=t), "answer")
    banners: list[Text] = []
    if prov:
        when = f" (figures as at {as_at:%-d %B %Y})" if as_at else ""
        banners.append(Text(
            f"**Provisional [p].** The follow-up and waiting period of the young people evaluated have not yet fully "
            f"passed{when}, so later {'offences' if f.fte else 'reoffences'} may still be proven and these figures "
            f"can change. They will be final in an extract dated {completion_date(f.end, fw, w):%-d %B %Y} or later.",
            "warning"))
    if primary_shown and f.poor_balance:
        banners.append(Text(f"**Poor balance.** After matching the groups still differ on at least one characteristic "
                            f"by {f.max_smd_after:.2f} standard deviations (acceptable: below {BALANCE_LIMIT:.2f}): "
                            "the comparison may be unfair.", "warning"))
    sections = [who_section(f, groups, t)]
    matched_ok = reason is None or primary_shown
    if f.n_matched_treated and f.balance.height:
        sections.append(balance_section(f, source))
    if f.outcomes and f.n_matched_treated:
        sections.append(outcomes_section(f, outcomes, naive_table(f, t, prov), before_after_table(f, t, prov), t))
        sections.append(time_section(f, t, source, matched_ok and f.n_matched_treated >= t))
        sens = sensitivity_section(f, outcomes)
        if sens is not None:
            sections.append(sens)
    sections.append(Section("Caveats", tuple(Text(c) for c in caveats(f)), "caveats"))
    period = f"{f.start:%-d %B %Y} to {f.end:%-d %B %Y}"
    title = f"{name}: does it work?"
    summary = _summary(f, params, groups, outcomes, answer.text, primary_shown, complete)
    return Page(
        name=params.page_name, kind="evaluation", title=title,
        subtitle=(f"Referrals from {period}" if f.fte else f"Young people whose index date falls from {period}"),
        as_at=as_at, yot=params.yot_name, synthetic=synthetic, provisional=prov, answer=answer,
        banners=tuple(banners), sections=tuple(sections), threshold=t,
        settings=settings(params, as_at, ("Programme", name), ("Period", period),
                          ("Outcome", outcome_name(f.outcome, fw)),
                          ("Follow-up", f"{fw} months after the {'referral' if f.fte else 'index date'}"),
                          ("Waiting period", f"{w} months more for the offence to be proven"),
                          ("Matching", design_words(f.design, f.caliper))),
        summary=summary,
    )


def _summary(f: Figures, params: Params, groups: Table, outcomes: Table, answer: str, shown: bool,
             complete: bool) -> dict[str, Any]:
    """What the comparison page and the index take from this page: disclosure-safe, JSON-ready."""
    p0 = f.primary

    def count(column: str, row: int) -> int | None:
        return int(groups.frame.get_column(column)[row]) if _shown(groups, column, row) else None

    def per(value: float | None) -> float | None:
        return value if shown and value is not None else None

    design = {k: (list(v) if isinstance(v, tuple) else v) for k, v in f.design.items()
              if isinstance(v, str | int | float | bool | tuple | list) or v is None}
    return {
        "programme": f.programme, "title": label("programme", f.programme), "name": params.page_name,
        "outcome": f.outcome, "outcome_name": outcome_name(f.outcome, f.follow_up_months),
        "start": f.start.isoformat(), "end": f.end.isoformat(), "complete": complete,
        "treated": count("people", 0), "matched": count("matched", 0), "pool": count("people", 1),
        "effect": per(p0.difference if p0 else None), "ci_low": per(p0.ci_low if p0 else None),
        "ci_high": per(p0.ci_high if p0 else None), "p_value": per(p0.p_value if p0 else None),
        # the test was made even when its figures cannot be published: the comparison page counts it and
        # uses it in the Holm adjustment of the others, never shows it
        "tested": bool(p0 is not None and p0.p_value is not None),
        "p_value_for_adjustment": p0.p_value if p0 is not None else None,
        "adjusted_effect": per(p0.adjusted if p0 else None),
        "design": design, "design_text": design_words(f.design, f.caliper),
        "design_short": design_words(f.design, f.caliper, short=True),
        "suppressed": bool(f.n_matched_treated and not shown and _no_estimate_reason(f) is None),
        "max_smd_after": f.max_smd_after if f.n_matched_treated else None,
        "poor_balance": f.poor_balance, "indicative_only": f.indicative_only, "shown": shown,
        "answer": answer,
        "findings": [{"order": FINDING_ORDER, "text": answer}],
    }
