"""Words of the target verdicts, made from their numbers (METHODS.md "Targets and verdicts").

Every sentence states a direction and a unit ("up 3.0 percentage points from 28.2%", "down 4% from
1,449 per 100,000"); the test says which way ("a rise unlikely to be chance, p = 0.03"); the detectable
change says what would show ("a fall of 7.4 points would show about 8 times in 10") or that nothing
would; the trend is set beside the target's own change a year. Direction words come from the signs of
the figures as they are shown (rounded), never from the caller. The status words and the status key
are :data:`yot.labels.STATUS_WORDS` and :func:`yot.labels.status_key`: one key everywhere.

A figure that the page's table hides (``[c]``) is never written: callers pass ``shown=False`` and
the sentence says the figure is too small to publish.
"""

from __future__ import annotations

from yot.labels import STATUS_COLOURS, STATUS_WORDS, label, status_key
from yot.verdicts import Trend, Verdict

__all__ = ["STATUS_WORDS", "status_key", "status_text", "figure", "change_phrase", "test_phrase", "p_text",
           "detectable_phrase", "on_target_phrase", "verdict_sentence", "trend_sentence", "subject",
           "period_words", "signed_percent"]

SUBJECTS: dict[str, str] = {
    "reoffending": "reoffending",
    "fte": "first-time entrants",
    "substance_starts": "the number of young people starting substance-misuse work",
    "substance_improvement": "the share of end reviews reporting reduced or stopped use",
}
FIGURE_NOUNS: dict[str, str] = {
    "reoffending": "reoffending rate",
    "fte": "first-time-entrant figure",
    "substance_starts": "number starting",
    "substance_improvement": "share improving",
}


def status_text(status: str) -> str:
    """The status words with the colour of a rated status: ``Amber: Not met, within the margin of error``."""
    colour = STATUS_COLOURS.get(status)
    return f"{colour}: {STATUS_WORDS[status]}" if colour else STATUS_WORDS[status]


def subject(target: str, tier: str | None = None) -> str:
    """What a target measures, for a sentence: ``reoffending``, ``reoffending after a pre-court outcome``."""
    if tier:
        return f"reoffending after a {label('tier_short', tier)} outcome"
    return SUBJECTS[target]


def figure(value: float | None, unit: str) -> str:
    """A figure in its unit: ``28.2%``, ``1,449 per 100,000``, ``280``; ``[x]`` when missing."""
    if value is None:
        return "[x]"
    if unit == "proportion":
        return f"{100 * value:.1f}%"
    if unit == "per_100k":
        return f"{value:,.0f} per 100,000"
    return f"{value:,.0f}"


def signed_percent(value: float, decimals: int = 1, trim: bool = False) -> str:
    """A relative change as a signed percentage: ``+2.1%``; with ``trim`` a whole number loses its
    ``.0`` (``-5%``, for a target's own change); never ``-0.0%``."""
    text = f"{100 * value:+.{decimals}f}"
    if float(text) == 0:
        text = f"{0:.{decimals}f}"
    if trim and "." in text and text.rstrip("0").endswith("."):
        text = text.split(".")[0]
    return text + "%"


def _shown_change(v: Verdict) -> tuple[float, str]:
    """The change as shown (from the rounded figures), and its size in words without a sign."""
    assert v.observed is not None and v.baseline is not None
    if v.unit == "proportion":  # the change column of the table, rounded as it shows it
        points = round(100 * (v.observed - v.baseline), 1)
        return points, f"{abs(points):.1f} percentage points"
    relative = v.observed / v.baseline - 1 if v.baseline else 0.0
    whole = round(100 * relative)
    if whole != 0:
        return float(whole), f"{abs(whole)}%"
    tenth = round(100 * relative, 1)
    return tenth, f"{abs(tenth):.1f}%"


def change_phrase(v: Verdict) -> str:
    """``up 3.0 percentage points from 28.2%``; ``down 4% from 1,449 per 100,000``; ``the same as the
    baseline of 280`` when the change rounds to nothing."""
    base = figure(v.baseline, v.unit)
    size, words = _shown_change(v)
    if size == 0:
        return f"the same as the baseline of {base}"
    return f"{'up' if size > 0 else 'down'} {words} from {base}"


def p_text(p_value: float) -> str:
    """``p < 0.001``, ``p = 0.004``, ``p = 0.03``; three decimals where two would round to the 0.05 the
    words turn on (``p = 0.054``, said as could well be chance, never ``p = 0.05``)."""
    if p_value < 0.001:
        return "p < 0.001"
    if p_value < 0.01 or round(p_value, 2) == 0.05:
        return f"p = {p_value:.3f}"
    return f"p = {p_value:.2f}"


def test_phrase(v: Verdict) -> str:
    """The one-sample test of the change from the baseline, with its direction: ``a rise unlikely to
    be chance, p = 0.03``; ``a fall that could well be chance, p = 0.41``."""
    if v.p_value is None or v.observed is None or v.baseline is None:
        return "no test"
    size, _ = _shown_change(v)
    if size == 0:
        return f"no change beyond chance, {p_text(v.p_value)}"
    way = "rise" if size > 0 else "fall"
    if v.p_value < 0.05:
        return f"a {way} unlikely to be chance, {p_text(v.p_value)}"
    return f"a {way} that could well be chance, {p_text(v.p_value)}"


