"""How pages look and print: the chrome, the header's answer, tables with their download links, charts
as figures with their own alt text and source line, the index (key findings, targets, things you need
to know, tables), the print and phone stylesheet, and the published CSVs (yot.pages.render, index,
model, the templates). Pages here are hand-made; the browser tests are in test_pages_e2e.py."""

from __future__ import annotations

import csv
import datetime as dt
import re
import stat
from pathlib import Path

import polars as pl
import pytest

from yot.disclosure import SuppressionSpec
from yot.labels import code_names
from yot.pages import index as index_page
from yot.pages.model import Chart, Column, Page, SavedPage, Section, Text, table
from yot.pages.registry import Run
from yot.pages.render import css, document, figure_html, page_html, render, table_html
from yot.params import load_suite

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "parameters" / "barnet_2005_2008.yaml"
PNG = b"\x89PNG\r\n\x1a\nfake"


def _table(name: str = "rates", n: int = 2, columns: int = 3):
    frame = pl.DataFrame({"group": ["Male", "Female"][:n], "people": [120, 30854][:n], "rate": [0.282, 0.5][:n],
                          **{f"x{k}": [1.5, 2.5][:n] for k in range(columns - 3)}})
    cols = [Column("group", "Group"), Column("people", "Young people", "count"),
            Column("rate", "Reoffending rate (%)", "percent")]
    cols += [Column(f"x{k}", f"Extra {k}", "number") for k in range(columns - 3)]
    return table(name, "Who reoffended", frame, cols,
                 SuppressionSpec(counts=("people",), derived={"rate": ("people",)}, columns_add_up=False))


def _chart(name: str, alt: str) -> Chart:
    return Chart(name, "count_bars", f"Chart {name}", pl.DataFrame({"category": ["a"], "count": [10], "label": ["10"]}),
                 alt, "Source: Testville case-level extract as at 31 December 2010.")


def _page(**kw) -> Page:
    base = dict(name="evaluation_issp", kind="evaluation", title="Does ISSP work?", subtitle="Matched comparison",
                as_at=dt.date(2010, 12, 31), yot="Testville", synthetic=False,
                answer=Text("ISSP: **4.1 points fewer** reoffended than matched young people.", "answer"),
                sections=(Section("Balance", (_chart("one", "First chart: 12% and 30%"), _table(columns=12),
                                              _chart("two", "Second chart: 5 and 9"))),))
    base.update(kw)
    return Page(**base)


# ------------------------------------------------------------------------------------- chrome
def test_the_synthetic_banner_is_on_a_page_only_when_the_extract_is_synthetic():
    made_up = document("A page", "<p>body</p>", synthetic=True, yot="Barnet", footer="f")
    real = document("A page", "<p>body</p>", synthetic=False, yot="Barnet", footer="f")
    assert "Synthetic data for demonstration: not Barnet&#39;s figures" in made_up
    assert made_up.index("yot-synthetic") < made_up.index("<nav")  # first thing on the page
    assert "Synthetic" not in real and "yot-synthetic\"" not in real


@pytest.mark.parametrize("template", ["index.html.j2", "methods.html.j2", "glossary.html.j2"])
@pytest.mark.parametrize("synthetic", [True, False])
def test_the_pack_pages_carry_the_banner_exactly_when_synthetic(tmp_path, template, synthetic):
    suite = load_suite(SUITE)
    index_page.write_pack_pages(tmp_path, suite, [], [], [], [], extract_date=dt.date(2010, 12, 31),
                                synthetic=synthetic, footer="footer")
    text = (tmp_path / template.replace(".j2", "")).read_text()
    assert ("not Barnet&#39;s figures" in text) is synthetic


