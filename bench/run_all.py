"""Run every ``bench/bench_*.py`` in turn (``make bench``), each as its own process with this interpreter.

    .venv/bin/python bench/run_all.py [-k NAME]

Prints each benchmark's output as it comes. The exit code is 1 if any benchmark failed (a failing
benchmark is named and the others still run); speed itself is never a failure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def benchmarks(pattern: str | None = None) -> list[Path]:
    """Every bench/bench_*.py, in name order (only those whose name contains ``pattern`` if given)."""
    return [p for p in sorted(BENCH.glob("bench_*.py")) if pattern is None or pattern in p.stem]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="pattern", default=None, help="only benchmarks whose name contains this")
    args = parser.parse_args(argv)
    failed = []
    for path in benchmarks(args.pattern):
        print(f"=== {path.name}", flush=True)
        start = time.perf_counter()
        code = subprocess.run([sys.executable, str(path)], cwd=BENCH.parent, check=False).returncode
        print(f"=== {path.name}: exit {code} after {time.perf_counter() - start:.1f} s\n", flush=True)
        if code != 0:
            failed.append(path.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
