"""The rendered pack as a reader opens it: headless Chromium loads the index, which shows the targets
table, and every page it links to loads, with no code and with every image present."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (CI installs Debian's chromium)")


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
    assert "targets" in dom.table_ids
    text = " ".join(dom.text)
    assert "Theme 1 targets" in text and "Reports in this pack" in text
    pages = []
    for href in dom.links:
        assert not href.startswith(("http://", "https://")), f"the pack links out of itself: {href}"
        target = local_target(index, href)
        if target is None:
            continue
        assert target.exists(), f"index links to a missing file: {href}"
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
