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


def test_environment_yml_installs_only_python_and_pip_from_conda():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
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


# ------------------------------------------------------------------------------- the lock file
def _lock() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    return {_canonical(n): v for n, v in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", text, flags=re.M)}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_lock_pins_every_dependency_of_pyproject_within_its_specifier_with_hashes():
    from packaging.requirements import Requirement

    lock = _lock()
    project = _pyproject()["project"]
    for text in project["dependencies"] + project["optional-dependencies"]["dev"]:
        req = Requirement(text)
        name = _canonical(req.name)
        assert name in lock, f"{req.name} is in pyproject.toml but not pinned in requirements.lock (make lock)"
        assert req.specifier.contains(lock[name], prereleases=True), (
            f"requirements.lock pins {req.name}=={lock[name]}, outside pyproject.toml's {req.specifier} (make lock)")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.lock").read_text())
    pinned = [b for b in blocks if "==" in b.split("\n", 1)[0]]
    assert len(pinned) == len(lock) and all("--hash=sha256:" in b for b in pinned), "every pin carries its hashes"


def test_the_lock_is_what_this_environment_runs():
    """make setup installs the lock: the packages here are the locked versions (an environment set up
    before the lock, or by hand, shows up here)."""
    from importlib.metadata import PackageNotFoundError, version

    differ = {}
    for name, pinned in _lock().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            differ[name] = (pinned, installed)
    assert not differ, f"locked vs installed: {differ} (make setup)"


def _make_dry_run(*args: str) -> list[str]:
    done = subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_make_setup_and_ci_install_from_the_lock():
    for changed in ("requirements.lock", "pyproject.toml"):  # either one changing re-installs, from the lock
        lines = _make_dry_run("-W", changed, "setup")
        assert any(ln.endswith("-m pip install --quiet --require-hashes -r requirements.lock") for ln in lines), lines
        assert any(ln.endswith("-m pip install --quiet --no-deps -e .") for ln in lines), lines
        assert not any("--upgrade" in ln or "[dev]" in ln for ln in lines), lines
    assert any("uv pip compile pyproject.toml --extra dev --generate-hashes" in ln
               for ln in _make_dry_run("-W", "pyproject.toml", "lock"))
    assert "make test" in (ROOT / ".ci" / "run").read_text()  # CI: make test, which depends on setup


def test_the_synthetic_extract_is_remade_when_its_generator_or_the_contract_changes():
    for changed in ("yot/synth.py", "yot/contract.py"):
        lines = _make_dry_run("-o", ".venv/.installed-stamp", "-W", changed, "synth")
        assert any("-m yot synth --out data/synthetic" in ln for ln in lines), (changed, lines)


def test_make_lab_passes_lab_args():
    lines = _make_dry_run("-o", ".venv/.installed-stamp", "-o", "data/synthetic/.complete", "lab",
                          "LAB_ARGS=--allow-root --port 8890")
    assert lines[-1].endswith("jupyter lab --allow-root --port 8890 notebooks/"), lines


def test_environment_yml_installs_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert [d for d in env["dependencies"] if isinstance(d, dict)] == [
        {"pip": ["--require-hashes", "-r requirements.lock"]}]


# ------------------------------------------------------------------------------- a non-editable install
def test_the_built_package_ships_every_notebook_the_suite_runs_and_the_templates(tmp_path):
    """What `pip install .` installs (setuptools' build_py into a folder laid out as site-packages):
    every subpackage, the page templates and, as yot/notebooks, every notebook the plan runs."""
    from yot.pages.registry import plan
    from yot.params import load_suite

    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (source / name).write_bytes((ROOT / name).read_bytes())
    tracked = subprocess.run(["git", "ls-files", "yot", "notebooks"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    for name in tracked + [str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")]:
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            target.write_bytes((ROOT / name).read_bytes())
    built = tmp_path / "lib"
    done = subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py", "-d",
                           str(built)], cwd=source, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    shipped = {str(p.relative_to(built)) for p in built.rglob("*") if p.is_file()}
    runs = plan(load_suite(ROOT / "parameters" / "barnet_2005_2008.yaml"))
    for notebook in {r.notebook for r in runs}:
        assert f"yot/notebooks/{notebook}" in shipped, notebook
    templates = [t for t in tracked if t.startswith("yot/templates/")]
    assert templates
    for template in templates:
        assert template in shipped, template
    for init in (ROOT / "yot").rglob("__init__.py"):
        assert str(init.relative_to(ROOT)) in shipped, f"{init.parent} is not in pyproject.toml's packages"


def test_an_installed_copy_finds_its_notebooks_inside_the_package(tmp_path, monkeypatch):
    import yot.runner as runner

    monkeypatch.setattr(runner, "REPO_ROOT", tmp_path)  # site-packages: no pyproject.toml, no notebooks/
    assert runner._notebooks_dir() == Path(runner.__file__).resolve().parent / "notebooks"
    monkeypatch.setattr(runner, "REPO_ROOT", ROOT)
    assert runner._notebooks_dir() == ROOT / "notebooks"
