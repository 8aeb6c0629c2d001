"""Page helpers shared by the notebooks and the runner: headers, banners, plain-English rates, the
red/amber/green badge, one chart theme, and the HTML of the pack's own pages (index, methods).

Everything here returns text or small display objects; nothing reads data. Figures that reach a page
go through ``yot.disclosure`` first (the notebooks and the runner do that; this module only formats).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

RAG_COLOURS: dict[str, tuple[str, str]] = {  # background, text: contrast >= 4.5:1 for the words
    "green": ("#1b7a3a", "#ffffff"),
    "amber": ("#f0b429", "#1f1f1f"),
    "red": ("#b3261e", "#ffffff"),
    "grey": ("#6b6b6b", "#ffffff"),
}
RAG_WORDS: dict[str, str] = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "No data"}

PAGE_CSS = """
body { font-family: -apple-system, "Segoe UI", Arial, sans-serif; margin: 0; color: #1f1f1f;
       line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
nav.yot-nav { background: #0b3d63; color: #fff; padding: .6rem 1.5rem; font-size: .95rem; }
nav.yot-nav a { color: #fff; margin-right: 1.5rem; }
table.yot { border-collapse: collapse; margin: .8rem 0 1.2rem; font-size: .93rem; }
table.yot th, table.yot td { border: 1px solid #c8c8c8; padding: .35rem .6rem; text-align: left;
                             vertical-align: top; }
table.yot th { background: #eef2f6; }
table.yot td.num { text-align: right; font-variant-numeric: tabular-nums; }
.jp-RenderedHTMLCommon table.yot td, .jp-RenderedHTMLCommon table.yot th { text-align: left; }
.jp-RenderedHTMLCommon table.yot td.num { text-align: right; }
.jp-RenderedHTMLCommon table.yot-table td, .jp-RenderedHTMLCommon table.yot-table th { text-align: left; }
.jp-RenderedHTMLCommon table.yot-table td.num, .jp-RenderedHTMLCommon table.yot-table th.num { text-align: right; }
.jp-RenderedHTMLCommon table caption { font-weight: 600; text-align: left; }
.yot-badge { display: inline-block; padding: .1rem .55rem; border-radius: .3rem; font-weight: 600;
             white-space: nowrap; }
.yot-banner { border-left: .4rem solid #f0b429; background: #fff8e1; padding: .6rem .9rem; margin: .8rem 0; }
.yot-failed { border-left: .4rem solid #b3261e; background: #fdecea; padding: .6rem .9rem; margin: .8rem 0; }
.yot-header { border-bottom: 2px solid #0b3d63; margin-bottom: 1rem; padding-bottom: .4rem; }
.yot-header h1 { margin: .2rem 0 .3rem; font-size: 1.6rem; }
.yot-header .suite { color: #555; font-size: .95rem; }
.yot-small { color: #555; font-size: .88rem; }
.yot-key { font-size: .88rem; color: #333; }
footer.yot-footer { color: #555; font-size: .85rem; border-top: 1px solid #ddd; margin-top: 2rem;
                    padding-top: .6rem; }
"""

SHORTHAND_KEY = (
    "[c] confidential: a count of 1 to {t_minus} (or a figure that would reveal one) is not shown; "
    "[x] not available; [z] not applicable; [p] provisional: the figure can still change."
)


# ----------------------------------------------------------------------------------- formatting
def percent(value: float | None, digits: int = 1) -> str:
    """A proportion as a percentage for readers: ``0.282 -> '28.2%'``; ``None -> '[x]'``."""
    if value is None:
        return "[x]"
    return f"{100 * value:.{digits}f}%"


def interval_text(low: float | None, high: float | None, digits: int = 1) -> str:
    """A 95% interval of a proportion in words: ``'95% interval 24.1% to 32.6%'``."""
    if low is None or high is None:
        return "no interval (no cohort)"
    return f"95% interval {percent(low, digits)} to {percent(high, digits)}"


def rate_sentence(
    what: str, numerator: int, denominator: int, low: float | None, high: float | None, *, noun: str = "young people"
) -> str:
    """A rate in plain English, e.g. ``'28 in every 100 young people (95% interval 24 to 33) reoffended
    within 12 months: 141 of 500.'`` ``what`` is the verb phrase (``'reoffended within 12 months'``)."""
    if denominator <= 0:
        return f"No {noun} to count, so there is no rate of those who {what}."
    rate = numerator / denominator
    return (
        f"{100 * rate:.0f} in every 100 {noun} {what} ({interval_text(low, high, 0)}): "
        f"{numerator:,} of {denominator:,}."
    )


def rag_badge(status: str) -> str:
    """An HTML red/amber/green badge: the colour and the word, so it reads without colour vision."""
    background, text = RAG_COLOURS.get(status, RAG_COLOURS["grey"])
    word = RAG_WORDS.get(status, status.title())
    return (
        f'<span class="yot-badge" style="background:{background};color:{text}" '
        f'title="{html.escape(word)}">{html.escape(word)}</span>'
    )


def _rows(params: Mapping[str, Any]) -> str:
    return "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in params.items()
    )


def header_html(
    suite_title: str,
    page_title: str,
    period: str,
    parameters: Mapping[str, Any],
    rules: Sequence[str] = (),
    methods_url: str = "methods.html",
) -> str:
    """The top of every report: suite title, page title, period, the parameter values and the
    METHODS.md rules that made the figures, with a link to the methods page."""
    rule_items = "".join(f"<li>{html.escape(r)}</li>" for r in rules)
    rules_block = f"<p><b>Counting rules used</b></p><ul>{rule_items}</ul>" if rules else ""
    return (
        '<div class="yot-header">'
        f'<div class="suite">{html.escape(suite_title)}</div>'
        f"<h1>{html.escape(page_title)}</h1>"
        f"<div><b>Period:</b> {html.escape(period)}</div>"
        f"<details><summary>Settings and rules behind these figures</summary>"
        f'<table class="yot">{_rows(parameters)}</table>{rules_block}'
        f'<p>Every rule is defined on the <a href="{html.escape(methods_url)}">methods page</a>.</p>'
        "</details></div>"
    )


def provisional_html(what: str, complete_from: dt.date | None, extract_date: dt.date | None) -> str:
    """A banner saying a figure is provisional, why, and from when it will be complete."""
    when = f" It will be complete in an extract dated {complete_from:%d %B %Y} or later." if complete_from else ""
    dated = f" (the extract is dated {extract_date:%d %B %Y})" if extract_date else ""
    return (
        f'<div class="yot-banner"><b>Provisional [p].</b> {html.escape(what)}: the follow-up and waiting '
        f"period have not yet fully passed{html.escape(dated)}, so later reoffences may still be proven and "
        f"these figures can rise.{html.escape(when)}</div>"
    )


def key_html(threshold: int = 5) -> str:
    """The key to the GSS shorthand used in tables (every page that uses it shows this)."""
    return f'<p class="yot-key"><b>Key:</b> {html.escape(SHORTHAND_KEY.format(t_minus=max(threshold - 1, 1)))}</p>'


# ----------------------------------------------------------------------------------- notebooks
class _Html:
    """A tiny display object: notebooks show it as HTML without importing IPython here."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def show_html(text: str) -> _Html:
    """Wrap HTML for display as a notebook's cell output."""
    return _Html(text)


def header(
    suite_title: str, page_title: str, period: str, parameters: Mapping[str, Any], rules: Sequence[str] = (),
    methods_url: str = "methods.html",
) -> _Html:
    """Notebook form of :func:`header_html`."""
    return _Html(header_html(suite_title, page_title, period, parameters, rules, methods_url))


def provisional_banner(what: str, complete_from: dt.date | None, extract_date: dt.date | None) -> _Html:
    """Notebook form of :func:`provisional_html`."""
    return _Html(provisional_html(what, complete_from, extract_date))


def say(markdown_text: str) -> Any:
    """Show a short plain-English paragraph (Markdown) as a cell output."""
    from IPython.display import Markdown

    return Markdown(markdown_text)


def table_html(frame: Any, *, numeric: Iterable[str] = (), caption: str | None = None) -> _Html:
    """An already-disclosure-controlled summary table (polars or pandas) as a plain HTML table.

    Only for aggregate tables that have passed ``yot.disclosure``; never for rows of people.
    """
    if hasattr(frame, "to_dicts"):
        columns, records = list(frame.columns), frame.to_dicts()
    else:
        columns, records = list(frame.columns), frame.to_dict("records")
    numeric = set(numeric)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="{"num" if c in numeric else ""}">{html.escape("" if r[c] is None else str(r[c]))}</td>'
            for c in columns
        ) + "</tr>"
        for r in records
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return _Html(f'<table class="yot">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


def style_html() -> _Html:
    """The pack's table and badge styles, for notebooks that show :func:`table_html` or badges."""
    return _Html(f"<style>{PAGE_CSS.replace('body {', '.yot-unused {')}</style>")


def set_theme() -> None:
    """One chart look for every page: white grid, readable text, a colour-blind-safe palette."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", palette="colorblind", font_scale=1.05)
    mpl.rcParams.update({
        "figure.figsize": (8, 4.2), "figure.dpi": 100, "savefig.dpi": 100,
        "axes.titleweight": "bold", "axes.titlesize": 13, "figure.autolayout": True,
    })


def error_bars(values: Any, low: Any, high: Any) -> list[Any]:
    """Matplotlib ``xerr``/``yerr`` from an estimate and its interval (never negative, despite rounding)."""
    import numpy as np

    values, low, high = (np.asarray(v, dtype=float) for v in (values, low, high))
    return [np.clip(values - low, 0, None), np.clip(high - values, 0, None)]


def year_axis(ax: Any) -> None:
    """Whole years on the x axis (no 2002.5)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def percent_axis(ax: Any, axis: str = "y") -> None:
    """Proportions shown as percentages on an axis."""
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))


# ----------------------------------------------------------------------------------- pack pages
@dataclass(frozen=True)
class PageLink:
    """One report of the pack as the index lists it."""

    title: str
    href: str | None  # None when the page failed or was left out
    group: str
    provisional: bool = False
    status: str = "ok"  # ok | failed
    note: str = ""


def page_html(title: str, body: str, *, nav: bool = True, footer: str = "") -> str:
    """A complete, self-contained HTML page in the pack's style (no external scripts or fonts)."""
    nav_html = (
        '<nav class="yot-nav"><a href="index.html">Contents of the pack</a>'
        '<a href="methods.html">How the figures are counted</a></nav>' if nav else ""
    )
    foot = f'<footer class="yot-footer">{footer}</footer>' if footer else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head>"
        f"<body>{nav_html}<main>{body}{foot}</main></body></html>"
    )


def methods_page(markdown_text: str, footer: str = "") -> str:
    """The methods page of the pack: docs/methods.md rendered with mistune (shipped with nbconvert)."""
    import mistune

    body = mistune.html(markdown_text)
    return page_html("How the figures are counted", body, footer=footer)


def _fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "[x]"
    if unit == "proportion":
        return percent(value)
    if unit == "rate_per_100k":
        return f"{value:,.0f} per 100,000"
    return f"{value:,.0f}"


def _fmt_interval(result: Any) -> str:
    if result.ci_low is None or result.ci_high is None:
        return ""
    return f"{_fmt_value(result.ci_low, result.unit)} to {_fmt_value(result.ci_high, result.unit)}"


def _significance(result: Any) -> str:
    if result.observed is None:
        return "[x]"
    if result.significant is None:
        return "[z] (the baseline year, or no test possible)"
    if result.significant:
        return "Yes: the change from the baseline is unlikely to be chance"
    return "No: the change could be chance"


def _count_of(result: Any) -> int | None:
    """The count behind an observed value: reoffenders behind a rate, the count itself for counts."""
    if result.observed is None:
        return None
    if result.unit == "proportion" and result.denominator:
        return round(result.observed * result.denominator)
    if result.unit == "count":
        return round(result.observed)
    if result.unit == "rate_per_100k" and result.denominator:
        return round(result.observed * result.denominator / 100_000)
    return None


def is_disclosive(result: Any, threshold: int = 5) -> bool:
    """Whether a target figure rests on a count from 1 to ``threshold - 1`` (people counted, those who
    reoffended, or those who did not), so that it must be shown as ``[c]`` (METHODS.md, Disclosure)."""
    small = lambda n: n is not None and 1 <= n < threshold  # noqa: E731
    count = _count_of(result)
    others = result.denominator - count if (result.unit == "proportion" and result.denominator and count is not None) else None
    return small(result.denominator if result.unit == "proportion" else None) or small(count) or small(others)


def small_tier_baselines(table: Any, baseline_year: int, threshold: int = 5) -> set[str]:
    """Measures (``"Binary reoffending rate, <tier>"``) whose baseline-year tier cohort rests on a count
    from 1 to ``threshold - 1``: their baseline and target (which reveals the baseline) are shown as [c].

    ``table`` is ``yot.measures.measures_by_year`` output that includes the baseline year.
    """
    small = lambda n: 1 <= n < threshold  # noqa: E731
    hidden = set()
    for row in table.filter((table["breakdown"] == "tier") & (table["year"] == baseline_year)).iter_rows(named=True):
        n, x = row["cohort_size"], row["reoffenders"]
        if small(n) or small(x) or small(n - x):
            hidden.add(f"Binary reoffending rate, {row['group'].replace('_', ' ')}")
    return hidden


def target_row(result: Any, threshold: int = 5, *, show_area: bool = True, baseline_hidden: bool = False) -> str:
    """One row of a targets table from a ``yot.targets.TargetResult``; figures resting on counts from
    1 to ``threshold - 1`` are shown as [c], and so are the verdicts drawn from them."""
    p = " [p]" if result.provisional else ""
    hidden = is_disclosive(result, threshold) or baseline_hidden
    met = "[c]" if hidden else {True: "Met", False: "Not met", None: "[x]"}[result.met]
    observed = "[c]" if hidden else _fmt_value(result.observed, result.unit)
    interval = "" if hidden else _fmt_interval(result)
    status = html.escape("[c]") if hidden else rag_badge(result.status)
    significance = "[c]" if hidden else _significance(result)
    baseline = "[c]" if baseline_hidden else _fmt_value(result.baseline_value, result.unit)
    target = "[c]" if baseline_hidden else _fmt_value(result.target_value, result.unit)
    area = f"<td>{html.escape(result.area)}</td>" if show_area else ""
    return (
        "<tr>"
        f"{area}<td>{html.escape(result.measure)}</td>"
        f"<td>{html.escape(result.period_label)}{' cohort' if result.area == 'Proven reoffending' else ''}{p}</td>"
        f'<td class="num">{html.escape(baseline)} '
        f'<span class="yot-small">({html.escape(result.baseline_label)})</span></td>'
        f'<td class="num">{html.escape(target)}</td>'
        f'<td class="num">{html.escape(observed)}{p if not hidden else ""}'
        f'<div class="yot-small">{html.escape(interval)}</div></td>'
        f"<td>{met}</td><td>{status}</td>"
        f"<td>{html.escape(significance)}</td>"
        "</tr>"
    )


TARGET_HEADINGS = (
    "Area", "Measure", "Period", "Baseline", "Target", "Latest figure (95% interval)", "Target met?",
    "Status", "Change from baseline beyond chance?",
)


def targets_table_html(
    sections: Sequence[tuple[str, Sequence[Any] | str]], threshold: int = 5, *, show_area: bool = True,
    table_id: str = "targets", hidden_baselines: Iterable[str] = (),
) -> str:
    """The red/amber/green table of Theme 1 targets: per area either results or a reason there are none.

    The landing page and the targets notebooks both build their tables here, from ``TargetResult``s.
    """
    headings = TARGET_HEADINGS if show_area else TARGET_HEADINGS[1:]
    head = "".join(f"<th>{h}</th>" for h in headings)
    rows = []
    for area, results in sections:
        if isinstance(results, str):
            rows.append(
                f"<tr><td>{html.escape(area)}</td><td colspan='{len(headings) - 1}'>"
                f"{html.escape(results)}</td></tr>"
            )
        else:
            hide = set(hidden_baselines)
            rows.extend(target_row(r, threshold, show_area=show_area, baseline_hidden=r.measure in hide)
                        for r in results)
    return (f'<table class="yot" id="{html.escape(table_id)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


RAG_EXPLAINED = (
    "<p class='yot-small'><b>How to read the status:</b> "
    + "; ".join(f"{rag_badge(s)} {html.escape(w)}" for s, w in (
        ("green", "the latest figure meets the target"),
        ("amber", "not met, but better than the baseline, or the target is within the figure's margin of error"),
        ("red", "not met, no better than the baseline, and the target is outside the margin of error"),
        ("grey", "no figure yet"),
    ))
    + ". The 95% interval is the range the true figure probably lies in, given the number of young people counted. "
    "<b>Binary reoffending rate:</b> the share of a year's cohort with a proven reoffence within the follow-up "
    "(12 months unless the methods page says otherwise). <b>Change beyond chance?</b> whether the change from the "
    "baseline is larger than chance alone would be likely to produce (5% significance).</p>"
)


def index_html(
    *,
    suite_title: str,
    yot_name: str,
    extract_date: dt.date | None,
    target_sections: Sequence[tuple[str, Sequence[Any] | str]],
    pages: Sequence[PageLink],
    notes: Sequence[str] = (),
    failures: Sequence[str] = (),
    threshold: int = 5,
    footer: str = "",
    hidden_baselines: Iterable[str] = (),
) -> str:
    """The landing page: Theme 1 targets in a red/amber/green table with the latest figures, then
    links to every report (provisional ones marked [p]) and to the methods page."""
    parts = [
        '<div class="yot-header">'
        f'<div class="suite">{html.escape(yot_name)} Youth Offending Team</div>'
        f"<h1>{html.escape(suite_title)}</h1>"
        + (f"<div>Figures from the case-level extract dated {extract_date:%d %B %Y}.</div>" if extract_date else "")
        + "</div>"
    ]
    if failures:
        items = "".join(f"<li>{html.escape(f)}</li>" for f in failures)
        parts.append(
            '<div class="yot-failed"><b>This pack is incomplete.</b> These parts failed and are not '
            f"shown as finished:<ul>{items}</ul></div>"
        )
    parts.append("<h2>Theme 1 targets: the latest figures</h2>")
    parts.append(
        "<p>Each row is one target of the strategy: where it started (the baseline), where it should be by now "
        "(the target), and the latest figure. Reoffending is counted for a whole year's cohort once its follow-up "
        "is over, so the latest cohort is older than the extract. Each report below explains its figures in "
        "plain words; figures marked [p] are provisional and can still change.</p>")
    parts.append(targets_table_html(target_sections, threshold, hidden_baselines=hidden_baselines))
    parts.append(RAG_EXPLAINED)
    parts.append(key_html(threshold))
    groups: dict[str, list[PageLink]] = {}
    for page in pages:
        groups.setdefault(page.group, []).append(page)
    parts.append("<h2>Reports in this pack</h2>")
    for group, links in groups.items():
        items = []
        for link in links:
            p = " [p]" if link.provisional else ""
            if link.href and link.status == "ok":
                items.append(f'<li><a href="{html.escape(link.href)}">{html.escape(link.title)}</a>{p}</li>')
            else:
                items.append(f"<li>{html.escape(link.title)}: <b>failed, not published</b></li>")
        parts.append(f"<h3>{html.escape(group)}</h3><ul>{''.join(items)}</ul>")
    parts.append(
        '<p><a href="methods.html">How the figures are counted (methods and definitions)</a>: every number in '
        "this pack follows these rules.</p>"
    )
    if notes:
        parts.append("<h3>Notes</h3><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    return page_html(f"{suite_title}: contents", "".join(parts), footer=footer)
