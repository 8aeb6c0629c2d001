"""How a figure is written in a table or a sentence (yot.pages.model.format_value and plain_value)."""

from __future__ import annotations

import pytest

from yot.pages.model import format_value, plain_value


@pytest.mark.parametrize("value, kind, decimals, expected", [
    (-1e-15, "signed", 1, "0.0"),
    (1e-15, "signed", 1, "0.0"),
    (-0.04, "signed", 1, "0.0"),
    (-0.05001, "signed", 1, "-0.1"),
    (2.35, "signed", 2, "+2.35"),
    (-1234.5, "signed", 1, "-1,234.5"),
    (1234.5, "signed", 1, "+1,234.5"),
    (-0.0004, "points", 1, "0.0"),
    (0.024, "points", 1, "+2.4"),
    (-0.031, "points", 1, "-3.1"),
    (0.08, "smd", 1, "+0.08"),
    (-0.001, "smd", 1, "0.00"),
    (0.282, "percent", 1, "28.2%"),
    (12345, "count", 1, "12,345"),
    (0.0004, "pvalue", 1, "<0.001"),
    (0.0312, "pvalue", 1, "0.031"),
    (None, "count", 1, "[x]"),
    (float("nan"), "percent", 1, "[x]"),
])
def test_format_value(value: float | None, kind: str, decimals: int, expected: str) -> None:
    assert format_value(value, kind, decimals) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value, kind, expected", [
    (0.282, "percent", "28.2"),
    (0.0, "percent", "0"),
    (30854, "count", "30854"),
    (None, "count", "[x]"),
])
def test_plain_value_is_a_plain_number(value: float | None, kind: str, expected: str) -> None:
    assert plain_value(value, kind) == expected  # type: ignore[arg-type]
