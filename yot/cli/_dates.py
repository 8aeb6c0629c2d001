"""Argument types shared by the commands."""

from __future__ import annotations

import argparse
import datetime as dt


def iso_date(text: str) -> dt.date:
    """An argparse type for ``YYYY-MM-DD`` dates."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def whole_number_at_least(low: int, text: str) -> int:
    """A whole number of at least ``low``, for argparse (a usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be {low} or more: {value}")
    return value


def non_negative_int(text: str) -> int:
    """An argparse type for a whole number of 0 or more."""
    return whole_number_at_least(0, text)


def positive_int(text: str) -> int:
    """An argparse type for a whole number of 1 or more."""
    return whole_number_at_least(1, text)
