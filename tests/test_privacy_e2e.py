"""End to end (issue 7): the whole suite on a tiny YOT publishes nothing that identifies a young person.

Uses the shared suite run of conftest.py (``suite_run``: a synthetic extract of a few dozen young
people a year written by ``python -m yot synth``, the whole suite run on it by ``python -m yot run``)
and then, independently of ``yot.disclosure``, reads the
input tables and searches every published file for any identifier or date of birth, and every count
cell of every published CSV for a count from 1 to threshold - 1. Finally the suite's own check must
agree that the folder is clean.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 5
PEOPLE = 400  # conftest.SMALL_PEOPLE: over 2000-2010, a few dozen young people a year
BINARY = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".pdf", ".woff", ".woff2", ".ttf"}
SYMBOLS = {"[c]", "[x]", "[z]"}


def _read_table(data: Path, name: str) -> pl.DataFrame | None:
    if (data / f"{name}.parquet").exists():
        return pl.read_parquet(data / f"{name}.parquet")
    if (data / f"{name}.csv").exists():
        return pl.read_csv(data / f"{name}.csv", infer_schema=False)
    return None


def _identifiers(data: Path) -> set[str]:
    ids: set[str] = set()
    for table, cols in {
        "people": ["person_id"], "offences": ["offence_id", "person_id"],
        "interventions": ["intervention_id"], "referrals": ["referral_id"],
    }.items():
        frame = _read_table(data, table)
        if frame is None:
            continue
        for c in cols:
            ids |= set(frame[c].cast(pl.String).drop_nulls().to_list())
    return ids


def _dates_of_birth(data: Path) -> set[date]:
    people = _read_table(data, "people")
    assert people is not None, "the synthetic extract has no people table"
    return {
        d if isinstance(d, date) else date.fromisoformat(d)
        for d in people["date_of_birth"].drop_nulls().to_list()
    }


def _published_dir(out: Path) -> Path:
    latest = out / "latest" / "published"
    if latest.is_dir():
        return latest
    runs = sorted((out / "runs").glob("*/published")) if (out / "runs").is_dir() else []
    assert runs, f"the run published nothing under {out}"
    return runs[-1]


def _written_forms(d: date) -> list[str]:
    return [d.isoformat(), d.strftime("%d/%m/%Y"), f"{d.day} {d:%B %Y}", f"{d.day} {d:%b %Y}"]


@pytest.fixture(scope="module")
def tiny_run(suite_run):
    """The one shared suite run of conftest.py (the whole suite on a small synthetic extract)."""
    return suite_run.data_dir, suite_run.out, suite_run


@pytest.mark.slow
def test_tiny_extract_is_tiny(tiny_run):
    data, _, _ = tiny_run
    people = _read_table(data, "people")
    assert people is not None and 0 < people.height <= PEOPLE


def leaks_in(published: Path, data: Path) -> list[str]:
    """Every published file that holds an identifier or a date of birth of the input, found by this test's own scan."""
    ids = _identifiers(data)
    assert ids, "no identifiers read from the input"
    # whole tokens: an id never appears as part of a longer word or number
    id_shapes = re.compile(r"[A-Za-z0-9]+(?:[-_./][A-Za-z0-9]+)*")
    forms = {form: d for d in _dates_of_birth(data) for form in _written_forms(d)}
    files = sorted(p for p in published.rglob("*") if p.is_file() and p.suffix.lower() not in BINARY)
    leaks = []
    for path in files:
        text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+", " ", path.read_text(encoding="utf-8", errors="replace"))
        words = set(id_shapes.findall(text)) | set(re.findall(r"[A-Za-z0-9]+", text))
        leaked_ids = sorted(i for i in words & ids if len(i) >= 4 and not (i.isdigit() and len(i) < 6))
        leaked_dobs = sorted(f for f in forms if f in text)
        if leaked_ids or leaked_dobs:
            leaks.append(f"{path.relative_to(published)}: ids {leaked_ids[:5]} dates of birth {leaked_dobs[:5]}")
    return leaks


