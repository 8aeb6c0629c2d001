"""The embedded synthetic extract: a Barnet-sized YOT case-level extract with planted programme effects.

``generate`` draws every contract table (people, offences, interventions, referrals, assessments,
substance_reviews, population) and a ``truth`` dict: the calibration achieved and, per programme, the
true average effect on the treated, measured exactly as METHODS.md measures it. ``write`` puts the
tables and ``truth.json`` in a folder. Everything is vectorised over people with numpy and polars; the
only Python loops run over offence number within a career, over the few programmes and over years.

How the world is drawn (docs/synthetic.md says more):

1. Offending careers. Each young person has a latent risk ``z``. Offenders' first offences flow in at a
   yearly rate (rising to 2006-07, then falling), at ages mostly 12-17; later offences follow a
   risk-driven renewal process (continue or desist after each offence, then a gap timed from the
   outcome, or from the release after custody). Disposals escalate with the record proven when the
   offence was committed and its gravity, never with the latent risk (reprimand, final warning, a
   referral order at a first court appearance, then first-tier, community and custody orders); courts
   take weeks to months, custody ends in a release 2-24 months later (missing when still inside at the
   extract date). Breaches of orders are added as ``breach`` offences.
2. Programmes with planted effects (common random numbers). ISSP, restorative justice, the referral
   order and YISP are each offered once per person, at a moment fixed by the record, with a chance that
   depends only on what the evaluation observes. A treated young person "desists" with a programme's
   probability: their offences committed in the 12 months after the programme start are removed. The
   world without the programme is the same draws with that removal undone, so the counterfactual of
   every treated person is known exactly and the true effect on the treated is measured on both worlds
   with METHODS.md's reoffending and first-time-entrant rules, written again in this module rather than
   taken from the engine it checks (the truth stays independent of the code under test; only the
   calibration report below uses :mod:`yot.cohort`).
3. The rest: Asset assessments before court outcomes, substance-misuse episodes (calibrated counts),
   end reviews (calibrated share reduced or discontinued), other programmes without effects, and the
   mid-year population.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from yot.contract import CUSTODY_OUTCOMES, OUTCOME_TIER, TABLE_ORDER, TABLES, TIER_ORDER

SYNTH_TABLES: tuple[str, ...] = tuple(name for name in TABLE_ORDER if name != "comparators")
"""The tables of a one-YOT synthetic extract: every contract table but the published comparators."""
from yot.cohort import reoffending
from yot.dates import add_months, add_months_expr, age_at, calendar_year, financial_year
from yot.extract import SYNTHETIC_MARKER, make_extract

DEFAULT_PEOPLE = 5_000
"""People in the default (Barnet-sized) extract: offenders and children referred to prevention."""
POPULATION_10_17 = 30_000
"""Barnet residents aged 10-17 in the default extract (first year), growing slowly."""

EPOCH = dt.date(1970, 1, 1)
YEAR_DAYS = 365.25
MONTH_DAYS = YEAR_DAYS / 12

# Planted desistance probabilities: a treated young person stops offending for 12 months after the
# programme starts with this probability (the effect on the treated follows, measured in truth.json).
DESIST: dict[str, float] = {
    "YISP": 0.2,
    "restorative_justice": 0.3,
    "referral_order": 0.11,
    "ISSP": 0.18,
}
EFFECT_DAYS = 365
CONTINUE = -1.15
STATE = 0.35
"""Log-odds added per previous offence (up to six): how much a longer record raises reoffending."""
SAME_DAY = 0.3
"""Chance that a further offence is committed the same day (dealt with together)."""
"""Log-odds of offending again after a first offence at average risk (calibrates the 2003 rate)."""
PROGRAMME_BIT: dict[str, int] = {"YISP": 1, "restorative_justice": 2, "referral_order": 4, "ISSP": 8}

OFFENCE_MIX: dict[str, float] = {
    "theft": 0.22, "violence": 0.19, "criminal_damage": 0.12, "burglary": 0.08, "public_order": 0.08,
    "drugs": 0.07, "vehicle": 0.06, "motoring": 0.06, "robbery": 0.05, "other": 0.04, "fraud": 0.02,
    "sexual": 0.01,
}
# (lowest gravity, extra points drawn binomially with this many trials at p=0.35)
GRAVITY: dict[str, tuple[int, int]] = {
    "theft": (2, 2), "violence": (3, 4), "criminal_damage": (2, 2), "burglary": (4, 3),
    "public_order": (2, 2), "drugs": (2, 4), "vehicle": (3, 3), "motoring": (2, 3), "robbery": (5, 3),
    "other": (2, 2), "fraud": (3, 2), "sexual": (5, 3),
}
VICTIM_TYPES = ("theft", "violence", "criminal_damage", "burglary", "robbery")


def _days(date: dt.date) -> int:
    return (date - EPOCH).days


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _rng(seed: int, stream: int) -> np.random.Generator:
    """An independent random stream per part of the world, so parts can change without moving others."""
    return np.random.default_rng([seed, stream])


def _age_years(dob: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years between two day-number arrays (calendar exact)."""
    b = dob.astype("datetime64[D]")
    o = on.astype("datetime64[D]")
    by = b.astype("datetime64[Y]").astype(np.int64)
    oy = o.astype("datetime64[Y]").astype(np.int64)
    # compare (month, day) through month*40+day to be leap-year safe
    bm = b.astype("datetime64[M]").astype(np.int64) % 12
    om = o.astype("datetime64[M]").astype(np.int64) % 12
    bd = (b - b.astype("datetime64[M]")).astype(np.int64)
    od = (o - o.astype("datetime64[M]")).astype(np.int64)
    return oy - by - ((om * 40 + od) < (bm * 40 + bd)).astype(np.int64)


def _balanced(rng: np.random.Generator, start: np.ndarray, person: np.ndarray, p: float) -> np.ndarray:
    """Desistance flags with probability ``p`` each, drawn systematically along the programme's starts
    in date order (one random offset), so that any run of consecutive starts has very nearly the share
    ``p``: the planted effect is then about the same in every cohort year, even with a dozen treated."""
    order = np.lexsort((person, start))
    i = np.arange(start.size)
    u = rng.random()
    hits = np.floor((i + 1) * p + u) - np.floor(i * p + u) > 0
    out = np.zeros(start.size, bool)
    out[order] = hits
    return out


