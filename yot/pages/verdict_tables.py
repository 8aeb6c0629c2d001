"""The published forms of the target verdicts, shared by the targets, first-time-entrant and
substance-misuse pages: the verdict table (suppressed with its declared spec), the trajectory chart,
the trend table, the sentences of each period, and the rows and findings the index shows.

Everything is made from :class:`yot.verdicts.Verdict` rows (the one rule) and worded by
:mod:`yot.pages.verdict_words` (the one status key).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from yot.disclosure import SuppressionSpec
from yot.labels import STATUS_WORDS, label
from yot.pages.model import Chart, Column, Table, Text, table
from yot.pages.verdict_words import figure, trend_sentence, verdict_sentence
from yot.verdicts import RATED, Trend, Verdict

_INFERENCE = ("change", "p_value", "p_on_target", "detectable_change")


def _frame(rows: Sequence[Verdict]) -> pl.DataFrame:
    data = {
        "period": [r.period for r in rows],
        "tier_label": [label("tier_title", r.tier) if r.tier else "All young people" for r in rows],
        "status_words": [STATUS_WORDS[r.status] for r in rows],
        "unit_words": [{"proportion": "%", "per_100k": "per 100,000", "count": "count"}[r.unit] for r in rows],
        "baseline": [r.baseline for r in rows],
        "target_value": [r.target_value for r in rows],
        "observed": [r.observed for r in rows],
        "ci_low": [r.ci_low for r in rows],
        "ci_high": [r.ci_high for r in rows],
        "numerator": [r.numerator for r in rows],
        "denominator": [r.denominator for r in rows],
        "change": [r.change for r in rows],
        "p_value": [r.p_value for r in rows],
        "p_on_target": [r.p_on_target for r in rows],
        "detectable_change": [r.detectable_change for r in rows],
        "provisional": [r.status == "provisional" for r in rows],
        "base_x": [r.baseline_numerator for r in rows],
        "base_n": [r.baseline_denominator for r in rows],
    }
    schema = {k: pl.String for k in ("period", "tier_label", "status_words", "unit_words")}
    schema.update({k: pl.Float64 for k in ("baseline", "target_value", "observed", "ci_low", "ci_high", "change",
                                           "p_value", "p_on_target", "detectable_change")})
    schema.update({k: pl.Int64 for k in ("numerator", "denominator", "base_x", "base_n")})
    schema["provisional"] = pl.Boolean
    return pl.DataFrame(data, schema=schema)


def _not_applicable(rows: Sequence[Verdict]) -> dict[str, list[bool]]:
    """Cells with no meaning: the target and the inference of a period that is not rated ([z])."""
    na = {c: [r.status not in RATED and (c != "change" or r.status == "baseline") for r in rows] for c in _INFERENCE}
    na["target_value"] = [r.target_value is None and r.status == "baseline" for r in rows]
    return na


def verdict_table(name: str, title: str, rows: Sequence[Verdict], threshold: int, *, by_tier: bool = False,
                  notes: Sequence[str] = ()) -> Table:
    """The verdicts of one target (and its tiers, one block per period, when ``by_tier``).

    Suppression: the counts are the numerator and denominator (FTE and starts: the count alone; the
    population is not a count of people in the table's sense); every figure of a row rests on them,
    the status too; a baseline taken from the extract's own baseline period (a tier) rests on that
    period's counts, and so does its target. Tier rows of one period add up to the whole cohort.
    """
    unit = rows[0].unit if rows else "proportion"
    units = {r.unit for r in rows}
    proportion = units == {"proportion"}
    counted = "denominator" if proportion else None
    counts = ("numerator", "denominator") if proportion else ("numerator",)
    rests = counts
    derived: dict[str, tuple[str, ...]] = {c: rests for c in ("observed", "ci_low", "ci_high", "change", "p_value",
                                                              "p_on_target", "status_words")}
    derived["detectable_change"] = (counted,) if counted else ()
    if any(r.baseline_source == "data" and r.baseline_numerator is not None for r in rows):
        base = ("base_x", "base_n") if proportion else ("base_x",)
        derived["baseline"] = base
        derived["target_value"] = base
        derived = {k: tuple(dict.fromkeys(v + (base if k in ("change", "status_words", "p_value", "p_on_target",
                                                              "detectable_change") else ())))
                   for k, v in derived.items()}
    frame = _frame(rows)
    kind = "percent" if proportion else "number"
    decimals = 1
    first = [Column("tier_label", "Tier"), Column("period", "Cohort" if rows and rows[0].target == "reoffending"
                                                   else "Year")] if by_tier else \
        [Column("period", "Cohort" if rows and rows[0].target == "reoffending" else "Year")]
    if proportion:
        figures = [
            Column("status_words", "Status"),
            Column("baseline", "Baseline (%)", kind), Column("target_value", "Target (%)", kind),
            Column("observed", "Figure (%)", kind), Column("ci_low", "95% interval from (%)", kind),
            Column("ci_high", "95% interval to (%)", kind),
            Column("numerator", "Reoffended" if rows[0].target == "reoffending" else "Reduced or stopped use", "count"),
            Column("denominator", "Young people" if rows[0].target == "reoffending" else "End reviews", "count"),
            Column("change", "Change from the baseline (percentage points)", "points"),
            Column("p_value", "Test against the baseline (p-value)", "pvalue"),
            Column("p_on_target", "Chance of being on target (%)", "percent", 0),
            Column("detectable_change", "Change that would show 8 times in 10 (percentage points)", "points"),
        ]
    else:
        noun = "First-time entrants" if rows and rows[0].target == "fte" else "Young people starting"
        figures = [
            Column("status_words", "Status"), Column("unit_words", "Unit"),
            Column("baseline", "Baseline", kind, 0), Column("target_value", "Target", kind, 0),
            Column("observed", "Figure", kind, 0), Column("ci_low", "95% interval from", kind, 0),
            Column("ci_high", "95% interval to", kind, 0), Column("numerator", noun, "count"),
            *([Column("denominator", "Population aged 10 to 17", "count")] if "per_100k" in units else []),
            Column("change", "Change from the baseline", "signed", 0),
            Column("p_value", "Test against the baseline (p-value)", "pvalue"),
            Column("p_on_target", "Chance of being on target (%)", "percent", 0),
            Column("detectable_change", "Change that would show 8 times in 10", "signed", 0),
        ]
    del unit, decimals
    spec = SuppressionSpec(
        counts=counts, derived=derived, columns_add_up=by_tier, blocks="period" if by_tier else None,
        complements={"numerator": "denominator"} if proportion else {},
    )
    return table(name, title, frame, [*first, *figures], spec, threshold=threshold, provisional="provisional",
                 not_applicable=_not_applicable(rows), notes=notes)


def shown(t: Table, i: int) -> bool:
    """Whether row ``i``'s figure is published (not hidden by disclosure control)."""
    return t.cell_status("observed", i) != "[c]"


def row_sentence(t: Table, rows: Sequence[Verdict], i: int, detail: bool = True) -> str:
    """The sentence of row ``i``, saying no more than the table shows of it."""
    return verdict_sentence(rows[i], shown(t, i), detail, baseline_shown=t.cell_status("baseline", i) != "[c]")


def sentences(t: Table, rows: Sequence[Verdict], *, rated_only: bool = False) -> list[Text]:
    """One sentence per period (or per rated period), from the same rows as the table."""
    return [Text(row_sentence(t, rows, i), "paragraph") for i, r in enumerate(rows)
            if not rated_only or r.status in RATED]


def trajectory_chart(name: str, title: str, t: Table, rows: Sequence[Verdict], source: str, *,
                     y_label: str, panels: bool = False) -> Chart:
    """Observed figures with 95% intervals against the target line (the baseline period on the line at
    the baseline), provisional points hollow; a hidden figure is left out."""
    percent = all(r.unit == "proportion" for r in rows)
    keys = list(dict.fromkeys(r.tier for r in rows))
    xs = {k: 0 for k in keys}
    data: dict[str, list[Any]] = {k: [] for k in ("panel", "x", "period", "observed", "low", "high", "target",
                                                  "status")}
    for i, r in enumerate(rows):
        show = shown(t, i)
        base_hidden = t.cell_status("baseline", i) == "[c]"
        data["panel"].append((label("tier_title", r.tier) if r.tier else "All young people") if panels else "")
        data["x"].append(float(xs[r.tier]))
        xs[r.tier] += 1
        data["period"].append(r.period)
        data["observed"].append(r.observed if show else None)
        data["low"].append(r.ci_low if show else None)
        data["high"].append(r.ci_high if show else None)
        aim = r.baseline if r.status == "baseline" and r.year == r.baseline_year else r.target_value
        data["target"].append(None if base_hidden else aim)
        data["status"].append(r.status)
    frame = pl.DataFrame(data, schema={"panel": pl.String, "x": pl.Float64, "period": pl.String,
                                       "observed": pl.Float64, "low": pl.Float64, "high": pl.Float64,
                                       "target": pl.Float64, "status": pl.String})
    described = []
    for r, obs, aim in zip(rows, frame["observed"], frame["target"], strict=True):
        part = f"{r.period}{' [p]' if r.status == 'provisional' else ''}: {figure(obs, r.unit) if obs is not None else '[c] or no data'}"
        if aim is not None:
            part += f" (target {figure(aim, r.unit)})"
        described.append(part)
    alt = (f"Chart of {title.lower()}: each period's figure with its 95% interval against the dashed target line. "
           + "; ".join(described) + ".")
    return Chart(name, "target_trend", title, frame, alt, source,
                 {"percent": percent, "y_label": y_label, "target_label": "Target trajectory"})


def trend_hidden(t: Table, rows: Sequence[Verdict], tier: str | None | bool = False) -> bool:
    """Whether a trend rests on a figure the table hides (``rows`` are the table's, in its order; ``tier``
    picks one tier's rows): with the other periods shown, the trend would let a reader work the hidden
    count out, so it is not published either."""
    return any(r.final and r.numerator is not None and r.year >= r.baseline_year and not shown(t, i)
               for i, r in enumerate(rows) if tier is False or r.tier == tier)


def trend_words(found: Trend, hidden: bool) -> str:
    """The trend sentence, or why it is not published."""
    if hidden and found.change_per_year is not None:
        from yot.pages.verdict_words import subject

        return (f"The trend of {subject(found.target, found.tier)} is not published: it rests on a count too small to "
                "publish ([c]).")
    return trend_sentence(found)


def trend_table(name: str, title: str, found: Sequence[tuple[Trend, bool]], threshold: int) -> Table:
    """The trend of each target (and tier): periods used, change a year with its interval, target's.
    A trend resting on a hidden figure (``True`` beside it) is ``[c]``."""
    trends_ = [f for f, _ in found]
    frame = pl.DataFrame({
        "what": [label("tier_title", t.tier) if t.tier else label("target", t.target) for t in trends_],
        "span": [f"{t.first_period} to {t.last_period}" if t.first_period else "" for t in trends_],
        "periods": [t.periods for t in trends_],
        "change": [t.change_per_year for t in trends_],
        "low": [t.ci_low for t in trends_],
        "high": [t.ci_high for t in trends_],
        "aim": [t.target_change_per_year for t in trends_],
        "rests_on_hidden": [1 if hidden else None for _, hidden in found],
    }, schema={"what": pl.String, "span": pl.String, "periods": pl.Int64, "change": pl.Float64, "low": pl.Float64,
               "high": pl.Float64, "aim": pl.Float64, "rests_on_hidden": pl.Int64})
    hidden_ = ("rests_on_hidden",)
    return table(name, title, frame, [
        Column("what", "Target"), Column("span", "Final periods"), Column("periods", "Number of periods", "year"),
        Column("change", "Average change a year (%)", "points"), Column("low", "95% interval from (%)", "points"),
        Column("high", "95% interval to (%)", "points"), Column("aim", "Target's change a year (%)", "points"),
    ], SuppressionSpec(counts=hidden_, derived={"change": hidden_, "low": hidden_, "high": hidden_},
                       columns_add_up=False),
        threshold=threshold)


def index_rows(t: Table, rows: Sequence[Verdict], name: str, href: str) -> list[dict[str, Any]]:
    """The index's rows of one target: its latest rated period, and its latest provisional period
    when that is newer; figures as the table shows them (suppressed cells stay ``[c]``)."""
    rated = [i for i, r in enumerate(rows) if r.status in RATED]
    picks: list[int] = []
    if rated:
        picks.append(rated[-1])
    newer = [i for i, r in enumerate(rows) if r.status == "provisional" and (not rated or i > rated[-1])]
    if newer:
        picks.append(newer[-1])
    if not picks and rows:
        picks.append(len(rows) - 1)
    out = []
    for i in picks:
        r = rows[i]
        shown_cells = list(t.rows())[i]
        shown_cells[0] = shown_cells[0].replace(" [p]", "")
        cells = dict(zip([c.key for c in t.columns], shown_cells, strict=True))
        hidden = t.cell_status("status_words", i) == "[c]"
        observed = cells["observed"]
        if t.shown("observed", i) and r.ci_low is not None:
            observed += f" ({cells['ci_low']} to {cells['ci_high']})"
        if r.unit == "per_100k" and t.shown("observed", i):
            observed += " per 100,000"
        out.append({
            "target": name, "href": href, "status": "no_data" if hidden else r.status,
            "status_words": "[c]" if hidden else STATUS_WORDS[r.status],
            "period": r.period + (" [p]" if r.status == "provisional" else ""),
            "baseline": cells["baseline"] + (" per 100,000" if r.unit == "per_100k" and t.shown("baseline", i) else ""),
            "target_value": cells["target_value"] + (" per 100,000" if r.unit == "per_100k"
                                                     and t.shown("target_value", i) else ""),
            "observed": observed,
            "change": _change_cell(t, r, i),
        })
    return out


def _change_cell(t: Table, r: Verdict, i: int) -> str:
    from yot.pages.verdict_words import change_phrase

    if not t.shown("change", i) or r.change is None:
        return t.cell_status("change", i) or "[x]"
    return change_phrase(r)


def findings(rows: Sequence[Verdict], t: Table, found: Trend, order: int) -> list[dict[str, Any]]:
    """The index's findings of one target: its trend and its latest rated verdict, in words."""
    out = [{"order": order, "text": trend_words(found, trend_hidden(t, rows))}]
    rated = [i for i, r in enumerate(rows) if r.status in RATED]
    if rated:
        i = rated[-1]
        out.append({"order": order + 1, "text": row_sentence(t, rows, i, detail=False)})
    return out
