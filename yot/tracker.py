"""The live tracker (METHODS.md "Live tracking, quarterly cohorts and comparisons"): where a cohort that is
not yet complete stands now, month by month since the index date, against earlier complete cohorts at
the same month, and the final rate it is heading for.

Rules (each is a choice the method left open, written down here and in the assumptions log):

- **Share at month k** of a cohort: members with a proven reoffence (any other offence, not a
  ``breach``) whose offence_date is after the index date and on or before ``index_date + k months``
  (calendar months, clamped to month end: :func:`yot.dates.add_months`), and whose outcome_date is on
  or before the extract date, divided by the cohort size.
- **Months observed** ``m``: the most whole months k (at most F) such that ``period end + k months``
  is on or before the extract date, so every member's k-month window has fully passed.
- **Earlier cohorts**: the cohorts of the same length just before this one (stepping back by the
  period's length in months when it is whole months, else in days) that are complete at the extract
  date; the ``earlier`` most recent such cohorts, pooled (their members added together).
- **Like with like**: an earlier cohort's share at month k is counted as that cohort stood at the same
  distance after its own period end as this cohort is now (its outcome dates on or before
  ``its end + (extract date - this end)`` days). Otherwise the earlier curve would include offences
  that took months to be proven, which this cohort's curve cannot include yet, and the comparison
  would flatter this cohort.
- **Final** rate of an earlier cohort: the METHODS.md binary rate (offence within F months, proven
  within F + W months).
- **Projection**: ``projected = a * b / c`` with ``a`` this cohort's share at month m, ``b`` the
  earlier cohorts' pooled final rate and ``c`` their pooled share at month m (like with like). Its 95%
  interval is the delta method on the log scale: ``var(log a) = (1 - a) / (n a)``, and for ``b`` and
  ``c``, measured on the same earlier members (N), ``var(log b - log c) = (1 - b)/(N b) + (1 - c)/(N c)
  - 2 (p11 - b c)/(N b c)`` with ``p11`` the share of earlier members counted in both; the interval is
  ``exp(log p -+ 1.96 sd)``, clipped to [0, 1]. When ``a`` is 0 the projection is 0 and its interval
  is the Wilson interval of ``a`` times ``b / c``. No projection when m is 0, when there is no earlier
  complete cohort, or when ``c`` is 0.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from yot.cohort import cohort, default_extract_date, is_complete, reoffending
from yot.dates import add_months, add_months_expr
from yot.extract import Extract, as_at
from yot.stats import wilson_interval

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Curve:
    """One cohort's cumulative reoffending by month since the index date."""

    start: dt.date
    end: dt.date
    cohort_size: int
    reoffenders: tuple[int, ...]  # at months 1, 2, ...: like with like (see the module docstring)
    final_reoffenders: int | None = None  # the METHODS.md measure (complete cohorts only)
    full: tuple[int, ...] = ()  # at months 1, 2, ...: everything proven by the extract date

    def share(self, k: int) -> float | None:
        return self.reoffenders[k - 1] / self.cohort_size if self.cohort_size else None


@dataclass(frozen=True)
class TrackerResult:
    """The tracker of one cohort; :meth:`to_json` is the ``yot tracker --json`` shape."""

    start: dt.date
    end: dt.date
    extract_date: dt.date | None
    follow_up_months: int
    waiting_months: int
    complete: bool
    cohort_size: int
    months_observed: int
    reoffenders: tuple[int, ...]
    earlier_share: tuple[float | None, ...]
    earlier: tuple[Curve, ...] = field(default_factory=tuple)
    earlier_curve: tuple[float | None, ...] = ()  # pooled like-with-like share, months 1..F
    earlier_final: float | None = None
    ratio: float | None = None
    projected_final: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None

    def share(self, k: int) -> float | None:
        return self.reoffenders[k - 1] / self.cohort_size if self.cohort_size else None

    def to_json(self) -> dict[str, Any]:
        return {
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "extract_date": self.extract_date.isoformat() if self.extract_date else None,
            "cohort_size": self.cohort_size,
            "months_observed": self.months_observed,
            "months": [{"month": k, "reoffenders": self.reoffenders[k - 1], "share": self.share(k),
                        "earlier_share": self.earlier_share[k - 1]} for k in range(1, self.months_observed + 1)],
            "projected_final": self.projected_final,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }


def months_observed(end: dt.date, extract_date: dt.date | None, follow_up_months: int = 12) -> int:
    """The most whole months k (0 to F) with ``end + k months <= extract_date``."""
    if extract_date is None:
        return 0
    k = 0
    while k < follow_up_months and add_months(end, k + 1) <= extract_date:
        k += 1
    return k


def _whole_months(start: dt.date, end: dt.date) -> int | None:
    """The period's length in months when it runs from a 1st to a month's last day, else None."""
    after = end + dt.timedelta(days=1)
    if start.day != 1 or after.day != 1:
        return None
    return (after.year - start.year) * 12 + after.month - start.month