def _month_end(days: np.ndarray) -> np.ndarray:
    d = days.astype("datetime64[D]")
    return ((d.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1).astype(np.int64)


def _pick(rng: np.random.Generator, cum: np.ndarray, size: int) -> np.ndarray:
    """Categorical draws with one cumulative probability vector."""
    return np.searchsorted(cum, rng.random(size) * cum[-1], side="right")


def _year_weight(years: np.ndarray) -> np.ndarray:
    """Relative flow of first-time entrants by calendar year: rising to 2006-07, falling after (as in
    England and Wales)."""
    y = years.astype(float)
    return np.where(y <= 2007, 1.0 + 0.06 * np.clip(y - 2000, -4, 7), 1.42 * 0.82 ** (y - 2007))


def _dates_in_years(rng: np.random.Generator, n: int, first: int, last: int) -> np.ndarray:
    """``n`` day numbers spread over calendar years ``first..last`` by the first-time-entrant flow."""
    years = np.arange(first, last + 1)
    w = _year_weight(years)
    y = years[_pick(rng, np.cumsum(w), n)]
    starts = np.array([_days(dt.date(int(v), 1, 1)) for v in years])
    lengths = np.array([366 if (v % 4 == 0 and (v % 100 != 0 or v % 400 == 0)) else 365 for v in years])
    i = y - first
    return starts[i] + np.floor(rng.random(n) * lengths[i]).astype(np.int64)


# --------------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------------

def _people(seed: int, n: int, start: int, end: int, risk: float = 0.0) -> dict[str, np.ndarray]:
    """Draw ``n`` candidate people: sex, ethnicity, latent risk, and either a first offence date
    (offenders) or a YISP referral date (children referred to prevention)."""
    rng = _rng(seed, 1)
    sex = np.array(["M", "F", "U"])[_pick(rng, np.cumsum([0.79, 0.19, 0.02]), n)]
    eth_names = np.array(["White", "Mixed", "Asian", "Black", "Other", "Unknown"])
    ethnicity = eth_names[_pick(rng, np.cumsum([0.58, 0.08, 0.11, 0.14, 0.05, 0.04]), n)]
    z = rng.standard_normal(n) - 0.35 * (sex == "F")
    if risk:  # another YOT's mix of risk (multi-YOT extracts); the default draws are untouched
        z = z + risk
    referred = rng.random(n) < 0.14
    # offenders: first offence date, four years of pre-extract history allowed, then age at it
    first = _dates_in_years(rng, n, start - 4, end)
    age_first = 10.0 + 8.0 * rng.beta(2.4, 1.5, n) - 0.45 * z
    age_first = np.clip(age_first, 10.02, 17.98)
    dob_off = first - np.round(age_first * YEAR_DAYS).astype(np.int64)
    # referred children: referral at 8-13 within the extract years, weighted to YISP's growth
    ref_years = np.arange(start, end + 1)
    ref_w = np.where(ref_years >= 2003, 1.0, 0.35)
    ref_y = ref_years[_pick(rng, np.cumsum(ref_w), n)]
    ref_date = np.array([_days(dt.date(int(y), 1, 1)) for y in ref_years])[ref_y - start] + np.floor(
        rng.random(n) * 365
    ).astype(np.int64)
    ref_age = 8.0 + 6.0 * rng.beta(2.0, 1.6, n)
    dob_ref = ref_date - np.round(ref_age * YEAR_DAYS).astype(np.int64)
    risk_score = np.clip(np.round(17 + 6.5 * z + rng.normal(0, 4, n)), 0, 40).astype(np.int64)
    risk_missing = rng.random(n) < 0.08
    # time from referral to first offence (if ever), driven by risk; never before the 10th birthday
    hazard = 0.28 * np.exp(0.75 * z)  # per year
    wait = rng.exponential(1.0, n) / hazard * YEAR_DAYS
    tenth = dob_ref + np.round(10 * YEAR_DAYS).astype(np.int64) + 1
    ref_first = np.maximum(ref_date + 1 + np.round(wait).astype(np.int64), tenth + rng.integers(0, 60, n))
    dob = np.where(referred, dob_ref, dob_off)
    first = np.where(referred, ref_first, first)
    return {
        "sex": sex, "ethnicity": ethnicity, "z": z, "referred": referred, "dob": dob, "first": first,
        "referral_date": np.where(referred, ref_date, -1), "risk_score": risk_score,
        "risk_missing": risk_missing,
    }


# --------------------------------------------------------------------------------------------------
# Careers
# --------------------------------------------------------------------------------------------------

def _gravity(rng: np.random.Generator, types: np.ndarray, type_names: list[str]) -> np.ndarray:
    lows = np.array([GRAVITY[t][0] for t in type_names])
    trials = np.array([GRAVITY[t][1] for t in type_names])
    g = lows[types] + rng.binomial(trials[types], 0.35)
    return np.clip(g, 1, 8)


def _careers(seed: int, ppl: dict[str, np.ndarray], window_start: int, end: int) -> dict[str, np.ndarray]:
    """Every person's offences in the world without programme effects, offence by offence.

    Loops over the offence number (at most ``KMAX``), vectorised over all people still offending.
    Returns row arrays, ``person`` indexing the candidate people.
    """
    rng = _rng(seed, 2)
    type_names = list(OFFENCE_MIX)
    type_cum = np.cumsum(list(OFFENCE_MIX.values()))
    outcome_names = np.array(list(OUTCOME_TIER))
    code = {o: i for i, o in enumerate(outcome_names)}
    n = ppl["z"].size
    z, dob = ppl["z"], ppl["dob"]
    nineteenth = dob + np.round(19 * YEAR_DAYS).astype(np.int64)
    yro_start = _days(dt.date(2009, 11, 30))
    ycc_start = _days(dt.date(2010, 4, 1))

    n_obs = np.zeros(n, np.int64)  # offences the YOT can see (proven on or after the extract start)
    n_pre = np.zeros(n, np.int64)
    n_court = np.zeros(n, np.int64)
    last_asset = np.full(n, -1, np.int64)
    rj_done = np.zeros(n, bool)
    ro_done = np.zeros(n, bool)

    date = ppl["first"].copy()
    active = np.flatnonzero(date <= end)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in (
        "person", "offence_date", "outcome_date", "type", "gravity", "outcome", "release", "asset",
        "asset_date", "issp", "rj", "ro", "observed")}
    # per-row arrays of the previous offence, kept by person for same-day offences
    prev_outcome_date = np.zeros(n, np.int64)
    prev_outcome = np.zeros(n, np.int64)
    prev_release = np.full(n, -1, np.int64)
    prev_offence_date = np.full(n, -1, np.int64)
    recent_outcome = np.full((n, 4), -1, np.int64)  # outcome dates of the four latest offences
    tier_of = np.array([TIER_ORDER.index(OUTCOME_TIER[o]) for o in outcome_names])
    for k in range(60):
        if active.size == 0:
            break
        a = active
        m = a.size
        d = date[a]
        same = (d == prev_offence_date[a]) if k > 0 else np.zeros(m, bool)
        types = _pick(rng, type_cum, m)
        gravity = _gravity(rng, types, type_names)
        # --- disposal, from what the YOT can see (never from the latent risk) ---
        age = (d - dob[a]) / YEAR_DAYS
        u = rng.random(m)
        u2 = rng.random(m)
        outcome = np.empty(m, np.int64)
        # the record as proven when this offence was committed (pending offences not yet counted)
        ro_ = recent_outcome[a]
        pb = n_obs[a] - ((ro_ >= 0) & (ro_ >= d[:, None])).sum(axis=1)
        p_pre = np.array([0.93, 0.72, 0.3, 0.08])[np.minimum(pb, 3)] * np.where(gravity <= 3, 1.0, 0.7)
        pre_court = (gravity <= 5) & (u < p_pre)
        rep = pre_court & (pb == 0) & (u2 < np.where(gravity <= 3, 0.92, 0.5))
        fw = pre_court & ~rep
        court = ~pre_court
        outcome[rep] = code["reprimand"]
        outcome[fw] = code["final_warning"]
        ycc = fw & (d >= ycc_start) & (u2 < 0.3)
        outcome[ycc] = code["youth_conditional_caution"]
        # court: escalates with gravity and the proven record; a first court appearance with a short
        # record is mostly a referral order
        score = 0.55 * (gravity - 4) + 0.5 * np.minimum(pb, 10) - 0.6 + rng.logistic(0, 0.6, m)
        custody = court & ((score > 3.2) | ((gravity >= 7) & (u2 < 0.45)))
        community = court & ~custody & (score > 1.6)
        p_ro = np.array([0.7, 0.65, 0.55, 0.4, 0.25, 0.12])[np.minimum(pb, 5)]
        ro = court & ~custody & ~community & (u2 < p_ro)
        first_tier = court & ~custody & ~community & ~ro
        cust_pick = np.where(gravity >= 7, np.where(u2 < 0.5, code["section_90_91_detention"],
                                                    code["detention_training_order"]),
                             code["detention_training_order"])
        outcome[custody] = cust_pick[custody]
        comm_old = np.where(u2 < 0.55, code["supervision_order"], code["action_plan_order"])
        comm_new = np.where(u2 < 0.9, code["youth_rehabilitation_order"], code["supervision_order"])
        comm = np.where(d >= yro_start - 60, comm_new, comm_old)
        outcome[community] = comm[community]
        outcome[ro] = code["referral_order"]
        ft_names = np.array([code[o] for o in ("reparation_order", "fine", "conditional_discharge",
                                               "absolute_discharge", "compensation_order",
                                               "referral_order")])
        ft = ft_names[_pick(rng, np.cumsum([0.3, 0.2, 0.3, 0.05, 0.05, 0.0]), m)]
        outcome[first_tier] = ft[first_tier]
        # --- dates: days for pre-court, weeks to months for court (some slow courts) ---
        pre = rep | fw
        lag_pre = 1 + np.round(rng.gamma(1.6, 12.0, m)).astype(np.int64)
        lag_court = 14 + np.round(rng.lognormal(np.log(70), 0.65, m)).astype(np.int64)
        outcome_date = d + np.where(pre, lag_pre, lag_court)
        is_cust = np.isin(outcome, [code[c] for c in CUSTODY_OUTCOMES])
        months = np.where(outcome == code["section_90_91_detention"],
                          rng.integers(12, 25, m), np.array([2, 3, 4, 5, 6, 9, 12])[rng.integers(0, 7, m)])
        release = np.where(is_cust, outcome_date + np.round(months * MONTH_DAYS).astype(np.int64), -1)
        # same-day offences are dealt with together
        outcome_date = np.where(same, prev_outcome_date[a], outcome_date)
        outcome = np.where(same, prev_outcome[a], outcome)
        release = np.where(same, prev_release[a], release)
        is_cust = np.isin(outcome, [code[c] for c in CUSTODY_OUTCOMES])
        pre = np.isin(outcome, [code[o] for o in ("reprimand", "final_warning", "youth_caution",
                                                  "youth_conditional_caution")])
        release = np.where(is_cust & (release > end), -1, release)
        proven = outcome_date <= end
        observed = proven & (outcome_date >= window_start)
        index_date = np.where(is_cust, release, outcome_date)
        # --- Asset: before court outcomes (and some pre-court ones), correlated with risk ---
        p_asset = np.where(pre, np.where(outcome == code["reprimand"], 0.1, 0.55), 0.93)
        has_asset = observed & ~same & (rng.random(m) < p_asset)
        asset = np.clip(np.round(15 + 7.5 * z[a] + 1.3 * np.minimum(n_obs[a], 10) + 1.2 * (gravity - 3)
                                 + rng.normal(0, 4.5, m)), 0, 64).astype(np.int64)
        asset_date = np.maximum(d, outcome_date - rng.integers(3, 28, m))
        cur_asset = np.where(has_asset, asset, last_asset[a])
        # --- programme offers, once per person, from the observed record only ---
        tier_code = tier_of[outcome]
        high = tier_code >= 2
        # ISSP is offered after the careers are drawn (see _issp_offers); these draws keep the stream
        rng.normal(0, 0.3, m)
        rng.random(m)
        issp = np.zeros(m, bool)
        rj_elig = observed & ~same & (n_obs[a] == 0) & ~rj_done[a] & (index_date >= 0)
        victim = np.isin(types, [type_names.index(t) for t in VICTIM_TYPES])
        lin = (-2.3 + 0.9 * victim + 0.5 * (tier_code == 1) - 1.2 * (tier_code >= 2) - 0.12 * (age - 14)
               + 0.2 * (gravity - 3))
        rj = rj_elig & (rng.random(m) < _sigmoid(lin))
        rj_done[a[rj_elig]] = True
        ro_t = observed & ~same & (outcome == code["referral_order"]) & ~ro_done[a]
        ro_done[a[ro_t]] = True
        # --- record ---
        for key, val in (("person", a), ("offence_date", d), ("outcome_date", outcome_date), ("type", types),
                         ("gravity", gravity), ("outcome", outcome), ("release", release),
                         ("asset", np.where(has_asset, asset, -1)), ("asset_date", asset_date),
                         ("issp", issp), ("rj", rj), ("ro", ro_t), ("observed", observed)):
            cols[key].append(np.where(proven, val, -1) if key == "person" else val)
        # --- state ---
        n_obs[a] += observed
        n_pre[a] += pre & ~same & observed
        n_court[a] += ~pre & ~same & observed
        last_asset[a] = cur_asset
        prev_outcome_date[a] = outcome_date
        prev_outcome[a] = outcome
        prev_release[a] = release
        prev_offence_date[a] = d
        latest = np.concatenate([recent_outcome[a][:, 1:], np.where(observed, outcome_date, -1)[:, None]], axis=1)
        recent_outcome[a] = latest
        # --- next offence: continue (risk-driven), then a gap; never while in custody ---
        total = k + 1
        cont = _sigmoid(CONTINUE + 1.2 * z[a] + STATE * np.minimum(total - 1, 6) - 0.6 * np.clip(age - 17, 0, None))
        go = (rng.random(m) < cont) & proven & ~(is_cust & (release < 0))
        mean_gap = 200.0 * np.exp(-0.35 * z[a] - 0.06 * np.minimum(total, 8))
        gap = np.round(rng.gamma(0.85, mean_gap / 0.85, m)).astype(np.int64) + 1
        same_day = (rng.random(m) < SAME_DAY) & ~is_cust  # a further offence the same day
        # the next occasion is timed from the outcome (from the release after custody), so that the
        # court's delay does not itself shorten the time a young person is followed up
        base = np.where(is_cust, release, outcome_date)
        nxt = np.where(same_day, d, base + gap)
        go &= (nxt <= end) & (nxt < nineteenth[a])
        date[a] = nxt
        active = a[go]
    out = {k: np.concatenate(v) for k, v in cols.items()}
    keep = out["person"] >= 0
    out = {k: v[keep] for k, v in out.items()}
    out["outcome_names"] = outcome_names
    out["type_names"] = np.array(type_names)
    return out


