"""Small helpers for the pages' sentences: lists, counts that may be small, plural nouns.

Direction words and verdict wording live in :mod:`yot.words`; these only join and count.
"""

from __future__ import annotations

from collections.abc import Sequence


def and_list(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def count_words(count: int, threshold: int) -> str:
    """A count for a sentence: ``1,234``; a count from 1 to threshold - 1 is never written (it is said as
    "fewer than 5", METHODS.md disclosure control)."""
    if 1 <= count < threshold:
        return f"fewer than {threshold}"
    return f"{count:,}"


def plural(count: int, one: str, many: str | None = None) -> str:
    return one if count == 1 else (many or one + "s")