def test_every_printed_sheet_of_a_synthetic_pack_says_so_and_is_numbered():
    from yot.pages.render import css_string

    made_up = document("A page", "<p>body</p>", synthetic=True, yot="Barnet", footer="f")
    real = document("A page", "<p>body</p>", synthetic=False, yot="Barnet", footer="f")
    assert "@top-center { content: \"Synthetic data for demonstration: not Barnet's figures\"" in made_up
    assert "@top-center" not in real
    assert 'counter(page) " of " counter(pages)' in css()  # page numbers on every sheet
    # a YOT name can neither end the CSS string nor the style element
    assert css_string('A</style>"B') == '"A\\3c \\2f style\\3e \\22 B"'


def test_the_header_opens_with_the_answer_before_any_section():
    html = page_html(_page(), "Suite", lambda chart: PNG)
    answer = html.index('class="yot-answer"')
    assert html.index("<h1>") < answer < html.index("<h2")
    assert "<b>4.1 points fewer</b>" in html


# ------------------------------------------------------------------------------------- tables
def test_a_table_links_to_its_csv_beside_the_page_and_wide_tables_are_marked_for_print():
    narrow = table_html(_table())
    assert '<a href="tables/rates.csv">' in narrow
    assert "yot-wide" not in narrow
    wide = table_html(_table(columns=12))
    assert 'class="yot-table yot-wide yot-xwide"' in wide
    assert table_html(_table(), link=False).count("tables/") == 0
    assert '<div class="yot-table-wrap yot-keep">' in narrow  # a short table prints whole
    long = table(
        "long", "Many rows", pl.DataFrame({"group": [f"g{k}" for k in range(16)], "people": list(range(20, 36))}),
        [Column("group", "Group"), Column("people", "Young people", "count")],
        SuppressionSpec(counts=("people",), columns_add_up=False))
    assert '<div class="yot-table-wrap">' in table_html(long)
    assert re.search(r"\.yot-keep\s*{\s*break-inside:\s*avoid", _block(css(), "@media print"))


def test_the_published_csv_holds_plain_numbers_a_notes_column_and_is_readable_by_all(tmp_path):
    path = _table().write_csv(tmp_path)
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["Group", "Young people", "Reoffending rate (%)", "notes"]
    assert rows[1] == ["Male", "120", "28.2", ""]
    assert rows[2] == ["Female", "30854", "50", ""]  # never "30,854" or "50.0%"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "rates.csv-metadata.json").stat().st_mode) == 0o644


# ------------------------------------------------------------------------------------- charts
def test_each_chart_is_a_figure_with_its_own_alt_text_and_its_source_line_under_it():
    one = figure_html(_chart("one", 'Rates: 12% & "30%"'), PNG)
    assert one.startswith('<figure class="yot-chart" id="chart-one">')
    assert 'alt="Rates: 12% &amp; &#34;30%&#34;"' in one
    assert one.index("<img") < one.index("<figcaption")
    assert "Source: Testville case-level extract as at 31 December 2010." in one
    html = page_html(_page(), "Suite", lambda chart: PNG)
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', html)
    assert alts == ["First chart: 12% and 30%", "Second chart: 5 and 9"]


def test_the_line_chart_labels_periods_as_the_tables_do():
    import matplotlib.pyplot as plt

    from yot.charts import draw

    data = pl.DataFrame({"x": [2004, 2005, 2004, 2005], "y": [10, 12, 30, 31], "series": ["a", "a", "b", "b"],
                         "period": ["2004-05", "2005-06", "2004-05", "2005-06"]})
    figure = draw(Chart("fte", "lines", "First-time entrants", data, "alt", "source"))
    labels = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    plt.close(figure)
    assert labels == ["2004-05", "2005-06"]


# ------------------------------------------------------------------------------------- stylesheet
def _block(text: str, opening: str) -> str:
    """The body of the CSS block that starts with ``opening`` (to its matching brace)."""
    start = text.index(opening)
    depth, k = 0, text.index("{", start)
    for k in range(k, len(text)):
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        if depth == 0:
            return text[start:k]
    raise AssertionError(opening)


