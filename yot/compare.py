"""How a YOT compares (METHODS.md "Live tracking, quarterly cohorts and comparisons"): its proven
reoffending rate beside other YOTs, its family (statistical neighbours), its region and England, its
rank and quartile in its family, and funnel-plot limits.

Where the figures come from: a YOT's rate is computed with the suite's own rules from the case-level
extract when the extract holds its young people (``people.yot``), else read from the optional
``comparators`` table (published aggregates) for exactly the same period (``period_start`` and
``period_end`` equal to the cohort's). The extract's own YOT is always computed; a published row for it
is kept beside (``published``) so the difference can be shown, never hidden.

Choices written down (the assumptions log copies them):

- **Family**: the YOT and its statistical neighbours. Named either by the suite file (a list of YOT
  names; the family is then called "Statistical neighbours") or by the ``family`` column of the YOT's
  own row in the comparators table. The family's rate is the published ``family`` row when the table
  has one for it, else the pooled rate of its members (reoffenders added up over cohort sizes added up).
- **Region**: the ``region`` column of the YOT's comparators row; its rate the published ``region`` row,
  else pooled over the YOTs of that region. **England**: the published ``england`` row only.
- **Rank** in the family: 1 = the lowest rate (the best); tied rates share the lowest rank of the tie
  (competition ranking: 1, 2, 2, 4), so a tie never makes a YOT look worse than its equals. **Quartile**:
  ``ceil(4 * rank / of)``, 1 = the quarter with the lowest rates.
- **Funnel limits** around the centre ``p0`` (England's rate when given, else the pooled rate of every
  YOT in the comparison) for a cohort of ``n``: the exact binomial quantiles
  ``lower = binom.ppf(a / 2, n, p0)`` and ``upper = binom.ppf(1 - a / 2, n, p0)`` (scipy: the smallest
  count whose cumulative probability reaches the quantile), with ``a = 0.05`` for the 95% limits and
  ``a = 0.002`` for the 99.8% limits; as rates, divided by ``n``. A YOT with ``r`` reoffenders is
  within the limits when ``lower <= r <= upper`` (compared as counts, so no rounding decides it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from yot.cohort import default_extract_date, reoffending
from yot.extract import Extract, as_at

LEVELS: dict[str, float] = {"95": 0.95, "998": 0.998}
NEIGHBOURS = "Statistical neighbours"


@dataclass(frozen=True)
class Area:
    """One area's cohort: counts, where they come from (``computed`` or ``published``) and its groups."""

    area: str
    area_type: str
    cohort_size: int
    reoffenders: int
    reoffences: int
    source: str
    family: str | None = None
    region: str | None = None

    @property
    def rate(self) -> float | None:
        return self.reoffenders / self.cohort_size if self.cohort_size else None


def funnel_limits(n: int, p0: float, level: float) -> tuple[int, int]:
    """The exact binomial limits of a cohort of ``n`` around ``p0`` as counts (lower, upper)."""
    from scipy import stats as sps

    a = 1 - level
    lower, upper = sps.binom.ppf([a / 2, 1 - a / 2], n, p0)
    return int(lower), int(upper)


def funnel_curve(p0: float, sizes: Sequence[int], level: float) -> tuple[np.ndarray, np.ndarray]:
    """The limits as rates for each cohort size in ``sizes`` (for drawing the funnel)."""
    from scipy import stats as sps

    n = np.asarray(sizes, dtype=float)
    a = 1 - level
    return sps.binom.ppf(a / 2, n, p0) / n, sps.binom.ppf(1 - a / 2, n, p0) / n


def within(reoffenders: int, n: int, p0: float, level: float) -> bool:
    lower, upper = funnel_limits(n, p0, level)
    return lower <= reoffenders <= upper


def competition_ranks(rates: Sequence[float]) -> list[int]:
    """Rank 1 = the lowest rate; ties share the lowest rank of the tie (1, 2, 2, 4)."""
    return [1 + sum(1 for other in rates if other < r) for r in rates]


def quartile(rank: int, of: int) -> int:
    """1 (lowest rates) to 4: ``ceil(4 * rank / of)``."""
    return math.ceil(4 * rank / of)


def pooled(areas: Sequence[Area]) -> float | None:
    n = sum(a.cohort_size for a in areas)
    return sum(a.reoffenders for a in areas) / n if n else None


