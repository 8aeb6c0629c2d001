"""``yot run [--params FILE] [--data DIR] [--out DIR] [--jobs N] [--no-progress]``

Validates the suite file, loads the extract once, runs every notebook (``--jobs`` at a time) and builds
the Steering Group pack under ``<out>/runs/<timestamp>/``; ``<out>/latest`` points at the newest run that
fully succeeded. Exit 0 when every notebook ran and the pack passed its checks; 1 for bad parameters;
2 for an extract that cannot be loaded; 3 when any notebook or check failed (each named at the end);
130 when stopped by Ctrl-C or SIGTERM (nothing published, ``latest`` unchanged).
"""

from __future__ import annotations

import argparse
import os
import sys

from yot.cli import add_no_cache
from yot.cli._dates import positive_int

EXIT_FAILED = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", default=None,
                        help="the suite's parameter file (default: the project's parameters/barnet_2005_2008.yaml, "
                             "wherever the command runs)")
    parser.add_argument("--data", default=None, help="extract folder (overrides the parameter file)")
    parser.add_argument("--out", default="outputs", help="where the pack is written")
    parser.add_argument("--jobs", type=positive_int, default=2, help="notebooks run at once")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--fresh-kernels", action="store_true",
                        help="start a new kernel for every notebook (slower; by default each worker reuses its "
                             "kernel, emptied between notebooks, to save start-up and imports)")
    parser.add_argument("--notebooks", default=None, help="folder of the notebooks (default: the suite's notebooks/)")
    parser.add_argument("--which-data", action="store_true",
                        help="print the extract folder the run would use (why, on stderr) and stop; precedence: "
                             "--data, else the suite file's data: (relative to the project folder), else the "
                             "embedded synthetic extract")
    add_no_cache(parser)


EXIT_INTERRUPTED = 130


def run(args: argparse.Namespace) -> int:
    from yot.load import LoadError
    from yot.params import ParameterError
    from yot.runner import NOTEBOOKS_DIR, RunError, RunInterrupted, run_suite

    def say(line: str) -> None:
        print(f"yot run: {line}", file=sys.stderr, flush=True)

    if args.params is None:
        from yot.runner import project_root

        args.params = str(project_root() / "parameters" / "barnet_2005_2008.yaml")

    if args.which_data:
        from yot.params import load_suite
        from yot.runner import choose_data

        try:
            choice = choose_data(load_suite(args.params), args.data)
        except ParameterError as exc:
            for line in str(exc).splitlines():
                say(line)
            return 1
        say(choice.line)
        print(choice.path)
        return 0

    if args.no_cache:  # the notebooks' kernels inherit it: no one in this run reads or writes the cache
        from yot.cache import NO_CACHE_ENV

        os.environ[NO_CACHE_ENV] = "1"
    try:
        result = run_suite(args.params, data_dir=args.data, out=args.out, jobs=args.jobs,
                           notebooks_dir=args.notebooks or NOTEBOOKS_DIR, progress=not args.no_progress,
                           reuse_kernels=not args.fresh_kernels, report=say)
    except (ParameterError, RunError) as exc:
        for line in str(exc).splitlines():
            print(f"yot run: {line}", file=sys.stderr)
        return 1
    except LoadError as exc:
        print(f"yot run: {exc}", file=sys.stderr)
        return 2
    except (RunInterrupted, KeyboardInterrupt):
        print("yot run: interrupted: latest unchanged", file=sys.stderr)
        return EXIT_INTERRUPTED
    timing = ", ".join(f"{n['name']} {n['seconds']:.1f}s" for n in result.manifest["notebooks"])
    print(f"yot run: {len(result.outcomes)} notebook runs in {result.manifest['seconds']:.1f}s ({timing})",
          file=sys.stderr)
    if result.failures:
        print(f"yot run: FAILED: {len(result.failures)} problem(s); the pack was not published as latest:",
              file=sys.stderr)
        for failure in result.failures:
            print(f"  - {failure}", file=sys.stderr)
        print(f"yot run: partial output, not for circulation: {result.index}", file=sys.stderr)
        print(f"yot run: failed notebooks' partial output: {result.analyst / 'failed'}", file=sys.stderr)
        return EXIT_FAILED
    print(f"yot run: pack ready: {result.index}", file=sys.stderr)
    print(result.index)
    return 0
