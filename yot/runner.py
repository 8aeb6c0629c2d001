"""The suite runner: every page of a suite file, its notebook executed with papermill, checked, then
published as the Steering Group pack.

Layout of one run (``<out>/runs/<timestamp>/``)::

    published/   index.html, one page per notebook run (no code), methods.html, glossary.html,
                 tables/*.csv with their metadata sidecars: only after every page and the disclosure
                 check succeeded; never written by a notebook
    analyst/     the executed notebooks (exact figures in cells tagged ``analyst``), tables/ (exact),
                 failed/ (the partial output of any notebook that failed)
    private/     each page's own output (its saved page and tables), read by the runner and later pages
    manifest.json
    RUNNING / INTERRUPTED / FAILED   a mark while the run is going, or why it did not finish

``<out>/latest`` is a symlink swapped atomically (``os.replace``) to the newest run whose pages all
succeeded and whose published files passed the disclosure check. The pack is assembled in
``.staging/`` and renamed to ``published/`` only then; a failed run keeps it as ``unpublished/``, so
nothing that failed ever looks finished. The runner raises exceptions; the command line turns them
into exit codes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from yot.disclosure import check_published
from yot.extract import extract_date_notes
from yot.pages.registry import Run, plan
from yot.params import Suite, load_suite, suite_parameters

REPO_ROOT = Path(__file__).resolve().parent.parent


def _notebooks_dir() -> Path:
    """The suite's notebooks: ``notebooks/`` of the clone; in a non-editable install (``pip install .``)
    the copy shipped inside the package as ``yot/notebooks`` (pyproject.toml)."""
    clone = REPO_ROOT / "notebooks"
    return clone if (REPO_ROOT / "pyproject.toml").is_file() and clone.is_dir() else Path(__file__).resolve().parent / "notebooks"


NOTEBOOKS_DIR = _notebooks_dir()
EMBEDDED_SYNTHETIC = Path("data") / "synthetic"
"""Where the embedded synthetic extract lives, in the project folder (``make synth`` writes it)."""
KERNEL_NAME = "python3"
CELL_TIMEOUT_SECONDS = 900
REMOVED_TAGS = ("parameters", "injected-parameters", "analyst", "remove_cell", "remove-cell", "yot-reset")
"""Cells left out of every published page: parameters, the analyst's exact figures, helpers."""
VERSIONED_PACKAGES = ("yot", "polars", "pandas", "pyarrow", "numpy", "scipy", "statsmodels", "matplotlib",
                      "seaborn", "papermill", "nbconvert", "nbclient", "ipykernel", "pydantic", "jinja2")


# ----------------------------------------------------------------------------------- results
@dataclasses.dataclass
class NotebookOutcome:
    """What happened to one notebook run: ``ok`` only when it executed, saved its page and rendered."""

    run: Run
    ok: bool
    seconds: float
    executed: Path | None = None
    html: Path | None = None
    error: str | None = None


@dataclasses.dataclass
class SuiteResult:
    """A finished run of the suite: where it is, what failed, and the exit status to return."""

    run_dir: Path
    outcomes: list[NotebookOutcome]
    failures: list[str]
    notes: list[str]
    manifest: dict[str, Any]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def published(self) -> Path:
        return self.run_dir / ("published" if self.ok else "unpublished")

    @property
    def analyst(self) -> Path:
        return self.run_dir / "analyst"

    @property
    def index(self) -> Path:
        return self.published / "index.html"


class RunError(Exception):
    """A problem that stops the run before any notebook starts (bad parameters are ParameterError)."""


class RunInterrupted(Exception):
    """The run was stopped by Ctrl-C or SIGTERM: queued notebooks never started, running ones were
    interrupted, the run folder is marked INTERRUPTED and ``latest`` is unchanged."""


# ----------------------------------------------------------------------------------- the data
def project_root() -> Path:
    """The project folder: the clone holding pyproject.toml (an editable install); for an installed
    copy of yot (``pip install .``) there is no clone, and the current folder stands in for it."""
    return REPO_ROOT if (REPO_ROOT / "pyproject.toml").is_file() else Path.cwd()


