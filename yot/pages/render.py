"""HTML of pages and their parts, from the Jinja2 templates in ``yot/templates`` (autoescaped).

One template each for the page chrome, the navigation, the symbols key, the index and the methods
page; ``blocks.html.j2`` holds the fragments a notebook displays (header, section heading, sentences,
tables, charts as figures with their source lines). Nothing here decides what a page says: it lays out a
:class:`Page`.
"""

from __future__ import annotations

import base64
import functools
import html
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from yot.disclosure import SYMBOLS, symbol_meaning
from yot.pages.model import Chart, Page, Section, Table, Text

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SYNTHETIC_BANNER = "Synthetic data for demonstration: not {yot}'s figures"
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_SYMBOL = re.compile(r"\[(?:c|x|z|p)\]")


def words(text: str) -> Markup:
    """A sentence for the page: escaped, with ``**bold**`` as the only markup."""
    return Markup(_BOLD.sub(r"<b>\1</b>", html.escape(text)))


_PERIOD = re.compile(r"\b(\d{4}-\d{2}|\d{1,2} [A-Z][a-z]{2} \d{4})\b")


def cell(text: str) -> Markup:
    """A table cell: escaped, with periods ("2004-05") and dates ("1 Jan 2003") kept on one line."""
    return Markup(_PERIOD.sub(r'<span class="yot-nowrap">\1</span>', html.escape(text)))


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=False,
                             undefined=jinja2.StrictUndefined)
    env.filters["words"] = words
    env.filters["cell"] = cell
    return env


@functools.cache
def css() -> str:
    return (TEMPLATES / "pack.css").read_text(encoding="utf-8")


def _macro(name: str) -> Any:
    return getattr(environment().get_template("blocks.html.j2").module, name)


def symbols_used(cells: Iterable[str], threshold: int) -> list[tuple[str, str]]:
    """The GSS symbols among ``cells`` with their meanings, in key order."""
    found = {s for cell in cells for s in _SYMBOL.findall(cell)}
    return [(s, symbol_meaning(s, threshold)) for s in SYMBOLS if s in found]


def table_html(t: Table, *, link: bool = True) -> str:
    """A published table: caption, readers' headers, figures or symbols, download link, key."""
    rows = list(t.rows())
    numeric = [c.kind != "text" for c in t.columns]
    used = symbols_used((cell for row in rows for cell in row), t.threshold)
    return str(_macro("table")(t, rows, numeric, used, f"tables/{t.name}.csv" if link else ""))


def text_html(block: Text) -> str:
    return str(_macro("text")(block))


def section_heading_html(section: Section) -> str:
    return str(_macro("section")(section))




def figure_html(chart: Chart, png: bytes) -> str:
    """A chart as the page shows it: the drawing (embedded PNG) with its own alt text and, under it, its
    source line, in one ``<figure>`` that printing never splits."""
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return str(_macro("figure")(chart, src))


def page_html(page: Page, suite_title: str, png: Callable[[Chart], bytes]) -> str:
    """The whole page as one piece of HTML (header, answer, sections with their tables and charts,
    settings): what the notebook displays, so headings stay with what follows them in print."""
    return "".join(value if kind == "html" else figure_html(value, png(value))
                   for kind, value in page_fragments(page, suite_title))


class _PageView:
    """What the header macro reads of a page (plus the suite title and the as-at line)."""

    def __init__(self, page: Page, suite_title: str):
        self.__dict__.update({k: getattr(page, k) for k in ("title", "subtitle", "provisional", "answer", "banners",
                                                           "settings")})
        self.suite_title = suite_title
        self.as_at_text = (f"Figures as at {page.as_at:%-d %B %Y}, from {page.yot}'s case-level extract."
                           if page.as_at else f"Figures from {page.yot}'s case-level extract.")


def header_html(page: Page, suite_title: str = "") -> str:
    return str(_macro("header")(_PageView(page, suite_title)))


def settings_html(page: Page) -> str:
    return str(_macro("settings")(_PageView(page, ""))) if page.settings else ""


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that cannot end the string or the ``<style>`` element."""
    return '"' + "".join(c if c.isalnum() or c in " .,:;'()-" else f"\\{ord(c):x} " for c in text) + '"'


def synthetic_print_css(yot: str) -> Markup:
    """Print rule of a pack from a synthetic extract: the banner at the top of every printed sheet, so a
    page forwarded on its own still says the figures are made up."""
    return Markup("@page { @top-center { content: " + css_string(SYNTHETIC_BANNER.format(yot=yot)) +
                  "; font: bold 10pt Arial, sans-serif; color: #5b2a86; border-bottom: 1.5pt solid #5b2a86; } }")


def document(title: str, body: str, *, synthetic: bool, yot: str, footer: str = "") -> str:
    """A complete page: the chrome around ``body`` (already-safe HTML)."""
    template = environment().get_template("chrome.html.j2")
    return template.render(title=title, body=Markup(body), css=Markup(css()), synthetic=synthetic,
                           synthetic_banner=SYNTHETIC_BANNER.format(yot=yot), footer=footer,
                           synthetic_css=synthetic_print_css(yot))


def render(name: str, **context: Any) -> str:
    """Any other template of the pack (the index, methods and glossary pages) with the chrome's context."""
    context.setdefault("css", Markup(css()))
    if "yot" in context:
        context.setdefault("synthetic_banner", SYNTHETIC_BANNER.format(yot=context["yot"]))
        context.setdefault("synthetic_css", synthetic_print_css(context["yot"]))
    return environment().get_template(name).render(**context)


def page_fragments(page: Page, suite_title: str = "") -> list[tuple[str, Any]]:
    """A page in reading order as ("html", text) and ("chart", Chart) items: what a notebook shows."""
    items: list[tuple[str, Any]] = [("html", header_html(page, suite_title))]
    for section in page.sections:
        items.append(("html", section_heading_html(section)))
        for block in section.blocks:
            if isinstance(block, Chart):
                items.append(("chart", block))
            elif isinstance(block, Table):
                items.append(("html", table_html(block)))
            else:
                items.append(("html", text_html(block)))
    if page.settings:
        items.append(("html", settings_html(page)))
    return items
