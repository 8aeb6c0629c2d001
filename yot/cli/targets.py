"""``yot targets --params FILE [--data DIR] [--extract-date YYYY-MM-DD] [--json | --text] [--csv [FILE]]``

The verdict of every Theme 1 target in every period of the suite file (baseline period included, tier
rows when ``targets_by_tier``) and the trend of each, by the one rule of :mod:`yot.verdicts`: the same
rows the targets, first-time-entrant and substance-misuse pages publish (the page parameters are made
from the suite file by the pages' registry, exactly as ``yot run`` makes them). Exact figures:
analyst-facing. Data: ``--data``, else the suite file's ``data:``, else ``data/synthetic``. Exit 0;
1 for a parameter file that cannot be used; 2 for an extract that cannot be loaded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from pathlib import Path
from typing import Any

from yot.cli._dates import iso_date

DEFAULT_DATA = "data/synthetic"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from yot.cli import add_csv_argument

    parser.add_argument("--params", required=True, help="the suite's parameter file")
    parser.add_argument("--data", default=None, help="extract folder (overrides the parameter file's data:)")
    parser.add_argument("--extract-date", type=iso_date, default=None,
                        help="figures as at this day (overrides the parameter file's extract_date:)")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    shape.add_argument("--text", action="store_true", help="print the verdicts as a plain table (the default)")
    add_csv_argument(parser)
    from yot.cli import add_no_cache

    add_no_cache(parser)


def _num(value: float | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    return float(value) if math.isfinite(value) else None


def row_json(v: Any) -> dict[str, Any]:
    """One verdict in the ``yot targets --json`` shape."""
    return {
        "target": v.target, "tier": v.tier,
        "period": {"start": v.start.isoformat(), "end": v.end.isoformat()},
        "final": bool(v.final), "status": v.status, "unit": v.unit,
        "baseline": _num(v.baseline), "baseline_from_data": _num(v.baseline_from_data),
        "target_value": _num(v.target_value), "observed": _num(v.observed),
        "numerator": v.numerator, "denominator": v.denominator,
        "ci_low": _num(v.ci_low), "ci_high": _num(v.ci_high), "change": _num(v.change),
        "p_value": _num(v.p_value), "p_on_target": _num(v.p_on_target),
        "detectable_change": _num(v.detectable_change),
    }


def trend_json(t: Any) -> dict[str, Any]:
    return {"target": t.target, "tier": t.tier, "periods": t.periods, "change_per_year": _num(t.change_per_year),
            "ci_low": _num(t.ci_low), "ci_high": _num(t.ci_high),
            "target_change_per_year": _num(t.target_change_per_year)}


def suite_verdicts(suite: Any, extract: Any, extract_date: dt.date | None) -> tuple[list[Any], list[Any]]:
    """The verdict rows and trends of every target of ``suite``, through the pages' own parameters
    (made by the registry as for ``yot run``) and the pages' own verdict functions."""
    from yot.pages import first_time_entrants, substance_misuse, targets
    from yot.pages.registry import plan
    from yot.verdicts import trends

    modules = {"targets": targets, "first_time_entrants": first_time_entrants, "substance_misuse": substance_misuse}
    rows: list[Any] = []
    for run in plan(suite):
        module = modules.get(run.kind)
        if module is None:
            continue
        values = {**run.parameters, "extract_date": extract_date.isoformat() if extract_date else None}
        params = module.Params.validated(values, source=f"{run.name} parameters")
        rows.extend(module.verdicts(extract, params))
    return rows, trends(rows)


def _fmt(value: float | None, unit: str, signed: bool = False) -> str:
    if value is None:
        return "-"
    if unit == "proportion":
        return f"{100 * value:+.1f}" if signed else f"{100 * value:.1f}%"
    return f"{value:+,.1f}" if signed else f"{value:,.1f}"


