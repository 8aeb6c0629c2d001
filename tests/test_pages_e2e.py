"""The rendered pack as a reader opens it: headless Chromium loads the index, which shows the targets
table, and every page it links to loads, with no code and with every image present; and the pack as a
Steering Group paper (issue 14): the synthetic banner exactly when the extract is synthetic, the status
on screen at phone width, the status words and the matched difference in the printed PDF (A4), every
image with its own alt text, no code names, published tables linked, plain and readable by all."""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

from yot.labels import code_names

pytestmark = pytest.mark.slow

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (CI installs Debian's chromium)")
PDFTOTEXT = shutil.which("pdftotext")
ROOT = Path(__file__).resolve().parents[1]


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM of ``page`` after headless Chromium has loaded it."""
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Page(HTMLParser):
    """What the tests need from a DOM: links, images, tables and code cells."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.table_ids: list[str] = []
        self.code_inputs = 0
        self.code_cells_with_input = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img":
            self.images.append(a.get("src") or "")
        if tag == "table" and a.get("id"):
            self.table_ids.append(a["id"])
        if {"jp-InputArea-editor", "jp-InputPrompt", "highlight-ipython3", "cm-editor"} & set(classes):
            self.code_inputs += 1
        if "jp-CodeCell" in classes and "jp-mod-noInput" not in classes:
            self.code_cells_with_input += 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(dom: str) -> Page:
    page = Page()
    page.feed(dom)
    return page


def local_target(base: Path, href: str) -> Path | None:
    parsed = urlparse(href)
    if parsed.scheme in ("http", "https", "mailto") or href.startswith("#"):
        return None
    return (base.parent / unquote(parsed.path)).resolve()


@needs_chromium
def test_the_index_shows_the_targets_table_and_every_linked_page_loads(suite_run, tmp_path):
    index = suite_run.index
    dom = parse(dump_dom(index, tmp_path / "profile"))
    assert "targets-table" in dom.table_ids
    text = " ".join(dom.text)
    assert "Theme 1 targets" in text and "Reports in this pack" in text
    pages = []
    for href in dom.links:
        assert not href.startswith(("http://", "https://")), f"the pack links out of itself: {href}"
        target = local_target(index, href)
        if target is None:
            continue
        assert target.exists(), f"index links to a missing file: {href}"
        if target.suffix == ".html":
            pages.append(target)
    expected = {suite_run.run_dir / n["html"] for n in suite_run.manifest["notebooks"] if n["html"]}
    assert expected, "no page was rendered"
    assert expected <= set(pages), "every report is linked from the index"
    assert suite_run.published / "methods.html" in pages

    for page in sorted(set(pages)):
        seen = parse(dump_dom(page, tmp_path / "profile"))
        assert seen.code_inputs == 0 and seen.code_cells_with_input == 0, f"{page.name} shows code"
        assert "injected-parameters" not in " ".join(seen.text)
        for src in seen.images:
            if src.startswith("data:image/"):
                continue
            image = local_target(page, src)
            assert image is not None and image.exists(), f"{page.name}: image does not load: {src[:80]}"
        if page.name != "methods.html":
            assert seen.text, page.name


# ------------------------------------------------------------------------ the pack as a paper (issue 14)
def chromium(*args: str, profile: Path, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def pdf_pages(out: Path) -> int:
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def pdf_text(page: Path, out: Path, profile: Path, *, layout: bool = False) -> str:
    """``page`` printed to PDF by headless Chromium (its print stylesheet), as text (pdftotext: in
    reading order, or with ``layout`` each printed line as it is laid out, table rows whole)."""
    assert PDFTOTEXT is not None, "pdftotext is missing (Debian: poppler-utils)"
    if not out.exists():
        chromium("--no-pdf-header-footer", f"--print-to-pdf={out}", page.resolve().as_uri(), profile=profile)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+59[45]\.\d+ x 84[12]\.\d+ pts \(A4\)", info), info
    mode = ["-layout"] if layout else []
    return subprocess.run([PDFTOTEXT, *mode, str(out), "-"], capture_output=True, text=True, check=True).stdout


MEASURE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" src="{src}" style="width:{width}px;height:2000px;border:0"></iframe><pre id="measured"></pre>
<script>
document.getElementById('page').addEventListener('load', () => {{
  const w = document.getElementById('page').contentWindow;
  const rects = sel => [...w.document.querySelectorAll(sel)].map(c => c.getBoundingClientRect())
    .map(r => [r.left, r.right, r.width]);
  document.getElementById('measured').textContent = JSON.stringify({{width: w.innerWidth,
    scroll: w.document.documentElement.scrollWidth, cells: rects('.yot-status-cell'),
    row_cells: rects('#targets-table tbody td, #targets-table tbody th')}});
}});
</script></body></html>"""


def measured_at(page: Path, width: int, tmp: Path, profile: Path) -> dict:
    """Lay ``page`` out ``width`` pixels wide and return where its status cells fall. Headless Chromium
    will not make a window narrower than 500 px, so the page is laid out in an iframe of that width
    and the frame around it measures it."""
    frame = tmp / f"measure-{width}-{page.name}"
    frame.write_text(MEASURE.format(src=page.resolve().as_uri(), width=width))
    dom = chromium("--allow-file-access-from-files", "--window-size=800,2200", "--dump-dom", frame.resolve().as_uri(),
                   profile=profile).stdout
    found = re.search(r'<pre id="measured">(.+?)</pre>', dom, re.S)
    assert found, "the measuring script did not run"
    return json.loads(html.unescape(found.group(1)))


def assert_status_visible(m: dict) -> None:
    assert m["width"] == 390
    assert m["cells"], "no status cell on the page"
    for left, right, width in m["cells"]:
        assert width > 0 and left >= 0 and right <= m["width"], f"status cell off-screen: {left}..{right}"
    for left, right, _ in m["row_cells"]:  # and the rest of each target's row (cards, not a wide table)
        assert left >= 0 and right <= m["width"], f"a targets table cell is off-screen: {left}..{right}"
    assert m["scroll"] <= m["width"], f"the page scrolls sideways: {m['scroll']} px wide"


def published_pages(run) -> list[Path]:
    return sorted(run.published.glob("*.html"))


class Visible(HTMLParser):
    """The words a reader sees (text, alt and title attributes) and every image's alt text."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.alts: list[str | None] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "img":
            self.alts.append(a.get("alt"))
        for key in ("alt", "title", "aria-label"):
            if a.get(key):
                self.words.append(a[key] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.words.append(data)


def visible(path: Path) -> Visible:
    seen = Visible()
    seen.feed(path.read_text(encoding="utf-8"))
    return seen


BANNER = "Synthetic data for demonstration"


def test_the_synthetic_banner_is_on_every_page_of_a_pack_from_the_synthetic_extract(suite_run):
    assert (suite_run.data_dir / "SYNTHETIC").is_file(), "yot synth writes the marker"
    pages = published_pages(suite_run)
    assert {"index.html", "methods.html", "glossary.html"} <= {p.name for p in pages}
    assert len(pages) > 4
    for page in pages:
        assert f'class="yot-synthetic" role="note">{BANNER}' in page.read_text(), page.name


@pytest.fixture(scope="module")
def unmarked_run(tmp_path_factory, small_extract):
    """The suite (cut to two years, one programme) run on a copy of the small extract without the
    synthetic marker: the same data, as a YOT's own extract would arrive."""
    from conftest import SuiteRun, small_suite_file

    base = tmp_path_factory.mktemp("unmarked")
    data = base / "extract"
    shutil.copytree(small_extract, data, ignore=shutil.ignore_patterns("SYNTHETIC", "truth.json", ".complete"))
    suite_file = small_suite_file(base / "suite.yaml", data)
    suite = yaml.safe_load(suite_file.read_text())
    if "evaluation" in suite:
        suite["evaluation"]["programmes"] = suite["evaluation"]["programmes"][:1]
    suite_file.write_text(yaml.safe_dump(suite, sort_keys=False))
    out = base / "out"
    done = subprocess.run([sys.executable, "-m", "yot", "run", "--params", str(suite_file), "--out", str(out),
                           "--jobs", "2", "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=1800,
                          check=False)
    runs = sorted((out / "runs").iterdir()) if (out / "runs").exists() else []
    assert done.returncode == 0 and runs, done.stderr[-3000:]
    return SuiteRun(done.returncode, done.stderr, out, runs[-1], data, suite_file)


def test_no_page_of_a_pack_from_an_unmarked_extract_says_synthetic(unmarked_run):
    pages = published_pages(unmarked_run)
    assert {"index.html", "methods.html", "glossary.html"} <= {p.name for p in pages}
    for page in pages:
        text = page.read_text()
        assert "yot-synthetic\"" not in text and BANNER not in text, page.name
        assert "synthetic" not in " ".join(visible(page).words).lower(), page.name


def test_every_image_has_its_own_alt_text(suite_run):
    images = 0
    for page in published_pages(suite_run):
        alts = visible(page).alts
        images += len(alts)
        assert all(a and len(a.strip()) > 20 for a in alts), f"{page.name}: an image without alt text"
        repeated = {a for a in alts if alts.count(a) > 1}
        assert not repeated, f"{page.name}: images share an alt text: {sorted(repeated)[:2]}"
    assert images >= 5


def test_no_published_page_or_csv_shows_a_code_name(suite_run):
    codes = code_names()
    assert {"referral_order", "pre_court", "restorative_justice", "asset_score"} <= codes
    word = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")
    developer = re.compile(r"\b[\w/]+\.(?:py|md|ipynb)\b|\byot/\w+|\btests/\w+")
    for page in published_pages(suite_run):
        words = " ".join(visible(page).words)
        found = set(word.findall(words)) & codes
        assert not found, f"{page.name} shows code names: {sorted(found)}"
        assert not developer.findall(words), f"{page.name} names files of the code: {developer.findall(words)[:3]}"
    csvs = sorted((suite_run.published / "tables").glob("*.csv"))
    assert csvs
    for path in csvs:
        found = set(word.findall(path.read_text(encoding="utf-8"))) & codes
        assert not found, f"{path.name} shows code names: {sorted(found)}"


def test_published_tables_are_linked_readable_by_all_and_hold_plain_numbers(suite_run):
    tables = suite_run.published / "tables"
    index = suite_run.index.read_text()
    thousands = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")  # "30,854"
    percent = re.compile(r"^[+-]?\d+(\.\d+)?%$")  # "28.0%"
    for path in sorted(tables.glob("*.csv")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name
        assert f'href="tables/{path.name}"' in index, f"{path.name} is not linked from the index"
        rows = list(csv.reader(path.open(encoding="utf-8")))
        assert rows[0][-1] == "notes", path.name
        for j, header in enumerate(rows[0][:-1]):
            cells = [row[j] for row in rows[1:]]
            assert not [c for c in cells if thousands.match(c)], f"{path.name}: {header!r} holds formatted numbers"
            # a percentage is a plain number under a "(%)" heading; "5%" may only name a category
            bad = [c for c in cells if percent.match(c) and ("." in c or "(%)" in header)]
            assert not bad, f"{path.name}: {header!r} holds formatted percentages {bad[:3]}"
    for page in published_pages(suite_run):
        for href in re.findall(r'href="(tables/[^"]+\.csv)"', page.read_text()):
            assert (page.parent / href).is_file(), f"{page.name} links to a missing table {href}"


@needs_chromium
def test_a_hand_made_index_keeps_the_status_on_screen_at_phone_width_and_prints_it(tmp_path):
    # independent of which target pages exist: one made-up row through the index template
    from yot.pages import index as index_page
    from yot.pages.model import SavedPage
    from yot.pages.registry import Run
    from yot.params import load_suite

    row = {"href": "targets.html", "target": "Proven reoffending (binary rate), all young people",
           "status": "within_margin", "status_words": "Not met, within the margin of error", "period": "2007",
           "baseline": "28.2%", "target_value": "23.0%", "observed": "24.5% (21.1% to 28.2%)",
           "change": "3.7 points lower than the baseline"}
    page = SavedPage("targets", "targets", "Theme 1 targets", "", "2010-12-31", False, True, "One of four met.",
                     (), {"index_rows": [row, {**row, "status": "met", "status_words": "Met"}]})
    run = Run("targets", "targets.ipynb", "targets", "Theme 1 targets", "Targets", {})
    index_page.write_pack_pages(tmp_path, load_suite(ROOT / "parameters" / "barnet_2005_2008.yaml"), [page], [run],
                                [], [], extract_date=None, synthetic=True, footer="footer")
    m = measured_at(tmp_path / "index.html", 390, tmp_path, tmp_path / "profile")
    assert len(m["cells"]) == 2
    assert_status_visible(m)
    text = " ".join(pdf_text(tmp_path / "index.html", tmp_path / "index.pdf", tmp_path / "profile").split())
    # a badge may wrap over two lines in the printed table: its first clause is on one
    assert "Not met," in text and "Met" in text
    assert BANNER in text


@needs_chromium
def test_the_pack_index_at_phone_width_shows_every_status(suite_run, tmp_path):
    index = suite_run.index
    if 'class="yot-status-cell"' not in index.read_text():
        pytest.skip("this pack has no target pages yet")
    assert_status_visible(measured_at(index, 390, tmp_path, tmp_path / "profile"))


@needs_chromium
def test_no_page_scrolls_sideways_at_phone_width(suite_run, tmp_path):
    # wide tables scroll inside their own box; the page itself fits a 390 px phone
    for page in published_pages(suite_run):
        m = measured_at(page, 390, tmp_path, tmp_path / "profile")
        assert m["width"] == 390 and m["scroll"] <= 390, f"{page.name} is {m['scroll']} px wide at 390 px"


def _table_cells(page: Path, header_part: str) -> tuple[list[str], list[list[str]]] | None:
    """The header and rows of the first table of ``page`` with a header containing ``header_part``."""
    class Tables(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tables: list[list[list[str]]] = []
            self.cell: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.tables.append([])
            elif tag == "tr" and self.tables:
                self.tables[-1].append([])
            elif tag in ("td", "th") and self.tables:
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None and self.tables and self.tables[-1]:
                self.tables[-1][-1].append(" ".join("".join(self.cell).split()))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    for rows in parser.tables:
        if rows and any(header_part in h for h in rows[0]):
            return rows[0], rows[1:]
    return None


@needs_chromium
def test_the_index_and_an_evaluation_page_print_their_status_words_and_matched_difference(suite_run, tmp_path):
    profile = tmp_path / "profile"
    index_text = " ".join(pdf_text(suite_run.index, tmp_path / "index.pdf", profile).split())
    assert BANNER in index_text and "Key findings" in index_text and "Things you need to know" in index_text
    assert "Summary and contents" not in index_text  # the navigation bar does not print
    statuses = re.findall(r'class="yot-badge yot-status-[a-z_]+">([^<]+)<', suite_run.index.read_text())
    for words in statuses:  # the first clause of each badge ("Not met", "Missed", "Provisional")
        first = re.split(r"[,:]", html.unescape(words))[0]
        assert first in index_text, f"the printed index lost the status {words!r}"
    evaluations = [p for p in published_pages(suite_run) if _table_cells(p, "Matched comparison")]
    if not evaluations:
        pytest.skip("this pack has no evaluation page yet")
    page = evaluations[0]
    header, rows = _table_cells(page, "Matched comparison")
    difference = next(k for k, h in enumerate(header) if h.startswith("Difference"))
    flat = " ".join(pdf_text(page, tmp_path / "evaluation.pdf", profile).split())
    sheets = pdf_pages(tmp_path / "evaluation.pdf")
    assert sheets > 1 and flat.count(BANNER) >= sheets, "every printed sheet says the figures are synthetic"
    assert f"Page {sheets} of {sheets}" in flat
    printed = pdf_text(page, tmp_path / "evaluation.pdf", profile, layout=True)
    assert rows and rows[0][difference] in flat, f"the printed page lost the matched difference {rows[0][difference]}"
    # every figure of the first row, in order on one printed line: no column is lost off the page
    assert re.search(r"\s+".join(map(re.escape, rows[0][1:])), printed), f"a column is lost in print: {rows[0]}"
    answer = re.search(r'<p class="yot-answer">(.*?)</p>', page.read_text(), re.S)
    assert answer and " ".join(re.sub(r"<[^>]+>", "", html.unescape(answer.group(1))).split())[:60] in flat


@needs_chromium
def test_a_collapsed_box_prints_open(tmp_path):
    from yot.pages.render import document

    page = tmp_path / "details.html"
    page.write_text(document("A page", "<details><summary>Settings</summary><p>Words inside the box</p></details>",
                             synthetic=False, yot="Testville"))
    text = " ".join(pdf_text(page, tmp_path / "details.pdf", tmp_path / "profile").split())
    assert "Settings" in text and "Words inside the box" in text
