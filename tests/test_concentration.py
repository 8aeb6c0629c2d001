"""Concentration of reoffending (yot.concentration) on a hand-made cohort."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from yot.concentration import concentration, top_count


def _members(counts: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"person_id": [f"P{i:03d}" for i in range(len(counts))], "reoffences": counts})


def test_top_count_is_the_exact_ceiling() -> None:
    assert [top_count(0.05, n) for n in (1, 19, 20, 21, 40, 41)] == [1, 1, 1, 2, 2, 3]
    assert top_count(0.10, 30) == 3  # 0.1 * 30 is 3.0000000000000004 in floating point
    assert top_count(0.20, 0) == 0


def test_a_hand_made_cohort_of_40() -> None:
    # 40 young people: one with 10 reoffences, one with 6, two with 4, six with 1, thirty with none: 30 in all
    counts = [10, 6, 4, 4] + [1] * 6 + [0] * 30
    got = {(r["base"], r["top_share"]): r for r in concentration(_members(counts)).iter_rows(named=True)}
    # the cohort: 5% of 40 = 2 people (16 reoffences), 10% = 4 (24), 20% = 8 (28)
    assert [(got["cohort", s]["people"], got["cohort", s]["reoffences"]) for s in (0.05, 0.10, 0.20)] == [
        (2, 16), (4, 24), (8, 28)]
    assert got["cohort", 0.05]["share_of_reoffences"] == pytest.approx(16 / 30)
    # the 10 reoffenders: 5% of 10 = 1 person (10), 10% = 1 (10), 20% = 2 (16)
    assert [(got["reoffenders", s]["people"], got["reoffenders", s]["reoffences"]) for s in (0.05, 0.10, 0.20)] == [
        (1, 10), (1, 10), (2, 16)]
    assert {r["all_reoffences"] for r in got.values()} == {30}
    assert (got["cohort", 0.2]["base_people"], got["reoffenders", 0.2]["base_people"]) == (40, 10)


def test_ties_do_not_change_the_figures_and_no_reoffences_has_no_share() -> None:
    tied = concentration(_members([3, 3, 3, 3, 0]))
    assert tied.filter(pl.col("base") == "cohort")["reoffences"].to_list() == [3, 3, 3]  # 1 person each
    none = concentration(_members([0, 0, 0]))
    assert none["share_of_reoffences"].to_list() == [None] * 6
    assert none.filter(pl.col("base") == "reoffenders")["people"].to_list() == [0, 0, 0]


@given(st.lists(st.integers(0, 15), min_size=1, max_size=60))
def test_shares_grow_with_the_top_and_the_top_holds_at_least_its_fair_share(counts: list[int]) -> None:
    got = concentration(_members(counts))
    for base in ("cohort", "reoffenders"):
        part = got.filter(pl.col("base") == base)
        values = part["reoffences"].to_list()
        assert values == sorted(values)
        for r in part.iter_rows(named=True):
            if r["all_reoffences"]:
                assert r["share_of_reoffences"] >= r["people"] / r["base_people"] - 1e-12
