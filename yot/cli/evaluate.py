"""``yot evaluate --data DIR --programme P --start D --end D [--follow-up-months 12] [--waiting-months 6]
[--caliper 0.2] [--extract-date D] [--json | --csv [FILE]]``

Any programme code of the interventions table (ISSP, restorative_justice, ETE, fire_setters,
PPO_prevent_deter, ...) is evaluated with the ISSP design; referral_order and YISP have their own.
``--seed`` is still accepted and has no effect: comparison people tied at the nearest distance share
the match, so the same data always give the same answer.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from yot.cli import add_no_cache
from yot.cli._dates import iso_date, non_negative_int, positive_int
from yot.contract import PROGRAMMES as CONTRACT_PROGRAMMES

PROGRAMMES = ("referral_order", *CONTRACT_PROGRAMMES)
TABLES = ("people", "offences", "interventions", "referrals", "assessments", "comparators")
"""The tables an evaluation reads (population estimates and substance reviews are not read)."""


def positive_float(text: str) -> float:
    """An argparse type for a number above 0 (the caliper, in pooled SDs of the logit)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number above 0: {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True)
    parser.add_argument("--programme", required=True, choices=PROGRAMMES)
    parser.add_argument("--start", required=True, type=iso_date)
    parser.add_argument("--end", required=True, type=iso_date)
    parser.add_argument("--follow-up-months", type=positive_int, default=12,
                        help="follow-up F in months (at least 1; default 12)")
    parser.add_argument("--waiting-months", type=non_negative_int, default=6,
                        help="waiting period W in months for the offence to be proven (default 6)")
    parser.add_argument("--caliper", type=positive_float, default=0.2,
                        help="caliper in pooled standard deviations of the logit of the propensity score (default 0.2)")
    parser.add_argument("--extract-date", type=iso_date, default=None,
                        help="the figures as at this day: anything dated after it is left out (default: the "
                             "latest outcome date in the extract)")
    parser.add_argument("--seed", type=int, default=None,
                        help="ignored (kept so old scripts still run): ties share the match, no random tie-break")
    parser.add_argument("--json", action="store_true")
    add_no_cache(parser)
    from yot.cli import add_csv_argument

    add_csv_argument(parser)


