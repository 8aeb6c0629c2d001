"""Target trajectories and their assessment (METHODS.md, Targets).

A target is relative by default: ``target(y) = baseline * (1 + change) ** (y - baseline_year)`` (a 5%
cut a year is ``change = -0.05``); in ``points`` mode the change is added each year instead. The
red/amber/green status every page shows is decided here, in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Mode = Literal["relative", "points"]
Status = Literal["green", "amber", "red", "grey"]

STATUS_WORDS: dict[str, str] = {
    "green": "on target",
    "amber": "not met, but moving the right way or within the margin of error",
    "red": "not met and no better than the baseline",
    "grey": "no figure yet",
}


def target_value(
    baseline_value: float, baseline_year: int, change_per_year: float, year: int, mode: Mode = "relative"
) -> float:
    """The target for ``year`` on the trajectory from the baseline."""
    steps = year - baseline_year
    if mode == "relative":
        return baseline_value * (1 + change_per_year) ** steps
    if mode == "points":
        return baseline_value + change_per_year * steps
    raise ValueError(f"unknown target mode: {mode!r}")


def trajectory(
    baseline_value: float, baseline_year: int, change_per_year: float, years: list[int], mode: Mode = "relative"
) -> dict[int, float]:
    """Target values for each of ``years``."""
    return {y: target_value(baseline_value, baseline_year, change_per_year, y, mode) for y in years}


def is_met(observed: float | None, target: float, lower_is_better: bool) -> bool | None:
    """Whether the observed value reaches the target (None when there is no observed value)."""
    if observed is None:
        return None
    return observed <= target if lower_is_better else observed >= target


def rag_status(
    observed: float | None,
    target: float,
    baseline: float,
    lower_is_better: bool,
    ci: tuple[float | None, float | None] = (None, None),
) -> Status:
    """Red/amber/green for one target.

    - green: the observed value meets the target;
    - amber: not met, but either better than the baseline or the target lies inside the observed
      value's 95% interval (the data cannot tell the two apart);
    - red: not met, no better than the baseline, and the interval excludes the target;
    - grey: no observed value (no data for that period).
    """
    if observed is None:
        return "grey"
    if is_met(observed, target, lower_is_better):
        return "green"
    better_than_baseline = observed < baseline if lower_is_better else observed > baseline
    low, high = ci
    target_inside = low is not None and high is not None and low <= target <= high
    return "amber" if better_than_baseline or target_inside else "red"


@dataclass(frozen=True)
class TargetResult:
    """One target in one period, as the landing page and the targets notebooks show it.

    ``detectable_change`` is the smallest change from the baseline that these numbers could tell apart
    from chance (80% power, 5% two-sided), in the same unit as ``observed`` for proportions (points)
    and as a relative change for counts. ``rule`` names the METHODS.md rule and parameter values.
    """

    area: str
    measure: str
    period_label: str
    year: int
    unit: Literal["proportion", "count", "rate_per_100k"]
    lower_is_better: bool
    baseline_label: str
    baseline_value: float
    target_value: float
    observed: float | None
    ci_low: float | None
    ci_high: float | None
    denominator: int | None
    met: bool | None
    p_value: float | None
    significant: bool | None
    detectable_change: float | None
    status: Status
    provisional: bool
    rule: str
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)
