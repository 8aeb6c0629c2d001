"""Disclosure control: every published table, chart label and page passes through here.

METHODS.md "Disclosure control". A count from 1 to ``threshold - 1`` (default 1 to 4) is
confidential and shown as ``[c]``, as is every rate built from it (primary suppression). Where a
confidential cell could be worked back from a total and the other cells of its row or column, the
next smallest cell of that row or column is suppressed too, until no row or column that adds up to a
known total has exactly one hidden cell (secondary suppression). Zero is shown as 0: a zero is not
confidential, so secondary suppression takes the next smallest non-zero cell and takes a zero only
when nothing else is left. Symbols follow the GSS guidance on symbols in tables: ``[c]``
confidential, ``[x]`` not available, ``[z]`` not applicable, ``[p]`` provisional.

``check_published`` is the guarantee: it scans a published folder for any identifier or date of
birth from the extract and for any small count in a published CSV. See docs/disclosure.md.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from yot.extract import Extract

DEFAULT_THRESHOLD = 5

CONFIDENTIAL = "[c]"
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"
PROVISIONAL = "[p]"

SYMBOLS: dict[str, str] = {
    CONFIDENTIAL: "confidential",
    NOT_AVAILABLE: "not available",
    NOT_APPLICABLE: "not applicable",
    PROVISIONAL: "provisional",
}
_SYMBOL_RE = re.compile(r"\[(?:c|x|z|p)\]")

#: Column names (or name endings after ``_``, or ``n_`` prefixes) that mark a column of counts of
#: people or events in a published CSV, for tables not described by a metadata sidecar.
COUNT_COLUMN_NAMES: frozenset[str] = frozenset(
    {
        "n", "count", "counts", "cohort_size", "size", "reoffenders", "reoffences",
        "non_reoffenders", "fte", "ftes", "first_time_entrants", "entrants", "starts",
        "treated", "matched", "unmatched", "people", "young_people", "referrals", "offences",
        "members", "reviews", "improved",
    }
)

NOTES_COLUMN = "notes"
METADATA_SUFFIX = "-metadata.json"


class DisclosureError(ValueError):
    """A table about to be published still shows a confidential count."""


# --------------------------------------------------------------------------------------------
# Primary and secondary suppression
# --------------------------------------------------------------------------------------------


def is_confidential(count: int | float | None, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """Whether a count is confidential under primary suppression: ``1 <= count < threshold``."""
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return False
    return 1 <= count < threshold


def as_polars(frame: object) -> pl.DataFrame:
    """A polars frame from a polars or pandas table (notebooks may hold either)."""
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    return pl.from_pandas(frame)  # type: ignore[arg-type]


def _check_threshold(threshold: int) -> None:
    if not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"threshold must be a whole number of at least 1, got {threshold!r}")


def _count_values(frame: pl.DataFrame, col: str) -> list[float | None]:
    values: list[float | None] = []
    for v in frame[col].to_list():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            values.append(None)
            continue
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise TypeError(f"count column {col!r} holds a non-number: {v!r}")
        if v < 0:
            raise ValueError(f"count column {col!r} holds a negative count: {v!r}")
        values.append(v)
    return values


def suppression_mask(
    frame: pl.DataFrame,
    counts: Sequence[str],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    total_row: bool = False,
    total_col: str | None = None,
    columns_add_up: bool = True,
    rows_add_up: bool = False,
    complements: Mapping[str, str] | None = None,
    blocks: str | None = None,
    derived: Mapping[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """Which count cells to suppress: one boolean column per count column, True = show ``[c]``.

    Primary: every count from 1 to ``threshold - 1``. Secondary: every group of cells that adds up to
    a known total (a column when ``columns_add_up`` or ``total_row``; a row when ``rows_add_up`` or
    ``total_col``) must not have exactly one hidden cell (suppressed or missing), or that cell is the
    total minus the others. Of every set of extra cells that protects all of them, the one that loses
    least is chosen, exactly (a small integer programme): in order, fewest zeros hidden (a zero is not
    confidential: it goes only as the last resort), fewest totals, the smallest total of the counts
    hidden (so a whole row is never given up where a smaller cell would do), then fewest published
    figures hidden (a count and every rate built from it, ``derived`` mapping each rate to its counts: a
    cell whose row already lost its rates costs only itself). Were the solver ever to give no proven optimum,
    cells are added one at a time by the same order (the greedy fallback). A shown total takes part in
    its groups like any cell.

    ``total_row``: the last row holds the totals of the rows above it. ``total_col``: this count
    column holds the total of the other count columns of its row. Without them, ``columns_add_up``
    (default) says each count column's rows add up to a total published elsewhere (such as the
    headline cohort size), so it is protected all the same; set it False when the rows do not add up
    (years, overlapping groups). ``rows_add_up`` says the same of the count columns of a row.
    ``blocks``: a column whose value splits the rows into blocks that each add up on their own (a
    table stacking the breakdowns by tier, sex, age band and ethnicity).

    ``complements`` maps a count to the total it is part of (``{"reoffenders": "cohort_size"}``):
    the difference (the non-reoffenders) is a count too, and when it is from 1 to
    ``threshold - 1`` the count is suppressed as if it were small itself.
    """
    frame = as_polars(frame)
    _check_threshold(threshold)
    cols = list(counts)
    if total_col is not None and total_col not in cols:
        cols.append(total_col)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"count columns not in the table: {missing}")
    grid = [_count_values(frame, c) for c in cols]  # grid[j][i]: column j, row i
    n_rows = frame.height
    hidden = {(i, j) for j in range(len(cols)) for i in range(n_rows) if grid[j][i] is None}
    suppressed = {
        (i, j)
        for j in range(len(cols))
        for i in range(n_rows)
        if is_confidential(grid[j][i], threshold)
    }
    for part, whole in (complements or {}).items():
        if part not in cols:
            raise KeyError(f"complements: {part!r} is not one of the count columns")
        if whole not in frame.columns:
            raise KeyError(f"complements: {whole!r} is not in the table")
        j = cols.index(part)
        for i, total in enumerate(_count_values(frame, whole)):
            value = grid[j][i]
            if value is not None and total is not None and is_confidential(total - value, threshold):
                suppressed.add((i, j))
    total_cells: set[tuple[int, int]] = set()
    if total_row and n_rows:
        total_cells |= {(n_rows - 1, j) for j in range(len(cols))}
    if total_col is not None:
        jt = cols.index(total_col)
        total_cells |= {(i, jt) for i in range(n_rows)}

    block_rows: list[list[int]] = [list(range(n_rows))]
    if blocks is not None:
        keys = frame.get_column(blocks).to_list()
        block_rows = [[i for i, k in enumerate(keys) if k == key] for key in dict.fromkeys(keys)]
    groups: list[list[tuple[int, int]]] = []
    if columns_add_up or total_row:
        groups += [[(i, j) for i in rows] for rows in block_rows if len(rows) > 1 for j in range(len(cols))]
    if (rows_add_up or total_col is not None) and len(cols) > 1:
        groups += [[(i, j) for j in range(len(cols))] for i in range(n_rows)]

    # the rates each count column takes with it when it is hidden
    rates_of: dict[int, list[list[int]]] = {j: [] for j in range(len(cols))}
    for sources in (derived or {}).values():
        idx = [cols.index(s) for s in sources if s in cols]
        for j in idx:
            rates_of[j].append(idx)

    rate_sources = [idx for idx in ([cols.index(s) for s in sources if s in cols] for sources in (derived or {}).values())
                    if idx]
    best = _least_loss(grid, groups, suppressed, hidden, total_cells, rate_sources)
    suppressed = best if best is not None else _greedy(grid, groups, suppressed, hidden, total_cells, rates_of)
    return pl.DataFrame(
        {c: [(i, j) in suppressed for i in range(n_rows)] for j, c in enumerate(cols)},
        schema={c: pl.Boolean for c in cols},
    )


Cell = tuple[int, int]


def _protected(groups: Sequence[Sequence[Cell]], suppressed: set[Cell], hidden: set[Cell]) -> bool:
    """No group that adds up to a known total has exactly one concealed cell that is suppressed."""
    for group in groups:
        concealed = [c for c in group if c in suppressed or c in hidden]
        if len(concealed) == 1 and concealed[0] in suppressed:
            return False
    return True


def _least_loss(grid: Sequence[Sequence[float | None]], groups: Sequence[Sequence[Cell]], primary: set[Cell],
                hidden: set[Cell], total_cells: set[Cell], rate_sources: Sequence[Sequence[int]],
                time_limit: float = 10.0) -> set[Cell] | None:
    """The secondary suppression that loses least, found exactly (a small integer programme, scipy's
    HiGHS): every primary cell hidden, no group with exactly one concealed suppressed cell, and, in
    this order, fewest zeros hidden (a zero is not confidential), fewest totals hidden, the smallest
    total of the counts hidden (the fewest young people or events kept from readers: a row of 77 is not
    given up where a cell of 17 protects the same count), then the fewest published figures hidden (a
    count and every rate built from it, ``rate_sources`` naming the count columns of each derived
    figure: between equal totals, a cell of a row whose rates are already gone costs only itself), then
    a cell of the smaller row (a smaller group's figures say less), then the earliest. None when the solver gives no proven optimum (the caller
    then falls back to the greedy choice)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    cells = [(i, j) for j, column in enumerate(grid) for i, v in enumerate(column) if v is not None]
    if not cells or not groups or not primary:
        return set(primary)
    index = {c: k for k, c in enumerate(cells)}
    # one variable per derived figure of a row (derived column r of row i), hidden when any of its counts is
    n_rows = max(len(column) for column in grid)
    rates = [(i, tuple(idx)) for idx in rate_sources for i in range(n_rows)]
    n = len(cells) + len(rates)
    values = [float(grid[j][i]) for (i, j) in cells]  # type: ignore[arg-type]
    # lexicographic weights: each level outweighs everything below it
    figure = 1.0 / (n + 1)                     # figures hidden: all of them cost less than one person
    w_total = sum(values) + 2.0                # a total outweighs every count
    w_zero = w_total * (len(total_cells) + 1)  # a zero outweighs every total
    # ties go to the cell of the smaller row (a smaller group's figures say less), then the earliest
    row_size = {i: sum(v for v in (column[i] for column in grid) if v is not None) for i, _ in cells}
    order = {c: p for p, c in enumerate(sorted(cells, key=lambda c: (row_size[c[0]], c[0], c[1])))}
    cost = np.zeros(n)
    for k, (i, j) in enumerate(cells):
        v = values[k]
        cost[k] = (v + figure * (1.0 + 0.5 * order[(i, j)] / len(cells) ** 2)
                   + (w_total if (i, j) in total_cells else 0.0) + (w_zero if v == 0 else 0.0))
    cost[len(cells):] = figure
    rows: list[np.ndarray] = []
    low: list[float] = []
    for group in groups:
        present = [c for c in group if c in index]
        missing = sum(1 for c in group if c in hidden)
        for c in present:  # x_c <= sum of the others + the missing cells of the group
            row = np.zeros(n)
            row[index[c]] = -1.0
            for d in present:
                if d != c:
                    row[index[d]] += 1.0
            rows.append(row)
            low.append(-float(missing))
    for r, (i, idx) in enumerate(rates):  # a rate is hidden when one of its counts is
        for j in idx:
            if (i, j) in index:
                row = np.zeros(n)
                row[len(cells) + r] = 1.0
                row[index[(i, j)]] = -1.0
                rows.append(row)
                low.append(0.0)
    lower = np.array([1.0 if c in primary else 0.0 for c in cells] + [0.0] * len(rates))
    constraints = [LinearConstraint(np.array(rows), np.array(low), np.inf)] if rows else []
    result = milp(cost, constraints=constraints, integrality=np.ones(n), bounds=Bounds(lower, np.ones(n)),
                  options={"time_limit": time_limit, "mip_rel_gap": 0.0})
    if result.status != 0 or result.x is None:
        return None
    chosen = {c for k, c in enumerate(cells) if result.x[k] > 0.5}
    return chosen if primary <= chosen and _protected(groups, chosen, hidden) else None


