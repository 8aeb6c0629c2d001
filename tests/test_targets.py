"""yot.targets: trajectories, met/not met and red/amber/green, worked out by hand."""

from __future__ import annotations

import pytest

from yot.labels import STATUS_WORDS, status_key
from yot.targets import target_value, trajectory
from yot.verdicts import STATUSES, status_of


def test_relative_target_by_hand() -> None:
    # Barnet: 28.2% in 2003, 5% relative cut a year
    assert target_value(0.282, 2003, -0.05, 2003) == pytest.approx(0.282)
    assert target_value(0.282, 2003, -0.05, 2004) == pytest.approx(0.2679)
    assert target_value(0.282, 2003, -0.05, 2008) == pytest.approx(0.282 * 0.95 ** 5)  # 0.21821
    assert target_value(0.282, 2003, -0.05, 2008) == pytest.approx(0.21821, abs=1e-5)


def test_points_target_by_hand() -> None:
    assert target_value(0.72, 2004, 0.05, 2007, mode="points") == pytest.approx(0.87)
    assert target_value(280, 2004, 0.10, 2006) == pytest.approx(338.8)  # 280 * 1.1 * 1.1


def test_years_before_the_baseline_run_backwards() -> None:
    assert target_value(0.282, 2003, -0.05, 2002) == pytest.approx(0.282 / 0.95)


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown target mode"):
        target_value(0.282, 2003, -0.05, 2005, mode="percent")  # type: ignore[arg-type]


def test_trajectory() -> None:
    assert trajectory(100.0, 2004, -0.05, [2005, 2006]) == pytest.approx({2005: 95.0, 2006: 90.25})


@pytest.mark.parametrize(
    ("observed", "ci", "status"),
    [
        (0.24, (0.20, 0.28), "met"),  # at or below the 0.25 target
        (0.25, (0.21, 0.29), "met"),  # exactly on the target is met
        (0.27, (0.25, 0.30), "within_margin"),  # worse, the target on the interval's end
        (0.27, (0.255, 0.29), "missed"),  # worse, the target outside the interval (better than the baseline or not)
        (0.29, (0.22, 0.36), "within_margin"),
        (None, (None, None), "no_data"),
    ],
)
def test_status_of_a_final_period_lower_is_better(observed: float | None, ci: tuple, status: str) -> None:
    assert status_of(is_baseline=False, final=True, observed=observed, target=0.25, ci=ci,
                     lower_is_better=True) == status


def test_status_of_higher_is_better() -> None:
    rule = dict(is_baseline=False, final=True, target=338.8, lower_is_better=False)
    assert status_of(observed=340, ci=(300, 380), **rule) == "met"
    assert status_of(observed=300, ci=(270, 338.8), **rule) == "within_margin"
    assert status_of(observed=300, ci=(270, 330), **rule) == "missed"


def test_baseline_comes_first_then_provisional_then_no_data() -> None:
    assert status_of(is_baseline=True, final=False, observed=None, target=None, ci=(None, None),
                     lower_is_better=True) == "baseline"
    assert status_of(is_baseline=False, final=False, observed=None, target=0.25, ci=(None, None),
                     lower_is_better=True) == "provisional"
    assert status_of(is_baseline=False, final=False, observed=0.01, target=0.25, ci=(0.0, 0.05),
                     lower_is_better=True) == "provisional"


def test_every_status_has_its_words_in_the_one_key() -> None:
    assert set(STATUS_WORDS) == set(STATUSES)
    key = status_key()
    assert all(f"**{words}**" in key for words in STATUS_WORDS.values())
    assert key.startswith("Green, **Met**") and "Amber, **Not met, within the margin of error**" in key
    assert "Red, **Missed**" in key and "[p] **Provisional: not rated**" in key
    assert "[z] **Baseline**" in key and "[x] **No data**" in key
