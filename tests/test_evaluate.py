"""Tests for yot/evaluate.py: the matching engine on hand-made sets and the programme definitions on
hand-made extracts (METHODS.md "Programme evaluation"). Expected values are worked out by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yot.evaluate import (
    critical_value,
    encode_covariates,
    evaluate_programme,
    index_covariates,
    matched_comparison,
    before_after_change,
    matched_effect,
    nearest_neighbour_match,
    plain_words,
    pooled_sd,
    programme_treatment,
    referral_order_treatment,
    reoffending_outcomes,
    standardised_mean_difference,
    yisp_population,
)
from yot.cohort import reoffending
from yot.extract import make_extract
from yot.stats import proportion_difference

D = dt.date


# ------------------------------------------------------------------ SMD, encoding, matching
def test_smd_uses_pooled_sd_of_unmatched_groups() -> None:
    t, c = np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0])
    sd = pooled_sd(t, c)  # var_t = var_c = 1 (ddof 1) -> sqrt((1 + 1) / 2) = 1
    assert sd == pytest.approx(1.0)
    assert standardised_mean_difference(t, c, sd) == pytest.approx(-1.0)
    # weighted comparison mean (2*2 + 4) / 3 = 8/3 -> (2 - 8/3) / 1
    assert standardised_mean_difference(t, c, sd, np.array([2.0, 0.0, 1.0])) == pytest.approx(2 - 8 / 3)
    assert standardised_mean_difference(np.array([1.0]), np.array([1.0]), 0.0) == 0.0


def test_missing_values_are_flagged_and_imputed_never_dropped() -> None:
    frame = pl.DataFrame({"score": [1.0, None, 3.0], "group": ["a", None, "b"], "same": [7, 7, 7]})
    x, dropped = encode_covariates(frame, ["score", "group", "same"])
    assert dropped == ("same",)
    assert x.height == 3
    assert x.get_column("score").to_list() == [1.0, 2.0, 3.0]  # mean of the others
    assert x.get_column("score: missing").to_list() == [0.0, 1.0, 0.0]
    assert x.get_column("group: missing").to_list() == [0.0, 1.0, 0.0]
    assert x.get_column("group: a").to_list() == [1.0, 0.0, 0.0]
    assert x.get_column("group: b").to_list() == [0.0, 0.0, 1.0]


def test_nearest_neighbour_pairs_and_caliper_by_hand() -> None:
    # rows 0-2 treated with logits 0, 1, 5; rows 3-5 comparison with 0.1, 0.9, 2.0; caliper width 0.5
    logit = np.array([0.0, 1.0, 5.0, 0.1, 0.9, 2.0])
    treated = np.array([True, True, True, False, False, False])
    pairs = nearest_neighbour_match(logit, treated, width=0.5)
    assert pairs.select("treated_row", "comparison_row").rows() == [(0, 3), (1, 4)]  # row 2 unmatched
    assert pairs.get_column("distance").to_list() == pytest.approx([0.1, 0.1])


def test_matching_is_with_replacement() -> None:
    logit = np.array([0.0, 0.05, 0.0, 3.0])
    treated = np.array([True, True, False, False])
    pairs = nearest_neighbour_match(logit, treated, width=1.0)
    assert pairs.get_column("comparison_row").to_list() == [2, 2]


def test_matched_effect_variance_counts_reuse() -> None:
    y = np.array([2.0, 2.0, 0.0, 0.0, 2.0])  # rows 0-2 treated, 3-4 comparison (a count outcome)
    pairs = pl.DataFrame({"treated_row": [0, 1, 2], "comparison_row": [3, 3, 4], "distance": [0.0] * 3})
    e = matched_effect(y, pairs)
    # d = 2, 2, -2: mean 2/3; var(d, ddof 1) = 16/3, / 3 = 16/9; reuse: (2^2 - 2) * var([0, 2]) / 9 = 4/9
    se = math.sqrt(20 / 9)
    assert e.estimate == pytest.approx(2 / 3)
    t2 = 4.302652729911275  # Student's t, 2 degrees of freedom, 97.5%
    assert critical_value(3) == pytest.approx(t2)
    assert e.ci_low == pytest.approx(2 / 3 - t2 * se)
    assert e.ci_high == pytest.approx(2 / 3 + t2 * se)
    assert e.treated_mean == pytest.approx(4 / 3)
    assert e.comparison_mean == pytest.approx(2 / 3)


def test_binary_matched_interval_stays_within_minus_one_to_one() -> None:
    y = np.array([1.0, 1.0, 0.0, 0.0, 1.0])  # as above, halved: se sqrt(5/9), t interval -2.87 to +3.54
    pairs = pl.DataFrame({"treated_row": [0, 1, 2], "comparison_row": [3, 3, 4], "distance": [0.0] * 3})
    e = matched_effect(y, pairs)
    assert e.estimate == pytest.approx(1 / 3)
    assert 1 / 3 - 4.302652729911275 * math.sqrt(5 / 9) < -1  # so the clip is what is tested
    assert (e.ci_low, e.ci_high) == (-1.0, 1.0)


def test_pairs_with_no_spread_get_a_counts_interval_not_a_zero_width_one() -> None:
    # three matched pairs, nobody reoffended: the paired variance is 0, yet 3 v 3 people prove little
    y = np.array([0.0, 0.0, 0.0, 0.0])  # rows 0-2 treated, row 3 the one comparison used three times
    pairs = pl.DataFrame({"treated_row": [0, 1, 2], "comparison_row": [3, 3, 3], "distance": [0.0] * 3})
    e = matched_effect(y, pairs)
    diff, low, high, p = proportion_difference(0, 3, 0, 3)  # Newcombe interval of 0/3 v 0/3
    assert e.estimate == 0.0 and (e.ci_low, e.ci_high, e.p_value) == (low, high, p)
    assert low < -0.4 and high > 0.4 and p == 1.0
    # every pair differs by one: still no spread, still an interval that is not a point
    y = np.array([1.0, 1.0, 1.0, 0.0])
    e = matched_effect(y, pairs)
    assert e.estimate == 1.0 and 0 < e.ci_low < 1.0 and e.ci_high == pytest.approx(1.0) and 0 < e.p_value < 0.2
    # a count outcome with no spread has no interval to give
    e = matched_effect(np.array([2.0, 2.0, 2.0, 0.0]), pairs)
    assert e.estimate == 2.0 and e.ci_low is None and e.ci_high is None and e.p_value is None


def test_matched_comparison_exact_pairs_by_hand() -> None:
    # group A: 1 treated, 1 comparison -> logit 0; group B: 1 treated, 3 comparison -> logit log(1/3)
    frame = pd.DataFrame({
        "t": [1, 1, 0, 0, 0, 0],
        "y": [1, 0, 0, 0, 0, 0],
        "g": ["A", "B", "A", "B", "B", "B"],
    })
    m = matched_comparison(frame, "t", "y", ["g"])
    rows = dict(m.pairs.select("treated_row", "comparison_row").rows())
    assert rows[0] == 2 and rows[1] in (3, 4, 5)
    assert (m.n_treated, m.n_matched_treated, m.n_matched_comparison, m.n_comparison_pool) == (2, 2, 2, 4)
    # d = 1 - 0, 0 - 0 -> 0.5; var(d) = 0.5 / 2 = 0.25 -> se 0.5; t with 1 degree of freedom 12.706
    assert m.effect == pytest.approx(0.5)
    assert 0.5 - 12.706204736174707 * 0.5 < -1  # the t interval, kept within [-1, 1] for a rate
    assert (m.ci_low, m.ci_high) == (-1.0, 1.0)
    assert m.naive_effect == pytest.approx(0.5 - 0.0)
    assert m.balance.filter(pl.col("covariate") == "g: A").get_column("smd_after").item() == pytest.approx(0.0)
    assert m.max_abs_smd_after == pytest.approx(0.0)
    assert m.model == "mle"


def test_caliper_leaves_a_far_treated_person_unmatched() -> None:
    rng = np.random.default_rng(3)
    x_c = rng.uniform(0, 3, 200)
    x_t = np.r_[rng.uniform(1, 3, 30), 12.0]
    frame = pl.DataFrame({
        "t": np.r_[np.ones(31), np.zeros(200)].astype(int),
        "y": rng.integers(0, 2, 231),
        "x": np.r_[x_t, x_c],
    })
    m = matched_comparison(frame, "t", "y", ["x"])
    assert m.n_treated == 31
    assert m.n_matched_treated == 30
    assert m.n_unmatched_treated == 1
    assert 30 not in m.pairs.get_column("treated_row").to_list()  # the far one (row 30)


def _simulate(n: int, effect: float, seed: int) -> pl.DataFrame:
    """Confounded world: x raises both the chance of treatment and of the outcome."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    group = rng.choice(["a", "b", "c"], size=n)
    t = rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 1.2 * x + 0.5 * (group == "a"))))
    p0 = 1 / (1 + np.exp(-(-0.8 + 1.0 * x + 0.4 * (group == "a"))))
    y = rng.random(n) < np.clip(p0 + effect * t, 0, 1)
    score = np.where(rng.random(n) < 0.1, np.nan, x + rng.normal(scale=0.5, size=n))
    return pl.DataFrame({"t": t.astype(int), "y": y.astype(int), "x": x, "group": group, "score": score}).with_columns(
        pl.col("score").fill_nan(None))


