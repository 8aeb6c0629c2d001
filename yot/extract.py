"""The loaded extract: one typed object that every analysis takes, instead of loose frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from yot.contract import TABLES


@dataclass(frozen=True)
class TableCount:
    """Rows of one table: ``read == accepted + quarantined`` always holds."""

    read: int
    accepted: int
    quarantined: int

    def __post_init__(self) -> None:
        if self.read != self.accepted + self.quarantined:
            raise ValueError(f"row counts do not add up: {self}")


@dataclass(frozen=True)
class Problem:
    """One broken rule on one row: ``row`` is the 1-based position among the file's data rows."""

    table: str
    row: int
    column: str | None
    rule: str
    value: str | None


@dataclass(frozen=True)
class Extract:
    """A validated case-level extract.

    Every contract table is present as a polars frame with the contract's types (an absent optional
    table is an empty frame with the right schema; ``present`` says which were given). ``quarantine``
    holds, per table, the rows set aside as read (all columns as strings) with a ``rule`` column.
    """

    people: pl.DataFrame
    offences: pl.DataFrame
    interventions: pl.DataFrame
    referrals: pl.DataFrame
    assessments: pl.DataFrame
    substance_reviews: pl.DataFrame
    population: pl.DataFrame
    comparators: pl.DataFrame
    present: frozenset[str] = frozenset({"people", "offences"})
    counts: dict[str, TableCount] = field(default_factory=dict)
    problems: Sequence[Problem] = ()
    quarantine: dict[str, pl.DataFrame] = field(default_factory=dict)
    source: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)
    as_at_date: dt.date | None = None
    synthetic: bool = False

    def table(self, name: str) -> pl.DataFrame:
        """The accepted rows of table ``name``."""
        return getattr(self, name)

    def has(self, name: str) -> bool:
        """Whether the extract gave table ``name`` (an absent optional table is empty)."""
        return name in self.present


SYNTHETIC_MARKER = "SYNTHETIC"
"""The file ``yot synth`` writes into every extract it makes; a real extract never has it."""


def empty_table(name: str) -> pl.DataFrame:
    """An empty frame with the contract schema of table ``name``."""
    return pl.DataFrame(schema=TABLES[name].schema)


def conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Cast ``frame`` to the contract types of table ``name``, keeping extra columns after them.

    Missing optional columns are added as nulls. Used by tests and the generator to build an
    ``Extract`` from frames made in memory; the loader does its own checked casting.
    """
    table = TABLES[name]
    exprs = []
    for col in table.columns:
        if col.name in frame.columns:
            exprs.append(pl.col(col.name).cast(col.dtype))
        else:
            exprs.append(pl.lit(None, dtype=col.dtype).alias(col.name))
    extras = [c for c in frame.columns if c not in table.column_names]
    return frame.select(*exprs, *extras)


def make_extract(**frames: pl.DataFrame | list[dict] | None) -> Extract:
    """Build an ``Extract`` from in-memory tables (frames or lists of row dicts), unvalidated.

    For tests and notebooks working on hand-made data. Dates may be given as ``datetime.date``.
    """
    unknown = set(frames) - set(TABLES)
    if unknown:
        raise ValueError(f"unknown tables: {sorted(unknown)}")
    tables: dict[str, pl.DataFrame] = {}
    present = set()
    for name, table in TABLES.items():
        given = frames.get(name)
        if given is None:
            tables[name] = empty_table(name)
            continue
        present.add(name)
        if isinstance(given, pl.DataFrame):
            frame = given
        elif given:
            frame = pl.DataFrame(given, infer_schema_length=None)
        else:
            frame = empty_table(name)
        tables[name] = conform(name, frame)
    counts = {n: TableCount(f.height, f.height, 0) for n, f in tables.items() if n in present}
    return Extract(**tables, present=frozenset(present), counts=counts)


def as_at(extract: Extract, extract_date: dt.date) -> Extract:
    """The extract as it stood on ``extract_date`` (METHODS.md "Extract date and as at runs").

    Anything dated after the extract date was not known then: offences with an outcome_date after it
    are not proven yet (left out); a custody release after it has not happened (release_date made
    missing: still in custody); interventions that start, referrals, assessments and end reviews dated
    after it do not exist (left out); an intervention that ends after it is still open (end_date made
    missing and status ``ongoing``). People, population estimates and published comparator figures
    are kept as they are. The load report (``counts``, ``problems``, ``quarantine``) still describes
    the files as read. An extract date after the latest date in the data changes nothing but the date.
    """
    offences = extract.offences.filter(pl.col("outcome_date") <= extract_date).with_columns(
        release_date=pl.when(pl.col("release_date") <= extract_date).then(pl.col("release_date"))
    )
    ended_later = pl.col("end_date") > extract_date
    interventions = extract.interventions.filter(pl.col("start_date") <= extract_date).with_columns(
        status=pl.when(ended_later).then(pl.lit("ongoing")).otherwise(pl.col("status")),
        end_date=pl.when(ended_later).then(None).otherwise(pl.col("end_date")),
    )
    return replace(
        extract,
        offences=offences,
        interventions=interventions,
        referrals=extract.referrals.filter(pl.col("referral_date") <= extract_date),
        assessments=extract.assessments.filter(pl.col("assessment_date") <= extract_date),
        substance_reviews=extract.substance_reviews.filter(pl.col("review_date") <= extract_date),
        as_at_date=extract_date,
    )


def latest_date(extract: Extract) -> dt.date | None:
    """The latest date of any event in the extract (offences, outcomes, releases, starts, ends,
    referrals, assessments, reviews): an extract date after it adds nothing the data could show."""
    found = [
        frame.get_column(col).max()
        for frame, cols in (
            (extract.offences, ("offence_date", "outcome_date", "release_date")),
            (extract.interventions, ("start_date", "end_date")),
            (extract.referrals, ("referral_date",)),
            (extract.assessments, ("assessment_date",)),
            (extract.substance_reviews, ("review_date",)),
        )
        for col in cols
        if frame.height
    ]
    dates = [d for d in found if isinstance(d, dt.date)]
    return max(dates) if dates else None


def extract_date_notes(given: dt.date | None, latest: dt.date | None) -> list[str]:
    """What a run says about its extract date: as at an earlier day, later records are left out; a day
    after the latest date in the data is allowed and changes nothing but the date the figures are as at."""
    if given is None or latest is None:
        return []
    if given > latest:
        return [f"extract date {given.isoformat()} is after the latest date in the data ({latest.isoformat()}): "
                "allowed; nothing is left out and the figures are as at the extract date"]
    if given < latest:
        return [f"figures as at {given.isoformat()}: records dated after it (up to {latest.isoformat()}) are "
                "treated as not yet known"]
    return []
