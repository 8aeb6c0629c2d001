"""The programme evaluations side by side (METHODS.md "Programme evaluation": several programmes at once).

Built only from the pages the evaluation notebooks saved (``<pages_dir>/<name>/<name>.page.json``):
no evaluation is recomputed, so every figure here is one an evaluation page already published, in
the same words. A forest plot (each row names its programme and its outcome: YISP's is first-time
entry), a table with the unadjusted and the Holm-adjusted p-values of the primary outcomes, and the
sentence saying how many primary tests were made.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import Field

from yot.disclosure import SuppressionSpec
from yot.pages.base import SCRATCH, PageParams, resolve_path, settings
from yot.pages.model import Chart, Column, Page, SavedPage, Section, Table, Text, format_value, table
from yot.pages.words import and_list, count_words

ALPHA = 0.05
FINDING_ORDER = 30


class Params(PageParams):
    """``pages_dir``: the folder holding each evaluation's saved page (the runner passes its private
    folder); ``evaluations``: the run names of the evaluation pages, in the order to show them."""

    page = "evaluation_comparison"
    pages_dir: str | None = None
    evaluations: list[str] = Field(default_factory=lambda: [
        "evaluation_ISSP", "evaluation_referral_order", "evaluation_restorative_justice", "evaluation_YISP"],
        min_length=1)

    def pages_path(self) -> Path:
        return resolve_path(self.pages_dir, SCRATCH)


def read_pages(params: Params) -> list[SavedPage]:
    """The saved evaluation pages named by ``params.evaluations``; a missing one is an error naming it."""
    folder = params.pages_path()
    pages = []
    for name in params.evaluations:
        path = folder / name / f"{name}.page.json"
        if not path.is_file():
            raise FileNotFoundError(f"no saved evaluation page {path}: run the evaluation notebook for {name!r} first")
        pages.append(SavedPage.read(path))
    return pages


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values in the same order; a missing p-value is not a test and stays missing
    (the engine's :func:`yot.evaluate.holm_adjusted`)."""
    from yot.evaluate import holm_adjusted

    return holm_adjusted(list(p_values))


def _short(code: str) -> str:
    from yot.labels import label

    text = label("programme_short", code)
    for article in ("a ", "an ", "the "):
        text = text.removeprefix(article)
    return text[:1].upper() + text[1:] if not text[:2].isupper() else text


def comparison_frame(pages: Sequence[SavedPage]) -> pl.DataFrame:
    """One row per programme from its page's summary (already disclosure-safe), with the Holm-adjusted
    p-value across every primary test made."""
    summaries = [dict(p.summary) for p in pages]
    tested = [s.get("p_value_for_adjustment") if s.get("tested") else None for s in summaries]
    adjusted = holm(tested)
    rows = []
    for s, q in zip(summaries, adjusted, strict=True):
        rows.append({
            "programme": _short(s["programme"]), "code": s["programme"], "outcome": s["outcome_name"],
            "matched": s.get("matched"), "design": s.get("design_short") or s.get("design_text", ""),
            "difference": None if s.get("effect") is None else 100 * s["effect"],
            "ci_low": None if s.get("ci_low") is None else 100 * s["ci_low"],
            "ci_high": None if s.get("ci_high") is None else 100 * s["ci_high"],
            "p_value": s.get("p_value"), "holm_p_value": q if s.get("shown") else None,
            "max_smd_after": s.get("max_smd_after"),
            "notes": "; ".join(n for n, on in (("indicative only", s.get("indicative_only")),
                                               ("poor balance", s.get("poor_balance") and s.get("shown")))
                               if on),
            "provisional": not s.get("complete", True), "shown": bool(s.get("shown")),
            "suppressed": bool(s.get("suppressed")), "tested": s.get("tested", False),
        })
    return pl.DataFrame(rows, schema={
        "programme": pl.String, "code": pl.String, "outcome": pl.String, "matched": pl.Int64, "design": pl.String,
        "difference": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "p_value": pl.Float64,
        "holm_p_value": pl.Float64, "max_smd_after": pl.Float64, "notes": pl.String, "provisional": pl.Boolean,
        "shown": pl.Boolean, "suppressed": pl.Boolean, "tested": pl.Boolean})


_DERIVED = ("difference", "ci_low", "ci_high", "p_value", "holm_p_value")


