"""Simulation study of the matched-comparison engine (yot.evaluate): balance, bias, 95% interval coverage, power.

1. **A strongly confounded world** (the hard case of issue 12): many discrete characteristics known
   at the index date (age, sex with a rare third category, ethnicity with rare categories, previous
   offences, gravity, offence type with a rare one, tier, an Asset score with 15% missing) drive both
   who is treated (about 9% of 5,000; the treated sit 1.5 or more standard deviations apart from
   the pool before matching) and reoffending. Treatment multiplies each treated person's chance of
   reoffending by ``rr``, so the effect differs from person to person: the truth for the matched
   treated (the people the estimate is about) is the mean of p1 - p0 over them, beside the truth for
   all treated. Each run is estimated 1:1 on the logit and with the automatic design sequence (exact
   on tier in steps 4-9). Reported per design: balance achieved (share of runs with every |SMD| below
   0.10), mean largest |SMD| after, bias against the matched truth, coverage of the 95% interval,
   and power (share with p < 0.05; under no effect, the false-positive rate).
2. **A mildly confounded world** (a risk x and a group; the study of earlier versions) with the
   automatic design.
3. **The embedded synthetic extract** (yot.synth) over several seeds against the generator's own
   counterfactual (truth.json), every programme.

Prints markdown tables (copied into docs/evaluation.md) and writes the strongly confounded world's
table to yot/templates/simulation.json, which the methods page shows (yot.pages.index.simulation_results).

    python bench/bench_evaluation.py [reps] [synthetic seeds] [--no-json]
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from yot.dates import add_months
from yot.evaluate import BALANCE_LIMIT, evaluate_programme, matched_comparison

STRONG_COVARIATES = ["age", "sex", "ethnicity", "previous_offences", "gravity", "offence_type", "tier", "asset_score"]
EFFECT_RR = 0.85
"""The programme multiplies each treated young person's chance of reoffending by this."""
NO_EFFECT = "no effect"
SIMULATION_JSON = Path(__file__).resolve().parent.parent / "yot" / "templates" / "simulation.json"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def strong_world(n: int, rr: float, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """One extract of the strongly confounded world and each person's true p1 - p0."""
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)  # latent; seen only through the characteristics
    age = np.clip(np.round(14.5 + 1.2 * risk + rng.normal(0, 1.5, n)), 10, 17).astype(int)
    sex = rng.choice(["M", "F", "U"], n, p=[0.78, 0.20, 0.02])
    eth = rng.choice(["White", "Black", "Asian", "Mixed", "Other", "Unknown"], n,
                     p=[0.68, 0.12, 0.10, 0.06, 0.025, 0.015])
    prev = rng.poisson(np.exp(0.2 + 0.7 * risk))
    grav = np.clip(np.round(3 + 1.3 * risk + rng.normal(0, 1.2, n)), 1, 8).astype(int)
    otype = rng.choice(["theft", "violence", "criminal_damage", "drugs", "motoring", "robbery"], n,
                       p=[0.35, 0.22, 0.15, 0.12, 0.12, 0.04])
    tier_lin = risk + 0.15 * prev + rng.normal(0, 0.8, n)
    tier = np.where(tier_lin > 2.0, "custody", np.where(tier_lin > 1.0, "community",
                                                         np.where(tier_lin > -0.3, "first_tier", "pre_court")))
    asset = np.clip(np.round(14 + 7 * risk + rng.normal(0, 4, n)), 0, 48)
    asset = np.where(rng.random(n) < 0.15, np.nan, asset)
    asset0 = np.nan_to_num(asset, nan=14)
    lin = (-6.6 + 0.55 * np.minimum(prev, 8) + 1.6 * (tier == "community") + 2.6 * (tier == "custody")
           + 0.07 * asset0 + 0.3 * (grav - 3) + 0.9 * (eth == "Other") + 0.6 * (otype == "robbery")
           - 0.6 * (sex == "F"))
    t = rng.random(n) < _sigmoid(lin)
    p0 = _sigmoid(-1.3 + 0.25 * np.minimum(prev, 8) + 0.03 * asset0 + 0.4 * (tier == "custody") + 0.3 * (sex == "M")
                  - 0.08 * (age - 14) + 0.3 * (otype == "robbery") + 0.5 * (eth == "Other"))
    p1 = p0 * rr
    y = rng.random(n) < np.where(t, p1, p0)
    frame = pl.DataFrame({
        "t": t.astype(int), "y": y.astype(int), "age": age, "sex": sex, "ethnicity": eth, "previous_offences": prev,
        "gravity": grav, "offence_type": otype, "tier": tier, "asset_score": asset,
    }).with_columns(pl.col("asset_score").fill_nan(None))
    return frame, p1 - p0