def embedded_synthetic() -> Path:
    """The folder of the embedded synthetic extract: ``data/synthetic`` in the project folder."""
    return Path(os.path.abspath(project_root() / EMBEDDED_SYNTHETIC))


@dataclasses.dataclass(frozen=True)
class DataChoice:
    """The extract a run uses, where that choice came from, and why, in words for the run's output."""

    path: Path
    source: str  # "command line", "suite file" or "embedded synthetic"
    reason: str

    @property
    def line(self) -> str:
        return f"data: {self.path} ({self.reason})"


def choose_data(suite: Suite, data_dir: str | Path | None) -> DataChoice:
    """The extract of a run, by precedence: ``data_dir`` (``--data``, or ``make run DATA=...``), else the
    suite file's ``data:``, else the embedded synthetic extract.

    A relative ``--data`` is from the current folder (as for any command). A relative ``data:`` in the
    suite file is from the project folder (:func:`project_root`), wherever the command runs, as the
    suite files in ``parameters/`` are written (``data: data/synthetic``); an absolute one is used as
    it is.
    """
    if data_dir is not None:
        why = "given on the command line (--data, or make run DATA=...)"
        if suite.data:
            why += f"; it overrides the suite file's data: {suite.data}"
        return DataChoice(Path(os.path.abspath(Path(data_dir).expanduser())), "command line", why)
    if suite.data:
        given = Path(suite.data).expanduser()
        path = Path(os.path.abspath(given if given.is_absolute() else project_root() / given))
        where = "" if given.is_absolute() else f", relative to the project folder {project_root()}"
        return DataChoice(path, "suite file", f"the suite file's data: {suite.data}{where}; no --data or DATA= given")
    return DataChoice(embedded_synthetic(), "embedded synthetic",
                      "no --data or DATA= and no data: in the suite file: the embedded synthetic extract")


def ensure_embedded_synthetic(path: Path) -> bool:
    """Write the embedded synthetic extract (``yot synth``'s defaults) when ``path`` is its folder and it
    has not been written yet. Returns whether it wrote it. Any other folder is left alone."""
    if Path(os.path.abspath(path)) != embedded_synthetic() or (path / "SYNTHETIC").is_file():
        return False
    from yot.synth import generate, write

    tables, truth = generate()
    write(tables, truth, path)
    return True


# ----------------------------------------------------------------------------------- kernel
def own_kernel_dir(parent: Path) -> Path:
    """A kernelspec ``python3`` that starts this very interpreter, so notebooks run in the project's
    environment whatever kernels the user has installed (no kernelspec set-up step).

    Returns the directory to put first on ``JUPYTER_PATH``.
    """
    root = parent / "jupyter"
    spec_dir = root / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--IPKernelApp.log_level=50"],
        "display_name": "Python 3 (yot)",
        "language": "python",
        "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return root


RESET_SOURCE = (
    "# yot runner: this kernel may have run another notebook before; start from an empty namespace\n"
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import gc as _gc; _gc.collect(); del _gc"
)


class Kernels:
    """The warm kernels of a run: one per worker thread, reused between notebooks (each notebook still
    starts from an empty namespace), replaced after a failure, all stopped at the end or on cancel."""

    def __init__(self, reuse: bool):
        self.reuse = reuse
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def for_this_worker(self, cwd: Path) -> Any | None:
        if not self.reuse:
            return None
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = getattr(self._local, "km", None)
        if km is not None and km.has_kernel and run_sync(km.is_alive)():
            return km
        km = AsyncKernelManager(kernel_name=KERNEL_NAME)
        run_sync(km.start_kernel)(cwd=str(cwd))
        self._local.km = km
        with self._lock:
            self._all.append(km)
        return km

    def retire_this_worker(self) -> None:
        km = getattr(self._local, "km", None)
        self._local.km = None
        if km is not None:
            _shutdown(km)

    def shutdown(self) -> None:
        with self._lock:
            kms, self._all[:] = list(self._all), []
        for km in kms:
            _shutdown(km)