def small_counts_in(published: Path) -> list[str]:
    """Every count cell of a published CSV that is not 0, at least the threshold, or a symbol."""
    bad = []
    for path in sorted(published.rglob("*.csv")):
        sidecar = path.with_name(path.name + "-metadata.json")
        if not sidecar.exists():
            bad.append(f"{path.name} was not written through yot.disclosure.publish_table")
            continue
        counts = json.loads(sidecar.read_text(encoding="utf-8"))["yot:count_columns"]
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        if rows and "notes" not in rows[0]:
            bad.append(f"{path.name} has no notes column")
        for line, row in enumerate(rows, start=2):
            for c in counts:
                cell = row[c].replace(" [p]", "").strip()
                if cell in SYMBOLS or cell == "":
                    continue
                value = float(cell.replace(",", ""))
                if not (value == 0 or value >= THRESHOLD):
                    bad.append(f"{path.name} line {line} {c} = {row[c]!r}")
    return bad


def test_this_scan_finds_planted_leaks(tmp_path):
    """The scan above can fail: a hand-made input and folder with one leak of each kind."""
    data, pub = tmp_path / "data", tmp_path / "pub"
    data.mkdir(), pub.mkdir()
    (data / "people.csv").write_text("person_id,date_of_birth,sex,ethnicity,yot\nP0000042,1991-07-14,M,White,B\n")
    (data / "offences.csv").write_text("offence_id,person_id\nO00000077,P0000042\n")
    (pub / "ok.html").write_text("<p>2005 cohort: 37 young people, P00000421 is no one</p>")
    (pub / "chart.png").write_bytes(b"P0000042")
    assert leaks_in(pub, data) == []
    (pub / "bad.html").write_text("<td>P0000042</td><td>14/07/1991</td>")
    (pub / "bad.json").write_text('{"offence": "O00000077"}')
    assert leaks_in(pub, data) == [
        "bad.html: ids ['P0000042'] dates of birth ['14/07/1991']",
        "bad.json: ids ['O00000077'] dates of birth []",
    ]
    (pub / "t.csv").write_text("tier,reoffenders,notes\na,3,\nb,[c],\nc,0,\nd,5 [p],\n")
    (pub / "t.csv-metadata.json").write_text('{"yot:count_columns": ["reoffenders"]}')
    (pub / "u.csv").write_text("tier,n\na,12\n")
    assert small_counts_in(pub) == [
        "t.csv line 2 reoffenders = '3'",
        "u.csv was not written through yot.disclosure.publish_table",
    ]


@pytest.mark.slow
def test_no_identifier_or_date_of_birth_in_any_published_file(tiny_run):
    data, out, _ = tiny_run
    published = _published_dir(out)
    assert any(p.suffix == ".html" for p in published.rglob("*")), "no published pages"
    assert leaks_in(published, data) == []


@pytest.mark.slow
def test_every_published_count_is_zero_at_least_the_threshold_or_confidential(tiny_run):
    _, out, _ = tiny_run
    published = _published_dir(out)
    assert list(published.rglob("*.csv")), "the suite published no CSV tables"
    assert small_counts_in(published) == []


@pytest.mark.slow
def test_no_analyst_notebook_among_published_files(tiny_run):
    _, out, _ = tiny_run
    published = _published_dir(out)
    assert not list(published.rglob("*.ipynb"))


@pytest.mark.slow
def test_the_run_succeeded_and_its_own_check_agrees(tiny_run):
    data, out, run = tiny_run
    assert run.returncode == 0, run.stderr[-4000:]
    from yot.disclosure import check_published
    from yot.load import load_extract

    # No allow-list: the tests above found no date of birth at all, so the suite's check must agree.
    assert check_published(_published_dir(out), load_extract(data), THRESHOLD) == []
