"""The pack's own pages: the index (key findings, the targets table, things you need to know, the
reports and tables), the methods page and the glossary. Built from the pages the notebooks saved, never
from the data: every figure on the index is one a page already published, in the same words.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from yot.disclosure import SYMBOLS, symbol_meaning
from yot.pages.model import SavedPage
from yot.pages.registry import REGISTRY, Run
from yot.pages.render import render
from yot.params import Suite

GROUP_ORDER = [k.group for k in REGISTRY]


def saved_pages(private: Path, runs: Sequence[Run]) -> list[SavedPage]:
    """The saved page of each run that succeeded, in plan order."""
    return [SavedPage.read(private / r.name / f"{r.name}.page.json") for r in runs]


def key_findings(pages: Sequence[SavedPage], limit: int = 6, groups: Mapping[str, str] | None = None) -> list[str]:
    """Up to six sentences for the top of the index: the findings pages offered in
    ``summary["findings"]`` (each already made from their numbers, with direction and size), most
    important (lowest ``order``) first.

    When pages offered fewer than three, the answers of the latest page of each group that offered none
    make up three (``groups`` maps a page name to its group; pages come in plan order, so the last of a
    group is its latest period), so the index never opens on an empty or thin section while the pack
    has something to say.
    """
    offered = [(f.get("order", 50), i, f["text"]) for i, p in enumerate(pages) for f in p.summary.get("findings", [])]
    chosen = [text for _, _, text in sorted(offered)[:limit]]
    if len(chosen) >= 3:
        return chosen
    group_of = groups or {}
    with_findings = {group_of.get(p.name, p.name) for p in pages if p.summary.get("findings")}
    latest: dict[str, str] = {}
    for p in pages:
        group = group_of.get(p.name, p.name)
        if p.answer and group not in with_findings:
            latest[group] = p.answer
    return chosen + list(latest.values())[:max(0, 3 - len(chosen))]


def verdict_rows(pages: Sequence[SavedPage]) -> list[dict[str, Any]]:
    """The index's targets table: the latest rows each target page chose for it (already suppressed)."""
    return [row for p in pages for row in p.summary.get("index_rows", [])]


def things_to_know(suite: Suite, extract_date: dt.date | None, synthetic: bool) -> list[tuple[str, str]]:
    """"Things you need to know": coverage, provisional figures, disclosure, status, producer, contact,
    next update, from the suite file."""
    pub = suite.publication
    r = suite.reoffending
    t = suite.disclosure.threshold
    coverage = (pub.coverage or f"Young people known to {suite.yot} Youth Offending Team, from its case-level "
                "extract.") + (f" Figures as at {extract_date:%-d %B %Y}: what the extract held that day."
                               if extract_date else "")
    rows = [
        ("What the figures cover", coverage + (" The figures in this pack are synthetic: made up for demonstration, "
                                                 "they are not the YOT's." if synthetic else "")),
        ("Provisional figures", f"A cohort's reoffending is final once {r.follow_up_months} months of follow-up and "
                                f"{r.waiting_months} months for offences to be proven have passed after its end; "
                                "first-time entrants and substance-misuse figures once 6 months have passed after the "
                                "period. Until then figures are marked [p], can still change and are not rated."),
        ("Small numbers", f"Counts from 1 to {t - 1}, and figures that would reveal them, are shown as [c] "
                          "(disclosure control); no young person can be identified from this pack."),
        ("Status", f"{pub.status}. {pub.status_note}" if pub.status_note else pub.status),
        ("Produced by", pub.producer),
        ("Contact", pub.contact),
        ("Next update", pub.next_update),
    ]
    return rows


def write_pack_pages(folder: Path, suite: Suite, pages: Sequence[SavedPage], runs: Sequence[Run],
                     failed: Sequence[str], failures: Sequence[str], *, extract_date: dt.date | None, synthetic: bool,
                     footer: str) -> None:
    """Write index.html, methods.html and glossary.html into the pack folder ``folder``."""
    by_name = {p.name: p for p in pages}
    groups: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        page = by_name.get(run.name)
        groups.setdefault(run.group, []).append({
            "title": run.title, "href": f"{run.name}.html" if page and run.name not in failed else None,
            "provisional": bool(page and page.provisional), "answer": page.answer if page else None,
        })
    tables = [{"title": p.title, "href": f"{p.name}.html",
               "files": [{"title": t["title"], "href": f"tables/{t['file']}"} for t in p.tables]}
              for p in pages if p.tables]
    context = {
        "yot": suite.yot, "suite_title": suite.title, "synthetic": synthetic, "footer": footer,
        "as_at": f"{extract_date:%-d %B %Y}" if extract_date else None,
        "status": suite.publication.status,
        "findings": key_findings(pages, groups={r.name: r.group for r in runs}), "rows": verdict_rows(pages),
        "status_key": next((p.summary["status_key"] for p in pages if "status_key" in p.summary), None),
        "things": things_to_know(suite, extract_date, synthetic), "groups": groups, "tables": tables,
        "failures": list(failures), "threshold": suite.disclosure.threshold,
        "symbols": [(s, symbol_meaning(s, suite.disclosure.threshold)) for s in SYMBOLS],
    }
    _write(folder / "index.html", render("index.html.j2", title=f"{suite.title}: summary and contents", **context))
    _write(folder / "methods.html", render("methods.html.j2", title="How the figures are made", suite=suite,
                                           simulation=simulation_results(), **context))
    _write(folder / "glossary.html", render("glossary.html.j2", title="Glossary", **context))


def simulation_results() -> dict[str, Any] | None:
    """The evaluation's simulation study as last run by ``make bench`` and recorded beside the
    templates (published on the methods page), or None."""
    path = Path(__file__).resolve().parent.parent / "templates" / "simulation.json"
    try:
        study = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(study, dict):
        return None
    try:  # the day it was run, in readers' words
        study["generated_words"] = f"{dt.date.fromisoformat(str(study['generated'])):%-d %B %Y}"
    except (KeyError, ValueError):
        pass
    return study


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o644)