def _shutdown(km: Any) -> None:
    from jupyter_core.utils import run_sync

    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - best effort: the process is killed below
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            process.kill()


# ----------------------------------------------------------------------------------- execute
def _error_text(exc: BaseException) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        count = getattr(exc, "exec_count", None)
        where = f" (in cell [{count}])" if count else ""
        return f"{ename}: {str(evalue).strip().splitlines()[-1] if evalue else ''}{where}"
    return f"{type(exc).__name__}: {exc}".strip()


def execute_notebook(run: Run, notebooks_dir: Path, analyst_dir: Path, parameters: dict[str, Any],
                     kernels: Kernels, timeout: int = CELL_TIMEOUT_SECONDS) -> tuple[Path | None, str | None]:
    """Execute one notebook run with papermill in this environment's kernel.

    Output goes to ``analyst/.running/`` first and is then moved to ``analyst/<name>.ipynb`` when it
    finished, or to ``analyst/failed/<name>.ipynb`` (partial, with the error) when it did not.
    Returns (path of the executed notebook or None, error text or None).
    """
    import nbformat
    import papermill

    running = analyst_dir / ".running" / f"{run.name}.ipynb"
    running.parent.mkdir(parents=True, exist_ok=True)
    try:
        if kernels.stopping.is_set():
            raise RunInterrupted
        notebook = nbformat.read(notebooks_dir / run.notebook, as_version=4)
        km = kernels.for_this_worker(notebooks_dir)
        if km is not None:
            reset = nbformat.v4.new_code_cell(RESET_SOURCE)
            reset.metadata["tags"] = ["remove_cell", "yot-reset"]
            notebook.cells.insert(0, reset)
        papermill.execute_notebook(
            notebook, str(running), parameters=parameters, kernel_name=KERNEL_NAME,
            cwd=None if km is not None else str(notebooks_dir), progress_bar=False, log_output=False,
            execution_timeout=timeout, report_mode=False, language="python",
            **({"km": km} if km is not None else {}),
        )
    except BaseException as exc:  # noqa: BLE001 - any failure is named and the others go on
        kernels.retire_this_worker()
        if kernels.stopping.is_set() or isinstance(exc, KeyboardInterrupt | RunInterrupted):
            running.unlink(missing_ok=True)
            return None, "interrupted"
        failed = analyst_dir / "failed" / f"{run.name}.ipynb"
        failed.parent.mkdir(parents=True, exist_ok=True)
        if running.exists():
            os.replace(running, failed)
        return (failed if failed.exists() else None), _error_text(exc)
    done = analyst_dir / f"{run.name}.ipynb"
    os.replace(running, done)
    return done, None


# ----------------------------------------------------------------------------------- render
def _exporter() -> Any:
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

    class DropStderr(Preprocessor):
        """Warnings and logs written to stderr are for analysts, not the published page."""

        def preprocess_cell(self, cell, resources, index):  # noqa: ANN001
            if cell.get("cell_type") == "code":
                cell["outputs"] = [
                    o for o in cell.get("outputs", [])
                    if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                    and o.get("output_type") != "error"
                ]
            return cell, resources

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_markdown=True, embed_images=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=set(REMOVED_TAGS), enabled=True), enabled=True)
    exporter.register_preprocessor(DropStderr(), enabled=True)
    return exporter


def render_html(executed: Path, html_path: Path, title: str, *, synthetic: bool, yot: str, footer: str) -> None:
    """Render an executed notebook to a published page: its outputs only (no code, no markdown cells,
    no parameters, no analyst cells, no stderr), inside the pack's chrome, figures embedded."""
    import nbformat

    from yot.pages.render import document

    notebook = nbformat.read(executed, as_version=4)
    body, _ = _exporter().from_notebook_node(notebook)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(document(title, body, synthetic=synthetic, yot=yot, footer=footer), encoding="utf-8")
    os.chmod(html_path, 0o644)