def test_no_effect_gives_an_interval_spanning_zero_on_a_large_set() -> None:
    m = matched_comparison(_simulate(6000, 0.0, seed=1), "t", "y", ["x", "group", "score"])
    assert m.ci_low < 0 < m.ci_high
    assert m.naive_effect > 0.15  # confounding: the naive comparison is far off
    assert m.max_abs_smd_after < 0.10


def test_planted_effect_is_covered_and_naive_is_not() -> None:
    m = matched_comparison(_simulate(6000, -0.10, seed=2), "t", "y", ["x", "group", "score"])
    assert m.ci_low < -0.10 < m.ci_high
    assert m.ci_high < 0
    assert m.naive_effect > 0


def test_separation_falls_back_to_a_penalised_fit() -> None:
    frame = pl.DataFrame({"t": [1, 1, 1, 0, 0, 0, 0], "y": [1, 0, 1, 0, 1, 0, 0],
                          "x": [5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0]})
    m = matched_comparison(frame, "t", "y", ["x"])
    assert m.model == "ridge"
    assert np.all(np.isfinite(m.logit))


# ------------------------------------------------------------------ programme definitions
def _person(pid: str, dob: dt.date = D(1990, 1, 1)) -> dict:
    return {"person_id": pid, "date_of_birth": dob, "sex": "M", "ethnicity": "White", "yot": "X"}


