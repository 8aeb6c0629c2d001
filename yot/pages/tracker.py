"""The live tracker page (METHODS.md "Live tracking"): where the recent cohorts stand, month by month
since the index date, against the earlier complete cohorts at the same month, and the final rate each
is heading for. Every figure on it is provisional [p].

Disclosure: a cumulative count published month after month would give away, by subtraction, how many
young people first reoffended in one month. A month of a curve is published only when its count, the
rest of the cohort, and the rise since the last published month are each 0 or at least the threshold
(:func:`published_months`); the other months are [c], and so is a projection resting on a hidden month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from yot.cohort import is_complete
from yot.dates import period_bounds, period_description, period_name
from yot.disclosure import SuppressionSpec
from yot.extract import Extract
from yot.pages.base import PageParams, as_at_date, is_synthetic, settings
from yot.pages.model import Chart, Column, Page, Section, Table, Text, format_value, table
from yot.pages.words import and_list
from yot.params import Period
from yot.tracker import TrackerResult, months_observed, tracker


class Params(PageParams):
    page = "tracker"
    period: Period = "quarter"
    recent: int = 4
    earlier: int = 4
    follow_up_months: int = 12
    waiting_months: int = 6


def _periods_back(kind: str, on: dt.date, steps: int) -> list[tuple[str, dt.date, dt.date]]:
    """Periods of ``kind`` from the one containing (or ending before) ``on`` backwards, newest first."""
    out = []
    if kind == "quarter":
        index = on.year * 4 + (on.month - 1) // 3
        for i in range(steps):
            y, q = divmod(index - i, 4)
            out.append((period_name(kind, y, q + 1), *period_bounds(kind, y, q + 1)))
    else:
        for y in range(on.year, on.year - steps, -1):
            out.append((period_name(kind, y), *period_bounds(kind, y)))
    return out


def recent_cohorts(kind: str, as_at: dt.date, count: int, follow_up_months: int = 12, waiting_months: int = 6
                   ) -> list[tuple[str, dt.date, dt.date]]:
    """The ``count`` latest periods of ``kind`` with at least one month observed and not yet complete,
    oldest first."""
    found = [(name, s, e) for name, s, e in _periods_back(kind, as_at, 48)
             if months_observed(e, as_at, follow_up_months) >= 1
             and not is_complete(e, as_at, follow_up_months, waiting_months)]
    return list(reversed(found[:count]))


def cohort_name(start: dt.date, end: dt.date) -> str:
    """A reader's name for a tracked cohort: ``Jan-Mar 2009``, ``2009``, ``2009-10`` or its dates."""
    for kind in ("quarter",):
        q = (start.month - 1) // 3 + 1
        if start.day == 1 and start.month % 3 == 1 and (start, end) == period_bounds(kind, start.year, q):
            return period_name(kind, start.year, q)
    for kind in ("calendar", "financial", "october_december"):
        if (start, end) == period_bounds(kind, start.year):
            return period_name(kind, start.year)
    return f"{start:%-d %b %Y} to {end:%-d %b %Y}"


def _bad(count: int, threshold: int) -> bool:
    return 1 <= count < threshold


def published_months(counts: Sequence[int], n: int, threshold: int) -> list[bool]:
    """Which months of a cumulative curve may be published. The last month comes first (it is the one
    the page is about): it is published when its count and the rest of the cohort are each 0 or at least
    ``threshold``. Walking back, a month is published when, besides, the fall to it from the next
    published month is 0 or at least ``threshold``, so no subtraction of two published months gives a
    count from 1 to ``threshold - 1`` (and the first published count is itself a difference from 0)."""
    shown = [False] * len(counts)
    nxt = None
    for k in range(len(counts) - 1, -1, -1):
        c = counts[k]
        ok = not (_bad(c, threshold) or _bad(n - c, threshold) or (nxt is not None and _bad(nxt - c, threshold)))
        if ok:
            shown[k], nxt = True, c
    return shown


def _earlier_counts(result: TrackerResult, attr: str) -> tuple[list[int], int]:
    n = sum(c.cohort_size for c in result.earlier)
    months = result.follow_up_months
    return [sum(getattr(c, attr)[k] for c in result.earlier) for k in range(months)], n


