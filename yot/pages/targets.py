"""The reoffending target page: are we cutting reoffending by 5% a year? (METHODS.md "Targets and
verdicts", revised December 2026).

The page leads with the trend across the final cohorts (the primary answer), then the verdict of each
cohort (overall, then by tier) from :func:`yot.verdicts.reoffending_verdicts`, the trajectory chart,
and the words of each rated cohort. One baseline: the strategy's published figure; where the extract's
own baseline cohort differs, both are shown and the page says which is used.
"""

from __future__ import annotations

from pydantic import Field

from yot.cohort import completion_date
from yot.contract import TIER_ORDER
from yot.dates import period_description, period_name
from yot.extract import Extract
from yot.labels import label, status_key
from yot.pages.base import PageParams, as_at_date, is_synthetic, settings
from yot.pages.model import Page, Section, Text
from yot.pages.verdict_tables import (
    findings,
    index_rows,
    row_sentence,
    sentences,
    shown,
    trajectory_chart,
    trend_hidden,
    trend_table,
    trend_words,
    verdict_table,
)
from yot.pages.verdict_words import figure, signed_percent
from yot.pages.words import and_list
from yot.params import Mode, Period
from yot.verdicts import Trend, Verdict, reoffending_verdicts, trends


class Params(PageParams):
    page = "targets"
    cohort_years: list[int] = Field(default_factory=lambda: [2003, 2004, 2005, 2006, 2007, 2008], min_length=1)
    period: Period = "calendar"
    follow_up_months: int = Field(12, ge=1, le=120)
    waiting_months: int = Field(6, ge=0, le=60)
    baseline_year: int = 2003
    baseline_value: float = Field(0.282, ge=0, le=1)
    change_per_year: float = Field(-0.05, ge=-1, le=10)
    target_mode: Mode = "relative"
    targets_by_tier: bool = True
    tier_baselines: dict[str, float] | None = None
    annual_from_quarters: bool = False  # a year's figure as its four quarterly cohorts added together (MoJ)


def verdicts(extract: Extract, params: Params) -> list[Verdict]:
    """The reoffending verdicts of the page (the same rows ``yot targets`` prints)."""
    return reoffending_verdicts(
        extract, params.cohort_years, params.period, params.follow_up_months, params.waiting_months,
        as_at_date(extract, params), baseline_year=params.baseline_year, baseline_value=params.baseline_value,
        change_per_year=params.change_per_year, mode=params.target_mode, by_tier=params.targets_by_tier,
        tier_baselines=params.tier_baselines, annual_from_quarters=params.annual_from_quarters,
    )


def _aim_words(params: Params) -> str:
    if params.target_mode == "relative":
        return f"a {signed_percent(abs(params.change_per_year), trim=True).lstrip('+')} {'cut' if params.change_per_year < 0 else 'rise'} a year"
    return f"{abs(100 * params.change_per_year):.1f} percentage points {'less' if params.change_per_year < 0 else 'more'} a year"


def baseline_words(rows: list[Verdict], params: Params, shown_own: bool = True) -> Text:
    """The one baseline: the published figure, the extract's own figure beside it (unless the table
    hides it: ``shown_own``), which is used."""
    base = next(r for r in rows if r.tier is None and r.year == params.baseline_year)
    label_ = period_name(params.period, params.baseline_year)
    published = figure(base.baseline, "proportion")
    if base.baseline_from_data is not None and not shown_own:
        return Text(f"The baseline is the strategy's published figure for the {label_} cohort, **{published}**, used for "
                    f"the trajectory, every verdict and every test. This extract's own {label_} figure rests on a count "
                    "too small to publish.")
    if base.baseline_from_data is None:
        return Text(f"The baseline is the strategy's published figure for the {label_} cohort, {published}. This "
                    f"extract has no {label_} cohort to set beside it. The published figure is used for the trajectory, "
                    "every verdict and every test.")
    own = figure(base.baseline_from_data, "proportion")
    if own == published:
        return Text(f"The baseline is the strategy's published figure for the {label_} cohort, {published}; this extract "
                    f"gives the same ({own}). It is used for the trajectory, every verdict and every test.")
    return Text(f"The baseline is the strategy's published figure for the {label_} cohort, **{published}**. This extract "
                f"gives {own} for the same cohort (its records have been updated since). **The published {published} is "
                "used** for the trajectory, every verdict and every test; the extract's figure is shown for comparison.")


def tier_baseline_words(rows: list[Verdict], params: Params) -> Text:
    label_ = period_name(params.period, params.baseline_year)
    tiers = list(dict.fromkeys(r.tier for r in rows if r.tier))
    given = [t for t in tiers if any(r.tier == t and r.baseline_source == "parameter" for r in rows)]
    data = [t for t in tiers if t not in given]
    missing = [t for t in TIER_ORDER if t not in tiers]
    parts = ["Each tier has the same target: " + _aim_words(params) + " from its own baseline."]
    if given:
        parts.append(f"The baselines of the {and_list([label('tier_short', t) for t in given])} "
                     f"tier{'s' if len(given) > 1 else ''} are the strategy's figures.")
    if data:
        parts.append(f"The strategy published no baseline for the {and_list([label('tier_short', t) for t in data])} "
                     f"tier{'s' if len(data) > 1 else ''}, so {'their baselines are' if len(data) > 1 else 'its baseline is'} "
                     f"this extract's own {label_} figure{'s' if len(data) > 1 else ''}.")
    if missing:
        parts.append(f"No one in the {label_} cohort had a {and_list([label('tier_short', t) for t in missing])} "
                     "outcome, so that tier has no baseline and no target here.")
    return Text(" ".join(parts))


