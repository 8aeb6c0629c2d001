"""What a published page is made of, as data: sections of sentences, tables and charts.

A page module (``yot.pages.<page>.build``) returns a :class:`Page`: every table already carries its
declared :class:`~yot.disclosure.SuppressionSpec` and the cells it hides, every chart the frame it draws
(small counts already taken out), every sentence its final words. Rendering (``yot.pages.render``) and
notebooks only lay them out; they decide nothing.

A table holds the exact figures (for the analyst's copy) and the suppression mask; its published
forms, HTML for the page and CSV for download, are made from the same mask, so the two never disagree.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from yot.disclosure import (
    CONFIDENTIAL,
    DEFAULT_THRESHOLD,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    PROVISIONAL,
    SuppressionSpec,
    publish_rows,
)

Kind = Literal["text", "count", "percent", "points", "number", "signed", "pvalue", "smd", "year"]


# ------------------------------------------------------------------------------------------- formats
def format_value(value: Any, kind: Kind, decimals: int = 1) -> str:
    """One figure as a reader sees it in a table or sentence.

    ``count`` 12,345; ``percent`` a proportion as 28.2%; ``points`` a difference of proportions as
    +2.4 (percentage points, the header says so); ``number`` 1,448.8; ``signed`` +0.12; ``pvalue``
    0.031 or <0.001; ``smd`` +0.08; ``year`` 2005; ``text`` as it is. Missing is ``[x]``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    if kind == "text":
        return str(value)
    if kind == "count":
        return f"{int(round(value)):,}"
    if kind == "year":
        return str(int(value))
    if kind == "percent":
        return f"{100 * value:.{decimals}f}%"
    if kind == "points":
        return _signed(100 * value, decimals)
    if kind == "signed":
        return _signed(value, decimals)
    if kind == "smd":
        return _signed(value, 2)
    if kind == "pvalue":
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    return f"{value:,.{decimals}f}"


def _signed(value: float, decimals: int) -> str:
    """A signed figure (+2.4, -1,234.5); a figure that rounds to zero has no sign (never "-0.0")."""
    if round(value, decimals) == 0:
        return f"{0:.{decimals}f}"
    return f"{value:+,.{decimals}f}"


