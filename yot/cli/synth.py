"""``yot synth --out DIR [--people N] [--seed S] [--start-year Y] [--end-year Y]``"""

from __future__ import annotations

import argparse

from yot.cli._dates import non_negative_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="folder to write the tables to")
    parser.add_argument("--people", type=non_negative_int, default=None, help="young people to generate (default: a Barnet-sized borough)")
    parser.add_argument("--seed", type=int, default=2005)
    parser.add_argument("--start-year", type=int, default=2000)
    parser.add_argument("--end-year", type=int, default=2010)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("synth: to be built (issue 2)")
