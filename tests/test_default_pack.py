"""End to end (issue 4, "done when"): `make run`'s own case, the default synthetic Barnet extract.

The shared suite run in ``conftest.py`` uses a tiny YOT, where most small cells are suppressed. This
test runs the suite exactly as ``make run`` does (default ``yot synth``, the Barnet suite file) so a
table that only goes wrong at Barnet size (a rate in a column named like a count, say) fails here
rather than on the analyst's first run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "parameters" / "barnet_2005_2008.yaml"


def _yot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yot", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800, check=False)


@pytest.fixture(scope="module")
def default_pack(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    base = tmp_path_factory.mktemp("default_pack")
    data, out = base / "data", base / "outputs"
    made = _yot("synth", "--out", str(data))
    assert made.returncode == 0, made.stderr[-3000:]
    done = _yot("run", "--params", str(PARAMS), "--data", str(data), "--out", str(out), "--jobs", "2",
                "--no-progress")
    return done, out


def test_default_barnet_pack_runs_every_notebook_and_is_published(
        default_pack: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, out = default_pack
    assert done.returncode == 0, done.stderr[-5000:]
    runs = sorted((out / "runs").iterdir())
    assert len(runs) == 1
    manifest = json.loads((runs[0] / "manifest.json").read_text())
    notebooks = manifest["notebooks"]
    assert len(notebooks) == 15  # data quality, 6 cohorts, targets, 4 programmes, comparison, FTE, substance
    assert {n["status"] for n in notebooks} == {"ok"}
    published = runs[0] / "published"
    assert (published / "index.html").is_file()
    for n in notebooks:
        assert (runs[0] / n["html"]).is_file(), n
        assert (runs[0] / n["html"]).parent == published
    assert (out / "latest").resolve() == runs[0].resolve()