# ----------------------------------------------------------------------------------- manifest
def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_hashes(data_dir: Path, files: dict[str, Path] | None = None) -> dict[str, str]:
    """sha256 of every input file: the extract's table files (or every file of the folder)."""
    paths = list(files.values()) if files else sorted(p for p in data_dir.iterdir() if p.is_file())
    return {str(p): sha256(Path(p)) for p in paths}


def package_versions() -> dict[str, str | None]:
    """Versions of the packages that shape the figures and pages."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def git_commit(repo: Path = REPO_ROOT) -> dict[str, Any] | None:
    """The commit of the code that made the pack, and whether the working tree had changes."""
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=20, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "uncommitted_changes": bool(dirty)}


# ----------------------------------------------------------------------------------- folders
def _timestamp(now: dt.datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


def new_run_dir(out: Path, now: dt.datetime) -> Path:
    """A fresh ``<out>/runs/<timestamp>`` folder (suffixed if two runs start in the same second)."""
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    base = _timestamp(now)
    for suffix in [""] + [f"-{i}" for i in range(1, 1000)]:
        candidate = runs / f"{base}{suffix}"
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise RunError(f"cannot make a fresh run folder under {runs}")


def point_latest(out: Path, run_dir: Path) -> Path:
    """Atomically point ``<out>/latest`` at ``run_dir`` (a relative symlink swapped with os.replace)."""
    latest = out / "latest"
    temporary = out / f".latest-{os.getpid()}-{time.monotonic_ns()}"
    temporary.symlink_to(os.path.relpath(run_dir, out), target_is_directory=True)
    os.replace(temporary, latest)
    return latest


HEAVY_KINDS: tuple[str, ...] = ("evaluation",)
"""Page kinds that take longest on any extract (the matching of a whole comparison pool): with no
timings from an earlier run, they start first."""


def longest_first(runs: list[Run], previous_manifest: Path | None) -> list[Run]:
    """Runs ordered by how long each took last time, longest first (unknown ones first of all, the
    heavy kinds among them first: :data:`HEAVY_KINDS`), so a long notebook does not start last and
    hold up the end of the run. Plan order breaks ties."""
    try:
        seconds = {n["name"]: float(n["seconds"]) for n in json.loads(previous_manifest.read_text())["notebooks"]}
    except (AttributeError, OSError, ValueError, KeyError, TypeError):
        seconds = {}
    return sorted(runs, key=lambda r: (-seconds.get(r.name, float("inf")), r.kind not in HEAVY_KINDS))


def notebooks_available(notebooks_dir: Path, runs: list[Run]) -> None:
    """Fail closed: a missing or empty notebooks folder, or a page whose notebook is not there, is an
    error before anything runs (an empty pack is never published)."""
    if not notebooks_dir.is_dir() or not any(notebooks_dir.glob("*.ipynb")):
        raise RunError(f"{notebooks_dir}: no notebooks there (give the suite's notebooks folder)")
    missing = sorted({r.notebook for r in runs if not (notebooks_dir / r.notebook).is_file()})
    if missing:
        raise RunError(f"{notebooks_dir}: notebooks missing: {', '.join(missing)}")
    if not runs:
        raise RunError("the suite file gives no page to make")


# ----------------------------------------------------------------------------------- cancel
@contextmanager
def stop_on_signals(kernels: Kernels) -> Iterator[threading.Event]:
    """While running, Ctrl-C (SIGINT) and SIGTERM set ``stopping``: queued notebooks are not started
    and the running kernels are shut down, so their notebooks end within seconds. Outside the main
    thread (tests) signals are left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield kernels.stopping
        return

    def stop(signum: int, frame: Any) -> None:  # noqa: ARG001
        if not kernels.stopping.is_set():
            kernels.stopping.set()
            threading.Thread(target=kernels.shutdown, daemon=True).start()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield kernels.stopping
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