def comparison_table(frame: pl.DataFrame, threshold: int) -> Table:
    """The programmes' primary outcomes. A figure an evaluation page hid stays ``[c]`` here: the
    saved summaries carry no hidden figure, and the mask says which."""
    t = table(
        "evaluation_comparison", "Programme evaluations compared: the primary outcome of each", frame,
        [Column("programme", "Programme"), Column("outcome", "Outcome"),
         Column("matched", "Treated young people matched", "count"), Column("design", "Matching design"),
         Column("difference", "Difference (per 100)", "signed"), Column("ci_low", "95% interval from", "signed"),
         Column("ci_high", "95% interval to", "signed"), Column("p_value", "p-value", "pvalue"),
         Column("holm_p_value", "Holm-adjusted p-value", "pvalue"),
         Column("max_smd_after", "Largest standardised difference after matching", "number", 2),
         Column("notes", "Read with care")],
        SuppressionSpec(counts=("matched",), derived={c: ("matched",) for c in _DERIVED}, columns_add_up=False),
        threshold=threshold, provisional="provisional",
        notes=("Each difference is treated minus matched comparison, per 100 young people (for a share, percentage "
               "points). The Holm-adjusted p-value allows for every primary test made on this page.",),
    )
    hidden_count = [m is None and s for m, s in zip(frame["matched"], frame["suppressed"] | frame["shown"],
                                                    strict=True)]
    hidden_fig = list(frame["suppressed"])
    mask = dict(t.mask)
    mask["matched"] = tuple(a or b for a, b in zip(mask.get("matched", (False,) * frame.height), hidden_count,
                                                   strict=True))
    for c in _DERIVED:
        mask[c] = tuple(a or b or h for a, b, h in zip(mask.get(c, (False,) * frame.height), hidden_count,
                                                       hidden_fig, strict=True))
    return dataclasses.replace(t, mask=mask)


def forest_chart(frame: pl.DataFrame, t: Table, source: str) -> Chart:
    shown = [t.shown("difference", i) and t.shown("ci_low", i) for i in range(frame.height)]

    def row(i: int) -> str:
        name = frame["programme"][i]
        out = frame["outcome"][i]
        return f"{name}: {out[0].lower()}{out[1:]}"

    data = pl.DataFrame({
        "row": [row(i) for i in range(frame.height)],
        "estimate": [frame["difference"][i] if s else None for i, s in enumerate(shown)],
        "low": [frame["ci_low"][i] if s else None for i, s in enumerate(shown)],
        "high": [frame["ci_high"][i] if s else None for i, s in enumerate(shown)],
        "label": [None if s else (t.cell_status("difference", i) or "no estimate") for i, s in enumerate(shown)],
    }, schema={"row": pl.String, "estimate": pl.Float64, "low": pl.Float64, "high": pl.Float64, "label": pl.String})
    parts = [f"{r}: {format_value(e, 'signed')} per 100 (95% interval {format_value(lo, 'signed')} to "
             f"{format_value(hi, 'signed')})" if e is not None else f"{r}: {lab}"
             for r, e, lo, hi, lab in data.iter_rows()]
    alt = ("Forest plot of each programme's effect on its own outcome, treated minus matched comparison per 100 "
           "young people, with 95% intervals and a line at no difference: " + "; ".join(parts) + ".")
    return Chart("forest", "forest", "The effects side by side, each on its own outcome", data, alt, source,
                 {"x_label": "Difference per 100 young people (treated minus matched comparison); left of 0 = fewer"})


def _direction(low: float, high: float) -> str:
    return "fewer" if high < 0 else "more" if low > 0 else "none"


def tests_sentence(frame: pl.DataFrame) -> str:
    """How many primary tests were made, and what the Holm adjustment leaves standing."""
    tests = int(frame["tested"].sum())
    names = frame["programme"].to_list()
    shown = frame.filter(pl.col("shown"))
    evidence = shown.filter((pl.col("ci_high") < 0) | (pl.col("ci_low") > 0))
    text = (f"{tests} primary test{'s were' if tests != 1 else ' was'} made on this page, one for each programme's "
            "primary outcome" + (f" ({and_list(names)})" if tests == len(names) else "") + ". ")
    if tests > 1:
        text += ("With several tests, one can look convincing by chance alone; the Holm-adjusted p-value allows for "
                 f"all {tests}: a programme shows evidence of an effect across the set when it is below {ALPHA:.2f}. ")
    if evidence.height == 0:
        return text + "No programme's interval excludes zero, so none shows evidence of an effect, adjusted or not."
    kept = evidence.filter(pl.col("holm_p_value") < ALPHA)["programme"].to_list()
    lost = evidence.filter(~(pl.col("holm_p_value") < ALPHA))["programme"].to_list()
    text += f"Before adjustment, {and_list(evidence['programme'].to_list())} show{'s' if evidence.height == 1 else ''} " \
            "evidence of an effect"
    if tests > 1:
        text += (f"; after it, {and_list(kept) if kept else 'none'} still do{'es' if len(kept) == 1 else ''}"
                 + (f" ({and_list(lost)} no longer)" if lost else ""))
    return text + "."


