"""The page of one reoffending cohort: headline measures, who reoffended, how soon, and the change from
the previous cohort (METHODS.md "Index event and cohort", "Reoffences", "Measures")."""

from __future__ import annotations

from typing import Any

import polars as pl

from yot.cohort import completion_date, is_complete, reoffending
from yot.concentration import concentration, lorenz
from yot.dates import period_bounds, period_description, period_name
from yot.disclosure import SuppressionSpec
from yot.extract import Extract
from yot.labels import label
from yot.measures import DAY_BANDS, measures_by_year, measures_by_year_from_quarters, measures_table
from yot.pages.base import PageParams, as_at_date, is_synthetic, settings
from yot.pages.model import Chart, Column, Page, Section, Table, Text, format_value, table
from yot.pages.words import and_list, count_words
from yot.params import Period
from yot.stats import proportion_difference

MEASURE_COLUMNS = (
    Column("cohort_size", "Young people", "count"),
    Column("reoffenders", "Reoffended", "count"),
    Column("reoffences", "Reoffences", "count"),
    Column("binary_rate", "Reoffending rate (%)", "percent"),
    Column("ci_low", "95% interval from (%)", "percent"),
    Column("ci_high", "95% interval to (%)", "percent"),
    Column("frequency_rate", "Reoffences per young person", "number", 2),
    Column("reoffences_per_reoffender", "Reoffences per reoffender", "number", 2),
)
# Everything in a row rests on its reoffenders and cohort size: where either is [c], so is the rest
# (the reoffences and the frequency would otherwise narrow down a hidden count of reoffenders).
_DERIVED = {c: ("reoffenders", "cohort_size") for c in ("reoffences", "binary_rate", "ci_low", "ci_high",
                                                           "frequency_rate", "reoffences_per_reoffender")}
BAND_NAMES = {"0-90": "0 to 90 days", "91-180": "91 to 180 days", "181-270": "181 to 270 days",
              "271-365": "271 to 365 days", "366+": "366 days or more"}


class Params(PageParams):
    page = "reoffending_cohort"
    cohort_year: int = 2005
    period: Period = "calendar"
    follow_up_months: int = 12
    waiting_months: int = 6
    cohort_quarter: int | None = None  # with period quarter: 1 (January-March) to 4
    annual_from_quarters: bool = False  # the year's figure as four quarterly cohorts added together (MoJ)


def _rows(table_: pl.DataFrame, year: int, breakdown: str = "all") -> pl.DataFrame:
    return table_.filter((pl.col("year") == year) & (pl.col("breakdown") == breakdown))


def headline_table(row: pl.DataFrame, label_: str, provisional: bool, threshold: int) -> Table:
    frame = row.with_columns(cohort=pl.lit(label_), provisional=pl.lit(provisional))
    return table(
        "reoffending_{}_headline".format(label_.replace(" ", "_").replace("-", "_")),
        f"Headline measures, {label_} cohort", frame, [Column("cohort", "Cohort"), *MEASURE_COLUMNS],
        SuppressionSpec(counts=("cohort_size", "reoffenders"), derived=_DERIVED, columns_add_up=False,
                        complements={"reoffenders": "cohort_size"}),
        threshold=threshold, provisional="provisional",
    )


def breakdown_table(rows: pl.DataFrame, label_: str, threshold: int) -> Table:
    """Every breakdown stacked; each breakdown's groups add up to the whole cohort (blocks)."""
    frame = rows.with_columns(
        breakdown_label=pl.col("breakdown").map_elements(lambda b: label("breakdown_short", b), return_dtype=pl.String),
        group_label=pl.struct("breakdown", "group").map_elements(
            lambda r: label("tier_title" if r["breakdown"] == "tier" else r["breakdown"], r["group"]),
            return_dtype=pl.String),
    )
    return table(
        "reoffending_{}_breakdowns".format(label_.replace(" ", "_").replace("-", "_")),
        f"Who reoffended: the {label_} cohort by group", frame,
        [Column("breakdown_label", "Breakdown"), Column("group_label", "Group"), *MEASURE_COLUMNS],
        SuppressionSpec(counts=("cohort_size", "reoffenders"), derived=_DERIVED, columns_add_up=True,
                        blocks="breakdown_label", complements={"reoffenders": "cohort_size"}),
        threshold=threshold,
    )