def pooled_area(name: str, area_type: str, areas: Sequence[Area]) -> Area:
    """One area whose counts are the sums of ``areas``' (source ``pooled``)."""
    return Area(name, area_type, sum(a.cohort_size for a in areas), sum(a.reoffenders for a in areas),
                sum(a.reoffences for a in areas), "pooled")


def computed_areas(extract: Extract, start: dt.date, end: dt.date, follow_up_months: int = 12,
                   waiting_months: int = 6) -> list[Area]:
    """Every YOT of the extract (``people.yot``) with its cohort of the period, by the suite's rules."""
    members = reoffending(extract, start, end, follow_up_months, waiting_months)
    counts = (members.group_by("yot").agg(cohort_size=pl.len(), reoffenders=pl.col("reoffended").sum(),
                                          reoffences=pl.col("reoffences").sum()).sort("yot"))
    found = {r["yot"]: r for r in counts.iter_rows(named=True)}
    names = sorted(set(extract.people.get_column("yot").drop_nulls().to_list()))
    return [Area(name, "yot", int(found[name]["cohort_size"]) if name in found else 0,
                 int(found[name]["reoffenders"]) if name in found else 0,
                 int(found[name]["reoffences"]) if name in found else 0, "computed") for name in names]


def published_areas(extract: Extract, start: dt.date, end: dt.date) -> list[Area]:
    """The comparators rows of exactly the period ``start`` to ``end``, in the table's order."""
    rows = extract.comparators.filter((pl.col("period_start") == start) & (pl.col("period_end") == end))
    return [Area(r["area"], r["area_type"], r["cohort_size"], r["reoffenders"], r["reoffences"], "published",
                 r["family"], r["region"]) for r in rows.iter_rows(named=True)]


@dataclass(frozen=True)
class Comparison:
    """The comparison of one YOT in one period; :meth:`to_json` is the ``yot compare --json`` shape."""

    yot: Area
    start: dt.date
    end: dt.date
    published: Area | None
    yots: tuple[Area, ...]  # every YOT compared (the funnel), the YOT itself as computed
    family_name: str | None = None
    family_members: tuple[Area, ...] = ()
    family_rate: float | None = None
    family_source: str | None = None
    region_name: str | None = None
    region_rate: float | None = None
    region_source: str | None = None
    england_rate: float | None = None
    groups: tuple[Area, ...] = ()  # the family, region and England figures used (published or pooled)
    centre: float | None = None
    centre_source: str = ""
    ranks: dict[str, int] = field(default_factory=dict)

    @property
    def has_comparators(self) -> bool:
        return len(self.yots) > 1 or self.england_rate is not None or self.region_rate is not None

    @property
    def rank(self) -> int | None:
        return self.ranks.get(self.yot.area)

    @property
    def quartile(self) -> int | None:
        return quartile(self.rank, len(self.ranks)) if self.rank and self.ranks else None

    def funnel(self) -> list[dict[str, Any]]:
        """Each YOT with a cohort: its rate and whether it is within the 95% and 99.8% limits."""
        out = []
        for a in self.yots:
            if not a.cohort_size or self.centre is None:
                continue
            out.append({"area": a.area, "cohort_size": a.cohort_size, "rate": a.rate,
                        "within_95": within(a.reoffenders, a.cohort_size, self.centre, LEVELS["95"]),
                        "within_998": within(a.reoffenders, a.cohort_size, self.centre, LEVELS["998"])})
        return out

    def to_json(self) -> dict[str, Any]:
        family = None
        if self.family_name is not None and self.rank is not None:
            family = {"name": self.family_name, "rate": self.family_rate, "rank": self.rank, "of": len(self.ranks),
                      "quartile": self.quartile}
        return {
            "yot": self.yot.area, "rate": self.yot.rate, "cohort_size": self.yot.cohort_size,
            "family": family,
            "region": None if self.region_name is None else {"name": self.region_name, "rate": self.region_rate},
            "england": None if self.england_rate is None else {"rate": self.england_rate},
            "funnel": self.funnel(),
        }


