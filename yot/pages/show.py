"""Showing a page in a notebook: its HTML fragments and its charts, in reading order.

The notebook calls :func:`show`; each chart is drawn by :mod:`yot.charts` (seaborn) and embedded as a
PNG with its own alt text, its source line under it, in the page's one HTML output.
"""

from __future__ import annotations

from yot.pages.model import Chart, Page
from yot.pages.render import page_html


def chart_png(chart: Chart) -> bytes:
    """The chart drawn and saved as PNG bytes."""
    import io

    import matplotlib.pyplot as plt

    from yot.charts import draw

    figure = draw(chart)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def show(page: Page, suite_title: str = "") -> None:
    """Display ``page`` in the running notebook as one HTML output: header, answer, sections, tables,
    and each chart as a figure (embedded PNG with its own alt text, its source line under it)."""
    from IPython.display import HTML, display

    display(HTML(page_html(page, suite_title, chart_png)))


def show_exact(page: Page) -> None:
    """The analyst's copy: every table of the page with its exact figures (never published)."""
    from IPython.display import Markdown, display

    for t in page.tables():
        display(Markdown(f"**{t.title}** (exact figures, for the analyst)"))
        display(t.exact().to_pandas())
