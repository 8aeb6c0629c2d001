"""Index events, cohorts and reoffences: METHODS.md "Index event and cohort" and "Reoffences".

Each function is one rule, written as a lazy polars query; :func:`reoffending` wires them together and
collects once. Periods are inclusive of both ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

import polars as pl

from yot.contract import CUSTODY_OUTCOMES, OUTCOME_TIER
from yot.dates import add_months, add_months_expr, age_at
from yot.extract import Extract

AGE_BANDS: tuple[str, ...] = ("10-14", "15-17")
MEMBER_COLUMNS: tuple[str, ...] = (
    "person_id", "offence_id", "index_date", "offence_date", "outcome_date", "outcome", "tier",
    "gravity", "offence_type", "age", "age_band", "sex", "ethnicity", "yot",
)


def _lazy(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def index_events(offences: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Every proven offence that has an index date, with that date as ``index_date``.

    The index date is the outcome_date, except for a custody outcome, whose index date is its
    release_date; a custody outcome with no release_date has no index date (still in custody) and is
    left out. Adds ``tier`` from the outcome.

    ``tier`` is added after the index date, in a step of its own, so that a filter on ``index_date``
    applied to this query (a cohort period) is pushed down by polars before the tier is worked out.
    """
    custody = pl.col("outcome").is_in(list(CUSTODY_OUTCOMES))
    return (
        _lazy(offences)
        .with_columns(index_date=pl.when(custody).then(pl.col("release_date")).otherwise(pl.col("outcome_date")))
        .filter(pl.col("index_date").is_not_null())
        .with_columns(tier=pl.col("outcome").replace_strict(OUTCOME_TIER, default=None, return_dtype=pl.String))
    )


