"""The validated-extract cache: each table's validation result, kept on disk and reused while nothing
it depends on has changed (docs/DEVELOPING.md "The validated-extract cache").

Validating a national extract takes seconds; reading its result back takes a fraction of that. The
first load of a folder writes, per table, the accepted rows (typed Parquet), the rows set aside (as
read), the problems and the row counts; a later load of the same files reads them instead of
validating again. The report, the quarantine and the accepted rows are the same either way.

An entry is keyed by everything its result depends on:

* the sha256 of the table's file (its whole content: a change of one byte is a new key) and its
  format (``.csv`` and ``.parquet`` are read differently);
* for a table whose rows name a person, the key of the people entry (offences follow people set aside);
* the code that decides: the package version and the sha256 of the sources of ``yot/contract.py``
  (the contract), ``yot/load.py`` (the rules) and this module (the layout);

so an entry is never stale, only unused. Where: ``$YOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/yot``, else
``~/.cache/yot`` (never beside the extract, which may be read-only). Off: ``--no-cache`` on every
command that reads an extract, or ``YOT_NO_CACHE=1``. Clear: ``python -m yot cache clear`` (or delete
the folder). Entries are written into a private temporary folder and renamed into place in one step,
so a reader sees a whole entry or none, and two processes filling the same entry at once both
succeed (the second rename finds the entry there and discards its own copy).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

import yot
from yot.extract import TableCount

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

CACHE_ENV = "YOT_CACHE_DIR"
NO_CACHE_ENV = "YOT_NO_CACHE"
LAYOUT = 2
"""Bumped when the layout of an entry changes (the source hash of this module covers it too).
2: the parts are uncompressed Parquet (1: snappy)."""

_CODE_FILES = ("contract.py", "load.py", "cache.py")
_ENTRIES = "tables"
_META = "meta.json"
_PARTS = ("accepted", "quarantine", "problems")


def cache_dir() -> Path:
    """Where the cache lives: ``$YOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/yot``, else ``~/.cache/yot``."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "yot"


def cache_enabled(no_cache: bool = False) -> bool:
    """Whether to use the cache: not when ``no_cache`` (the ``--no-cache`` flag) or ``YOT_NO_CACHE`` is
    set to anything but ``""``, ``0``, ``false`` or ``no``."""
    flag = os.environ.get(NO_CACHE_ENV, "").strip().lower()
    return not no_cache and flag in ("", "0", "false", "no")


def file_sha256(path: Path) -> str:
    """sha256 of a file's whole content."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_code_key: str | None = None


def code_key_of(version: str, sources: dict[str, bytes]) -> str:
    """sha256 of a package version and the named source files (the code a cached result depends on)."""
    digest = hashlib.sha256(f"yot {version} layout {LAYOUT}\n".encode())
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name] + b"\0")
    return digest.hexdigest()


def code_key() -> str:
    """:func:`code_key_of` the installed version and the sources of the contract (``yot/contract.py``),
    the loader (``yot/load.py``) and this module; worked out once per process."""
    global _code_key
    if _code_key is None:
        here = Path(__file__).resolve().parent
        _code_key = code_key_of(yot.__version__, {name: (here / name).read_bytes() for name in _CODE_FILES})
    return _code_key


def entry_key(table: str, file: Path, *, people_key: str | None = None, code: str | None = None) -> str:
    """The key of one table's entry: its file's content and format, the people entry it was checked
    against (tables naming a person) and the code (:func:`code_key`)."""
    parts = {
        "table": table,
        "format": Path(file).suffix.lower(),
        "sha256": file_sha256(file),
        "people": people_key,
        "code": code or code_key(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class CachedTable:
    """One table's validation result as the cache keeps it (the parts of ``yot.load.TableLoad``)."""

    accepted: pl.DataFrame
    quarantine: pl.DataFrame
    problems: pl.DataFrame
    count: TableCount


def _entry_dir(root: Path, table: str, key: str) -> Path:
    return root / _ENTRIES / f"{table}-{key}"


def has_entry(table: str, key: str, root: Path | None = None) -> bool:
    """Whether the cache holds a whole entry for ``table`` under ``key``."""
    return (_entry_dir(root or cache_dir(), table, key) / _META).is_file()


def read_entry(table: str, key: str, root: Path | None = None) -> CachedTable | None:
    """The cached result of ``table`` under ``key``, or None when there is none (or it cannot be read:
    a damaged entry is a miss, never an error, and is removed so that the load writes it afresh)."""
    folder = _entry_dir(root or cache_dir(), table, key)
    meta_file = folder / _META
    if not meta_file.is_file():
        return None
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("table") != table or meta.get("key") != key:
            raise ValueError("an entry under another name")
        parts = {part: pl.read_parquet(folder / f"{part}.parquet") for part in _PARTS}
        count = TableCount(**meta["count"])
    except Exception:  # noqa: BLE001 - damaged, or cleared under us: validate again
        # Entries appear whole by rename and never change after, so one that cannot be read is damaged.
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return CachedTable(count=count, **parts)


