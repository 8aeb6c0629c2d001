"""The substance-misuse page: young people starting early intervention or treatment, and the share of
end reviews reporting reduced or stopped use, against the strategy's targets (METHODS.md "Targets
and verdicts"). Verdicts from :func:`yot.verdicts.substance_verdicts` (the one rule)."""

from __future__ import annotations

from pydantic import Field

from yot.dates import add_months, period_description, period_name
from yot.extract import Extract
from yot.labels import status_key
from yot.pages.base import PageParams, as_at_date, is_synthetic, settings
from yot.pages.model import Page, Section, Text
from yot.pages.verdict_tables import (
    findings,
    index_rows,
    sentences,
    shown,
    trajectory_chart,
    trend_hidden,
    trend_words,
    verdict_table,
)
from yot.pages.verdict_words import figure, signed_percent
from yot.pages.words import and_list
from yot.params import Mode, Period
from yot.verdicts import FINAL_AFTER_MONTHS, TargetPath, Verdict, substance_verdicts, trend


class Params(PageParams):
    page = "substance_misuse"
    years: list[int] = Field(default_factory=lambda: [2004, 2005, 2006, 2007], min_length=1)
    period: Period = "financial"
    starts_baseline_year: int = 2004
    starts_baseline_value: float = Field(280, ge=0)
    starts_change_per_year: float = Field(0.10, ge=-1, le=10)
    starts_mode: Mode = "relative"
    improvement_baseline_year: int = 2004
    improvement_baseline_value: float = Field(0.72, ge=0, le=1)
    improvement_change_per_year: float = Field(0.05, ge=-1, le=10)
    improvement_mode: Mode = "relative"


def verdicts(extract: Extract, params: Params) -> list[Verdict]:
    """Both substance-misuse targets' verdicts (the same rows ``yot targets`` prints)."""
    return substance_verdicts(
        extract, params.years, params.period, as_at_date(extract, params),
        starts=TargetPath(params.starts_baseline_year, params.starts_baseline_value, params.starts_change_per_year,
                          params.starts_mode),
        improvement=TargetPath(params.improvement_baseline_year, params.improvement_baseline_value,
                               params.improvement_change_per_year, params.improvement_mode),
    )


def _aim(change: float, mode: str, unit: str) -> str:
    if mode == "relative":
        return f"{signed_percent(change, trim=True)} a year"
    return f"{100 * change:+.1f} percentage points a year" if unit == "proportion" else f"{change:+,.0f} a year"


def baseline_words(rows: list[Verdict], what: str, shown_own: bool = True) -> Text:
    """The one baseline: the strategy's figure, the extract's own beside it (unless the table hides it)."""
    base = next(r for r in rows if r.status == "baseline" and r.year == r.baseline_year)
    published = figure(base.baseline, base.unit)
    if base.baseline_from_data is not None and not shown_own:
        return Text(f"The baseline of {what} is the strategy's figure for {base.period}, **{published}**, used for the "
                    "trajectory, every verdict and every test; this extract's own figure for that year rests on a count "
                    "too small to publish.")
    if base.baseline_from_data is None:
        return Text(f"The baseline of {what} is the strategy's figure for {base.period}, {published}; this extract has "
                    "no figure for that year to set beside it. The strategy's figure is used for the trajectory, every "
                    "verdict and every test.")
    own = figure(base.baseline_from_data, base.unit)
    if own == published:
        return Text(f"The baseline of {what} is the strategy's figure for {base.period}, {published}; this extract gives "
                    "the same.")
    return Text(f"The baseline of {what} is the strategy's figure for {base.period}, **{published}**. This extract gives "
                f"{own} for the same year. **The strategy's {published} is used** for the trajectory, every verdict and "
                "every test; the extract's figure is shown for comparison.")


