"""How the YOT compares (METHODS.md "Comparisons"): its proven reoffending rate beside its family
(statistical neighbours), its region and England, its rank and quartile in its family, a funnel plot
against every YOT compared, and the published figure for the YOT itself beside the one the suite
computes. When the extract holds no other area, the page says so plainly.

The notebook reads the whole extract (:meth:`~yot.pages.base.PageParams.whole_extract`): the other
YOTs' young people of a multi-YOT extract are the comparison, and the published ``comparators`` table
gives the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import polars as pl

from yot.cohort import is_complete
from yot.compare import LEVELS, Area, Comparison, compare, funnel_curve
from yot.dates import period_bounds, period_name
from yot.disclosure import SuppressionSpec
from yot.extract import Extract
from yot.pages.base import PageParams, as_at_date, is_synthetic, settings
from yot.pages.model import Chart, Column, Page, Section, Table, Text, format_value, table
from yot.pages.words import and_list
from yot.stats import wilson_interval

ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth"}
_SPEC = SuppressionSpec(counts=("cohort_size", "reoffenders"),
                        derived={c: ("reoffenders", "cohort_size") for c in ("rate", "ci_low", "ci_high")},
                        columns_add_up=False, complements={"reoffenders": "cohort_size"})


class Params(PageParams):
    page = "comparisons"
    period: Literal["calendar", "financial", "quarter"] = "calendar"
    year: int | None = None
    quarter: int | None = None
    family: list[str] | None = None
    follow_up_months: int = 12
    waiting_months: int = 6

    def extract(self) -> Extract:  # the whole extract: the other YOTs are the comparison
        return self.whole_extract()


def _period(kind: str, year: int, quarter: int | None) -> tuple[str, dt.date, dt.date]:
    q = quarter if kind == "quarter" else None
    return (period_name(kind, year, q), *period_bounds(kind, year, q))


def choose_period(extract: Extract, params: Params, as_at: dt.date | None) -> tuple[str, dt.date, dt.date]:
    """The suite's period, else the latest complete one of its kind, preferring one the comparators table
    has figures for."""
    if params.year is not None:
        return _period(params.period, params.year, params.quarter or 1)
    f, w = params.follow_up_months, params.waiting_months
    top = as_at.year if as_at else dt.date.today().year
    candidates = [_period(params.period, y, q) for y in range(top, top - 15, -1)
                  for q in ((4, 3, 2, 1) if params.period == "quarter" else (None,))]
    complete = [c for c in candidates if is_complete(c[2], as_at, f, w)]
    published = {(s, e) for s, e in extract.comparators.select("period_start", "period_end").iter_rows()}
    return next((c for c in complete if (c[1], c[2]) in published), complete[0] if complete else candidates[0])


WHAT = {"family": "Family of similar areas", "region": "Region", "england": "England"}


def _row(a: Area, what: str, source: str) -> dict:
    low, high = wilson_interval(a.reoffenders, a.cohort_size) if a.cohort_size else (None, None)
    return {"area": a.area, "what": what, "cohort_size": a.cohort_size, "reoffenders": a.reoffenders, "rate": a.rate,
            "ci_low": low, "ci_high": high, "source": source}


def areas_table(c: Comparison, yot: str, label_: str, threshold: int) -> Table:
    """The YOT (computed, and published when the table has it), its family, region and England."""
    rows = [_row(c.yot, "This youth offending team", "Computed from the extract")]
    if c.published is not None:
        rows.append(_row(c.published, "This youth offending team, as published", "Published figure"))
    for a in c.groups:
        rows.append(_row(a, WHAT[a.area_type], "Published figure" if a.source == "published"
                         else "Pooled from its youth offending teams"))
    frame = pl.DataFrame(rows, schema={"area": pl.String, "what": pl.String, "cohort_size": pl.Int64,
                                       "reoffenders": pl.Int64, "rate": pl.Float64, "ci_low": pl.Float64,
                                       "ci_high": pl.Float64, "source": pl.String})
    return table(f"comparisons_{label_.replace(' ', '_').replace('-', '_')}_areas",
                 f"Reoffending rate, {label_} cohort: {yot} beside its family, region and England", frame,
                 [Column("area", "Area"), Column("what", "What it is"), Column("cohort_size", "Young people", "count"),
                  Column("reoffenders", "Reoffended", "count"), Column("rate", "Reoffending rate (%)", "percent"),
                  Column("ci_low", "95% interval from (%)", "percent"), Column("ci_high", "95% interval to (%)", "percent"),
                  Column("source", "Where the figure comes from")], _SPEC, threshold=threshold)


def family_table(c: Comparison, yot: str, label_: str, threshold: int) -> Table:
    """The family's YOTs from the lowest rate, with their ranks (ties share the lower rank)."""
    members = sorted((a for a in c.family_members if a.area in c.ranks), key=lambda a: (c.ranks[a.area], a.area))
    frame = pl.DataFrame({
        "rank": [c.ranks[a.area] for a in members],
        "area": [a.area + (" (this youth offending team)" if a.area == yot else "") for a in members],
        "cohort_size": [a.cohort_size for a in members], "reoffenders": [a.reoffenders for a in members],
        "rate": [a.rate for a in members],
        "ci_low": [wilson_interval(a.reoffenders, a.cohort_size)[0] for a in members],
        "ci_high": [wilson_interval(a.reoffenders, a.cohort_size)[1] for a in members],
    }, schema={"rank": pl.Int64, "area": pl.String, "cohort_size": pl.Int64, "reoffenders": pl.Int64,
               "rate": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64})
    return table(f"comparisons_{label_.replace(' ', '_').replace('-', '_')}_family",
                 f"{c.family_name}: youth offending teams from the lowest reoffending rate, {label_} cohort", frame,
                 [Column("rank", "Rank (1 = lowest rate)", "number", 0), Column("area", "Youth offending team"),
                  Column("cohort_size", "Young people", "count"), Column("reoffenders", "Reoffended", "count"),
                  Column("rate", "Reoffending rate (%)", "percent"), Column("ci_low", "95% interval from (%)", "percent"),
                  Column("ci_high", "95% interval to (%)", "percent")], _SPEC, threshold=threshold)


