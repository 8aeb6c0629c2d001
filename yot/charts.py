"""The pack's charts, drawn with seaborn and matplotlib from a page's :class:`~yot.pages.model.Chart`.

Each ``kind`` of chart has one drawing function here, so every chart of a kind looks the same: one
theme, distinct colour-blind-safe colours, small multiples on a shared scale, a legend entry for
every line (target lines included), period labels as the tables write them. The data arrive already
publishable: a figure hidden by disclosure control is null and drawn as a ``[c]`` label, never a bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter

from yot.pages.model import Chart

# Okabe and Ito's colour-blind-safe colours, ordered so that the first five are far apart (seaborn's
# "colorblind" puts two oranges second and fourth, which read as one on a five-line chart).
PALETTE = [(0.0, 0.447, 0.698), (0.902, 0.624, 0.0), (0.0, 0.620, 0.451), (0.800, 0.475, 0.655),
           (0.337, 0.706, 0.914), (0.835, 0.369, 0.0), (0.0, 0.0, 0.0), (0.941, 0.894, 0.259)]
"""Blue, orange, bluish green, reddish purple, sky blue, vermillion, black, yellow."""
TARGET_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.4}


def set_theme() -> None:
    """One chart look for every page: white grid, readable text, a colour-blind-safe palette."""
    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE, font_scale=1.0)
    matplotlib.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 100, "axes.titleweight": "bold", "axes.titlesize": 12,
        "figure.autolayout": False,
    })


def _errors(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Matplotlib error bars from an estimate and its interval (never negative, despite rounding)."""
    return np.vstack([np.clip(values - low, 0, None), np.clip(high - values, 0, None)])


def _percent(ax: Any, axis: str = "y") -> None:
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))


def _col(frame: pl.DataFrame, name: str) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in frame.get_column(name).to_list()], dtype=float)


def lines(chart: Chart) -> Figure:
    """Counts per year of several series (``x``, ``y``, ``series``); hidden points are left out. An
    optional ``period`` column labels the x positions as the tables write them ("2004-05")."""
    o = chart.options
    fig, ax = plt.subplots(figsize=(9, 4.2))
    data = chart.data.filter(pl.col("y").is_not_null())
    for k, (series,) in enumerate(data.select("series").unique(maintain_order=True).iter_rows()):
        part = data.filter(pl.col("series") == series)
        ax.plot(part["x"].to_list(), part["y"].to_list(), marker="o", color=PALETTE[k % len(PALETTE)], label=series)
    ax.set_title(chart.title)
    ax.set_xlabel(o.get("x_label", ""))
    ax.set_ylabel(o.get("y_label", ""))
    if "period" in chart.data.columns:
        ticks = chart.data.select("x", "period").unique(maintain_order=True).sort("x")
        ax.set_xticks(ticks["x"].to_list(), ticks["period"].to_list(), rotation=0 if ticks.height < 8 else 45)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(title=o.get("legend_title"), bbox_to_anchor=(1.02, 1), loc="upper left", frameon=False)
    fig.tight_layout()
    return fig


