"""Benchmark: the annual reoffending cohorts 2001-2009 with every measure and breakdown, national size.

    .venv/bin/python bench/bench_reoffending.py [--people N] [--seed S] [--data DIR] [--first 2001] [--last 2009]

Uses the synthetic extract of ``--people`` young people (default one million), generated once into
``bench/results/`` and reused (or ``--data DIR``). Two child processes, each timed as a whole (Python
start to exit) with its own peak memory (``ru_maxrss``, which includes polars' and DuckDB's native
allocations):

1. yot: read the Parquet tables, then ``yot.measures.measures_by_year`` (nine cohorts, every measure
   and breakdown, F=12, W=6);
2. DuckDB: one SQL query over the same Parquet files computing the same cohorts' counts, overall and
   by tier, sex, age band and ethnicity (GROUPING SETS).

Prints the figures, the yot/DuckDB ratio, and checks that both give the same cohort sizes,
reoffenders and reoffences in every group (a mismatch is printed loudly and the exit code is 1). No
assertions on speed: it is reported, not tested.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

GENERATE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from yot.synth import generate, write
    people, seed, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    t0 = time.perf_counter()
    tables, truth = generate(people=people, seed=seed)
    write(tables, truth, out, format="parquet")
    (out / ".complete").touch()
    print(f"generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    """
)

YOT = textwrap.dedent(
    """
    import time
    t0 = time.perf_counter()
    import json, resource, sys
    from pathlib import Path
    import polars as pl
    from yot.extract import make_extract
    from yot.measures import measures_by_year
    data, first, last = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    t1 = time.perf_counter()
    extract = make_extract(people=pl.read_parquet(data / "people.parquet"),
                           offences=pl.read_parquet(data / "offences.parquet"))
    t2 = time.perf_counter()
    table = measures_by_year(extract, list(range(first, last + 1)), "calendar", 12, 6)
    t3 = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    counts = {f"{r['year']}|{r['breakdown']}|{r['group']}": [r["cohort_size"], r["reoffenders"], r["reoffences"]]
              for r in table.iter_rows(named=True)}
    print(json.dumps({
        "import_s": t1 - t0, "read_s": t2 - t1, "compute_s": t3 - t2, "total_s": time.perf_counter() - t0,
        "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
        "rows": {"people": extract.people.height, "offences": extract.offences.height, "table": table.height},
        "counts": counts,
    }))
    """
)

DUCKDB = textwrap.dedent(
    """
    import time
    t0 = time.perf_counter()
    import json, resource, sys
    import duckdb
    data, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    t1 = time.perf_counter()
    sql = '''
    WITH periods AS (
        SELECT y AS year, make_date(y, 1, 1) AS period_start, make_date(y, 12, 31) AS period_end
        FROM range($first, $last + 1) t(y)
    ),
    offences AS (
        SELECT *, CASE WHEN outcome IN ('detention_training_order', 'section_90_91_detention')
                       THEN release_date ELSE outcome_date END AS index_date
        FROM read_parquet($offences)
    ),
    qualifying AS (
        SELECT p.year, o.person_id, o.offence_id, o.index_date, o.gravity, o.outcome,
               pe.sex, pe.ethnicity,
               year(o.index_date) - year(pe.date_of_birth)
                 - CASE WHEN month(o.index_date) < month(pe.date_of_birth)
                          OR (month(o.index_date) = month(pe.date_of_birth)
                              AND day(o.index_date) < day(pe.date_of_birth)) THEN 1 ELSE 0 END AS age
        FROM offences o
        JOIN periods p ON o.index_date BETWEEN p.period_start AND p.period_end
        JOIN read_parquet($people) pe USING (person_id)
    ),
    members AS (
        SELECT * FROM qualifying WHERE age BETWEEN 10 AND 17
        QUALIFY row_number() OVER (PARTITION BY year, person_id ORDER BY index_date, gravity DESC, offence_id) = 1
    ),
    reoffences AS (
        SELECT m.year, m.person_id, count(*) AS n
        FROM members m
        JOIN offences o ON o.person_id = m.person_id
        WHERE o.offence_type <> 'breach' AND o.offence_id <> m.offence_id
          AND o.offence_date > m.index_date
          AND o.offence_date <= m.index_date + INTERVAL 12 MONTH
          AND o.outcome_date <= m.index_date + INTERVAL 18 MONTH
        GROUP BY ALL
    ),
    outcomes AS (
        SELECT m.year,
               CASE WHEN m.outcome IN ('reprimand', 'final_warning', 'youth_caution', 'youth_conditional_caution')
                      THEN 'pre_court'
                    WHEN m.outcome IN ('detention_training_order', 'section_90_91_detention') THEN 'custody'
                    WHEN m.outcome IN ('action_plan_order', 'supervision_order', 'youth_rehabilitation_order',
                                       'community_order') THEN 'community'
                    ELSE 'first_tier' END AS tier,
               m.sex, CASE WHEN m.age <= 14 THEN '10-14' ELSE '15-17' END AS age_band, m.ethnicity,
               coalesce(r.n, 0) AS n
        FROM members m LEFT JOIN reoffences r USING (year, person_id)
    )
    SELECT year, tier, sex, age_band, ethnicity, grouping(tier, sex, age_band, ethnicity) AS g,
           count(*) AS cohort_size, count(*) FILTER (WHERE n > 0) AS reoffenders, sum(n) AS reoffences,
           count(*) FILTER (WHERE n > 0) / count(*) AS binary_rate, sum(n) / count(*) AS frequency_rate
    FROM outcomes
    GROUP BY GROUPING SETS ((year), (year, tier), (year, sex), (year, age_band), (year, ethnicity))
    '''
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    rows = con.execute(sql, {"first": first, "last": last, "offences": f"{data}/offences.parquet",
                             "people": f"{data}/people.parquet"}).fetchall()
    t2 = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    counts = {}
    for year, tier, sex, band, ethnicity, _, n, r, re, _, _ in rows:
        for name, value in (("tier", tier), ("sex", sex), ("age_band", band), ("ethnicity", ethnicity)):
            if value is not None:
                counts[f"{year}|{name}|{value}"] = [n, r, int(re)]
                break
        else:
            counts[f"{year}|all|all"] = [n, r, int(re)]
    print(json.dumps({
        "import_s": t1 - t0, "query_s": t2 - t1, "total_s": time.perf_counter() - t0,
        "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
        "threads": con.execute("SELECT current_setting('threads')").fetchone()[0], "counts": counts,
    }))
    """
)


def _child(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{done.stderr}")
    return json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])


def national_extract(people: int, seed: int) -> Path:
    """The synthetic extract of this size and seed in bench/results/, generated once."""
    folder = RESULTS / f"national-{people}-seed{seed}"
    if not (folder / ".complete").exists():
        print(f"generating the synthetic extract of {people:,} young people into {folder} (once)")
        done = subprocess.run([sys.executable, "-c", GENERATE, str(people), str(seed), str(folder)], cwd=ROOT,
                              check=False)
        if done.returncode != 0:
            raise SystemExit("could not generate the synthetic extract")
    return folder


def compare(yot: dict[str, list[int]], duck: dict[str, list[int]]) -> list[str]:
    """Groups whose (cohort_size, reoffenders, reoffences) differ; groups with no members may be absent
    from DuckDB's answer (yot lists every contract category with zeros)."""
    problems = []
    for key in sorted(set(yot) | set(duck)):
        mine, theirs = yot.get(key, [0, 0, 0]), duck.get(key, [0, 0, 0])
        if mine != theirs:
            problems.append(f"{key}: yot {mine} vs DuckDB {theirs}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1, help="1: the extract bench_national.py uses too")
    parser.add_argument("--data", type=Path, default=None, help="an extract folder with people/offences.parquet")
    parser.add_argument("--first", type=int, default=2001)
    parser.add_argument("--last", type=int, default=2009)
    args = parser.parse_args(argv)

    data = args.data or national_extract(args.people, args.seed)
    years = f"{args.first}-{args.last}"
    print(f"bench_reoffending: annual cohorts {years} (F=12, W=6), every measure and breakdown, on {data}")
    yot = _child(YOT, str(data), str(args.first), str(args.last))
    duck = _child(DUCKDB, str(data), str(args.first), str(args.last))
    rows = yot["rows"]
    print(f"  extract: {rows['people']:,} people, {rows['offences']:,} offences; yot table {rows['table']:,} rows")
    print(f"  yot (polars)  whole process {yot['total_s']:6.2f} s  (import {yot['import_s']:.2f}, read Parquet "
          f"{yot['read_s']:.2f}, cohorts+measures {yot['compute_s']:.2f})  cpu {yot['cpu_s']:.1f} s  "
          f"peak {yot['peak_rss_mb']:,.0f} MB")
    print(f"  DuckDB SQL    whole process {duck['total_s']:6.2f} s  (import {duck['import_s']:.2f}, query "
          f"{duck['query_s']:.2f})  cpu {duck['cpu_s']:.1f} s  peak {duck['peak_rss_mb']:,.0f} MB  "
          f"threads {duck['threads']}")
    work_yot = yot["read_s"] + yot["compute_s"]
    print(f"  ratio yot/DuckDB: whole process {yot['total_s'] / duck['total_s']:.2f}; "
          f"read+compute vs query {work_yot / duck['query_s']:.2f}; cpu time {yot['cpu_s'] / duck['cpu_s']:.2f} "
          "(the cpu ratio is the steadier one on a shared machine)")
    aim = "met" if yot["total_s"] < 10 and yot["peak_rss_mb"] < 4096 else "NOT met"
    print(f"  aim (< 10 s and < 4 GB for the whole process): {aim}")
    problems = compare(yot["counts"], duck["counts"])
    if problems:
        print(f"  !!! MISMATCH between yot and DuckDB in {len(problems)} groups !!!")
        for line in problems[:40]:
            print(f"  !!! {line}")
        return 1
    totals = [yot["counts"][f"{y}|all|all"] for y in range(args.first, args.last + 1)]
    print("  yot and DuckDB agree on cohort size, reoffenders and reoffences in every group")
    print("  year   cohort  reoffenders  reoffences  binary rate")
    for year, (n, r, re) in zip(range(args.first, args.last + 1), totals, strict=True):
        print(f"  {year}  {n:>7,}  {r:>11,}  {re:>10,}  {r / n if n else float('nan'):>10.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