def strong_study(reps: int, n: int = 5000) -> list[dict[str, object]]:
    """Both designs on ``reps`` extracts of each scenario; one summary row per (scenario, design)."""
    rows = []
    for rr in (1.0, EFFECT_RR):
        label = NO_EFFECT if rr == 1.0 else f"{1 - rr:.0%} fewer reoffend"
        tally: dict[str, dict[str, list[float]]] = {"1:1": {}, "automatic": {}}
        for seed in range(reps):
            frame, effect = strong_world(n, rr, 7919 * seed + int(rr * 10))
            treated = frame.get_column("t").to_numpy() == 1
            for design, kwargs in (("1:1", {"neighbours": 1}), ("automatic", {"exact": ["tier"]})):
                m = matched_comparison(frame, "t", "y", STRONG_COVARIATES, **kwargs)
                truth = float(effect[m.matched_treated_rows].mean())
                t = tally[design]
                for key, value in (
                    ("n_treated", m.n_treated), ("n_matched", m.n_matched_treated),
                    ("smd_before", m.max_abs_smd_before), ("smd_after", m.max_abs_smd_after),
                    ("balanced", m.max_abs_smd_after < BALANCE_LIMIT), ("truth_matched", truth),
                    ("truth_all", float(effect[treated].mean())), ("estimate", m.effect),
                    ("covers", m.ci_low <= truth <= m.ci_high), ("reject", m.p_value < 0.05),
                    ("adjusted", m.adjusted_effect),
                    ("adjusted_covers", m.adjusted_ci_low <= truth <= m.adjusted_ci_high),
                    ("step", m.design.step if m.design else 0),
                ):
                    t.setdefault(key, []).append(float(value))
        for design, t in tally.items():
            mean = {k: float(np.mean(v)) for k, v in t.items()}
            rows.append({"scenario": label, "design": design, "runs": reps, **mean,
                         "bias": mean["estimate"] - mean["truth_matched"],
                         "adjusted_bias": mean["adjusted"] - mean["truth_matched"],
                         "steps": {int(s): int(c) for s, c in zip(*np.unique(t["step"], return_counts=True), strict=True)}})
    return rows


def print_strong(rows: list[dict[str, object]], seconds: float) -> None:
    print("| scenario | design | treated (matched) | largest |SMD| before | balance achieved | largest |SMD| after "
          "| truth: matched treated | truth: all treated | mean estimate | bias | coverage | p < 0.05 "
          "| bias-adjusted: bias, coverage | designs used (step: runs) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['scenario']} | {r['design']} | {r['n_treated']:.0f} ({r['n_matched']:.0f}) | {r['smd_before']:.2f} | "
              f"{r['balanced']:.0%} | {r['smd_after']:.2f} | {r['truth_matched']:+.3f} | {r['truth_all']:+.3f} | "
              f"{r['estimate']:+.3f} | {r['bias']:+.3f} | {r['covers']:.0%} | {r['reject']:.0%} | "
              f"{r['adjusted_bias']:+.3f}, {r['adjusted_covers']:.0%} | "
              f"{', '.join(f'{s}: {c}' for s, c in r['steps'].items())} |")
    print(f"\n({rows[0]['runs']} extracts of 5,000 people per scenario, {seconds:.0f} s)")


