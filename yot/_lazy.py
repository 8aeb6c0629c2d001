"""Modules imported on first use, so that a command pays for scipy and statsmodels only when it uses them.

``sps = lazy_module("scipy.stats")`` at the top of a module, then ``sps.norm.ppf(...)`` as usual: the
first attribute looked up imports scipy.stats (about a second); importing the module that holds
``sps`` costs nothing.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name`` and imports it when one of its attributes is first used."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> ModuleType:
    """The module ``name``, imported when first used (typed as the module for callers)."""
    return LazyModule(name)  # type: ignore[return-value]