def _breaches(seed: int, rows: dict[str, np.ndarray], z: np.ndarray, end: int) -> dict[str, np.ndarray]:
    """Breach offences of orders: referral orders, community orders and custody licences."""
    rng = _rng(seed, 3)
    names = list(rows["outcome_names"])
    code = {o: i for i, o in enumerate(names)}
    tier = np.array([OUTCOME_TIER[o] for o in names])[rows["outcome"]]
    cust = tier == "custody"
    base = np.where(cust, rows["release"], rows["outcome_date"])
    p = np.where(rows["outcome"] == code["referral_order"], 0.10,
                 np.where(tier == "community", 0.18, np.where(cust, 0.14, 0.0)))
    p = np.clip(p * np.exp(0.35 * z[rows["person"]]), 0, 0.6)
    pick = rows["observed"] & (base >= 0) & (rng.random(p.size) < p)
    src = np.flatnonzero(pick)
    m = src.size
    d = base[src] + rng.integers(21, 241, m)
    out_d = d + 14 + np.round(rng.gamma(2.0, 12.0, m)).astype(np.int64)
    u = rng.random(m)
    parent = rows["outcome"][src]
    ptier = tier[src]
    community = np.where(d >= _days(dt.date(2009, 11, 30)), code["youth_rehabilitation_order"],
                         code["supervision_order"])
    outcome = np.where(ptier == "custody", code["detention_training_order"],
                       np.where(ptier == "community", np.where(u < 0.7, parent, code["detention_training_order"]),
                                np.where(u < 0.5, community, code["fine"])))
    is_cust = np.isin(outcome, [code[c] for c in CUSTODY_OUTCOMES])
    release = np.where(is_cust, out_d + rng.integers(30, 120, m), -1)
    release = np.where(release > end, -1, release)
    keep = out_d <= end
    src, d, out_d, outcome, release = src[keep], d[keep], out_d[keep], outcome[keep], release[keep]
    m = src.size
    return {
        "person": rows["person"][src], "offence_date": d, "outcome_date": out_d,
        "type": np.full(m, -1), "gravity": 2 + rng.binomial(1, 0.4, m), "outcome": outcome,
        "release": release, "asset": np.full(m, -1), "asset_date": np.full(m, -1),
        "issp": np.zeros(m, bool), "rj": np.zeros(m, bool), "ro": np.zeros(m, bool),
        "observed": np.ones(m, bool), "parent": src,
    }