def simulation_json(rows: list[dict[str, object]]) -> dict[str, object]:
    """The methods page's table (``summary``, ``columns``, ``rows`` of text cells), every sentence built
    from the figures."""
    auto = {r["scenario"]: r for r in rows if r["design"] == "automatic"}
    one = {r["scenario"]: r for r in rows if r["design"] == "1:1"}
    effect = next(r for s, r in auto.items() if s != NO_EFFECT)
    null = auto[NO_EFFECT]
    summary = (
        f"A simulated YOT of 5,000 young people in which the young people on a programme differ strongly from "
        f"the rest before matching (largest standardised difference {null['smd_before']:.1f}) on many recorded "
        f"characteristics, some of them rare, was generated {null['runs']} times with no effect and "
        f"{effect['runs']} times with a programme that cuts each young person's chance of reoffending by "
        f"{1 - EFFECT_RR:.0%}. "
        f"Matching one comparison young person to each treated one balanced every characteristic in "
        f"{one[NO_EFFECT]['balanced']:.0%} of runs; the automatic sequence of designs the pack uses did in "
        f"{null['balanced']:.0%} (largest difference after matching {one[NO_EFFECT]['smd_after']:.2f} and "
        f"{null['smd_after']:.2f} on average). With the automatic design the 95% interval held the true effect "
        f"in {effect['covers']:.0%} of runs with an effect and {null['covers']:.0%} without one; a real "
        f"effect of {-effect['truth_matched'] * 100:.0f} fewer in 100 was found in {effect['reject']:.0%} of runs, "
        f"and where there was none, one was wrongly found in {null['reject']:.0%}. "
        f"The true effect for the treated young people who found a match ({effect['truth_matched'] * 100:+.1f} "
        f"in 100) differs from that for all treated ({effect['truth_all'] * 100:+.1f}) because those left "
        f"unmatched are the most likely to be treated; the estimate is about the matched ones."
    )
    columns = ["Programme effect", "Matching", "Treated (matched)", "Every characteristic balanced",
               "Largest difference after", "True effect: matched treated", "True effect: all treated",
               "Average estimate", "Bias", "Interval holds the truth", "Found (p < 0.05)"]

    def pts(v: float) -> str:
        text = f"{v * 100:+.1f}"
        return f"{'0.0' if text in ('+0.0', '-0.0') else text} in 100"

    table = [[r["scenario"], "automatic sequence" if r["design"] == "automatic" else "one to one",
              f"{r['n_treated']:.0f} ({r['n_matched']:.0f})", f"{r['balanced']:.0%}", f"{r['smd_after']:.2f}",
              pts(r["truth_matched"]), pts(r["truth_all"]), pts(r["estimate"]), pts(r["bias"]), f"{r['covers']:.0%}",
              f"{r['reject']:.0%}"] for r in rows]
    return {"summary": summary, "columns": columns, "rows": table,
            "generated": dt.date.today().isoformat(), "runs": int(null["runs"])}


def mild_world(n: int, effect: float, seed: int) -> tuple[pl.DataFrame, float]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.3, 0.4, 0.3])
    t = rng.random(n) < _sigmoid(-1.3 + 1.2 * x + 0.6 * (group == "a"))
    p0 = _sigmoid(-0.9 + 1.0 * x + 0.4 * (group == "a"))
    p1 = np.clip(p0 + effect, 0, 1)
    y = rng.random(n) < np.where(t, p1, p0)
    score = np.where(rng.random(n) < 0.1, np.nan, x + rng.normal(scale=0.5, size=n))
    frame = pl.DataFrame({"t": t.astype(int), "y": y.astype(int), "x": x, "group": group, "score": score})
    return frame.with_columns(pl.col("score").fill_nan(None)), float((p1 - p0)[t].mean())


