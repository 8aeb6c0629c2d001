"""Shared fixtures: a small synthetic extract and ONE run of the whole notebook suite on it.

The suite run is session-scoped and, under pytest-xdist, shared by every worker through a lock file in
the common temporary folder, so the notebook tests, the end-to-end page test and the privacy test all
look at the same pack and the suite runs once per test session.
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
    """A small synthetic extract written by ``yot synth`` (skips while the generator is not built)."""
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
        pytest.skip(f"yot synth cannot make the small extract yet: {failed.read_text().strip().splitlines()[-1:]}")
    return folder


@pytest.fixture(scope="session")
def suite_run(tmp_path_factory: pytest.TempPathFactory, small_extract: Path) -> SuiteRun:
    """The whole suite (parameters/barnet_2005_2008.yaml) run once on the small extract."""
    shared = _shared_dir(tmp_path_factory)
    out = shared / "suite_out"
    record = shared / "suite_run.json"
    with _locked(shared / "suite_run.lock"):
        if not record.exists():
            done = _yot("run", "--params", str(SUITE_PARAMS), "--data", str(small_extract), "--out", str(out),
                        "--jobs", "2", "--no-progress")
            runs = sorted((out / "runs").iterdir()) if (out / "runs").exists() else []
            record.write_text(json.dumps({
                "returncode": done.returncode, "stderr": done.stderr[-20000:],
                "run_dir": str(runs[-1]) if runs else None,
            }))
    saved = json.loads(record.read_text())
    return SuiteRun(saved["returncode"], saved["stderr"], out,
                    Path(saved["run_dir"]) if saved["run_dir"] else None, small_extract)