def breakdown_chart(t: Table, label_: str, f: int, source: str) -> Chart:
    """Bars of each group's rate with its interval, one panel per breakdown, all on one scale."""
    frame = t.frame
    shown = [t.shown("binary_rate", i) for i in range(frame.height)]
    data = pl.DataFrame({
        "panel": frame["breakdown_label"], "group": frame["group_label"],
        "rate": [r if s else None for r, s in zip(frame["binary_rate"], shown, strict=True)],
        "low": [r if s else None for r, s in zip(frame["ci_low"], shown, strict=True)],
        "high": [r if s else None for r, s in zip(frame["ci_high"], shown, strict=True)],
        "label": [None if s else (t.cell_status("binary_rate", i) or "") for i, s in enumerate(shown)],
    }).filter(pl.col("group").is_not_null())
    described = [f"{g} {format_value(r, 'percent')}" for g, r in zip(data["group"], data["rate"], strict=True)
                 if r is not None]
    hidden = data.filter(pl.col("rate").is_null())["group"].to_list()
    alt = (f"Bar charts of the share of each group of the {label_} cohort who reoffended within {f} months, with "
           f"95% intervals, by tier, sex, age band and ethnic group: {'; '.join(described)}."
           + (f" Not shown ([c] or no one in the group): {', '.join(hidden)}." if hidden else ""))
    return Chart("breakdowns", "group_bars", f"Who reoffended: the {label_} cohort", data, alt, source,
                 {"x_label": f"Share with a proven reoffence within {f} months, with its 95% interval"})


def bands_table(row: dict[str, Any], label_: str, f: int, threshold: int) -> Table:
    bands = [(BAND_NAMES[b], row["days_" + b.replace("-", "_").replace("+", "_plus")]) for b, _, _ in DAY_BANDS]
    if f <= 12 and bands[-1][1] == 0:
        bands = bands[:-1]  # nobody can be past day 365 of a 12-month follow-up
    frame = pl.DataFrame({"band": [b for b, _ in bands], "reoffenders": [n for _, n in bands]},
                         schema={"band": pl.String, "reoffenders": pl.Int64})
    return table("reoffending_{}_time_to_first_reoffence".format(label_.replace(" ", "_").replace("-", "_")),
                 f"Time to first reoffence, {label_} cohort", frame,
                 [Column("band", "Time from the index date to the first reoffence"),
                  Column("reoffenders", "Young people who reoffended", "count")],
                 SuppressionSpec(counts=("reoffenders",), columns_add_up=True), threshold=threshold)


def bands_chart(t: Table, label_: str, source: str) -> Chart:
    data = pl.DataFrame({
        "category": t.frame["band"],
        "count": [n if t.shown("reoffenders", i) else None for i, n in enumerate(t.frame["reoffenders"])],
        "label": [format_value(n, "count") if t.shown("reoffenders", i) else t.cell_status("reoffenders", i)
                  for i, n in enumerate(t.frame["reoffenders"])],
    })
    alt = (f"Bar chart of how soon the {label_} cohort's reoffenders first reoffended: "
           + "; ".join(f"{c}: {lab}" for c, lab in zip(data["category"], data["label"], strict=True)) + ".")
    return Chart("time_to_first_reoffence", "count_bars", f"How soon young people reoffended: the {label_} cohort",
                 data, alt, source, {"x_label": "Time from the index date to the first proven reoffence",
                                      "y_label": "Young people (reoffenders)"})