def mild_study(reps: int) -> None:
    print("| world | n | true ATT | mean estimate | bias | coverage of 95% interval | power (p < 0.05) "
          "| mean naive | mean matched treated | balance achieved | mean largest |SMD| after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, effect in ((500, 0.0), (500, -0.10), (2000, 0.0), (2000, -0.10)):
        est, cover, reject, naive, matched, smd, truths = [], [], [], [], [], [], []
        for seed in range(reps):
            frame, truth = mild_world(n, effect, 1000 * n + seed)
            m = matched_comparison(frame, "t", "y", ["x", "group", "score"])
            est.append(m.effect)
            truths.append(truth)
            cover.append(m.ci_low <= truth <= m.ci_high)
            reject.append(m.p_value < 0.05)
            naive.append(m.naive_effect)
            matched.append(m.n_matched_treated)
            smd.append(m.max_abs_smd_after)
        truth = float(np.mean(truths))
        print(f"| mild | {n} | {truth:+.3f} | {np.mean(est):+.3f} | {np.mean(est) - truth:+.3f} | "
              f"{np.mean(cover):.1%} | {np.mean(reject):.1%} | {np.mean(naive):+.3f} | {np.mean(matched):.0f} | "
              f"{np.mean(np.array(smd) < BALANCE_LIMIT):.0%} | {np.mean(smd):.3f} |")


def synthetic(seeds: int) -> None:
    """Every programme on the synthetic extract against the generator's truth (effect on the treated)."""
    from yot.load import load_extract
    from yot.synth import generate, write

    print()
    print("| synthetic seed | programme | period | n treated (truth) | true ATT | estimate | 95% interval | covers "
          "| design step | naive | naive further off |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    tally: dict[str, list[tuple[bool, bool, float]]] = {}
    for seed in range(seeds):
        with tempfile.TemporaryDirectory() as tmp:
            tables, truth = generate(seed=seed)
            write(tables, truth, Path(tmp))
            extract = load_extract(Path(tmp), cache=False)
        for programme, periods in (("YISP", ["all"]),
                                   *((p, [f"{y}-01-01/{y}-12-31" for y in range(2003, 2008)])
                                     for p in ("referral_order", "restorative_justice", "ISSP"))):
            for key in periods:
                t = truth["programmes"][programme]["periods"].get(key)
                if t is None:
                    continue
                end = dt.date.fromisoformat(t["end"])
                if programme == "YISP":  # the truth counts referrals whose 18 months are over by the extract date
                    end = min(end, add_months(dt.date.fromisoformat(truth["extract_date"]), -18))
                ev = evaluate_programme(extract, programme, dt.date.fromisoformat(t["start"]), end)
                m = ev.match
                if m.effect is None:
                    continue
                covers = m.ci_low <= t["effect"] <= m.ci_high
                further = abs(m.naive_effect - t["effect"]) > abs(m.effect - t["effect"])
                tally.setdefault(programme, []).append((covers, further, m.effect - t["effect"]))
                print(f"| {seed} | {programme} | {key} | {m.n_treated} ({t['n_treated']}) | {t['effect']:+.3f} | "
                      f"{m.effect:+.3f} | {m.ci_low:+.3f} to {m.ci_high:+.3f} | {covers} | "
                      f"{m.design.step if m.design else '-'} | {m.naive_effect:+.3f} | {further} |")
    print()
    print("| programme | evaluations | mean bias | coverage | naive further from the truth |")
    print("|---|---|---|---|---|")
    for programme, rows in tally.items():
        print(f"| {programme} | {len(rows)} | {np.mean([r[2] for r in rows]):+.3f} | "
              f"{np.mean([r[0] for r in rows]):.0%} | {np.mean([r[1] for r in rows]):.0%} |")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    reps = int(args[0]) if args else 100
    started = time.perf_counter()
    strong = strong_study(reps)
    print_strong(strong, time.perf_counter() - started)
    if "--no-json" not in sys.argv:
        SIMULATION_JSON.write_text(json.dumps(simulation_json(strong), indent=1) + "\n", encoding="utf-8")
        print(f"\n(written to {SIMULATION_JSON.relative_to(SIMULATION_JSON.parents[2])})")
    print()
    started = time.perf_counter()
    mild_study(reps)
    print(f"\n({reps} seeds per row, {time.perf_counter() - started:.0f} s)")
    synthetic(int(args[1]) if len(args) > 1 else 3)
