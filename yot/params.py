"""The suite's parameter file (``parameters/*.yaml``): read, validated, and turned into notebook runs.

One YAML file names the YOT, the extract, the cohort years, the Theme 1 targets and the programmes to
evaluate (docs/notebooks.md). :func:`load_suite` validates it completely before any notebook starts:
unknown keys, wrong types, values out of range, impossible dates and years out of order are all
reported at once, each naming the file and the key (``parameters/x.yaml: reoffending.follow_up_months:
must be >= 1``). The runs of the pack are derived from a valid suite by ``yot.pages.registry.plan``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from yot.contract import PROGRAMMES as CONTRACT_PROGRAMMES


Period = Literal["calendar", "financial", "october_december", "quarter"]
Mode = Literal["relative", "points"]
Programme = Literal["ISSP", "referral_order", "restorative_justice", "YISP"]
"""The four programmes evaluated by default."""
EvaluatedProgramme = Literal[("referral_order", *CONTRACT_PROGRAMMES)]  # type: ignore[valid-type]
"""What an evaluation may name: referral_order, or any programme code of the interventions table."""

YEAR_MIN, YEAR_MAX = 1990, 2100


# --------------------------------------------------------------------------------------- schema
class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_years(years: list[int]) -> list[int]:
    for year in years:
        if not YEAR_MIN <= year <= YEAR_MAX:
            raise ValueError(f"year {year} is outside {YEAR_MIN} to {YEAR_MAX}")
    if any(b <= a for a, b in zip(years, years[1:])):
        raise ValueError(f"years must be in increasing order with no repeats, got {years}")
    return years


class Disclosure(_Section):
    """Disclosure control: counts from 1 to ``threshold - 1`` are suppressed as ``[c]``."""

    threshold: int = Field(5, ge=1, le=100)


class RateTarget(_Section):
    """A yearly target path: ``target(y) = baseline_value * (1 + change_per_year) ** (y - baseline_year)``
    when ``relative``; ``baseline_value + change_per_year * (y - baseline_year)`` when ``points``."""

    baseline_year: int = Field(ge=YEAR_MIN, le=YEAR_MAX)
    baseline_value: float = Field(ge=0)
    change_per_year: float = Field(ge=-1, le=10)
    mode: Mode = "relative"


class ProportionTarget(RateTarget):
    """A target on a proportion (a share of people): its baseline lies between 0 and 1."""

    baseline_value: float = Field(ge=0, le=1)


class Reoffending(_Section):
    """Proven reoffending cohorts (METHODS.md: Index event and cohort; Reoffences; Targets)."""

    period: Period = "calendar"
    cohort_years: list[int] = Field(min_length=1)
    follow_up_months: int = Field(12, ge=1, le=120)
    waiting_months: int = Field(6, ge=0, le=60)
    target: ProportionTarget
    targets_by_tier: bool = True
    # the annual figure as the MoJ counts it since 2017: the four quarterly cohorts of the year, each with
    # its own index offence, added together (a person can count in more than one quarter)
    annual_from_quarters: bool = False
    # the strategy's published baseline of a tier, as a proportion; a tier not listed takes its baseline
    # from the extract's baseline cohort (and the targets page says so)
    tier_baselines: dict[Literal["pre_court", "first_tier", "community", "custody"], float] = Field(default_factory=dict)

    @field_validator("tier_baselines")
    @classmethod
    def _tier_shares(cls, values: dict[str, float]) -> dict[str, float]:
        for tier, value in values.items():
            if not 0 <= value <= 1:
                raise ValueError(f"{tier}: a baseline is a proportion from 0 to 1, e.g. 0.282 for 28.2% (got {value})")
        return values

    _years = field_validator("cohort_years")(_check_years)

    @model_validator(mode="after")
    def _quarters_of_a_year(self) -> "Reoffending":
        if self.annual_from_quarters and self.period not in ("calendar", "financial"):
            raise ValueError(f"annual_from_quarters needs period calendar or financial (a year of four quarters), "
                             f"not {self.period}")
        return self

    @model_validator(mode="after")
    def _baseline_within_years(self) -> "Reoffending":
        if self.target.baseline_year > self.cohort_years[-1]:
            raise ValueError(
                f"target.baseline_year {self.target.baseline_year} is after the last cohort year "
                f"{self.cohort_years[-1]}"
            )
        return self


class FteTarget(_Section):
    """The first-time-entrant target: a ``change`` (e.g. -0.05) from ``baseline_year`` by ``by_year``."""

    baseline_year: int = Field(ge=YEAR_MIN, le=YEAR_MAX)
    change: float = Field(ge=-1, le=10)
    by_year: int = Field(ge=YEAR_MIN, le=YEAR_MAX)
    mode: Mode = "relative"

    @model_validator(mode="after")
    def _by_after_baseline(self) -> "FteTarget":
        if self.by_year < self.baseline_year:
            raise ValueError(f"by_year {self.by_year} is before baseline_year {self.baseline_year}")
        return self


class FirstTimeEntrants(_Section):
    """First-time entrants per period (METHODS.md: First-time entrants)."""

    period: Period = "financial"
    years: list[int] = Field(min_length=1)
    target: FteTarget

    _years = field_validator("years")(_check_years)


class SubstanceMisuse(_Section):
    """Substance-misuse starts and end-review improvement targets (METHODS.md: Targets)."""

    period: Period = "financial"
    years: list[int] = Field(min_length=1)
    starts_target: RateTarget
    improvement_target: ProportionTarget

    _years = field_validator("years")(_check_years)


class Evaluation(_Section):
    """Matched-comparison programme evaluations (METHODS.md: Programme evaluation)."""

    programmes: list[EvaluatedProgramme] = Field(min_length=1)
    """referral_order, YISP, or any programme code of the interventions table (ISSP, restorative_justice,
    ETE, fire_setters, PPO_prevent_deter, ...: evaluated with the ISSP design)."""
    start: dt.date
    end: dt.date
    follow_up_months: int = Field(12, ge=1, le=120)
    waiting_months: int = Field(6, ge=0, le=60)
    seed: int = 0
    """Ignored (accepted so older suite files still load): tied comparison people share the match, so
    there is no random tie-break and the same data always give the same answer."""
    caliper: float = Field(0.2, gt=0, le=5)

    @field_validator("programmes")
    @classmethod
    def _no_repeats(cls, programmes: list[str]) -> list[str]:
        if len(set(programmes)) != len(programmes):
            raise ValueError(f"a programme is listed twice: {programmes}")
        return programmes

    @model_validator(mode="after")
    def _end_after_start(self) -> "Evaluation":
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Tracker(_Section):
    """The live tracker (METHODS.md "Live tracking"): the ``recent`` latest cohorts of kind ``period``
    that have started their follow-up, each against the ``earlier`` most recent complete cohorts of the
    same length."""

    period: Period = "quarter"
    recent: int = Field(4, ge=1, le=12)
    earlier: int = Field(4, ge=1, le=20)


class Comparisons(_Section):
    """How the YOT compares (METHODS.md "Comparisons"): the cohort of ``year`` (``period`` kind; none =
    the latest complete cohort) against other YOTs, the family, the region and England. ``family``: the
    statistical neighbours' names; none = the family the comparators table gives the YOT."""

    period: Literal["calendar", "financial", "quarter"] = "calendar"
    year: int | None = Field(None, ge=YEAR_MIN, le=YEAR_MAX)
    quarter: int | None = Field(None, ge=1, le=4)
    family: list[str] | None = None

    @model_validator(mode="after")
    def _quarter_of_quarters(self) -> "Comparisons":
        if (self.period == "quarter") != (self.quarter is not None) and self.year is not None:
            raise ValueError("quarter is given with period quarter (and only then), e.g. quarter: 2")
        return self