# ----------------------------------------------------------------------------------- the run
def _footer(suite: Suite, extract_date: dt.date | None, made: dt.datetime, version: str | None) -> str:
    status = suite.publication.status if getattr(suite, "publication", None) else "Management information"
    when = f" Figures as at {extract_date:%-d %B %Y}." if extract_date else ""
    return f"{suite.title}. {status}.{when} Made by yot {version} on {made:%-d %B %Y}."


def run_suite(
    params_path: str | Path,
    *,
    data_dir: str | Path | None = None,
    out: str | Path = "outputs",
    jobs: int = 2,
    notebooks_dir: str | Path = NOTEBOOKS_DIR,
    load: Callable[[Path], Any] | None = None,
    progress: bool = True,
    reuse_kernels: bool = True,
    report: Callable[[str], None] | None = None,
) -> SuiteResult:
    """Run every page of the suite file ``params_path`` and build the pack under ``out``.

    Parameters are validated first (``ParameterError``); the extract is loaded and validated once up
    front (``load``, by default :func:`yot.load.load_extract`, which also warms the validated-extract
    cache the notebooks then read; a fatal problem raises ``LoadError``). Notebooks run ``jobs`` at a
    time (a page that reads other pages waits for them); each writes its page into its private folder;
    the runner renders, checks and publishes. ``latest`` moves only when everything succeeded.
    The extract is chosen by :func:`choose_data`; ``report`` is given one line at a time what the run
    decided (which extract and why, the extract date) as it goes. Raises :class:`RunInterrupted` on
    Ctrl-C or SIGTERM.
    """
    from yot.cohort import default_extract_date
    from yot.extract import as_at, latest_date

    say = report or (lambda line: None)
    started_wall, started = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    suite = load_suite(params_path)
    notebooks_dir = Path(notebooks_dir).resolve()
    runs = plan(suite)
    notebooks_available(notebooks_dir, runs)
    choice = choose_data(suite, data_dir)
    data = choice.path
    say(choice.line)
    if ensure_embedded_synthetic(data):
        say(f"wrote the embedded synthetic extract to {data} (it was not there yet)")
    if load is None:
        from yot.load import load_extract as load
    extract = load(data)
    notes = extract_date_notes(suite.extract_date, latest_date(extract))
    extract_date = suite.extract_date or default_extract_date(extract)
    if suite.extract_date is not None:
        extract = as_at(extract, suite.extract_date)
    for note in notes:
        say(f"note: {note}")

    out = Path(out).resolve()
    if (out / "latest").exists() and not (out / "latest").is_symlink():
        raise RunError(f"{out / 'latest'} is not a link made by yot run: move it away, then run again")
    run_dir = new_run_dir(out, started_wall)
    (run_dir / "RUNNING").write_text(f"started {started_wall.isoformat(timespec='seconds')}\n", encoding="utf-8")
    staging, analyst, private = run_dir / ".staging", run_dir / "analyst", run_dir / "private"
    for folder in (staging / "tables", analyst / "tables", private):
        folder.mkdir(parents=True)
    versions = package_versions()
    footer = _footer(suite, extract_date, started_wall, versions.get("yot"))
    synthetic = bool(getattr(extract, "synthetic", False))

    kernels = Kernels(reuse_kernels)
    outcomes: list[NotebookOutcome] = []
    # Ctrl-C and SIGTERM are caught until the pack is renamed into place (stop_on_signals): a signal
    # while notebooks run or while the pack is assembled and checked ends the run as interrupted.
    with stop_on_signals(kernels) as stopping:
        with tempfile.TemporaryDirectory(prefix="yot-kernel-") as kernel_tmp:
            previous_path = os.environ.get("JUPYTER_PATH")
            os.environ["JUPYTER_PATH"] = os.pathsep.join(
                [str(own_kernel_dir(Path(kernel_tmp)))] + ([previous_path] if previous_path else []))
            try:
                outcomes = _execute_all(runs, notebooks_dir, data, private, staging, analyst, jobs, progress, kernels,
                                        synthetic, suite.yot, footer, out / "latest" / "manifest.json")
            finally:
                kernels.shutdown()
                if previous_path is None:
                    os.environ.pop("JUPYTER_PATH", None)
                else:
                    os.environ["JUPYTER_PATH"] = previous_path
        if stopping.is_set():
            _mark_interrupted(run_dir, staging)
        outcomes.sort(key=lambda o: runs.index(o.run))
        shutil.rmtree(analyst / ".running", ignore_errors=True)
        failures = [f"{o.run.name} ({o.run.notebook}): {o.error}" for o in outcomes if not o.ok]

        from yot.pages import index as index_page

        saved = index_page.saved_pages(private, [o.run for o in outcomes if o.ok])
        try:
            index_page.write_pack_pages(staging, suite, saved, runs, [o.run.name for o in outcomes if not o.ok], failures,
                                        extract_date=extract_date, synthetic=synthetic, footer=footer)
        except Exception as exc:  # noqa: BLE001 - named, and the run fails
            failures.append(f"index page: {type(exc).__name__}: {exc}")
        from yot.compare import for_yot
        from yot.disclosure import coverage_dates

        # a multi-YOT extract: the pages show the coverage of the suite's YOT, not of the whole extract
        problems = check_published(staging, extract, suite.disclosure.threshold,
                                   allowed_dates=sorted(shown_dates(suite, extract_date, started_wall.date())
                                                        | coverage_dates(for_yot(extract, suite.yot))))
        failures += [f"disclosure check: {p}" for p in problems]
        if failures:
            index_page.write_pack_pages(staging, suite, saved, runs, [o.run.name for o in outcomes if not o.ok], failures,
                                        extract_date=extract_date, synthetic=synthetic, footer=footer)
        if stopping.is_set():
            _mark_interrupted(run_dir, staging)
        pack = run_dir / ("unpublished" if failures else "published")
        os.replace(staging, pack)
        for outcome in outcomes:
            if outcome.html is not None:
                outcome.html = pack / outcome.html.name

    ended_wall = dt.datetime.now(dt.timezone.utc)
    manifest = {
        "suite": str(Path(params_path)),
        "parameters": suite_parameters(suite),
        "data_dir": str(data),
        "data_source": choice.source,
        "data_reason": choice.reason,
        "extract_date": extract_date.isoformat() if extract_date else None,
        "synthetic": synthetic,
        "inputs": input_hashes(data, getattr(extract, "files", None)),
        "notebook_sources": {n: sha256(notebooks_dir / n) for n in sorted({r.notebook for r in runs})},
        "versions": versions,
        "git": git_commit(),
        "started": started_wall.isoformat(timespec="seconds"),
        "ended": ended_wall.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 2),
        "jobs": jobs,
        "notebooks": [
            {"name": o.run.name, "notebook": o.run.notebook, "title": o.run.title, "status": "ok" if o.ok else "failed",
             "seconds": round(o.seconds, 2), "error": o.error,
             "html": f"published/{o.run.name}.html" if o.ok and not failures else None,
             "executed": str(o.executed.relative_to(run_dir)) if o.executed else None,
             "parameters": o.run.parameters}
            for o in outcomes
        ],
        "notes": notes,
        "failures": failures,
        "succeeded": not failures,
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    (run_dir / "RUNNING").unlink(missing_ok=True)
    if failures:
        (run_dir / "FAILED").write_text("\n".join(failures) + "\n", encoding="utf-8")
    else:
        point_latest(out, run_dir)
    return SuiteResult(run_dir, outcomes, failures, notes, manifest)


