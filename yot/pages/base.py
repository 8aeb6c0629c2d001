"""What every page module shares: its validated parameters, the extract it reads, and the parts of a
page that are the same everywhere (settings rows, the provisional banner, the as-at date).

A notebook's first cell after the parameters cell is ``params = Params.from_namespace(globals())``:
the notebook's parameters are checked with the page's pydantic model before anything runs, so a
wrong type or a misspelt parameter is an error naming it (never a silent default).
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from yot.extract import Extract
from yot.params import ParameterError, _key_path, _message

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = PROJECT_ROOT / "data" / "synthetic"
SCRATCH = PROJECT_ROOT / "outputs" / "scratch"
_IPYTHON_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit", "open"})


def resolve_path(text: str | None, default: Path) -> Path:
    """A folder named by a parameter: ``default`` when not given; a relative path from the current
    folder when it exists there, else from the project (so defaults and paths written from the
    project root work wherever the notebook runs)."""
    if not text:
        return default
    path = Path(text).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    return (PROJECT_ROOT / path).resolve()


class PageParams(BaseModel):
    """The parameters every page takes (docs/notebooks.md). Unknown parameters are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    page: ClassVar[str] = "page"

    data_dir: str | None = None
    output_dir: str | None = None
    extract_date: dt.date | None = None
    yot_name: str = Field("Barnet", min_length=1)
    title: str = Field("YOT cohort analytics", min_length=1)
    disclosure_threshold: int = Field(5, ge=1, le=100)
    name: str | None = None

    @classmethod
    def from_namespace(cls, namespace: Mapping[str, Any]) -> PageParams:
        """The parameters of a notebook from its namespace (what the parameters cell and papermill's
        injected cell defined), validated; raises :class:`ParameterError` naming each bad parameter."""
        given = {k: v for k, v in namespace.items() if not k.startswith("_") and k not in _IPYTHON_NAMES
                 and not isinstance(v, types.ModuleType | type | types.FunctionType)}
        return cls.validated(given, source=f"{cls.page} notebook parameters")

    @classmethod
    def validated(cls, values: Mapping[str, Any], source: str = "parameters") -> PageParams:
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            raise ParameterError([f"{source}: {_key_path(e['loc'])}: {_message(e)}" for e in exc.errors()]) from None

    @property
    def page_name(self) -> str:
        return self.name or self.page

    def data_path(self) -> Path:
        return resolve_path(self.data_dir, DEFAULT_DATA)

    def output_path(self) -> Path:
        return resolve_path(self.output_dir, SCRATCH / self.page_name)

    def whole_extract(self) -> Extract:
        """The extract, loaded and validated (read from the validated-extract cache when warm) and cut
        back to the extract date when one is given (METHODS.md "Extract date and as at runs"), with
        every YOT it holds."""
        from yot.extract import as_at
        from yot.load import load_extract

        extract = load_extract(self.data_path())
        return as_at(extract, self.extract_date) if self.extract_date else extract

    def extract(self) -> Extract:
        """:meth:`whole_extract` with only this YOT's young people when it holds several YOTs
        (:func:`yot.compare.for_yot`); the comparisons page reads the whole extract."""
        from yot.compare import for_yot

        return for_yot(self.whole_extract(), self.yot_name)


def as_at_date(extract: Extract, params: PageParams) -> dt.date | None:
    """The date the figures are as at: the parameter, else the latest outcome date in the data."""
    from yot.cohort import default_extract_date

    return params.extract_date or default_extract_date(extract)


def threshold_words(threshold: int) -> str:
    return f"counts from 1 to {threshold - 1} are shown as [c]" if threshold > 1 else "no count is suppressed"


def settings(params: PageParams, as_at: dt.date | None, *rows: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    """The "About these figures" rows of a page: its own settings, then the as-at date and the
    disclosure threshold."""
    when = f"{as_at:%-d %B %Y}" if as_at else "not known (no dated record in the extract)"
    given = "" if params.extract_date else " (the latest outcome date in the extract)"
    return (*rows, ("Figures as at", when + given), ("Disclosure control", threshold_words(params.disclosure_threshold)))


def is_synthetic(extract: Extract) -> bool:
    return bool(getattr(extract, "synthetic", False))
