"""Simulation study of the matched-comparison engine (yot.evaluate): bias, 95% interval coverage and power.

1. A simple world with confounding and a known average effect on the treated (ATT): a risk x and a
   group raise both the chance of treatment and of reoffending; a noisy score (10% missing) is seen
   too. Treatment changes each treated person's reoffending probability by ``effect``, so the true
   ATT is the mean over the treated of (p1 - p0). Many seeds per scenario.
2. The embedded synthetic extract (yot.synth) over several seeds: YISP over every referral year,
   truth from truth.json (the generator's own counterfactual).

Prints markdown tables (copied into docs/evaluation.md). ``python bench/bench_evaluation.py [reps]``.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from yot.dates import add_months
from yot.evaluate import evaluate_programme, matched_comparison


def world(n: int, effect: float, seed: int) -> tuple[pl.DataFrame, float]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.3, 0.4, 0.3])
    t = rng.random(n) < 1 / (1 + np.exp(-(-1.3 + 1.2 * x + 0.6 * (group == "a"))))
    p0 = 1 / (1 + np.exp(-(-0.9 + 1.0 * x + 0.4 * (group == "a"))))
    p1 = np.clip(p0 + effect, 0, 1)
    y = rng.random(n) < np.where(t, p1, p0)
    score = np.where(rng.random(n) < 0.1, np.nan, x + rng.normal(scale=0.5, size=n))
    frame = pl.DataFrame({"t": t.astype(int), "y": y.astype(int), "x": x, "group": group, "score": score})
    return frame.with_columns(pl.col("score").fill_nan(None)), float((p1 - p0)[t].mean())


def study(reps: int) -> None:
    print("| world | n | true ATT | mean estimate | bias | coverage of 95% interval | power (p < 0.05) "
          "| mean naive | mean matched treated | mean |SMD| after (max) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, effect in ((500, 0.0), (500, -0.10), (2000, 0.0), (2000, -0.10), (2000, -0.05)):
        est, cover, reject, naive, matched, smd, truths = [], [], [], [], [], [], []
        for seed in range(reps):
            frame, truth = world(n, effect, 1000 * n + seed)
            m = matched_comparison(frame, "t", "y", ["x", "group", "score"], seed=seed)
            est.append(m.effect)
            truths.append(truth)
            cover.append(m.ci_low <= truth <= m.ci_high)
            reject.append(m.p_value < 0.05)
            naive.append(m.naive_effect)
            matched.append(m.n_matched_treated)
            smd.append(m.max_abs_smd_after)
        truth = float(np.mean(truths))
        print(f"| confounded | {n} | {truth:+.3f} | {np.mean(est):+.3f} | {np.mean(est) - truth:+.3f} | "
              f"{np.mean(cover):.1%} | {np.mean(reject):.1%} | {np.mean(naive):+.3f} | {np.mean(matched):.0f} | "
              f"{np.mean(smd):.3f} |")


def synthetic(seeds: int) -> None:
    """Every programme on the synthetic extract against the generator's truth (effect on the treated)."""
    from yot.load import load_extract
    from yot.synth import generate, write

    print()
    print("| synthetic seed | programme | period | n treated (truth) | true ATT | estimate | 95% interval | covers | naive | naive further off |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    tally: dict[str, list[tuple[bool, bool, float]]] = {}
    for seed in range(seeds):
        with tempfile.TemporaryDirectory() as tmp:
            tables, truth = generate(seed=seed)
            write(tables, truth, Path(tmp))
            extract = load_extract(Path(tmp))
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
                ev = evaluate_programme(extract, programme, dt.date.fromisoformat(t["start"]), end, seed=seed)
                m = ev.match
                if m.effect is None:
                    continue
                covers = m.ci_low <= t["effect"] <= m.ci_high
                further = abs(m.naive_effect - t["effect"]) > abs(m.effect - t["effect"])
                tally.setdefault(programme, []).append((covers, further, m.effect - t["effect"]))
                print(f"| {seed} | {programme} | {key} | {m.n_treated} ({t['n_treated']}) | {t['effect']:+.3f} | "
                      f"{m.effect:+.3f} | {m.ci_low:+.3f} to {m.ci_high:+.3f} | {covers} | {m.naive_effect:+.3f} | {further} |")
    print()
    print("| programme | evaluations | mean bias | coverage | naive further from the truth |")
    print("|---|---|---|---|---|")
    for programme, rows in tally.items():
        print(f"| {programme} | {len(rows)} | {np.mean([r[2] for r in rows]):+.3f} | "
              f"{np.mean([r[0] for r in rows]):.0%} | {np.mean([r[1] for r in rows]):.0%} |")


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    started = time.perf_counter()
    study(reps)
    print(f"\n({reps} seeds per row, {time.perf_counter() - started:.0f} s)")
    synthetic(int(sys.argv[2]) if len(sys.argv) > 2 else 5)
