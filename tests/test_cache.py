"""The validated-extract cache (yot.cache) and loading only the tables a command needs (yot.load).

Each test points ``YOT_CACHE_DIR`` at its own folder and writes a tiny extract by hand; whether the
loader validated a table or read it from the cache is seen by counting the calls to ``validate_table``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import warnings
from pathlib import Path

import polars as pl
import pytest

import yot
import yot.cache
import yot.load
from yot.cache import CachedTable, cache_dir, cache_enabled, code_key_of, entry_key, read_entry, write_entry
from yot.cli import main
from yot.contract import TABLES
from yot.extract import TableCount
from yot.load import LoadError, load_extract, load_report_json, needed_tables, write_quarantine

PEOPLE = "person_id,date_of_birth,sex,ethnicity,yot"
OFFENCES = "offence_id,person_id,offence_date,outcome_date,offence_type,gravity,outcome,release_date"
INTERVENTIONS = "intervention_id,person_id,programme,start_date,end_date,status"
POPULATION = "yot,year,age,sex,count"

# P3 breaks a rule (sex 'm'), so O3 (P3's offence) follows it into quarantine; O4 has gravity 9.
PEOPLE_ROWS = ["P1,1990-01-01,M,White,Barnet", "P2,1991-06-15,F,Black,Barnet", "P3,1990-01-01,m,White,Barnet"]
OFFENCE_ROWS = [
    "O1,P1,2005-01-10,2005-02-01,theft,3,fine,",
    "O2,P2,2005-03-01,2005-04-01,robbery,5,detention_training_order,2005-10-01",
    "O3,P3,2005-03-01,2005-04-01,theft,2,fine,",
    "O4,P1,2005-05-01,2005-06-01,theft,9,fine,",
]
INTERVENTION_ROWS = ["I1,P1,ISSP,2005-02-10,,ongoing", "I2,P2,ISSP,2005-03-10,2005-01-01,completed"]


def write(folder: Path, table: str, header: str, rows: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def extract_dir(folder: Path) -> Path:
    write(folder, "people", PEOPLE, PEOPLE_ROWS)
    write(folder, "offences", OFFENCES, OFFENCE_ROWS)
    write(folder, "interventions", INTERVENTIONS, INTERVENTION_ROWS)
    write(folder, "population", POPULATION, ["Barnet,2005,10,M,2100"])
    return folder


@pytest.fixture(autouse=True)
def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: no table loaded earlier in it (yot.load._LAST)."""
    monkeypatch.setattr(yot.load, "_LAST", {})


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("YOT_CACHE_DIR", str(root))
    monkeypatch.delenv("YOT_NO_CACHE", raising=False)
    return root