class Publication(_Section):
    """What the index's "Things you need to know" says about the pack: who made it, who to ask, its
    status and when it is next updated (all plain text, shown as written)."""

    producer: str = "The YOT's performance and information team"
    contact: str = "Ask the YOT's performance and information team"
    status: str = "Management information"
    status_note: str = ("These are management information, not official statistics: figures are produced "
                        "for the Steering Group to monitor progress and may be revised.")
    next_update: str = "After the next extract, usually once a year"
    coverage: str = ""


class Suite(_Section):
    """One suite file: everything the runner needs to build a Steering Group pack."""

    title: str = Field(min_length=1)
    yot: str = Field(min_length=1)
    data: str | None = None
    extract_date: dt.date | None = None
    disclosure: Disclosure = Disclosure()
    publication: Publication = Publication()
    reoffending: Reoffending
    first_time_entrants: FirstTimeEntrants | None = None
    substance_misuse: SubstanceMisuse | None = None
    evaluation: Evaluation | None = None
    tracker: Tracker = Tracker()
    comparisons: Comparisons | None = None


# --------------------------------------------------------------------------------------- loading
class ParameterError(Exception):
    """A parameter file that cannot be used; ``problems`` holds one ``file: key: message`` line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _NoDatesLoader(yaml.SafeLoader):
    """``yaml.safe_load`` without the implicit date type: dates stay text and are checked by pydantic,
    so an impossible date (2007-02-30) is a located validation error rather than a YAML crash."""


_NoDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _key_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part).startswith(("function-", "literal[")):  # pydantic's union/validator branch names
            continue
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def _message(error: dict[str, Any]) -> str:
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "extra_forbidden":
        return "unknown key (not one the suite knows; check its spelling and indentation)"
    if kind == "missing":
        return "required key is missing"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        hint = ""
        if error["loc"][-1] == "baseline_value" and kind == "less_than_equal":
            hint = "; a share is written as a proportion, e.g. 0.282 for 28.2%"
        return f"must be {sign} {bound} (got {given!r}){hint}"
    if kind in ("too_short", "too_long"):
        return f"must have at least {ctx.get('min_length', 1)} item(s)" if kind == "too_short" else "too many items"
    if kind.startswith("int_") or kind == "int_type":
        return f"must be a whole number (got {given!r})"
    if kind.startswith("float_"):
        return f"must be a number (got {given!r})"
    if kind.startswith("bool_"):
        return f"must be true or false (got {given!r})"
    if kind.startswith("date_"):
        return f"must be a real date in YYYY-MM-DD form (got {given!r})"
    if kind in ("string_type", "string_too_short"):
        return f"must be a non-empty text (got {given!r})"
    if kind in ("list_type",):
        return f"must be a list (got {given!r})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a section of keys (got {given!r})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {given!r})"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def validate_suite(raw: Any, source: str | Path = "<parameters>") -> Suite:
    """Validate an already-read parameter mapping; raise :class:`ParameterError` listing every problem."""
    if not isinstance(raw, dict):
        raise ParameterError([f"{source}: the file must hold a mapping of keys (title:, yot:, ...)"])
    try:
        return Suite.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{source}: {_key_path(e['loc'])}: {_message(e)}" for e in exc.errors()]
        raise ParameterError(problems) from None


def load_suite(path: str | Path) -> Suite:
    """Read and validate a suite file; raise :class:`ParameterError` naming the file and each key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError([f"{path}: cannot read the parameter file ({exc.strerror or exc})"]) from None
    try:
        raw = yaml.load(text, Loader=_NoDatesLoader)  # safe_load without implicit dates
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParameterError([f"{path}: not valid YAML{line}: {problem}"]) from None
    return validate_suite(raw, path)


def suite_parameters(suite: Suite) -> dict[str, Any]:
    """The validated suite as plain JSON-ready values (for the manifest and page footers)."""
    return suite.model_dump(mode="json")