def write_entry(
    table: str, key: str, result: CachedTable, root: Path | None = None, *, source: Path | None = None
) -> bool:
    """Store ``result`` under ``key`` (atomically: a temporary folder renamed into place). Returns
    whether the entry is there afterwards. A cache that cannot be written is warned about once and
    the load goes on without it.

    ``source``: the file the result came from. Once the entry is in place, the other entries of
    ``table`` that can no longer be used are removed (:func:`prune`), so the cache keeps one entry
    per file rather than one per version of it."""
    root = root or cache_dir()
    final = _entry_dir(root, table, key)
    if has_entry(table, key, root):
        return True
    tmp: Path | None = None
    try:
        (root / _ENTRIES).mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{table}-", suffix=".tmp", dir=root / _ENTRIES))
        for part in _PARTS:
            # uncompressed: written in three quarters of snappy's time and read as fast or a little
            # faster, for twice the size (the national people and offences: 0.37 s against 0.45 s to
            # write, 59 MB against 31 MB); snappy read in half zstd's time (0.10 s against 0.18 s).
            # Arrow IPC was tried: quicker to write, slower to read (0.16 s), 211 MB.
            getattr(result, part).write_parquet(tmp / f"{part}.parquet", compression="uncompressed",
                                                statistics=False)
        meta = {"table": table, "key": key, "version": yot.__version__, "layout": LAYOUT, "code": code_key(),
                "source": str(Path(source).resolve()) if source is not None else None,
                "count": {"read": result.count.read, "accepted": result.count.accepted,
                          "quarantined": result.count.quarantined}}
        (tmp / _META).write_text(json.dumps(meta), encoding="utf-8")
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / _META).is_file():  # not another process's finished entry: a real failure
                raise
        prune(table, key, root, source=source)
        return True
    except Exception as exc:  # noqa: BLE001 - the cache is an optimisation: never fail a load for it
        _warn_once(root, exc)
        return False
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


_writer: "ThreadPoolExecutor | None" = None
_pending: list["Future[bool]"] = []


def write_entry_soon(
    table: str, key: str, result: CachedTable, root: Path | None = None, *, source: Path | None = None
) -> None:
    """:func:`write_entry` in a background thread, so a command goes on to its own work while the
    entry is written (the frames are never changed, so they are safe to share). The process waits for
    every pending write before it ends (``concurrent.futures`` joins its threads at exit), and
    :func:`flush` waits for them on demand. For one-shot commands; a caller that reads the cache
    back at once (the runner, before its notebooks start) writes with :func:`write_entry`."""
    global _writer
    from concurrent.futures import ThreadPoolExecutor

    if _writer is None:
        _writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="yot-cache")
    _pending.append(_writer.submit(write_entry, table, key, result, root or cache_dir(), source=source))


def flush() -> None:
    """Wait for the entries :func:`write_entry_soon` is still writing."""
    while _pending:
        _pending.pop(0).result()


def prune(table: str, key: str, root: Path | None = None, *, source: Path | None = None) -> int:
    """Remove the entries of ``table`` other than ``key`` that were made by other code (another
    version, contract or loader: never read again by this one) or from the same ``source`` file (its
    earlier contents). Returns how many were removed. An entry shared by another folder holding the
    same file is only validated again there, never wrong."""
    folder = (root or cache_dir()) / _ENTRIES
    place = str(Path(source).resolve()) if source is not None else None
    removed = 0
    for entry in folder.glob(f"{table}-*"):
        if entry.name == f"{table}-{key}" or not entry.is_dir():
            continue
        try:
            meta = json.loads((entry / _META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being removed by another process, or not an entry: leave it
        if meta.get("code") != code_key() or (place is not None and meta.get("source") == place):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


_warned: set[Path] = set()


def _warn_once(root: Path, exc: BaseException) -> None:
    if root not in _warned:
        _warned.add(root)
        reason = getattr(exc, "strerror", None) or exc
        warnings.warn(f"yot: cannot write the validated-extract cache in {root} ({reason}); loading without it "
                      f"(set {CACHE_ENV} to a writable folder, or {NO_CACHE_ENV}=1)", RuntimeWarning, stacklevel=3)


def cache_size(root: Path | None = None) -> tuple[int, int]:
    """Entries and bytes in the cache."""
    folder = (root or cache_dir()) / _ENTRIES
    if not folder.is_dir():
        return 0, 0
    entries = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    size = sum(f.stat().st_size for p in entries for f in p.iterdir() if f.is_file())
    return len(entries), size


def clear(root: Path | None = None) -> int:
    """Delete every entry (and any abandoned temporary folder); returns the entries deleted. A process
    reading an entry as it goes finds it gone and validates again."""
    folder = (root or cache_dir()) / _ENTRIES
    if not folder.is_dir():
        return 0
    count = 0
    for path in folder.iterdir():
        if path.is_dir():
            count += not path.name.startswith(".")
            shutil.rmtree(path, ignore_errors=True)
    return count
