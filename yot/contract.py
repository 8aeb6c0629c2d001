"""The case-level data contract (DATA_CONTRACT.md) as data: tables, columns, types and code lists.

Everything that reads or writes an extract takes its table and column definitions from here, so the
loader, the synthetic generator and the tests cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

SEXES: tuple[str, ...] = ("M", "F", "U")
POPULATION_SEXES: tuple[str, ...] = ("M", "F")
ETHNICITIES: tuple[str, ...] = ("White", "Mixed", "Asian", "Black", "Other", "Unknown")
OFFENCE_TYPES: tuple[str, ...] = (
    "violence", "robbery", "sexual", "burglary", "theft", "vehicle", "criminal_damage",
    "drugs", "public_order", "motoring", "fraud", "breach", "other",
)
TIERS: dict[str, tuple[str, ...]] = {
    "pre_court": ("reprimand", "final_warning", "youth_caution", "youth_conditional_caution"),
    "first_tier": (
        "referral_order", "reparation_order", "fine", "conditional_discharge",
        "absolute_discharge", "compensation_order",
    ),
    "community": (
        "action_plan_order", "supervision_order", "youth_rehabilitation_order", "community_order",
    ),
    "custody": ("detention_training_order", "section_90_91_detention"),
}
TIER_ORDER: tuple[str, ...] = tuple(TIERS)
OUTCOMES: tuple[str, ...] = tuple(o for outcomes in TIERS.values() for o in outcomes)
OUTCOME_TIER: dict[str, str] = {o: tier for tier, outcomes in TIERS.items() for o in outcomes}
CUSTODY_OUTCOMES: tuple[str, ...] = TIERS["custody"]
PROGRAMMES: tuple[str, ...] = (
    "ISSP", "restorative_justice", "YISP", "substance_misuse", "ETE", "fire_setters",
    "PPO_prevent_deter", "other",
)
INTERVENTION_STATUSES: tuple[str, ...] = ("completed", "breached", "withdrawn", "ongoing")
REFERRAL_DECISIONS: tuple[str, ...] = ("accepted", "declined", "no_capacity")
USE_CHANGES: tuple[str, ...] = ("discontinued", "reduced", "unchanged", "increased")
AREA_TYPES: tuple[str, ...] = ("yot", "family", "region", "england")


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    ``dtype`` is the polars type after loading. ``required`` means a missing value breaks the rule;
    ``codes`` lists the allowed values of a coded column; ``low``/``high`` bound an integer column
    (inclusive); ``unique`` means every row sharing a duplicated value is quarantined; ``person_ref``
    means the value must exist among the accepted people.
    """

    name: str
    dtype: type[pl.DataType] | pl.DataType
    required: bool = True
    codes: tuple[str, ...] | None = None
    low: int | None = None
    high: int | None = None
    unique: bool = False
    person_ref: bool = False


@dataclass(frozen=True)
class Table:
    """One contract table: its columns and whether an extract must have it."""

    name: str
    columns: tuple[Column, ...]
    required: bool
    purpose: str = ""
    extra_rules: tuple[str, ...] = field(default_factory=tuple)

    @property
    def schema(self) -> dict[str, pl.DataType]:
        """The polars schema of the table's contract columns, in contract order."""
        return {c.name: c.dtype for c in self.columns}

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "people",
            (
                Column("person_id", pl.String, unique=True),
                Column("date_of_birth", pl.Date),
                Column("sex", pl.String, codes=SEXES),
                Column("ethnicity", pl.String, codes=ETHNICITIES),
                Column("yot", pl.String),
            ),
            required=True,
            purpose="one row per young person known to the YOT",
        ),
        Table(
            "offences",
            (
                Column("offence_id", pl.String, unique=True),
                Column("person_id", pl.String, person_ref=True),
                Column("offence_date", pl.Date),
                Column("outcome_date", pl.Date),
                Column("offence_type", pl.String, codes=OFFENCE_TYPES),
                Column("gravity", pl.Int64, low=1, high=8),
                Column("outcome", pl.String, codes=OUTCOMES),
                Column("release_date", pl.Date, required=False),
            ),
            required=True,
            purpose="one row per proven offence",
            extra_rules=(
                "offence_date_after_outcome_date",
                "release_date_not_custody",
                "release_date_before_outcome_date",
            ),
        ),
        Table(
            "interventions",
            (
                Column("intervention_id", pl.String, unique=True),
                Column("person_id", pl.String, person_ref=True),
                Column("programme", pl.String, codes=PROGRAMMES),
                Column("start_date", pl.Date),
                Column("end_date", pl.Date, required=False),
                Column("status", pl.String, codes=INTERVENTION_STATUSES),
            ),
            required=False,
            purpose="one row per programme episode (ISSP, restorative justice, substance misuse)",
            extra_rules=("end_date_before_start_date",),
        ),
        Table(
            "referrals",
            (
                Column("referral_id", pl.String, unique=True),
                Column("person_id", pl.String, person_ref=True),
                Column("programme", pl.String, codes=PROGRAMMES),
                Column("referral_date", pl.Date),
                Column("risk_score", pl.Int64, required=False, low=0, high=40),
                Column("decision", pl.String, codes=REFERRAL_DECISIONS),
            ),
            required=False,
            purpose="one row per referral to a prevention programme (YISP)",
        ),
        Table(
            "assessments",
            (
                Column("person_id", pl.String, person_ref=True),
                Column("assessment_date", pl.Date),
                Column("asset_score", pl.Int64, low=0, high=64),
            ),
            required=False,
            purpose="Asset core profile totals, used in matching",
        ),
        Table(
            "substance_reviews",
            (
                Column("person_id", pl.String, person_ref=True),
                Column("review_date", pl.Date),
                Column("use_change", pl.String, codes=USE_CHANGES),
            ),
            required=False,
            purpose="end-of-intervention reviews of substance use",
        ),
        Table(
            "population",
            (
                Column("yot", pl.String),
                Column("year", pl.Int64),
                Column("age", pl.Int64, low=10, high=17),
                Column("sex", pl.String, codes=POPULATION_SEXES),
                Column("count", pl.Int64, low=0),
            ),
            required=False,
            purpose="mid-year resident population estimates, for rates per 100,000",
        ),
        Table(
            "comparators",
            (
                Column("area", pl.String),
                Column("area_type", pl.String, codes=AREA_TYPES),
                Column("period_start", pl.Date),
                Column("period_end", pl.Date),
                Column("cohort_size", pl.Int64, low=0),
                Column("reoffenders", pl.Int64, low=0),
                Column("reoffences", pl.Int64, low=0),
                Column("family", pl.String, required=False),
                Column("region", pl.String, required=False),
            ),
            required=False,
            purpose="published aggregate reoffending of other YOTs, families, regions and England, for comparisons",
            extra_rules=(
                "period_end_before_period_start",
                "reoffenders_above_cohort_size",
                "reoffences_below_reoffenders",
            ),
        ),
    )
}

TABLE_ORDER: tuple[str, ...] = tuple(TABLES)
