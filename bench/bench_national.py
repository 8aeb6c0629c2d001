"""Benchmark: the commands as a user runs them, one process each, on the national synthetic extract.

    .venv/bin/python bench/bench_national.py [--data DIR] [--repeats 3] [--no-run] [--jobs 2]

The extract is ``python -m yot synth --people 1000000 --seed 1`` (1M young people, about 5.4M rows),
written once into ``bench/results/national-1000000-seed1`` (or ``--data DIR``). For ``metrics``,
``fte`` and ``evaluate`` it times the whole process (``python -m yot ...`` from start to exit):

* cold: the validated-extract cache emptied first (the command validates and fills the cache);
* no cache: ``--no-cache`` (validates, writes nothing);
* warm: the cache filled (reads the validated tables back);

beside DuckDB computing the same reoffending cohort (the 2005 calendar-year cohort, counts overall
and by tier, sex, age band and ethnicity: bench_reoffending.py's query) over the same Parquet files,
also as a whole process. Each figure is the median of ``--repeats`` runs; peak memory is the
largest resident size of the process (``wait4``'s ``ru_maxrss``). It also times the imports alone,
the floor under every command. Then ``yot run`` on the same extract (``make run DATA=...``): end to
end with a cold cache, with the time per notebook from the run's manifest and the peak of the
summed resident memory of the runner and its kernels (sampled every 0.2 s).

Writes the tables to ``bench/results/national.md`` (git-ignored) and prints them. Speed is reported,
never asserted; the exit code is 1 only if a command failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "bench"))

from bench_reoffending import DUCKDB  # noqa: E402 - the DuckDB cohort query, shared

PERIOD = ("--start", "2005-01-01", "--end", "2005-12-31")
COMMANDS: dict[str, tuple[str, ...]] = {
    "metrics": ("metrics", *PERIOD, "--json"),
    "fte": ("fte", *PERIOD, "--json"),
    "evaluate": ("evaluate", "--programme", "ISSP", *PERIOD, "--json"),
}
IMPORTS = {
    "python + polars + the metrics command's modules": "import polars, yot.cli.metrics, yot.measures, yot.load",
    "statsmodels and scipy (what evaluate adds; metrics and fte import neither)": "import statsmodels.api, scipy.stats",
}


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int, str, float]:
    """Wall seconds, peak resident MB, exit code, stderr and CPU seconds (user + system) of one process."""
    began = time.perf_counter()
    child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = child.stderr.read() if child.stderr else ""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, child.returncode, stderr, usage.ru_utime + usage.ru_stime


def median_run(argv: list[str], env: dict[str, str], repeats: int, before=None) -> dict[str, float]:  # noqa: ANN001
    """Median seconds and the largest peak memory over ``repeats`` runs (``before()`` ahead of each)."""
    seconds, peaks, cpu = [], [], []
    for _ in range(repeats):
        if before is not None:
            before()
        took, peak, code, stderr, used = timed(argv, env)
        if code != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {code}:\n{stderr[-2000:]}")
        seconds.append(took)
        peaks.append(peak)
        cpu.append(used)
    return {"s": statistics.median(seconds), "all": seconds, "mb": max(peaks), "cpu": statistics.median(cpu)}


def national_extract(people: int, seed: int) -> Path:
    """The synthetic extract of this size and seed in bench/results/, generated once."""
    folder = RESULTS / f"national-{people}-seed{seed}"
    if not (folder / ".complete").exists():
        print(f"generating the synthetic extract of {people:,} young people into {folder} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "yot", "synth", "--people", str(people), "--seed", str(seed),
                        "--out", str(folder)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        (folder / ".complete").touch()
    return folder


class TreeMemory:
    """The peak of the summed resident memory of a process and all its descendants, sampled."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid, self.every, self.peak_mb = pid, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = 0
            try:
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                break
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop.wait(self.every)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def run_pack(data: Path, jobs: int, env: dict[str, str]) -> dict:
    """``yot run`` end to end on ``data`` (cold cache): wall time, peak tree memory, the manifest."""
    with tempfile.TemporaryDirectory(prefix="yot-bench-run-") as out:
        argv = [sys.executable, "-m", "yot", "run", "--data", str(data), "--out", out, "--jobs", str(jobs),
                "--no-progress"]
        began = time.perf_counter()
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True)
        memory = TreeMemory(child.pid)
        stderr = child.stderr.read() if child.stderr else ""
        child.wait()
        seconds = time.perf_counter() - began
        peak = memory.stop()
        runs = sorted((Path(out) / "runs").iterdir()) if (Path(out) / "runs").exists() else []
        manifest = json.loads((runs[-1] / "manifest.json").read_text()) if runs and \
            (runs[-1] / "manifest.json").exists() else None
    return {"s": seconds, "mb": peak, "code": child.returncode, "stderr": stderr, "manifest": manifest}