def _part(name: str, title: str, what: str, rows: list[Verdict], t: int, source: str, y_label: str,
          aim: str, definition: str) -> tuple[Section, object, object]:
    found = trend(rows)
    years = f"{rows[0].period} to {rows[-1].period}"
    table_ = verdict_table(f"{name}_target_verdicts", f"{title}: the verdict of each year, {years}", rows, t)
    section = Section(title, (
        Text(trend_words(found, trend_hidden(table_, rows)), "finding"),
        Text(f"The target: {aim} from the baseline. {definition}"),
        baseline_words(rows, what, shown(table_, next(i for i, r in enumerate(rows)
                                                     if r.status == "baseline" and r.year == r.baseline_year))), table_,
        trajectory_chart(f"{name}_trajectory", f"{title} against the target path", table_, rows, source,
                         y_label=y_label),
        *sentences(table_, rows),
    ), name.replace("_", "-"))
    return section, table_, found


def build(extract: Extract, params: Params) -> Page:
    """The substance-misuse page."""
    t = params.disclosure_threshold
    as_at = as_at_date(extract, params)
    rows = verdicts(extract, params)
    starts = [r for r in rows if r.target == "substance_starts"]
    improvement = [r for r in rows if r.target == "substance_improvement"]
    synthetic = is_synthetic(extract)
    source = Page(params.page_name, "substance_misuse", "", "", as_at, params.yot_name, synthetic).source
    s_section, s_table, s_trend = _part(
        "substance_starts", "Young people starting substance-misuse work", "the number starting", starts, t, source,
        "Young people starting", _aim(params.starts_change_per_year, params.starts_mode, "count"),
        "A young person who starts two episodes of early intervention or treatment in one year is counted once.")
    i_section, i_table, i_trend = _part(
        "substance_improvement", "End reviews reporting reduced or stopped use", "the share improving", improvement, t,
        source, "Reduced or stopped use (%)",
        _aim(params.improvement_change_per_year, params.improvement_mode, "proportion"),
        "At the end of an intervention the young person's use is reviewed; every end review dated in the year counts, "
        "so a young person reviewed twice counts twice. The target is held at 100% if its path would pass it.")
    provisional = sorted({r.period for r in rows if r.status == "provisional"})
    banners = []
    if provisional:
        last = max(r.end for r in rows if r.status == "provisional")
        banners.append(Text(
            f"**Provisional [p].** {and_list(provisional)} ended less than {FINAL_AFTER_MONTHS} months before the "
            f"extract date, so late records may still change the figures: not rated. Final in an extract dated "
            f"{add_months(last, FINAL_AFTER_MONTHS):%-d %B %Y} or later.", "warning"))
    sections = [s_section, i_section, Section("How to read the status", (Text(status_key(), "note"),), "status")]
    answer = Text(trend_words(s_trend, trend_hidden(s_table, starts)) + " "
                  + trend_words(i_trend, trend_hidden(i_table, improvement)), "answer")
    years = sorted({r.year for r in rows})
    return Page(
        name=params.page_name, kind="substance_misuse", title="Substance misuse: are we on track?",
        subtitle=f"Starts of substance-misuse early intervention or treatment and end-review outcomes, "
                 f"{period_name(params.period, years[0])} to {period_name(params.period, years[-1])} "
                 f"({period_description(params.period)})",
        as_at=as_at, yot=params.yot_name, synthetic=synthetic, provisional=False, answer=answer,
        banners=tuple(banners), sections=tuple(sections), threshold=t,
        settings=settings(
            params, as_at,
            ("Starts target", f"{_aim(params.starts_change_per_year, params.starts_mode, 'count')} from "
                              f"{params.starts_baseline_value:,.0f} in "
                              f"{period_name(params.period, params.starts_baseline_year)}"),
            ("End-review target", f"{_aim(params.improvement_change_per_year, params.improvement_mode, 'proportion')} "
                                  f"from {figure(params.improvement_baseline_value, 'proportion')} in "
                                  f"{period_name(params.period, params.improvement_baseline_year)}, at most 100%"),
            ("Rated", f"only years that ended at least {FINAL_AFTER_MONTHS} months before the extract date")),
        summary={
            "index_rows": index_rows(s_table, starts, "Young people starting substance-misuse work",
                                     f"{params.page_name}.html")
            + index_rows(i_table, improvement, "End reviews reporting reduced or stopped use", f"{params.page_name}.html"),
            "findings": findings(starts, s_table, s_trend, 30) + findings(improvement, i_table, i_trend, 32),
            "status_key": status_key(),
        },
    )