def _greedy(grid: Sequence[Sequence[float | None]], groups: Sequence[Sequence[Cell]], primary: set[Cell],
            hidden: set[Cell], total_cells: set[Cell], rates_of: Mapping[int, Sequence[Sequence[int]]]) -> set[Cell]:
    """Secondary suppression one cell at a time (the fallback of :func:`_least_loss`): while a group has
    exactly one concealed suppressed cell, hide its shown cell that loses least now."""
    suppressed = set(primary)
    n_cols = len(grid)

    def cost(cell: Cell) -> int:
        i, j = cell
        return 1 + sum(1 for idx in rates_of[j] if not any((i, k) in suppressed for k in idx))

    def row_size(i: int) -> float:
        return sum(v for v in (grid[k][i] for k in range(n_cols)) if v is not None)

    def priority(cell: Cell) -> tuple[bool, bool, float, int, float, int, int]:
        i, j = cell
        value = grid[j][i]
        assert value is not None
        return (value == 0, cell in total_cells, value, cost(cell), row_size(i), i, j)

    changed = True
    while changed:
        changed = False
        for group in groups:
            concealed = [c for c in group if c in suppressed or c in hidden]
            if len(concealed) != 1 or concealed[0] not in suppressed:
                continue  # a lone missing cell is not confidential: nothing to protect
            shown = [c for c in group if c not in suppressed and c not in hidden]
            if not shown:
                continue
            suppressed.add(min(shown, key=priority))
            changed = True
    return suppressed


