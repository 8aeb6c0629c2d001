"""Shared fixtures: a small synthetic extract and ONE run of the whole notebook suite on it.

``suite_run`` is session-scoped and, under pytest-xdist (``-n 2 --dist loadfile``), shared by every
worker through a lock file (``fcntl.flock``) in the common parent of the workers' temporary folders: the
first worker to ask runs ``yot run`` once, the others wait on the lock and reuse its record. The
notebook tests, the end-to-end page and pack tests and the privacy test all look at this one pack.

``suite_run`` yields a :class:`SuiteRun`: ``returncode``/``stderr`` of ``python -m yot run``, ``out``
(its ``--out`` folder, with ``latest``), ``run_dir`` (``out/runs/<timestamp>``), ``published``
(``run_dir/published``, the pack), ``analyst``, ``index``, ``manifest`` (the parsed manifest.json),
``suite`` (the suite file it ran: the Barnet file cut to two years of each section, plus the cohort
year 1999, before the extract starts, whose pages must say "No data"; ``data:`` names the extract, so
the run also exercises the suite file's ``data:``) and ``data_dir`` (the small synthetic extract, also
the ``small_extract`` fixture).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SUITE_PARAMS = ROOT / "parameters" / "barnet_2005_2008.yaml"
SMALL_PEOPLE = 400  # a tiny YOT: a few dozen young people a year (also what the privacy test wants)
SMALL_SEED = 11


@dataclass(frozen=True)
class SuiteRun:
    """One finished ``yot run`` as seen from disk: exit status, stderr and the run folder."""

    returncode: int
    stderr: str
    out: Path
    run_dir: Path | None
    data_dir: Path
    suite: Path

    @property
    def published(self) -> Path:
        assert self.run_dir is not None, f"the suite run made no run folder:\n{self.stderr}"
        return self.run_dir / "published"

    @property
    def analyst(self) -> Path:
        assert self.run_dir is not None, f"the suite run made no run folder:\n{self.stderr}"
        return self.run_dir / "analyst"

    @property
    def index(self) -> Path:
        return self.published / "index.html"

    @property
    def manifest(self) -> dict[str, Any]:
        assert self.run_dir is not None, f"the suite run made no run folder:\n{self.stderr}"
        return json.loads((self.run_dir / "manifest.json").read_text())


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this session sees (the parent of the workers' own folders)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _yot(*args: str, timeout: int = 1200) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yot", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="session", autouse=True)
def _session_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The validated-extract cache of a test session (yot.cache) lives in its temporary folder, never
    in the user's: set for this process and every ``yot`` command it starts."""
    previous = os.environ.get("YOT_CACHE_DIR")
    os.environ["YOT_CACHE_DIR"] = str(_shared_dir(tmp_path_factory) / "yot-cache")
    yield
    if previous is None:
        os.environ.pop("YOT_CACHE_DIR", None)
    else:
        os.environ["YOT_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def small_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic extract written by ``yot synth`` (made once per session; a failure of
    ``yot synth`` fails every test that needs it, never skips them)."""
    shared = _shared_dir(tmp_path_factory)
    folder = shared / "small_extract"
    failed = shared / "small_extract.failed"
    with _locked(shared / "small_extract.lock"):
        if not (folder / ".complete").exists() and not failed.exists():
            done = _yot("synth", "--out", str(folder), "--people", str(SMALL_PEOPLE), "--seed", str(SMALL_SEED))
            if done.returncode == 0:
                (folder / ".complete").touch()
            else:
                failed.write_text(done.stderr[-3000:])
    if failed.exists():
        pytest.fail(f"yot synth could not make the small extract:\n{failed.read_text()}", pytrace=False)
    return folder


NO_DATA_YEAR = 1999  # before the small extract starts (yot synth's default start year is 2000)


def small_suite_file(path: Path, data: Path | None) -> Path:
    """The Barnet suite file cut to two years of each section (the whole suite, quickly) and a cohort
    year with no data (``NO_DATA_YEAR``), with ``data:`` naming ``data`` (left out when None)."""
    suite = yaml.safe_load(SUITE_PARAMS.read_text(encoding="utf-8"))
    suite["reoffending"]["cohort_years"] = [NO_DATA_YEAR, 2004, 2005]
    suite["reoffending"]["target"]["baseline_year"] = 2004
    for key in ("first_time_entrants", "substance_misuse"):
        if key in suite:
            suite[key]["years"] = [2004, 2005]
    if "first_time_entrants" in suite:
        suite["first_time_entrants"]["target"]["by_year"] = 2005
    for key in ("starts_target", "improvement_target"):
        if key in suite.get("substance_misuse", {}):
            suite["substance_misuse"][key]["baseline_year"] = 2004
    suite.pop("data", None)
    if data is not None:
        suite["data"] = str(data)
    path.write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def suite_run(tmp_path_factory: pytest.TempPathFactory, small_extract: Path) -> SuiteRun:
    """The whole suite (the Barnet suite file cut to two years, ``data:`` = the small extract) run once
    per test session by ``python -m yot run`` (see the module docstring for what it yields)."""
    shared = _shared_dir(tmp_path_factory)
    out = shared / "suite_out"
    suite = shared / "suite.yaml"
    record = shared / "suite_run.json"
    with _locked(shared / "suite_run.lock"):
        if not record.exists():
            small_suite_file(suite, small_extract)
            done = _yot("run", "--params", str(suite), "--out", str(out), "--jobs", "2", "--no-progress")
            runs = sorted((out / "runs").iterdir()) if (out / "runs").exists() else []
            record.write_text(json.dumps({
                "returncode": done.returncode, "stderr": done.stderr[-20000:],
                "run_dir": str(runs[-1]) if runs else None,
            }))
    saved = json.loads(record.read_text())
    return SuiteRun(saved["returncode"], saved["stderr"], out,
                    Path(saved["run_dir"]) if saved["run_dir"] else None, small_extract, suite)
