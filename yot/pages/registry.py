"""The one list of the pack's pages: which notebook makes each, from which suite-file section, in what
order, under which heading of the index. Adding a page = a page module, its notebook, one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from yot.dates import period_name
from yot.labels import label
from yot.params import Suite


@dataclass(frozen=True)
class Run:
    """One execution of a page's notebook: ``name`` is unique in a run and names its files."""

    kind: str
    notebook: str
    name: str
    title: str
    group: str
    parameters: dict[str, Any]
    after: tuple[str, ...] = ()  # names of runs whose saved pages this one reads


@dataclass(frozen=True)
class PageKind:
    key: str
    notebook: str
    group: str
    runs: Callable[[Suite], list[tuple[str, str, dict[str, Any]]]]
    after: tuple[str, ...] = field(default_factory=tuple)  # page kinds whose runs must finish first


def _reoffending(suite: Suite) -> dict[str, Any]:
    r = suite.reoffending
    return {"period": r.period, "follow_up_months": r.follow_up_months, "waiting_months": r.waiting_months}


def _data_quality(suite: Suite) -> list[tuple[str, str, dict[str, Any]]]:
    return [("data_quality", "Data quality of the extract",
             {**_reoffending(suite), "cohort_years": list(suite.reoffending.cohort_years)})]


def _cohorts(suite: Suite) -> list[tuple[str, str, dict[str, Any]]]:
    r = suite.reoffending
    if r.period == "quarter":  # one page per quarterly cohort of each year
        return [(f"reoffending_cohort_{year}_q{q}", f"Proven reoffending: the {period_name(r.period, year, q)} cohort",
                 {**_reoffending(suite), "cohort_year": year, "cohort_quarter": q})
                for year in r.cohort_years for q in (1, 2, 3, 4)]
    extra = {"annual_from_quarters": True} if r.annual_from_quarters else {}
    return [(f"reoffending_cohort_{year}", f"Proven reoffending: the {period_name(r.period, year)} cohort",
             {**_reoffending(suite), "cohort_year": year, **extra}) for year in r.cohort_years]


def _comparisons(suite: Suite) -> list[tuple[str, str, dict[str, Any]]]:
    """Planned whenever the suite file has a comparisons section; the page says plainly when the extract
    has no other area to compare with."""
    c, r = suite.comparisons, suite.reoffending
    if c is None:
        return []
    return [("comparisons", f"How {suite.yot} compares: reoffending against other areas",
             {"period": c.period, "year": c.year, "quarter": c.quarter, "family": list(c.family) if c.family else None,
              "follow_up_months": r.follow_up_months, "waiting_months": r.waiting_months})]


def _tracker(suite: Suite) -> list[tuple[str, str, dict[str, Any]]]:
    t, r = suite.tracker, suite.reoffending
    return [("tracker", "Live tracker: where the recent cohorts are heading",
             {"period": t.period, "recent": t.recent, "earlier": t.earlier, "follow_up_months": r.follow_up_months,
              "waiting_months": r.waiting_months})]


def _targets(suite: Suite) -> list[tuple[str, str, dict[str, Any]]]:
    r = suite.reoffending
    t = r.target
    return [("targets", "Reoffending target: are we on track?",
             {**_reoffending(suite), "cohort_years": list(r.cohort_years), "baseline_year": t.baseline_year,
              "baseline_value": t.baseline_value, "change_per_year": t.change_per_year, "target_mode": t.mode,
              "targets_by_tier": r.targets_by_tier, "tier_baselines": dict(r.tier_baselines) or None,
              **({"annual_from_quarters": True} if r.annual_from_quarters else {})})]


def _first_time_entrants(suite: Suite) -> list[tuple[str, str, dict[str, Any]]]:
    f = suite.first_time_entrants
    if f is None:
        return []
    return [("first_time_entrants", "First-time entrants: are we on track?",
             {"period": f.period, "years": list(f.years), "baseline_year": f.target.baseline_year,
              "change": f.target.change, "by_year": f.target.by_year, "target_mode": f.target.mode})]


