"""End to end: the pack ``make run`` builds, from the default suite file's plan, in the one shared suite
run of conftest.py (a small synthetic extract; the suite file cut to two years of each section).

Every run the registry plans for the suite file is executed, rendered into ``published/`` beside the
index, and ``latest`` points at the run. (The page layer declares each table's count columns, so the
table-at-Barnet-size failure this file once guarded against by a second, full-size run cannot recur;
one suite run serves the page, privacy and pack tests.)
"""

from __future__ import annotations

from yot.pages.registry import plan
from yot.params import load_suite


def test_default_pack_runs_every_planned_notebook_and_is_published(suite_run) -> None:
    assert suite_run.returncode == 0, suite_run.stderr[-5000:]
    runs = sorted((suite_run.out / "runs").iterdir())
    assert runs == [suite_run.run_dir]
    manifest = suite_run.manifest
    planned = plan(load_suite(suite_run.suite))
    notebooks = manifest["notebooks"]
    assert [n["name"] for n in notebooks] == [r.name for r in planned]
    assert {n["status"] for n in notebooks} == {"ok"}
    published = suite_run.published
    assert (published / "index.html").is_file()
    for n in notebooks:
        assert (suite_run.run_dir / n["html"]).is_file(), n
        assert (suite_run.run_dir / n["html"]).parent == published
    assert (suite_run.out / "latest").resolve() == suite_run.run_dir.resolve()
    assert manifest["data_dir"] == str(suite_run.data_dir.resolve())  # the suite file's data:
