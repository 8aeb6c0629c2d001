"""``yot cache [info|clear]``: where the validated-extract cache is, how big, and how to empty it."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("info", "clear"), default="info",
                        help="info: where the cache is and its size (default); clear: delete every entry")


def run(args: argparse.Namespace) -> int:
    from yot.cache import CACHE_ENV, NO_CACHE_ENV, cache_dir, cache_enabled, cache_size, clear

    root = cache_dir()
    if args.action == "clear":
        removed = clear(root)
        print(f"Validated-extract cache {root}: {removed} entr{'y' if removed == 1 else 'ies'} deleted")
        return 0
    entries, size = cache_size(root)
    state = "on" if cache_enabled() else f"off ({NO_CACHE_ENV} is set)"
    print(f"Validated-extract cache {root} ({CACHE_ENV} to move it): {entries} entries, {size / 1e6:,.1f} MB; {state}")
    return 0