def plain_value(value: Any, kind: Kind, decimals: int = 1) -> str:
    """One figure for a published CSV: a plain number (percentages as 28.2, the header names the
    unit), never formatted text; missing is ``[x]``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    if kind in ("count", "year"):
        return str(int(round(value)))
    if kind in ("percent", "points"):
        return f"{100 * value:.{decimals + 1}f}".rstrip("0").rstrip(".") if value else "0"
    if kind == "text":
        return str(value)
    if kind in ("pvalue",):
        return f"{value:.4g}"
    return f"{value:.{max(decimals, 3)}f}".rstrip("0").rstrip(".") if value else "0"


# ------------------------------------------------------------------------------------------- blocks
@dataclass(frozen=True)
class Column:
    """One column of a published table: ``key`` in the exact frame, ``label`` for readers (with the
    unit: "Reoffending rate (%)"), ``kind`` for formatting."""

    key: str
    label: str
    kind: Kind = "text"
    decimals: int = 1

    def __post_init__(self) -> None:
        if self.kind in ("percent", "points") and "%" not in self.label and "points" not in self.label:
            raise ValueError(f"column {self.key!r}: a {self.kind} column's label names its unit")


@dataclass(frozen=True)
class Text:
    """A paragraph of words made from the numbers. ``style``: ``paragraph``, ``answer`` (the page's
    one-sentence answer), ``finding``, ``warning``, ``note``. ``**bold**`` is the only markup."""

    text: str
    style: Literal["paragraph", "answer", "finding", "warning", "note"] = "paragraph"


@dataclass(frozen=True)
class Table:
    """A published table: exact figures, the columns shown, its suppression spec and mask.

    Build with :func:`table`. ``mask`` maps each count and derived column to the rows shown as
    ``[c]``. ``provisional`` names a boolean column of ``frame`` whose rows are marked ``[p]``;
    ``not_applicable`` maps a column to the rows where it has no meaning (``[z]``).
    """

    name: str
    title: str
    frame: pl.DataFrame
    columns: tuple[Column, ...]
    spec: SuppressionSpec
    mask: Mapping[str, tuple[bool, ...]]
    threshold: int
    provisional: str | None = None
    not_applicable: Mapping[str, tuple[bool, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def cell_status(self, column: str, row: int) -> str | None:
        """The GSS symbol a cell shows instead of its figure (``[c]``, ``[z]``, ``[x]``), or None."""
        if self.mask.get(column, ())[row:row + 1] == (True,):
            return CONFIDENTIAL
        if self.not_applicable.get(column, ())[row:row + 1] == (True,):
            return NOT_APPLICABLE
        value = self.frame.get_column(column)[row]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return NOT_AVAILABLE
        return None

    def is_provisional(self, row: int) -> bool:
        return self.provisional is not None and bool(self.frame.get_column(self.provisional)[row])

    def shown(self, column: str, row: int) -> bool:
        """Whether the figure of this cell is published (not suppressed, missing or not applicable)."""
        return self.cell_status(column, row) is None

    def rows(self) -> Iterator[list[str]]:
        """Each row as readers see it: formatted figures or symbols; ``[p]`` after a provisional row's
        first cell."""
        for i in range(self.frame.height):
            cells = []
            for k, col in enumerate(self.columns):
                symbol = self.cell_status(col.key, i)
                cells.append(symbol if symbol else format_value(self.frame.get_column(col.key)[i], col.kind,
                                                                col.decimals))
                if k == 0 and self.is_provisional(i):
                    cells[0] += f" {PROVISIONAL}"
            yield cells

    def csv_rows(self) -> list[list[str]]:
        """Each row for the published CSV: plain numbers or symbols (the notes column is added on writing)."""
        out = []
        for i in range(self.frame.height):
            row = []
            for col in self.columns:
                symbol = self.cell_status(col.key, i)
                row.append(symbol if symbol else plain_value(self.frame.get_column(col.key)[i], col.kind,
                                                             col.decimals))
            out.append(row)
        return out

    def row_notes(self) -> list[str]:
        return [f"{PROVISIONAL} provisional" if self.is_provisional(i) else "" for i in range(self.frame.height)]

    def published_spec(self) -> dict[str, Any]:
        """The spec in terms of the published column labels (what the CSV sidecar declares)."""
        names = {c.key: c.label for c in self.columns}
        spec = self.spec
        return {
            "counts": [names[c] for c in spec.counts if c in names],
            "derived": {names[d]: [names[s] for s in src if s in names] for d, src in spec.derived.items() if d in names},
            "total_col": names.get(spec.total_col) if spec.total_col else None,
            "total_row": spec.total_row,
            "columns_add_up": spec.columns_add_up,
            "rows_add_up": spec.rows_add_up,
            "complements": {names[a]: names[b] for a, b in spec.complements.items() if a in names and b in names},
            "blocks": names.get(spec.blocks) if spec.blocks else None,
        }

    def write_csv(self, folder: Path, *, source: str = "") -> Path:
        """Write the published CSV and its metadata sidecar (declared spec) into ``folder``."""
        return publish_rows(
            folder / f"{self.name}.csv", [c.label for c in self.columns], self.csv_rows(), self.row_notes(),
            spec=self.published_spec(), threshold=self.threshold, title=self.title, source=source,
        )

    def exact(self) -> pl.DataFrame:
        """The exact figures with the readers' column names (analyst copy only)."""
        return self.frame.select([pl.col(c.key).alias(c.label) for c in self.columns])


def table(
    name: str,
    title: str,
    frame: pl.DataFrame,
    columns: Sequence[Column],
    spec: SuppressionSpec,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    provisional: str | None = None,
    not_applicable: Mapping[str, Sequence[bool]] | None = None,
    notes: Sequence[str] = (),
) -> Table:
    """A :class:`Table` with its suppression worked out once from ``spec`` (primary and secondary).

    A rate whose denominator count is 0 has no meaning: shown as ``[z]`` (not applicable).
    """
    mask = spec.mask(frame, threshold)
    na = {k: tuple(v) for k, v in (not_applicable or {}).items()}
    for column, sources in spec.derived.items():
        zeros = [any(frame.get_column(s)[i] == 0 for s in sources) for i in range(frame.height)]
        missing = [frame.get_column(column)[i] is None for i in range(frame.height)]
        auto = tuple(z and m for z, m in zip(zeros, missing, strict=True))
        na[column] = tuple(a or b for a, b in zip(na.get(column, (False,) * frame.height), auto, strict=True))
    return Table(name, title, frame, tuple(columns), spec, {k: tuple(v) for k, v in mask.items()}, threshold,
                 provisional, na, tuple(notes))