def _offence(oid: str, pid: str, outcome_date: dt.date, outcome: str = "reprimand", gravity: int = 3,
             offence_type: str = "theft", offence_date: dt.date | None = None,
             release_date: dt.date | None = None) -> dict:
    return {"offence_id": oid, "person_id": pid, "offence_date": offence_date or outcome_date - dt.timedelta(days=10),
            "outcome_date": outcome_date, "offence_type": offence_type, "gravity": gravity, "outcome": outcome,
            "release_date": release_date}


INDEX = D(2005, 3, 1)  # every member's index date; index + 12 months = 2006-03-01 (365 days on)


def _issp_extract(offsets: dict[str, int | None]):
    people = [_person(p) for p in offsets]
    offences = [_offence(f"o{p}", p, INDEX) for p in offsets]
    interventions = [
        {"intervention_id": f"i{p}", "person_id": p, "programme": "ISSP", "start_date": INDEX + dt.timedelta(days=d),
         "end_date": None, "status": "completed"}
        for p, d in offsets.items() if d is not None
    ]
    return make_extract(people=people, offences=offences, interventions=interventions)


def test_issp_window_edges_and_the_365_day_exclusion() -> None:
    offsets = {"day0": 0, "day90": 90, "day91": 91, "minus1": -1, "minus365": -365, "minus366": -366,
               "day365": 365, "day366": 366, "none": None}
    extract = _issp_extract(offsets)
    members = reoffending(extract, D(2005, 1, 1), D(2005, 12, 31))
    got = dict(programme_treatment(extract, members, "ISSP").select("person_id", "treated").rows())
    assert got == {
        "day0": True, "day90": True,  # 0 <= days <= 90
        "day91": None, "minus1": None, "minus365": None, "day365": None,  # started near: in neither group
        "minus366": False, "day366": False, "none": False,  # pool
    }


def test_referral_order_groups() -> None:
    outcomes = {"ro": "referral_order", "fine": "fine", "rep": "reprimand", "so": "supervision_order"}
    extract = make_extract(people=[_person(p) for p in outcomes],
                           offences=[_offence(f"o{p}", p, INDEX, o) for p, o in outcomes.items()])
    members = referral_order_treatment(reoffending(extract, D(2005, 1, 1), D(2005, 12, 31)))
    assert dict(members.select("person_id", "treated").rows()) == {"ro": True, "fine": False, "rep": False, "so": None}