def _issp_offers(seed: int, rows: dict[str, np.ndarray], index_date: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Which offences bring an ISSP offer, from what the evaluation sees at their index date.

    Offered once per young person, at their first community or custody outcome with an index date,
    provided they had no other index event in the ~100 days before its index date (so an ISSP start
    follows the index event it is measured from, not a later order for a reoffence or a pending offence). The chance rises with
    custody, previous proven offences (outcome before the index date), the latest Asset score before
    the index date (missing lowers it) and gravity, plus a little noise. Rows sorted by person.
    """
    rng = _rng(seed, 10)
    tier = np.array([TIER_ORDER.index(OUTCOME_TIER[o]) for o in names])[rows["outcome"]]
    person = rows["person"]
    n = person.size
    high = (tier >= 2) & (rows["type"] >= 0) & (index_date >= 0)
    first = np.r_[True, person[1:] != person[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    seen_high = np.cumsum(high) - np.r_[0, np.cumsum(high)[:-1]][start]
    cand = np.flatnonzero(high & (seen_high == 1))
    frame = pl.DataFrame({"person": person, "row": np.arange(n), "offence_date": rows["offence_date"],
                          "outcome_date": rows["outcome_date"], "index_date": index_date,
                          "asset": rows["asset"], "asset_date": rows["asset_date"]})
    c = pl.DataFrame({"person": person[cand], "crow": cand, "d": rows["offence_date"][cand],
                      "i": index_date[cand]})
    j = c.join(frame, on="person").filter(pl.col("row") != pl.col("crow"))
    stats = j.group_by("crow").agg(
        previous=(pl.col("outcome_date") < pl.col("i")).sum(),
        recent=((pl.col("index_date") >= pl.col("i") - 104) & (pl.col("index_date") < pl.col("i"))).any(),
    )
    own = frame.select(pl.col("row").alias("crow"), "asset", "asset_date")
    assets = (
        pl.concat([j.select("crow", "i", "asset", "asset_date"),
                   own.join(c.select("crow", "i"), on="crow").select("crow", "i", "asset", "asset_date")])
        .filter((pl.col("asset") >= 0) & (pl.col("asset_date") < pl.col("i")))
        .sort("crow", "asset_date").group_by("crow").agg(asset=pl.col("asset").last())
    )
    c = c.join(stats, on="crow", how="left").join(assets, on="crow", how="left").sort("crow")
    previous = c["previous"].fill_null(0).to_numpy()
    recent = c["recent"].fill_null(False).to_numpy()
    asset = c["asset"].fill_null(-1).to_numpy()
    gravity = rows["gravity"][cand]
    lin = (0.0 + 0.9 * (tier[cand] == 3) + 0.22 * np.minimum(previous, 10)
           + 0.06 * np.where(asset >= 0, asset - 25, 0) - 0.4 * (asset < 0) + 0.2 * (gravity - 4)
           + rng.normal(0, 0.3, cand.size))
    offer = ~recent & (rng.random(cand.size) < _sigmoid(lin))
    out = np.zeros(n, bool)
    out[cand[offer]] = True
    return out


# --------------------------------------------------------------------------------------------------
# Programme effects: offers resolved in time order, desistance removes offences
# --------------------------------------------------------------------------------------------------

def _resolve(events: dict[str, np.ndarray], person: np.ndarray, offence_date: np.ndarray,
             parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which programme offers happen and which offences each desistance removes.

    ``events``: ``person``, ``start``, ``bit``, ``trigger`` (offence row or -1), ``desist``. Offences
    must be sorted by (person, offence_date). An offer happens unless its trigger offence was removed by
    an earlier desistance; a happening offer with desistance removes the person's offences committed in
    ``(start, start + 365 days]``. Returns ``valid`` per event and ``removed_by`` per offence (OR of
    the programme bits that removed it); a breach follows its order.
    """
    removed_by = np.zeros(person.size, np.int64)
    if events["person"].size == 0:
        return np.zeros(0, bool), removed_by
    order = np.lexsort((events["start"], events["person"]))
    ev = {k: v[order] for k, v in events.items()}
    first = np.r_[True, ev["person"][1:] != ev["person"][:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(first.size), 0))
    rank = np.arange(first.size) - grp_start
    valid = np.zeros(first.size, bool)
    big = np.int64(1 << 20)
    key = person.astype(np.int64) * big + offence_date
    for r in range(int(rank.max()) + 1):
        sel = np.flatnonzero(rank == r)
        trig = ev["trigger"][sel]
        ok = (trig < 0) | (removed_by[np.maximum(trig, 0)] == 0)
        valid[sel] = ok
        act = sel[ok & ev["desist"][sel]]
        if act.size == 0:
            continue
        p = ev["person"][act].astype(np.int64)
        lo = np.searchsorted(key, p * big + ev["start"][act], side="right")
        hi = np.searchsorted(key, p * big + ev["start"][act] + EFFECT_DAYS, side="right")
        for bit in np.unique(ev["bit"][act]):
            b = ev["bit"][act] == bit
            diff = np.zeros(person.size + 1, np.int64)
            np.add.at(diff, lo[b], 1)
            np.add.at(diff, hi[b], -1)
            removed_by[np.cumsum(diff)[:-1] > 0] |= int(bit)
    has_parent = parent >= 0
    removed_by[has_parent] |= removed_by[parent[has_parent]]
    out = np.zeros(first.size, bool)
    out[order] = valid
    return out, removed_by


# --------------------------------------------------------------------------------------------------
# The extract
# --------------------------------------------------------------------------------------------------

def _ids(prefix: str, n: int, width: int) -> pl.Series:
    """``n`` identifiers: the prefix and a zero-padded number (``P0000001``)."""
    return pl.select(
        pl.format(f"{prefix}{{}}", pl.int_range(1, n + 1, eager=False).cast(pl.String).str.zfill(width))
    ).to_series()


def _date(days: np.ndarray) -> pl.Series:
    """Day numbers to a polars Date series; negative numbers are missing."""
    s = pl.Series(np.asarray(days, np.int64))
    return pl.select(pl.when(s >= 0).then(s).otherwise(None).cast(pl.Int32).cast(pl.Date)).to_series()


def _population(seed: int, yot: str, start: int, end: int, scale: float) -> pl.DataFrame:
    """Mid-year estimates by age 10-17 and sex, about 30,000 a year (times ``scale``), growing slowly."""
    rng = _rng(seed, 9)
    years = np.arange(start, end + 1)
    ages = np.arange(10, 18)
    sexes = np.array(["M", "F"])
    y, a, s = (g.ravel() for g in np.meshgrid(years, ages, np.arange(2), indexing="ij"))
    age_w = 1.0 + 0.012 * (a - 13.5) * np.cos((y - start) / 3.0)
    expected = POPULATION_10_17 * scale * 1.007 ** (y - start) * age_w / 8 * np.where(s == 0, 0.512, 0.488)
    count = np.round(expected * (1 + rng.normal(0, 0.004, y.size))).astype(np.int64)
    return pl.DataFrame({"yot": [yot] * y.size, "year": y.astype(np.int64), "age": a.astype(np.int64),
                         "sex": sexes[s], "count": count})


def _episodes(rng: np.random.Generator, start: np.ndarray, min_days: int, max_days: int, end: int,
              p_status: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """End dates (-1 when still open at the extract date) and status codes of programme episodes."""
    m = start.size
    e = start + rng.integers(min_days, max_days + 1, m)
    status = np.array(["completed", "breached", "withdrawn"])[_pick(rng, np.cumsum(p_status), m)]
    open_ = e > end
    return np.where(open_, -1, e), np.where(open_, "ongoing", status)


def _known_people(seed: int, n_people: int, start_year: int, end_year: int,
                  risk: float = 0.0) -> tuple[dict, dict, np.ndarray, np.ndarray]:
    """Candidate people and their careers, keeping the first ``n_people`` the YOT knows of (an offence
    proven within the extract, or a referral within it). Returns people arrays, offence rows (person
    renumbered 0..n-1), outcome names and offence type names."""
    window_start = _days(dt.date(start_year, 1, 1))
    end = _days(dt.date(end_year, 12, 31))
    for factor in (1.6, 4.0, 10.0, 25.0):  # more candidates only for short spans
        n_cand = int(n_people * factor) + 50
        ppl = _people(seed, n_cand, start_year, end_year, risk)
        car = _careers(seed, ppl, window_start, end)
        seen = np.zeros(n_cand, bool)
        seen[car["person"][car["observed"]]] = True
        seen |= ppl["referred"] & (ppl["referral_date"] >= window_start) & (ppl["referral_date"] <= end)
        if seen.sum() >= n_people:
            break
    chosen = np.flatnonzero(seen)[:n_people]
    new_index = np.full(n_cand, -1, np.int64)
    new_index[chosen] = np.arange(chosen.size)
    ppl = {k: v[chosen] for k, v in ppl.items()}
    keep = car["observed"] & (new_index[car["person"]] >= 0)
    names, type_names = car.pop("outcome_names"), car.pop("type_names")
    car = {k: v[keep] for k, v in car.items()}
    car["person"] = new_index[car["person"]]
    car["parent"] = np.full(car["person"].size, -1, np.int64)
    return ppl, car, names, type_names


def _with_breaches(seed: int, car: dict[str, np.ndarray], ppl: dict[str, np.ndarray], names: np.ndarray,
                   end: int) -> dict[str, np.ndarray]:
    """Career offences and breaches together, sorted by person, offence date and outcome date."""
    br = _breaches(seed, {**car, "outcome_names": names}, ppl["z"], end)
    rows = {k: np.concatenate([car[k], br[k]]) for k in car}
    order = np.lexsort((rows["outcome_date"], rows["offence_date"], rows["person"]))
    where = np.empty(order.size, np.int64)
    where[order] = np.arange(order.size)
    rows = {k: v[order] for k, v in rows.items()}
    rows["parent"] = np.where(rows["parent"] >= 0, where[np.maximum(rows["parent"], 0)], -1)
    return rows


def _referrals(seed: int, ppl: dict[str, np.ndarray], rows: dict[str, np.ndarray], end: int) -> dict[str, np.ndarray]:
    """YISP referrals: the children referred at risk, and a few (3%) young people referred after a
    first proven offence. The decision rises with risk score (missing lowers it) and falls with age;
    ``no_capacity`` more before 2005. Arrays by referral: person, date, risk, missing, decision,
    accepted, eligible_effect (accepted children referred before any offence)."""
    rng = _rng(seed, 4)
    n = ppl["z"].size
    first_outcome = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_outcome, rows["person"], rows["outcome_date"])
    late = (~ppl["referred"]) & (first_outcome < end - 90) & (
        _age_years(ppl["dob"], np.minimum(first_outcome, end)) <= 15) & (rng.random(n) < 0.03)
    ref_date = np.where(ppl["referred"], ppl["referral_date"],
                        np.where(late, np.minimum(first_outcome + rng.integers(30, 300, n), end), -1))
    rp = np.flatnonzero(ref_date >= 0)
    rd = ref_date[rp]
    risk = ppl["risk_score"][rp]
    missing = ppl["risk_missing"][rp]
    ref_age = (rd - ppl["dob"][rp]) / YEAR_DAYS
    ref_year = rd.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    u = rng.random(rp.size)
    no_cap = u < 0.08 + 0.10 * (ref_year < 2005)
    lin = -0.2 + 0.11 * np.where(missing, 0, risk - 17) - 0.3 * missing - 0.15 * (ref_age - 11) + rng.normal(
        0, 0.2, rp.size)
    accepted = ~no_cap & (rng.random(rp.size) < _sigmoid(lin))
    return {
        "person": rp, "date": rd, "risk": risk, "missing": missing, "accepted": accepted,
        "decision": np.where(no_cap, "no_capacity", np.where(accepted, "accepted", "declined")),
        "effect": accepted & ppl["referred"][rp],
    }


def _programme_events(seed: int, rows: dict[str, np.ndarray], index_date: np.ndarray,
                      refs: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The four effect-bearing offers (ISSP, restorative justice, first referral order, YISP) with
    their start dates and balanced desistance flags, resolved in time order: events, ``valid`` per
    event and ``removed_by`` per offence row."""
    rng = _rng(seed, 5)
    issp_rows = np.flatnonzero(rows["issp"])
    rj_rows = np.flatnonzero(rows["rj"])
    ro_rows = np.flatnonzero(rows["ro"])
    yp = refs["person"][refs["effect"]]
    ev = {
        "person": np.concatenate([rows["person"][issp_rows], rows["person"][rj_rows], rows["person"][ro_rows], yp]),
        "start": np.concatenate([
            index_date[issp_rows] + rng.integers(0, 15, issp_rows.size),
            index_date[rj_rows] + rng.integers(7, 81, rj_rows.size),
            rows["outcome_date"][ro_rows],
            refs["date"][refs["effect"]],
        ]),
        "bit": np.concatenate([np.full(issp_rows.size, PROGRAMME_BIT["ISSP"]),
                               np.full(rj_rows.size, PROGRAMME_BIT["restorative_justice"]),
                               np.full(ro_rows.size, PROGRAMME_BIT["referral_order"]),
                               np.full(yp.size, PROGRAMME_BIT["YISP"])]),
        "trigger": np.concatenate([issp_rows, rj_rows, ro_rows, np.full(yp.size, -1)]),
    }
    ev["desist"] = np.zeros(ev["bit"].size, bool)
    for prog, bit in PROGRAMME_BIT.items():
        sel = np.flatnonzero(ev["bit"] == bit)
        ev["desist"][sel] = _balanced(rng, ev["start"][sel], ev["person"][sel], DESIST[prog])
    valid, removed_by = _resolve(ev, rows["person"], rows["offence_date"], rows["parent"])
    return ev, valid, removed_by


def _interventions(seed: int, rows: dict[str, np.ndarray], index_date: np.ndarray, actual: np.ndarray,
                   ev: dict[str, np.ndarray], valid: np.ndarray, refs: dict[str, np.ndarray],
                   ppl: dict[str, np.ndarray], names: np.ndarray, type_names: np.ndarray,
                   start_year: int, end_year: int, scale: float) -> pl.DataFrame:
    """Programme episodes (person index ``p``, programme, start ``s``, end ``e`` (-1 open), status):
    the effect-bearing offers that happened, YISP for accepted referrals, programmes without effect
    (ETE, fire setters, PPO prevent and deter, other), and substance misuse with a calibrated number of
    distinct young people starting each financial year."""
    rng = _rng(seed, 7)
    end = _days(dt.date(end_year, 12, 31))
    parts: list[pl.DataFrame] = []

    def add(persons: np.ndarray, programme: str, starts: np.ndarray, lo: int, hi: int,
            p_status: tuple[float, float, float]) -> None:
        e, st = _episodes(rng, starts, lo, hi, end, p_status)
        ok = starts <= end
        parts.append(pl.DataFrame({"p": persons[ok], "programme": pl.Series([programme] * int(ok.sum()), dtype=pl.String),
                                   "s": starts[ok], "e": e[ok], "status": pl.Series(st[ok], dtype=pl.String)}))

    for prog, lo, hi, ps in (("ISSP", 150, 200, (0.6, 0.28, 0.12)),
                             ("restorative_justice", 20, 100, (0.8, 0.02, 0.18))):
        sel = valid & (ev["bit"] == PROGRAMME_BIT[prog])
        add(ev["person"][sel], prog, ev["start"][sel], lo, hi, ps)
    acc = refs["accepted"]
    add(refs["person"][acc], "YISP", refs["date"][acc] + rng.integers(7, 43, acc.sum()), 120, 365, (0.7, 0.0, 0.3))

    act_rows = np.flatnonzero(actual & (rows["type"] >= 0) & (index_date >= 0))
    ap = rows["person"][act_rows]
    a_index = index_date[act_rows]
    a_tier = np.array([TIER_ORDER.index(OUTCOME_TIER[o]) for o in names])[rows["outcome"][act_rows]]
    first_of_person = np.r_[True, ap[1:] != ap[:-1]]
    ete = (a_tier >= 1) & (rng.random(act_rows.size) < 0.12)
    add(ap[ete], "ETE", a_index[ete] + rng.integers(0, 90, ete.sum()), 60, 360, (0.55, 0.05, 0.4))
    fire = (rows["type"][act_rows] == list(type_names).index("criminal_damage")) & (
        rng.random(act_rows.size) < 0.04)
    add(ap[fire], "fire_setters", a_index[fire] + rng.integers(0, 60, fire.sum()), 30, 90, (0.85, 0.0, 0.15))
    n_before = np.arange(act_rows.size) - np.maximum.accumulate(
        np.where(first_of_person, np.arange(act_rows.size), 0))
    ppo = (n_before == 7) & (rng.random(act_rows.size) < 0.5)
    add(ap[ppo], "PPO_prevent_deter", a_index[ppo] + rng.integers(0, 60, ppo.sum()), 180, 540, (0.5, 0.2, 0.3))
    oth = rng.random(act_rows.size) < 0.015
    add(ap[oth], "other", a_index[oth] + rng.integers(0, 90, oth.sum()), 30, 180, (0.7, 0.05, 0.25))

    # substance misuse: weighted by risk, age and drugs offences; a quota of distinct people per year
    rp, rd = refs["person"], refs["date"]
    cand_person = np.concatenate([ap, rp])
    cand_start = np.concatenate([a_index + rng.integers(0, 76, act_rows.size), rd + rng.integers(30, 400, rp.size)])
    drugs = np.concatenate([rows["type"][act_rows] == list(type_names).index("drugs"), np.zeros(rp.size, bool)])
    cand_age = (cand_start - ppl["dob"][cand_person]) / YEAR_DAYS
    weight = np.exp(0.6 * ppl["z"][cand_person]) * np.where(drugs, 4.0, 1.0) * np.clip(cand_age - 10.5, 0.05, 4)
    key = rng.exponential(1.0, cand_person.size) / weight
    sub = (
        pl.DataFrame({"person": cand_person, "start": cand_start, "fy": _financial_year_of(cand_start), "key": key})
        .filter((pl.col("start") <= end) & (pl.col("fy") >= start_year))
        .sort("key").unique(subset=["person", "fy"], keep="first", maintain_order=True)
        .with_columns(rank=pl.col("key").rank("ordinal").over("fy") - 1)
        .with_columns(quota=pl.col("fy").replace_strict(
            {y: _substance_quota(y, scale) for y in range(start_year - 1, end_year + 1)}, return_dtype=pl.Int64))
        .filter(pl.col("rank") < pl.col("quota"))
        .sort("person", "start")
    )
    add(sub["person"].to_numpy(), "substance_misuse", sub["start"].to_numpy(), 60, 270, (0.72, 0.06, 0.22))
    return pl.concat(parts).sort("p", "s", "programme")


def _financial_year_of(days: np.ndarray) -> np.ndarray:
    """The financial year (by its April start year) of each day number."""
    d = np.asarray(days).astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return np.where(month >= 4, year, year - 1)


def _substance_reviews(seed: int, iv: pl.DataFrame, start_year: int, end_year: int) -> pl.DataFrame:
    """End reviews (person index ``p``, date ``d``, use_change) of 90% of closed substance-misuse
    episodes; in each financial year exactly the calibrated share report reduced or discontinued use."""
    rng = _rng(seed, 8)
    subs = iv.filter((pl.col("programme") == "substance_misuse") & (pl.col("e") >= 0))
    subs = subs.filter(pl.Series(rng.random(subs.height) < 0.9))
    r_date = subs["e"].to_numpy()
    rev = pl.DataFrame({"p": subs["p"], "d": r_date, "fy": _financial_year_of(r_date),
                        "u": rng.random(subs.height), "v": rng.random(subs.height)})
    return (
        rev.with_columns(
            rank=pl.col("u").rank("ordinal").over("fy") - 1,
            n=pl.len().over("fy"),
            share=pl.col("fy").replace_strict(
                {y: _review_share(y) for y in range(start_year - 1, end_year + 1)}, return_dtype=pl.Float64),
        )
        .with_columns(good=pl.col("rank") < (pl.col("share") * pl.col("n")).round())
        .with_columns(
            use_change=pl.when(pl.col("good")).then(
                pl.when(pl.col("v") < 0.35).then(pl.lit("discontinued")).otherwise(pl.lit("reduced"))
            ).otherwise(pl.when(pl.col("v") < 0.75).then(pl.lit("unchanged")).otherwise(pl.lit("increased")))
        )
        .sort("p", "d")
    )


def generate(
    people: int | None = None,
    seed: int = 2005,
    start_year: int = 2000,
    end_year: int = 2010,
    yot: str = "Barnet",
    risk: float = 0.0,
) -> tuple[dict[str, pl.DataFrame], dict[str, Any]]:
    """The synthetic extract: every contract table (contract columns and types) and the truth dict.

    ``people`` is the number of young people known to the YOT (default a Barnet-sized borough,
    ``DEFAULT_PEOPLE``); every count scales with it, the population too. The same arguments give the
    same tables, byte for byte once written. ``risk`` shifts every young person's latent risk (0 in
    the default extract; :func:`generate_multi` gives each YOT its own).
    """
    if end_year < start_year:
        raise ValueError("end_year is before start_year")
    n_people = DEFAULT_PEOPLE if people is None else int(people)
    scale = n_people / DEFAULT_PEOPLE
    end = _days(dt.date(end_year, 12, 31))

    ppl, car, names, type_names = _known_people(seed, n_people, start_year, end_year, risk)
    n = ppl["z"].size
    rows = _with_breaches(seed, car, ppl, names, end)
    n_rows = rows["person"].size
    is_cust = np.isin(rows["outcome"], [list(names).index(c) for c in CUSTODY_OUTCOMES])
    index_date = np.where(is_cust, rows["release"], rows["outcome_date"])
    rows["issp"] = _issp_offers(seed, rows, index_date, names)
    refs = _referrals(seed, ppl, rows, end)
    ev, valid, removed_by = _programme_events(seed, rows, index_date, refs)
    actual = removed_by == 0

    # realistic mess: some offence dates recorded as the month end
    rng = _rng(seed, 6)
    me = _month_end(rows["offence_date"])
    mess = (rng.random(n_rows) < 0.03) & (me <= rows["outcome_date"])
    rows["offence_date"] = np.where(mess, me, rows["offence_date"])

    person_id = _ids("P", n, 7)
    people_df = pl.DataFrame({
        "person_id": person_id,
        "date_of_birth": _date(ppl["dob"]),
        "sex": ppl["sex"],
        "ethnicity": ppl["ethnicity"],
        "yot": [yot] * n,
    })
    # offences of every world, with the programme bits that removed them; the extract keeps the actual
    offence_id = np.full(n_rows, -1, np.int64)
    offence_id[actual] = np.arange(actual.sum())
    all_offences = pl.DataFrame({
        "person_id": person_id.gather(rows["person"]),
        "offence_date": _date(rows["offence_date"]),
        "outcome_date": _date(rows["outcome_date"]),
        "offence_type": np.append(type_names, "breach")[rows["type"]],
        "gravity": rows["gravity"].astype(np.int64),
        "outcome": names[rows["outcome"]],
        "release_date": _date(rows["release"]),
        "removed_by": removed_by,
    }).with_columns(
        offence_id=pl.when(pl.Series(actual)).then(
            pl.format("O{}", (pl.Series(offence_id) + 1).cast(pl.String).str.zfill(9))
        ).otherwise(pl.format("X{}", pl.int_range(1, n_rows + 1).cast(pl.String).str.zfill(9)))
    )
    offences_df = all_offences.filter(pl.Series(actual)).select(TABLES["offences"].column_names)

    iv = _interventions(seed, rows, index_date, actual, ev, valid, refs, ppl, names, type_names,
                        start_year, end_year, scale)
    interventions_df = pl.DataFrame({
        "intervention_id": _ids("I", iv.height, 8),
        "person_id": person_id.gather(iv["p"].to_numpy()),
        "programme": iv["programme"],
        "start_date": _date(iv["s"].to_numpy()),
        "end_date": _date(iv["e"].to_numpy()),
        "status": iv["status"],
    })
    rev = _substance_reviews(seed, iv, start_year, end_year)
    substance_df = pl.DataFrame({
        "person_id": person_id.gather(rev["p"].to_numpy()),
        "review_date": _date(rev["d"].to_numpy()),
        "use_change": rev["use_change"],
    })
    ref_order = np.lexsort((refs["date"], refs["person"]))
    referrals_df = pl.DataFrame({
        "referral_id": _ids("R", ref_order.size, 7),
        "person_id": person_id.gather(refs["person"][ref_order]),
        "programme": ["YISP"] * ref_order.size,
        "referral_date": _date(refs["date"][ref_order]),
        "risk_score": pl.Series(np.where(refs["missing"], -1, refs["risk"])[ref_order]),
        "decision": refs["decision"][ref_order],
    }).with_columns(risk_score=pl.when(pl.col("risk_score") >= 0).then(pl.col("risk_score")).otherwise(None))
    asr = np.flatnonzero(actual & (rows["asset"] >= 0))
    assessments_df = pl.DataFrame({
        "person_id": person_id.gather(rows["person"][asr]),
        "assessment_date": _date(rows["asset_date"][asr]),
        "asset_score": rows["asset"][asr].astype(np.int64),
    })
    tables = {
        "people": people_df, "offences": offences_df, "interventions": interventions_df,
        "referrals": referrals_df, "assessments": assessments_df, "substance_reviews": substance_df,
        "population": _population(seed, yot, start_year, end_year, scale),
    }
    tables = {name: _conform(name, tables[name]) for name in SYNTH_TABLES}
    truth = _truth(tables, all_offences, seed=seed, people=n_people, start_year=start_year,
                   end_year=end_year, yot=yot)
    return tables, truth


def _conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select([pl.col(c).cast(t) for c, t in TABLES[name].schema.items()])


def _substance_quota(fy: int, scale: float) -> int:
    """Young people starting substance-misuse work in the financial year from April ``fy``: 280 in
    2004-05 (the Barnet baseline), fewer before, growing by about 9% a year after."""
    base = 280 * (0.93 ** (2004 - fy) if fy < 2004 else 1.09 ** (fy - 2004))
    return int(round(base * scale))


def _review_share(fy: int) -> float:
    """Share of end reviews reporting reduced or discontinued use in the financial year from ``fy``."""
    return float(min(0.9, 0.72 + 0.025 * (fy - 2004)))


# --------------------------------------------------------------------------------------------------
# Truth: the planted effects measured exactly, and the calibration achieved
# --------------------------------------------------------------------------------------------------

def _periods(start_year: int, end_year: int, last_day: dt.date, months: int) -> dict[str, tuple[dt.date, dt.date]]:
    """Calendar and financial years whose follow-up (``months`` after the period end) is complete."""
    out: dict[str, tuple[dt.date, dt.date]] = {}
    for y in range(start_year, end_year + 1):
        for s, e in (calendar_year(y), financial_year(y)):
            if s.year >= start_year and add_months(e, months) <= last_day:
                out[f"{s.isoformat()}/{e.isoformat()}"] = (s, e)
    return out


def _period_members(people: pl.DataFrame, offences: pl.DataFrame,
                    periods: dict[str, tuple[dt.date, dt.date]]) -> pl.DataFrame:
    """Cohort members of every period at once (METHODS.md "Index event and cohort"), with their
    one-year reoffending (F=12, W=6): columns period, person_id, offence_id, index_date, outcome,
    reoffended. METHODS.md's rules written again here, for many periods in one query (each index
    date falls in at most one calendar and one financial year), on purpose apart from :mod:`yot.cohort`:
    the truth that checks the evaluation must not share the code it checks (a mistake in the engine
    would otherwise be planted in the truth too). Only the calibration report uses the engine."""
    key = {s.year * 10 + s.month: label for label, (s, _) in periods.items()}  # month 1 or 4
    year = pl.col("index_date").dt.year().cast(pl.Int64)
    fy = year - (pl.col("index_date").dt.month() < 4).cast(pl.Int64)
    members = (
        offences.lazy()
        .with_columns(index_date=pl.when(pl.col("outcome").is_in(list(CUSTODY_OUTCOMES)))
                      .then(pl.col("release_date")).otherwise(pl.col("outcome_date")))
        .filter(pl.col("index_date").is_not_null())
        .join(people.lazy().select("person_id", "date_of_birth"), on="person_id")
        .filter(age_at(pl.col("date_of_birth"), pl.col("index_date")).is_between(10, 17))
        .with_columns(period=pl.concat_list(year * 10 + 1, fy * 10 + 4))
        .explode("period")
        .with_columns(pl.col("period").replace_strict(key, default=None, return_dtype=pl.String))
        .filter(pl.col("period").is_not_null())
        .sort(["period", "person_id", "index_date", "gravity", "offence_id"],
              descending=[False, False, False, True, False])
        .unique(subset=["period", "person_id"], keep="first", maintain_order=True)
        .select("period", "person_id", "offence_id", "index_date", "outcome")
    )
    re = (
        offences.lazy().filter(pl.col("offence_type") != "breach")
        .select("person_id", pl.col("offence_id").alias("other"), "offence_date", "outcome_date")
        .join(members.select("period", "person_id", "offence_id", "index_date"), on="person_id")
        .filter(
            (pl.col("other") != pl.col("offence_id"))
            & (pl.col("offence_date") > pl.col("index_date"))
            & (pl.col("offence_date") <= add_months_expr(pl.col("index_date"), 12))
            & (pl.col("outcome_date") <= add_months_expr(pl.col("index_date"), 18))
        )
        .select("period", "person_id").unique()
        .with_columns(reoffended=pl.lit(True))
    )
    return (
        members.join(re, on=["period", "person_id"], how="left")
        .with_columns(pl.col("reoffended").fill_null(False))
        .collect()
    )


def _reoffending_truth(tables: dict[str, pl.DataFrame], all_offences: pl.DataFrame, programme: str,
                       periods: dict[str, tuple[dt.date, dt.date]]) -> dict[str, Any]:
    """True effect on the treated of ``programme`` per period: the treated's actual one-year
    reoffending minus the same people's reoffending in the world without this programme's effect."""
    bit = PROGRAMME_BIT[programme]
    interventions = tables["interventions"]
    if programme == "referral_order":
        persons = tables["offences"].filter(pl.col("outcome") == "referral_order")["person_id"].unique()
    else:
        persons = interventions.filter(pl.col("programme") == programme)["person_id"].unique()
    people = tables["people"].filter(pl.col("person_id").is_in(persons.implode()))
    mine = all_offences.filter(pl.col("person_id").is_in(persons.implode()))
    members = _period_members(people, mine.filter(pl.col("removed_by") == 0), periods)
    if programme == "referral_order":
        treated = members.filter(pl.col("outcome") == "referral_order")
    else:
        starts = interventions.filter(pl.col("programme") == programme).select("person_id", "start_date")
        treated = members.join(starts, on="person_id").filter(
            (pl.col("start_date") >= pl.col("index_date"))
            & (pl.col("start_date") <= pl.col("index_date") + pl.duration(days=90))
        ).unique(["period", "person_id"], maintain_order=True)
    # only the treated whose offences this programme removed can differ in the other world
    touched = mine.filter((pl.col("removed_by") & bit) > 0)["person_id"].unique()
    ids = treated.filter(pl.col("person_id").is_in(touched.implode()))["person_id"].unique().implode()
    cf = _period_members(
        people.filter(pl.col("person_id").is_in(ids)),
        mine.filter(pl.col("person_id").is_in(ids) & ((pl.col("removed_by") & ~bit) == 0)),
        periods,
    ).select("period", "person_id", pl.col("offence_id").alias("cf_offence"), pl.col("reoffended").alias("cf"))
    both = treated.select("period", "person_id", "offence_id", "reoffended").join(
        cf, on=["period", "person_id"], how="left"
    ).with_columns(
        cf_offence=pl.when(pl.col("person_id").is_in(ids)).then(pl.col("cf_offence")).otherwise(pl.col("offence_id")),
        cf=pl.when(pl.col("person_id").is_in(ids)).then(pl.col("cf")).otherwise(pl.col("reoffended")),
    )
    summary = both.group_by("period").agg(
        n=pl.len(),
        rate=pl.col("reoffended").mean(),
        cf_rate=pl.col("cf").fill_null(False).mean(),
        mismatches=(pl.col("offence_id") != pl.col("cf_offence")).fill_null(True).sum(),
    )
    found = {row["period"]: row for row in summary.iter_rows(named=True)}
    out: dict[str, Any] = {}
    for label, (s, e) in periods.items():
        row = found.get(label)
        n = row["n"] if row else 0
        out[label] = {
            "start": s.isoformat(), "end": e.isoformat(), "n_treated": n,
            "treated_rate": float(row["rate"]) if n else None,
            "counterfactual_rate": float(row["cf_rate"]) if n else None,
            "effect": float(row["rate"] - row["cf_rate"]) if n else None,
            "index_mismatches": int(row["mismatches"]) if n else 0,
        }
    return out


def _fte_within(referrals: pl.DataFrame, offences: pl.DataFrame, people: pl.DataFrame) -> pl.Series:
    """For each referral: the person's first proven offence (by outcome_date) was committed within 12
    months after the referral date, proven within 18, at age 10-17 on its outcome date."""
    first = (
        offences.sort("person_id", "outcome_date", "offence_date")
        .unique("person_id", keep="first", maintain_order=True)
        .join(people.select("person_id", "date_of_birth"), on="person_id")
        .select("person_id", "offence_date", "outcome_date", "date_of_birth")
    )
    r = referrals.join(first, on="person_id", how="left").with_columns(
        fte=(pl.col("offence_date") > pl.col("referral_date"))
        & (pl.col("offence_date") <= add_months_expr(pl.col("referral_date"), 12))
        & (pl.col("outcome_date") <= add_months_expr(pl.col("referral_date"), 18))
        & age_at(pl.col("date_of_birth"), pl.col("outcome_date")).is_between(10, 17)
    )
    return r["fte"].fill_null(False)


def _yisp_truth(tables: dict[str, pl.DataFrame], all_offences: pl.DataFrame, start_year: int,
                end_year: int, last_day: dt.date) -> dict[str, Any]:
    refs = tables["referrals"]
    off = tables["offences"]
    earlier = refs.join(off.select("person_id", "outcome_date"), on="person_id").filter(
        pl.col("outcome_date") < pl.col("referral_date")
    )["referral_id"].unique()
    eligible = refs.filter(~pl.col("referral_id").is_in(earlier.implode()))
    treated = eligible.filter(pl.col("decision") == "accepted")
    cf_off = all_offences.filter((pl.col("removed_by") & ~PROGRAMME_BIT["YISP"]) == 0)
    treated = treated.with_columns(
        fte=_fte_within(treated, off, tables["people"]),
        cf=_fte_within(treated, cf_off, tables["people"]),
    )
    periods = {"all": (dt.date(start_year, 1, 1), dt.date(end_year, 12, 31))}
    periods.update(_periods(start_year, end_year, last_day, 18))
    out: dict[str, Any] = {}
    for label, (s, e) in periods.items():
        t = treated.filter(pl.col("referral_date").is_between(s, e)
                           & (pl.col("referral_date") <= pl.lit(add_months(last_day, -18))))
        n = t.height
        out[label] = {
            "start": s.isoformat(), "end": e.isoformat(), "n_treated": n,
            "treated_rate": float(t["fte"].mean()) if n else None,
            "counterfactual_rate": float(t["cf"].mean()) if n else None,
            "effect": float(t["fte"].mean() - t["cf"].mean()) if n else None,
        }
    return out


PLANTED = {
    "ISSP": "offered once, at a young person's first community or custody outcome when they had no other "
            "index event in the 104 days before, with a chance rising with custody, previous proven "
            "offences, the latest Asset score before the index date and gravity; starts 0-14 days after the "
            "index date; with probability {p} the young person commits no offence in the 12 months "
            "after the start",
    "restorative_justice": "offered once, at the first proven offence, mostly pre-court and first-tier, "
                           "more for offences with victims and younger children; starts 7-80 days after the "
                           "index date; with probability {p} no offence in the 12 months after the start",
    "referral_order": "the first referral order (first court appearance, decided by gravity and the "
                      "visible record); with probability {p} no offence in the 12 months after the outcome",
    "YISP": "accepted referrals of children with no proven offence (acceptance rises with risk score, "
            "falls with age; no_capacity more before 2005); with probability {p} no offence in the 12 "
            "months after the referral",
}


def _truth(tables: dict[str, pl.DataFrame], all_offences: pl.DataFrame, **gen: Any) -> dict[str, Any]:
    start_year, end_year = gen["start_year"], gen["end_year"]
    # the extract date: the latest outcome_date (METHODS.md), the span's end when there is none
    last_day = tables["offences"]["outcome_date"].max() or dt.date(end_year, 12, 31)
    periods = _periods(start_year, end_year, last_day, 18)
    programmes: dict[str, Any] = {}
    for prog in ("ISSP", "restorative_justice", "referral_order"):
        programmes[prog] = {
            "outcome": "reoffending",
            "measure": "one-year proven binary reoffending (F=12, W=6 months), treated actual minus "
                       "treated counterfactual, cohort members treated as METHODS.md defines",
            "planted": PLANTED[prog].format(p=DESIST[prog]),
            "desistance_probability": DESIST[prog],
            "periods": _reoffending_truth(tables, all_offences, prog, periods),
        }
    programmes["YISP"] = {
        "outcome": "first_time_entrant",
        "measure": "first-time entry with offence_date within 12 months after the referral and "
                   "outcome_date within 18 months, accepted referrals of children with no earlier proven "
                   "offence, actual minus counterfactual; periods bound the referral date",
        "planted": PLANTED["YISP"].format(p=DESIST["YISP"]),
        "desistance_probability": DESIST["YISP"],
        "periods": _yisp_truth(tables, all_offences, start_year, end_year, last_day),
    }
    for prog in ("substance_misuse", "ETE", "fire_setters", "PPO_prevent_deter", "other"):
        programmes[prog] = {"outcome": "reoffending", "planted": "no effect", "effect": 0.0}

    calibration: dict[str, Any] = {}
    extract = make_extract(people=tables["people"], offences=tables["offences"])
    if start_year <= 2003 <= end_year:
        m = reoffending(extract, dt.date(2003, 1, 1), dt.date(2003, 12, 31))
        calibration["reoffending_2003"] = {
            "cohort_size": m.height, "reoffenders": int(m["reoffended"].sum()),
            "binary_rate": float(m["reoffended"].mean()) if m.height else None, "target": 0.282,
        }
    s, e = financial_year(2004)
    iv = tables["interventions"]
    if not (start_year <= 2004 and end_year >= 2005):
        return _truth_dict(gen, last_day, tables, calibration, programmes)
    calibration["substance_starts_2004_05"] = {
        "young_people": iv.filter((pl.col("programme") == "substance_misuse")
                                  & pl.col("start_date").is_between(s, e))["person_id"].n_unique(),
        "target": round(280 * gen["people"] / DEFAULT_PEOPLE),
    }
    rv = tables["substance_reviews"].filter(pl.col("review_date").is_between(s, e))
    calibration["substance_reviews_2004_05"] = {
        "reviews": rv.height,
        "reduced_or_discontinued": float(rv["use_change"].is_in(["reduced", "discontinued"]).mean())
        if rv.height else None,
        "target": 0.72,
    }
    return _truth_dict(gen, last_day, tables, calibration, programmes)


def _truth_dict(gen: dict[str, Any], last_day: dt.date | None, tables: dict[str, pl.DataFrame],
                calibration: dict[str, Any], programmes: dict[str, Any]) -> dict[str, Any]:
    return {
        "generator": {"module": "yot.synth", **gen},
        "extract_date": last_day.isoformat() if last_day else None,
        "rows": {name: t.height for name, t in tables.items()},
        "calibration": calibration,
        "programmes": programmes,
    }


def write(tables: dict[str, pl.DataFrame], truth: dict[str, Any], out: Path, format: str = "parquet") -> list[Path]:
    """Write ``<table>.parquet`` (or ``.csv``) for every table and ``truth.json`` into ``out``."""
    if format not in ("parquet", "csv"):
        raise ValueError(f"format must be parquet or csv, not {format!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in (n for n in TABLE_ORDER if n in tables):
        path = out / f"{name}.{format}"
        other = out / f"{name}.{'csv' if format == 'parquet' else 'parquet'}"
        if other.exists():
            other.unlink()
        if format == "parquet":
            tables[name].write_parquet(path, compression="zstd", statistics=True)
        else:
            tables[name].write_csv(path, date_format="%Y-%m-%d")
        written.append(path)
    path = out / "truth.json"
    path.write_text(json.dumps(truth, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    written.append(path)
    marker = out / SYNTHETIC_MARKER
    marker.write_text("Synthetic data made by yot synth for demonstration and tests: not any YOT's figures.\n",
                      encoding="utf-8")
    written.append(marker)
    return written


# --------------------------------------------------------------------------------------------------
# Several YOTs: a multi-YOT extract and the published comparator figures (``yot synth --yots N``)
# --------------------------------------------------------------------------------------------------

YOT_AREAS: tuple[tuple[str, str, str, int, float], ...] = (
    # name, region, family (statistical neighbours), young people known, shift of latent risk
    ("Barnet", "London", "Outer London boroughs", 5_000, 0.0),
    ("Enfield", "London", "Outer London boroughs", 5_600, 0.15),
    ("Kent", "South East", "Shire counties", 12_000, -0.10),
    ("Luton", "East of England", "Towns and small cities", 3_000, 0.30),
    ("Harrow", "London", "Outer London boroughs", 3_200, -0.20),
    ("Hertfordshire", "East of England", "Shire counties", 9_000, -0.25),
    ("Reading", "South East", "Towns and small cities", 2_400, 0.10),
    ("Ealing", "London", "Outer London boroughs", 5_200, 0.05),
    ("Essex", "East of England", "Shire counties", 11_000, 0.0),
    ("Medway", "South East", "Towns and small cities", 3_600, 0.35),
    ("Croydon", "London", "Outer London boroughs", 6_400, 0.25),
    ("Surrey", "South East", "Shire counties", 7_500, -0.40),
    ("Bedford", "East of England", "Towns and small cities", 2_100, -0.05),
    ("Hounslow", "London", "Outer London boroughs", 3_900, 0.10),
    ("Peterborough", "East of England", "Towns and small cities", 2_700, 0.45),
    ("Bromley", "London", "Outer London boroughs", 4_300, -0.30),
)
"""The YOTs a multi-YOT extract draws from, in order (``--yots N`` takes the first N, the named YOT
first): realistic different sizes, three regions, three families of statistical neighbours, and a
shift of the latent risk so their reoffending rates differ as real YOTs' do. Synthetic figures."""