def detectable_phrase(v: Verdict) -> str:
    """``a fall of 7.4 points would show about 8 times in 10``; ``no change of any size would reliably
    show with this few people`` when none reaches 80% power."""
    d = v.detectable_change
    if d is None:
        return "no change of any size would reliably show with this few people"
    way = "fall" if d < 0 else "rise"
    if v.unit == "proportion":
        size = f"{abs(100 * d):.1f} points"
    elif v.unit == "per_100k":
        size = f"{abs(d):,.0f} per 100,000"
    else:
        size = f"{abs(d):,.0f}"
    return f"a {way} of {size} would show about 8 times in 10"


def on_target_phrase(v: Verdict) -> str:
    """The chance of being on target as a whole percentage: ``the chance that the true figure is at or
    below the target is 38%`` (``less than 1%``, ``more than 99%`` at the ends)."""
    p = v.p_on_target
    if p is None:
        return ""
    percent = round(100 * p)
    words = "less than 1%" if percent < 1 else "more than 99%" if percent > 99 else f"{percent}%"
    side = "at or below" if v.lower_is_better else "at or above"
    return f"the chance that the true {FIGURE_NOUNS[v.target]} is {side} the target is {words}"


def period_words(v: Verdict) -> str:
    """``the 2005 cohort``, ``the 2005 pre-court cohort`` (reoffending) or ``2005-06``."""
    if v.target != "reoffending":
        return v.period
    return f"the {v.period} {label('tier_short', v.tier)} cohort" if v.tier else f"the {v.period} cohort"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def verdict_sentence(v: Verdict, shown: bool = True, detail: bool = True, baseline_shown: bool = True) -> str:
    """The words of one verdict: status, figure and interval against the target, change from the
    baseline with the test, the chance of being on target and what size of change would show.
    ``shown``: False when the page's table hides the figure (then no figure is written);
    ``baseline_shown``: False when it hides the baseline (a tier's, from a small baseline cohort: then
    neither the baseline nor the target nor the status, which would reveal it, is written); ``detail``:
    False leaves out the chance of being on target and the detectable change (the index's findings)."""
    when = period_words(v)
    if v.status == "no_data":
        return f"{_capital(when)}: **{STATUS_WORDS['no_data']}**: the extract has no figure for this period."
    if not shown:
        return (f"{_capital(when)}: the figure is too small to publish (a count is below the disclosure threshold), "
                "so it is not described here.")
    obs = figure(v.observed, v.unit)
    low = figure(v.ci_low, "count") if v.unit == "per_100k" else figure(v.ci_low, v.unit)  # the unit once
    interval = f"95% interval {low} to {figure(v.ci_high, v.unit)}"
    if not baseline_shown:
        return (f"{_capital(when)}: {obs} ({interval}); its baseline, target and status rest on a count too small to "
                "publish ([c]).")
    if v.status == "baseline":
        return (f"{_capital(when)} is the **{STATUS_WORDS['baseline']}** (not rated): {obs} in this extract "
                f"({interval}); the baseline used is {figure(v.baseline, v.unit)}.")
    if v.status == "provisional":
        return (f"{_capital(when)}: **{STATUS_WORDS['provisional']}** [p]. So far {obs} ({interval}), "
                f"{change_phrase(v)}, against a target of {figure(v.target_value, v.unit)}; the figures are not "
                "final yet and can still change.")
    head = (f"{_capital(when)}: **{status_text(v.status)}**. {_capital(obs)} ({interval}) against a target of "
            f"{figure(v.target_value, v.unit)}: {change_phrase(v)} ({test_phrase(v)}).")
    if not detail:
        return head
    return f"{head} {_capital(on_target_phrase(v))}. At this size, {detectable_phrase(v)}."


def trend_sentence(t: Trend, unit_periods: str = "") -> str:
    """``Across the 2003 to 2007 cohorts reoffending changed by +2.1% a year (95% interval -1.0% to
    +5.3%); the strategy aimed for -5% a year.`` Or why there is no trend."""
    what = subject(t.target, t.tier)
    if t.change_per_year is None:
        return f"There is no trend for {what} yet: {t.reason}."
    span = (f"the {t.first_period} to {t.last_period} cohorts" if t.target == "reoffending"
            else f"{t.first_period} to {t.last_period}")
    aim = ("" if t.target_change_per_year is None
           else f"; the strategy aimed for {signed_percent(t.target_change_per_year, trim=True)} a year")
    moved = ("rose" if t.change_per_year > 0 else "fell") if round(100 * t.change_per_year, 1) != 0 else "was level"
    return (f"Across {span} {what} {moved}: it changed by {signed_percent(t.change_per_year)} a year (95% interval "
            f"{signed_percent(t.ci_low)} to {signed_percent(t.ci_high)}){aim}.")  # type: ignore[arg-type]
