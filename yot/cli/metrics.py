"""``yot metrics --data DIR --start D --end D [--follow-up-months 12] [--waiting-months 6] [--extract-date D] --json``"""

from __future__ import annotations

import argparse

from yot.cli._dates import iso_date, non_negative_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True)
    parser.add_argument("--start", required=True, type=iso_date)
    parser.add_argument("--end", required=True, type=iso_date)
    parser.add_argument("--follow-up-months", type=non_negative_int, default=12)
    parser.add_argument("--waiting-months", type=non_negative_int, default=6)
    parser.add_argument("--extract-date", type=iso_date, default=None)
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("metrics: to be built (issue 3)")
