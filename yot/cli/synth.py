"""``yot synth --out DIR [--people N] [--seed S] [--start-year Y] [--end-year Y] [--format parquet|csv]``"""

from __future__ import annotations

import argparse
from pathlib import Path

from yot.cli import UsageError
from yot.cli._dates import non_negative_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="folder to write the tables to")
    parser.add_argument("--people", type=non_negative_int, default=None, help="young people to generate (default: a Barnet-sized borough)")
    parser.add_argument("--seed", type=int, default=2005)
    parser.add_argument("--start-year", type=int, default=2000)
    parser.add_argument("--end-year", type=int, default=2010)
    parser.add_argument("--yot", default="Barnet", help="name of the YOT holding the cases")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")


def run(args: argparse.Namespace) -> int:
    from yot.synth import generate, write

    if args.end_year < args.start_year:
        raise UsageError(f"--end-year {args.end_year} is before --start-year {args.start_year}")
    if args.people == 0:
        raise UsageError("--people must be at least 1")
    tables, truth = generate(people=args.people, seed=args.seed, start_year=args.start_year,
                             end_year=args.end_year, yot=args.yot)
    paths = write(tables, truth, Path(args.out), format=args.format)
    for path in paths:
        rows = tables[path.stem].height if path.stem in tables else None
        print(f"wrote {path}" + (f" ({rows:,} rows)" if rows is not None else ""))
    cal = truth["calibration"]
    if "reoffending_2003" in cal and cal["reoffending_2003"]["binary_rate"] is not None:
        r = cal["reoffending_2003"]
        print(f"2003 cohort: {r['cohort_size']} young people, binary reoffending rate {r['binary_rate']:.1%}")
    return 0
