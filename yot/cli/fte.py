"""``yot fte --data DIR --start D --end D [--extract-date D] [--json] [--csv [FILE]]``"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from yot.cli import add_no_cache
from yot.cli._dates import iso_date

TABLES = ("people", "offences", "population")
"""The tables first-time entrants are counted from (the rest of the extract is not read)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True)
    parser.add_argument("--start", required=True, type=iso_date)
    parser.add_argument("--end", required=True, type=iso_date)
    parser.add_argument("--extract-date", type=iso_date, default=None,
                        help="figures as at this day: offences proven after it are not known yet")
    parser.add_argument("--json", action="store_true")
    add_no_cache(parser)
    from yot.cli import add_csv_argument

    add_csv_argument(parser)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _pop(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def summary_text(result: dict[str, Any]) -> str:
    """A readable summary of :func:`yot.fte.fte_summary`'s result (exact figures: analyst-facing)."""
    lines = [
        f"First-time entrants aged 10 to 17, {result['period']['start']} to {result['period']['end']}",
        f"  {'group':<14} {'FTE':>7} {'population':>11} {'per 100,000':>12}",
        f"  {'all':<14} {result['fte']:>7,} {_pop(result['population_10_17']):>11} {_rate(result['rate_per_100k']):>12}",
    ]
    for breakdown, groups in result["by"].items():
        lines.append(f"  by {breakdown}:")
        lines.extend(f"  {name:<14} {g['fte']:>7,} {_pop(g['population']):>11} {_rate(g['rate_per_100k']):>12}"
                     for name, g in groups.items())
    if result["population_10_17"] is None:
        lines.append("No population aged 10 to 17 for the mid-year of the start's year: no rate (not a wrong one).")
    lines.extend(f"Note: {note}" for note in result.get("notes", []))
    return "\n".join(lines)


def no_data_note(extract: Any, start: Any, end: Any) -> str | None:
    """Said when the extract holds no proven offence in the period at all (an FTE count of 0 there is
    no data, not a finding)."""
    import polars as pl

    proven = extract.offences.filter(pl.col("outcome_date").is_between(start, end)).height
    if proven:
        return None
    return f"no data: the extract holds no offence proven from {start.isoformat()} to {end.isoformat()}"


def tidy_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per group (``all`` first, then every group of every breakdown): first-time entrants,
    the population aged 10 to 17 and the rate per 100,000, as plain numbers (``--csv``)."""
    period = {"period_start": result["period"]["start"], "period_end": result["period"]["end"]}
    rows = [{**period, "breakdown": "all", "group": "all", "fte": result["fte"],
             "population": result["population_10_17"], "rate_per_100k": result["rate_per_100k"]}]
    rows += [{**period, "breakdown": b, "group": g, "fte": m["fte"], "population": m["population"],
              "rate_per_100k": m["rate_per_100k"]} for b, groups in result["by"].items() for g, m in groups.items()]
    return rows


def run(args: argparse.Namespace) -> int:
    from yot.cli import UsageError, emit, load_for_command
    from yot.fte import fte_summary

    if args.start > args.end:
        raise UsageError(f"--start {args.start} is after --end {args.end}")
    notes: list[str] = []
    extract = load_for_command(args.data, tables=TABLES, no_cache=args.no_cache, extract_date=args.extract_date,
                               notes=notes)
    result = fte_summary(extract, args.start, args.end)
    empty = no_data_note(extract, args.start, args.end)
    said = notes + ([empty] if empty else [])
    if empty and args.json:
        print(f"yot: note: {empty}", file=sys.stderr)  # the JSON keeps its exact shape; the note goes beside it
    emit(args, result, summary_text({**result, "notes": said}), tidy_rows(result))
    return 0