def summary_text(extract_date: dt.date | None, rows: list[Any], found: list[Any]) -> str:
    """The verdicts as a plain table (exact figures, analyst-facing)."""
    from yot.labels import STATUS_WORDS

    lines = [f"Theme 1 target verdicts as at {extract_date.isoformat() if extract_date else 'unknown'}", "",
             f"  {'target':<22} {'tier':<11} {'period':<23} {'status':<36} {'unit':<10} {'baseline':>9} "
             f"{'target':>9} {'observed':>9} {'95% interval':>19} {'change':>8} {'p':>7} {'P(on)':>6} {'detect':>8}"]
    for v in rows:
        ci = "-" if v.ci_low is None else f"{_fmt(v.ci_low, v.unit)} to {_fmt(v.ci_high, v.unit)}"
        p = "-" if v.p_value is None else ("<0.001" if v.p_value < 0.001 else f"{v.p_value:.3f}")
        on = "-" if v.p_on_target is None else f"{100 * v.p_on_target:.0f}%"
        lines.append(
            f"  {v.target:<22} {v.tier or '-':<11} {v.start.isoformat() + ' to ' + v.end.isoformat():<23} "
            f"{STATUS_WORDS[v.status]:<36} {v.unit:<10} {_fmt(v.baseline, v.unit):>9} {_fmt(v.target_value, v.unit):>9} "
            f"{_fmt(v.observed, v.unit):>9} {ci:>19} {_fmt(v.change, v.unit, True):>8} {p:>7} {on:>6} "
            f"{_fmt(v.detectable_change, v.unit, True):>8}")
    lines += ["", "Trends across the final periods (average relative change a year, 95% interval; the target's):"]
    for t in found:
        what = f"{t.target}{' ' + t.tier if t.tier else ''}"
        if t.change_per_year is None:
            lines.append(f"  {what:<34} no trend: {t.reason}")
        else:
            aim = "-" if t.target_change_per_year is None else f"{100 * t.target_change_per_year:+.1f}%"
            lines.append(f"  {what:<34} {t.periods} periods {100 * t.change_per_year:+.1f}% a year "
                         f"({100 * t.ci_low:+.1f}% to {100 * t.ci_high:+.1f}%); target {aim} a year")
    lines.append("(proportions in %, changes in percentage points; FTE per 100,000 or counts as the unit says)")
    return "\n".join(lines)


def csv_rows(rows: list[Any]) -> list[dict[str, Any]]:
    """Tidy rows for ``--csv``: one per target, tier and period, plain numbers, status words as published."""
    from yot.labels import STATUS_WORDS

    out = []
    for v in rows:
        row = row_json(v)
        period = row.pop("period")
        out.append({"target": row.pop("target"), "tier": row.pop("tier"), "period_start": period["start"],
                    "period_end": period["end"], "status_words": STATUS_WORDS[v.status], **row})
    return out


def run(args: argparse.Namespace) -> int:
    from yot.cli import emit, load_for_command
    from yot.cohort import default_extract_date
    from yot.params import ParameterError, load_suite

    try:
        suite = load_suite(args.params)
    except ParameterError as exc:
        for line in exc.problems:
            print(f"yot targets: {line}", file=sys.stderr)
        return 1
    data = args.data or suite.data or DEFAULT_DATA
    if not Path(data).exists():
        print(f"yot targets: the extract folder {data} does not exist", file=sys.stderr)
        return 2
    extract_date = args.extract_date or suite.extract_date
    extract = load_for_command(data, extract_date=extract_date, no_cache=args.no_cache)
    as_at = extract_date or default_extract_date(extract)
    try:
        rows, found = suite_verdicts(suite, extract, as_at)
    except ParameterError as exc:
        for line in exc.problems:
            print(f"yot targets: {line}", file=sys.stderr)
        return 1
    result = {
        "extract_date": as_at.isoformat() if as_at else None,
        "rows": [row_json(v) for v in rows],
        "trends": [trend_json(t) for t in found if t.change_per_year is not None],
    }
    emit(args, result, summary_text(as_at, rows, found), csv_rows(rows))
    return 0