def compare_previous(this: dict[str, Any], before: dict[str, Any], label_: str, prev: str, p: str, prev_p: str,
                     threshold: int, f: int, source: str) -> list[Text | Chart]:
    """This cohort's rate against the previous one, in words whose direction and size come from the
    figures shown (points = difference of the rounded rates)."""
    if before["cohort_size"] == 0:
        return [Text(f"There is no {prev} cohort in this extract, so there is no previous year to compare with.")]
    small = [n for r in (this, before) for n in (r["reoffenders"], r["cohort_size"] - r["reoffenders"])]
    if any(1 <= n < threshold for n in small):
        return [Text(f"The cohorts are too small to compare without revealing counts below {threshold}.")]
    diff, low, high, p_value = proportion_difference(this["reoffenders"], this["cohort_size"], before["reoffenders"],
                                                     before["cohort_size"])
    a, b = format_value(this["binary_rate"], "percent"), format_value(before["binary_rate"], "percent")
    points = round(float(a[:-1]) - float(b[:-1]), 1)
    if points == 0:
        change = f"the same as the {prev} rate{prev_p} ({b})"
    else:
        change = (f"**{abs(points):.1f} percentage points {'lower' if points < 0 else 'higher'}** than the {prev} "
                  f"rate{prev_p} ({b})")
    assert p_value is not None and low is not None and high is not None and diff is not None
    chance = (f"a difference this large is unlikely to be chance alone ({_p(p_value)})" if p_value < 0.05 else
              f"the difference could well be chance ({_p(p_value)}): the data do not show a real change")
    data = pl.DataFrame({"category": [prev + prev_p, label_ + p], "rate": [before["binary_rate"], this["binary_rate"]],
                         "low": [before["ci_low"], this["ci_low"]], "high": [before["ci_high"], this["ci_high"]]})
    chart = Chart("previous", "compare_bars", f"Reoffending rate: the {label_} cohort against {prev}", data,
                  f"Bar chart: {prev} cohort {b} reoffended, {label_} cohort {a}, each with its 95% interval.", source,
                  {"x_label": "Cohort", "y_label": f"Reoffended within {f} months (%)"})
    return [chart, Text(
        f"The {label_} rate{p} ({a}) is {change}; the 95% interval of the difference runs from "
        f"{format_value(low, 'points')} to {format_value(high, 'points')} points, so {chance}.")]


# ------------------------------------------------------------------------------------- concentration
TOP_NAMES = {0.05: "5%", 0.10: "10%", 0.20: "20%"}
BASE_NAMES = {"cohort": "Whole cohort", "reoffenders": "Young people who reoffended"}


def _small(count: int, threshold: int) -> bool:
    return 1 <= count < threshold


def concentration_table(members: pl.DataFrame, label_: str, threshold: int) -> Table:
    """The most prolific 5%, 10% and 20% of the cohort and of its reoffenders, with the counts behind
    them (yot.concentration); each count and what it leaves of its group are protected."""
    frame = concentration(members).with_columns(
        group=pl.col("base").replace_strict(BASE_NAMES, return_dtype=pl.String),
        top=pl.col("top_share").replace_strict(TOP_NAMES, return_dtype=pl.String))
    return table(
        "reoffending_{}_concentration".format(label_.replace(" ", "_").replace("-", "_")),
        f"How concentrated reoffending is: the {label_} cohort", frame,
        [Column("group", "Group"), Column("top", "Most prolific"), Column("base_people", "Young people in the group", "count"),
         Column("people", "Most prolific young people", "count"), Column("reoffences", "Their reoffences", "count"),
         Column("all_reoffences", "All reoffences of the group", "count"),
         Column("share_of_reoffences", "Share of all reoffences (%)", "percent")],
        SuppressionSpec(counts=("base_people", "people", "reoffences", "all_reoffences"),
                        derived={"share_of_reoffences": ("people", "reoffences")}, columns_add_up=False,
                        complements={"people": "base_people", "reoffences": "all_reoffences"}),
        threshold=threshold)