def test_index_covariates_previous_offences_and_latest_asset_before_index() -> None:
    release = D(2005, 6, 1)
    extract = make_extract(
        people=[_person("a")],
        offences=[
            _offence("old1", "a", D(2003, 6, 1)),
            _offence("old2", "a", D(2004, 6, 1)),
            _offence("idx", "a", D(2005, 1, 10), "detention_training_order", release_date=release),
            _offence("sameday", "a", release),  # proven on the index date: not before it
        ],
        assessments=[
            {"person_id": "a", "assessment_date": D(2004, 1, 1), "asset_score": 10},
            {"person_id": "a", "assessment_date": D(2005, 1, 1), "asset_score": 20},
            {"person_id": "a", "assessment_date": release, "asset_score": 30},  # not before the index date
        ],
    )
    members = reoffending(extract, D(2005, 1, 1), D(2005, 12, 31))
    # idx and sameday share the index date and gravity: the smaller offence_id is the index offence
    assert members.get_column("offence_id").to_list() == ["idx"]
    row = index_covariates(extract, members).row(0, named=True)
    # old1 and old2 only: the index offence itself (proven before its release) and sameday (proven on
    # the index date) are not previous offences
    assert row["previous_offences"] == 2
    assert row["years_since_first_offence"] == pytest.approx((release - D(2003, 6, 1)).days / 365.25)
    assert row["asset_score"] == 20


def test_before_after_counts_and_custody_reoffence() -> None:
    extract = make_extract(
        people=[_person("a")],
        offences=[
            _offence("b1", "a", D(2004, 6, 1), offence_date=D(2004, 3, 1)),  # committed 12 months before: in
            _offence("b0", "a", D(2004, 4, 1), offence_date=D(2004, 2, 29)),  # before the 12 months: out
            _offence("br", "a", D(2004, 9, 1), offence_type="breach"),  # breach: out
            _offence("idx", "a", INDEX, offence_date=D(2005, 1, 1)),
            _offence("r1", "a", D(2005, 9, 1), "detention_training_order", offence_date=D(2005, 6, 1)),
        ],
    )
    # index: the earliest index date in the period: b-offences are before 2005, r1 has no release date
    members = reoffending(extract, D(2005, 1, 1), D(2005, 12, 31))
    row = reoffending_outcomes(extract, members).row(0, named=True)
    assert row["offence_id"] == "idx"
    assert row["offences_before"] == 1
    assert row["reoffences"] == 1 and row["custody_reoffence"] is True
    assert row["time_days"] == (D(2005, 6, 1) - INDEX).days and row["event"] is True


def _yisp_extract():
    dob = D(1993, 1, 1)
    ref = D(2005, 3, 1)
    people = [_person(p, dob) for p in ("acc", "dec", "nocap", "prior", "sameday", "twice", "late", "slow", "outside")]
    referrals = [
        {"referral_id": "r1", "person_id": "acc", "programme": "YISP", "referral_date": ref, "risk_score": 20,
         "decision": "accepted"},
        {"referral_id": "r2", "person_id": "dec", "programme": "YISP", "referral_date": ref, "risk_score": None,
         "decision": "declined"},
        {"referral_id": "r3", "person_id": "nocap", "programme": "YISP", "referral_date": ref, "risk_score": 10,
         "decision": "no_capacity"},
        {"referral_id": "r4", "person_id": "prior", "programme": "YISP", "referral_date": ref, "risk_score": 10,
         "decision": "accepted"},
        {"referral_id": "r5", "person_id": "sameday", "programme": "YISP", "referral_date": ref, "risk_score": 10,
         "decision": "accepted"},
        {"referral_id": "r6", "person_id": "twice", "programme": "YISP", "referral_date": D(2005, 2, 1),
         "risk_score": 10, "decision": "declined"},
        {"referral_id": "r7", "person_id": "twice", "programme": "YISP", "referral_date": D(2005, 5, 1),
         "risk_score": 10, "decision": "accepted"},
        {"referral_id": "r8", "person_id": "late", "programme": "YISP", "referral_date": ref, "risk_score": 10,
         "decision": "accepted"},
        {"referral_id": "r9", "person_id": "slow", "programme": "YISP", "referral_date": ref, "risk_score": 10,
         "decision": "accepted"},
        {"referral_id": "r10", "person_id": "outside", "programme": "YISP", "referral_date": D(2006, 3, 1),
         "risk_score": 10, "decision": "accepted"},
    ]
    offences = [
        # acc: first offence exactly 12 months after the referral, proven within 18 months: FTE
        _offence("a1", "acc", D(2006, 4, 1), offence_date=D(2006, 3, 1)),
        # prior: proven on the referral date -> out of the evaluation
        _offence("p1", "prior", ref, offence_date=D(2005, 2, 1)),
        # sameday: committed on the referral date, proven later: stays in, not an FTE (not after the referral)
        _offence("s1", "sameday", D(2005, 4, 1), offence_date=ref),
        # late: committed 12 months + 1 day after: not an FTE
        _offence("l1", "late", D(2006, 4, 1), offence_date=D(2006, 3, 2)),
        # slow: committed within 12 months, proven 18 months + 1 day after: not an FTE
        _offence("w1", "slow", D(2006, 9, 2), offence_date=D(2005, 6, 1)),
    ]
    return make_extract(people=people, offences=offences, referrals=referrals)