@pytest.fixture
def validated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tables ``validate_table`` is called for, in order (it still does its work)."""
    calls: list[str] = []
    real = yot.load.validate_table

    def spy(table, frame, accepted_people=None):  # noqa: ANN001, ANN202 - same signature as the real one
        calls.append(table.name)
        return real(table, frame, accepted_people)

    monkeypatch.setattr(yot.load, "validate_table", spy)
    return calls


def entries(root: Path) -> list[str]:
    folder = root / "tables"
    return sorted(p.name.split("-")[0] for p in folder.iterdir()) if folder.exists() else []


# --- hits and misses -----------------------------------------------------------------------------


def test_second_load_reads_the_cache_and_validates_nothing(tmp_path: Path, cache_root: Path,
                                                           validated: list[str]) -> None:
    folder = extract_dir(tmp_path / "x")
    first = load_extract(folder)
    assert validated == ["people", "offences", "interventions", "population"]
    assert entries(cache_root) == ["interventions", "offences", "people", "population"]
    validated.clear()
    second = load_extract(folder)
    assert validated == []
    assert second.counts == first.counts == {
        "people": TableCount(3, 2, 1), "offences": TableCount(4, 2, 2),
        "interventions": TableCount(2, 1, 1), "population": TableCount(1, 1, 0),
    }
    assert second.present == first.present
    assert second.files == first.files
    for name in TABLES:
        assert second.table(name).equals(first.table(name))
        assert second.table(name).schema == TABLES[name].schema


def test_a_changed_byte_invalidates_that_table_even_with_size_and_mtime_kept(
    tmp_path: Path, cache_root: Path, validated: list[str]
) -> None:
    folder = extract_dir(tmp_path / "x")
    load_extract(folder)
    path = folder / "offences.csv"
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(b"theft,9,", b"theft,8,"))  # O4's gravity now in range
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    validated.clear()
    extract = load_extract(folder)
    assert validated == ["offences"]  # people, interventions and population still come from the cache
    assert entries(cache_root) == ["interventions", "offences", "people", "population"]  # the old one went
    assert extract.counts["offences"] == TableCount(4, 3, 1)
    assert extract.offences.get_column("offence_id").to_list() == ["O1", "O2", "O4"]


def test_a_changed_people_file_revalidates_the_tables_that_name_people(
    tmp_path: Path, cache_root: Path, validated: list[str]
) -> None:
    folder = extract_dir(tmp_path / "x")
    load_extract(folder)
    write(folder, "people", PEOPLE, [*PEOPLE_ROWS[:2], "P3,1990-01-01,M,White,Barnet"])  # P3 now accepted
    validated.clear()
    extract = load_extract(folder)
    assert validated == ["people", "offences", "interventions"]  # not population: it names no one
    assert extract.counts["offences"] == TableCount(4, 3, 1)  # O3 follows P3 back in


def test_a_changed_contract_or_loader_source_changes_the_code_key() -> None:
    sources = {"contract.py": b"A", "load.py": b"B", "cache.py": b"C"}
    key = code_key_of("0.1.0", sources)
    assert code_key_of("0.1.0", dict(sources)) == key
    assert code_key_of("0.1.0", {**sources, "contract.py": b"A "}) != key
    assert code_key_of("0.1.0", {**sources, "load.py": b"b"}) != key
    assert code_key_of("0.1.1", sources) != key


def test_a_changed_contract_hash_invalidates_every_table(tmp_path: Path, cache_root: Path, validated: list[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = extract_dir(tmp_path / "x")
    load_extract(folder)
    here = Path(yot.cache.__file__).parent
    real = {name: (here / name).read_bytes() for name in ("contract.py", "load.py", "cache.py")}
    changed = {**real, "contract.py": real["contract.py"] + b"\n# a new rule\n"}
    monkeypatch.setattr(yot.cache, "_code_key", code_key_of(yot.__version__, changed))
    validated.clear()
    load_extract(folder)
    assert validated == ["people", "offences", "interventions", "population"]


def test_a_new_package_version_invalidates_every_table(tmp_path: Path, cache_root: Path, validated: list[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = extract_dir(tmp_path / "x")
    load_extract(folder)
    other = tmp_path / "y"  # the same files in another folder: the entries are shared
    for table in ("people", "offences", "interventions", "population"):
        (other / f"{table}.csv").parent.mkdir(exist_ok=True)
        (other / f"{table}.csv").write_bytes((folder / f"{table}.csv").read_bytes())
    monkeypatch.setattr(yot, "__version__", yot.__version__ + ".post1")
    monkeypatch.setattr(yot.cache, "_code_key", None)
    validated.clear()
    load_extract(other)
    assert validated == ["people", "offences", "interventions", "population"]
    assert entries(cache_root) == ["interventions", "offences", "people", "population"]  # the old code's went
    yot.load._LAST.clear()
    validated.clear()
    load_extract(folder)
    assert validated == []
    validated.clear()
    load_extract(folder)
    assert validated == []


def test_csv_and_parquet_of_the_same_table_are_different_entries(tmp_path: Path) -> None:
    folder = extract_dir(tmp_path / "x")
    csv_key = entry_key("population", folder / "population.csv")
    pl.read_csv(folder / "population.csv").write_parquet(folder / "population.parquet")
    assert entry_key("population", folder / "population.parquet") != csv_key


# --- the same answer with and without the cache ---------------------------------------------------


def test_report_quarantine_and_rows_are_identical_with_and_without_the_cache(tmp_path: Path,
                                                                              cache_root: Path) -> None:
    folder = extract_dir(tmp_path / "x")
    plain = load_extract(folder, cache=False)
    assert not cache_root.exists()  # cache=False neither reads nor writes
    cold = load_extract(folder)
    warm = load_extract(folder)
    assert len(plain.problems) == 4  # sex m, O3's person, O4's gravity, I2's end date
    reports = {load_report_json(e) for e in (plain, cold, warm)}
    assert len(reports) == 1
    written = {}
    for label, extract in (("plain", plain), ("cold", cold), ("warm", warm)):
        files = write_quarantine(extract, tmp_path / label)
        written[label] = {p.name: p.read_bytes() for p in files}
        for name in TABLES:
            assert extract.table(name).equals(plain.table(name)), name
        for name, frame in plain.quarantine.items():
            assert extract.quarantine[name].equals(frame) and extract.quarantine[name].schema == frame.schema
    assert written["plain"] == written["cold"] == written["warm"]
    assert set(written["plain"]) == {"people.csv", "offences.csv", "interventions.csv"}


def test_no_cache_environment_variable_turns_it_off(tmp_path: Path, cache_root: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOT_NO_CACHE", "1")
    assert not cache_enabled()
    load_extract(extract_dir(tmp_path / "x"))
    assert not cache_root.exists()
    for off in ("", "0", "false", "no"):
        monkeypatch.setenv("YOT_NO_CACHE", off)
        assert cache_enabled()
    assert not cache_enabled(no_cache=True)


def test_cache_dir_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("YOT_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("YOT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "yot"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "yot"


# --- damage, failure and concurrency -------------------------------------------------------------


def test_a_damaged_entry_is_a_miss_not_an_error(tmp_path: Path, cache_root: Path, validated: list[str]) -> None:
    folder = extract_dir(tmp_path / "x")
    first = load_extract(folder)
    entry = next(p for p in (cache_root / "tables").iterdir() if p.name.startswith("offences-"))
    (entry / "accepted.parquet").write_bytes(b"not parquet")
    yot.load._LAST.clear()  # a new process
    validated.clear()
    again = load_extract(folder)
    assert validated == ["offences"]
    assert again.offences.equals(first.offences)
    yot.load._LAST.clear()  # another new process: the damaged entry was written afresh
    validated.clear()
    assert load_extract(folder).offences.equals(first.offences)
    assert validated == []


def test_an_unwritable_cache_warns_once_and_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("YOT_CACHE_DIR", str(blocker))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        extract = load_extract(extract_dir(tmp_path / "x"))
    assert extract.counts["people"] == TableCount(3, 2, 1)
    messages = [str(w.message) for w in caught if "validated-extract cache" in str(w.message)]
    assert len(messages) == 1 and str(blocker) in messages[0]


def _result(rows: int) -> CachedTable:
    accepted = pl.DataFrame({"yot": ["Barnet"] * rows})
    empty = pl.DataFrame(schema={"x": pl.String})
    return CachedTable(accepted, empty, empty, TableCount(rows, rows, 0))


def test_an_entry_appears_whole_by_rename_and_a_lost_race_keeps_the_winner(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "cache"
    renames: list[tuple[Path, Path]] = []
    real_rename = os.rename

    def rival_first(src, dst):  # noqa: ANN001, ANN202 - another process finishes the same entry first
        renames.append((Path(src), Path(dst)))
        assert (Path(src) / "meta.json").is_file()  # everything is written before the entry appears
        assert not Path(dst).exists()
        write_entry_unpatched("population", "k", _result(2), root)
        return real_rename(src, dst)

    def write_entry_unpatched(*args):  # noqa: ANN002, ANN202
        monkeypatch.setattr(os, "rename", real_rename)
        try:
            return write_entry(*args)
        finally:
            monkeypatch.setattr(os, "rename", rival_first)

    monkeypatch.setattr(os, "rename", rival_first)
    assert write_entry("population", "k", _result(3), root) is True  # lost the race: still an entry
    assert len(renames) == 1
    hit = read_entry("population", "k", root)
    assert hit is not None and hit.count == TableCount(2, 2, 0)  # the winner's, whole
    assert [p.name for p in (root / "tables").iterdir()] == ["population-k"]  # no temporary left


def test_a_folder_without_its_meta_file_is_not_an_entry(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    write_entry("population", "k", _result(2), root)
    (root / "tables" / "population-k" / "meta.json").unlink()
    assert read_entry("population", "k", root) is None


def _load_in_child(folder: str, root: str, queue: multiprocessing.Queue) -> None:
    os.environ["YOT_CACHE_DIR"] = root
    extract = load_extract(Path(folder))
    queue.put(load_report_json(extract))


def test_processes_loading_at_once_agree_and_leave_whole_entries(tmp_path: Path) -> None:
    folder = extract_dir(tmp_path / "x")
    root = tmp_path / "cache"
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    children = [context.Process(target=_load_in_child, args=(str(folder), str(root), queue)) for _ in range(4)]
    for child in children:
        child.start()
    reports = [queue.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=120)
        assert child.exitcode == 0
    expected = load_report_json(load_extract(folder, cache=False))
    assert reports == [expected] * 4
    names = sorted(p.name for p in (root / "tables").iterdir())
    assert [n.split("-")[0] for n in names] == ["interventions", "offences", "people", "population"]
    for name in names:
        meta = json.loads((root / "tables" / name / "meta.json").read_text())
        assert read_entry(meta["table"], meta["key"], root) is not None


# --- only the tables a command needs -------------------------------------------------------------


def test_needed_tables_add_people_when_a_table_names_a_person() -> None:
    assert needed_tables(None) == tuple(TABLES)
    assert needed_tables(["offences"]) == ("people", "offences")
    assert needed_tables(["population"]) == ("population",)
    assert needed_tables(["population", "interventions", "people"]) == ("people", "interventions", "population")
    with pytest.raises(ValueError, match="courts"):
        needed_tables(["courts"])


def test_a_subset_load_reads_only_its_tables(tmp_path: Path, cache_root: Path, validated: list[str]) -> None:
    folder = extract_dir(tmp_path / "x")
    write(folder, "interventions", "intervention_id,person_id", ["I1,P1"])  # fatal: columns missing
    extract = load_extract(folder, tables=("offences",))
    assert validated == ["people", "offences"]
    assert extract.present == frozenset({"people", "offences"})
    assert set(extract.counts) == {"people", "offences"}
    assert extract.counts["offences"] == TableCount(4, 2, 2)  # O3 still follows P3, set aside
    assert extract.interventions.height == 0 and not extract.has("interventions")
    with pytest.raises(LoadError, match="interventions.csv"):
        load_extract(folder)


def test_metrics_runs_past_a_broken_interventions_file_that_stops_validate(
    tmp_path: Path, cache_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = extract_dir(tmp_path / "x")
    (folder / "interventions.csv").write_bytes(b"intervention_id,person_id\nI1,P1\n")
    assert main(["metrics", "--data", str(folder), "--start", "2005-01-01", "--end", "2005-12-31", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["cohort_size"] == 2  # P1 and P2: P3 is set aside with their offence
    assert main(["fte", "--data", str(folder), "--start", "2005-01-01", "--end", "2005-12-31", "--json"]) == 0
    capsys.readouterr()
    assert main(["validate", "--data", str(folder)]) == 2
    assert "interventions.csv" in capsys.readouterr().err


def test_cache_command_shows_and_clears(tmp_path: Path, cache_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load_extract(extract_dir(tmp_path / "x"))
    assert main(["cache"]) == 0
    assert f"{cache_root} " in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0
    assert "4 entries deleted" in capsys.readouterr().out
    assert entries(cache_root) == []


def test_a_page_reads_what_the_runner_validated(tmp_path: Path, cache_root: Path, validated: list[str]) -> None:
    """``yot run`` loads the extract once up front; every notebook's ``params.extract()`` then reads
    the cache (no table is validated a second time)."""
    from yot.pages.base import PageParams

    folder = extract_dir(tmp_path / "x")
    up_front = load_extract(folder)  # what the runner does
    validated.clear()
    extract = PageParams(data_dir=str(folder), yot_name="Barnet").extract()
    assert validated == []
    assert extract.counts == up_front.counts
    assert extract.people.equals(up_front.people)


def test_a_second_load_in_the_same_process_reuses_its_tables_safely(tmp_path: Path, cache_root: Path,
                                                                    validated: list[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A reused notebook kernel: the next notebook's load reads neither the files' rows nor the cache,
    and a frame changed in place by one notebook is not what the next one gets."""
    folder = extract_dir(tmp_path / "x")
    first = load_extract(folder)
    people = first.people.clone()
    first.people.drop_in_place("yot")  # a notebook changing its frame in place
    reads: list[str] = []
    monkeypatch.setattr(yot.cache, "read_entry", lambda table, key, root=None: reads.append(table))
    validated.clear()
    second = load_extract(folder)
    assert validated == [] and reads == []
    assert second.people.equals(people)
    write(folder, "population", POPULATION, ["Barnet,2005,10,M,2200"])  # a changed file is still seen
    third = load_extract(folder)
    assert validated == ["population"] and reads == ["population"]
    assert third.population.get_column("count").to_list() == [2200]
    validated.clear()
    load_extract(folder, cache=False)  # no cache: no reuse either
    assert validated == ["people", "offences", "interventions", "population"]


