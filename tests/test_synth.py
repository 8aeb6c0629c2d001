"""The embedded synthetic extract (yot/synth.py): contract, determinism, calibration, rules, truth."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yot.cli import main
from yot.cohort import reoffending
from yot.contract import CUSTODY_OUTCOMES, TABLES
from yot.dates import age_at, financial_year
from yot.extract import SYNTHETIC_MARKER, make_extract
from yot.load import load_extract
from yot.synth import DEFAULT_PEOPLE, SYNTH_TABLES, generate, write


@pytest.fixture(scope="module")
def default() -> tuple[dict[str, pl.DataFrame], dict]:
    return generate()


@pytest.fixture(scope="module")
def small() -> tuple[dict[str, pl.DataFrame], dict]:
    return generate(people=1200, seed=7)


# --- contract ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(SYNTH_TABLES))
def test_every_table_has_exactly_the_contract_columns_and_types(default, name):
    tables, _ = default
    assert tables[name].schema == pl.Schema(TABLES[name].schema)
    assert tables[name].height > 0


def test_loader_accepts_everything_with_nothing_quarantined(tmp_path, small):
    from yot.load import load_extract

    tables, truth = small
    for fmt in ("parquet", "csv"):
        folder = tmp_path / fmt
        write(tables, truth, folder, format=fmt)
        extract = load_extract(folder)
        for name, frame in tables.items():
            count = extract.counts[name]
            assert (count.read, count.accepted, count.quarantined) == (frame.height, frame.height, 0), name
        assert extract.problems == ()
        assert extract.offences.sort("offence_id").equals(tables["offences"].sort("offence_id"))


# --- determinism ------------------------------------------------------------------------------------

def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_seed_gives_the_same_bytes(tmp_path, fmt):
    for run in ("a", "b"):
        write(*generate(people=400, seed=11), tmp_path / run, format=fmt)
    a, b = _bytes(tmp_path / "a"), _bytes(tmp_path / "b")
    assert sorted(a) == sorted([f"{t}.{fmt}" for t in SYNTH_TABLES] + ["truth.json", SYNTHETIC_MARKER])
    assert a == b


def test_a_different_seed_gives_a_different_extract():
    one, _ = generate(people=400, seed=11)
    two, _ = generate(people=400, seed=12)
    assert not one["offences"].equals(two["offences"])
    assert not one["people"].equals(two["people"])


# --- calibration (default Barnet-sized extract, default seed) ---------------------------------------

def test_2003_cohort_reoffending_rate_is_near_the_barnet_baseline(default):
    tables, truth = default
    members = reoffending(make_extract(**tables), dt.date(2003, 1, 1), dt.date(2003, 12, 31))
    assert 400 <= members.height <= 700
    rate = members["reoffended"].mean()
    assert abs(rate - 0.282) <= 0.02
    assert truth["calibration"]["reoffending_2003"]["binary_rate"] == pytest.approx(rate)


def test_substance_misuse_starts_and_reviews_match_the_baselines(default):
    tables, _ = default
    start, end = financial_year(2004)
    starts = tables["interventions"].filter(
        (pl.col("programme") == "substance_misuse") & pl.col("start_date").is_between(start, end)
    )
    assert abs(starts["person_id"].n_unique() - 280) <= 14
    later = tables["interventions"].filter(
        (pl.col("programme") == "substance_misuse")
        & pl.col("start_date").is_between(*financial_year(2007))
    )
    assert later["person_id"].n_unique() > 300  # growing after the baseline year
    reviews = tables["substance_reviews"].filter(pl.col("review_date").is_between(start, end))
    assert reviews.height >= 150
    share = reviews["use_change"].is_in(["reduced", "discontinued"]).mean()
    assert abs(share - 0.72) <= 0.02


def test_every_annual_cohort_has_a_few_hundred_young_people(default):
    tables, _ = default
    extract = make_extract(**tables)
    for year in range(2001, 2010):
        size = reoffending(extract, dt.date(year, 1, 1), dt.date(year, 12, 31)).height
        assert 350 <= size <= 750, (year, size)


def test_population_is_a_barnet_sized_borough(default):
    tables, _ = default
    pop = tables["population"]
    assert pop.height == 11 * 8 * 2
    assert set(pop["yot"]) == {"Barnet"}
    per_year = pop.group_by("year").agg(pl.col("count").sum()).sort("year")["count"]
    assert 28_000 <= per_year[0] <= 32_000
    assert per_year[-1] > per_year[0]  # slowly growing


# --- scaling ----------------------------------------------------------------------------------------

def test_people_scales_every_table_proportionally():
    small, _ = generate(people=1000, seed=3)
    large, _ = generate(people=4000, seed=3)
    assert small["people"].height == 1000
    assert large["people"].height == 4000
    for name in ("offences", "interventions", "referrals", "assessments", "substance_reviews"):
        ratio = large[name].height / small[name].height
        assert 3.4 <= ratio <= 4.6, (name, ratio)
    pop_ratio = large["population"]["count"].sum() / small["population"]["count"].sum()
    assert pop_ratio == pytest.approx(4.0, rel=0.01)


# --- internal rules ---------------------------------------------------------------------------------

def test_dates_follow_the_contract_order(small):
    off = small[0]["offences"]
    assert off.filter(pl.col("offence_date") > pl.col("outcome_date")).height == 0
    assert off.filter(pl.col("release_date") < pl.col("outcome_date")).height == 0
    custody = pl.col("outcome").is_in(list(CUSTODY_OUTCOMES))
    assert off.filter(~custody & pl.col("release_date").is_not_null()).height == 0
    iv = small[0]["interventions"]
    assert iv.filter(pl.col("end_date") < pl.col("start_date")).height == 0
    assert (iv.filter(pl.col("end_date").is_null())["status"] == "ongoing").all()
    last = dt.date(2010, 12, 31)
    assert off["outcome_date"].max() <= last
    assert iv["start_date"].max() <= last


def test_no_offence_before_the_age_of_criminal_responsibility(small):
    tables, _ = small
    ages = tables["offences"].join(tables["people"], on="person_id").select(
        age_at(pl.col("date_of_birth"), pl.col("offence_date")).alias("age")
    )["age"]
    assert ages.min() >= 10
    assert (ages >= 18).any()  # some offending at 18+, outside the cohorts


@pytest.mark.parametrize(
    ("table", "column", "prefix", "width"),
    [("people", "person_id", "P", 7), ("offences", "offence_id", "O", 9),
     ("interventions", "intervention_id", "I", 8), ("referrals", "referral_id", "R", 7)],
)
def test_identifiers_are_unique_prefixed_zero_padded_strings(small, table, column, prefix, width):
    ids = small[0][table][column]
    assert ids.dtype == pl.String
    assert ids.n_unique() == ids.len()
    assert ids.str.contains(rf"^{prefix}\d{{{width}}}$").all()


def test_every_person_reference_exists_and_every_person_is_known_for_something(small):
    tables, _ = small
    people = set(tables["people"]["person_id"])
    used: set[str] = set()
    for name in ("offences", "interventions", "referrals", "assessments", "substance_reviews"):
        refs = set(tables[name]["person_id"])
        assert refs <= people, name
        used |= refs
    assert set(tables["offences"]["person_id"]) | set(tables["referrals"]["person_id"]) == people


def test_codes_and_ranges(small):
    tables, _ = small
    for name, table in ((n, TABLES[n]) for n in SYNTH_TABLES):
        frame = tables[name]
        for col in table.columns:
            values = frame[col.name]
            if col.required:
                assert values.null_count() == 0, (name, col.name)
            if col.codes:
                assert set(values.drop_nulls()) <= set(col.codes), (name, col.name)
            if col.low is not None:
                assert values.min() >= col.low, (name, col.name)
            if col.high is not None:
                assert values.max() <= col.high, (name, col.name)


# --- realism ----------------------------------------------------------------------------------------

def test_realistic_mess_is_present(default):
    tables, _ = default
    off = tables["offences"]
    people = tables["people"]
    sex = people["sex"].value_counts(normalize=True)
    share = dict(zip(sex["sex"], sex["proportion"]))
    assert 0.75 <= share["M"] <= 0.85 and 0 < share["U"] < 0.05
    assert set(people["ethnicity"]) == set(TABLES["people"].columns[3].codes)
    # breaches, same-day offences, month-end offence dates, slow courts
    assert off.filter(pl.col("offence_type") == "breach").height > 50
    assert off.group_by("person_id", "offence_date").len().filter(pl.col("len") > 1).height > 100
    month_end = off.filter(pl.col("offence_date") == pl.col("offence_date").dt.month_end()).height
    assert month_end > 1.5 * off.height / 30  # about 1 in 30 by chance, more recorded as month end
    court = off.filter(~pl.col("outcome").is_in(["reprimand", "final_warning", "youth_conditional_caution"]))
    lag = (court["outcome_date"] - court["offence_date"]).dt.total_days()
    assert (lag > 182).sum() > 20
    # custody released and still inside
    custody = off.filter(pl.col("outcome").is_in(list(CUSTODY_OUTCOMES)))
    assert custody["release_date"].null_count() > 0
    assert custody["release_date"].is_not_null().sum() > 100
    months = (custody["release_date"] - custody["outcome_date"]).dt.total_days().drop_nulls() / 30.44
    assert months.min() >= 0.9 and months.max() <= 25


def test_first_offences_are_mostly_pre_court_at_12_to_17(default):
    tables, _ = default
    first = (
        tables["offences"].sort("person_id", "outcome_date")
        .unique("person_id", keep="first", maintain_order=True)
        .join(tables["people"], on="person_id")
        .with_columns(age=age_at(pl.col("date_of_birth"), pl.col("offence_date")))
    )
    assert first["outcome"].is_in(["reprimand", "final_warning"]).mean() > 0.6
    assert first["age"].is_between(12, 17).mean() > 0.8


def test_prevention_referrals(default):
    tables, _ = default
    refs = tables["referrals"]
    assert set(refs["decision"]) == {"accepted", "declined", "no_capacity"}
    assert 0 < refs["risk_score"].null_count() < refs.height * 0.2
    offenders = set(tables["offences"]["person_id"])
    assert (~refs["person_id"].is_in(list(offenders))).mean() > 0.3  # many never offend
    prior = refs.join(tables["offences"], on="person_id").filter(pl.col("outcome_date") < pl.col("referral_date"))
    assert 0 < prior["referral_id"].n_unique() < refs.height * 0.15
    accepted = refs.filter(pl.col("decision") == "accepted")["risk_score"].mean()
    declined = refs.filter(pl.col("decision") == "declined")["risk_score"].mean()
    assert accepted > declined  # acceptance depends on risk


# --- truth ------------------------------------------------------------------------------------------

def test_truth_states_negative_planted_effects_for_every_programme():
    """Pooled over the complete calendar-year cohorts of a larger extract (at the default size a
    programme with a dozen treated a year can show any realised effect)."""
    _, truth = generate(people=20_000)
    progs = truth["programmes"]
    for prog, low, high in (("ISSP", -0.14, -0.04), ("restorative_justice", -0.07, -0.02),
                            ("referral_order", -0.06, -0.015), ("YISP", -0.11, -0.03)):
        periods = [p for label, p in progs[prog]["periods"].items() if p["n_treated"] and label != "all"
                   and p["start"].endswith("01-01")]
        n = sum(p["n_treated"] for p in periods)
        pooled = sum(p["effect"] * p["n_treated"] for p in periods) / n
        assert low <= pooled <= high, (prog, pooled)
        for p in periods:
            assert p["effect"] == pytest.approx(p["treated_rate"] - p["counterfactual_rate"])
            # a treated person's index offence is the same in both worlds, bar rare knock-on cases
            assert p.get("index_mismatches", 0) <= max(1, 0.01 * p["n_treated"])
    for prog in ("substance_misuse", "ETE", "fire_setters", "PPO_prevent_deter"):
        assert progs[prog]["effect"] == 0.0
    json.dumps(truth)  # serialisable


def test_truth_treated_rate_matches_the_extract_itself(default):
    """The treated group's actual rate in truth.json is what the suite measures on the tables."""
    tables, truth = default
    members = reoffending(make_extract(**tables), dt.date(2005, 1, 1), dt.date(2005, 12, 31))
    issp = tables["interventions"].filter(pl.col("programme") == "ISSP").select("person_id", "start_date")
    treated = members.join(issp, on="person_id").filter(
        (pl.col("start_date") >= pl.col("index_date"))
        & ((pl.col("start_date") - pl.col("index_date")).dt.total_days() <= 90)
    ).unique("person_id")
    period = truth["programmes"]["ISSP"]["periods"]["2005-01-01/2005-12-31"]
    assert period["n_treated"] == treated.height
    assert period["treated_rate"] == pytest.approx(treated["reoffended"].mean())
    ro = members.filter(pl.col("outcome") == "referral_order")
    period = truth["programmes"]["referral_order"]["periods"]["2005-01-01/2005-12-31"]
    assert (period["n_treated"], period["treated_rate"]) == (ro.height, pytest.approx(ro["reoffended"].mean()))