@dataclass(frozen=True)
class Chart:
    """A chart: ``kind`` names its drawing in ``yot.charts``; ``data`` is already publishable (a
    suppressed figure is null and its label says ``[c]``); ``alt`` says what it shows with its numbers;
    ``source`` is the line under it; ``options`` are the drawing's settings (axis labels, units, target
    line, shared scales)."""

    name: str
    kind: str
    title: str
    data: pl.DataFrame
    alt: str
    source: str
    options: Mapping[str, Any] = field(default_factory=dict)


Block = Text | Table | Chart


@dataclass(frozen=True)
class Section:
    """A heading and what follows it, in reading order."""

    heading: str
    blocks: tuple[Block, ...] = ()
    anchor: str = ""


@dataclass(frozen=True)
class Page:
    """One page of the pack, built by a page module.

    ``summary`` is what other pages need from this one without recomputing it (the index's verdict
    rows and findings, the comparison page's programme results), JSON-ready.
    """

    name: str
    kind: str
    title: str
    subtitle: str
    as_at: dt.date | None
    yot: str
    synthetic: bool
    provisional: bool = False
    answer: Text | None = None
    banners: tuple[Text, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()
    sections: tuple[Section, ...] = ()
    threshold: int = DEFAULT_THRESHOLD
    summary: Mapping[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """The source line of every chart and table of the page."""
        when = f" as at {self.as_at:%-d %B %Y}" if self.as_at else ""
        return f"Source: {self.yot} case-level extract{when}{' (synthetic data)' if self.synthetic else ''}."

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]

    def texts(self) -> list[Text]:
        found = [self.answer] if self.answer else []
        found += list(self.banners)
        return found + [b for s in self.sections for b in s.blocks if isinstance(b, Text)]

    def save(self, folder: str | Path) -> Path:
        """Write what the runner needs into ``folder`` (run-private): ``<name>.page.json`` (title,
        group data, summary, tables listed), published CSVs under ``tables/``, exact tables under
        ``exact/`` (Parquet, analyst only). Returns the JSON path."""
        folder = Path(folder)
        (folder / "tables").mkdir(parents=True, exist_ok=True)
        (folder / "exact").mkdir(parents=True, exist_ok=True)
        for t in self.tables():
            t.write_csv(folder / "tables", source=self.source)
            t.exact().write_parquet(folder / "exact" / f"{t.name}.parquet")
        record = {
            "name": self.name, "kind": self.kind, "title": self.title, "subtitle": self.subtitle,
            "as_at": self.as_at.isoformat() if self.as_at else None, "provisional": self.provisional,
            "synthetic": self.synthetic, "answer": self.answer.text if self.answer else None,
            "tables": [{"name": t.name, "title": t.title, "file": f"{t.name}.csv"} for t in self.tables()],
            "summary": self.summary,
        }
        path = folder / f"{self.name}.page.json"
        path.write_text(json.dumps(record, indent=1, default=_json_default), encoding="utf-8")
        return path


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


@dataclass(frozen=True)
class SavedPage:
    """A page as the runner reads it back from ``<name>.page.json``."""

    name: str
    kind: str
    title: str
    subtitle: str
    as_at: str | None
    provisional: bool
    synthetic: bool
    answer: str | None
    tables: tuple[Mapping[str, str], ...]
    summary: Mapping[str, Any]

    @classmethod
    def read(cls, path: str | Path) -> SavedPage:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["name"], data["kind"], data["title"], data["subtitle"], data["as_at"],
                   bool(data["provisional"]), bool(data["synthetic"]), data["answer"], tuple(data["tables"]),
                   data["summary"])