def _substance_misuse(suite: Suite) -> list[tuple[str, str, dict[str, Any]]]:
    s = suite.substance_misuse
    if s is None:
        return []
    st, it = s.starts_target, s.improvement_target
    return [("substance_misuse", "Substance misuse: are we on track?",
             {"period": s.period, "years": list(s.years), "starts_baseline_year": st.baseline_year,
              "starts_baseline_value": st.baseline_value, "starts_change_per_year": st.change_per_year,
              "starts_mode": st.mode, "improvement_baseline_year": it.baseline_year,
              "improvement_baseline_value": it.baseline_value, "improvement_change_per_year": it.change_per_year,
              "improvement_mode": it.mode})]


def _evaluations(suite: Suite) -> list[tuple[str, str, dict[str, Any]]]:
    """One evaluation page per programme of the suite file (no seed: matching shares ties)."""
    e = suite.evaluation
    if e is None:
        return []
    common = {"start": e.start.isoformat(), "end": e.end.isoformat(), "follow_up_months": e.follow_up_months,
              "waiting_months": e.waiting_months, "caliper": e.caliper}
    return [(f"evaluation_{p}", f"Programme evaluation: {programme_title(p)}", {**common, "programme": p})
            for p in e.programmes]


def _evaluation_comparison(suite: Suite) -> list[tuple[str, str, dict[str, Any]]]:
    """The programmes side by side, read from the evaluation pages (the runner passes ``pages_dir``)."""
    e = suite.evaluation
    if e is None or len(e.programmes) < 2:
        return []
    return [("evaluation_comparison", "Programme evaluations compared",
             {"evaluations": [f"evaluation_{p}" for p in e.programmes]})]


REGISTRY: tuple[PageKind, ...] = (
    PageKind("data_quality", "data_quality.ipynb", "About the data", _data_quality),
    PageKind("targets", "targets.ipynb", "Theme 1 targets", _targets),
    PageKind("tracker", "tracker.ipynb", "Where we are now and how we compare", _tracker),
    PageKind("cohort", "reoffending_cohort.ipynb", "Proven reoffending, one cohort at a time", _cohorts),
    PageKind("first_time_entrants", "first_time_entrants.ipynb", "Theme 1 targets", _first_time_entrants),
    PageKind("substance_misuse", "substance_misuse.ipynb", "Theme 1 targets", _substance_misuse),
    PageKind("evaluation", "evaluation.ipynb", "Does it work? Programme evaluations", _evaluations),
    PageKind("evaluation_comparison", "evaluation_comparison.ipynb", "Does it work? Programme evaluations",
             _evaluation_comparison, after=("evaluation",)),
    PageKind("comparisons", "comparisons.ipynb", "Where we are now and how we compare", _comparisons),
)
"""Every page kind, in the order the index lists them."""


def common_parameters(suite: Suite) -> dict[str, Any]:
    """What every page takes from the suite file."""
    return {"yot_name": suite.yot, "title": suite.title, "disclosure_threshold": suite.disclosure.threshold,
            "extract_date": suite.extract_date.isoformat() if suite.extract_date else None}


def plan(suite: Suite) -> list[Run]:
    """Every notebook run of ``suite``, in index order; a run lists the runs it reads (``after``)."""
    common = common_parameters(suite)
    runs: list[Run] = []
    by_kind: dict[str, list[str]] = {}
    for kind in REGISTRY:
        for name, title, parameters in kind.runs(suite):
            after = tuple(n for k in kind.after for n in by_kind.get(k, []))
            runs.append(Run(kind.key, kind.notebook, name, title, kind.group,
                            {**common, **parameters, "name": name}, after))
            by_kind.setdefault(kind.key, []).append(name)
    return runs


def programme_title(code: str) -> str:
    return label("programme", code)