def _mark_interrupted(run_dir: Path, staging: Path) -> None:
    """End an interrupted run: nothing published, the run folder marked INTERRUPTED; raises."""
    shutil.rmtree(staging, ignore_errors=True)
    (run_dir / "RUNNING").unlink(missing_ok=True)
    (run_dir / "INTERRUPTED").write_text("stopped by Ctrl-C or SIGTERM before it finished; nothing was published\n",
                                         encoding="utf-8")
    raise RunInterrupted(str(run_dir))


def shown_dates(suite: Suite, extract_date: dt.date | None, today: dt.date) -> set[dt.date]:
    """Dates the pages show legitimately: period bounds, completion dates, the extract and run dates."""
    from yot.dates import add_months, period_bounds

    dates = {today} | ({extract_date} if extract_date else set())
    r = suite.reoffending
    sections = [(r.period, r.cohort_years)]
    sections += [(s.period, s.years) for s in (suite.first_time_entrants, suite.substance_misuse) if s is not None]
    for period, years in sections:
        for year in range(min(years) - 1, max(years) + 2):
            start, end = period_bounds(period, year)
            dates |= {start, end, add_months(end, r.follow_up_months + r.waiting_months), add_months(end, 6)}
    if suite.evaluation is not None:
        dates |= {suite.evaluation.start, suite.evaluation.end}
    return dates


