"""Showing a page in a notebook: its HTML fragments and its charts, in reading order.

The notebook calls :func:`show`; each chart is drawn by :mod:`yot.charts` (seaborn) and displayed as a
PNG with its own alt text, followed by its source line.
"""

from __future__ import annotations

from yot.pages.model import Chart, Page
from yot.pages.render import caption_html, merge_html, page_fragments


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
    """Display ``page`` in the running notebook: header, sections, tables, charts with alt text."""
    from IPython.display import HTML, Image, display

    for kind, value in merge_html(page_fragments(page, suite_title)):
        if kind == "html":
            display(HTML(value))
        else:
            display(Image(data=chart_png(value), format="png", alt=value.alt))
            display(HTML(caption_html(value)))


def show_exact(page: Page) -> None:
    """The analyst's copy: every table of the page with its exact figures (never published)."""
    from IPython.display import Markdown, display

    for t in page.tables():
        display(Markdown(f"**{t.title}** (exact figures, for the analyst)"))
        display(t.exact().to_pandas())