def test_issp_goes_to_higher_risk_young_people(default):
    """Selection is confounded: ISSP's treated reoffend far more than the rest of the cohort."""
    tables, truth = default
    period = truth["programmes"]["ISSP"]["periods"]["2005-01-01/2005-12-31"]
    members = reoffending(make_extract(**tables), dt.date(2005, 1, 1), dt.date(2005, 12, 31))
    assert period["treated_rate"] > members["reoffended"].mean() + 0.15


# --- command line -----------------------------------------------------------------------------------

def test_synth_command_writes_the_tables_and_truth(tmp_path, capsys):
    out = tmp_path / "x"
    assert main(["synth", "--out", str(out), "--people", "300", "--seed", "4", "--format", "csv"]) == 0
    printed = capsys.readouterr().out
    assert "offences.csv" in printed and "truth.json" in printed
    assert {p.name for p in out.iterdir()} == {f"{t}.csv" for t in SYNTH_TABLES} | {"truth.json", SYNTHETIC_MARKER}
    assert load_extract(out).synthetic  # the marker makes every page say the figures are synthetic
    truth = json.loads((out / "truth.json").read_text())
    assert truth["generator"]["people"] == 300 and truth["generator"]["seed"] == 4


def test_synth_command_refuses_an_empty_span(tmp_path):
    assert main(["synth", "--out", str(tmp_path), "--start-year", "2008", "--end-year", "2005"]) == 1