def earlier_shown(r: TrackerResult, threshold: int) -> list[bool]:
    """Which months of the earlier cohorts' like-with-like share may be published (months 1 to m), by
    :func:`published_months` on their pooled counts (the others are [c])."""
    counts, n = _earlier_counts(r, "reoffenders")
    return published_months(counts[:r.months_observed], n, threshold) if n else [False] * r.months_observed


def standing_table(results: Sequence[tuple[str, TrackerResult]], threshold: int) -> tuple[Table, list[bool]]:
    """One row per recent cohort: size, months observed, reoffended so far, the earlier cohorts at the
    same month, and the projected final rate with its 95% interval."""
    rows, projection_shown = [], []
    for name, r in results:
        m = r.months_observed
        shown = published_months(r.reoffenders, r.cohort_size, threshold)
        ok = bool(shown) and shown[-1]
        before = earlier_shown(r, threshold)
        rows.append({"cohort": name, "cohort_size": r.cohort_size, "months": m,
                     "reoffenders": r.reoffenders[m - 1] if m else 0, "share": r.share(m) if m else None,
                     "earlier_share": r.earlier_share[m - 1] if m else None,
                     "earlier_hidden": bool(m) and not before[m - 1],
                     "projected": r.projected_final, "ci_low": r.ci_low, "ci_high": r.ci_high,
                     "hidden": not ok, "provisional": True})
        projection_shown.append(ok and r.projected_final is not None)
    frame = pl.DataFrame(rows, schema={"cohort": pl.String, "cohort_size": pl.Int64, "months": pl.Int64,
                                       "reoffenders": pl.Int64, "share": pl.Float64, "earlier_share": pl.Float64,
                                       "projected": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64,
                                       "hidden": pl.Boolean, "earlier_hidden": pl.Boolean,
                                       "provisional": pl.Boolean})
    derived = {c: ("reoffenders", "cohort_size") for c in ("share", "projected", "ci_low", "ci_high")}
    t = table("tracker_recent_cohorts", "Recent cohorts: reoffended so far and projected final rate", frame, [
        Column("cohort", "Cohort"), Column("cohort_size", "Young people", "count"),
        Column("months", "Months observed", "number", 0), Column("reoffenders", "Reoffended so far", "count"),
        Column("share", "Reoffended so far (%)", "percent"),
        Column("earlier_share", "Earlier cohorts at the same month (%)", "percent"),
        Column("projected", "Projected final rate (%)", "percent"), Column("ci_low", "95% interval from (%)", "percent"),
        Column("ci_high", "95% interval to (%)", "percent"),
    ], SuppressionSpec(counts=("cohort_size", "reoffenders"), derived=derived, columns_add_up=False,
                       complements={"reoffenders": "cohort_size"}), threshold=threshold, provisional="provisional")
    # a month hidden by the curve rule hides its count and the figures on it
    mask = dict(t.mask)
    for c in ("reoffenders", *derived):
        mask[c] = tuple(a or h for a, h in zip(mask.get(c, (False,) * frame.height), frame["hidden"], strict=True))
    mask["earlier_share"] = tuple(frame["earlier_hidden"])
    return Table(t.name, t.title, t.frame, t.columns, t.spec, mask, t.threshold, t.provisional, t.not_applicable), \
        projection_shown


