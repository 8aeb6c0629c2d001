"""``yot fte --data DIR --start D --end D --json``"""

from __future__ import annotations

import argparse

from yot.cli._dates import iso_date


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True)
    parser.add_argument("--start", required=True, type=iso_date)
    parser.add_argument("--end", required=True, type=iso_date)
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("fte: to be built (issue 6)")
