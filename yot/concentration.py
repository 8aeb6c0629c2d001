"""Concentration of reoffending (METHODS.md "Concentration"): the share of a cohort's reoffences committed
by its most prolific 5%, 10% and 20%, of the whole cohort and of those who reoffended.

Definition: the **most prolific p** of a group of ``n`` young people are the ``ceil(p * n)`` people with
the most reoffences (the ceiling is taken exactly, on fractions, so 10% of 30 is 3 people, never 4).
Ties are broken by person_id, which changes no figure: the reoffences of the most prolific ``k`` are
the ``k`` largest counts, whoever holds them. The share is their reoffences over all the group's
reoffences (none when the group has no reoffences). The group is either the **cohort** (every member)
or the **reoffenders** (members with at least one reoffence); both have the same reoffences in all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import polars as pl

SHARES: tuple[float, ...] = (0.05, 0.10, 0.20)
BASES: tuple[str, ...] = ("cohort", "reoffenders")
LORENZ_GRID: tuple[float, ...] = (0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 1.0)

COLUMNS = {"base": pl.String, "top_share": pl.Float64, "base_people": pl.Int64, "people": pl.Int64,
           "reoffences": pl.Int64, "all_reoffences": pl.Int64, "share_of_reoffences": pl.Float64}


def top_count(share: float, n: int) -> int:
    """``ceil(share * n)``, exactly (``share`` read as the decimal it is written as)."""
    return math.ceil(Fraction(str(share)) * n)


def _ranked(members: pl.DataFrame, base: str) -> list[int]:
    group = members if base == "cohort" else members.filter(pl.col("reoffences") > 0)
    return group.sort(["reoffences", "person_id"], descending=[True, False])["reoffences"].to_list()


def concentration(members: pl.DataFrame, shares: Sequence[float] = SHARES, bases: Sequence[str] = BASES
                  ) -> pl.DataFrame:
    """One row per (base, share): the group's size, the most prolific ``people``, their ``reoffences``,
    the group's ``all_reoffences`` and ``share_of_reoffences``. ``members``: a cohort as
    :func:`yot.cohort.reoffending` gives it (``person_id``, ``reoffences``)."""
    rows = []
    for base in bases:
        counts = _ranked(members, base)
        total = sum(counts)
        for share in shares:
            k = top_count(share, len(counts))
            top = sum(counts[:k])
            rows.append({"base": base, "top_share": share, "base_people": len(counts), "people": k,
                         "reoffences": top, "all_reoffences": total,
                         "share_of_reoffences": top / total if total else None})
    return pl.DataFrame(rows, schema=COLUMNS)


def lorenz(members: pl.DataFrame, grid: Sequence[float] = LORENZ_GRID) -> pl.DataFrame:
    """The concentration curve at the shares of ``grid`` (most prolific first), for both bases."""
    return concentration(members, grid)
