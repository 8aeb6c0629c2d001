"""The validated loader: a data folder in, one checked ``Extract`` out (DATA_CONTRACT.md).

Every table of the contract is read from ``<table>.parquet`` or ``<table>.csv`` (Parquet wins).
Fatal problems (missing folder, required table or column; a file that cannot be parsed) raise
``LoadError`` with one message naming the file; nothing is half-loaded. A row that breaks a rule of
the contract is set aside in the extract's quarantine with the rule it broke: never dropped or kept
silently, so for every table rows read = rows accepted + rows quarantined.

Both formats go through one path: every column is brought to text (Parquet dates to ISO), the rules
are checked on the text, and the accepted rows are then cast to the contract's types. (A Parquet
column already stored with its contract type, a Date or an integer, is checked as stored: it cannot
break the date or integer rules, and converting it twice would only cost time.)

A command reads and validates only the tables it needs (``tables=``), and each table's result is kept
in the validated-extract cache (:mod:`yot.cache`): a later load of the same file reads it back instead
of validating again, with the same report and quarantine.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, overload

import polars as pl

from yot.contract import CUSTODY_OUTCOMES, OUTCOMES, TABLES, Column, Table
from yot.extract import SYNTHETIC_MARKER, Extract, Problem, TableCount, empty_table

RULES: dict[str, str] = {
    "missing_value": "a required value is missing (empty field)",
    "bad_date": "a date that is not a real calendar date written YYYY-MM-DD",
    "bad_integer": "a value that should be a whole number and is not",
    "out_of_range": "a whole number outside the range the contract allows for its column",
    "unknown_code": "a value that is not one of the column's codes (exact match, case-sensitive)",
    "duplicate_id": "an identifier shared by more than one row (every row sharing it is set aside)",
    "unknown_person": "a person_id that is not among the accepted people "
    "(absent from people, or that person's row was set aside)",
    "offence_after_outcome": "offence_date is after outcome_date",
    "release_not_custody": "a release_date on an outcome that is not a custody outcome",
    "release_before_outcome": "release_date is before outcome_date",
    "end_before_start": "end_date is before start_date (comparators: period_end before period_start)",
    "reoffenders_above_cohort": "more reoffenders than the cohort has members",
    "reoffences_below_reoffenders": "fewer reoffences than reoffenders (each reoffender has at least one)",
}
"""Every row rule the loader applies, by its stable short name, with a plain-English description."""

ROW_COLUMN = "row"
RULE_COLUMN = "rule"
RULE_SEPARATOR = "; "

_DATE_TEXT = r"^\d{4}-\d{2}-\d{2}$"
_INTEGER_TEXT = r"^-?\d{1,18}$"
_ROW = "__row"
_IDENTIFIER_HINT = "identifiers must be strings: leading zeros would be lost"


class LoadError(Exception):
    """A fatal problem with an extract: it cannot be loaded at all (the message names the file)."""


@dataclass(frozen=True, eq=False)
class _Check:
    """One row rule on one column: ``broken`` is true on the rows that break it."""

    column: str
    rule: str
    broken: pl.Expr
    value: pl.Expr


# --- reading -------------------------------------------------------------------------------------


def table_files(folder: Path) -> dict[str, Path]:
    """The file of each contract table present in ``folder`` (``.parquet`` wins over ``.csv``)."""
    files: dict[str, Path] = {}
    for name in TABLES:
        for suffix in (".parquet", ".csv"):
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                files[name] = candidate
                break
    return files


def _first_bad_utf8_line(path: Path) -> int | None:
    """The 1-based line (header = line 1) holding the file's first byte that is not UTF-8."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data.count(b"\n", 0, exc.start) + 1
    return None


