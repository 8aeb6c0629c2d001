"""The command line: ``python -m yot <command>`` (also installed as ``yot``).

Each command lives in its own module of this package with ``add_arguments(parser)`` and
``run(args) -> int``. Exit codes: 0 success, 1 usage error, 2 fatal problem with the input.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import importlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yot.extract import Extract

COMMANDS: dict[str, str] = {
    "validate": "check an extract against the data contract and report what was set aside",
    "synth": "write the embedded synthetic extract",
    "metrics": "proven reoffending measures of one cohort period (analyst-facing JSON)",
    "evaluate": "matched-comparison evaluation of one programme (analyst-facing JSON)",
    "fte": "first-time entrants of one period (analyst-facing JSON)",
    "targets": "the verdict of every Theme 1 target in every period, and the trends (analyst-facing JSON)",
    "tracker": "live tracker of one cohort: share reoffended by month, projected final rate (analyst-facing JSON)",
    "compare": "one YOT's reoffending against its family, region and England, with funnel limits (JSON)",
    "run": "run the whole notebook suite and build the Steering Group pack",
    "cache": "show or clear the validated-extract cache",
}


class UsageError(Exception):
    """A command was called with arguments it cannot use (exit 1)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 by default; usage errors are 1 here
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(1)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``yot`` parser: every command of :data:`COMMANDS` is listed (``yot --help``) with its help.

    ``only``: the one command whose module is imported and whose options are added (the one being
    run); the others are names and help only, so a command pays for importing its own module, not
    every command's. None: every command's module and options (the whole parser)."""
    parser = _Parser(prog="yot", description="YOT cohort analytics suite")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_text in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            module = importlib.import_module(f"yot.cli.{name}")
            module.add_arguments(command)
            command.set_defaults(_module=module)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (its first argument that is not an option, since ``yot`` itself
    takes no option but ``--help``), or None when there is none or it is not a command."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in COMMANDS else None


def add_no_cache(parser: argparse.ArgumentParser) -> None:
    """The ``--no-cache`` flag every command that reads an extract takes (yot.cache)."""
    parser.add_argument("--no-cache", action="store_true",
                        help="validate the extract afresh: neither read nor write the validated-extract cache "
                             "(also: YOT_NO_CACHE=1)")


def load_for_command(
    data: str | Path,
    *,
    tables: Sequence[str] | None = None,
    extract_date: "dt.date | None" = None,
    no_cache: bool = False,
    notes: list[str] | None = None,
) -> "Extract":
    """Load an extract for a command: a fatal problem exits 2 with its message on stderr.

    Rows set aside are reported on stderr (one line per table) and left out of the analysis.
    ``tables``: the contract tables the command needs (None: all); only those are read and
    validated, with people when they name a person (a broken file the command does not need does not
    stop it). ``no_cache``: do not use the validated-extract cache (:mod:`yot.cache`).
    ``extract_date``: the figures are as at that day (METHODS.md "Extract date and as at runs"):
    everything dated after it is treated as unknown (:func:`yot.extract.as_at`); an extract date
    after the latest date in the data is allowed and said. What is said about the extract date is
    printed on stderr and appended to ``notes`` (for the command's JSON) when given.
    """
    from yot.extract import as_at
    from yot.load import LoadError, load_extract

    try:
        # the cache entries are written while the command computes (the process waits for them at exit)
        extract = load_extract(Path(data), tables=tables, cache=not no_cache, write_cache_soon=True)
    except LoadError as exc:
        print(f"yot: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    for table, count in extract.counts.items():
        if count.quarantined:
            print(
                f"yot: {table}: {count.quarantined} of {count.read} rows set aside "
                "(see 'yot validate --quarantine DIR'); they are left out",
                file=sys.stderr,
            )
    if extract_date is None:
        return extract
    from yot.extract import extract_date_notes, latest_date

    for note in extract_date_notes(extract_date, latest_date(extract)):
        if notes is not None:
            notes.append(note)
        if note.startswith("extract date"):  # after the data ends: allowed, and said (an earlier one is the point)
            print(f"yot: note: {note}", file=sys.stderr)
    return as_at(extract, extract_date)


def add_csv_argument(parser: argparse.ArgumentParser) -> None:
    """Give a command ``--csv [FILE]``: its figures as a tidy CSV (one row per group or measure, plain
    numbers). No FILE, or ``-``, writes the CSV to standard output instead of the readable summary."""
    parser.add_argument("--csv", nargs="?", const="-", default=None, metavar="FILE",
                        help="also write the figures as a tidy CSV to FILE (no FILE or '-': standard output, "
                             "instead of the summary)")


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float | str):
        return value
    raise TypeError(f"not a plain value for a CSV cell: {value!r}")


def write_csv(rows: Sequence[Mapping[str, object]], destination: str) -> None:
    """Write tidy ``rows`` (dicts of plain values: numbers, text, dates, None for empty) as CSV to
    ``destination`` (a file name, or ``-`` for standard output) with the csv module. The columns are
    every key, in the order they first appear. A file that cannot be written is a :class:`UsageError`."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    body = [{key: _csv_value(row.get(key)) for key in columns} for row in rows]

    def write(handle) -> None:  # noqa: ANN001
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(body)

    if destination == "-":
        write(sys.stdout)
        return
    try:
        with open(destination, "w", newline="", encoding="utf-8") as handle:
            write(handle)
    except OSError as exc:
        raise UsageError(f"cannot write the CSV to {destination}: {exc.strerror}") from None


def emit(args: argparse.Namespace, result: Mapping[str, object], text: str,
         rows: Sequence[Mapping[str, object]]) -> None:
    """Print a command's result the way it was asked for: ``--json`` (the JSON), ``--csv`` (tidy
    ``rows``; on standard output they replace the summary) or the readable ``text``."""
    to_stdout = getattr(args, "csv", None) == "-"
    if to_stdout and getattr(args, "json", False):
        raise UsageError("--json and --csv to standard output cannot both be printed: give --csv a FILE")
    if getattr(args, "csv", None) is not None:
        write_csv(rows, args.csv)
    if not to_stdout:
        print(json.dumps(result, indent=2) if getattr(args, "json", False) else text)


def main(argv: list[str] | None = None) -> int:
    """Run the command named in ``argv`` (None: the program's own arguments, ``sys.argv[1:]``, when
    run as ``python -m yot`` or the ``yot`` script: the process ends with this call)."""
    program = argv is None
    argv = sys.argv[1:] if argv is None else argv
    command = chosen_command(argv)
    # Without a command (``yot --help``, a mistyped name) only the names and help are needed.
    parser = build_parser(only=command or "")
    args = parser.parse_args(argv)
    try:
        return int(args._module.run(args) or 0)
    except UsageError as exc:
        print(f"yot {args.command}: error: {exc}", file=sys.stderr)
        return 1
    finally:
        cache = sys.modules.get("yot.cache")
        if not program and cache is not None:
            cache.flush()  # called from a caller: the command's cache entries are written when it returns
        if program:
            # The interpreter's shutdown runs full garbage collections over every object still alive
            # (polars' modules hold tens of thousands): 0.08 s of a 0.8 s `yot metrics`. Frozen
            # objects are skipped by them and left to the end of the process; atexit handlers still
            # run and open files are still flushed and closed.
            gc.freeze()