def lorenz_points(members: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """The concentration curve of both groups at 5%, 10%, 20%, ... 100% of the people, with a point
    left out (share null) where its people or reoffences, what they leave of the group, or the rise
    from the last point shown is from 1 to ``threshold - 1``."""
    frame = lorenz(members)
    rows = []
    for base in ("cohort", "reoffenders"):
        last = (0, 0)
        for r in frame.filter(pl.col("base") == base).iter_rows(named=True):
            counts = (r["people"], r["reoffences"], r["base_people"] - r["people"], r["all_reoffences"] - r["reoffences"],
                      r["people"] - last[0], r["reoffences"] - last[1])
            ok = r["share_of_reoffences"] is not None and not any(_small(c, threshold) for c in counts)
            if ok:
                last = (r["people"], r["reoffences"])
            rows.append({"series": BASE_NAMES[base], "people_share": r["top_share"],
                         "share": r["share_of_reoffences"] if ok else None})
    return pl.DataFrame(rows, schema={"series": pl.String, "people_share": pl.Float64, "share": pl.Float64})


def concentration_blocks(members: pl.DataFrame, label_: str, threshold: int, source: str) -> tuple[Text | Table | Chart, ...]:
    """The section's words, chart and table; a sentence is written only from figures the table shows."""
    t = concentration_table(members, label_, threshold)
    frame = t.frame
    i = next(k for k in range(frame.height) if frame["base"][k] == "cohort" and frame["top_share"][k] == 0.10)
    j = next(k for k in range(frame.height) if frame["base"][k] == "reoffenders" and frame["top_share"][k] == 0.20)
    words = []
    for k, who in ((i, "the whole cohort"), (j, "those who reoffended")):
        if all(t.shown(c, k) for c in ("people", "reoffences", "all_reoffences", "share_of_reoffences")):
            words.append(f"the most prolific {frame['top'][k]} of {who} ({frame['people'][k]:,} young people) committed "
                         f"**{format_value(frame['share_of_reoffences'][k], 'percent')}** of the cohort's reoffences "
                         f"({frame['reoffences'][k]:,} of {frame['all_reoffences'][k]:,})")
    if frame["all_reoffences"][0] == 0:
        text = "Nobody in this cohort reoffended within the follow-up, so there is no concentration to show."
    elif words:
        text = ("Reoffending is concentrated in a few young people: " + "; ".join(words) + ". ")
    else:
        text = f"The cohort is too small to show how concentrated its reoffending is without revealing counts below {threshold}. "
    text += ("The most prolific 5% of a group are the young people with the most reoffences, counting 5% of the "
             "group rounded up to a whole person (10% and 20% likewise); which of two young people with the same "
             "number of reoffences is counted changes no figure.")
    points = lorenz_points(members, threshold)
    shown = points.filter(pl.col("share").is_not_null())
    alt = ("Line chart of the share of all reoffences committed by the most prolific young people, for the whole "
           f"cohort and for those who reoffended: " + "; ".join(
               f"{s}, top {format_value(x, 'percent', 0)}: {format_value(y, 'percent')}"
               for s, x, y in shown.iter_rows()) + ".") if shown.height else "No point of the curve can be shown."
    chart = Chart("concentration", "lorenz", f"How concentrated reoffending is: the {label_} cohort", points, alt, source)
    return (Text(text), chart, t) if frame["all_reoffences"][0] else (Text(text),)


def _p(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}" if p_value < 0.01 else f"p = {p_value:.2f}"


def build(extract: Extract, params: Params) -> Page:
    """The page of the cohort of ``params.cohort_year``."""
    t, f, w = params.disclosure_threshold, params.follow_up_months, params.waiting_months
    as_at = as_at_date(extract, params)
    year, quarter = params.cohort_year, params.cohort_quarter
    if params.period == "quarter" and quarter is not None:
        start, end = period_bounds("quarter", year, quarter)
        label_ = period_name("quarter", year, quarter)
        py, pq = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        prev = period_name("quarter", py, pq)
        measures = measures_table(extract, [(prev, *period_bounds("quarter", py, pq)), (label_, start, end)], f, w,
                                  as_at).with_columns(year=pl.when(pl.col("period") == label_).then(year)
                                                      .otherwise(year - 1).cast(pl.Int64))
    else:
        start, end = period_bounds(params.period, year)
        label_ = period_name(params.period, year)
        prev = period_name(params.period, year - 1)
        by_year = measures_by_year_from_quarters if params.annual_from_quarters else measures_by_year
        measures = by_year(extract, [year - 1, year], params.period, f, w, as_at)
    quarters = params.annual_from_quarters and not (params.period == "quarter" and quarter is not None)
    method = ("the four quarterly cohorts of the year added together (the MoJ method since 2017): each quarter's "
              "young people are followed from their own index offence in that quarter, so a young person can "
              "count in more than one quarter" if quarters else
              "one cohort for the whole period: each young person counted once, from their first index offence in it")
    complete = is_complete(end, as_at, f, w)
    p = "" if complete else " [p]"
    synthetic = is_synthetic(extract)
    shell = Page(params.page_name, "cohort", "", "", as_at, params.yot_name, synthetic)
    source = shell.source
    head = _rows(measures, year)
    h = head.row(0, named=True)
    banners = [] if complete else [Text(
        f"**Provisional [p].** The follow-up and waiting period of the {label_} cohort have not yet fully passed "
        f"(figures as at {as_at:%-d %B %Y}), so later reoffences may still be proven and these figures can rise. "
        f"They will be final in an extract dated {completion_date(end, f, w):%-d %B %Y} or later.", "warning")]
    sections: list[Section] = []
    answer = None
    if h["cohort_size"] == 0:
        answer = Text(f"No data: no young person in this extract has an index date in {label_}, so there is no "
                      "cohort to count. The extract may not cover this period.", "answer")
    else:
        headline = headline_table(head, label_, not complete, t)
        shown = headline.shown("binary_rate", 0)
        if shown:
            answer = Text(
                f"**{format_value(h['binary_rate'], 'percent')}** of the {label_} cohort{p} reoffended within {f} months "
                f"(95% interval {format_value(h['ci_low'], 'percent')} to {format_value(h['ci_high'], 'percent')}): "
                f"{h['reoffenders']:,} of {h['cohort_size']:,} young people"
                + (" (counted once for each quarter of the year they were in the cohort)." if quarters else "."),
                "answer")
            per = h["reoffences_per_reoffender"]
            detail = Text(
                f"Between them they committed {h['reoffences']:,} proven reoffences: "
                f"**{format_value(h['frequency_rate'], 'number', 2)} per young person** in the cohort (the frequency "
                "rate)" + (f", or {format_value(per, 'number', 2)} for each young person who reoffended." if per else "."))
        else:
            answer = Text(f"The {label_} cohort is too small to publish its reoffending rate (a count is below {t}).",
                          "answer")
            detail = Text("The table shows what can be published.")
        sections.append(Section("Headline measures", (
            Text("The cohort is every young person aged 10 to 17 whose proven offence outcome (or release from "
                 "custody) falls in the period. A **reoffence** is a further proven offence, other than a breach, "
                 f"committed within {f} months and proven within {f + w} months of the index date."
                 + (f" The figures are {method}." if quarters else "")),
            headline, detail), "headline"))
        groups = measures.filter((pl.col("year") == year) & (pl.col("breakdown") != "all"))
        by = breakdown_table(groups, label_, t)
        hidden = sorted({by.frame["group_label"][i] for i in range(by.frame.height)
                         if not by.shown("binary_rate", i) and by.frame["cohort_size"][i] > 0})
        sections.append(Section("Who reoffended", (
            breakdown_chart(by, label_, f, source), by,
            Text("Each bar is the share of that group who reoffended; the black line is its 95% interval. Where the "
                 "lines of two groups overlap a lot, the data cannot show that the groups really differ. "
                 + (f"Not shown, because a count is below {t}: {and_list(hidden)} ([c]). " if hidden else "")
                 + "A group with nobody in it has no rate ([z])."),
        ), "groups"))
        if h["reoffenders"] == 0:
            sections.append(Section("How soon they reoffended", (Text(
                "Nobody in this cohort reoffended within the follow-up, so there is no time to first reoffence."),)))
        else:
            bands = bands_table(h, label_, f, t)
            median = (f" Half of those who reoffended had done so within **{h['days_median']:.0f} days**."
                      if h["reoffenders"] >= t else "")
            sections.append(Section("How soon they reoffended", (
                bands_chart(bands, label_, source), bands,
                Text("Counted from the index date (the outcome date, or the release date after custody) to the date "
                     "the first reoffence was committed." + median)), "soon"))
        members = reoffending(extract, start, end, f, w)
        sections.append(Section("How concentrated reoffending is", concentration_blocks(
            members, label_, t, source) + ((Text(
                "Counted on the cohort of the whole period, each young person once."),) if quarters else ()),
            "concentration"))
        before = _rows(measures, year - 1).row(0, named=True)
        prev_p = "" if before["complete"] else " [p]"
        sections.append(Section("Compared with the previous cohort", tuple(
            compare_previous(h, before, label_, prev, p, prev_p, t, f, source)), "previous"))
    return Page(
        name=params.page_name, kind="cohort", title=f"Proven reoffending: the {label_} cohort",
        subtitle=f"Young people whose index date falls from {start:%-d %B %Y} to {end:%-d %B %Y} "
                 f"({period_description(params.period)})",
        as_at=as_at, yot=params.yot_name, synthetic=synthetic, provisional=not complete, answer=answer,
        banners=tuple(banners), sections=tuple(sections), threshold=t,
        settings=settings(params, as_at, ("Cohort", label_), ("How the figure is counted", method),
                          ("Follow-up", f"{f} months after the index date"),
                          ("Waiting period", f"{w} months more for the reoffence to be proven")),
        summary={"cohort": label_, "year": year, "quarter": quarter, "annual_from_quarters": quarters,
                 "complete": complete,
                 "cohort_size": None if h["cohort_size"] == 0 else count_words(h["cohort_size"], t)},
    )