def answer_text(frame: pl.DataFrame) -> str:
    n = frame.height
    shown = frame.filter(pl.col("shown"))
    evidence = shown.filter((pl.col("ci_high") < 0) | (pl.col("ci_low") > 0))
    kept = evidence.filter(pl.col("holm_p_value") < ALPHA)
    if shown.height == 0:
        return (f"**Do the programmes work?** There is no answer from these data: none of the {n} evaluations has an "
                "estimate that can be published.")
    if evidence.height == 0:
        return (f"**Do the programmes work?** No evidence either way for any of the {n} programmes evaluated: every "
                "95% interval includes no difference.")
    parts = []
    for r in evidence.iter_rows(named=True):
        parts.append(f"{r['programme']} ({'fewer' if r['ci_high'] < 0 else 'more'} "
                     f"{'first-time entrants' if r['code'] == 'YISP' else 'reoffending'})")
    text = (f"**Do the programmes work?** Of {n} programmes evaluated, {and_list(parts)} "
            f"show{'s' if evidence.height == 1 else ''} evidence of an effect")
    if kept.height < evidence.height:
        text += (f"; allowing for the {int(frame['tested'].sum())} tests made, "
                 + (f"only {and_list(kept['programme'].to_list())} still "
                    f"do{'es' if kept.height == 1 else ''}" if kept.height else "none still does"))
    rest = n - evidence.height
    if rest:
        text += "; the other shows" if rest == 1 else "; the others show"
        text += " no evidence either way" if shown.height == n else " no evidence either way or have no estimate"
    return text + "."


def build(params: Params, pages: Sequence[SavedPage] | None = None) -> Page:
    """The comparison page from the saved evaluation pages (read from ``params.pages_dir`` unless given)."""
    pages = list(pages) if pages is not None else read_pages(params)
    t = params.disclosure_threshold
    frame = comparison_frame(pages)
    as_at = next((dt.date.fromisoformat(p.as_at) for p in pages if p.as_at), None)
    synthetic = any(p.synthetic for p in pages)
    shell = Page(params.page_name, "evaluation_comparison", "", "", as_at, params.yot_name, synthetic)
    tab = comparison_table(frame, t)
    provisional = bool(frame["provisional"].any())
    answer = Text(answer_text(frame), "answer")
    banners = []
    if provisional:
        which = frame.filter(pl.col("provisional"))["programme"].to_list()
        banners.append(Text(f"**Provisional [p].** The evaluation of {and_list(which)} is not complete yet: later "
                            "offences may still be proven and the figures can change.", "warning"))
    blocks: list[Text | Table | Chart] = [Text(
        "Each line is one programme: the dot is the difference between the treated young people and their matched "
        "comparison on the programme's own outcome, per 100 young people, and the line its 95% interval. Left of zero "
        "means fewer reoffended (for YISP: fewer became first-time entrants). A line crossing zero is **no evidence "
        "of an effect**.")]
    if any(tab.shown("difference", i) for i in range(frame.height)):
        blocks.append(forest_chart(frame, tab, shell.source))
    blocks += [tab, Text(tests_sentence(frame))]
    hidden = [frame["programme"][i] for i in range(frame.height) if frame["suppressed"][i]]
    if hidden:
        blocks.append(Text(f"Not shown ([c]): {and_list(hidden)}, whose numbers are too small to publish without "
                           f"revealing counts below {t}."))
    sections = [
        Section("The effects side by side", tuple(blocks), "effects"),
        Section("Each programme in one sentence", tuple(Text(p.answer or "") for p in pages if p.answer), "answers"),
        Section("Reading the comparison", (
            Text("Each programme is compared with its own comparison pool, so the effects answer different questions: "
                 "the outcome and the young people differ from one programme to the next (see each row's outcome). "
                 "They are not a league table."),
            Text("Matching balances only what the extract records; where balance is poor (see the column 'Read with care') the "
                 "comparison may still be of unlike with unlike."),
            Text("An interval that spans zero is no evidence of an effect, not evidence that a programme does not "
                 "work: small programmes cannot show modest effects."),
        ), "reading"),
    ]
    matched_total = [m for m in frame["matched"].to_list() if m is not None]
    return Page(
        name=params.page_name, kind="evaluation_comparison", title="Do the programmes work? The evaluations compared",
        subtitle=f"{len(pages)} programme evaluations, each on its own matched comparison",
        as_at=as_at, yot=params.yot_name, synthetic=synthetic, provisional=provisional, answer=answer,
        banners=tuple(banners), sections=tuple(sections), threshold=t,
        settings=settings(params, as_at, ("Programmes", and_list(frame["programme"].to_list())),
                          ("Primary tests", f"{int(frame['tested'].sum())}, Holm-adjusted")),
        summary={"programmes": frame["code"].to_list(), "tests": int(frame["tested"].sum()),
                 "matched_total": count_words(sum(matched_total), t) if matched_total else None,
                 "findings": [{"order": FINDING_ORDER, "text": answer.text}]},
    )