def compare(
    extract: Extract,
    yot: str,
    start: dt.date,
    end: dt.date,
    follow_up_months: int = 12,
    waiting_months: int = 6,
    family: Sequence[str] | None = None,
    extract_date: dt.date | None = None,
) -> Comparison:
    """Compare ``yot`` with the other YOTs, its family, region and England in the cohort ``start``-``end``
    (rules in the module docstring). ``family``: the statistical neighbours' names (None: from the
    comparators table). ``extract_date`` cuts the case-level extract back first (published figures
    are kept as they are)."""
    if start > end:
        raise ValueError(f"the period starts ({start}) after it ends ({end})")
    as_of = extract_date if extract_date is not None else default_extract_date(extract)
    if as_of is not None and extract_date is not None and as_of != extract.as_at_date:
        extract = as_at(extract, as_of)
    computed = {a.area: a for a in computed_areas(extract, start, end, follow_up_months, waiting_months)}
    published = published_areas(extract, start, end)
    pub_yots = {a.area: a for a in published if a.area_type == "yot"}
    own_pub = pub_yots.get(yot)
    own = computed.get(yot) or Area(yot, "yot", 0, 0, 0, "computed")
    own = replace(own, family=own_pub.family if own_pub else None, region=own_pub.region if own_pub else None)
    yots: dict[str, Area] = {}
    for name in sorted(set(computed) | set(pub_yots)):
        if name == yot:
            yots[name] = own
        elif name in pub_yots:
            yots[name] = pub_yots[name]
        else:
            yots[name] = computed[name]
    if yot not in yots:
        yots[yot] = own
    groups = {(a.area_type, a.area): a for a in published if a.area_type != "yot"}

    family_name, members, family_rate, family_source = None, [], None, None
    if family:
        family_name = NEIGHBOURS
        members = [yots[n] for n in dict.fromkeys([yot, *family]) if n in yots]
    elif own.family:
        family_name = own.family
        members = [a for a in yots.values() if a.family == own.family or a.area == yot]
    used: list[Area] = []
    if family_name is not None:
        row = groups.get(("family", family_name)) if not family else None
        used.append(row or pooled_area(family_name, "family", members))
        family_rate, family_source = used[-1].rate, used[-1].source
    ranked = [a for a in members if a.cohort_size]
    ranks = dict(zip([a.area for a in ranked], competition_ranks([a.rate for a in ranked]), strict=True)) \
        if own.cohort_size else {}

    region_name, region_rate, region_source = own.region, None, None
    if region_name:
        row = groups.get(("region", region_name))
        used.append(row or pooled_area(region_name, "region", [a for a in yots.values() if a.region == region_name]))
        region_rate, region_source = used[-1].rate, used[-1].source
    england = next((a for (t, _), a in groups.items() if t == "england"), None)
    if england is not None:
        used.append(england)
    england_rate = england.rate if england else None
    with_cohort = [a for a in yots.values() if a.cohort_size]
    centre, centre_source = ((england_rate, "England") if england_rate is not None else
                             (pooled(with_cohort), "all YOTs compared") if len(with_cohort) > 1 else (None, ""))
    return Comparison(
        yot=own, start=start, end=end, published=own_pub, yots=tuple(yots.values()), family_name=family_name,
        family_members=tuple(members), family_rate=family_rate, family_source=family_source,
        region_name=region_name, region_rate=region_rate, region_source=region_source, england_rate=england_rate,
        centre=centre, centre_source=centre_source, ranks=ranks if family_name else {}, groups=tuple(used),
    )


def for_yot(extract: Extract, yot: str) -> Extract:
    """The case-level rows of one YOT of a multi-YOT extract: its people (``people.yot``), their
    offences, interventions, referrals, assessments and reviews, and its population rows; published
    comparators are kept whole, and so is the extract date: the day the whole extract was taken (its
    latest outcome date unless it was cut back), not the YOT's own latest record. An extract that holds
    only one YOT, or not ``yot``, is returned as it is (so a one-YOT extract whose ``yot`` is spelt
    differently from the suite's still works)."""
    names = set(extract.people.get_column("yot").drop_nulls().unique().to_list())
    if len(names) <= 1 or yot not in names:
        return extract
    people = extract.people.filter(pl.col("yot") == yot)
    ids = people.select("person_id")
    linked = {name: extract.table(name).join(ids, on="person_id", how="semi")
              for name in ("offences", "interventions", "referrals", "assessments", "substance_reviews")}
    return replace(extract, people=people, population=extract.population.filter(pl.col("yot") == yot),
                   as_at_date=default_extract_date(extract), **linked)
