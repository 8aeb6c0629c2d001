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
    return [(f"reoffending_cohort_{year}", f"Proven reoffending: the {period_name(r.period, year)} cohort",
             {**_reoffending(suite), "cohort_year": year}) for year in r.cohort_years]


REGISTRY: tuple[PageKind, ...] = (
    PageKind("data_quality", "data_quality.ipynb", "About the data", _data_quality),
    PageKind("cohort", "reoffending_cohort.ipynb", "Proven reoffending, one cohort at a time", _cohorts),
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