def _points(value: float | None) -> str:
    """A difference of proportions in percentage points, signed, one decimal."""
    return "-" if value is None else f"{100 * value:+.1f} points"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _smd(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _p(value: float | None) -> str:
    return "-" if value is None else "< 0.001" if value < 0.001 else f"{value:.3f}"


def _interval(low: float | None, high: float | None) -> str:
    return "-" if low is None or high is None else f"{100 * low:+.1f} to {100 * high:+.1f} points"


def _not_yet(outcome: str) -> str:
    return "not a first-time entrant" if outcome == "first_time_entrant" else "not reoffended"


def design_words(design: dict[str, Any] | None) -> str:
    """The design used, in words: "3 nearest neighbours on the propensity score, within tier"."""
    if design is None:
        return "-"
    k = design["neighbours"]
    how = ("by Mahalanobis distance inside the propensity-score caliper" if design["distance"] == "mahalanobis"
           else "on the propensity score")
    within = f", within {', '.join(design['exact'])}" if design["exact"] else ""
    step = f" (step {design['step']} of the sequence)" if design["step"] else ""
    balance = "balance achieved" if design["balanced"] else "balance poor"
    return f"{k} nearest neighbour{'s' if k != 1 else ''} {how}{within}{step}; {balance}"


def summary_text(result: dict[str, Any], sentence: str) -> str:
    """A readable summary of the evaluation (the same figures as the JSON, rounded: SMDs to 2
    decimals, differences in percentage points, counts with thousands separators)."""
    r = result
    tte = r.get("time_to_reoffence") or {}
    lines = [
        f"Matched comparison: {r['programme']} ({r['outcome'].replace('_', ' ')}), "
        f"{r['period']['start']} to {r['period']['end']}, as at {r['extract_date'] or '-'}",
    ]
    if not r["complete"]:
        lines.append("  PROVISIONAL: the follow-up and waiting period of the period's last index dates run past "
                     "the extract date; these figures will change")
    lines += [
        f"  treated {r['n_treated']:,}, matched {r['n_matched_treated']:,}; comparison pool {r['n_comparison_pool']:,}, "
        f"used {r['n_matched_comparison']:,}",
        f"  design: {design_words(r['design'])}",
        f"  largest |SMD| before {_smd(r['max_abs_smd_before'])}, after {_smd(r['max_abs_smd_after'])}",
        f"  rate: treated {_pct(r['treated_rate'])}, matched comparison {_pct(r['comparison_rate'])}",
        f"  effect {_points(r['effect'])} (95% interval {_interval(r['ci_low'], r['ci_high'])}), p {_p(r['p_value'])}",
        f"  bias-adjusted {_points(r['adjusted_effect'])} "
        f"(95% interval {_interval(r['adjusted_ci_low'], r['adjusted_ci_high'])})",
        f"  naive difference {_points(r['naive_effect'])}",
        f"  {_not_yet(r['outcome'])} by day {tte.get('day', 365)}: difference {_points(tte.get('difference'))} "
        f"(95% interval {_interval(tte.get('ci_low'), tte.get('ci_high'))}); log-rank p {_p(tte.get('logrank_p_value'))}",
        f"  E-value {_smd(r['e_value'])} (interval bound {_smd(r['e_value_ci'])})",
        f"  {sentence}",
    ]
    return "\n".join(line for line in lines if line)


def tidy_rows(result: dict[str, Any], outcomes: list[dict[str, Any]], time_to: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per outcome (the primary first, then frequency and custody, then the share not
    reoffended by day 365), with the programme, period, design and balance on every row."""
    design = result["design"] or {}
    common = {
        "programme": result["programme"], "period_start": result["period"]["start"],
        "period_end": result["period"]["end"], "extract_date": result["extract_date"], "complete": result["complete"],
        "n_treated": result["n_treated"], "n_matched_treated": result["n_matched_treated"],
        "n_comparison_pool": result["n_comparison_pool"], "n_matched_comparison": result["n_matched_comparison"],
        "design_neighbours": design.get("neighbours"), "design_exact": ", ".join(design.get("exact", [])),
        "design_distance": design.get("distance"), "design_step": design.get("step"),
        "balanced": design.get("balanced"), "max_abs_smd_before": result["max_abs_smd_before"],
        "max_abs_smd_after": result["max_abs_smd_after"],
    }
    rows = [{**common, "measure": o["measure"], "treated": o["treated"], "comparison": o["comparison"],
             "difference": o["difference"], "ci_low": o["ci_low"], "ci_high": o["ci_high"], "p_value": o["p_value"],
             "adjusted_difference": o["adjusted_difference"], "adjusted_ci_low": o["adjusted_ci_low"],
             "adjusted_ci_high": o["adjusted_ci_high"], "naive_difference": o["naive_difference"]}
            for o in outcomes]
    if time_to is not None:
        rows.append({**common, "measure": f"{_not_yet(result['outcome'])} by day {time_to['day']}", "treated": time_to["treated"],
                     "comparison": time_to["comparison"], "difference": time_to["difference"],
                     "ci_low": time_to["ci_low"], "ci_high": time_to["ci_high"],
                     "p_value": time_to["logrank_p_value"]})
    if rows:
        rows[0]["e_value"], rows[0]["e_value_ci"] = result["e_value"], result["e_value_ci"]
    return rows


def run(args: argparse.Namespace) -> int:
    from yot.cli import UsageError, emit, load_for_command
    from yot.evaluate import cli_summary, evaluate_programme, plain_words

    if args.start > args.end:
        raise UsageError(f"--start {args.start} is after --end {args.end}")
    extract = load_for_command(args.data, tables=TABLES, extract_date=args.extract_date, no_cache=args.no_cache)
    evaluation = evaluate_programme(extract, args.programme, args.start, args.end, args.follow_up_months,
                                    args.waiting_months, caliper=args.caliper, extract_date=args.extract_date)
    result = cli_summary(evaluation)
    if result["n_treated"] == 0:
        print(f"yot evaluate: no young people treated with {args.programme} in the period; no estimate", file=sys.stderr)
    elif result["n_comparison_pool"] == 0:
        print(f"yot evaluate: no comparison pool for {args.programme} in the period; no estimate", file=sys.stderr)
    elif result["n_matched_treated"] == 0:
        print("yot evaluate: no treated young person has a match within the caliper; no estimate", file=sys.stderr)
    if not result["complete"]:
        print("yot evaluate: provisional: the follow-up and waiting period run past the extract date", file=sys.stderr)
    emit(args, result, summary_text(result, plain_words(evaluation)),
         tidy_rows(result, evaluation.outcomes.to_dicts(), result["time_to_reoffence"]))
    return 0
