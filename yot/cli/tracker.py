"""``yot tracker --data DIR --start D --end D [--extract-date D] [--earlier 4] [--follow-up-months 12]
[--waiting-months 6] --json``: the live tracker of one cohort (analyst-facing, exact figures)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from yot.cli._dates import iso_date, non_negative_int, positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True)
    parser.add_argument("--start", required=True, type=iso_date)
    parser.add_argument("--end", required=True, type=iso_date)
    parser.add_argument("--extract-date", type=iso_date, default=None)
    parser.add_argument("--earlier", type=positive_int, default=4,
                        help="complete earlier cohorts of the same length to pool (default 4)")
    parser.add_argument("--follow-up-months", type=positive_int, default=12)
    parser.add_argument("--waiting-months", type=non_negative_int, default=6)
    parser.add_argument("--json", action="store_true")
    from yot.cli import add_no_cache

    add_no_cache(parser)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def summary_text(result: dict[str, Any]) -> str:
    """A readable summary of the ``--json`` result."""
    lines = [f"Live tracker, cohort {result['period']['start']} to {result['period']['end']}, as at "
             f"{result['extract_date']}: {result['cohort_size']:,} young people, {result['months_observed']} "
             "months observed (provisional)", "", "  month  reoffenders   share  earlier cohorts"]
    lines += [f"  {m['month']:>5}  {m['reoffenders']:>11,}  {_pct(m['share']):>6}  {_pct(m['earlier_share']):>15}"
              for m in result["months"]]
    lines.append("")
    lines.append(f"Projected final rate: {_pct(result['projected_final'])} "
                 f"(95% interval {_pct(result['ci_low'])} to {_pct(result['ci_high'])})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from yot.cli import UsageError, load_for_command
    from yot.tracker import tracker

    if args.start > args.end:
        raise UsageError(f"--start {args.start} is after --end {args.end}")
    extract = load_for_command(args.data, tables=("people", "offences"), extract_date=args.extract_date,
                               no_cache=args.no_cache)
    result = tracker(extract, args.start, args.end, args.extract_date, args.follow_up_months, args.waiting_months,
                     args.earlier).to_json()
    print(json.dumps(result, indent=2) if args.json else summary_text(result))
    return 0