def test_print_is_a4_without_navigation_with_tables_fitted_and_headings_kept_with_what_follows():
    sheet = css()
    assert re.search(r"@page\s*{[^}]*size:\s*A4", sheet)
    printing = _block(sheet, "@media print")
    assert re.search(r"nav\.yot-nav[^{]*{\s*display:\s*none", printing)
    assert re.search(r"table\.yot-table\.yot-wide\s*{[^}]*width:\s*100%", printing)
    assert "overflow-wrap: break-word" in printing and "white-space: normal" in printing
    assert re.search(r"h2[^{]*{[^}]*break-after:\s*avoid", printing)
    assert re.search(r"figure\.yot-chart[^{]*{[^}]*break-inside:\s*avoid", printing)
    assert "details::details-content" in printing  # a collapsed box prints open
    phone = _block(sheet, "@media (max-width: 700px)")
    assert "table.yot-cards" in phone and "display: block" in phone


# ------------------------------------------------------------------------------------- index
def _saved(name: str, answer: str | None = None, findings=(), rows=(), tables=()) -> SavedPage:
    return SavedPage(name, "kind", f"Page {name}", "", "2010-12-31", False, False, answer,
                     tuple({"name": t, "title": f"Table {t}", "file": f"{t}.csv"} for t in tables),
                     {"findings": list(findings), "index_rows": list(rows)})


def test_key_findings_are_the_pages_findings_most_important_first_at_most_six():
    pages = [_saved("a", findings=[{"text": "third", "order": 30}, {"text": "first", "order": 10}]),
             _saved("b", findings=[{"text": f"more {k}", "order": 40 + k} for k in range(6)])]
    assert index_page.key_findings(pages) == ["first", "third", "more 0", "more 1", "more 2", "more 3"]


def test_without_findings_the_latest_answer_of_each_group_stands_in():
    pages = [_saved("c2006", "29.8% of the 2006 cohort"), _saved("c2007", "28.9% of the 2007 cohort"),
             _saved("dq"), _saved("issp", "ISSP: no evidence of an effect")]
    groups = {"c2006": "Cohorts", "c2007": "Cohorts", "dq": "Data", "issp": "Evaluation"}
    assert index_page.key_findings(pages, groups=groups) == ["28.9% of the 2007 cohort",
                                                             "ISSP: no evidence of an effect"]
    assert index_page.key_findings([_saved("dq")]) == []


def test_fewer_than_three_findings_are_made_up_to_three_from_groups_that_offered_none():
    pages = [_saved("targets", "answer", findings=[{"text": "Reoffending rose.", "order": 10}]),
             _saved("c2007", "28.9% of the 2007 cohort"), _saved("c2008", "31.2% of the 2008 cohort"),
             _saved("issp", "ISSP: no evidence"), _saved("yisp", "YISP: no evidence")]
    groups = {"targets": "Targets", "c2007": "Cohorts", "c2008": "Cohorts", "issp": "Evaluation",
              "yisp": "Evaluation"}
    assert index_page.key_findings(pages, groups=groups) == ["Reoffending rose.", "31.2% of the 2008 cohort",
                                                             "YISP: no evidence"]


def test_things_you_need_to_know_come_from_the_suite_file():
    suite = load_suite(SUITE)
    things = dict(index_page.things_to_know(suite, dt.date(2010, 12, 31), synthetic=False))
    assert list(things) == ["What the figures cover", "Provisional figures", "Small numbers", "Status",
                            "Produced by", "Contact", "Next update"]
    pub = suite.publication
    assert things["Produced by"] == pub.producer and things["Contact"] == pub.contact
    assert things["Next update"] == pub.next_update
    assert things["Status"].startswith(pub.status)
    assert "31 December 2010" in things["What the figures cover"]
    assert "synthetic" not in things["What the figures cover"]
    assert "synthetic" in dict(index_page.things_to_know(suite, None, synthetic=True))["What the figures cover"]
    assert "1 to 4" in things["Small numbers"]


