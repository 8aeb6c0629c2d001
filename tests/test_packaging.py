"""The set-up files stay in step: pyproject.toml is the one source of truth for dependencies."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_installs_the_package_with_its_dev_extra_and_nothing_else():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    pip_sections = [d for d in deps if isinstance(d, dict)]
    assert pip_sections == [{"pip": ["-e .[dev]"]}], "conda users must install exactly what pip users do"
    conda_pkgs = sorted(d.split("=")[0] for d in deps if isinstance(d, str))
    assert conda_pkgs == ["pip", "python"], "dependencies belong in pyproject.toml, not environment.yml"


def test_environment_python_matches_requires_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    version = python.split("=", 1)[1]
    requires = _pyproject()["project"]["requires-python"]
    low = re.search(r">=\s*([\d.]+)", requires).group(1)
    high = re.search(r"<\s*([\d.]+)", requires).group(1)
    as_tuple = lambda v: tuple(int(p) for p in v.split("."))  # noqa: E731
    assert as_tuple(low) <= as_tuple(version) < as_tuple(high)


def test_the_field_libraries_are_declared():
    deps = " ".join(_pyproject()["project"]["dependencies"])
    for name in ("polars", "pandas", "seaborn", "papermill", "statsmodels", "pyarrow", "nbconvert", "pydantic", "jupyterlab"):
        assert re.search(rf"\b{name}\b", deps), name
    dev = " ".join(_pyproject()["project"]["optional-dependencies"]["dev"])
    for name in ("pytest", "hypothesis", "nbval"):
        assert re.search(rf"\b{name}\b", dev), name


def test_every_declared_dependency_is_installed_in_this_environment():
    from importlib.metadata import PackageNotFoundError, version

    project = _pyproject()["project"]
    missing = []
    for req in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name = re.match(r"[A-Za-z0-9_.\-]+", req).group(0)
        try:
            version(name)
        except PackageNotFoundError:
            missing.append(name)
    assert not missing, f"not installed: {missing} (re-run make setup)"


def test_notebooks_are_committed_without_outputs():
    tracked = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    for name in tracked:
        nb = json.loads((ROOT / name).read_text())
        with_outputs = [c for c in nb["cells"] if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count"))]
        assert not with_outputs, f"{name} is committed with outputs"


def test_command_line_entry_point_answers_help():
    done = subprocess.run([sys.executable, "-m", "yot", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    for command in ("validate", "synth", "metrics", "evaluate", "fte", "run"):
        assert command in done.stdout