def _hidden(a: Area, threshold: int) -> bool:
    return any(1 <= x < threshold for x in (a.cohort_size, a.reoffenders, a.cohort_size - a.reoffenders))


def position(a: Area, c: Comparison) -> str:
    """Where a YOT sits on the funnel: ``well above``, ``above``, ``within``, ``below`` or ``well below``
    (outside the 99.8% limits, outside the 95% limits, inside both), from its counts."""
    from yot.compare import funnel_limits

    assert c.centre is not None
    for level, word in ((LEVELS["998"], "well "), (LEVELS["95"], "")):
        low, high = funnel_limits(a.cohort_size, c.centre, level)
        if a.reoffenders > high:
            return word + "above"
        if a.reoffenders < low:
            return word + "below"
    return "within"


def funnel_chart(c: Comparison, yot: str, label_: str, threshold: int, source: str) -> Chart:
    """Every YOT compared (not those a small count would reveal), the YOT highlighted and named, the others
    named only when outside the 99.8% limits."""
    assert c.centre is not None
    shown = [a for a in c.yots if a.cohort_size and not _hidden(a, threshold)]
    frame = pl.DataFrame({
        "area": [a.area for a in shown], "cohort_size": [a.cohort_size for a in shown],
        "rate": [a.rate for a in shown], "highlight": [a.area == yot for a in shown],
        "label": [a.area if a.area == yot or position(a, c).startswith("well") else None for a in shown],
    }, schema={"area": pl.String, "cohort_size": pl.Int64, "rate": pl.Float64, "highlight": pl.Boolean,
               "label": pl.String})
    top = max([a.cohort_size for a in shown] + [50])
    sizes = np.unique(np.linspace(5, top * 1.15, 200).astype(int))
    low95, high95 = funnel_curve(c.centre, sizes, LEVELS["95"])
    low998, high998 = funnel_curve(c.centre, sizes, LEVELS["998"])
    named = [a.area for a in shown if a.area != yot and position(a, c).startswith("well")]
    centre = f"{c.centre_source} {format_value(c.centre, 'percent')}"
    alt = (f"Funnel plot of the {label_} reoffending rate of {len(shown)} youth offending teams against their cohort "
           f"size, around {centre}, with 95% and 99.8% limits. {yot}: {format_value(c.yot.rate, 'percent')} of "
           f"{c.yot.cohort_size:,}, {position(c.yot, c)} the limits."
           + (f" Outside the 99.8% limits: {and_list(named)}." if named else ""))
    return Chart("funnel", "funnel", f"Reoffending rate against cohort size, {label_} cohort", frame, alt, source,
                 {"centre": c.centre, "sizes": sizes.tolist(), "low95": low95.tolist(), "high95": high95.tolist(),
                  "low998": low998.tolist(), "high998": high998.tolist(), "centre_label": centre,
                  "highlight_label": yot, "y_label": "Reoffended within 12 months (%)"})


