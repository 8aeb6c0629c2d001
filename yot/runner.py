"""The suite runner: every notebook run of a parameter file, executed with papermill, rendered to a
Steering Group pack.

Layout of one run (``<out>/runs/<timestamp>/``)::

    published/   index.html, one HTML page per notebook run (no code), methods.html, tables/*.csv
    analyst/     the executed notebooks; analyst/failed/ holds the partial output of any that failed
    manifest.json

``<out>/latest`` is a symlink swapped atomically (``os.replace``) to the newest run whose notebooks all
succeeded and whose published files passed the disclosure check, so a failed rerun never leaves a
half-old, half-new pack.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from yot.params import NotebookRun, Suite, cohort_complete_from, load_suite, plan_with_notes, suite_parameters

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
METHODS_MD = REPO_ROOT / "docs" / "methods.md"
KERNEL_NAME = "python3"
CELL_TIMEOUT_SECONDS = 900
REMOVED_TAGS = ("parameters", "injected-parameters", "remove_cell", "remove-cell", "yot-reset")
VERSIONED_PACKAGES = ("yot", "polars", "pandas", "pyarrow", "numpy", "scipy", "statsmodels", "matplotlib",
                      "seaborn", "papermill", "nbconvert", "nbclient", "ipykernel", "pydantic")


# ----------------------------------------------------------------------------------- results
@dataclasses.dataclass
class NotebookOutcome:
    """What happened to one notebook run: ``ok`` only when it executed and rendered."""

    run: NotebookRun
    ok: bool
    seconds: float
    executed: Path | None = None
    html: Path | None = None
    error: str | None = None
    provisional: bool = False


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
        return self.run_dir / "published"

    @property
    def analyst(self) -> Path:
        return self.run_dir / "analyst"

    @property
    def index(self) -> Path:
        return self.published / "index.html"


class RunError(Exception):
    """A problem that stops the run before any notebook starts (bad parameters are ParameterError)."""


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


# ----------------------------------------------------------------------------------- execute
def _error_text(exc: BaseException) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        count = getattr(exc, "exec_count", None)
        where = f" (in cell [{count}])" if count else ""
        return f"{ename}: {evalue}{where}"
    return f"{type(exc).__name__}: {exc}".strip()


RESET_SOURCE = (
    "# yot runner: this kernel may have run another notebook before; start from an empty namespace\n"
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import gc as _gc; _gc.collect(); del _gc"
)

_worker = threading.local()
_started: list[Any] = []
_started_lock = threading.Lock()


def _kernel_for_this_worker(cwd: Path, reuse: bool) -> Any | None:
    """This worker thread's warm kernel (started in ``cwd``), or None to let papermill start a fresh one.

    Reusing a kernel across notebooks saves its start-up and, above all, the suite's imports (polars,
    seaborn, scipy, statsmodels: several seconds a notebook). Each notebook still starts from an empty
    namespace (``RESET_SOURCE``), and a kernel that saw a failure is replaced, never reused.
    """
    if not reuse:
        return None
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = getattr(_worker, "km", None)
    if km is not None and km.has_kernel and run_sync(km.is_alive)():
        return km
    km = AsyncKernelManager(kernel_name=KERNEL_NAME)
    run_sync(km.start_kernel)(cwd=str(cwd))
    _worker.km = km
    with _started_lock:
        _started.append(km)
    return km


def _retire_worker_kernel() -> None:
    """Drop this worker's kernel after a failure: the next notebook gets a fresh one."""
    km = getattr(_worker, "km", None)
    _worker.km = None
    if km is not None:
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


def shutdown_kernels() -> None:
    """Stop every warm kernel the runner started."""
    with _started_lock:
        kms, _started[:] = list(_started), []
    for km in kms:
        _shutdown(km)