@dataclass(frozen=True)
class SuppressionSpec:
    """A published table's disclosure relations, declared by the page that builds it.

    ``counts``: the columns of counts of people or events (primary suppression applies to them).
    ``derived``: each figure built from counts (a rate, an interval, a p-value, a verdict) and the
    count columns it rests on: it is ``[c]`` in every row where one of them is. ``total_col``,
    ``total_row``, ``columns_add_up``, ``rows_add_up``, ``blocks`` and ``complements``: which cells
    add up to a known total, as in :func:`suppression_mask`. The spec is written into the table's
    metadata sidecar and :func:`check_published` checks the published file against it.
    """

    counts: tuple[str, ...] = ()
    derived: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    total_col: str | None = None
    total_row: bool = False
    columns_add_up: bool = True
    rows_add_up: bool = False
    complements: Mapping[str, str] = field(default_factory=dict)
    blocks: str | None = None

    def mask(self, frame: pl.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> dict[str, list[bool]]:
        """Per count and derived column, which rows are ``[c]`` (primary and secondary suppression)."""
        frame = as_polars(frame)
        missing = [c for c in [*self.counts, *self.derived, *(s for ss in self.derived.values() for s in ss)]
                   if c not in frame.columns]
        if missing:
            raise KeyError(f"columns not in the table: {sorted(set(missing))}")
        extra = [s for ss in self.derived.values() for s in ss if s not in self.counts and s != self.total_col]
        counts = list(self.counts)
        mask = suppression_mask(
            frame, counts, threshold=threshold, total_row=self.total_row, total_col=self.total_col,
            columns_add_up=self.columns_add_up, rows_add_up=self.rows_add_up, complements=dict(self.complements),
            blocks=self.blocks, derived=self.derived,
        ) if counts or self.total_col else pl.DataFrame()
        extra = list(dict.fromkeys(extra))
        if extra:  # counts a figure rests on without being published as counts: protected down their column
            mask = mask.hstack(suppression_mask(frame, extra, threshold=threshold, total_row=self.total_row,
                                                columns_add_up=self.columns_add_up, blocks=self.blocks))
        out = {c: mask.get_column(c).to_list() for c in mask.columns}
        for column, sources in self.derived.items():
            out[column] = [any(row) for row in zip(*(out[s] for s in sources), strict=True)] if sources else \
                [False] * frame.height
        return out

    def to_json(self) -> dict[str, object]:
        """The spec as plain JSON (for the metadata sidecar)."""
        return {
            "counts": list(self.counts), "derived": {k: list(v) for k, v in self.derived.items()},
            "total_col": self.total_col, "total_row": self.total_row, "columns_add_up": self.columns_add_up,
            "rows_add_up": self.rows_add_up, "complements": dict(self.complements), "blocks": self.blocks,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> SuppressionSpec:
        derived = data.get("derived") or {}
        return cls(
            counts=tuple(data.get("counts") or ()),  # type: ignore[arg-type]
            derived={str(k): tuple(v) for k, v in derived.items()},  # type: ignore[union-attr]
            total_col=data.get("total_col"),  # type: ignore[arg-type]
            total_row=bool(data.get("total_row", False)),
            columns_add_up=bool(data.get("columns_add_up", True)),
            rows_add_up=bool(data.get("rows_add_up", False)),
            complements=dict(data.get("complements") or {}),  # type: ignore[arg-type]
            blocks=data.get("blocks"),  # type: ignore[arg-type]
        )


def _format_value(value: object, fmt: str | None) -> str:
    if fmt is not None:
        return fmt.format(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = f"{value:.3f}".rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    return str(value)


def _rate_sources(rates: Mapping[str, str | Sequence[str]] | None) -> dict[str, list[str]]:
    if not rates:
        return {}
    return {r: [src] if isinstance(src, str) else list(src) for r, src in rates.items()}


def suppress(
    frame: pl.DataFrame,
    counts: Sequence[str],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    rates: Mapping[str, str | Sequence[str]] | None = None,
    total_row: bool = False,
    total_col: str | None = None,
    columns_add_up: bool = True,
    rows_add_up: bool = False,
    complements: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """The publishable table: counts and rates as text, confidential cells shown as ``[c]``.

    ``counts`` are the count columns (people or events); every count from 1 to ``threshold - 1`` is
    ``[c]``, and so is every cell that secondary suppression needs (see ``suppression_mask`` for
    ``total_row``, ``total_col``, ``columns_add_up``, ``rows_add_up`` and ``complements``, which
    hides e.g. reoffenders when the non-reoffenders are few). ``rates`` maps each rate,
    percentage or interval column to the count column(s) it is built from: the rate is ``[c]`` in
    every row where one of them is. Missing counts are ``[x]`` (not available); a missing rate is
    ``[z]`` (not applicable) when one of its counts is 0 (a rate of nobody), else ``[x]``.
    ``formats`` gives a ``str.format`` pattern per column (e.g. ``{"binary_rate": "{:.1%}"}``);
    otherwise whole numbers print plainly and others to at most 3 decimals. Other columns (labels)
    are kept as they are.
    """
    frame = as_polars(frame)
    sources = _rate_sources(rates)
    needed = set(counts) | {s for src in sources.values() for s in src}
    missing = [c for c in [*needed, *sources] if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the table: {sorted(set(missing))}")
    count_cols = list(dict.fromkeys([*counts, *[s for src in sources.values() for s in src]]))
    if total_col is not None and total_col not in count_cols:
        count_cols.append(total_col)
    mask = suppression_mask(
        frame, list(counts), threshold=threshold, total_row=total_row, total_col=total_col,
        columns_add_up=columns_add_up, rows_add_up=rows_add_up, complements=complements,
    )
    # Counts a rate is built from but not named in ``counts`` are protected down their column
    # (not across rows: they are not parts of ``total_col``).
    extra = [c for c in count_cols if c not in mask.columns]
    if extra:
        mask = mask.hstack(
            suppression_mask(
                frame, extra, threshold=threshold, total_row=total_row, columns_add_up=columns_add_up
            )
        )
    formats = dict(formats or {})
    out: dict[str, pl.Series] = {}
    for col in count_cols:
        values = frame[col].to_list()
        out[col] = pl.Series(
            col,
            [
                CONFIDENTIAL if hide else NOT_AVAILABLE if _missing(v) else _format_value(v, formats.get(col))
                for v, hide in zip(values, mask[col].to_list(), strict=True)
            ],
            dtype=pl.String,
        )
    for rate, src in sources.items():
        hides = [any(row) for row in zip(*(mask[s].to_list() for s in src), strict=True)]
        zeros = [any(v == 0 for v in row) for row in zip(*(frame[s].to_list() for s in src), strict=True)]
        out[rate] = pl.Series(
            rate,
            [
                CONFIDENTIAL if hide
                else (NOT_APPLICABLE if zero else NOT_AVAILABLE) if _missing(v)
                else _format_value(v, formats.get(rate))
                for v, hide, zero in zip(frame[rate].to_list(), hides, zeros, strict=True)
            ],
            dtype=pl.String,
        )
    return frame.with_columns(*out.values())


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def suppress_for_chart(
    frame: pl.DataFrame,
    count_col: str,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    rates: Mapping[str, str | Sequence[str]] | None = None,
    columns_add_up: bool = True,
    label_col: str = "label",
) -> pl.DataFrame:
    """The chart's data with confidential bars taken out, and the label to show instead.

    Applies the same primary and secondary suppression as ``suppress`` to ``count_col`` and to the
    counts each rate in ``rates`` is built from (one bar or point per row; ``columns_add_up`` as
    there); sets a suppressed count, and every rate built from a suppressed count, to null so its bar
    is not drawn; and adds ``label_col``: ``[c]`` on rows with anything suppressed, else the count,
    to write where the bar would be.
    """
    frame = as_polars(frame)
    sources = _rate_sources(rates)
    count_cols = list(dict.fromkeys([count_col, *(s for ss in sources.values() for s in ss)]))
    mask = suppression_mask(frame, count_cols, threshold=threshold, columns_add_up=columns_add_up)
    hide_count = mask[count_col]
    hide_rate = {
        r: pl.Series([any(row) for row in zip(*(mask[s].to_list() for s in src), strict=True)], dtype=pl.Boolean)
        for r, src in sources.items()
    }
    hide = hide_count
    for h in hide_rate.values():
        hide = hide | h
    exprs = [
        pl.when(pl.lit(hide_count)).then(None).otherwise(pl.col(count_col)).alias(count_col),
        *[
            pl.when(pl.lit(hide_rate[r])).then(None).otherwise(pl.col(r)).alias(r)
            for r in sources
        ],
        pl.Series(
            label_col,
            [
                CONFIDENTIAL if h else NOT_AVAILABLE if _missing(v) else _format_value(v, None)
                for v, h in zip(frame[count_col].to_list(), hide.to_list(), strict=True)
            ],
            dtype=pl.String,
        ),
    ]
    return frame.with_columns(*exprs)


def safe_curve(curve: pl.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> pl.DataFrame | None:
    """A step curve (Kaplan-Meier) coarsened so that every drop it shows is at least ``threshold`` people.

    ``curve``: ``day``, ``surviving`` and ``people`` (how many people had their event that day), in
    day order, starting at day 0, as ``yot.evaluate.kaplan_meier`` gives it. Drawn day by day, each
    step of a small group shows how many people reoffended on one day. Here the curve steps only on
    the day the events since its last step reach ``threshold``; a remainder of fewer than
    ``threshold`` events at the end is merged into the last step (which moves to the last event day),
    so the curve still ends at its true value. Returns ``day`` and ``surviving`` (first and last day
    kept), or None when the group's events in all are from 1 to ``threshold - 1`` (nothing can be
    drawn without showing a small count). A curve with no events is returned flat.
    """
    _check_threshold(threshold)
    days, surv, people = (curve.get_column(c).to_list() for c in ("day", "surviving", "people"))
    if not days:
        return None
    total = int(sum(people))
    if 1 <= total < threshold:
        return None
    steps: list[tuple[float, float]] = [(days[0], 1.0)]
    pending = 0
    last_event = None
    for day, value, n in zip(days, surv, people, strict=True):
        if n == 0:
            continue
        pending += n
        last_event = (day, value)
        if pending >= threshold:
            steps.append((day, value))
            pending = 0
    if pending and last_event is not None:  # the tail is too small to show alone: merge it into the last step
        steps[-1] = last_event  # (there is one: the events total at least ``threshold``)
    if days[-1] > steps[-1][0]:
        steps.append((days[-1], steps[-1][1]))
    return pl.DataFrame({"day": [d for d, _ in steps], "surviving": [v for _, v in steps]},
                        schema={"day": pl.Float64, "surviving": pl.Float64})


def mark_provisional(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Mark figures as provisional (GSS ``[p]``): ``"123"`` becomes ``"123 [p]"``; symbols stay as they are."""
    return frame.with_columns(
        pl.when(pl.col(c).cast(pl.String).str.contains(r"^\[[cxzp]\]$"))
        .then(pl.col(c).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String) + " " + PROVISIONAL)
        .alias(c)
        for c in columns
    )


# --------------------------------------------------------------------------------------------
# Symbols key, HTML and published CSV
# --------------------------------------------------------------------------------------------


def symbols_in(frame: pl.DataFrame) -> list[str]:
    """The GSS symbols that appear in a table's cells, in key order."""
    found: set[str] = set()
    for col in frame.columns:
        if frame[col].dtype == pl.String:
            for v in frame[col].drop_nulls().unique().to_list():
                found.update(_SYMBOL_RE.findall(v))
    return [s for s in SYMBOLS if s in found]


def symbol_meaning(symbol: str, threshold: int = DEFAULT_THRESHOLD) -> str:
    """What a GSS symbol means in this suite, in words for the key."""
    if symbol == CONFIDENTIAL:
        return f"confidential: a count from 1 to {threshold - 1}, or a figure that would reveal one"
    if symbol == PROVISIONAL:
        return "provisional: the follow-up or waiting period is not over yet, so the figure may rise"
    return SYMBOLS[symbol]


def gss_key_html(symbols_used: Iterable[str], threshold: int = DEFAULT_THRESHOLD) -> str:
    """The key to the symbols used, as HTML for under a table or in a page footer ('' if none)."""
    used = set(symbols_used)
    unknown = used - set(SYMBOLS)
    if unknown:
        raise ValueError(f"not GSS symbols: {sorted(unknown)}")
    items = [
        f"<li><code>{html.escape(s)}</code> {html.escape(symbol_meaning(s, threshold))}</li>"
        for s in SYMBOLS
        if s in used
    ]
    if not items:
        return ""
    return '<div class="gss-key"><p>Symbols used:</p><ul>' + "".join(items) + "</ul></div>"


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"-?[\d,]*\.?\d+%?(\s*\[[cxzp]\])?|\[[cxzp]\]", text.strip()))


def to_html(
    frame: pl.DataFrame,
    *,
    caption: str | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    row_headers: bool = True,
    key: bool = True,
    counts: Sequence[str] | None = None,
) -> str:
    """A publishable table as a plain, accessible HTML table, with the symbols key under it.

    The frame should come from ``suppress``. Column headers are ``<th scope="col">``; with
    ``row_headers`` the first column is ``<th scope="row">``. Numbers are right-aligned. Every value
    is escaped. Underscores in column names become spaces. As a safety net, a table whose count
    columns (``counts``, default by name: ``is_count_column``) still show a count from 1 to
    ``threshold - 1`` is refused with ``DisclosureError``.
    """
    frame = as_polars(frame)
    refuse_small_counts(
        frame, list(counts) if counts is not None else [c for c in frame.columns if is_count_column(c)],
        threshold, what=caption or "table",
    )
    parts = ['<table class="yot-table">']
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>")
    for col in frame.columns:
        parts.append(f'<th scope="col">{html.escape(col.replace("_", " "))}</th>')
    parts.append("</tr></thead><tbody>")
    for row in frame.iter_rows():
        parts.append("<tr>")
        for j, value in enumerate(row):
            text = "" if value is None else _format_value(value, None)
            cls = ' class="num" style="text-align:right"' if _looks_numeric(text) else ""
            if j == 0 and row_headers:
                parts.append(f'<th scope="row"{cls}>{html.escape(text)}</th>')
            else:
                parts.append(f"<td{cls}>{html.escape(text)}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table>")
    if key:
        parts.append(gss_key_html(symbols_in(frame), threshold))
    return "".join(parts)


def is_count_column(name: str) -> bool:
    """Whether a published CSV column holds counts by its name (the convention for tables with no sidecar).

    A name equal to one of ``COUNT_COLUMN_NAMES``, ending in ``_`` plus one of them, or starting
    with ``n_`` (``n_treated``). Rates are named otherwise (``binary_rate``, ``pct_...``).
    """
    low = name.strip().lower()
    if low in COUNT_COLUMN_NAMES or low.startswith("n_"):
        return True
    return any(low.endswith("_" + n) for n in COUNT_COLUMN_NAMES)


def _parse_count(text: str) -> float | None:
    """The number in a published count cell (``"1,234"``, ``"12 [p]"``), or None if there is none."""
    m = re.fullmatch(r"\s*(-?[\d,]*\.?\d+)\s*(?:\[[cxzp]\]\s*)*", text)
    if not m:
        return None
    try:
        return float(m.group(1).replace(",", ""))
    except ValueError:
        return None


def _count_cell_problem(text: str, threshold: int) -> str | None:
    stripped = text.strip()
    if stripped == "" or _SYMBOL_RE.fullmatch(stripped):
        return None
    value = _parse_count(stripped)
    if value is None:
        return "not a count"
    if is_confidential(value, threshold):
        return "a count below the threshold"
    return None


def refuse_small_counts(
    frame: pl.DataFrame, counts: Sequence[str], threshold: int = DEFAULT_THRESHOLD, *, what: str = "table"
) -> None:
    """Raise ``DisclosureError`` if a count column still shows a count from 1 to ``threshold - 1``."""
    for col in counts:
        for i, v in enumerate(frame[col].to_list()):
            if v is None:
                continue
            text = _format_value(v, None)
            if _count_cell_problem(text, threshold) == "a count below the threshold":
                raise DisclosureError(
                    f"{what}: column {col!r} row {i + 1} shows {text!r}, a count from 1 to "
                    f"{threshold - 1}; pass the table through yot.disclosure.suppress first"
                )


def publish_table(
    frame: pl.DataFrame,
    path_csv: str | Path,
    *,
    notes: str | Sequence[str | None] | None = None,
    counts: Sequence[str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    title: str | None = None,
) -> Path:
    """Write a publishable table as CSV with a ``notes`` column, and its metadata sidecar.

    ``frame`` should come from ``suppress``. ``counts`` names its count columns (default: those the
    naming convention ``is_count_column`` recognises); if any of them still shows a count from 1 to
    ``threshold - 1`` nothing is written and ``DisclosureError`` is raised. ``notes`` is one note
    for every row or one per row; the meaning of any GSS symbol in a row is added to its note.
    Beside ``x.csv`` goes ``x.csv-metadata.json`` (the CSV on the Web naming) listing the count
    columns, so ``check_published`` checks exactly those. Both are written atomically.
    """
    frame = as_polars(frame)
    _check_threshold(threshold)
    path = Path(path_csv)
    count_cols = list(counts) if counts is not None else [c for c in frame.columns if is_count_column(c)]
    missing = [c for c in count_cols if c not in frame.columns]
    if missing:
        raise KeyError(f"count columns not in the table: {missing}")
    refuse_small_counts(frame, count_cols, threshold, what=path.name)
    if notes is None or isinstance(notes, str):
        row_notes: list[str | None] = [notes] * frame.height
    else:
        row_notes = list(notes)
        if len(row_notes) != frame.height:
            raise ValueError(f"notes: {len(row_notes)} notes for {frame.height} rows")
    existing = frame[NOTES_COLUMN].to_list() if NOTES_COLUMN in frame.columns else [None] * frame.height
    body = frame.drop(NOTES_COLUMN) if NOTES_COLUMN in frame.columns else frame
    text_rows = [
        ["" if v is None else _format_value(v, None) for v in row] for row in body.iter_rows()
    ]
    out_notes = []
    for cells, given, old in zip(text_rows, row_notes, existing, strict=True):
        used = {s for cell in cells for s in _SYMBOL_RE.findall(cell)}
        parts = [p for p in (old, given) if p]
        parts += [f"{s} {symbol_meaning(s, threshold)}" for s in SYMBOLS if s in used]
        out_notes.append("; ".join(parts))
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(
        path,
        lambda f: _write_csv(f, [*body.columns, NOTES_COLUMN], [[*r, n] for r, n in zip(text_rows, out_notes, strict=True)]),
    )
    meta = {
        "@context": "http://www.w3.org/ns/csvw",
        "url": path.name,
        "dc:title": title or path.stem.replace("_", " "),
        "yot:disclosure_threshold": threshold,
        "yot:count_columns": count_cols,
        "tableSchema": {"columns": [{"name": c, "titles": c} for c in [*body.columns, NOTES_COLUMN]]},
    }
    _atomic_write(
        metadata_path(path), lambda f: f.write(json.dumps(meta, indent=2) + "\n")
    )
    return path


def metadata_path(path_csv: Path) -> Path:
    """The metadata sidecar of a published CSV: ``x.csv`` -> ``x.csv-metadata.json``."""
    return path_csv.with_name(path_csv.name + METADATA_SUFFIX)


def _write_csv(f: TextIO, header: list[str], rows: list[list[str]]) -> None:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


PUBLISHED_MODE = 0o644
"""Published files are readable by everyone who can read the pack (mkstemp would leave them 0600)."""


def publish_rows(
    path_csv: str | Path,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    row_notes: Sequence[str] | None = None,
    *,
    spec: Mapping[str, object],
    threshold: int = DEFAULT_THRESHOLD,
    title: str | None = None,
    source: str = "",
) -> Path:
    """Write an already-suppressed table (cells as published: plain numbers or GSS symbols) as CSV
    with a ``notes`` column, and its metadata sidecar declaring the suppression spec (in terms of the
    CSV's own column names) that :func:`check_published` checks the file against.

    Refuses (``DisclosureError``) a count column that still shows a count from 1 to ``threshold - 1``.
    """
    _check_threshold(threshold)
    path = Path(path_csv)
    counts = [str(c) for c in spec.get("counts", []) or []]  # type: ignore[union-attr]
    missing = [c for c in counts if c not in header]
    if missing:
        raise KeyError(f"count columns not in the table: {missing}")
    for col in counts:
        j = list(header).index(col)
        for i, row in enumerate(rows):
            if _count_cell_problem(row[j], threshold) == "a count below the threshold":
                raise DisclosureError(f"{path.name}: column {col!r} row {i + 1} shows {row[j]!r}, a count from 1 to "
                                      f"{threshold - 1}")
    notes = list(row_notes) if row_notes is not None else [""] * len(rows)
    out_notes = []
    for cells, given in zip(rows, notes, strict=True):
        used = {sym for cell in cells for sym in _SYMBOL_RE.findall(cell)}
        parts = [given] if given else []
        parts += [f"{sym} {symbol_meaning(sym, threshold)}" for sym in SYMBOLS if sym in used and sym not in given]
        out_notes.append("; ".join(parts))
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, lambda f: _write_csv(f, [*header, NOTES_COLUMN],
                                             [[*r, n] for r, n in zip(rows, out_notes, strict=True)]))
    meta = {
        "@context": "http://www.w3.org/ns/csvw",
        "url": path.name,
        "dc:title": title or path.stem.replace("_", " "),
        "dc:source": source,
        "yot:disclosure_threshold": threshold,
        "yot:count_columns": counts,
        "yot:suppression": dict(spec),
        "tableSchema": {"columns": [{"name": c, "titles": c} for c in [*header, NOTES_COLUMN]]},
    }
    _atomic_write(metadata_path(path), lambda f: f.write(json.dumps(meta, indent=2) + "\n"))
    return path


def _atomic_write(path: Path, write: Callable[[TextIO], object]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            write(f)
        os.chmod(tmp, PUBLISHED_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------------
# The published-output check
# --------------------------------------------------------------------------------------------

ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "people": ("person_id",),
    "offences": ("offence_id", "person_id"),
    "interventions": ("intervention_id", "person_id"),
    "referrals": ("referral_id", "person_id"),
    "assessments": ("person_id",),
    "substance_reviews": ("person_id",),
}
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "offences": ("offence_date", "outcome_date", "release_date"),
    "interventions": ("start_date", "end_date"),
    "referrals": ("referral_date",),
    "assessments": ("assessment_date",),
    "substance_reviews": ("review_date",),
}
#: Files never allowed in a published folder: row-level data or the analyst's exact-figure notebooks.
FORBIDDEN_SUFFIXES: frozenset[str] = frozenset(
    {".ipynb", ".parquet", ".feather", ".arrow", ".pkl", ".pickle", ".sqlite", ".db", ".duckdb"}
)
#: Binary files skipped by the scan (images are checked through their chart data, not their pixels).
BINARY_SUFFIXES: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".bmp", ".tif", ".tiff", ".pdf",
     ".woff", ".woff2", ".ttf", ".otf", ".eot", ".zip", ".gz", ".bz2", ".xz"}
)
_DATA_URI_RE = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:[-_/.:][A-Za-z0-9]+)*")
_RUN_RE = re.compile(r"[A-Za-z0-9]+|\w+")
_MONTHS = {
    m.lower(): i
    for i, names in enumerate(
        [("January", "Jan"), ("February", "Feb"), ("March", "Mar"), ("April", "Apr"), ("May",),
         ("June", "Jun"), ("July", "Jul"), ("August", "Aug"), ("September", "Sep", "Sept"),
         ("October", "Oct"), ("November", "Nov"), ("December", "Dec")],
        start=1,
    )
    for m in names
}
_ISO_DATE_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_UK_DATE_RE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_WORD_DATE_RE = re.compile(
    r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r")\.?,?\s+(\d{4})(?!\d)",
    re.IGNORECASE,
)


_ROW_LEVEL_COLUMNS = ("person_id", "date_of_birth", "offence_id", "intervention_id", "referral_id")
# A row-level column as an HTML header cell, or in a printed polars frame (box-drawing separators).
_ROW_LEVEL_HEADER_RE = re.compile(
    r"<th[^>]*>\s*(?:{c})\s*</th>|[┆│]\s*(?:{c})\s*(?=[┆│])".format(c="|".join(_ROW_LEVEL_COLUMNS))
)


def checked_identifier(value: str) -> bool:
    """Whether an identifier is distinctive enough to search for as a whole token.

    At least 4 characters, and not a plain number of fewer than 6 digits without a leading zero:
    such a number cannot be told apart from a year or a count on a page, so it is not searched for.
    """
    if len(value) < 4:
        return False
    if value.isdigit() and len(value) < 6 and not value.startswith("0"):
        return False
    return True


def _ids(extract: Extract) -> set[str]:
    found: set[str] = set()
    for table, cols in ID_COLUMNS.items():
        frames = [extract.table(table)]
        if table in extract.quarantine:
            frames.append(extract.quarantine[table])
        for frame in frames:
            for col in cols:
                if col in frame.columns:
                    found.update(
                        str(v).strip() for v in frame[col].drop_nulls().cast(pl.String).unique().to_list()
                    )
    return {v for v in found if checked_identifier(v)}


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _dates_of_birth(extract: Extract) -> set[date]:
    found: set[date] = set()
    frames = [extract.people]
    if "people" in extract.quarantine:
        frames.append(extract.quarantine["people"])
    for frame in frames:
        if "date_of_birth" in frame.columns:
            for v in frame["date_of_birth"].drop_nulls().unique().to_list():
                d = _as_date(v)
                if d is not None:
                    found.add(d)
    return found


def coverage_dates(extract: Extract) -> set[date]:
    """The dates a page may show legitimately that come from the data: the earliest and latest of
    each event-date column (the data-quality page's coverage) and so the default extract date."""
    found: set[date] = set()
    for table, cols in DATE_COLUMNS.items():
        frame = extract.table(table)
        for col in cols:
            if col in frame.columns and frame.height:
                series = frame[col].drop_nulls()
                if series.len():
                    found.update(d for d in (series.min(), series.max()) if isinstance(d, date))
    return found


def _dates_in(text: str) -> set[date]:
    """Every date written in ``text`` as ``YYYY-MM-DD``, ``D/M/YYYY`` or ``D Month YYYY``."""
    ymd = [(int(y), int(m), int(d)) for y, m, d in _ISO_DATE_RE.findall(text)]
    ymd += [(int(y), int(m), int(d)) for d, m, y in _UK_DATE_RE.findall(text)]
    ymd += [(int(y), _MONTHS[month.lower()], int(d)) for d, month, y in _WORD_DATE_RE.findall(text)]
    return {d for d in (_safe_date(*t) for t in ymd) if d is not None}


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _tokens(text: str) -> set[str]:
    return set(_TOKEN_RE.findall(text)) | set(_RUN_RE.findall(text))


def _csv_count_columns(path: Path, header: list[str]) -> tuple[list[str], bool]:
    """The count columns of a published CSV: from its sidecar when there is one, else by name."""
    meta = metadata_path(path)
    if meta.exists():
        try:
            declared = json.loads(meta.read_text(encoding="utf-8")).get("yot:count_columns")
        except (json.JSONDecodeError, AttributeError):
            declared = None
        if isinstance(declared, list):
            return [c for c in declared if c in header], True
    return [c for c in header if is_count_column(c)], False


def _declared_spec(path: Path) -> dict | None:
    meta = metadata_path(path)
    if not meta.exists():
        return None
    try:
        spec = json.loads(meta.read_text(encoding="utf-8")).get("yot:suppression")
    except (json.JSONDecodeError, AttributeError):
        return None
    return spec if isinstance(spec, dict) else None


def _check_declared(header: list[str], rows: list[list[str]], spec: Mapping[str, object], threshold: int,
                    where: str) -> list[str]:
    """A published CSV against the relations its sidecar declares: no small count in a count column;
    every derived figure hidden where a count it rests on is; no group of cells that adds up to a
    known total with exactly one ``[c]``; no complement (total minus part) from 1 to threshold - 1."""
    def col(name: object) -> int | None:
        return header.index(name) if isinstance(name, str) and name in header else None

    def text(i: int, j: int) -> str:
        return rows[i][j].strip() if j < len(rows[i]) else ""

    problems: list[str] = []
    counts = [j for c in spec.get("counts", []) or [] if (j := col(c)) is not None]  # type: ignore[union-attr]
    for j in counts:
        for i in range(len(rows)):
            problem = _count_cell_problem(text(i, j), threshold)
            if problem:
                problems.append(f"{where}: line {i + 2}, column {header[j]!r}: {problem} ({text(i, j)!r})")
    for name, sources in (spec.get("derived") or {}).items():  # type: ignore[union-attr]
        j = col(name)
        src = [k for s in sources if (k := col(s)) is not None]
        if j is None:
            continue
        for i in range(len(rows)):
            if any(text(i, k) == CONFIDENTIAL for k in src) and not _SYMBOL_RE.fullmatch(text(i, j) or "-"):
                problems.append(f"{where}: line {i + 2}, column {header[j]!r}: shown although a count it rests on "
                                "is [c]")
    total_col = col(spec.get("total_col"))
    groups: list[list[tuple[int, int]]] = []
    if spec.get("columns_add_up", True) or spec.get("total_row"):
        blocks_j = col(spec.get("blocks"))
        keys = [text(i, blocks_j) if blocks_j is not None else "" for i in range(len(rows))]
        for key in dict.fromkeys(keys):
            members = [i for i, k in enumerate(keys) if k == key]
            if len(members) > 1:
                groups += [[(i, j) for i in members] for j in counts]
    if (spec.get("rows_add_up") or total_col is not None) and len(counts) + (total_col is not None) > 1:
        across = list(dict.fromkeys([*counts, *([total_col] if total_col is not None else [])]))
        groups += [[(i, j) for j in across] for i in range(len(rows))]
    for group in groups:
        hidden = [(i, j) for i, j in group if text(i, j) == CONFIDENTIAL]
        missing = [(i, j) for i, j in group if text(i, j) in (NOT_AVAILABLE, "")]
        if len(hidden) == 1 and not missing:
            i, j = hidden[0]
            problems.append(f"{where}: line {i + 2}, column {header[j]!r}: the only [c] in cells that add up to a "
                            "known total, so it can be worked out")
    for part, whole in (spec.get("complements") or {}).items():  # type: ignore[union-attr]
        jp, jw = col(part), col(whole)
        if jp is None or jw is None:
            continue
        for i in range(len(rows)):
            a, b = _parse_count(text(i, jp)), _parse_count(text(i, jw))
            if a is not None and b is not None and is_confidential(b - a, threshold):
                problems.append(f"{where}: line {i + 2}: {whole!r} minus {part!r} is {b - a:.0f}, a count from 1 to "
                                f"{threshold - 1}")
    return problems


def _check_csv_counts(path: Path, text: str, threshold: int, where: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = rows[0]
    declared = _declared_spec(path)
    if declared is not None:
        row_level = [f"{where}: a table of row-level records (a {c.strip()!r} column)"
                     for c in header if c.strip().lower() in _ROW_LEVEL_COLUMNS]
        return row_level + _check_declared(header, rows[1:], declared, threshold, where)
    problems = [
        f"{where}: a table of row-level records (a {c.strip()!r} column)"
        for c in header
        if c.strip().lower() in _ROW_LEVEL_COLUMNS
    ]
    cols, declared = _csv_count_columns(path, header)
    for col in cols:
        j = header.index(col)
        for i, row in enumerate(rows[1:], start=2):
            if j >= len(row):
                continue
            problem = _count_cell_problem(row[j], threshold)
            if problem == "a count below the threshold" or (problem and declared):
                problems.append(f"{where}: line {i}, column {col!r}: {problem} ({row[j]!r})")
    problems += _derivable_cells(header, rows[1:], cols, where)
    problems += _cells_given_by_rates(header, rows[1:], cols, where)
    return problems


_SCALES = (1.0, 1e-2, 1e-3, 1e-5)  # a proportion or a percentage; per 100, 1,000 or 100,000


def _number_with_precision(text: str) -> tuple[float, float] | None:
    """The number in a published cell and half a unit of its last digit (``21.7%`` -> 0.217, 0.0005)."""
    m = re.fullmatch(r"\s*(-?[\d,]*\.?(\d+))\s*(%?)\s*(?:\[[cxzp]\]\s*)*", text)
    if not m:
        return None
    number = m.group(1).replace(",", "")
    decimals = len(number.split(".")[1]) if "." in number else 0
    value, half = float(number), 0.5 * 10.0**-decimals
    if m.group(3):
        value, half = value / 100, half / 100
    return value, half


def _cells_given_by_rates(header: list[str], rows: list[list[str]], cols: list[str], where: str) -> list[str]:
    """Suppressed counts that a rate still shown in their row gives away: ``count = rate x base x scale``.

    Such a relation (``reoffenders = binary_rate x cohort_size``, ``fte = rate_per_100k x population /
    100,000``) is taken to hold when at least two rows with different values show all three non-zero and every
    row showing all three agrees, allowing for the rounding of the figures shown. A row where the
    count is ``[c]`` but the rate and its base are shown closely enough to pin it down is flagged.
    """
    parsed = [
        {h: (_HIDDEN if (row[j].strip() if j < len(row) else "") == CONFIDENTIAL
             else _number_with_precision(row[j]) if j < len(row) else None)
         for j, h in enumerate(header)}
        for row in rows
    ]
    numeric = [h for h in header if h != NOTES_COLUMN and any(isinstance(r[h], tuple) for r in parsed)]
    problems = []
    for count in cols:
        if not any(r[count] == _HIDDEN for r in parsed):
            continue
        found: set[int] = set()
        candidates = [h for h in numeric if h != count]
        for k, rate in enumerate(candidates):
            for base in candidates[k + 1:]:
                if rate in cols and base in cols:
                    continue  # a product of two counts is no rate
                for scale in _SCALES:
                    full = [(r[count], r[rate], r[base]) for r in parsed
                            if all(isinstance(r[x], tuple) for x in (count, rate, base))]
                    agree = [_within(h, rt, b, scale) for h, rt, b in full]
                    nonzero = len({(h[0], rt[0], b[0]) for h, rt, b in full if h[0] and rt[0] and b[0]})
                    if not full or not all(agree) or nonzero < 2:
                        continue
                    for i, r in enumerate(parsed, start=2):
                        rt, b = r[rate], r[base]
                        if i not in found and r[count] == _HIDDEN and isinstance(rt, tuple) and isinstance(b, tuple):
                            centre = rt[0] * b[0] * scale
                            slack = scale * (abs(b[0]) * rt[1] + abs(rt[0]) * b[1] + rt[1] * b[1])
                            if 2 * slack < 1:
                                found.add(i)
                                problems.append(
                                    f"{where}: line {i}, column {count!r}: [c] can be worked out "
                                    f"from {rate!r} and {base!r} shown in the same row (about {centre:.0f})"
                                )
                    break
    return problems


def _within(count: tuple[float, float], rate: tuple[float, float], base: tuple[float, float], scale: float) -> bool:
    slack = scale * (abs(base[0]) * rate[1] + abs(rate[0]) * base[1] + rate[1] * base[1]) + count[1] + 1e-9
    return abs(count[0] - rate[0] * base[0] * scale) <= slack


_HIDDEN = "hidden"


def _derivable_cells(header: list[str], rows: list[list[str]], cols: list[str], where: str) -> list[str]:
    """Suppressed cells that another column gives away, as in ``cohort_size = reoffenders + non_reoffenders``.

    A relation ``a = b + c`` between three count columns is taken to hold when at least two rows
    with different values show all three, with ``b`` and ``c`` not zero, and it holds in every row
    showing all three; a
    row where exactly one of the three is ``[c]`` then shows it all the same.
    """
    def cell(row: list[str], col: str) -> float | str | None:
        j = header.index(col)
        text = row[j].strip() if j < len(row) else ""
        if text == CONFIDENTIAL:
            return _HIDDEN
        return _parse_count(text)

    grid = [{c: cell(row, c) for c in cols} for row in rows]
    problems = []
    for a in cols:
        others = [c for c in cols if c != a]
        for k, b in enumerate(others):
            for c in others[k + 1:]:
                full = [(r[a], r[b], r[c]) for r in grid
                        if all(isinstance(r[x], float) for x in (a, b, c))]
                if any(abs(va - vb - vc) > 1e-9 for va, vb, vc in full):  # type: ignore[operator]
                    continue
                if len({t for t in full if t[1] and t[2]}) < 2:
                    continue  # two different rows are needed: one repeated row may agree by chance
                for i, r in enumerate(grid, start=2):
                    values = [r[a], r[b], r[c]]
                    if values.count(_HIDDEN) == 1 and all(isinstance(v, float) for v in values if v != _HIDDEN):
                        hidden = (a, b, c)[values.index(_HIDDEN)]
                        problems.append(
                            f"{where}: line {i}, column {hidden!r}: [c] can be worked out, "
                            f"as {a} = {b} + {c} in this table"
                        )
    return problems


def check_published(
    folder: str | Path,
    extract: Extract,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    allowed_dates: Iterable[date | str] = (),
) -> list[str]:
    """Every disclosure problem in a published folder, one line each (an empty list = safe to publish).

    Scans every file under ``folder`` (HTML, CSV, SVG, JSON, text, ...; images and other binaries
    skipped, embedded base64 images skipped) for:
    - any person, offence, intervention or referral id of the extract (accepted or quarantined),
      matched as a whole token, for ids ``checked_identifier`` accepts;
    - any date of birth of the extract, written ``YYYY-MM-DD``, ``D/M/YYYY`` or ``D Month YYYY``,
      unless it is in ``allowed_dates`` (the period bounds and other dates the report legitimately
      shows) or in ``coverage_dates(extract)``;
    - in every CSV, any count cell from 1 to ``threshold - 1`` (count columns from the
      ``publish_table`` sidecar, else by ``is_count_column``);
    - any table with a row-level column (``person_id``, ``date_of_birth``, ``offence_id``, ...) as
      an HTML header cell, a CSV column or a printed frame's column, whatever the ids look like;
    - any file type that only the analyst may hold (notebooks, Parquet and other data files).
    """
    _check_threshold(threshold)
    root = Path(folder)
    if not root.is_dir():
        return [f"{root}: published folder does not exist"]
    ids = _ids(extract)
    allowed = {d for d in (_as_date(a) for a in allowed_dates) if d is not None}
    dobs = _dates_of_birth(extract) - allowed - coverage_dates(extract)
    problems: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        where = str(path.relative_to(root))
        suffix = path.suffix.lower()
        if suffix in FORBIDDEN_SUFFIXES:
            problems.append(f"{where}: a {suffix} file (row-level data or analyst notebook) is not publishable")
            continue
        if suffix in BINARY_SUFFIXES:
            continue
        raw = path.read_bytes()
        if b"\0" in raw[:8192]:
            continue
        text = _DATA_URI_RE.sub(" ", raw.decode("utf-8", errors="replace"))
        header = _ROW_LEVEL_HEADER_RE.search(text)
        if header:
            name = re.sub(r"<[^>]*>|[┆│\s]", "", header.group(0))
            problems.append(f"{where}: a table of row-level records (a {name!r} column)")
        leaked = sorted(_tokens(text) & ids)
        if leaked:
            problems.append(f"{where}: identifiers from the extract: {_sample(leaked)}")
        born = sorted(_dates_in(text) & dobs)
        if born:
            problems.append(f"{where}: dates of birth from the extract: {_sample([d.isoformat() for d in born])}")
        if suffix == ".csv" and not path.name.endswith(METADATA_SUFFIX):
            problems.extend(_check_csv_counts(path, text, threshold, where))
    return problems


def _sample(values: list[str], limit: int = 5) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")
