"""Plain names for every code a reader might otherwise see: one label table for the whole pack.

The left column is the code as the data contract and the engine write it (``referral_order``,
``pre_court``, ``asset_score``); the right column is what a Steering Group member reads. Every page,
chart and published table takes its names from here (tests check that no published page or CSV shows a
code name with an underscore), so a label is changed in one place.
"""

from __future__ import annotations

from yot.contract import (
    AREA_TYPES,
    ETHNICITIES,
    INTERVENTION_STATUSES,
    OFFENCE_TYPES,
    OUTCOMES,
    PROGRAMMES,
    REFERRAL_DECISIONS,
    SEXES,
    TABLES,
    TIER_ORDER,
    USE_CHANGES,
)

LABELS: dict[str, dict[str, str]] = {
    "programme": {
        "ISSP": "ISSP (Intensive Supervision and Surveillance Programme)",
        "referral_order": "Referral orders",
        "restorative_justice": "Restorative justice",
        "YISP": "YISP (Youth Inclusion and Support Panels)",
        "substance_misuse": "Substance-misuse early intervention and treatment",
        "ETE": "Education, training and employment programmes",
        "fire_setters": "The fire-setters scheme",
        "PPO_prevent_deter": "The prolific offenders' prevent-and-deter strand",
        "other": "Other programmes",
    },
    "programme_short": {  # inside a sentence: "young people like those on ISSP"
        "ISSP": "ISSP",
        "referral_order": "a referral order",
        "restorative_justice": "restorative justice",
        "YISP": "a YISP",
        "substance_misuse": "substance-misuse work",
        "ETE": "an education, training or employment programme",
        "fire_setters": "the fire-setters scheme",
        "PPO_prevent_deter": "the prevent-and-deter strand",
        "other": "the programme",
    },
    "tier": {
        "pre_court": "Pre-court (reprimand, warning or caution)",
        "first_tier": "First-tier (such as a referral order or a fine)",
        "community": "Community sentence",
        "custody": "Custody (counted from release)",
    },
    "tier_short": {
        "pre_court": "pre-court", "first_tier": "first-tier", "community": "community", "custody": "custody",
    },
    "outcome": {
        "reprimand": "Reprimand", "final_warning": "Final warning", "youth_caution": "Youth caution",
        "youth_conditional_caution": "Youth conditional caution", "referral_order": "Referral order",
        "reparation_order": "Reparation order", "fine": "Fine", "conditional_discharge": "Conditional discharge",
        "absolute_discharge": "Absolute discharge", "compensation_order": "Compensation order",
        "action_plan_order": "Action plan order", "supervision_order": "Supervision order",
        "youth_rehabilitation_order": "Youth rehabilitation order", "community_order": "Community order",
        "detention_training_order": "Detention and training order",
        "section_90_91_detention": "Long-term detention (sections 90 and 91)",
    },
    "offence_type": {
        "violence": "Violence", "robbery": "Robbery", "sexual": "Sexual offences", "burglary": "Burglary",
        "theft": "Theft", "vehicle": "Vehicle crime", "criminal_damage": "Criminal damage", "drugs": "Drugs",
        "public_order": "Public order", "motoring": "Motoring", "fraud": "Fraud", "breach": "Breach",
        "other": "Other offences",
    },
    "sex": {"M": "Male", "F": "Female", "U": "Not known"},
    "ethnicity": {e: ("Not known" if e == "Unknown" else e) for e in ETHNICITIES},
    "age_band": {"10-14": "10 to 14", "15-17": "15 to 17"},
    "breakdown_short": {"all": "All", "tier": "Tier", "sex": "Sex", "age_band": "Age", "ethnicity": "Ethnic group"},
    "tier_title": {"pre_court": "Pre-court", "first_tier": "First-tier", "community": "Community", "custody": "Custody"},
    "breakdown": {
        "all": "All young people", "tier": "Tier of the index outcome", "sex": "Sex",
        "age_band": "Age at the index date", "ethnicity": "Ethnic group",
    },
    "characteristic": {
        "age": "Age", "sex": "Sex", "ethnicity": "Ethnic group", "previous_offences": "Previous proven offences",
        "years_since_first_offence": "Years since the first proven offence",
        "gravity": "Gravity of the index offence", "offence_type": "Type of index offence",
        "tier": "Tier of the index outcome", "asset_score": "Asset score", "risk_score": "ONSET risk score",
    },
    "table": {
        "people": "People", "offences": "Proven offences", "interventions": "Programme episodes",
        "referrals": "Referrals to prevention", "assessments": "Asset assessments",
        "substance_reviews": "Substance-use end reviews", "population": "Population estimates",
        "comparators": "Published figures of other areas",
    },
    "date_column": {
        "outcome_date": "outcome date", "start_date": "start date", "referral_date": "referral date",
        "assessment_date": "assessment date", "review_date": "review date", "year": "mid-year",
    },
    "rule": {
        "missing_value": "A required value is missing", "bad_date": "Not a real date",
        "bad_integer": "Not a whole number", "out_of_range": "A number outside its allowed range",
        "unknown_code": "A code the data contract does not know", "duplicate_id": "An identifier used twice",
        "unknown_person": "A young person not in the people table",
        "offence_after_outcome": "Offence dated after its outcome",
        "release_not_custody": "A release date on a sentence that is not custody",
        "release_before_outcome": "Released before the sentence",
        "end_before_start": "Ends before it starts",
        "reoffenders_above_cohort": "More reoffenders than young people",
        "reoffences_below_reoffenders": "Fewer reoffences than reoffenders",
    },
    "use_change": {"discontinued": "Stopped", "reduced": "Reduced", "unchanged": "Unchanged", "increased": "Increased"},
    "decision": {"accepted": "Accepted", "declined": "Declined", "no_capacity": "No place available"},
    "status": {s: s.capitalize() for s in INTERVENTION_STATUSES},
    "area_type": {"yot": "Youth offending team", "family": "Family of similar areas", "region": "Region",
                  "england": "England"},
    "outcome_measure": {
        "reoffended": "Reoffended within a year", "reoffences": "Reoffences per young person",
        "custody_reoffence": "A reoffence ending in custody", "first_time_entrant": "Became a first-time entrant",
        "not_reoffended_365": "Not reoffended after 365 days",
    },
    "target": {
        "reoffending": "Proven reoffending", "fte": "First-time entrants",
        "substance_starts": "Young people starting substance-misuse work",
        "substance_improvement": "End reviews reporting reduced or stopped drug use",
    },
    "level": {"missing": "not recorded"},
}

