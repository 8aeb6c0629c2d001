"""Target trajectories (METHODS.md, Targets and verdicts).

A target is relative by default: ``target(y) = baseline * (1 + change) ** (y - baseline_year)`` (a 5%
cut a year is ``change = -0.05``); in ``points`` mode the change is added each year instead. The
verdict of a period (status, test, chance of being on target) is decided by :mod:`yot.verdicts`, in
one place.
"""

from __future__ import annotations

from typing import Literal

Mode = Literal["relative", "points"]


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
