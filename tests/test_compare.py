"""Comparisons (yot.compare), ``yot compare --json``, the comparators table and the multi-YOT synthetic
extract, on hand-made cases."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path

import polars as pl
import pytest
from handmade import offence, person
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from yot.cli import main
from yot.compare import competition_ranks, compare, for_yot, funnel_limits, quartile, within
from yot.extract import make_extract
from yot.load import load_extract
from yot.synth import generate, generate_multi, yot_areas

D = dt.date
Y2005 = (D(2005, 1, 1), D(2005, 12, 31))


def _quantile_by_hand(q: float, n: int, p: float) -> int:
    """The smallest count x with P(X <= x) >= q, summing the binomial probabilities."""
    total = 0.0
    for x in range(n + 1):
        total += math.comb(n, x) * p ** x * (1 - p) ** (n - x)
        if total >= q - 1e-12:
            return x
    return n


@pytest.mark.parametrize(("n", "p0"), [(100, 0.3), (40, 0.25), (7, 0.5), (1000, 0.282), (12, 0.05)])
def test_funnel_limits_are_the_exact_binomial_quantiles(n: int, p0: float) -> None:
    for level, a in ((0.95, 0.05), (0.998, 0.002)):
        lower, upper = funnel_limits(n, p0, level)
        assert (lower, upper) == (int(sps.binom.ppf(a / 2, n, p0)), int(sps.binom.ppf(1 - a / 2, n, p0)))
        assert (lower, upper) == (_quantile_by_hand(a / 2, n, p0), _quantile_by_hand(1 - a / 2, n, p0))


def test_funnel_limits_by_hand_for_100_at_30_percent() -> None:
    # P(X <= 20) = 0.0165 < 0.025 <= P(X <= 21) = 0.0288; P(X <= 38) = 0.9621 < 0.975 <= P(X <= 39) = 0.9790
    assert funnel_limits(100, 0.3, 0.95) == (21, 39)
    assert within(21, 100, 0.3, 0.95) and within(39, 100, 0.3, 0.95)
    assert not within(20, 100, 0.3, 0.95) and not within(40, 100, 0.3, 0.95)
    lower, upper = funnel_limits(100, 0.3, 0.998)
    assert lower < 21 and upper > 39  # the 99.8% limits are wider


def test_ranks_share_the_lowest_rank_of_a_tie_and_quartiles_follow_the_rank() -> None:
    assert competition_ranks([0.30, 0.20, 0.20, 0.40]) == [3, 1, 1, 4]
    assert competition_ranks([0.25, 0.25, 0.25]) == [1, 1, 1]
    assert [quartile(r, 4) for r in (1, 2, 3, 4)] == [1, 2, 3, 4]
    assert [quartile(r, 10) for r in (1, 2, 3, 5, 6, 8, 10)] == [1, 1, 2, 2, 3, 4, 4]
    assert quartile(1, 1) == 4  # alone in its family: ranked 1 of 1 is the whole range


@given(st.lists(st.integers(0, 20), min_size=1, max_size=30))
def test_ranks_are_between_1_and_n_and_lower_rates_never_rank_worse(values: list[int]) -> None:
    ranks = competition_ranks(values)
    assert all(1 <= r <= len(values) for r in ranks) and min(ranks) == 1
    for a, ra in zip(values, ranks, strict=True):
        for b, rb in zip(values, ranks, strict=True):
            assert (a < b) <= (ra < rb) and (a == b) <= (ra == rb)


def _yot(name: str, size: int, reoffenders: int) -> tuple[list[dict], list[dict]]:
    """``size`` young people of YOT ``name`` proven on 1 March 2005; the first ``reoffenders`` reoffend."""
    people, offences = [], []
    for i in range(size):
        pid = f"{name[:2]}{i:03d}"
        people.append(person(pid, D(1990, 6, 1), yot=name))
        offences.append(offence(f"{pid}-1", pid, D(2005, 2, 1), D(2005, 3, 1)))
        if i < reoffenders:
            offences.append(offence(f"{pid}-2", pid, D(2005, 6, 1), D(2005, 7, 1)))
    return people, offences


COMPARATOR_COLUMNS = ("area", "area_type", "period_start", "period_end", "cohort_size", "reoffenders", "reoffences",
                      "family", "region")


def _rows(*rows: tuple) -> list[dict]:
    return [dict(zip(COMPARATOR_COLUMNS, (r[0], r[1], *Y2005, *r[2:]), strict=True)) for r in rows]


def _multi() -> object:
    parts = [_yot("Alpha", 40, 10), _yot("Beta", 20, 10), _yot("Gamma", 50, 10)]
    comparators = _rows(
        ("Alpha", "yot", 40, 12, 12, "F1", "North"),     # published: 12, computed: 10
        ("Delta", "yot", 30, 6, 6, "F1", "North"),       # published only: 20%
        ("Beta", "yot", 20, 10, 10, "F1", "South"),
        ("Epsilon", "yot", 100, 25, 25, "F2", "North"),
        ("North", "region", 200, 50, 60, None, None),
        ("England", "england", 10000, 3000, 5000, None, None),
    ) + [dict(zip(COMPARATOR_COLUMNS, ("Alpha", "yot", D(2004, 1, 1), D(2004, 12, 31), 9, 9, 9, "F1", "North"),
                  strict=True))]  # another period: not used
    return make_extract(people=[p for ps, _ in parts for p in ps], offences=[o for _, os in parts for o in os],
                        comparators=comparators)


def test_compare_ranks_the_family_pools_it_and_uses_published_groups() -> None:
    got = compare(_multi(), "Alpha", *Y2005, extract_date=D(2007, 1, 1))
    assert (got.yot.cohort_size, got.yot.reoffenders, got.yot.source) == (40, 10, "computed")
    assert got.published is not None and got.published.reoffenders == 12  # shown beside, not used
    # family F1: Alpha 25% (computed), Delta 20%, Beta 50% (published); Gamma has no comparators row
    assert got.family_name == "F1" and got.ranks == {"Alpha": 2, "Beta": 3, "Delta": 1}
    assert got.family_rate == pytest.approx((10 + 6 + 10) / (40 + 30 + 20))  # no published family row: pooled
    assert got.region_name == "North" and got.region_rate == pytest.approx(0.25)  # the published region row
    assert got.england_rate == pytest.approx(0.3) and got.centre == pytest.approx(0.3)
    out = got.to_json()
    assert out["family"] == {"name": "F1", "rate": pytest.approx(26 / 90), "rank": 2, "of": 3, "quartile": 3}
    assert [a["area"] for a in out["funnel"]] == ["Alpha", "Beta", "Delta", "Epsilon", "Gamma"]
    gamma = out["funnel"][-1]  # computed from the extract: 10 of 50 = 20%
    assert gamma["cohort_size"] == 50 and gamma["rate"] == pytest.approx(0.2)
    lower, upper = funnel_limits(50, 0.3, 0.95)
    assert gamma["within_95"] == (lower <= 10 <= upper)
    beta = out["funnel"][1]  # 10 of 20 = 50% against 30%: P(X >= 10) ~ 0.048, inside 95%? by the exact limits
    assert beta["within_95"] == (funnel_limits(20, 0.3, 0.95)[1] >= 10)


def test_a_suite_family_list_and_no_england_uses_the_pooled_centre() -> None:
    extract = _multi()
    extract = make_extract(people=extract.people, offences=extract.offences,
                           comparators=extract.comparators.filter(pl.col("area_type") == "yot"))
    got = compare(extract, "Alpha", *Y2005, family=["Gamma", "Beta"], extract_date=D(2007, 1, 1))
    assert got.family_name == "Statistical neighbours"
    assert got.ranks == {"Alpha": 2, "Gamma": 1, "Beta": 3}  # 25%, 20%, 50%
    assert got.family_rate == pytest.approx(30 / 110)
    assert got.england_rate is None and got.region_rate == pytest.approx((10 + 6 + 25) / (40 + 30 + 100))
    # centre: every YOT compared, pooled: Alpha 10/40 (computed), Beta 10/20, Delta 6/30, Epsilon 25/100, Gamma 10/50
    assert got.centre == pytest.approx(61 / 240)


def test_ties_in_the_family_share_the_better_rank() -> None:
    parts = [_yot("Alpha", 40, 10), _yot("Beta", 40, 10), _yot("Gamma", 40, 20)]
    extract = make_extract(people=[p for ps, _ in parts for p in ps], offences=[o for _, os in parts for o in os])
    got = compare(extract, "Beta", *Y2005, family=["Alpha", "Gamma"], extract_date=D(2007, 1, 1)).to_json()
    assert got["family"]["rank"] == 1 and got["family"]["of"] == 3 and got["family"]["quartile"] == 2


def test_one_yot_and_no_comparators_has_no_family_region_england_or_funnel() -> None:
    people, offences = _yot("Alpha", 40, 10)
    got = compare(make_extract(people=people, offences=offences), "Alpha", *Y2005, extract_date=D(2007, 1, 1))
    assert not got.has_comparators
    assert got.to_json() == {"yot": "Alpha", "rate": 0.25, "cohort_size": 40, "family": None, "region": None,
                             "england": None, "funnel": []}


def test_for_yot_keeps_one_yots_case_level_rows_and_every_comparator() -> None:
    extract = _multi()
    alpha = for_yot(extract, "Alpha")
    assert set(alpha.people["yot"]) == {"Alpha"} and alpha.people.height == 40
    assert alpha.offences.height == 50 and alpha.comparators.height == extract.comparators.height
    assert for_yot(extract, "Nowhere") is extract
    # the extract date stays the whole extract's (Alpha's and Beta's latest outcome are both 1 July 2005 here)
    later = make_extract(people=[*extract.people.to_dicts(), person("Z1", D(1990, 6, 1), yot="Beta")],
                         offences=[*extract.offences.to_dicts(), offence("Z1-1", "Z1", D(2006, 1, 1), D(2006, 2, 1))])
    assert for_yot(later, "Alpha").as_at_date == D(2006, 2, 1)
    single = make_extract(people=_yot("Alpha", 5, 1)[0], offences=_yot("Alpha", 5, 1)[1])
    assert for_yot(single, "Barnet") is single


def _write_extract(folder: Path, extract: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("people", "offences", "comparators"):
        extract.table(name).write_csv(folder / f"{name}.csv", date_format="%Y-%m-%d")
    return folder


def test_cli_prints_exactly_the_issue_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _write_extract(tmp_path / "x", _multi())
    code = main(["compare", "--data", str(folder), "--yot", "Alpha", "--start", "2005-01-01", "--end", "2005-12-31",
                 "--extract-date", "2007-01-01", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["yot", "rate", "cohort_size", "family", "region", "england", "funnel"]
    assert out["yot"] == "Alpha" and out["rate"] == 0.25 and out["cohort_size"] == 40
    assert list(out["family"]) == ["name", "rate", "rank", "of", "quartile"]
    assert out["region"] == {"name": "North", "rate": 0.25} and out["england"] == {"rate": 0.3}
    assert all(list(a) == ["area", "cohort_size", "rate", "within_95", "within_998"] for a in out["funnel"])
    assert main(["compare", "--data", str(folder), "--yot", "Nowhere", "--start", "2005-01-01",
                 "--end", "2005-12-31", "--json"]) == 1


def test_comparators_bad_rows_are_quarantined_with_their_rule(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("person_id,date_of_birth,sex,ethnicity,yot\nP1,1990-01-01,M,White,X\n")
    (tmp_path / "offences.csv").write_text(
        "offence_id,person_id,offence_date,outcome_date,offence_type,gravity,outcome,release_date\n"
        "O1,P1,2005-01-10,2005-02-01,theft,3,fine,\n")
    rows = [
        "Barnet,yot,2005-01-01,2005-12-31,500,140,400,F1,London",  # good
        "Brent,yot,2005-02-30,2005-12-31,500,140,400,F1,London",   # bad_date
        "Ealing,yot,2005-01-01,2005-12-31,-1,0,0,F1,London",       # out_of_range, and 0 reoffenders > -1
        "Harrow,yot,2005-01-01,2005-12-31,many,40,50,F1,London",   # bad_integer
        "London,region,2005-01-01,2005-12-31,100,40,50,,",          # good
        "Kent,England,2005-01-01,2005-12-31,100,40,50,,",           # unknown_code (case-sensitive)
    ]
    (tmp_path / "comparators.csv").write_text(",".join(COMPARATOR_COLUMNS) + "\n" + "\n".join(rows) + "\n")
    extract = load_extract(tmp_path)
    count = extract.counts["comparators"]
    assert (count.read, count.accepted, count.quarantined) == (6, 2, 4)
    assert extract.comparators["area"].to_list() == ["Barnet", "London"]
    assert extract.quarantine["comparators"].select("row", "rule").rows() == [
        (2, "bad_date"), (3, "out_of_range; reoffenders_above_cohort"), (4, "bad_integer"), (6, "unknown_code")]


# -------------------------------------------------------------------------------- synthetic extracts
DEFAULT_DIGESTS = {  # sha256 of each table's CSV, seed 2005: the one-YOT extract must never change
    "people": "4764348d158c91e4bdb1ac592fc2fe32b6704deb544bddd23e3f091f136ec1a7",
    "offences": "cec03e9116d2e54445e84d020e37f1adfde9e438e4f85ba97a59ba61a492d9c4",
    "interventions": "08a536413089d2ccae6381cb8bb74cf93ea298307190e226f4d1fb40f872364e",
    "referrals": "b44d1687af22935c9f73eaf10b35b98303ea8e9092eed936d55a392ebf62cf9d",
    "assessments": "f3e44538a6fe7860a3a7833445e3938ea689cb775f57883e2884d4c20b3e6af1",
    "substance_reviews": "1684c5e27ccd50ad60490f5e3bb9032845107d5b366e388a926b9509808f0ed7",
    "population": "9ce47bf5de0299ce0eb8b14df8dceffc5812bfcc1151e084a2cfdc3aef5c2bc5",
}


def test_the_default_one_yot_extract_is_unchanged_by_the_multi_yot_generator() -> None:
    tables, _ = generate()
    assert "comparators" not in tables
    assert {k: hashlib.sha256(v.write_csv().encode()).hexdigest() for k, v in tables.items()} == DEFAULT_DIGESTS


def test_multi_yot_extract_has_the_default_yot_first_and_a_comparator_row_for_every_area() -> None:
    tables, truth = generate_multi(3, start_year=2003, end_year=2006)
    single, _ = generate(start_year=2003, end_year=2006)
    areas = yot_areas(3)
    assert [a[0] for a in areas] == ["Barnet", "Enfield", "Kent"]
    barnet = tables["people"].filter(pl.col("yot") == "Barnet")
    assert barnet.equals(single["people"])  # the first YOT is the one-YOT extract of the same seed
    assert tables["people"]["person_id"].is_unique().all() and tables["offences"]["offence_id"].is_unique().all()
    sizes = tables["people"].group_by("yot").len()
    assert sizes.height == 3 and sizes["len"].n_unique() == 3  # different sizes
    comp = tables["comparators"]
    year = comp.filter((pl.col("period_start") == D(2004, 1, 1)) & (pl.col("period_end") == D(2004, 12, 31)))
    assert sorted(year["area"].to_list()) == sorted(
        ["Barnet", "Enfield", "Kent", "Outer London boroughs", "Shire counties", "London", "South East", "England"])
    yots = year.filter(pl.col("area_type") == "yot")
    england = year.filter(pl.col("area_type") == "england").row(0, named=True)
    assert england["cohort_size"] == yots["cohort_size"].sum()
    assert england["reoffenders"] == yots["reoffenders"].sum()
    # the published Barnet row is what the suite computes from Barnet's case-level rows
    got = compare(make_extract(people=tables["people"], offences=tables["offences"], comparators=comp),
                  "Barnet", D(2004, 1, 1), D(2004, 12, 31))
    assert got.published is not None and got.published.reoffenders == got.yot.reoffenders
    assert got.published.cohort_size == got.yot.cohort_size
    # only cohorts complete at the extract date are published: nothing for 2006 (extract ends December 2006)
    assert comp.filter(pl.col("period_end") > D(2005, 6, 30)).height == 0
    assert truth["generator"]["yots"] == ["Barnet", "Enfield", "Kent"]