def test_yisp_definitions() -> None:
    pop = yisp_population(_yisp_extract(), D(2005, 1, 1), D(2005, 12, 31))
    rows = {r["person_id"]: r for r in pop.iter_rows(named=True)}
    assert set(rows) == {"acc", "dec", "nocap", "sameday", "twice", "late", "slow"}  # prior out; outside period
    assert rows["twice"]["referral_id"] == "r6" and rows["twice"]["treated"] is False  # earliest referral
    assert {p for p, r in rows.items() if r["treated"]} == {"acc", "sameday", "late", "slow"}
    assert {p for p, r in rows.items() if r["first_time_entrant"]} == {"acc"}
    assert rows["acc"]["age"] == 12 and rows["dec"]["risk_score"] is None


def test_evaluate_programme_on_an_empty_period_gives_no_estimate() -> None:
    ev = evaluate_programme(_yisp_extract(), "ISSP", D(2005, 1, 1), D(2005, 12, 31))
    assert ev.match.n_treated == 0 and ev.match.effect is None
    assert "no young person started it" in plain_words(ev)


def test_plain_words_says_no_evidence_indicative_and_poor_balance() -> None:
    ev = evaluate_programme(_yisp_extract(), "YISP", D(2005, 1, 1), D(2005, 12, 31))
    text = plain_words(ev)
    assert ev.match.n_treated == 4 and ev.indicative_only
    assert "Indicative only" in text
    low, high = ev.match.ci_low, ev.match.ci_high
    assert ("No evidence of an effect" in text) == (low <= 0 <= high)


def test_plain_words_fewer_and_more() -> None:
    import dataclasses

    ev = evaluate_programme(_yisp_extract(), "YISP", D(2005, 1, 1), D(2005, 12, 31))
    big = dataclasses.replace(ev.match, n_treated=100, n_matched_treated=100,
                              balance=ev.match.balance.with_columns(smd_after=pl.lit(0.05)))

    def with_interval(low: float, high: float):
        outcomes = ev.outcomes.with_columns(difference=pl.lit((low + high) / 2), ci_low=pl.lit(low), ci_high=pl.lit(high))
        return dataclasses.replace(ev, match=big, outcomes=outcomes)

    fewer = plain_words(with_interval(-0.15, -0.05))
    assert fewer.startswith("For every 100 young people like those on a YISP, between 5 and 15 fewer became "
                            "first-time entrants within a year.")
    assert "Indicative" not in fewer and "Poor balance" not in fewer
    assert "between 2 and 8 more" in plain_words(with_interval(0.02, 0.08))
    assert plain_words(with_interval(-0.05, 0.02)).startswith("No evidence of an effect")
    # a bound under one in a hundred keeps a decimal rather than reading "0 more"
    assert "anywhere from 23 fewer to 0.4 more than" in plain_words(with_interval(-0.231, 0.004))


def test_synthetic_extract_truth_is_covered() -> None:
    """On the embedded synthetic extract the YISP treated group is exactly the generator's, and the
    matched interval covers the planted effect on the treated (truth.json). Whether the naive
    comparison is further off varies from seed to seed: bench/bench_evaluation.py measures that over
    many seeds and every programme."""
    synth = pytest.importorskip("yot.synth")
    from yot.dates import add_months

    tables, truth = synth.generate(seed=0)
    t = truth["programmes"]["YISP"]["periods"]["all"]
    end = min(D.fromisoformat(t["end"]), add_months(D.fromisoformat(truth["extract_date"]), -18))
    ev = evaluate_programme(make_extract(**tables), "YISP", D.fromisoformat(t["start"]), end)
    m = ev.match
    assert m.n_treated == t["n_treated"]
    assert m.ci_low <= t["effect"] <= m.ci_high



