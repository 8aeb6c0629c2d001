"""Benchmark: ``yot run`` end to end on the default synthetic extract (``make run``'s work).

Prints the whole-process time, the time per notebook run (from the run's manifest.json) and, to show
how much of each notebook is kernel start-up, the time papermill takes for an empty notebook and for
one that only does the suite's imports. Runnable alone: ``.venv/bin/python bench/bench_suite.py
[--data DIR] [--params FILE] [--jobs N]``; it writes the synthetic extract first if it is missing.
Timings go to stdout only (speed is measured here, never asserted in tests).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = ("import polars, seaborn, matplotlib.pyplot\n"
           "from yot import disclosure, measures, load, cohort")


def _yot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yot", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def kernel_overhead(repeats: int = 3) -> dict[str, float]:
    """Median seconds papermill takes for an empty notebook and for one doing only the suite's imports."""
    import nbformat
    import papermill

    from yot.runner import KERNEL_NAME, own_kernel_dir

    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        import os

        os.environ["JUPYTER_PATH"] = str(own_kernel_dir(Path(tmp)))
        for label, source in (("empty notebook", "pass"), ("imports only", IMPORTS)):
            nb = nbformat.v4.new_notebook()
            nb.cells = [nbformat.v4.new_code_cell(source)]
            nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
            path = Path(tmp) / "probe.ipynb"
            nbformat.write(nb, path)
            runs = []
            for _ in range(repeats):
                began = time.perf_counter()
                papermill.execute_notebook(str(path), str(Path(tmp) / "out.ipynb"), kernel_name=KERNEL_NAME,
                                           progress_bar=False, language="python")
                runs.append(time.perf_counter() - began)
            times[label] = sorted(runs)[len(runs) // 2]
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "synthetic"))
    parser.add_argument("--params", default=str(ROOT / "parameters" / "barnet_2005_2008.yaml"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-probe", action="store_true", help="skip the kernel start-up probe")
    args = parser.parse_args()

    data = Path(args.data)
    if not (data / "people.parquet").exists() and not (data / "people.csv").exists():
        print(f"writing the synthetic extract to {data} ...")
        done = _yot("synth", "--out", str(data))
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return 1

    with tempfile.TemporaryDirectory(prefix="yot-bench-") as out:
        began = time.perf_counter()
        done = _yot("run", "--params", args.params, "--data", str(data), "--out", out, "--jobs", str(args.jobs),
                    "--no-progress")
        total = time.perf_counter() - began
        runs = sorted((Path(out) / "runs").iterdir()) if (Path(out) / "runs").exists() else []
        if not runs:
            print(done.stderr, file=sys.stderr)
            return 1
        manifest = json.loads((runs[-1] / "manifest.json").read_text())

    print(f"yot run, end to end: {total:.1f} s wall (exit {done.returncode}; {args.jobs} jobs; "
          f"runner's own count {manifest['seconds']:.1f} s)")
    notebook_seconds = 0.0
    for n in manifest["notebooks"]:
        notebook_seconds += n["seconds"]
        print(f"  {n['name']:<34} {n['seconds']:6.1f} s  {n['status']}")
    print(f"  {'sum of notebook times':<34} {notebook_seconds:6.1f} s "
          f"(parallel speed-up {notebook_seconds / max(manifest['seconds'], 1e-9):.2f}x)")
    if done.returncode:
        print("failures:", *manifest["failures"], sep="\n  ")
    if not args.no_probe:
        probe = kernel_overhead()
        for label, seconds in probe.items():
            print(f"kernel start-up probe, {label}: {seconds:.1f} s per notebook")
        if manifest["notebooks"]:
            count, jobs = len(manifest["notebooks"]), args.jobs
            print(f"with a fresh kernel per notebook, start-up and imports would cost about "
                  f"{probe['imports only'] * count:.0f} s of notebook time ({count} x {probe['imports only']:.1f} s); "
                  f"with one warm kernel per job they cost about {probe['imports only'] * jobs:.0f} s "
                  f"({jobs} x {probe['imports only']:.1f} s)")
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
