"""``yot evaluate --data DIR --programme P --start D --end D [--seed S] --json``"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from yot.cli import add_no_cache
from yot.cli._dates import iso_date

PROGRAMMES = ("ISSP", "referral_order", "restorative_justice", "YISP")
TABLES = ("people", "offences", "interventions", "referrals", "assessments", "comparators")
"""The tables an evaluation reads (population estimates and substance reviews are not read)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True)
    parser.add_argument("--programme", required=True, choices=PROGRAMMES)
    parser.add_argument("--start", required=True, type=iso_date)
    parser.add_argument("--end", required=True, type=iso_date)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    add_no_cache(parser)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def summary_text(result: dict[str, Any], sentence: str) -> str:
    """A readable summary of the evaluation (the same figures as the JSON)."""
    r = result
    ci = "-" if r["ci_low"] is None else f"{r['ci_low']:+.1%} to {r['ci_high']:+.1%}"
    effect = "-" if r["effect"] is None else f"{r['effect']:+.1%}"
    naive = "-" if r["naive_effect"] is None else f"{r['naive_effect']:+.1%}"
    lines = [
        f"Matched comparison: {r['programme']} ({r['outcome'].replace('_', ' ')})",
        f"  treated {r['n_treated']}, matched {r['n_matched_treated']}; comparison pool {r['n_comparison_pool']}, "
        f"used {r['n_matched_comparison']}",
        f"  rate: treated {_pct(r['treated_rate'])}, matched comparison {_pct(r['comparison_rate'])}",
        f"  effect {effect} (95% interval {ci}), p = {r['p_value'] if r['p_value'] is None else round(r['p_value'], 4)}",
        f"  naive difference {naive}; largest |SMD| before {r['max_abs_smd_before']}, after {r['max_abs_smd_after']}",
        f"  {sentence}",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from yot.cli import UsageError, load_for_command
    from yot.evaluate import cli_summary, evaluate_programme, plain_words

    if args.start > args.end:
        raise UsageError(f"--start {args.start} is after --end {args.end}")
    extract = load_for_command(args.data, tables=TABLES, no_cache=args.no_cache)
    evaluation = evaluate_programme(extract, args.programme, args.start, args.end, seed=args.seed)
    result = cli_summary(evaluation)
    if result["n_treated"] == 0:
        print(f"yot evaluate: no young people treated with {args.programme} in the period; no estimate", file=sys.stderr)
    elif result["n_comparison_pool"] == 0:
        print(f"yot evaluate: no comparison pool for {args.programme} in the period; no estimate", file=sys.stderr)
    elif result["n_matched_treated"] == 0:
        print("yot evaluate: no treated young person has a match within the caliper; no estimate", file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    else:
        print(summary_text(result, plain_words(evaluation)))
    return 0