def curves_table(results: Sequence[tuple[str, TrackerResult]], threshold: int) -> Table:
    """Month by month: each recent cohort's cumulative count and share, and the earlier cohorts' share
    at the same month (like with like); months that could give away a small count are [c]."""
    rows, hidden, earlier_hidden = [], [], []
    for name, r in results:
        shown = published_months(r.reoffenders, r.cohort_size, threshold)
        before = earlier_shown(r, threshold)
        for k in range(1, r.months_observed + 1):
            rows.append({"cohort": name, "month": k, "cohort_size": r.cohort_size,
                         "reoffenders": r.reoffenders[k - 1], "share": r.share(k),
                         "earlier_share": r.earlier_share[k - 1], "provisional": True})
            hidden.append(not shown[k - 1])
            earlier_hidden.append(not before[k - 1])
    frame = pl.DataFrame(rows, schema={"cohort": pl.String, "month": pl.Int64, "cohort_size": pl.Int64,
                                       "reoffenders": pl.Int64, "share": pl.Float64, "earlier_share": pl.Float64,
                                       "provisional": pl.Boolean})
    t = table("tracker_month_by_month", "Reoffended by month since the index date", frame, [
        Column("cohort", "Cohort"), Column("month", "Months since the index date", "number", 0),
        Column("cohort_size", "Young people", "count"), Column("reoffenders", "Reoffended by then", "count"),
        Column("share", "Reoffended by then (%)", "percent"),
        Column("earlier_share", "Earlier cohorts at the same month (%)", "percent"),
    ], SuppressionSpec(counts=("cohort_size", "reoffenders"), derived={"share": ("reoffenders", "cohort_size")},
                       columns_add_up=False, complements={"reoffenders": "cohort_size"}),
        threshold=threshold, provisional="provisional")
    mask = dict(t.mask)
    for c in ("reoffenders", "share"):
        mask[c] = tuple(a or h for a, h in zip(mask.get(c, (False,) * frame.height), hidden, strict=True))
    mask["earlier_share"] = tuple(earlier_hidden)
    return Table(t.name, t.title, t.frame, t.columns, t.spec, mask, t.threshold, t.provisional, t.not_applicable)


def curves_chart(results: Sequence[tuple[str, TrackerResult]], projections: Sequence[bool], threshold: int,
                 source: str) -> Chart:
    """The recent cohorts' curves (published months only) against the earlier complete cohorts' curve
    as finally counted, with each published projection."""
    rows, projections_data, described = [], [], []
    for (name, r), show_projection in zip(results, projections, strict=True):
        shown = published_months(r.reoffenders, r.cohort_size, threshold)
        for k in range(1, r.months_observed + 1):
            rows.append({"series": f"{name} [p]", "month": k, "share": r.share(k) if shown[k - 1] else None,
                         "earlier": False})
        if show_projection and shown[-1]:
            projections_data.append({"series": f"{name} [p]", "month": r.follow_up_months, "rate": r.projected_final,
                                     "low": r.ci_low, "high": r.ci_high})
            described.append(f"{name}: {format_value(r.share(r.months_observed), 'percent')} after "
                             f"{r.months_observed} months, projected {format_value(r.projected_final, 'percent')}")
    latest = results[-1][1] if results else None
    earlier_names = []
    if latest is not None and latest.earlier:
        counts, n = _earlier_counts(latest, "full")
        shown = published_months(counts, n, threshold)
        earlier_names = [cohort_name(c.start, c.end) for c in latest.earlier]
        for k in range(1, latest.follow_up_months + 1):
            rows.append({"series": "Earlier complete cohorts (pooled)", "month": k,
                         "share": counts[k - 1] / n if shown[k - 1] and n else None, "earlier": True})
    data = pl.DataFrame(rows, schema={"series": pl.String, "month": pl.Int64, "share": pl.Float64,
                                      "earlier": pl.Boolean})
    alt = ("Line chart of the share of each recent cohort with a proven reoffence, by months since the index date, "
           + (f"against the earlier complete cohorts ({and_list(earlier_names)}) as finally counted"
              if earlier_names else "with no earlier complete cohort to compare") + ". "
           + ("; ".join(described) + "." if described else "No projection can be published."))
    f = latest.follow_up_months if latest else 12
    return Chart("tracker_curves", "cumulative_curves", "Recent cohorts month by month [p]", data, alt, source,
                 {"months": f, "projections": projections_data,
                  "y_label": "Share with a proven reoffence so far", "x_label": "Months since the index date"})


def _answer(name: str, r: TrackerResult) -> str:
    """The projection in words; its direction against the earlier cohorts comes from the interval."""
    p, low, high = (format_value(v, "percent") for v in (r.projected_final, r.ci_low, r.ci_high))
    text = (f"The {name} cohort [p] is heading for a reoffending rate of about **{p}** (95% interval {low} to "
            f"{high}), projected from {r.months_observed} months observed")
    if r.earlier_final is not None:
        before = format_value(r.earlier_final, "percent")
        assert r.ci_low is not None and r.ci_high is not None
        if r.ci_low > r.earlier_final:
            text += f": higher than the earlier complete cohorts' final rate ({before})"
        elif r.ci_high < r.earlier_final:
            text += f": lower than the earlier complete cohorts' final rate ({before})"
        else:
            text += f"; the earlier complete cohorts' final rate ({before}) is within its interval"
    return text + "."