def _answer(c: Comparison, yot: str, label_: str) -> str:
    rate = format_value(c.yot.rate, "percent")
    text = f"**{rate}** of {yot}'s {label_} cohort reoffended"
    if c.centre is not None:
        where = position(c.yot, c)
        against = f"{c.centre_source}'s {format_value(c.centre, 'percent')}" if c.centre_source == "England" else \
            f"the {format_value(c.centre, 'percent')} of all the youth offending teams compared"
        text += {"within": f": within the range chance alone would give around {against}",
                 "above": f": higher than {against}, above the 95% limit of the funnel plot",
                 "well above": f": higher than {against}, above even the 99.8% limit of the funnel plot",
                 "below": f": lower than {against}, below the 95% limit of the funnel plot",
                 "well below": f": lower than {against}, below even the 99.8% limit of the funnel plot"}[where]
    if c.rank is not None and c.quartile is not None and c.family_name:
        text += (f". It ranks **{c.rank} of {len(c.ranks)}** in its family ({c.family_name}; 1 = the lowest rate), "
                 f"in the {ORDINALS[c.quartile]} quarter")
    return text + "."


def published_blocks(c: Comparison, yot: str, label_: str) -> tuple[Text, ...]:
    """The published figure for the YOT beside the computed one, and the difference in points."""
    if c.published is None:
        return (Text(f"The comparators table has no published figure for {yot} itself for the {label_} cohort, so "
                     "the suite's figure cannot be checked against one."),)
    a, b = format_value(c.yot.rate, "percent"), format_value(c.published.rate, "percent")
    points = round(float(a[:-1]) - float(b[:-1]), 1) if c.published.rate is not None else None
    if points is None:
        return (Text(f"The published figure for {yot} has no cohort, so there is no rate to compare."),)
    diff = ("the same as the published figure" if points == 0 else
            f"{abs(points):.1f} percentage points {'higher' if points > 0 else 'lower'} than the published figure ({b})")
    return (Text(f"The suite's figure for {yot} ({a}, from {c.yot.cohort_size:,} young people) is {diff}"
                 + (f", which counted {c.published.cohort_size:,} young people" if points != 0 else f" ({b})")
                 + ". Published figures can differ from a YOT's own: they may come from another source (such as the "
                 "Police National Computer) or an earlier extract."),)


