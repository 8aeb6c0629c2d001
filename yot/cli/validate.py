"""``yot validate --data DIR [--quarantine OUTDIR] [--json]``"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from yot.cli import UsageError, add_no_cache
from yot.load import RULES, LoadError, load_extract, load_report_json, rule_counts, table_counts, write_quarantine


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="folder of the extract's tables")
    parser.add_argument("--quarantine", metavar="OUTDIR", help="write the set-aside rows here, one CSV per table")
    parser.add_argument("--json", action="store_true", help="print the load report as JSON")
    add_no_cache(parser)


def summary_text(tables: dict[str, dict[str, int]], source: Path, rules: list[tuple[str, str, int]]) -> str:
    """A short human summary: rows per table, then the rules broken and how many rows broke each."""
    lines = [f"Extract {source}", f"{'table':<18} {'read':>10} {'accepted':>10} {'quarantined':>12}"]
    for table, c in tables.items():
        lines.append(f"{table:<18} {c['read']:>10,} {c['accepted']:>10,} {c['quarantined']:>12,}")
    if rules:
        lines.append("")
        lines.append("Rules broken (rows):")
        for table, rule, rows in rules:
            lines.append(f"  {table:<18} {rule:<24} {rows:>8,}  {RULES.get(rule, '')}")
    else:
        lines.append("")
        lines.append("No rows set aside: every row meets the data contract.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        extract = load_extract(Path(args.data), cache=not args.no_cache)
    except LoadError as exc:
        print(f"yot validate: {exc}", file=sys.stderr)
        return 2
    try:
        written = write_quarantine(extract, Path(args.quarantine)) if args.quarantine else []
    except OSError as exc:
        raise UsageError(f"cannot write the quarantine to {args.quarantine}: {exc.strerror or exc}") from None
    if args.json:
        print(load_report_json(extract))
        return 0
    rules = [(r["table"], r["rule"], r["rows"]) for r in rule_counts(extract).iter_rows(named=True)]
    print(summary_text(table_counts(extract), Path(args.data), rules))
    for path in written:
        print(f"Set-aside rows written to {path}")
    if args.quarantine and not written:
        print(f"Nothing written to {args.quarantine}: no rows were set aside.")
    return 0
