"""``yot synth --out DIR [--people N | --yots N] [--seed S] [--start-year Y] [--end-year Y] [--format parquet|csv]``

``--yots N``: a multi-YOT extract (N YOTs of different sizes, ``--yot`` first, with families and regions)
and a ``comparators`` table of their published-style aggregates (``yot.synth.generate_multi``)."""

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
    parser.add_argument("--yots", type=non_negative_int, default=None,
                        help="several YOTs (2 to 16) with a comparators table of published-style figures")


def run(args: argparse.Namespace) -> int:
    from yot.synth import generate, write

    if args.end_year < args.start_year:
        raise UsageError(f"--end-year {args.end_year} is before --start-year {args.start_year}")
    if args.people == 0:
        raise UsageError("--people must be at least 1")
    if args.yots is not None:
        from yot.synth import YOT_AREAS, generate_multi

        if not 2 <= args.yots <= len(YOT_AREAS):
            raise UsageError(f"--yots must be 2 to {len(YOT_AREAS)}")
        if args.people is not None:
            raise UsageError("--people cannot be used with --yots (each YOT has its own size)")
        tables, truth = generate_multi(args.yots, seed=args.seed, start_year=args.start_year,
                                       end_year=args.end_year, own=args.yot)
    else:
        tables, truth = generate(people=args.people, seed=args.seed, start_year=args.start_year,
                                 end_year=args.end_year, yot=args.yot)
    paths = write(tables, truth, Path(args.out), format=args.format)
    for path in paths:
        rows = tables[path.stem].height if path.stem in tables else None
        print(f"wrote {path}" + (f" ({rows:,} rows)" if rows is not None else ""))
    cal = truth.get("calibration", {})
    if "reoffending_2003" in cal and cal["reoffending_2003"]["binary_rate"] is not None:
        r = cal["reoffending_2003"]
        print(f"2003 cohort: {r['cohort_size']} young people, binary reoffending rate {r['binary_rate']:.1%}")
    return 0