def build(extract: Extract, params: Params) -> Page:
    """The live tracker page for the suite's recent cohorts."""
    t, f, w = params.disclosure_threshold, params.follow_up_months, params.waiting_months
    as_at = as_at_date(extract, params)
    synthetic = is_synthetic(extract)
    shell = Page(params.page_name, "tracker", "", "", as_at, params.yot_name, synthetic)
    periods = recent_cohorts(params.period, as_at, params.recent, f, w) if as_at else []
    results = [(name, tracker(extract, s, e, as_at, f, w, params.earlier)) for name, s, e in periods]
    results = [(name, r) for name, r in results if r.cohort_size > 0]
    banner = Text(
        "**Provisional [p].** Every figure on this page is provisional: the cohorts are still being followed up, "
        "so more reoffences will be proven and the figures will rise. The projections are estimates of where "
        "each cohort is heading, not results.", "warning")
    sections: list[Section] = []
    answer = None
    summary: dict[str, object] = {"cohorts": [name for name, _ in results], "provisional": True}
    if not results:
        answer = Text(f"No recent cohort to track: no {period_description(params.period)} cohort in this extract "
                      "has started its follow-up without being complete yet.", "answer")
    else:
        standing, projection_shown = standing_table(results, t)
        chosen = next((i for i in range(len(results) - 1, -1, -1) if projection_shown[i]), None)
        if chosen is not None:
            name, r = results[chosen]
            answer = Text(_answer(name, r), "answer")
            summary.update({"cohort": name, "projected_final": r.projected_final, "ci_low": r.ci_low,
                            "ci_high": r.ci_high, "months_observed": r.months_observed,
                            "findings": [{"order": 60, "text": _answer(name, r).replace("**", "")}]})
        else:
            answer = Text("No projection can be published yet: either the recent cohorts are too small (a count "
                          f"below {t}) or there is no earlier complete cohort to project from.", "answer")
        sections.append(Section("Where the recent cohorts stand", (
            Text("Each cohort is every young person aged 10 to 17 whose proven offence outcome (or release from "
                 "custody) falls in the period. **Reoffended so far** counts those with a further proven offence, "
                 "other than a breach, committed within the months observed since their index date and proven by "
                 f"{as_at:%-d %B %Y}."), standing), "standing"))
        months = curves_table(results, t)
        sections.append(Section("Month by month", (
            curves_chart(results, projection_shown, t, shell.source), months,
            Text("The earlier cohorts' share at the same month is counted as they stood the same time after their "
                 "own period ended, so offences still waiting to be proven are missing from both alike. The dashed "
                 "line in the chart is the earlier cohorts as finally counted. A month whose figures could give "
                 f"away a count below {t} (by subtraction from the month before) is shown as [c]."),
        ), "months"))
        latest = results[-1][1]
        earlier_names = and_list([cohort_name(c.start, c.end) for c in latest.earlier]) or "none"
        sections.append(Section("How the projection is made", (Text(
            f"A cohort's projected final rate is its share reoffended so far times the ratio, in the {params.earlier} "
            f"most recent complete cohorts of the same length, of their final rate (reoffences committed within {f} "
            f"months and proven within {f + w}) to their share at the same month. For the {results[-1][0]} cohort "
            f"the earlier complete cohorts are: {earlier_names}. The 95% interval allows for chance in both this "
            "cohort and the earlier ones (delta method). The projection assumes this cohort's reoffending builds up "
            "over the months as the earlier cohorts' did."),), "method"))
    return Page(
        name=params.page_name, kind="tracker", title="Live tracker: where the recent cohorts are heading",
        subtitle=f"Recent {period_description(params.period)}, followed month by month since the index date",
        as_at=as_at, yot=params.yot_name, synthetic=synthetic, provisional=True, answer=answer, banners=(banner,),
        sections=tuple(sections), threshold=t,
        settings=settings(params, as_at, ("Cohorts", period_description(params.period)),
                          ("Recent cohorts shown", str(params.recent)),
                          ("Earlier complete cohorts pooled", str(params.earlier)),
                          ("Follow-up", f"{f} months after the index date"),
                          ("Waiting period", f"{w} months more for the reoffence to be proven")),
        summary=summary,
    )