def age_band(age: pl.Expr) -> pl.Expr:
    """METHODS.md age bands: 10-14 and 15-17 (null outside 10-17)."""
    return (
        pl.when(age.is_between(10, 14)).then(pl.lit("10-14"))
        .when(age.is_between(15, 17)).then(pl.lit("15-17"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def cohort(extract: Extract, start: dt.date, end: dt.date) -> pl.LazyFrame:
    """The cohort of the period ``start <= index_date <= end``: one row per member, at their index offence.

    A member has at least one offence whose index date falls in the period and who is aged 10 to 17
    on that index date. Their index offence is the earliest such offence: earliest index date, then
    highest gravity, then smallest offence_id. Its outcome gives the member's tier; ``age`` and
    ``age_band`` are on the index date.
    """
    events = index_events(extract.offences).filter(pl.col("index_date").is_between(start, end, closed="both"))
    return index_offences(events, extract.people).select(MEMBER_COLUMNS)


def index_offences(
    events: pl.DataFrame | pl.LazyFrame, people: pl.DataFrame | pl.LazyFrame, by: tuple[str, ...] = ()
) -> pl.LazyFrame:
    """The cohort rule on index events already limited to a period: each person's index offence.

    Keeps the events of people aged 10 to 17 on the index date and, per person (and per each key
    in ``by``: several periods' events can be stacked with a period key), the earliest index date,
    then the highest gravity, then the smallest offence_id. Adds the person's columns, ``age`` and
    ``age_band``. Rows come sorted by ``by``, then person_id.
    """
    keys = [*by, "person_id"]
    people = _lazy(people).select("person_id", "date_of_birth", "sex", "ethnicity", "yot")
    return (
        _lazy(events)
        .join(people, on="person_id", how="inner")
        .with_columns(age=age_at(pl.col("date_of_birth"), pl.col("index_date")))
        .filter(pl.col("age").is_between(10, 17))
        .sort([*keys, "index_date", "gravity", "offence_id"], descending=[*(False for _ in keys), False, True, False])
        .unique(subset=keys, keep="first", maintain_order=True)
        .with_columns(age_band=age_band(pl.col("age")))
    )


def reoffences(
    extract: Extract, members: pl.DataFrame | pl.LazyFrame, follow_up_months: int = 12, waiting_months: int = 6
) -> pl.LazyFrame:
    """Every reoffence of the cohort ``members``: one row per (member, reoffence).

    Any other proven offence of the member, other than offence_type ``breach``, with
    ``index_date < offence_date <= index_date + F months`` and
    ``outcome_date <= index_date + (F + W) months`` (month arithmetic clamps to month end; the
    waiting period is added to the index date in one step).

    When ``members`` is a collected frame, the offences are first cut to the dates that can fall in
    some member's follow-up (after the earliest index date, up to F months after the latest): the same
    rule, checked before the join on the date alone, so that the join reads only those offences.
    """
    offences = extract.offences.lazy().filter(pl.col("offence_type") != "breach")
    if isinstance(members, pl.DataFrame) and members.height:
        # month arithmetic never reverses the order of two dates, so the latest index date gives the
        # latest end of a follow-up
        first, last = members.select(first=pl.col("index_date").min(),
                                     last=add_months_expr(pl.col("index_date").max(), follow_up_months)).row(0)
        offences = offences.filter(pl.col("offence_date") > first, pl.col("offence_date") <= last)
    index = _lazy(members).select(
        "person_id", pl.col("offence_id").alias("index_offence_id"), "index_date",
        # the window's ends, worked out once per member rather than once per (member, offence)
        _follow_up_end=add_months_expr(pl.col("index_date"), follow_up_months),
        _proven_by=add_months_expr(pl.col("index_date"), follow_up_months + waiting_months),
    )
    return (
        offences
        .join(index, on="person_id", how="inner")
        .filter(
            (pl.col("offence_id") != pl.col("index_offence_id"))
            & (pl.col("offence_date") > pl.col("index_date"))
            & (pl.col("offence_date") <= pl.col("_follow_up_end"))
            & (pl.col("outcome_date") <= pl.col("_proven_by"))
        )
        .select(
            "person_id", "offence_id", "offence_date", "outcome_date", "outcome", "offence_type", "gravity",
            "index_date",
        )
    )


def reoffending(
    extract: Extract,
    start: dt.date,
    end: dt.date,
    follow_up_months: int = 12,
    waiting_months: int = 6,
) -> pl.DataFrame:
    """Each cohort member of the period with their reoffending outcome, collected once.

    Adds to the member columns: ``reoffences`` (count), ``reoffended`` (at least one reoffence) and
    ``days_to_first_reoffence`` (offence_date of the first reoffence minus the index date; null for
    non-reoffenders). :func:`cohort_members` for the one period.
    """
    check_period(start, end)
    return cohort_members(extract, [("", start, end)], follow_up_months, waiting_months).drop("period")


def check_period(start: dt.date, end: dt.date) -> None:
    """A period must not start after it ends."""
    if start > end:
        raise ValueError(f"the period starts ({start}) after it ends ({end})")


def cohort_members(
    extract: Extract,
    periods: Sequence[tuple[str, dt.date, dt.date]],
    follow_up_months: int = 12,
    waiting_months: int = 6,
) -> pl.DataFrame:
    """The members of several cohorts with their reoffending, stacked, with a ``period`` column.

    The one implementation of the cohort and its reoffending that every count uses
    (:func:`reoffending` is this for one period); a test holds the stacked periods equal to each
    period alone. Fast for many periods:

    - the index dates are worked out once (:func:`index_events`), only for the offences whose index
      date falls in the span of the periods (earliest start to latest end), and collected once when
      there are several periods; each period's events are stacked with a period key and the cohort
      rule (:func:`index_offences`, which :func:`cohort` uses too) picks every period's index
      offences in one sort;
    - the reoffences (:func:`reoffences`) are found once for every distinct
      (person, index offence, index date) of all the periods: they depend on nothing else, so a
      member of two overlapping periods with the same index date shares them.

    The periods' cohorts are collected together (in parallel), then the reoffences, once. Rows come
    in the order of ``periods``, then by person_id.
    """
    for _, start, end in periods:
        check_period(start, end)
    if not periods:  # the same columns and types, from one period of an emptied extract
        nothing = replace(extract, offences=extract.offences.clear(), people=extract.people.clear())
        return cohort_members(nothing, [("", dt.date(2000, 1, 1), dt.date(2000, 1, 1))]).clear()
    span = (min(start for _, start, _ in periods), max(end for _, _, end in periods))
    events = index_events(extract.offences).filter(pl.col("index_date").is_between(*span, closed="both"))
    if len(periods) > 1:  # shared by every period's filter below: worked out once
        events = events.collect().lazy()
    stacked = pl.concat(
        [events.filter(pl.col("index_date").is_between(start, end, closed="both"))
         .with_columns(_period=pl.lit(i, dtype=pl.Int32)) for i, (_, start, end) in enumerate(periods)],
        how="vertical",
    )
    labels = pl.DataFrame({"_period": list(range(len(periods))), "period": [label for label, _, _ in periods]},
                          schema={"_period": pl.Int32, "period": pl.String})
    members = (
        index_offences(stacked, extract.people, by=("_period",))
        .join(labels.lazy(), on="_period", how="left", maintain_order="left")
        .select("period", *MEMBER_COLUMNS)
        .collect()
    )
    keys = members.select("person_id", "offence_id", "index_date").unique()
    per_index = (
        reoffences(extract, keys, follow_up_months, waiting_months)
        .group_by("person_id", "index_date")
        .agg(reoffences=pl.len().cast(pl.Int64), first_reoffence_date=pl.col("offence_date").min())
    )
    return (
        members.lazy()
        .join(per_index, on=["person_id", "index_date"], how="left", maintain_order="left")
        .with_columns(
            reoffences=pl.col("reoffences").fill_null(0),
            reoffended=pl.col("reoffences").fill_null(0) > 0,
            days_to_first_reoffence=(pl.col("first_reoffence_date") - pl.col("index_date")).dt.total_days(),
        )
        .select("period", *MEMBER_COLUMNS, "reoffences", "reoffended", "days_to_first_reoffence")
        .collect()
    )


def default_extract_date(extract: Extract) -> dt.date | None:
    """The extract date when none is given: the latest outcome_date in the data (METHODS.md), or the
    date the extract was cut back to with :func:`yot.extract.as_at`."""
    if extract.as_at_date is not None:
        return extract.as_at_date
    return extract.offences.get_column("outcome_date").max()


def completion_date(end: dt.date, follow_up_months: int = 12, waiting_months: int = 6) -> dt.date:
    """The first extract date on which a cohort ending ``end`` is complete: end + F + W months."""
    return add_months(end, follow_up_months + waiting_months)


def is_complete(
    end: dt.date, extract_date: dt.date | None, follow_up_months: int = 12, waiting_months: int = 6
) -> bool:
    """A cohort is complete when the extract date is on or after ``period end + F + W months``;
    before that its figures are provisional."""
    if extract_date is None:
        return False
    return extract_date >= completion_date(end, follow_up_months, waiting_months)
