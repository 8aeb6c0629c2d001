"""``yot run [--params FILE] [--data DIR] [--out DIR] [--jobs N]``"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", default="parameters/barnet_2005_2008.yaml", help="the suite's parameter file")
    parser.add_argument("--data", default=None, help="extract folder (overrides the parameter file)")
    parser.add_argument("--out", default="outputs", help="where the pack is written")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once")


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("run: to be built (issue 4)")