def test_default_people_is_barnet_sized():
    assert 2_000 <= DEFAULT_PEOPLE <= 10_000


def test_issp_treated_are_offered_at_their_own_community_or_custody_index(default):
    """ISSP is offered at a first community or custody outcome with no other index event in the 104
    days before, so a cohort member starting ISSP within 90 days has that order as their index."""
    tables, _ = default
    members = reoffending(make_extract(**tables), dt.date(2001, 1, 1), dt.date(2008, 12, 31))
    issp = tables["interventions"].filter(pl.col("programme") == "ISSP").select("person_id", "start_date")
    treated = members.join(issp, on="person_id").filter(
        (pl.col("start_date") >= pl.col("index_date"))
        & ((pl.col("start_date") - pl.col("index_date")).dt.total_days() <= 90)
    )
    assert treated.height >= 10
    assert treated["tier"].is_in(["community", "custody"]).all()
    assert issp["person_id"].n_unique() == issp.height  # once per young person


@pytest.mark.parametrize("kwargs", [
    {"people": 1}, {"people": 40, "start_year": 2008, "end_year": 2008},
    {"people": 300, "start_year": 2004, "end_year": 2006},
])
def test_small_and_short_extracts_still_follow_the_contract(kwargs):
    tables, truth = generate(**kwargs)
    assert tables["people"].height == kwargs["people"]
    for name, table in ((n, TABLES[n]) for n in SYNTH_TABLES):
        assert tables[name].schema == pl.Schema(table.schema)
    years = range(kwargs.get("start_year", 2000), kwargs.get("end_year", 2010) + 1)
    assert set(tables["population"]["year"]) == set(years)
    off = tables["offences"]
    assert off.filter(pl.col("outcome_date").dt.year() > max(years)).height == 0
    json.dumps(truth)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), people=st.integers(20, 400))
def test_contract_rules_hold_for_any_seed(seed, people):
    tables, _ = generate(people=people, seed=seed)
    off = tables["offences"].join(tables["people"], on="person_id")
    assert off.height == tables["offences"].height
    assert off.filter(pl.col("offence_date") > pl.col("outcome_date")).height == 0
    assert off.filter(pl.col("release_date") < pl.col("outcome_date")).height == 0
    assert (age_at(off["date_of_birth"], off["offence_date"]) >= 10).all() if off.height else True
    assert off.filter(~pl.col("outcome").is_in(list(CUSTODY_OUTCOMES)) & pl.col("release_date").is_not_null()).height == 0
    assert tables["offences"]["offence_id"].is_unique().all()
    iv = tables["interventions"]
    assert iv.filter(pl.col("end_date") < pl.col("start_date")).height == 0
