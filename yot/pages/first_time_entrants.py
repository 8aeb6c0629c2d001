"""The first-time-entrant page: young people entering the youth justice system for the first time, and
the YJB's target of 5% fewer by 2007-08 (METHODS.md "First-time entrants", "Targets and verdicts").

The verdicts come from :func:`yot.verdicts.fte_verdicts` (the one rule): rates per 100,000 aged 10 to
17 where the population is complete, counts where it is not; a year is rated once it ended at least 6
months before the extract date.
"""

from __future__ import annotations

import polars as pl
from pydantic import Field

from yot.dates import add_months, period_description, period_name
from yot.disclosure import SuppressionSpec
from yot.extract import Extract
from yot.fte import fte_summary
from yot.labels import label, status_key
from yot.pages.base import PageParams, as_at_date, is_synthetic, settings
from yot.pages.model import Column, Page, Section, Table, Text, table
from yot.pages.verdict_tables import (
    findings,
    index_rows,
    sentences,
    trajectory_chart,
    trend_hidden,
    trend_words,
    verdict_table,
)
from yot.pages.verdict_words import figure, signed_percent
from yot.pages.words import and_list, count_words
from yot.params import Mode, Period
from yot.verdicts import FINAL_AFTER_MONTHS, Verdict, fte_verdicts, trend


class Params(PageParams):
    page = "first_time_entrants"
    years: list[int] = Field(default_factory=lambda: [2004, 2005, 2006, 2007], min_length=1)
    period: Period = "financial"
    baseline_year: int = 2004
    change: float = Field(-0.05, ge=-1, le=10)
    by_year: int = 2007
    target_mode: Mode = "relative"


def verdicts(extract: Extract, params: Params) -> list[Verdict]:
    """The FTE verdicts of the page (the same rows ``yot targets`` prints)."""
    return fte_verdicts(extract, params.years, params.period, as_at_date(extract, params),
                        baseline_year=params.baseline_year, change=params.change, by_year=params.by_year,
                        mode=params.target_mode)


def _aim(params: Params) -> str:
    size = (signed_percent(abs(params.change), trim=True).lstrip("+") if params.target_mode == "relative"
            else f"{abs(params.change):,.0f}")
    way = "fewer" if params.change < 0 else "more"
    return (f"{size} {way} first-time entrants by {period_name(params.period, params.by_year)} than in "
            f"{period_name(params.period, params.baseline_year)}")


def baseline_words(rows: list[Verdict], params: Params, shown_baseline: bool) -> Text:
    base = next(r for r in rows if r.year == params.baseline_year)
    label_ = period_name(params.period, params.baseline_year)
    if base.baseline is None:
        return Text(f"The strategy published no first-time-entrant baseline figure and this extract has no {label_} "
                    "figures, so there is no baseline and no year can be rated.")
    if not shown_baseline:
        return Text(f"The strategy published no first-time-entrant baseline figure, so the baseline is this extract's "
                    f"own {label_} figure; it rests on a count too small to publish.")
    unit = ("a rate per 100,000 young people aged 10 to 17" if base.unit == "per_100k" else
            "a count (the population aged 10 to 17 is not complete for every year, so rates are not compared)")
    return Text(f"The strategy published no first-time-entrant baseline figure, so the baseline is this extract's own "
                f"{label_} figure, **{figure(base.baseline, base.unit)}**, used for the trajectory, every verdict and "
                f"every test. Years are compared as {unit}.")


BREAKDOWN_NAMES = {"sex": "Sex", "age": "Age", "ethnicity": "Ethnic group"}


def breakdown_table(extract: Extract, row: Verdict, threshold: int) -> Table:
    """Who the first-time entrants of one year are: by sex, single year of age and ethnic group, each
    with its own population and rate where the population table has one (none by ethnic group). Each
    breakdown adds up to the year's total."""
    summary = fte_summary(extract, row.start, row.end)
    records = []
    for breakdown, kind in (("sex", "sex"), ("age", None), ("ethnicity", "ethnicity")):
        for code, group in summary["by"][breakdown].items():
            records.append({"breakdown": BREAKDOWN_NAMES[breakdown], "group": label(kind, code) if kind else code,
                            "fte": group["fte"], "population": group["population"], "rate": group["rate_per_100k"],
                            "provisional": row.status == "provisional"})
    frame = pl.DataFrame(records, schema={"breakdown": pl.String, "group": pl.String, "fte": pl.Int64,
                                          "population": pl.Int64, "rate": pl.Float64, "provisional": pl.Boolean})
    return table(
        "fte_by_group", f"Who the first-time entrants of {row.period} are", frame,
        [Column("breakdown", "Breakdown"), Column("group", "Group"), Column("fte", "First-time entrants", "count"),
         Column("population", "Population aged 10 to 17", "count"), Column("rate", "Rate per 100,000", "number", 0)],
        SuppressionSpec(counts=("fte",), derived={"rate": ("fte",)}, columns_add_up=True, blocks="breakdown"),
        threshold=threshold, provisional="provisional",
        notes=("There is no population estimate by ethnic group, so ethnic groups have counts only ([x]).",),
    )


