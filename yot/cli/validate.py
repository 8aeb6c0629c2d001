"""``yot validate --data DIR [--quarantine OUTDIR] [--json]``"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="folder of the extract's tables")
    parser.add_argument("--quarantine", metavar="OUTDIR", help="write the set-aside rows here, one CSV per table")
    parser.add_argument("--json", action="store_true", help="print the load report as JSON")


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("validate: to be built (issue 2)")