def _first_long_line(path: Path) -> int | None:
    """The 1-based line of the first record with more fields than the header, if any."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        for record in reader:
            if len(record) > len(header):
                return reader.line_num
    return None


def read_csv_text(path: Path) -> pl.DataFrame:
    """A CSV file as read, every column as text (an empty field is missing), with its data-row
    positions in ``__row``.

    A line with no values at all (a blank line, or only commas) holds no record and is skipped; the
    positions of the other rows still count it, so they match the file's lines.
    """
    if path.stat().st_size == 0:
        raise LoadError(f"{path}: the file is empty (0 bytes): expected at least a header row")
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.NoDataError:
        raise LoadError(f"{path}: the file is empty: expected at least a header row") from None
    except OSError as exc:
        raise LoadError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except pl.exceptions.PolarsError as exc:
        line = _first_bad_utf8_line(path)
        if line is not None:
            raise LoadError(f"{path}: not UTF-8 text: the first bad byte is on line {line}") from None
        if "more fields" in str(exc):
            long_line = _first_long_line(path)
            where = f" (line {long_line})" if long_line else ""
            raise LoadError(f"{path}: a record has more fields than the header{where}") from None
        raise LoadError(f"{path}: cannot be parsed as CSV: {_first_line(exc)}") from None
    repeated = _repeated_column(path)
    if repeated is not None:
        raise LoadError(f"{path}: column {repeated!r} appears more than once in the header")
    values = frame.columns
    frame = frame.with_row_index(_ROW, offset=1)  # after reading: asking the reader for it costs memory
    blank = frame.select(pl.all_horizontal(pl.col(values).is_null())).to_series()
    return frame.filter(~blank) if blank.any() else frame


def _repeated_column(path: Path) -> str | None:
    """The first column name that the CSV header gives twice, if any."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    seen: set[str] = set()
    for name in header:
        if name in seen:
            return name
        seen.add(name)
    return None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def read_parquet_frame(path: Path) -> pl.DataFrame:
    """A Parquet file as stored (typed columns)."""
    try:
        return pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for a file that is not Parquet
        raise LoadError(f"{path}: not a readable Parquet file: {_first_line(exc)}") from None