def build(extract: Extract, params: Params) -> Page:
    """The first-time-entrant page."""
    t = params.disclosure_threshold
    as_at = as_at_date(extract, params)
    rows = verdicts(extract, params)
    found = trend(rows)
    synthetic = is_synthetic(extract)
    source = Page(params.page_name, "first_time_entrants", "", "", as_at, params.yot_name, synthetic).source
    years = f"{rows[0].period} to {rows[-1].period}"
    verdict_t = verdict_table("fte_target_verdicts", f"First-time entrants: the verdict of each year, {years}", rows, t)
    base_i = next(i for i, r in enumerate(rows) if r.year == params.baseline_year)
    provisional = [r for r in rows if r.status == "provisional"]
    banners = []
    if provisional:
        final_from = add_months(provisional[-1].end, FINAL_AFTER_MONTHS)
        banners.append(Text(
            f"**Provisional [p].** {and_list([r.period for r in provisional])} ended less than {FINAL_AFTER_MONTHS} "
            f"months before the extract date, so late records may still change {'them' if len(provisional) > 1 else 'it'}: "
            f"not rated. Final in an extract dated {final_from:%-d %B %Y} or later.", "warning"))
    rates = any(r.unit == "per_100k" for r in rows)
    sections = [
        Section("Are first-time entrants falling as the target asks?", (
            Text("The trend is the average change a year across every final year from the baseline on, with its 95% "
                 "interval: one year's change alone is smaller than a YOT's numbers can show reliably."),
        ), "trend"),
        Section("The verdict of each year", (
            baseline_words(rows, params, verdict_t.shown("baseline", base_i)), verdict_t,
            Text("**How to read the status:** " + status_key(), "note"),
        ), "verdicts"),
        Section("Against the target path", (
            trajectory_chart("fte_trajectory", "First-time entrants against the target path", verdict_t, rows, source,
                             y_label="Per 100,000 aged 10 to 17" if rates else
                             "First-time entrants"),
        ), "trajectory"),
        Section("What each year shows", tuple(sentences(verdict_t, rows)), "words"),
    ]
    counted = [r for r in rows if r.numerator is not None]
    if counted:
        latest = counted[-1]
        p = " [p]" if latest.status == "provisional" else ""
        sections.append(Section("Who the first-time entrants are", (
            Text(f"In {latest.period}{p}, {count_words(latest.numerator, t)} young people aged 10 to 17 had their first "  # type: ignore[arg-type]
                 "proven offence. By sex, age on the day of that offence and ethnic group; rates use each group's "
                 "own population."),
            breakdown_table(extract, latest, t),
        ), "who"))
    return Page(
        name=params.page_name, kind="first_time_entrants", title="First-time entrants: are we on track?",
        subtitle=f"Young people aged 10 to 17 proven to have offended for the first time, {years} "
                 f"({period_description(params.period)}), against the target of {_aim(params)}",
        as_at=as_at, yot=params.yot_name, synthetic=synthetic, provisional=False,
        answer=Text(trend_words(found, trend_hidden(verdict_t, rows)), "answer"), banners=tuple(banners), sections=tuple(sections), threshold=t,
        settings=settings(params, as_at, ("Target", _aim(params) + f" ({params.target_mode}, spread evenly)"),
                          ("Baseline", f"{period_name(params.period, params.baseline_year)}, from the extract"),
                          ("Rated", f"only years that ended at least {FINAL_AFTER_MONTHS} months before the extract "
                                    "date")),
        summary={"index_rows": index_rows(verdict_t, rows, "First-time entrants", f"{params.page_name}.html"),
                 "findings": findings(rows, verdict_t, found, 20), "status_key": status_key()},
    )