def build(extract: Extract, params: Params) -> Page:
    """The comparisons page of the suite's YOT for its period."""
    t, f, w = params.disclosure_threshold, params.follow_up_months, params.waiting_months
    yot = params.yot_name
    as_at = as_at_date(extract, params)
    synthetic = is_synthetic(extract)
    label_, start, end = choose_period(extract, params, as_at)
    c = compare(extract, yot, start, end, f, w, params.family)
    complete = is_complete(end, as_at, f, w)
    p = "" if complete else " [p]"
    shell = Page(params.page_name, "comparisons", "", "", as_at, yot, synthetic)
    sections: list[Section] = []
    banners = [] if complete else [Text(f"**Provisional [p].** The {label_} cohort is not yet complete, so its "
                                        "figures can still rise.", "warning")]
    summary: dict[str, object] = {"comparators": c.has_comparators, "cohort": label_}
    if not c.has_comparators:
        answer = Text(
            f"There are no comparators: this extract holds only {yot}'s young people, and no published figures of "
            f"other youth offending teams, a family, a region or England (the optional comparators table) for the "
            f"{label_} cohort. To compare, add a comparators table to the extract or run the suite on an extract of "
            "several youth offending teams.", "answer")
        sections.append(Section(f"{yot} on its own", (
            Text(f"{yot}'s own {label_} figure{p}, with nothing to set it beside:"), areas_table(c, yot, label_, t)),
            "own"))
    elif _hidden(c.yot, t):
        answer = Text(f"{yot}'s {label_} cohort is too small to compare without revealing a count below {t}.", "answer")
    else:
        answer = Text(_answer(c, yot, label_ + p), "answer")
        summary.update({"rate": c.yot.rate, "rank": c.rank, "of": len(c.ranks) or None, "quartile": c.quartile,
                        "findings": [{"order": 70, "text": _answer(c, yot, label_ + p).replace("**", "")}]})
        areas = areas_table(c, yot, label_, t)
        keep = [i for i in range(areas.frame.height) if areas.shown("rate", i)]
        data = pl.DataFrame({"category": [areas.frame["area"][i] + (" (published)" if "published" in
                                                                   areas.frame["what"][i] else "") for i in keep],
                             "rate": [areas.frame["rate"][i] for i in keep],
                             "low": [areas.frame["ci_low"][i] for i in keep],
                             "high": [areas.frame["ci_high"][i] for i in keep]})
        sections.append(Section("Beside its family, region and England", (
            Chart("areas", "compare_bars", f"Reoffending rate, {label_} cohort{p}", data,
                  "Bar chart of the reoffending rate: " + "; ".join(
                      f"{a} {format_value(r, 'percent')}" for a, r in zip(data["category"], data["rate"], strict=True))
                  + ".", shell.source, {"x_label": "Area", "y_label": f"Reoffended within {f} months (%)"}),
            areas,
            Text("A rate counts the young people of the cohort with a proven reoffence (not a breach) committed within "
                 f"{f} months and proven within {f + w} months. A family or region with no published figure is pooled "
                 "from its youth offending teams' figures (reoffenders added up over young people added up)."),
        ), "areas"))
        if c.family_name and c.ranks:
            fam = family_table(c, yot, label_, t)
            sections.append(Section("Its family of similar areas", (
                Text(f"{c.family_name}: {len(c.ranks)} youth offending teams, ranked from the lowest rate (1). "
                     "Teams with the same rate share the lower rank. The quarter is worked out from the rank: "
                     f"rank {c.rank} of {len(c.ranks)} is the {ORDINALS[c.quartile or 1]} quarter (1 = the lowest "
                     "rates). Rates close together may differ by chance alone: see the intervals."), fam), "family"))
        if c.centre is not None:
            outliers = [(a.area, position(a, c)) for a in c.yots if a.cohort_size and not _hidden(a, t)
                        and a.area != yot and position(a, c) != "within"]
            above = [n for n, pos in outliers if pos.endswith("above")]
            below = [n for n, pos in outliers if pos.endswith("below")]
            sections.append(Section("Funnel plot: every youth offending team compared", (
                funnel_chart(c, yot, label_, t, shell.source),
                Text(f"Each point is a youth offending team's {label_} rate against its cohort size. The lines are the "
                     f"range a team of that size would fall in by chance alone around the centre ({c.centre_source}, "
                     f"{format_value(c.centre, 'percent')}) 95 and 99.8 times in 100 (exact binomial limits). "
                     + (f"Above the 95% limit: {and_list(above)}. " if above else "")
                     + (f"Below the 95% limit: {and_list(below)}. " if below else "")
                     + "Only teams outside the 99.8% limits are named on the chart."),
            ), "funnel"))
        sections.append(Section("Published figure against the suite's", published_blocks(c, yot, label_), "published"))
    return Page(
        name=params.page_name, kind="comparisons", title=f"How {yot} compares: reoffending against other areas",
        subtitle=f"The {label_} cohort, from {start:%-d %B %Y} to {end:%-d %B %Y}", as_at=as_at, yot=yot,
        synthetic=synthetic, provisional=not complete, answer=answer, banners=tuple(banners), sections=tuple(sections),
        threshold=t,
        settings=settings(params, as_at, ("Cohort", label_),
                          ("Family", "the suite file's statistical neighbours: " + and_list(params.family)
                           if params.family else "from the comparators table"),
                          ("Funnel centre", "England's published rate when given, else all the teams compared pooled"),
                          ("Follow-up", f"{f} months after the index date"),
                          ("Waiting period", f"{w} months more for the reoffence to be proven")),
        summary=summary,
    )