# every contract code list is covered (checked by the tests)
_COVERED = {
    "programme": PROGRAMMES, "tier": TIER_ORDER, "outcome": OUTCOMES, "offence_type": OFFENCE_TYPES, "sex": SEXES,
    "ethnicity": ETHNICITIES, "table": tuple(TABLES), "use_change": USE_CHANGES, "decision": REFERRAL_DECISIONS,
    "status": INTERVENTION_STATUSES, "area_type": AREA_TYPES,
}


def label(kind: str, code: str) -> str:
    """The plain name of ``code`` of the given ``kind`` (``label("tier", "pre_court")``).

    A code the table does not list (a programme code added to an extract) is shown with its
    underscores as spaces and a capital, so a reader never sees a raw code name.
    """
    names = LABELS.get(kind, {})
    if code in names:
        return names[code]
    text = str(code).replace("_", " ")
    return text[:1].upper() + text[1:]


def characteristic_label(characteristic: str, level: str | None = None) -> str:
    """A matching characteristic and, for a category, its level: ``Ethnic group: Black``,
    ``Asset score: not recorded``, ``Tier of the index outcome: custody``."""
    name = label("characteristic", characteristic)
    if level is None or level == "":
        return name
    kinds = {"sex": "sex", "ethnicity": "ethnicity", "tier": "tier_short", "offence_type": "offence_type"}
    level_name = LABELS["level"].get(level) or (label(kinds[characteristic], level) if characteristic in kinds
                                                else level.replace("_", " "))
    return f"{name}: {level_name}"


def code_names() -> frozenset[str]:
    """Every code of the table that no reader should see as such: the ones with an underscore."""
    return frozenset(code for names in LABELS.values() for code in names if "_" in code) | frozenset(
        name for kind in ("characteristic",) for name in LABELS[kind] if "_" in name
    )


# The one status key of the target verdicts (METHODS.md "Targets and verdicts"): the words every page,
# the index, the published CSVs and ``yot targets`` show for each status of ``yot.verdicts``.
STATUS_WORDS: dict[str, str] = {
    "met": "Met",
    "within_margin": "Not met, within the margin of error",
    "missed": "Missed",
    "provisional": "Provisional: not rated",
    "baseline": "Baseline",
    "no_data": "No data",
}
STATUS_COLOURS: dict[str, str] = {"met": "Green", "within_margin": "Amber", "missed": "Red"}
STATUS_SYMBOLS: dict[str, str] = {"provisional": "[p]", "baseline": "[z]", "no_data": "[x]"}
STATUS_MEANINGS: dict[str, str] = {
    "met": "the figure is at or better than the target for the period",
    "within_margin": "worse than the target, but the target lies inside the figure's 95% interval",
    "missed": "worse than the target, and the target lies outside the figure's 95% interval",
    "provisional": "the period's figures are not final yet, so it is not rated",
    "baseline": "the period the target starts from, not rated",
    "no_data": "the extract has no figure for the period",
}


def status_key() -> str:
    """The status key, word for word the same wherever it appears: "Green, Met: ...; ...; [x] No data: ..."."""
    parts = []
    for status, words in STATUS_WORDS.items():
        mark = STATUS_COLOURS.get(status) or STATUS_SYMBOLS[status]
        parts.append(f"{mark}, **{words}**: {STATUS_MEANINGS[status]}" if status in STATUS_COLOURS
                     else f"{mark} **{words}**: {STATUS_MEANINGS[status]}")
    return "; ".join(parts) + "."