def group_bars(chart: Chart) -> Figure:
    """Small multiples of horizontal bars with 95% intervals (``panel``, ``group``, ``rate``, ``low``,
    ``high``, ``label``), every panel on the same scale so a longer bar is always a higher rate."""
    o = chart.options
    panels = list(dict.fromkeys(chart.data.get_column("panel").to_list()))
    ncols = 2 if len(panels) > 1 else 1
    nrows = math.ceil(len(panels) / ncols)
    heights = [max(chart.data.filter(pl.col("panel") == p).height for p in panels[r * ncols:(r + 1) * ncols])
               for r in range(nrows)]
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 1.2 + sum(0.42 * h + 0.9 for h in heights)),
                             squeeze=False, sharex=True, gridspec_kw={"height_ratios": heights})
    top = np.nanmax(np.r_[_col(chart.data, "high"), _col(chart.data, "rate"), 0.01])
    for k, (ax, panel) in enumerate(zip(axes.flat, panels)):
        part = chart.data.filter(pl.col("panel") == panel)
        groups = part.get_column("group").to_list()
        rate, low, high = _col(part, "rate"), _col(part, "low"), _col(part, "high")
        y = np.arange(len(groups))
        shown = ~np.isnan(rate)
        ax.barh(y[shown], rate[shown], color=PALETTE[0], height=0.6)
        ax.errorbar(rate[shown], y[shown], xerr=_errors(rate[shown], low[shown], high[shown]), fmt="none",
                    ecolor="black", capsize=3, linewidth=1)
        for yi, text in zip(y[~shown], np.array(part.get_column("label").to_list(), dtype=object)[~shown]):
            ax.text(0.005, yi, text, va="center", ha="left", fontsize=9, color="#333")
        ax.set_yticks(y, groups)
        ax.set_ylim(heights[k // ncols] - 0.5, -0.5)  # bars of one thickness in every panel, first group on top
        ax.set_title(panel, fontsize=11, loc="left")
        ax.set_xlim(0, min(1.0, top * 1.08))
        _percent(ax, "x")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_axis_off()
    fig.suptitle(chart.title, fontweight="bold", x=0.01, ha="left")
    fig.supxlabel(o.get("x_label", ""), fontsize=10)
    fig.tight_layout()
    return fig


def count_bars(chart: Chart) -> Figure:
    """Vertical bars of counts by category (``category``, ``count``, ``label``); a hidden count shows
    its ``[c]`` label and no bar."""
    o = chart.options
    fig, ax = plt.subplots(figsize=(8, 3.8))
    cats = chart.data.get_column("category").to_list()
    counts = _col(chart.data, "count")
    ax.bar(range(len(cats)), np.nan_to_num(counts), color=PALETTE[1])
    for x, (value, text) in enumerate(zip(np.nan_to_num(counts), chart.data.get_column("label").to_list())):
        ax.annotate(text, (x, value), ha="center", va="bottom", fontsize=10)
    ax.set_xticks(range(len(cats)), cats)
    ax.set_title(chart.title)
    ax.margins(y=0.15)
    ax.set_xlabel(o.get("x_label", ""))
    ax.set_ylabel(o.get("y_label", ""))
    fig.tight_layout()
    return fig


def compare_bars(chart: Chart) -> Figure:
    """A few rates side by side with their 95% intervals (``category``, ``rate``, ``low``, ``high``)."""
    o = chart.options
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    cats = chart.data.get_column("category").to_list()
    rate, low, high = (_col(chart.data, c) for c in ("rate", "low", "high"))
    ax.bar(range(len(cats)), rate, color=[PALETTE[k % len(PALETTE)] for k in range(len(cats))])
    ax.errorbar(range(len(cats)), rate, yerr=_errors(rate, low, high), fmt="none", ecolor="black", capsize=4)
    ax.set_xticks(range(len(cats)), cats)
    ax.set_title(chart.title)
    ax.set_xlabel(o.get("x_label", ""))
    ax.set_ylabel(o.get("y_label", ""))
    ax.set_ylim(0, min(1.0, np.nanmax(np.r_[high, 0.01]) * 1.15))
    _percent(ax)
    fig.tight_layout()
    return fig


def target_trend(chart: Chart) -> Figure:
    """Observed figures with 95% intervals against the target trajectory, one panel per ``panel``
    (shared y scale): ``x`` (position), ``period`` (label), ``observed``, ``low``, ``high``, ``target``,
    ``status`` (provisional points are drawn hollow). The dashed target line has its legend entry."""
    o = chart.options
    data = chart.data
    panels = list(dict.fromkeys(data.get_column("panel").to_list())) if "panel" in data.columns else [""]
    ncols = 1 if len(panels) == 1 else 2
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(9 if ncols == 1 else 11, 4.2 * nrows), squeeze=False,
                             sharey=True)
    values = np.r_[_col(data, "high"), _col(data, "target"), _col(data, "observed")]
    top = np.nanmax(np.r_[values, 0.0]) * 1.12 or 1.0
    for ax, panel in zip(axes.flat, panels):
        part = data if panel == "" else data.filter(pl.col("panel") == panel)
        x, target = _col(part, "x"), _col(part, "target")
        ax.plot(x[~np.isnan(target)], target[~np.isnan(target)], **TARGET_STYLE)
        obs, low, high = _col(part, "observed"), _col(part, "low"), _col(part, "high")
        provisional = np.array([s == "provisional" for s in part.get_column("status").to_list()])
        for hollow in (False, True):
            keep = (provisional == hollow) & ~np.isnan(obs)
            if keep.any():
                ax.errorbar(x[keep], obs[keep], yerr=_errors(obs[keep], low[keep], high[keep]), fmt="o",
                            color=PALETTE[0], markerfacecolor="white" if hollow else PALETTE[0], capsize=4)
        ax.set_xticks(x, part.get_column("period").to_list(), rotation=0 if len(x) < 8 else 45)
        ax.set_title(panel if panel else chart.title, fontsize=11, loc="left")
        ax.set_ylim(0, top)
        if o.get("percent", True):
            _percent(ax)
        ax.set_ylabel(o.get("y_label", ""))
    for ax in list(axes.flat)[len(panels):]:
        ax.set_axis_off()
    handles = [Line2D([], [], **TARGET_STYLE, label=o.get("target_label", "Target trajectory")),
               Line2D([], [], marker="o", color=PALETTE[0], linestyle="none", label="Final figure, 95% interval"),
               Line2D([], [], marker="o", color=PALETTE[0], markerfacecolor="white", linestyle="none",
                      label="Provisional [p], 95% interval")]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, bbox_to_anchor=(0.5, -0.01))
    if len(panels) > 1:
        fig.suptitle(chart.title, fontweight="bold", x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


DRAWINGS: dict[str, Callable[[Chart], Figure]] = {
    "lines": lines, "group_bars": group_bars, "count_bars": count_bars, "compare_bars": compare_bars,
    "target_trend": target_trend,
}


def love_plot(chart: Chart) -> Figure:
    """Balance of matching (a "love plot"): the standardised difference of each ``characteristic``
    ``before`` matching (open circles) and ``after`` (filled), with dashed lines at -limit and +limit
    (``options["limit"]``, default 0.10) inside which a characteristic counts as alike."""
    o = chart.options
    limit = float(o.get("limit", 0.10))
    data = chart.data
    names = data.get_column("characteristic").to_list()
    before, after = _col(data, "before"), _col(data, "after")
    y = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.3 * max(len(names), 3)))
    ax.axvspan(-limit, limit, color="#e6f2e8", zorder=0)
    for x in (-limit, limit):
        ax.axvline(x, color="#2e7d32", linestyle="--", linewidth=1)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.scatter(before, y, facecolors="none", edgecolors=PALETTE[0], s=36, linewidths=1.4, zorder=3)
    ax.scatter(after, y, color=PALETTE[1], s=36, zorder=4)
    ax.set_yticks(y, names, fontsize=9)
    ax.set_ylim(len(names) - 0.5, -0.5)
    reach = np.nanmax(np.r_[np.abs(before), np.abs(after), limit * 1.5])
    ax.set_xlim(-reach * 1.1, reach * 1.1)
    ax.set_xlabel(o.get("x_label", "Standardised difference"))
    ax.set_title(chart.title, loc="left")
    handles = [Line2D([], [], marker="o", color=PALETTE[0], markerfacecolor="none", linestyle="none",
                      label="Before matching"),
               Line2D([], [], marker="o", color=PALETTE[1], linestyle="none", label="After matching"),
               Line2D([], [], color="#2e7d32", linestyle="--", label=f"Alike: within -{limit:.2f} to +{limit:.2f}")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


def survival_curves(chart: Chart) -> Figure:
    """Step curves of the share not yet having the event (``group``, ``day``, ``surviving``), one per
    group with its legend entry; a dotted line at ``options["mark_day"]`` (the day the difference is
    read) has its own."""
    o = chart.options
    fig, ax = plt.subplots(figsize=(9, 4.2))
    data = chart.data
    for k, (group,) in enumerate(data.select("group").unique(maintain_order=True).iter_rows()):
        part = data.filter(pl.col("group") == group).sort("day")
        ax.step(part["day"].to_list(), part["surviving"].to_list(), where="post", color=PALETTE[k % len(PALETTE)],
                linewidth=2, label=group)
    handles, _ = ax.get_legend_handles_labels()
    mark = o.get("mark_day")
    if mark is not None:
        ax.axvline(mark, color="black", linestyle=":", linewidth=1.2)
        handles.append(Line2D([], [], color="black", linestyle=":", label=f"Day {mark}"))
    lowest = np.nanmin(np.r_[_col(data, "surviving"), 1.0])
    ax.set_ylim(max(0.0, lowest - 0.1), 1.02)
    _percent(ax)
    ax.set_xlim(left=0)
    ax.set_xlabel(o.get("x_label", "Days"))
    ax.set_ylabel(o.get("y_label", ""))
    ax.set_title(chart.title, loc="left")
    ax.legend(handles=handles, loc="lower left", frameon=False)
    fig.tight_layout()
    return fig


def forest(chart: Chart) -> Figure:
    """A forest plot: one row per ``row`` (its label names the programme and the outcome), the
    ``estimate`` with its 95% interval (``low``, ``high``), a line at zero with its legend entry;
    a row with no published estimate shows its ``label`` (``[c]``) instead of a point."""
    o = chart.options
    data = chart.data
    rows = data.get_column("row").to_list()
    est, low, high = _col(data, "estimate"), _col(data, "low"), _col(data, "high")
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(9.5, 1.4 + 0.75 * max(len(rows), 2)))
    shown = ~np.isnan(est)
    ax.axvline(0, color="black", linewidth=1)
    ax.errorbar(est[shown], y[shown], xerr=_errors(est[shown], low[shown], high[shown]), fmt="o", color=PALETTE[0],
                ecolor=PALETTE[0], capsize=4, markersize=7)
    reach = np.nanmax(np.r_[np.abs(low), np.abs(high), np.abs(est), 1.0]) * 1.1
    labels = data.get_column("label").to_list() if "label" in data.columns else [None] * len(rows)
    for yi, text in zip(y[~shown], np.array(labels, dtype=object)[~shown]):
        ax.text(0, yi, f"  {text or 'no estimate'}", va="center", ha="left", fontsize=9, color="#333")
    ax.set_yticks(y, rows, fontsize=9)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(-reach, reach)
    ax.set_xlabel(o.get("x_label", "Difference"))
    ax.set_title(chart.title, loc="left")
    handles = [Line2D([], [], marker="o", color=PALETTE[0], label="Difference, 95% interval"),
               Line2D([], [], color="black", label="No difference")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


DRAWINGS.update({"love_plot": love_plot, "survival_curves": survival_curves, "forest": forest})


def cumulative_curves(chart: Chart) -> Figure:
    """The live tracker: each cohort's cumulative share reoffended by month since the index date
    (``series``, ``month``, ``share``, ``earlier``: True for the earlier complete cohorts, drawn dashed
    grey); ``options["projections"]``: the projected final rate of a cohort (``series``, ``month``,
    ``rate``, ``low``, ``high``) drawn as a hollow point with its 95% interval, marked [p]."""
    o = chart.options
    fig, ax = plt.subplots(figsize=(9, 4.6))
    data = chart.data.filter(pl.col("share").is_not_null())
    colours: dict[str, Any] = {}
    k = 0
    for (series,) in data.select("series").unique(maintain_order=True).iter_rows():
        part = data.filter(pl.col("series") == series)
        earlier = bool(part["earlier"][0])
        if earlier:
            ax.plot([0, *part["month"].to_list()], [0, *part["share"].to_list()], color="#555", linestyle="--",
                    linewidth=1.6, label=series)
        else:
            colours[series] = PALETTE[k % len(PALETTE)]
            ax.plot([0, *part["month"].to_list()], [0, *part["share"].to_list()], marker="o", markersize=4,
                    color=colours[series], label=series)
            k += 1
    for i, p in enumerate(o.get("projections", [])):  # side by side just past the last month
        colour = colours.get(p["series"], PALETTE[0])
        x = p["month"] + 0.5 + 0.45 * i
        ax.errorbar([x], [p["rate"]], yerr=_errors(np.array([p["rate"]]), np.array([p["low"]]), np.array([p["high"]])),
                    fmt="D", color=colour, markerfacecolor="white", capsize=4)
    if o.get("projections"):
        ax.plot([], [], "D", color="#333", markerfacecolor="white",
                label="Projected final rate [p], 95% interval")
    ax.set_xlim(0, o.get("months", 12) + 2.5)
    ax.set_ylim(0, None)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _percent(ax)
    ax.set_title(chart.title)
    ax.set_xlabel(o.get("x_label", "Months since the index date"))
    ax.set_ylabel(o.get("y_label", "Share with a proven reoffence"))
    ax.legend(bbox_to_anchor=(1.02, 1), loc="upper left", frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def funnel(chart: Chart) -> Figure:
    """A funnel plot: each area's rate against its cohort size (``area``, ``cohort_size``, ``rate``,
    ``highlight``, ``label``: the name written beside a point, only for the highlighted YOT and for
    outliers), the centre line and the 95% and 99.8% limits (``options``: ``centre``, ``sizes``,
    ``low95``, ``high95``, ``low998``, ``high998``, ``centre_label``)."""
    o = chart.options
    fig, ax = plt.subplots(figsize=(9, 5))
    sizes = np.asarray(o["sizes"], dtype=float)
    ax.axhline(o["centre"], color="black", linewidth=1.2, label=o.get("centre_label", "Centre"))
    ax.plot(sizes, o["low95"], color="#444", linestyle="--", linewidth=1, label="95% limits")
    ax.plot(sizes, o["high95"], color="#444", linestyle="--", linewidth=1)
    ax.plot(sizes, o["low998"], color="#444", linestyle=":", linewidth=1.2, label="99.8% limits")
    ax.plot(sizes, o["high998"], color="#444", linestyle=":", linewidth=1.2)
    data = chart.data.filter(pl.col("rate").is_not_null())
    others = data.filter(~pl.col("highlight"))
    ax.scatter(others["cohort_size"].to_list(), others["rate"].to_list(), color=PALETTE[0], s=28, alpha=0.8,
               label="Other youth offending teams")
    mine = data.filter(pl.col("highlight"))
    ax.scatter(mine["cohort_size"].to_list(), mine["rate"].to_list(), color=PALETTE[3], s=90, marker="D",
               edgecolor="black", zorder=5, label=o.get("highlight_label", "This youth offending team"))
    for row in data.filter(pl.col("label").is_not_null()).iter_rows(named=True):
        ax.annotate(row["label"], (row["cohort_size"], row["rate"]), xytext=(5, 4), textcoords="offset points",
                    fontsize=9, fontweight="bold" if row["highlight"] else "normal")
    ax.set_xlim(0, sizes.max())
    ax.set_ylim(0, min(1.0, max(np.nanmax(np.r_[o["high998"][len(o["high998"]) // 8:], 0.01]),
                                float(data["rate"].max() or 0)) * 1.15))
    _percent(ax)
    ax.set_title(chart.title)
    ax.set_xlabel(o.get("x_label", "Young people in the cohort"))
    ax.set_ylabel(o.get("y_label", "Reoffended (%)"))
    ax.legend(loc="upper right", frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def lorenz(chart: Chart) -> Figure:
    """How concentrated reoffending is (``series``, ``people_share``, ``share``): the share of all
    reoffences committed by the most prolific people (x: the share of people, most prolific first),
    one line per group, beside the diagonal of an even spread; hidden ([c]) points are left out."""
    o = chart.options
    fig, ax = plt.subplots(figsize=(6.8, 4.8))
    ax.plot([0, 1], [0, 1], color="#777", linestyle=":", linewidth=1, label="If reoffences were spread evenly")
    data = chart.data.filter(pl.col("share").is_not_null())
    for k, (series,) in enumerate(data.select("series").unique(maintain_order=True).iter_rows()):
        part = data.filter(pl.col("series") == series)
        ax.plot([0, *part["people_share"].to_list()], [0, *part["share"].to_list()], marker="o", markersize=4,
                color=PALETTE[k % len(PALETTE)], label=series)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    _percent(ax)
    _percent(ax, "x")
    ax.set_title(chart.title)
    ax.set_xlabel(o.get("x_label", "Share of young people, most prolific first"))
    ax.set_ylabel(o.get("y_label", "Share of all reoffences"))
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


DRAWINGS.update({"cumulative_curves": cumulative_curves, "funnel": funnel, "lorenz": lorenz})


def draw(chart: Chart) -> Figure:
    """Draw ``chart`` with the function of its kind."""
    set_theme()
    try:
        drawing = DRAWINGS[chart.kind]
    except KeyError:
        raise ValueError(f"no drawing for charts of kind {chart.kind!r}") from None
    return drawing(chart)
