"""yot.targets: trajectories, met/not met and red/amber/green, worked out by hand."""

from __future__ import annotations

import pytest

from yot.targets import STATUS_WORDS, TargetResult, is_met, rag_status, target_value, trajectory


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
    ("observed", "target", "lower_is_better", "met"),
    [(0.25, 0.25, True, True), (0.251, 0.25, True, False), (300, 300, False, True), (299, 300, False, False),
     (None, 0.25, True, None)],
)
def test_is_met(observed: float | None, target: float, lower_is_better: bool, met: bool | None) -> None:
    assert is_met(observed, target, lower_is_better) is met


@pytest.mark.parametrize(
    ("observed", "ci", "status"),
    [
        (0.24, (0.20, 0.28), "green"),  # meets the 0.25 target
        (0.27, (0.265, 0.275), "amber"),  # misses it but better than the 0.28 baseline
        (0.29, (0.22, 0.36), "amber"),  # worse than baseline, but the target is inside the interval
        (0.29, (0.26, 0.32), "red"),  # worse than baseline and the interval excludes the target
        (0.28, (None, None), "red"),  # equal to the baseline is no better
        (None, (None, None), "grey"),
    ],
)
def test_rag_status_lower_is_better(observed: float | None, ci: tuple, status: str) -> None:
    assert rag_status(observed, 0.25, 0.28, lower_is_better=True, ci=ci) == status


def test_rag_status_higher_is_better() -> None:
    assert rag_status(340, 338.8, 280, lower_is_better=False) == "green"
    assert rag_status(300, 338.8, 280, lower_is_better=False) == "amber"
    assert rag_status(270, 338.8, 280, lower_is_better=False, ci=(250, 290)) == "red"


def test_every_status_has_words() -> None:
    assert set(STATUS_WORDS) == {"green", "amber", "red", "grey"}


def test_target_result_to_dict() -> None:
    result = TargetResult(
        area="Proven reoffending", measure="Binary reoffending rate", period_label="2005", year=2005,
        unit="proportion", lower_is_better=True, baseline_label="2003 cohort", baseline_value=0.282,
        target_value=0.2545, observed=0.2, ci_low=0.1, ci_high=0.3, denominator=10, met=True, p_value=0.4,
        significant=False, detectable_change=0.3, status="green", provisional=False, rule="r",
    )
    d = result.to_dict()
    assert (d["status"], d["note"], d["denominator"]) == ("green", "", 10)