def as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """Column ``name`` as text: dates in ISO form, whole floats without ``.0``, NaN as missing."""
    col = pl.col(name)
    if dtype == pl.String:
        text = col
    elif dtype == pl.Date:
        text = col.dt.to_string("%Y-%m-%d")
    elif isinstance(dtype, pl.Datetime):
        text = (
            pl.when(col.dt.time() == dt.time(0))
            .then(col.dt.date().dt.to_string("%Y-%m-%d"))
            .otherwise(col.cast(pl.String))
        )
    elif dtype.is_float():
        text = (
            pl.when(col.is_nan())
            .then(pl.lit(None, pl.String))
            .when(col.is_finite() & (col == col.round()))
            .then(col.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(col.cast(pl.String))
        )
    elif dtype.is_nested():
        text = pl.struct(col).struct.json_encode()
    else:
        text = col.cast(pl.String)
    return text.alias(name)


def _is_identifier(column: Column) -> bool:
    return column.unique or column.person_ref


def check_columns(path: Path, table: Table, frame: pl.DataFrame) -> None:
    """Fatal column problems: a contract column missing, or a Parquet identifier stored as a number."""
    for column in table.columns:
        if column.name not in frame.columns:
            if not column.required:
                continue
            columns = [c for c in frame.columns if c != _ROW]
            near = [c for c in columns if c.strip().lower() == column.name]
            hint = f" (found {near[0]!r}: column names are exact and lower case)" if near else ""
            found = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
            raise LoadError(f"{path}: column {column.name!r} is missing{hint}; columns found: {found}")
        dtype = frame.schema[column.name]
        if _is_identifier(column) and dtype.is_numeric():
            raise LoadError(f"{path}: column {column.name!r} is stored as numbers ({dtype}): {_IDENTIFIER_HINT}")


def stored_typed(column: Column, dtype: pl.DataType) -> bool:
    """Whether a Parquet column already holds the contract type (a date as Date, a number as integer).

    Such a column cannot break the date or integer rules, so it is checked as stored, not as text.
    """
    return (column.dtype == pl.Date and dtype == pl.Date) or (column.dtype == pl.Int64 and dtype.is_integer())


def text_frame(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """Every column of ``frame`` as text; contract columns with an empty field as missing, absent
    optional contract columns added as missing. Contract columns stored with their type stay typed."""
    contract = {c.name: c for c in table.columns}
    exprs = []
    for name, dtype in frame.schema.items():
        if name == _ROW or (name in contract and stored_typed(contract[name], dtype)):
            exprs.append(pl.col(name))
            continue
        text = as_text(name, dtype)
        if name in contract:
            text = pl.when(text == "").then(pl.lit(None, pl.String)).otherwise(text).alias(name)
        exprs.append(text)
    absent = [pl.lit(None, pl.String).alias(c) for c in table.column_names if c not in frame.columns]
    return frame.select(*exprs, *absent)


# --- rules ---------------------------------------------------------------------------------------


def parse_date(name: str) -> pl.Expr:
    """The date in text column ``name`` when it is a real calendar date written YYYY-MM-DD, else null."""
    col = pl.col(name)
    return pl.when(col.str.contains(_DATE_TEXT)).then(col.str.to_date("%Y-%m-%d", strict=False))


def parse_integer(name: str) -> pl.Expr:
    """The whole number in text column ``name`` (optional minus sign, digits only), else null."""
    col = pl.col(name)
    return pl.when(col.str.contains(_INTEGER_TEXT)).then(col.cast(pl.Int64, strict=False))


_TYPED = "__typed_"


def typed(name: str) -> pl.Expr:
    """The parsed value of a date or integer contract column (null where the text does not parse).

    Computed once per table by :func:`validate_table`, then shared by every rule and the output.
    """
    return pl.col(f"{_TYPED}{name}")


def _parse(column: Column, dtype: pl.DataType) -> pl.Expr | None:
    if stored_typed(column, dtype):
        return pl.col(column.name).cast(column.dtype, strict=False).alias(f"{_TYPED}{column.name}")
    if column.dtype == pl.Date:
        return parse_date(column.name).alias(f"{_TYPED}{column.name}")
    if column.dtype == pl.Int64:
        return parse_integer(column.name).alias(f"{_TYPED}{column.name}")
    return None


def _output(column: Column) -> pl.Expr:
    if column.dtype in (pl.Date, pl.Int64):
        return typed(column.name).alias(column.name)
    return pl.col(column.name).cast(column.dtype)


def column_checks(
    column: Column, accepted_people: pl.Series | None, cannot_break: frozenset[tuple[str, str]] = frozenset()
) -> list[_Check]:
    """The single-column rules of one contract column, in the order they are reported.

    ``cannot_break`` names ``(column, rule)`` pairs already shown to hold on every row by a cheaper
    whole-column test (:func:`rules_that_hold`); their checks are left out (they would flag nothing).
    """
    name = column.name
    col = pl.col(name)
    present = col.is_not_null()
    checks: list[_Check] = []
    if column.required:
        checks.append(_Check(name, "missing_value", col.is_null(), col))
    if column.dtype == pl.Date:
        checks.append(_Check(name, "bad_date", present & typed(name).is_null(), col))
    if column.dtype == pl.Int64:
        value = typed(name)
        checks.append(_Check(name, "bad_integer", present & value.is_null(), col))
        if column.low is not None or column.high is not None:
            low = value < column.low if column.low is not None else pl.lit(False)
            high = value > column.high if column.high is not None else pl.lit(False)
            checks.append(_Check(name, "out_of_range", value.is_not_null() & (low | high), col))
    if column.codes is not None:
        checks.append(_Check(name, "unknown_code", present & ~col.is_in(list(column.codes)), col))
    if column.unique and (name, "duplicate_id") not in cannot_break:
        checks.append(_Check(name, "duplicate_id", present & col.is_duplicated(), col))
    if column.person_ref and accepted_people is not None and (name, "unknown_person") not in cannot_break:
        checks.append(_Check(name, "unknown_person", present & ~col.is_in(accepted_people.implode()), col))
    return checks


def _pair(first: str, second: str) -> pl.Expr:
    """The value of ``first`` with ``second`` beside it, e.g. ``2005-03-02 (outcome_date 2005-03-01)``."""
    return pl.concat_str(
        [
            pl.col(first).cast(pl.String),
            pl.lit(f" ({second} "),
            pl.col(second).cast(pl.String).fill_null("missing"),
            pl.lit(")"),
        ]
    )


def offence_after_outcome() -> _Check:
    """An offence cannot be committed after the day it was proven."""
    broken = typed("offence_date") > typed("outcome_date")
    return _Check("offence_date", "offence_after_outcome", broken, _pair("offence_date", "outcome_date"))


def release_not_custody() -> _Check:
    """A release date belongs only to a custody outcome."""
    outcome = pl.col("outcome")
    broken = (
        pl.col("release_date").is_not_null()
        & outcome.is_in(list(OUTCOMES))
        & ~outcome.is_in(list(CUSTODY_OUTCOMES))
    )
    return _Check("release_date", "release_not_custody", broken, _pair("release_date", "outcome"))


def release_before_outcome() -> _Check:
    """Release from custody cannot come before the sentence."""
    broken = typed("release_date") < typed("outcome_date")
    return _Check("release_date", "release_before_outcome", broken, _pair("release_date", "outcome_date"))


def end_before_start() -> _Check:
    """A programme episode cannot end before it starts."""
    broken = typed("end_date") < typed("start_date")
    return _Check("end_date", "end_before_start", broken, _pair("end_date", "start_date"))


def period_end_before_start() -> _Check:
    """A comparator's period cannot end before it starts."""
    broken = typed("period_end") < typed("period_start")
    return _Check("period_end", "end_before_start", broken, _pair("period_end", "period_start"))


def reoffenders_above_cohort() -> _Check:
    """Reoffenders are members of the cohort: 0 to cohort_size."""
    broken = typed("reoffenders") > typed("cohort_size")
    return _Check("reoffenders", "reoffenders_above_cohort", broken, _pair("reoffenders", "cohort_size"))


def reoffences_below_reoffenders() -> _Check:
    """Every reoffender has at least one reoffence."""
    broken = typed("reoffences") < typed("reoffenders")
    return _Check("reoffences", "reoffences_below_reoffenders", broken, _pair("reoffences", "reoffenders"))


CROSS_COLUMN_RULES = {
    "offence_date_after_outcome_date": offence_after_outcome,
    "release_date_not_custody": release_not_custody,
    "release_date_before_outcome_date": release_before_outcome,
    "end_date_before_start_date": end_before_start,
    "period_end_before_period_start": period_end_before_start,
    "reoffenders_above_cohort_size": reoffenders_above_cohort,
    "reoffences_below_reoffenders": reoffences_below_reoffenders,
}
"""The contract's cross-column rules (``Table.extra_rules``) and the check that applies each."""


def table_checks(
    table: Table, accepted_people: pl.Series | None, cannot_break: frozenset[tuple[str, str]] = frozenset()
) -> list[_Check]:
    """Every row rule of ``table``: its columns' rules, then its cross-column rules (less any in
    ``cannot_break``, see :func:`column_checks`)."""
    checks = [check for column in table.columns for check in column_checks(column, accepted_people, cannot_break)]
    for rule in table.extra_rules:
        if rule not in CROSS_COLUMN_RULES:
            raise NotImplementedError(f"the loader has no check for contract rule {rule!r}")
        checks.append(CROSS_COLUMN_RULES[rule]())
    return checks


# --- one table -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TableLoad:
    """One table after validation: accepted rows (typed), set-aside rows (as read) and problems."""

    accepted: pl.DataFrame
    quarantine: pl.DataFrame
    problems: pl.DataFrame
    count: TableCount


PROBLEM_SCHEMA = {"table": pl.String, "row": pl.Int64, "column": pl.String, "rule": pl.String, "value": pl.String}


def rules_that_hold(table: Table, text: pl.DataFrame, accepted_people: pl.Series | None) -> frozenset[tuple[str, str]]:
    """The ``(column, rule)`` pairs of the identity rules that no row of ``text`` breaks, found by
    cheaper whole-column tests than the row checks themselves.

    ``duplicate_id``: the column's values, sorted, never repeat a neighbour (a sort is cheaper than
    hashing every value to find repeats, and all but free on an export already in id order).
    ``unknown_person``: an anti-join with the accepted people finds no row (cheaper than a membership
    test per row). When a rule does not hold, its row check runs as usual and reports the same rows.
    """
    holds: set[tuple[str, str]] = set()
    for column in table.columns:
        name = column.name
        if column.unique:
            values = text.get_column(name).drop_nulls().sort()
            if values.len() < 2 or (values.slice(1) != values.slice(0, values.len() - 1)).all():
                holds.add((name, "duplicate_id"))
        if column.person_ref and accepted_people is not None:
            known = accepted_people.rename(name).cast(text.schema[name]).to_frame()
            if text.select(name).drop_nulls().join(known, on=name, how="anti").height == 0:
                holds.add((name, "unknown_person"))
    return frozenset(holds)


def validate_table(table: Table, frame: pl.DataFrame, accepted_people: pl.Series | None = None) -> TableLoad:
    """Apply every row rule of ``table`` to ``frame`` (as read) and split it into accepted and set aside.

    ``accepted_people`` are the person_ids of the accepted people, against which ``person_id`` is
    checked (``None`` skips the check: used for people itself). A row breaking several rules is set
    aside once, its ``rule`` naming every rule broken (in ``RULES`` order); ``problems`` has one row
    per row, column and rule. The rules are checked in one pass: every check is an expression, and
    all of them are worked out together in one ``with_columns``.
    """
    if _ROW not in frame.columns:
        frame = frame.with_row_index(_ROW, offset=1)
    file_columns = [c for c in frame.columns if c != _ROW]
    extras = [c for c in file_columns if c not in table.column_names]
    row_name = ROW_COLUMN if ROW_COLUMN not in file_columns else f"_{ROW_COLUMN}"
    rule_name = RULE_COLUMN if RULE_COLUMN not in file_columns else f"_{RULE_COLUMN}"

    parsed = [e for c in table.columns if (e := _parse(c, frame.schema.get(c.name, pl.String))) is not None]
    text = text_frame(table, frame).with_columns(pl.col(_ROW).cast(pl.Int64), *parsed)
    checks = table_checks(table, accepted_people, rules_that_hold(table, text, accepted_people))
    flags = [f"__broken_{i}" for i in range(len(checks))]
    text = text.with_columns(
        *[check.broken.fill_null(False).alias(flag) for check, flag in zip(checks, flags)],
        (pl.any_horizontal(*[check.broken.fill_null(False) for check in checks]) if checks else pl.lit(False))
        .alias("__bad"),
    )
    rule_flags = {
        rule: [flag for check, flag in zip(checks, flags) if check.rule == rule] for rule in RULES
    }
    rule_text = pl.concat_str(
        [pl.when(pl.any_horizontal(fl)).then(pl.lit(rule)) for rule, fl in rule_flags.items() if fl],
        separator=RULE_SEPARATOR,
        ignore_nulls=True,
    )

    bad = text.get_column("__bad")
    outputs = [_output(c) for c in table.columns]
    quarantine_columns = [pl.col(c).cast(pl.String) for c in file_columns]
    if not bad.any():  # the usual case: nothing to filter, nothing to report
        accepted = text.select(*outputs)
        if extras:
            accepted = pl.concat([accepted, frame.select(extras)], how="horizontal")
        quarantine = text.clear().select(*quarantine_columns, pl.col(_ROW).alias(row_name),
                                         pl.lit(None, pl.String).alias(rule_name))
        problems = pl.DataFrame(schema=PROBLEM_SCHEMA)
    else:
        accepted = text.filter(~bad).select(*outputs)
        if extras:
            accepted = pl.concat([accepted, frame.select(extras).filter(~bad)], how="horizontal")
        quarantine = text.filter(bad).select(*quarantine_columns, pl.col(_ROW).alias(row_name),
                                             rule_text.alias(rule_name))
        problems = problem_rows(table.name, text.filter(bad), checks, flags)
    count = TableCount(read=frame.height, accepted=accepted.height, quarantined=quarantine.height)
    return TableLoad(accepted=accepted, quarantine=quarantine, problems=problems, count=count)


def problem_rows(table: str, text: pl.DataFrame, checks: list[_Check], flags: list[str]) -> pl.DataFrame:
    """One row per broken rule per row and column, ordered by row then by check."""
    parts = [
        text.filter(pl.col(flag)).select(
            pl.lit(table).alias("table"),
            pl.col(_ROW).alias("row"),
            pl.lit(check.column).alias("column"),
            pl.lit(check.rule).alias("rule"),
            check.value.cast(pl.String).alias("value"),
            pl.lit(i).alias("__check"),
        )
        for i, (check, flag) in enumerate(zip(checks, flags))
    ]
    if not parts:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    return pl.concat(parts).sort("row", "__check").drop("__check")


# --- the extract ---------------------------------------------------------------------------------


class ProblemRows(Sequence[Problem]):
    """The problems of a load: a read-only sequence of ``Problem``, kept as a polars frame.

    Behaves like the tuple ``Extract.problems`` is declared as (length, indexing, iteration,
    equality with a tuple of ``Problem``), but makes each ``Problem`` only when asked: an extract with
    a systematic fault (say every sex code in lower case) has millions, and building them all up
    front would take longer than the load itself. ``frame`` has the columns of ``Problem``.
    """

    __slots__ = ("frame",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __len__(self) -> int:
        return self.frame.height

    @overload
    def __getitem__(self, index: int) -> Problem: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Problem, ...]: ...

    def __getitem__(self, index: int | slice) -> Problem | tuple[Problem, ...]:
        if isinstance(index, slice):
            return tuple(itertools.starmap(Problem, self.frame[index].iter_rows()))
        if not -len(self) <= index < len(self):
            raise IndexError("problem index out of range")
        return Problem(*self.frame.row(index))

    def __iter__(self) -> Iterator[Problem]:
        return itertools.starmap(Problem, self.frame.iter_rows())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ProblemRows):
            return self.frame.equals(other.frame)
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __repr__(self) -> str:
        shown = ", ".join(repr(p) for p in self[:3])
        more = f", ... ({len(self)} in all)" if len(self) > 3 else ""
        return f"ProblemRows([{shown}{more}])"


def problem_frame(extract: Extract) -> pl.DataFrame:
    """Every problem of ``extract`` as a frame: table, row, column, rule, value."""
    if isinstance(extract.problems, ProblemRows):
        return extract.problems.frame
    rows = [asdict(p) for p in extract.problems]
    return pl.DataFrame(rows, schema=PROBLEM_SCHEMA, orient="row") if rows else pl.DataFrame(schema=PROBLEM_SCHEMA)


def read_table(path: Path, table: Table) -> pl.DataFrame:
    """A table's file as read, its contract columns checked for presence (fatal when missing)."""
    frame = read_parquet_frame(path) if path.suffix == ".parquet" else read_csv_text(path)
    check_columns(path, table, frame)
    return frame


def needed_tables(tables: Iterable[str] | None) -> tuple[str, ...]:
    """The tables to validate for a command that needs ``tables`` (None: all), in contract order:
    those, and people whenever one of them names a person (its rows follow the people set aside)."""
    if tables is None:
        return tuple(TABLES)
    wanted = set(tables)
    unknown = wanted - set(TABLES)
    if unknown:
        raise ValueError(f"not tables of the data contract: {sorted(unknown)}")
    if any(c.person_ref for name in wanted for c in TABLES[name].columns):
        wanted.add("people")
    return tuple(name for name in TABLES if name in wanted)


_LAST: dict[str, tuple[str, TableLoad]] = {}
"""Per table, the cache key and result of its latest load in this process: a notebook kernel reused
for the next notebook of a run gets the same tables back without reading the cache again."""


def _parts(load: TableLoad) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, TableCount]:
    """The parts of a table's load, in the order of ``TableLoad`` and ``yot.cache.CachedTable``."""
    return load.accepted, load.quarantine, load.problems, load.count