_ID_COLUMNS = {"people": ("person_id",), "offences": ("offence_id", "person_id"),
               "interventions": ("intervention_id", "person_id"), "referrals": ("referral_id", "person_id"),
               "assessments": ("person_id",), "substance_reviews": ("person_id",)}


def yot_areas(yots: int, own: str = "Barnet") -> list[tuple[str, str, str, int, float]]:
    """The ``yots`` areas of a multi-YOT extract: ``own`` first (with Barnet's place, size and family
    when it is not in the list), then the list in order."""
    if not 1 <= yots <= len(YOT_AREAS):
        raise ValueError(f"a multi-YOT extract has 1 to {len(YOT_AREAS)} YOTs, not {yots}")
    known = {a[0]: a for a in YOT_AREAS}
    first = known.get(own, (own, *YOT_AREAS[0][1:]))
    rest = [a for a in YOT_AREAS if a[0] not in (own, "Barnet" if own not in known else own)]
    return [first, *rest][:yots]


def comparator_table(tables: dict[str, pl.DataFrame], areas: list[tuple[str, str, str, int, float]],
                     start_year: int, end_year: int) -> pl.DataFrame:
    """Published-style aggregates (contract table ``comparators``) of every YOT, family, region and
    England (here: all the YOTs of the extract), for each calendar year and each quarter whose cohort is
    complete at the extract date, counted with the suite's own rules (F = 12, W = 6 months)."""
    from yot.cohort import cohort_members, is_complete
    from yot.dates import quarter_bounds

    extract = make_extract(people=tables["people"], offences=tables["offences"])
    last_day = tables["offences"]["outcome_date"].max()
    periods = []
    for year in range(start_year, end_year + 1):
        for start, end in [calendar_year(year), *(quarter_bounds(year, q) for q in (1, 2, 3, 4))]:
            if is_complete(end, last_day):
                periods.append((f"{start}/{end}", start, end))
    members = cohort_members(extract, periods)
    counts = members.group_by("period", "yot").agg(
        cohort_size=pl.len().cast(pl.Int64), reoffenders=pl.col("reoffended").sum().cast(pl.Int64),
        reoffences=pl.col("reoffences").sum().cast(pl.Int64))
    groups = pl.DataFrame({"yot": [a[0] for a in areas], "region": [a[1] for a in areas],
                           "family": [a[2] for a in areas], "order": list(range(len(areas)))})
    skeleton = pl.DataFrame({"period": [p for p, _, _ in periods], "period_order": list(range(len(periods)))})
    yot_rows = (skeleton.join(groups, how="cross").join(counts, on=["period", "yot"], how="left")
                .with_columns(pl.col("cohort_size", "reoffenders", "reoffences").fill_null(0)))
    sums = [pl.col(c).sum() for c in ("cohort_size", "reoffenders", "reoffences")]
    parts = [yot_rows.select("period", "period_order", pl.col("yot").alias("area"), area_type=pl.lit("yot"),
                             cohort_size="cohort_size", reoffenders="reoffenders", reoffences="reoffences",
                             family="family", region="region", order="order")]
    for kind, key, base in (("family", "family", 100), ("region", "region", 200)):
        names = list(dict.fromkeys(a[2 if kind == "family" else 1] for a in areas))
        agg = yot_rows.group_by("period", "period_order", key).agg(sums).with_columns(
            order=pl.col(key).replace_strict(names, list(range(base, base + len(names))), return_dtype=pl.Int64))
        parts.append(agg.select("period", "period_order", pl.col(key).alias("area"), area_type=pl.lit(kind),
                                cohort_size="cohort_size", reoffenders="reoffenders", reoffences="reoffences",
                                family=pl.lit(None, pl.String), region=pl.lit(None, pl.String), order="order"))
    england = yot_rows.group_by("period", "period_order").agg(sums)
    parts.append(england.select("period", "period_order", area=pl.lit("England"), area_type=pl.lit("england"),
                                cohort_size="cohort_size", reoffenders="reoffenders", reoffences="reoffences",
                                family=pl.lit(None, pl.String), region=pl.lit(None, pl.String),
                                order=pl.lit(300, pl.Int64)))
    table = pl.concat([p.with_columns(pl.col("order").cast(pl.Int64)) for p in parts], how="vertical_relaxed")
    return _conform("comparators", table.sort("period_order", "order").with_columns(
        period_start=pl.col("period").str.slice(0, 10).str.to_date(),
        period_end=pl.col("period").str.slice(11, 10).str.to_date()))


