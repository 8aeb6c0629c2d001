"""Benchmark: generate the national-size synthetic extract, then load and validate it (cold), then load it again
from the validated-extract cache (warm).

    .venv/bin/python bench/bench_extract.py [--people N] [--seed S] [--format parquet|csv] [--keep DIR]

Each step runs in its own child process so that its peak memory (the child's ``ru_maxrss``, which
includes polars' and numpy's native allocations) is measured alone. Prints wall time, peak memory and
row counts per step, with the CPU time beside the wall time because the machine may be shared;
no assertions (speed is reported, not tested).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

GENERATE = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    t0 = time.perf_counter()
    from yot.synth import generate, write
    people, seed, fmt, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    tables, truth = generate(people=people, seed=seed)
    t1 = time.perf_counter()
    write(tables, truth, out, format=fmt)
    t2 = time.perf_counter()
    print(json.dumps({
        "generate_s": t1 - t0, "write_s": t2 - t1, "total_s": t2 - t0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
        "rows": {k: v.height for k, v in tables.items()},
        "bytes": sum(p.stat().st_size for p in out.iterdir()),
    }))
    """
)

LOAD = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    t0 = time.perf_counter()
    from yot.load import load_extract
    extract = load_extract(Path(sys.argv[1]))
    t1 = time.perf_counter()
    print(json.dumps({
        "total_s": t1 - t0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
        "accepted": {k: c.accepted for k, c in extract.counts.items()},
        "quarantined": sum(c.quarantined for c in extract.counts.values()),
    }))
    """
)


def _child(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000, help="young people (default: national size)")
    parser.add_argument("--seed", type=int, default=2005)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--keep", type=Path, default=None, help="write the extract here and keep it")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="yot-bench-") as tmp:
        out = args.keep if args.keep else Path(tmp) / "extract"
        print(f"bench_extract: {args.people:,} young people, seed {args.seed}, {args.format}")
        gen = _child(GENERATE, str(args.people), str(args.seed), args.format, str(out))
        rows = gen["rows"]
        print(
            f"  generate+write: {gen['total_s']:6.1f} s wall (generate {gen['generate_s']:.1f} s, "
            f"write {gen['write_s']:.1f} s), {gen['cpu_s']:.1f} s CPU, peak memory {gen['peak_rss_mb']:,.0f} MB, "
            f"{gen['bytes'] / 1e6:,.0f} MB on disk"
        )
        print("    rows: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
        os.environ["YOT_CACHE_DIR"] = str(Path(tmp) / "cache")  # a private validated-extract cache
        os.environ.pop("YOT_NO_CACHE", None)
        for label in ("load+validate (cold: fills the cache)", "load (warm: reads the cache)"):
            load = _child(LOAD, str(out))
            print(
                f"  {label}: {load['total_s']:6.1f} s wall, {load['cpu_s']:.1f} s CPU, peak memory "
                f"{load['peak_rss_mb']:,.0f} MB, {load['quarantined']:,} rows quarantined"
            )
        if load["accepted"] != {k: v for k, v in rows.items() if k in load["accepted"]}:
            print("  WARNING: accepted rows differ from the rows written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