def execute_notebook(
    run: NotebookRun, notebooks_dir: Path, analyst_dir: Path, timeout: int = CELL_TIMEOUT_SECONDS,
    reuse_kernels: bool = True,
) -> tuple[Path | None, str | None]:
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
        notebook = nbformat.read(notebooks_dir / run.notebook, as_version=4)
        km = _kernel_for_this_worker(notebooks_dir, reuse_kernels)
        if km is not None:
            reset = nbformat.v4.new_code_cell(RESET_SOURCE)
            reset.metadata["tags"] = ["remove_cell", "yot-reset"]
            notebook.cells.insert(0, reset)
        papermill.execute_notebook(
            notebook,
            str(running),
            parameters=run.parameters,
            kernel_name=KERNEL_NAME,
            cwd=None if km is not None else str(notebooks_dir),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            report_mode=False,
            language="python",
            **({"km": km} if km is not None else {}),
        )
    except BaseException as exc:  # noqa: BLE001 - any failure is named and the others go on
        if isinstance(exc, KeyboardInterrupt):
            raise
        _retire_worker_kernel()
        failed = analyst_dir / "failed" / f"{run.name}.ipynb"
        failed.parent.mkdir(parents=True, exist_ok=True)
        if running.exists():
            os.replace(running, failed)
        return (failed if failed.exists() else None), _error_text(exc)
    done = analyst_dir / f"{run.name}.ipynb"
    os.replace(running, done)
    return done, None