def _prefixed(name: str, frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
    if not prefix:
        return frame
    return frame.with_columns(pl.format(f"{prefix}-{{}}", pl.col(c)).alias(c) for c in _ID_COLUMNS.get(name, ()))


def generate_multi(
    yots: int,
    seed: int = 2005,
    start_year: int = 2000,
    end_year: int = 2010,
    own: str = "Barnet",
) -> tuple[dict[str, pl.DataFrame], dict[str, Any]]:
    """A multi-YOT extract: the case-level tables of ``yots`` YOTs together (:func:`yot_areas`), and a
    ``comparators`` table of their published-style aggregates (:func:`comparator_table`).

    The first YOT, ``own``, is drawn exactly as the one-YOT extract of the same seed (its rows are the
    default extract's rows); every other YOT has its own seed, size and risk, and its identifiers are
    prefixed with its first three letters (``ENF-P0000001``) so they stay unique.
    """
    areas = yot_areas(yots, own)
    parts: list[dict[str, pl.DataFrame]] = []
    truths: dict[str, Any] = {}
    for i, (name, region, family, size, risk) in enumerate(areas):
        tables, truth = generate(people=None if i == 0 and name == "Barnet" else size, seed=seed + 7919 * i,
                                 start_year=start_year, end_year=end_year, yot=name, risk=0.0 if i == 0 else risk)
        prefix = "" if i == 0 else name[:3].upper()
        parts.append({k: _prefixed(k, v, prefix) for k, v in tables.items()})
        truths[name] = {"region": region, "family": family, "risk": 0.0 if i == 0 else risk, **truth}
    tables = {name: pl.concat([p[name] for p in parts], how="vertical") for name in SYNTH_TABLES}
    tables["comparators"] = comparator_table(tables, areas, start_year, end_year)
    truth = {"generator": {"module": "yot.synth", "function": "generate_multi", "yots": [a[0] for a in areas],
                           "seed": seed, "start_year": start_year, "end_year": end_year},
             "extract_date": max(t["extract_date"] for t in truths.values() if t["extract_date"]),
             "rows": {name: t.height for name, t in tables.items()}, "yots": truths}
    return tables, truth