def _one(run: Run, notebooks_dir: Path, data: Path, private: Path, staging: Path, analyst: Path, kernels: Kernels,
         synthetic: bool, yot: str, footer: str) -> NotebookOutcome:
    began = time.perf_counter()
    folder = private / run.name
    parameters = {**run.parameters, "data_dir": str(data), "output_dir": str(folder)}
    if run.after:
        parameters["pages_dir"] = str(private)
    executed, error = execute_notebook(run, notebooks_dir, analyst, parameters, kernels)
    if error is None and not (folder / f"{run.name}.page.json").is_file():
        error = "the notebook did not save its page (page.save)"
    if error is not None:
        return NotebookOutcome(run, False, time.perf_counter() - began, executed, None, error)
    html_path = staging / f"{run.name}.html"
    try:
        render_html(executed, html_path, run.title, synthetic=synthetic, yot=yot, footer=footer)
        for csv in sorted((folder / "tables").glob("*")):
            shutil.copy2(csv, staging / "tables" / csv.name)
        for exact in sorted((folder / "exact").glob("*.parquet")):
            shutil.copy2(exact, analyst / "tables" / exact.name)
    except Exception as exc:  # noqa: BLE001
        html_path.unlink(missing_ok=True)
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return NotebookOutcome(run, False, time.perf_counter() - began, executed, None, f"rendering: {detail}")
    return NotebookOutcome(run, True, time.perf_counter() - began, executed, html_path, None)


def _execute_all(runs: list[Run], notebooks_dir: Path, data: Path, private: Path, staging: Path, analyst: Path,
                 jobs: int, progress: bool, kernels: Kernels, synthetic: bool, yot: str, footer: str,
                 previous_manifest: Path | None = None) -> list[NotebookOutcome]:
    """Every run, ``jobs`` at a time; a run starts once the runs it reads have finished (if one of them
    failed, it fails too, named)."""
    from tqdm import tqdm

    outcomes: dict[str, NotebookOutcome] = {}
    waiting = longest_first(runs, previous_manifest)
    bar = tqdm(total=len(runs), desc="notebooks", unit="nb", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    running: dict[Future[NotebookOutcome], Run] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="notebook") as pool:
        while (waiting or running) and not kernels.stopping.is_set():
            for run in list(waiting):
                if len(running) >= max(1, jobs):
                    break
                if all(n in outcomes for n in run.after):
                    waiting.remove(run)
                    broken = [n for n in run.after if not outcomes[n].ok]
                    if broken:
                        outcomes[run.name] = NotebookOutcome(run, False, 0.0, error=f"needs {', '.join(broken)}, "
                                                                                     "which failed")
                        bar.update(1)
                        continue
                    running[pool.submit(_one, run, notebooks_dir, data, private, staging, analyst, kernels,
                                        synthetic, yot, footer)] = run
            if not running:
                continue
            done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                running.pop(future)
                outcome = future.result()
                outcomes[outcome.run.name] = outcome
                bar.set_postfix_str(f"{outcome.run.name} {'ok' if outcome.ok else 'FAILED'}", refresh=False)
                bar.update(1)
        for future in running:  # stopping: let the interrupted ones end
            future.result()
    bar.close()
    return list(outcomes.values())