# ----------------------------------------------------------------------------------- render
_PAGE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}<style type="text/css">{{ resources.yot_css }}
body.jp-Notebook { padding: 0; }
main { max-width: 1100px; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
</style>{% endblock extra_css %}
{%- block body_header -%}
<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
<nav class="yot-nav"><a href="index.html">Contents of the pack</a><a href="methods.html">How the figures are counted</a></nav>
<main>
{%- endblock body_header -%}
{% block body_footer %}
<footer class="yot-footer">{{ resources.yot_footer }}</footer>
</main>
</body>
{% endblock body_footer %}
"""


def _exporter() -> Any:
    import jinja2
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

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"yot_page.html.j2": _PAGE_TEMPLATE})],
        template_file="yot_page.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=set(REMOVED_TAGS), enabled=True), enabled=True)
    exporter.register_preprocessor(DropStderr(), enabled=True)
    return exporter


def render_html(executed: Path, html_path: Path, title: str, footer: str = "") -> None:
    """Render an executed notebook to a self-contained HTML page with no code: inputs, prompts, the
    parameters and injected-parameters cells and stderr are left out; figures are embedded."""
    import nbformat

    from yot.report import PAGE_CSS

    notebook = nbformat.read(executed, as_version=4)
    notebook.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(
        notebook, resources={"metadata": {"name": title}, "yot_css": PAGE_CSS, "yot_footer": footer}
    )
    html_path.parent.mkdir(parents=True, exist_ok=True)
    body = body.replace('alt="No description has been provided for this image"',
                        'alt="Chart: its title, axes and the text beside it say what it shows"')
    html_path.write_text(body, encoding="utf-8")


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


# ----------------------------------------------------------------------------------- the index
def _optional(module: str, name: str) -> Callable[..., Any] | None:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _latest(results: Sequence[Any]) -> list[Any]:
    """Per measure, the latest complete figure, and after it the latest provisional one if newer."""
    by_measure: dict[tuple[str, str], list[Any]] = {}
    for result in results:
        by_measure.setdefault((result.area, result.measure), []).append(result)
    chosen = []
    for rows in by_measure.values():
        with_data = sorted((r for r in rows if r.observed is not None), key=lambda r: r.year)
        complete = [r for r in with_data if not r.provisional]
        pick = complete[-1:] if complete else []
        provisional = [r for r in with_data if r.provisional and (not pick or r.year > pick[0].year)]
        pick += provisional[-1:]
        chosen.extend(pick or sorted(rows, key=lambda r: r.year)[-1:])
    return chosen


def _target_calls(extract: Any, suite: Suite, extract_date: dt.date | None) -> list[tuple[str, str, str, Callable]]:
    """(area, module, function, call) for each Theme 1 area of the suite: ``call(f)`` runs ``f`` with
    the suite's parameters exactly as the area's notebook does."""
    r = suite.reoffending
    calls: list[tuple[str, str, str, Callable]] = [(
        "Proven reoffending", "yot.measures", "reoffending_target_results",
        lambda f: f(extract, list(r.cohort_years), r.period, r.follow_up_months, r.waiting_months,
                    extract_date=extract_date, baseline_year=r.target.baseline_year,
                    baseline_value=r.target.baseline_value, change_per_year=r.target.change_per_year,
                    mode=r.target.mode, by_tier=r.targets_by_tier),
    )]
    if (fte := suite.first_time_entrants) is not None:
        calls.append((
            "First-time entrants", "yot.fte", "fte_target_results",
            lambda f: f(extract, list(fte.years), fte.period, baseline_year=fte.target.baseline_year,
                        change=fte.target.change, by_year=fte.target.by_year, mode=fte.target.mode,
                        extract_date=extract_date),
        ))
    if (sub := suite.substance_misuse) is not None:
        calls.append((
            "Substance misuse", "yot.substance", "substance_target_results",
            lambda f: f(extract, list(sub.years), sub.period, starts_target=sub.starts_target,
                        improvement_target=sub.improvement_target, extract_date=extract_date),
        ))
    return calls


def theme1_targets(extract: Any, suite: Suite, extract_date: dt.date | None) -> tuple[list[tuple[str, Any]], list[str]]:
    """The landing page's targets, computed with the functions the notebooks use.

    Returns (sections, failures): each section is (area, latest results, or a reason there are none).
    An area whose function is not in this version of the suite says "not yet available"; one whose
    function fails is a named failure of the run.
    """
    sections: list[tuple[str, Any]] = []
    failures: list[str] = []
    for area, module, name, call in _target_calls(extract, suite, extract_date):
        function = _optional(module, name)
        if function is None:
            sections.append((area, "Not yet available: this version of the suite does not compute it."))
            continue
        try:
            results = list(call(function))
        except Exception as exc:  # noqa: BLE001 - named in the failures, the run goes on
            failures.append(f"targets table, {area}: {type(exc).__name__}: {exc}")
            sections.append((area, "Could not be computed in this run (see the failures above)."))
            continue
        sections.append((area, _latest(results) if results else "No figures: the extract has no data for these years."))
    return sections, failures


def hidden_reoffending_baselines(extract: Any, suite: Suite, extract_date: dt.date | None) -> set[str]:
    """Per-tier reoffending targets whose baseline-year tier cohort is too small to show (see
    ``yot.report.small_tier_baselines``); empty when the measures are not available."""
    by_year = _optional("yot.measures", "measures_by_year")
    r = suite.reoffending
    if by_year is None or not r.targets_by_tier:
        return set()
    from yot.report import small_tier_baselines

    table = by_year(extract, [r.target.baseline_year], r.period, r.follow_up_months, r.waiting_months, extract_date)
    return small_tier_baselines(table, r.target.baseline_year, suite.disclosure.threshold)


# ----------------------------------------------------------------------------------- the run
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


def methods_markdown(methods: Path = METHODS_MD, aqa_dir: Path = REPO_ROOT / "docs" / "aqa") -> str:
    """The methods page's text: docs/methods.md, then the assumptions and caveats log (docs/aqa/*.md)."""
    parts = [methods.read_text(encoding="utf-8") if methods.exists() else "# Methods\n\nThe methods file is missing."]
    if aqa_dir.is_dir():
        parts += [p.read_text(encoding="utf-8")
                  for p in sorted(aqa_dir.glob("*.md"))]
    return "\n\n".join(parts)


def _page_group(run: NotebookRun) -> str:
    return {
        "data_quality.ipynb": "About the data",
        "reoffending_cohort.ipynb": "Proven reoffending, one cohort at a time",
        "targets.ipynb": "Theme 1 targets",
        "first_time_entrants.ipynb": "Theme 1 targets",
        "substance_misuse.ipynb": "Theme 1 targets",
        "evaluation.ipynb": "Do the programmes work? (matched comparisons)",
        "evaluation_comparison.ipynb": "Do the programmes work? (matched comparisons)",
    }.get(run.notebook, "Other reports")


def shown_dates(suite: Suite, extract_date: dt.date | None, today: dt.date) -> set[dt.date]:
    """Dates the pages show legitimately: period bounds, completion dates, the extract and run dates."""
    from yot.dates import period_bounds

    dates = {today} | ({extract_date} if extract_date else set())
    r = suite.reoffending
    sections = [(r.period, r.cohort_years)]
    sections += [(s.period, s.years) for s in (suite.first_time_entrants, suite.substance_misuse) if s is not None]
    for period, years in sections:
        for year in range(min(years) - 1, max(years) + 2):
            start, end = period_bounds(period, year)
            dates |= {start, end, cohort_complete_from(period, year, r.follow_up_months, r.waiting_months)}
    if suite.evaluation is not None:
        dates |= {suite.evaluation.start, suite.evaluation.end}
    return dates


def _disclosure_check(published: Path, extract: Any, threshold: int, allowed: set[dt.date]) -> list[str]:
    check = _optional("yot.disclosure", "check_published")
    if check is None:
        return []
    try:
        problems = check(published, extract, threshold, allowed_dates=sorted(allowed))
    except Exception as exc:  # noqa: BLE001
        return [f"disclosure check: {type(exc).__name__}: {exc}"]
    return [f"disclosure check: {p}" for p in (problems or [])]


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
) -> SuiteResult:
    """Run every notebook of the suite file ``params_path`` and build the pack under ``out``.

    Parameters are validated first (``ParameterError``); the extract is loaded once up front
    (``load``, by default ``yot.cli.load_for_command``, which exits 2 on a fatal load error). The
    notebooks then run ``jobs`` at a time; each finished one is rendered to HTML. ``latest`` moves
    only when everything succeeded.
    """
    started_wall, started = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    suite = load_suite(params_path)
    notebooks_dir = Path(notebooks_dir).resolve()
    data = Path(data_dir if data_dir is not None else (suite.data or "")).resolve()
    if data_dir is None and suite.data is None:
        raise RunError(f"{params_path}: no extract given: set 'data:' in the file or pass --data DIR")
    if load is None:
        from yot.cli import load_for_command as load
    extract = load(data)
    from yot.cohort import default_extract_date

    extract_date = suite.extract_date or default_extract_date(extract)

    out = Path(out).resolve()
    if (out / "latest").exists() and not (out / "latest").is_symlink():
        raise RunError(f"{out / 'latest'} is not a link made by yot run: move it away, then run again")
    run_dir = new_run_dir(out, started_wall)
    published, analyst = run_dir / "published", run_dir / "analyst"
    (published / "tables").mkdir(parents=True)
    analyst.mkdir()
    the_plan = plan_with_notes(suite, data_dir=data, tables_dir=published / "tables", methods_url="methods.html",
                               notebooks_dir=notebooks_dir)
    runs = the_plan.runs
    versions = package_versions()
    footer = (f"{suite.title}. Made by yot {versions.get('yot')} on {started_wall:%d %B %Y} from the extract "
              f"dated {extract_date:%d %B %Y}." if extract_date else f"{suite.title}.")

    outcomes: list[NotebookOutcome] = []
    with tempfile.TemporaryDirectory(prefix="yot-kernel-") as kernel_tmp:
        previous_path = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [str(own_kernel_dir(Path(kernel_tmp)))] + ([previous_path] if previous_path else [])
        )
        try:
            outcomes = _execute_all(runs, notebooks_dir, published, analyst, jobs, progress, footer, extract_date,
                                    reuse_kernels, out / "latest" / "manifest.json")
        finally:
            shutdown_kernels()
            if previous_path is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous_path
    outcomes.sort(key=lambda o: runs.index(o.run))
    try:
        (analyst / ".running").rmdir()
    except OSError:
        pass
    failures = [f"{o.run.name} ({o.run.notebook}): {o.error}" for o in outcomes if not o.ok]

    methods_text = methods_markdown()
    from yot.report import PageLink, index_html, methods_page

    (published / "methods.html").write_text(methods_page(methods_text, footer), encoding="utf-8")
    sections, target_failures = theme1_targets(extract, suite, extract_date)
    failures += target_failures
    try:
        hidden = hidden_reoffending_baselines(extract, suite, extract_date)
    except Exception as exc:  # noqa: BLE001
        failures.append(f"targets table, baselines: {type(exc).__name__}: {exc}")
        hidden = set()
    provisional_areas = {area for area, results in sections if not isinstance(results, str)
                         and any(r.provisional for r in results)}
    area_of = {"first_time_entrants.ipynb": "First-time entrants", "substance_misuse.ipynb": "Substance misuse"}
    pages = [
        PageLink(o.run.title, o.html.name if o.html else None, _page_group(o.run),
                 o.provisional or area_of.get(o.run.notebook) in provisional_areas, "ok" if o.ok else "failed")
        for o in outcomes
    ]
    index_path = published / "index.html"

    def write_index(failed: list[str]) -> None:
        index_path.write_text(index_html(
            suite_title=suite.title, yot_name=suite.yot, extract_date=extract_date, target_sections=sections,
            pages=pages, notes=the_plan.notes, failures=failed, threshold=suite.disclosure.threshold,
            footer=footer, hidden_baselines=hidden,
        ), encoding="utf-8")

    write_index(failures)
    disclosure_failures = _disclosure_check(published, extract, suite.disclosure.threshold,
                                            shown_dates(suite, extract_date, started_wall.date()))
    if disclosure_failures:
        failures += disclosure_failures
        write_index(failures)

    ended_wall = dt.datetime.now(dt.timezone.utc)
    manifest = {
        "suite": str(Path(params_path)),
        "parameters": suite_parameters(suite),
        "data_dir": str(data),
        "extract_date": extract_date.isoformat() if extract_date else None,
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
             "seconds": round(o.seconds, 2), "error": o.error, "provisional": o.provisional,
             "html": str(o.html.relative_to(run_dir)) if o.html else None,
             "executed": str(o.executed.relative_to(run_dir)) if o.executed else None,
             "parameters": o.run.parameters}
            for o in outcomes
        ],
        "notes": the_plan.notes,
        "failures": failures,
        "succeeded": not failures,
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    if not failures:
        point_latest(out, run_dir)
    return SuiteResult(run_dir, outcomes, failures, the_plan.notes, manifest)