def earlier_periods(start: dt.date, end: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The ``count`` periods of the same length just before ``start`` to ``end``, most recent first."""
    months = _whole_months(start, end)
    out = []
    for i in range(1, count + 1):
        if months is not None:
            s = add_months(start, -months * i)
            e = add_months(start, -months * (i - 1)) - dt.timedelta(days=1)
        else:
            days = (end - start).days + 1
            s, e = start - dt.timedelta(days=days * i), end - dt.timedelta(days=days * i)
        out.append((s, e))
    return out


def first_months(extract: Extract, members: pl.DataFrame, proven_by: dt.date | None,
                 follow_up_months: int) -> pl.DataFrame:
    """Each member (``person_id``, ``offence_id``, ``index_date``) with ``first_month``: the smallest k
    in 1..F such that they have a non-breach reoffence committed after the index date and on or before
    ``index_date + k months`` and proven on or before ``proven_by`` (null: none)."""
    f = follow_up_months
    index = members.lazy().select("person_id", pl.col("offence_id").alias("_index_id"), "index_date")
    month = pl.min_horizontal(*[
        pl.when(pl.col("offence_date") <= add_months_expr(pl.col("index_date"), k)).then(pl.lit(k))
        for k in range(1, f + 1)])
    offences = extract.offences.lazy().filter(pl.col("offence_type") != "breach")
    if proven_by is not None:
        offences = offences.filter(pl.col("outcome_date") <= proven_by)
    found = (
        offences.join(index, on="person_id", how="inner")
        .filter((pl.col("offence_id") != pl.col("_index_id")) & (pl.col("offence_date") > pl.col("index_date")))
        .with_columns(_month=month)
        .group_by("person_id")
        .agg(first_month=pl.col("_month").min())
    )
    return members.lazy().select("person_id").join(found, on="person_id", how="left", maintain_order="left").collect()


def _cumulative(first: pl.Series, months: int) -> tuple[int, ...]:
    values = [m for m in first.to_list() if m is not None]
    return tuple(sum(1 for m in values if m <= k) for k in range(1, months + 1))


def _projection(a_count: int, n: int, b: float, c: float, p11: float, big_n: int
                ) -> tuple[float, float, float]:
    """Projected final rate ``a * b / c`` with its delta-method 95% interval (module docstring)."""
    a = a_count / n
    ratio = b / c
    if a_count == 0:
        low, high = wilson_interval(0, n)
        return 0.0, 0.0, min(1.0, (high or 0.0) * ratio)
    p = a * ratio
    var = (1 - a) / (n * a)
    if b > 0:
        var += (1 - b) / (big_n * b) + (1 - c) / (big_n * c) - 2 * (p11 - b * c) / (big_n * b * c)
    sd = math.sqrt(max(var, 0.0))
    return min(p, 1.0), min(1.0, p * math.exp(-Z95 * sd)), min(1.0, p * math.exp(Z95 * sd))


def tracker(
    extract: Extract,
    start: dt.date,
    end: dt.date,
    extract_date: dt.date | None = None,
    follow_up_months: int = 12,
    waiting_months: int = 6,
    earlier: int = 4,
    search: int = 40,
) -> TrackerResult:
    """The live tracker of the cohort ``start <= index_date <= end`` (rules in the module docstring).

    ``extract_date`` defaults to the extract's own (the latest outcome date, or the date it was cut
    back to); the extract is cut back to it first (:func:`yot.extract.as_at`). ``earlier`` complete
    cohorts of the same length are pooled, looking back at most ``search`` periods.
    """
    if start > end:
        raise ValueError(f"the period starts ({start}) after it ends ({end})")
    as_of = extract_date if extract_date is not None else default_extract_date(extract)
    if as_of is not None and as_of != extract.as_at_date:
        extract = as_at(extract, as_of)
    f, w = follow_up_months, waiting_months
    m = months_observed(end, as_of, f)
    members = cohort(extract, start, end).collect()
    n = members.height
    first = first_months(extract, members, as_of, f)["first_month"]
    counts = _cumulative(first, m)

    earliest = extract.offences.get_column("outcome_date").min()
    lag = (as_of - end) if as_of is not None else dt.timedelta(0)
    curves: list[Curve] = []
    pooled_first: list[pl.DataFrame] = []
    for s, e in earlier_periods(start, end, search):
        if len(curves) >= earlier or earliest is None or e < earliest:
            break
        if not is_complete(e, as_of, f, w):
            continue
        ref = reoffending(extract, s, e, f, w)
        if ref.height == 0:
            continue
        firsts = first_months(extract, ref, e + lag, f)
        full = first_months(extract, ref, as_of, f)
        curves.append(Curve(s, e, ref.height, _cumulative(firsts["first_month"], f),
                            int(ref["reoffended"].sum()), _cumulative(full["first_month"], f)))
        pooled_first.append(ref.select("person_id", final="reoffended").join(firsts, on="person_id", how="left")
                            .select(pl.col("first_month").cast(pl.Int32), "final"))
    big_n = sum(c.cohort_size for c in curves)
    earlier_curve: tuple[float | None, ...] = tuple(
        sum(c.reoffenders[k - 1] for c in curves) / big_n if big_n else None for k in range(1, f + 1))
    earlier_final = sum(c.final_reoffenders or 0 for c in curves) / big_n if big_n else None
    projected = low = high = ratio = None
    if m > 0 and n > 0 and big_n and earlier_curve[m - 1]:
        c = earlier_curve[m - 1]
        assert c is not None and earlier_final is not None
        both = pl.concat(pooled_first)
        p11 = both.filter(pl.col("final") & (pl.col("first_month") <= m)).height / big_n
        ratio = earlier_final / c
        projected, low, high = _projection(counts[m - 1], n, earlier_final, c, p11, big_n)
    return TrackerResult(
        start=start, end=end, extract_date=as_of, follow_up_months=f, waiting_months=w,
        complete=is_complete(end, as_of, f, w), cohort_size=n, months_observed=m, reoffenders=counts,
        earlier_share=earlier_curve[:m], earlier=tuple(curves), earlier_curve=earlier_curve,
        earlier_final=earlier_final, ratio=ratio, projected_final=projected, ci_low=low, ci_high=high,
    )
