"""``yot evaluate --data DIR --programme P --start D --end D [--seed S] --json``"""

from __future__ import annotations

import argparse

from yot.cli._dates import iso_date

PROGRAMMES = ("ISSP", "referral_order", "restorative_justice", "YISP")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True)
    parser.add_argument("--programme", required=True, choices=PROGRAMMES)
    parser.add_argument("--start", required=True, type=iso_date)
    parser.add_argument("--end", required=True, type=iso_date)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("evaluate: to be built (issue 5)")