def _is_provisional(run: NotebookRun, extract_date: dt.date | None) -> bool:
    if run.provisional_from is None:
        return False
    return extract_date is None or extract_date < run.provisional_from


def _one(run: NotebookRun, notebooks_dir: Path, published: Path, analyst: Path, footer: str,
         extract_date: dt.date | None, reuse_kernels: bool) -> NotebookOutcome:
    began = time.perf_counter()
    provisional = _is_provisional(run, extract_date)
    executed, error = execute_notebook(run, notebooks_dir, analyst, reuse_kernels=reuse_kernels)
    if error is not None:
        return NotebookOutcome(run, False, time.perf_counter() - began, executed, None, error, provisional)
    html_path = published / run.html_name
    try:
        render_html(executed, html_path, run.title + (" [p]" if provisional else ""), footer)
    except Exception as exc:  # noqa: BLE001
        html_path.unlink(missing_ok=True)
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return NotebookOutcome(run, False, time.perf_counter() - began, executed, None, f"rendering to HTML: {detail}",
                               provisional)
    return NotebookOutcome(run, True, time.perf_counter() - began, executed, html_path, None, provisional)


def longest_first(runs: list[NotebookRun], previous_manifest: Path) -> list[NotebookRun]:
    """Runs ordered by how long each took last time, longest first (unknown ones first of all), so a
    long notebook does not start last and hold up the end of the run. Plan order breaks ties."""
    try:
        seconds = {n["name"]: float(n["seconds"]) for n in json.loads(previous_manifest.read_text())["notebooks"]}
    except (OSError, ValueError, KeyError, TypeError):
        return list(runs)
    return sorted(runs, key=lambda r: -seconds.get(r.name, float("inf")))


def _execute_all(runs: list[NotebookRun], notebooks_dir: Path, published: Path, analyst: Path, jobs: int,
                 progress: bool, footer: str, extract_date: dt.date | None,
                 reuse_kernels: bool = True, previous_manifest: Path | None = None) -> list[NotebookOutcome]:
    from tqdm import tqdm

    outcomes: list[NotebookOutcome] = []
    bar = tqdm(total=len(runs), desc="notebooks", unit="nb", disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="notebook") as pool:
        order = longest_first(runs, previous_manifest) if previous_manifest else runs
        futures = {pool.submit(_one, run, notebooks_dir, published, analyst, footer, extract_date, reuse_kernels): run
                   for run in order}
        for future in as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            bar.set_postfix_str(f"{outcome.run.name} {'ok' if outcome.ok else 'FAILED'}", refresh=False)
            bar.update(1)
    bar.close()
    return outcomes
