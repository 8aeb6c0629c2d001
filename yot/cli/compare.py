"""``yot compare --data DIR --yot NAME --start D --end D [--family A,B,...] [--extract-date D]
[--follow-up-months 12] [--waiting-months 6] --json``: one YOT's proven reoffending against the other
YOTs, its family, region and England, with funnel-plot limits (analyst-facing, exact figures)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from yot.cli._dates import iso_date, non_negative_int, positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True)
    parser.add_argument("--yot", required=True, help="the YOT compared (as people.yot spells it)")
    parser.add_argument("--start", required=True, type=iso_date)
    parser.add_argument("--end", required=True, type=iso_date)
    parser.add_argument("--family", default=None,
                        help="statistical neighbours, comma-separated (default: the comparators table's family)")
    parser.add_argument("--extract-date", type=iso_date, default=None)
    parser.add_argument("--follow-up-months", type=positive_int, default=12)
    parser.add_argument("--waiting-months", type=non_negative_int, default=6)
    parser.add_argument("--json", action="store_true")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def summary_text(result: dict[str, Any]) -> str:
    lines = [f"{result['yot']}: {_pct(result['rate'])} of {result['cohort_size']:,} young people reoffended"]
    if result["family"]:
        f = result["family"]
        lines.append(f"  family {f['name']}: {_pct(f['rate'])}; rank {f['rank']} of {f['of']} "
                     f"(1 = lowest), quartile {f['quartile']}")
    if result["region"]:
        lines.append(f"  region {result['region']['name']}: {_pct(result['region']['rate'])}")
    if result["england"]:
        lines.append(f"  England: {_pct(result['england']['rate'])}")
    lines.append("  funnel (within 95% / 99.8% limits):")
    lines += [f"    {a['area']:<24} {a['cohort_size']:>7,} {_pct(a['rate']):>6}  "
              f"{'yes' if a['within_95'] else 'NO':>3} / {'yes' if a['within_998'] else 'NO'}" for a in result["funnel"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from yot.cli import UsageError, load_for_command
    from yot.compare import compare

    if args.start > args.end:
        raise UsageError(f"--start {args.start} is after --end {args.end}")
    extract = load_for_command(args.data, tables=("people", "offences", "comparators"),
                               extract_date=args.extract_date)
    yots = sorted(set(extract.people.get_column("yot").drop_nulls().to_list()))
    if args.yot not in yots:
        raise UsageError(f"no young person of YOT {args.yot!r} in the extract (its YOTs: {', '.join(yots) or 'none'})")
    family = [n.strip() for n in args.family.split(",") if n.strip()] if args.family else None
    result = compare(extract, args.yot, args.start, args.end, args.follow_up_months, args.waiting_months, family,
                     args.extract_date).to_json()
    print(json.dumps(result, indent=2) if args.json else summary_text(result))
    return 0