def _copy(load: TableLoad) -> TableLoad:
    """A copy whose frames can be changed in place without touching ``load`` (columns are shared)."""
    return TableLoad(load.accepted.clone(), load.quarantine.clone(), load.problems.clone(), load.count)


def _validate(files: dict[str, Path], names: Sequence[str], use_cache: bool, write_soon: bool = False
              ) -> dict[str, TableLoad]:
    """Each table of ``names`` (present in ``files``) validated, or its result read from the cache
    (``write_soon``: new entries written in the background, :func:`yot.cache.write_entry_soon`)."""
    from yot import cache

    write = cache.write_entry_soon if write_soon else cache.write_entry

    loads: dict[str, TableLoad] = {}
    keys: dict[str, str] = {}
    if use_cache:
        for name in names:
            person_ref = any(c.person_ref for c in TABLES[name].columns)
            keys[name] = cache.entry_key(name, files[name], people_key=keys.get("people") if person_ref else None)
            last = _LAST.get(name)
            if last is not None and last[0] == keys[name]:
                loads[name] = _copy(last[1])
                if not cache.has_entry(name, keys[name]):  # cleared, or another cache folder: fill it
                    cache.write_entry(name, keys[name], cache.CachedTable(*_parts(last[1])), source=files[name])
                continue
            hit = cache.read_entry(name, keys[name])
            if hit is not None:
                loads[name] = TableLoad(hit.accepted, hit.quarantine, hit.problems, hit.count)
    # Every file still to validate is read (and its columns checked) before any is validated, so the
    # first fatal problem in contract order is the one reported, cache or not.
    raw = {name: read_table(files[name], TABLES[name]) for name in names if name not in loads}
    accepted_people = loads["people"].accepted.get_column("person_id") if "people" in loads else None
    for name in names:
        if name in loads:
            continue
        loads[name] = validate_table(TABLES[name], raw.pop(name), None if name == "people" else accepted_people)
        if name == "people":
            accepted_people = loads["people"].accepted.get_column("person_id")
        if use_cache:
            write(name, keys[name], cache.CachedTable(*_parts(loads[name])), source=files[name])
    if use_cache:
        _LAST.update({name: (keys[name], _copy(loads[name])) for name in names})
    return loads