def markdown(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="an extract folder (default: generate it)")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-run", action="store_true", help="skip 'yot run' on the extract")
    parser.add_argument("--commands", default=",".join(COMMANDS), help="which of them (comma-separated)")
    parser.add_argument("--out", type=Path, default=RESULTS / "national.md")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still remove the private cache
    data = (args.data or national_extract(args.people, args.seed)).resolve()
    cache = Path(tempfile.mkdtemp(prefix="yot-bench-cache-"))
    env = {**os.environ, "YOT_CACHE_DIR": str(cache)}
    env.pop("YOT_NO_CACHE", None)
    py = [sys.executable]
    started = dt.datetime.now()
    load = os.getloadavg()[0]
    failed = False

    def clear() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    try:
        print(f"bench_national: {data} ({args.repeats} runs each, median; load average {load:.1f} on "
              f"{os.cpu_count()} cores)", flush=True)
        duck = median_run([*py, "-c", DUCKDB, str(data), "2005", "2005"], env, args.repeats)
        print(f"  DuckDB cohort query: {duck['s']:.2f} s ({duck['cpu']:.2f} s CPU), {duck['mb']:,.0f} MB", flush=True)
        imports = {label: median_run([*py, "-c", code], env, args.repeats) for label, code in IMPORTS.items()}
        baseline = median_run([*py, "-c", "pass"], env, args.repeats)

        rows, results = [], {}
        for name, command in COMMANDS.items():
            if name not in args.commands.split(","):
                continue
            base = [*py, "-m", "yot", *command[:1], "--data", str(data), *command[1:]]
            try:
                cold = median_run(base, env, args.repeats, before=clear)
                bare = median_run([*base, "--no-cache"], env, args.repeats)
                warm = median_run(base, env, args.repeats)  # the last cold run left the cache filled
            except RuntimeError as exc:
                print(f"  {name}: FAILED: {exc}", flush=True)
                failed = True
                continue
            results[name] = {"cold": cold, "no_cache": bare, "warm": warm}
            rows.append([f"`yot {name}`", f"{cold['s']:.2f}", f"{bare['s']:.2f}", f"{warm['s']:.2f}",
                         f"{duck['s']:.2f}", f"{cold['s'] / duck['s']:.1f}x", f"{warm['s'] / duck['s']:.1f}x",
                         f"{warm['cpu']:.2f}", f"{duck['cpu']:.2f}",
                         f"{max(cold['mb'], bare['mb']):,.0f}", f"{warm['mb']:,.0f}"])
            print(f"  {name}: cold {cold['s']:.2f} s, no cache {bare['s']:.2f} s, warm {warm['s']:.2f} s "
                  f"({warm['cpu']:.2f} s CPU) "
                  f"(DuckDB {duck['s']:.2f} s); peak {cold['mb']:,.0f} / {warm['mb']:,.0f} MB", flush=True)

        clear()  # the run starts cold: the runner validates once and the notebooks read its cache
        pack = None if args.no_run else run_pack(data, args.jobs, {**env})
    finally:
        shutil.rmtree(cache, ignore_errors=True)

    report = [
        f"# National extract: whole-process times ({started:%Y-%m-%d %H:%M})",
        "",
        f"Extract `{data}`; {os.cpu_count()} cores, load average {load:.1f} at the start and "
        f"{os.getloadavg()[0]:.1f} at the end "
        f"(a shared machine: the figures move with it); Python {platform.python_version()}. "
        f"Medians of {args.repeats} runs, each `python -m yot ...` from start to exit. Cold: cache emptied "
        "first (validates, fills the cache); no cache: `--no-cache`; warm: cache filled. DuckDB: the 2005 "
        "reoffending cohort (bench_reoffending.py's query: counts overall and by tier, sex, age band, "
        "ethnicity) over the same Parquet files, also a whole process: the reference for every row. "
        "CPU seconds (user + system, median) move less with the machine's load than wall time.",
        "",
        markdown(rows, ["command", "cold s", "no cache s", "warm s", "DuckDB s", "cold / DuckDB",
                        "warm / DuckDB", "warm CPU s", "DuckDB CPU s", "peak MB (cold)", "peak MB (warm)"]),
        "",
        "What every command pays before any work (median whole process):",
        "",
        markdown([["python, nothing imported", f"{baseline['s']:.2f}", f"{baseline['mb']:,.0f}"]]
                 + [[label, f"{r['s']:.2f}", f"{r['mb']:,.0f}"] for label, r in imports.items()],
                 ["import", "s", "peak MB"]),
    ]
    if pack is not None:
        manifest = pack["manifest"]
        report += ["", f"`yot run --data <national> --jobs {args.jobs}` (cold cache): exit {pack['code']}, "
                       f"{pack['s']:.1f} s end to end, peak memory of the runner and its kernels together "
                       f"{pack['mb']:,.0f} MB."]
        if manifest:
            notebooks = manifest.get("notebooks", [])
            report += ["", markdown([[n["name"], f"{n['seconds']:.1f}", str(n.get("status", ""))] for n in notebooks]
                                    + [["sum of notebook times", f"{sum(n['seconds'] for n in notebooks):.1f}", ""]],
                                    ["notebook", "s", "status"])]
            if manifest.get("failures"):
                report += ["", "Failures:", *[f"- {f}" for f in manifest["failures"]]]
        else:
            report += ["", "No manifest was written; the run's last words:", "", "```",
                       *pack["stderr"].strip().splitlines()[-15:], "```"]
        failed = failed or pack["code"] != 0
    text = "\n".join(report) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
