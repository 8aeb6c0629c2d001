"""``yot metrics --data DIR --start D --end D [--follow-up-months 12] [--waiting-months 6] [--extract-date D] --json``"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from yot.cli import add_no_cache
from yot.cli._dates import iso_date, non_negative_int, positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True)
    parser.add_argument("--start", required=True, type=iso_date)
    parser.add_argument("--end", required=True, type=iso_date)
    parser.add_argument("--follow-up-months", type=positive_int, default=12)
    parser.add_argument("--waiting-months", type=non_negative_int, default=6)
    parser.add_argument("--extract-date", type=iso_date, default=None)
    parser.add_argument("--json", action="store_true")
    add_no_cache(parser)
    from yot.cli import add_csv_argument

    add_csv_argument(parser)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _line(label: str, m: dict[str, Any]) -> str:
    low, high = m["binary_rate_ci"]
    ci = "" if low is None else f" ({low:.1%} to {high:.1%})"
    per = "-" if m["reoffences_per_reoffender"] is None else f"{m['reoffences_per_reoffender']:.2f}"
    freq = "-" if m["frequency_rate"] is None else f"{m['frequency_rate']:.2f}"
    return (f"  {label:<22} {m['cohort_size']:>9,} {m['reoffenders']:>11,} {m['reoffences']:>10,} "
            f"{_rate(m['binary_rate']):>7}{ci:<19} {freq:>9} {per:>9}")


def summary_text(result: dict[str, Any]) -> str:
    """A readable summary of :func:`yot.measures.cohort_metrics`'s result."""
    status = "complete" if result["complete"] else "PROVISIONAL (not yet complete)"
    lines = [
        f"Proven reoffending, cohort {result['period']['start']} to {result['period']['end']}",
        f"Follow-up {result['follow_up_months']} months, waiting period {result['waiting_months']} months; "
        f"extract date {result['extract_date']}: {status}",
        "",
        f"  {'group':<22} {'cohort':>9} {'reoffenders':>11} {'reoffences':>10} {'binary rate (95% CI)':<26} "
        f"{'frequency':>9} {'per reoff.':>9}",
        _line("all", result),
    ]
    for breakdown, groups in result["by"].items():
        lines.append(f"  by {breakdown.replace('_', ' ')}:")
        lines.extend(_line(group, m) for group, m in groups.items())
    lines.extend(f"Note: {note}" for note in result.get("notes", []))
    return "\n".join(lines)


def no_data_note(result: dict[str, Any]) -> str | None:
    """Said when the cohort period has no data (not an all-zero table that looks like a result)."""
    if result["cohort_size"]:
        return None
    return (f"no data: no young person in this extract has an index date from {result['period']['start']} "
            f"to {result['period']['end']}, so there is no cohort and no rate")


MEASURES = ("cohort_size", "reoffenders", "reoffences", "binary_rate", "frequency_rate", "reoffences_per_reoffender")


def tidy_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per group (``all`` first, then every group of every breakdown) with the cohort's
    settings and its measures as plain numbers (``--csv``)."""
    setting = {"period_start": result["period"]["start"], "period_end": result["period"]["end"],
               "follow_up_months": result["follow_up_months"], "waiting_months": result["waiting_months"],
               "extract_date": result["extract_date"], "complete": result["complete"]}

    def row(breakdown: str, group: str, m: dict[str, Any]) -> dict[str, Any]:
        low, high = m["binary_rate_ci"]
        return {**setting, "breakdown": breakdown, "group": group, **{k: m[k] for k in MEASURES},
                "binary_rate_ci_low": low, "binary_rate_ci_high": high}

    rows = [row("all", "all", result)]
    rows += [row(b, g, m) for b, groups in result["by"].items() for g, m in groups.items()]
    return rows


def run(args: argparse.Namespace) -> int:
    from yot.cli import UsageError, emit, load_for_command
    from yot.measures import cohort_metrics

    if args.start > args.end:
        raise UsageError(f"--start {args.start} is after --end {args.end}")
    notes: list[str] = []
    extract = load_for_command(args.data, tables=("people", "offences"), extract_date=args.extract_date,
                               no_cache=args.no_cache, notes=notes)
    result = cohort_metrics(extract, args.start, args.end, args.follow_up_months, args.waiting_months,
                            args.extract_date)
    empty = no_data_note(result)
    said = notes + ([empty] if empty else [])
    if empty and args.json:
        print(f"yot: note: {empty}", file=sys.stderr)  # the JSON keeps its exact shape; the note goes beside it
    emit(args, result, summary_text({**result, "notes": said}), tidy_rows(result))
    return 0