def load_extract(
    path: Path, *, tables: Iterable[str] | None = None, cache: bool = True, write_cache_soon: bool = False
) -> Extract:
    """Load and validate the extract in folder ``path`` against the data contract.

    Raises ``LoadError`` on a fatal problem; otherwise every table of the contract is present in the
    result with the contract's types (absent optional tables empty), rows breaking a rule are in
    ``quarantine`` with the rule, and ``counts`` holds rows read, accepted and set aside per table.

    ``tables``: validate only these (None: all), with people when one of them names a person; the
    others are not read at all (empty, and not in ``present`` or ``counts``), so a broken file a
    command does not need does not stop it. ``cache``: read each table's result from the
    validated-extract cache when its file, the contract and the code are unchanged, and write it
    there after validating (:mod:`yot.cache`; off also when ``YOT_NO_CACHE`` is set). The result is
    the same with and without the cache. ``write_cache_soon``: write those entries in the background
    while the caller goes on (a one-shot command: the process waits for them before it ends).
    """
    from yot.cache import cache_enabled

    folder = Path(path)
    if not folder.exists():
        raise LoadError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise LoadError(f"{folder}: not a folder (give the folder holding the extract's tables)")
    files = table_files(folder)
    for name, table in TABLES.items():
        if table.required and name not in files:
            raise LoadError(f"{folder}: required table {name!r} is missing (expected {name}.parquet or {name}.csv)")

    names = [name for name in needed_tables(tables) if name in files]
    loads = _validate(files, names, cache_enabled(no_cache=not cache), write_cache_soon)

    frames = {name: loads[name].accepted if name in loads else empty_table(name) for name in TABLES}
    problem_frames = [loads[name].problems for name in TABLES if name in loads] or [pl.DataFrame(schema=PROBLEM_SCHEMA)]
    problems = ProblemRows(pl.concat(problem_frames).select(list(PROBLEM_SCHEMA)))
    return Extract(
        **frames,
        present=frozenset(loads),
        counts={name: loads[name].count for name in TABLES if name in loads},
        problems=problems,  # type: ignore[arg-type]  # a lazy sequence of Problem, see ProblemRows
        quarantine={name: loads[name].quarantine for name in TABLES if name in loads},
        source=folder,
        files={name: files[name] for name in TABLES if name in loads},
        synthetic=(folder / SYNTHETIC_MARKER).is_file(),
    )