def test_a_load_of_only_an_absent_optional_table_is_empty(tmp_path: Path, cache_root: Path) -> None:
    folder = extract_dir(tmp_path / "x")
    extract = load_extract(folder, tables=("comparators",))
    assert extract.present == frozenset() and extract.counts == {} and len(extract.problems) == 0
    assert extract.comparators.schema == TABLES["comparators"].schema


def test_entries_written_in_the_background_are_there_after_flush(tmp_path: Path, cache_root: Path,
                                                                validated: list[str]) -> None:
    folder = extract_dir(tmp_path / "x")
    first = load_extract(folder, tables=("offences",), write_cache_soon=True)
    yot.cache.flush()
    assert entries(cache_root) == ["offences", "people"]
    validated.clear()
    yot.load._LAST.clear()  # as a new process: only the cache can save the work
    second = load_extract(folder, tables=("offences",))
    assert validated == []
    assert second.offences.equals(first.offences) and second.counts == first.counts


def test_a_command_run_as_a_program_leaves_its_entries_written(tmp_path: Path, cache_root: Path) -> None:
    import subprocess
    import sys

    folder = extract_dir(tmp_path / "x")
    done = subprocess.run([sys.executable, "-m", "yot", "metrics", "--data", str(folder), "--start", "2005-01-01",
                           "--end", "2005-12-31", "--json"], capture_output=True, text=True, check=False,
                          env={**os.environ, "YOT_CACHE_DIR": str(cache_root)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cohort_size"] == 2
    assert entries(cache_root) == ["offences", "people"]  # written in the background, waited for at exit
    assert read_entry("offences", entry_key("offences", folder / "offences.csv",
                                            people_key=entry_key("people", folder / "people.csv"))) is not None