@settings(max_examples=60, deadline=None)
@given(
    treated=st.lists(st.integers(-20, 20), min_size=1, max_size=12),
    pool=st.lists(st.integers(-20, 20), min_size=1, max_size=12),
    width=st.sampled_from([0.0, 0.5, 2.0, 100.0]),
    seed=st.integers(0, 5),
)
def test_every_match_is_a_nearest_neighbour_within_the_caliper(treated, pool, width, seed) -> None:
    logit = np.array([t / 4 for t in treated] + [c / 4 for c in pool])
    is_treated = np.array([True] * len(treated) + [False] * len(pool))
    pairs = nearest_neighbour_match(logit, is_treated, width, seed)
    pool_logits = logit[~is_treated]
    matched = set()
    for t_row, c_row, distance in pairs.rows():
        nearest = np.abs(pool_logits - logit[t_row]).min()
        assert not is_treated[c_row] and is_treated[t_row]
        assert distance == pytest.approx(nearest) == pytest.approx(abs(logit[c_row] - logit[t_row]))
        assert distance <= width + 1e-9
        matched.add(t_row)
    for t_row in set(np.flatnonzero(is_treated)) - matched:  # unmatched only when nobody is close enough
        assert np.abs(pool_logits - logit[t_row]).min() > width


def test_kaplan_meier_by_hand() -> None:
    from yot.evaluate import kaplan_meier

    # 4 people: events on days 10 and 30, censored on days 20 and 365
    curve = kaplan_meier(np.array([10.0, 20.0, 30.0, 365.0]), np.array([1.0, 0.0, 1.0, 0.0]))
    assert curve.get_column("day").to_list() == [0.0, 10.0, 30.0, 365.0]
    # S(10) = 3/4; S(30) = 3/4 * (1 - 1/2) = 3/8; carried on to day 365
    assert curve.get_column("surviving").to_list() == pytest.approx([1.0, 0.75, 0.375, 0.375])
    assert curve.get_column("people").to_list() == [0, 1, 1, 0]
    # two events on one day, one of them weighted twice (a comparison person used twice): 2 people
    curve = kaplan_meier(np.array([10.0, 10.0, 40.0]), np.array([1.0, 1.0, 0.0]), np.array([1.0, 2.0, 1.0]))
    assert curve.get_column("day").to_list() == [0.0, 10.0, 40.0]
    assert curve.get_column("people").to_list() == [0, 2, 0]
    assert curve.get_column("surviving").to_list() == pytest.approx([1.0, 0.25, 0.25])


def test_before_after_change_by_hand_and_with_no_spread() -> None:
    pop = pl.DataFrame({
        "treated": [True, True, True, True, False],
        "reoffended_before": [1, 1, 1, 0, 1], "reoffended": [0, 1, 0, 0, 1],
        "offences_before": [3, 2, 1, 0, 5], "reoffences": [1, 2, 0, 0, 5],
    })
    ba = before_after_change(pop)  # the four treated rows
    row = ba.row(0, named=True)
    # reoffended: before 3/4, after 1/4; d = -1, 0, -1, 0: mean -0.5, sd 0.57735, se 0.288675, t(3) 3.182446
    assert (row["before"], row["after"], row["change"]) == (0.75, 0.25, -0.5)
    assert -0.5 - 3.182446305284263 * 0.28867513459481287 < -1
    assert row["ci_low"] == -1.0  # kept within [-1, 1]
    assert row["ci_high"] == pytest.approx(-0.5 + 3.182446305284263 * 0.28867513459481287)
    freq = ba.row(1, named=True)
    assert (freq["before"], freq["after"], freq["change"]) == (1.5, 0.75, -0.75)
    # everyone offended before and nobody after: every pair alike, yet four people are not certainty
    flat = pl.DataFrame({"treated": [True] * 4, "reoffended_before": [1] * 4, "reoffended": [0] * 4,
                         "offences_before": [2] * 4, "reoffences": [0] * 4})
    ba = before_after_change(flat)
    row = ba.row(0, named=True)
    assert row["change"] == -1.0 and row["ci_low"] == -1.0 and -1.0 < row["ci_high"] < -0.2 and row["p_value"] < 0.05
    freq = ba.row(1, named=True)
    assert freq["change"] == -2.0 and freq["ci_low"] is None and freq["p_value"] is None