def _trend_of(found: list[Trend], tier: str | None) -> Trend:
    return next(t for t in found if t.tier == tier)


def build(extract: Extract, params: Params) -> Page:
    """The reoffending targets page."""
    t = params.disclosure_threshold
    as_at = as_at_date(extract, params)
    rows = verdicts(extract, params)
    overall = [r for r in rows if r.tier is None]
    by_tier = [r for r in rows if r.tier is not None]
    found = trends(rows)
    main = _trend_of(found, None)
    synthetic = is_synthetic(extract)
    shell = Page(params.page_name, "targets", "", "", as_at, params.yot_name, synthetic)
    source = shell.source
    years = f"{overall[0].period} to {overall[-1].period}"
    table_all = verdict_table("reoffending_target_verdicts", f"Reoffending target: the verdict of each cohort, {years}",
                              overall, t)
    table_tier = (verdict_table("reoffending_target_verdicts_by_tier",
                                f"Reoffending target by tier: the verdict of each cohort, {years}", by_tier, t,
                                by_tier=True) if by_tier else None)
    hidden = {None: trend_hidden(table_all, overall)}
    for tier in dict.fromkeys(r.tier for r in by_tier):
        hidden[tier] = trend_hidden(table_tier, by_tier, tier)  # type: ignore[arg-type]
    provisional = [r for r in overall if r.status == "provisional"]
    banners = []
    if provisional:
        final_from = completion_date(provisional[-1].end, params.follow_up_months, params.waiting_months)
        banners.append(Text(
            f"**Provisional [p].** The {and_list([r.period for r in provisional])} "
            f"cohort{'s are' if len(provisional) > 1 else ' is'} not complete yet: reoffences may still be proven, so "
            f"{'their' if len(provisional) > 1 else 'its'} figures can rise and are not rated. All will be final in an "
            f"extract dated {final_from:%-d %B %Y} or later.", "warning"))
    sections = [
        Section("Are we cutting reoffending by 5% a year?" if params.target_mode == "relative"
                and abs(params.change_per_year + 0.05) < 1e-9 else "Is reoffending on its target path?", (
            Text("The trend is the average change a year across every final cohort from the baseline on, with its "
                 "95% interval. It is the main answer: one year's change at a YOT's size is smaller than a single "
                 "cohort can show reliably."),
            trend_table("reoffending_target_trends", "Reoffending: average change a year across the final cohorts",
                        [(x, hidden[x.tier]) for x in found], t),
        ), "trend"),
        Section("The verdict of each cohort", (
            baseline_words(rows, params, shown(table_all, next(i for i, r in enumerate(overall)
                                                               if r.year == params.baseline_year))), table_all,
            Text("**How to read the status:** " + status_key(), "note"),
        ), "verdicts"),
        Section("Against the target path", (
            trajectory_chart("reoffending_trajectory", "Reoffending rate against the target path", table_all, overall,
                             source, y_label=f"Reoffended within {params.follow_up_months} months (%)"),
        ), "trajectory"),
        Section("What each cohort shows", tuple(sentences(table_all, overall)), "words"),
    ]
    if table_tier is not None:
        tier_trends = [x for x in found if x.tier is not None]
        latest = []
        for tier in dict.fromkeys(r.tier for r in by_tier):
            idx = [i for i, r in enumerate(by_tier) if r.tier == tier and r.rated]
            if idx:
                latest.append(Text(row_sentence(table_tier, by_tier, idx[-1])))
        sections.append(Section("By tier", (
            tier_baseline_words(by_tier, params),
            *(Text(trend_words(x, hidden[x.tier])) for x in tier_trends),
            table_tier,
            trajectory_chart("reoffending_trajectory_by_tier", "Reoffending rate by tier against each target path",
                             table_tier, by_tier, source, y_label=f"Reoffended within {params.follow_up_months} months (%)",
                             panels=True),
            *latest,
        ), "tiers"))
    aim = _aim_words(params)
    summary = {
        "index_rows": index_rows(table_all, overall, "Proven reoffending", f"{params.page_name}.html"),
        "findings": findings(overall, table_all, main, 10),
        "status_key": status_key(),
    }
    return Page(
        name=params.page_name, kind="targets", title="Reoffending target: are we on track?",
        subtitle=f"Proven reoffending of each cohort, {years} ({period_description(params.period)}), against {aim} "
                 f"from the {period_name(params.period, params.baseline_year)} baseline",
        as_at=as_at, yot=params.yot_name, synthetic=synthetic, provisional=False,
        answer=Text(trend_words(main, hidden[None]), "answer"), banners=tuple(banners), sections=tuple(sections), threshold=t,
        settings=settings(params, as_at,
                          ("Baseline", f"{figure(params.baseline_value, 'proportion')}, the "
                                       f"{period_name(params.period, params.baseline_year)} cohort (the strategy's figure)"),
                          ("Target", f"{aim} ({params.target_mode})"),
                          ("How a year's figure is counted",
                           "the four quarterly cohorts of the year added together (the MoJ method since 2017; a "
                           "young person can count in more than one quarter)" if params.annual_from_quarters else
                           "one cohort for the year: each young person counted once, from their first index offence"),
                          ("Follow-up", f"{params.follow_up_months} months after the index date"),
                          ("Waiting period", f"{params.waiting_months} months more for the reoffence to be proven"),
                          ("Rated", "only cohorts whose follow-up and waiting period have passed")),
        summary=summary,
    )