ROW = {"href": "targets.html", "target": "Proven reoffending", "status": "missed", "status_words": "Missed",
       "period": "2007", "baseline": "28.2%", "target_value": "24.4%", "observed": "28.9% (25.5% to 32.4%)",
       "change": "+0.7 points"}


def test_the_index_reads_findings_then_targets_then_things_to_know_then_reports_and_tables(tmp_path):
    suite = load_suite(SUITE)
    pages = [_saved("targets", "1 of 4 targets met", findings=[{"text": "Reoffending **rose** by 0.7 points."}],
                    rows=[ROW], tables=["targets_reoffending"])]
    runs = [Run("targets", "targets.ipynb", "targets", "Theme 1 targets", "Targets", {})]
    index_page.write_pack_pages(tmp_path, suite, pages, runs, [], [], extract_date=dt.date(2010, 12, 31),
                                synthetic=False, footer="footer")
    html = (tmp_path / "index.html").read_text()
    order = [html.index(s) for s in ('id="findings"', 'id="targets"', 'id="know"', 'id="reports"', 'id="tables"')]
    assert order == sorted(order)
    assert "Reoffending <b>rose</b> by 0.7 points." in html
    assert 'data-label="Status"' in html and "yot-status-missed" in html and ">Missed<" in html
    assert '<a href="tables/targets_reoffending.csv">' in html and '<a href="targets.html">' in html
    assert suite.publication.contact in html
    for name in ("index.html", "methods.html", "glossary.html"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644


def test_methods_and_glossary_speak_to_readers_not_developers(tmp_path):
    suite = load_suite(SUITE)
    index_page.write_pack_pages(tmp_path, suite, [], [], [], [], extract_date=dt.date(2010, 12, 31),
                                synthetic=False, footer="footer")
    methods = (tmp_path / "methods.html").read_text()
    glossary = (tmp_path / "glossary.html").read_text()
    assert 'aria-label="Contents"' in methods and methods.count('<li><a href="#') >= 8
    for developer in (".py", "METHODS.md", "yot/", "tests/", "pytest"):
        assert developer not in methods and developer not in glossary, developer
    for word in ("Tier", "Cohort", "Proven reoffence", "First-time entrant", "Matched comparison", "95% interval",
                 "Provisional", "[c]"):
        assert f"<dt>{word}" in glossary, word
    for page in (methods, glossary):
        words = set(re.findall(r"[a-z]+(?:_[a-z]+)+", re.sub(r"<[^>]+>", " ", page)))
        assert not words & code_names(), words & code_names()


def test_the_simulation_study_is_published_or_said_not_yet_run(tmp_path, monkeypatch):
    suite = load_suite(SUITE)
    monkeypatch.setattr(index_page, "simulation_results", lambda: None)
    index_page.write_pack_pages(tmp_path, suite, [], [], [], [], extract_date=None, synthetic=False, footer="")
    assert "not yet been run" in (tmp_path / "methods.html").read_text()
    study = {"summary": "Across 200 simulated extracts the matched difference was within 0.3 points.",
             "columns": ["Programme", "Coverage of the 95% interval (%)"], "rows": [["ISSP", "96"]],
             "generated_words": "3 December 2026", "runs": 200}
    monkeypatch.setattr(index_page, "simulation_results", lambda: study)
    index_page.write_pack_pages(tmp_path, suite, [], [], [], [], extract_date=None, synthetic=False, footer="")
    methods = (tmp_path / "methods.html").read_text()
    assert study["summary"] in methods and "<td>96</td>" in methods
    assert "last run on 3 December 2026, with 200 simulated extracts for each setting" in methods


def test_the_simulation_study_written_by_the_bench_is_read_with_its_date():
    study = index_page.simulation_results()
    if study is None:
        pytest.skip("the evaluation bench has not written yot/templates/simulation.json")
    assert study["summary"] and all(len(row) == len(study["columns"]) for row in study["rows"])
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", study["generated_words"])


def test_render_fills_the_chrome_of_any_template():
    page = render("glossary.html.j2", title="Glossary", yot="Barnet", synthetic=True, footer="f", suite_title="S",
                  threshold=5)
    assert "not Barnet&#39;s figures" in page and "1 to 4" in page


def test_small_multiples_share_one_scale_and_the_target_line_has_a_legend_entry():
    import matplotlib.pyplot as plt

    from yot.charts import PALETTE, draw

    bars = pl.DataFrame({"panel": ["Tier", "Tier", "Sex", "Sex"], "group": ["A", "B", "Male", "Female"],
                         "rate": [0.30, 0.64, 0.10, 0.12], "low": [0.2, 0.5, 0.05, 0.06], "high": [0.4, 0.75, 0.2, 0.2],
                         "label": ["30%", "64%", "10%", "12%"]})
    figure = draw(Chart("groups", "group_bars", "Who reoffended", bars, "alt", "source"))
    limits = {ax.get_xlim() for ax in figure.axes if ax.get_visible() and ax.has_data()}
    plt.close(figure)
    assert len(limits) == 1 and limits.pop()[1] >= 0.75  # one scale, wide enough for the largest interval
    trend = pl.DataFrame({"x": [0, 1], "period": ["2004-05", "2005-06"], "observed": [0.28, 0.27],
                          "low": [0.25, 0.24], "high": [0.31, 0.30], "target": [0.28, 0.266],
                          "status": ["baseline", "provisional"]})
    figure = draw(Chart("trend", "target_trend", "Against the target", trend, "alt", "source"))
    legend = [t.get_text() for legend in figure.legends for t in legend.get_texts()]
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    plt.close(figure)
    assert legend[0] == "Target trajectory" and any("Provisional" in t for t in legend)
    assert ticks == ["2004-05", "2005-06"]
    import itertools
    import math

    # the first five colours (a five-line chart) are far apart: no two oranges side by side
    assert min(math.dist(a, b) for a, b in itertools.combinations(PALETTE[:5], 2)) > 0.25  # seaborn colorblind: 0.20


def test_periods_and_dates_in_table_cells_stay_on_one_line():
    from yot.pages.render import cell

    assert str(cell("2004-05")) == '<span class="yot-nowrap">2004-05</span>'
    assert str(cell("1 Jan 2003 to 31 Dec 2003")) == ('<span class="yot-nowrap">1 Jan 2003</span> to '
                                                     '<span class="yot-nowrap">31 Dec 2003</span>')
    assert str(cell("<b>2004</b>")) == "&lt;b&gt;2004&lt;/b&gt;"
    assert ".yot-nowrap { white-space: nowrap !important; }" in css()


def test_a_provisional_report_is_marked_once_on_the_index(tmp_path):
    suite = load_suite(SUITE)
    runs = [Run("tracker", "tracker.ipynb", "tracker", "Live tracker", "Where we are now", {}),
            Run("cohort", "cohort.ipynb", "cohort", "The 2010 cohort", "Cohorts", {})]
    pages = [SavedPage("tracker", "tracker", "Live tracker", "", None, True, False,
                       "The Jul-Sep 2010 cohort [p] is heading for 36.2%.", (), {}),
             SavedPage("cohort", "cohort", "The 2010 cohort", "", None, True, False, "30.1% so far.", (), {})]
    index_page.write_pack_pages(tmp_path, suite, pages, runs, [], [], extract_date=None, synthetic=False, footer="")
    html = (tmp_path / "index.html").read_text()
    assert '<a href="tracker.html">Live tracker</a>: The Jul-Sep 2010 cohort [p]' in html
    assert '<a href="cohort.html">The 2010 cohort</a> [p]: 30.1% so far.' in html