def table_counts(extract: Extract) -> dict[str, dict[str, int]]:
    """Rows read, accepted and quarantined per present table, in contract order."""
    return {
        name: {"read": c.read, "accepted": c.accepted, "quarantined": c.quarantined}
        for name in TABLES
        if (c := extract.counts.get(name)) is not None
    }


def load_report(extract: Extract) -> dict[str, Any]:
    """The load report: rows read/accepted/quarantined per present table (contract order), and every
    problem as ``{"table", "row", "column", "rule", "value"}``. The shape of ``yot validate --json``."""
    return {"tables": table_counts(extract), "problems": problem_frame(extract).to_dicts()}


def load_report_json(extract: Extract) -> str:
    """:func:`load_report` as JSON text (what ``yot validate --json`` prints), one problem a line.

    The problems are encoded by polars, so an extract with millions of them still prints in seconds.
    """
    tables = json.dumps(table_counts(extract), indent=2).replace("\n", "\n  ")
    lines = problem_frame(extract).select(pl.struct(pl.all()).struct.json_encode()).to_series()
    problems = "[\n" + ",\n".join(f"    {line}" for line in lines) + "\n  ]" if len(lines) else "[]"
    return f'{{\n  "tables": {tables},\n  "problems": {problems}\n}}'


def write_quarantine(extract: Extract, outdir: Path) -> list[Path]:
    """Write ``<table>.csv`` in ``outdir`` with each set-aside row as read, its row number and rule.

    Only tables with set-aside rows get a file. Returns the files written, in contract order.
    """
    outdir = Path(outdir)
    written: list[Path] = []
    for name in TABLES:
        frame = extract.quarantine.get(name)
        if frame is None or frame.height == 0:
            continue
        outdir.mkdir(parents=True, exist_ok=True)
        target = outdir / f"{name}.csv"
        frame.write_csv(target)
        written.append(target)
    return written


def rule_counts(extract: Extract) -> pl.DataFrame:
    """Problems per table and rule (rows breaking the rule), with each rule's description."""
    return (
        problem_frame(extract)
        .group_by("table", "rule")
        .agg(pl.col("row").n_unique().alias("rows"))
        .sort(
            pl.col("table").replace_strict(list(TABLES), list(range(len(TABLES))), default=None),
            pl.col("rule").replace_strict(list(RULES), list(range(len(RULES))), default=None),
        )
        .with_columns(pl.col("rule").replace_strict(RULES, default=None).alias("description"))
    )
