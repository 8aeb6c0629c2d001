"""An independent reference check of the counting rules (METHODS.md), in deliberately plain Python.

Everything below the "reference" line re-implements METHODS.md from its text alone, without polars and
without importing any counting code from ``yot`` (month arithmetic, ages, tiers and periods are all
written out again here), slowly and obviously: index dates, cohort membership and the index offence
tie-breaks, reoffences in the F/W windows, the measures and their breakdowns, and first-time entrants.
Hypothesis then builds small random extracts whose dates crowd onto the places where rules can go
wrong (period bounds, month ends, 29 February, the edges of the follow-up and waiting windows, same-day
ties on gravity and identifiers, custody with and without a release date, breaches) and checks that
yot gives exactly the reference's figures (floats to 1e-12: Wilson intervals and quartiles), in memory,
for one cohort and for many (overlapping) cohorts at once, and through CSV files and the command line.

Where METHODS.md leaves a choice, the reference follows docs/aqa/assumptions.md and
docs/theme1_targets.md, and says so next to the rule:

- the waiting period is added in one step: ``outcome_date <= index_date + (F + W) months``;
- a breach can be an index offence (only reoffences exclude breaches);
- offence ids compare as strings;
- the index offence is chosen among the offences that qualify for the period (index date in the period,
  aged 10 to 17 on it);
- a custody outcome with no release date has no index date but can still be a reoffence;
- an FTE count is final 6 months after the period end; the FTE population is that of the YOTs found among
  the extract's people in the mid-year of the period's start year, none if any of them lacks that year.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from pathlib import Path
from statistics import NormalDist
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yot.cli import main
from yot.cohort import reoffending
from yot.extract import Extract, make_extract
from yot.fte import fte_by_year, fte_summary, first_time_entrants
from yot.load import load_extract
from yot.measures import breakdowns, cohort_metrics, measures, measures_by_year, measures_table
from yot.dates import period_bounds

D = dt.date

# =============================================================================== the reference
# --- codes, written out again from DATA_CONTRACT.md
TIER_OF = {
    "reprimand": "pre_court", "final_warning": "pre_court", "youth_caution": "pre_court",
    "youth_conditional_caution": "pre_court",
    "referral_order": "first_tier", "reparation_order": "first_tier", "fine": "first_tier",
    "conditional_discharge": "first_tier", "absolute_discharge": "first_tier", "compensation_order": "first_tier",
    "action_plan_order": "community", "supervision_order": "community", "youth_rehabilitation_order": "community",
    "community_order": "community",
    "detention_training_order": "custody", "section_90_91_detention": "custody",
}
TIERS = ["pre_court", "first_tier", "community", "custody"]
SEX_CODES = ["M", "F", "U"]
ETHNIC_CODES = ["White", "Mixed", "Asian", "Black", "Other", "Unknown"]
AGE_BAND_CODES = ["10-14", "15-17"]
BREAKDOWN_OF = {"tier": TIERS, "sex": SEX_CODES, "age_band": AGE_BAND_CODES, "ethnicity": ETHNIC_CODES}
DAY_BAND_LABELS = ["0-90", "91-180", "181-270", "271-365", "366+"]


# --- dates and ages (METHODS.md "Dates and ages")
def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def plus_months(date: dt.date, months: int) -> dt.date:
    """Step month by month, then clamp the day to the last day of the month reached."""
    year, month = date.year, date.month
    for _ in range(months):
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return D(year, month, min(date.day, month_length(year, month)))


def birthday_in(dob: dt.date, year: int) -> dt.date:
    """The day someone born on ``dob`` turns a year older in ``year`` (29 Feb -> 1 Mar in common years)."""
    if (dob.month, dob.day) == (2, 29) and not is_leap(year):
        return D(year, 3, 1)
    return D(year, dob.month, dob.day)


def age_on_day(dob: dt.date, day: dt.date) -> int:
    """Completed years: the birthdays that have come by ``day``."""
    return sum(1 for year in range(dob.year + 1, day.year + 1) if birthday_in(dob, year) <= day)


def band_of(age: int) -> str | None:
    if 10 <= age <= 14:
        return "10-14"
    if 15 <= age <= 17:
        return "15-17"
    return None


def ref_period(kind: str, year: int) -> tuple[dt.date, dt.date]:
    if kind == "calendar":
        return D(year, 1, 1), D(year, 12, 31)
    if kind == "financial":
        return D(year, 4, 1), D(year + 1, 3, 31)
    assert kind == "october_december"
    return D(year, 10, 1), D(year, 12, 31)


# --- index event, cohort, reoffences (METHODS.md "Index event and cohort", "Reoffences")
def index_date_of(offence: dict) -> dt.date | None:
    if TIER_OF[offence["outcome"]] == "custody":
        return offence["release_date"]  # None: still in custody, no index date
    return offence["outcome_date"]


def ref_cohort(people: list[dict], offences: list[dict], start: dt.date, end: dt.date,
               f: int, w: int) -> dict[str, dict]:
    """person_id -> the member's row: index offence, tier, age, groups, reoffences, days to first."""
    members = {}
    for person in people:
        pid = person["person_id"]
        mine = [o for o in offences if o["person_id"] == pid]
        qualifying = []
        for o in mine:
            idx = index_date_of(o)
            if idx is None or not start <= idx <= end:
                continue
            if not 10 <= age_on_day(person["date_of_birth"], idx) <= 17:
                continue
            qualifying.append(o)
        if not qualifying:
            continue
        # earliest index date, then highest gravity, then smallest offence_id (as strings)
        best = qualifying[0]
        for o in qualifying[1:]:
            a, b = index_date_of(o), index_date_of(best)
            if a < b or (a == b and (o["gravity"] > best["gravity"] or (
                    o["gravity"] == best["gravity"] and o["offence_id"] < best["offence_id"]))):
                best = o
        idx = index_date_of(best)
        last_offence_day = plus_months(idx, f)
        last_outcome_day = plus_months(idx, f + w)  # one step (docs/aqa/assumptions.md)
        again = [o for o in mine
                 if o["offence_id"] != best["offence_id"] and o["offence_type"] != "breach"
                 and idx < o["offence_date"] <= last_offence_day and o["outcome_date"] <= last_outcome_day]
        age = age_on_day(person["date_of_birth"], idx)
        members[pid] = {
            "offence_id": best["offence_id"], "index_date": idx, "tier": TIER_OF[best["outcome"]],
            "age": age, "age_band": band_of(age), "sex": person["sex"], "ethnicity": person["ethnicity"],
            "reoffences": len(again), "reoffended": len(again) > 0,
            "days_to_first_reoffence": min((o["offence_date"] - idx).days for o in again) if again else None,
        }
    return members


# --- measures (METHODS.md "Measures")
Z = NormalDist().inv_cdf(0.975)


def wilson(r: int, n: int) -> list[float | None]:
    if n == 0:
        return [None, None]
    p = r / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return [centre - half, centre + half]


def quantile(values: list[int], q: float) -> float | None:
    """Linear interpolation between order statistics (numpy's default)."""
    if not values:
        return None
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    low = int(pos)
    if low + 1 >= len(xs):
        return float(xs[low])
    return xs[low] + (xs[low + 1] - xs[low]) * (pos - low)


def day_band(days: int) -> str:
    if days <= 90:
        return "0-90"
    if days <= 180:
        return "91-180"
    if days <= 270:
        return "181-270"
    if days <= 365:
        return "271-365"
    return "366+"


def ref_measures(rows: list[dict]) -> dict[str, Any]:
    n = len(rows)
    r = sum(1 for m in rows if m["reoffended"])
    k = sum(m["reoffences"] for m in rows)
    days = [m["days_to_first_reoffence"] for m in rows if m["reoffended"]]
    return {
        "cohort_size": n, "reoffenders": r, "reoffences": k,
        "binary_rate": r / n if n else None, "binary_rate_ci": wilson(r, n),
        "frequency_rate": k / n if n else None, "reoffences_per_reoffender": k / r if r else None,
        "days_to_first_reoffence": {
            "median": quantile(days, 0.5), "q1": quantile(days, 0.25), "q3": quantile(days, 0.75),
            "bands": {label: sum(1 for d in days if day_band(d) == label) for label in DAY_BAND_LABELS},
        },
    }


def ref_breakdowns(rows: list[dict]) -> dict[str, dict[str, dict]]:
    return {name: {g: ref_measures([m for m in rows if m[name] == g]) for g in groups}
            for name, groups in BREAKDOWN_OF.items()}


def headline_of(m: dict) -> dict:
    return {k: v for k, v in m.items() if k != "days_to_first_reoffence"}


def ref_cohort_metrics(people: list[dict], offences: list[dict], start: dt.date, end: dt.date, f: int, w: int,
                       extract_date: dt.date | None) -> dict[str, Any]:
    rows = list(ref_cohort(people, offences, start, end, f, w).values())
    as_of = extract_date if extract_date is not None else max((o["outcome_date"] for o in offences), default=None)
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "follow_up_months": f, "waiting_months": w,
        "extract_date": None if as_of is None else as_of.isoformat(),
        "complete": as_of is not None and as_of >= plus_months(end, f + w),
        **headline_of(ref_measures(rows)),
        "by": {name: {g: headline_of(m) for g, m in groups.items()} for name, groups in ref_breakdowns(rows).items()},
    }


# --- first-time entrants (METHODS.md "First-time entrants")
def ref_first_time_entrants(people: list[dict], offences: list[dict], start: dt.date,
                            end: dt.date) -> dict[str, dict]:
    """person_id -> {"age", "sex", "ethnicity", "outcome_date"} of each entrant of the period."""
    out = {}
    for person in people:
        days = [o["outcome_date"] for o in offences if o["person_id"] == person["person_id"]]
        if not days:
            continue
        first = min(days)
        age = age_on_day(person["date_of_birth"], first)
        if start <= first <= end and 10 <= age <= 17:
            out[person["person_id"]] = {"age": age, "sex": person["sex"], "ethnicity": person["ethnicity"],
                                        "outcome_date": first}
    return out


def ref_population(people: list[dict], population: list[dict] | None, year: int) -> list[dict] | None:
    """The population rows of that mid-year for the YOTs among the people; None if any YOT lacks it."""
    if population is None:
        return None
    yots = {p["yot"] for p in people}
    rows = [r for r in population if r["year"] == year and r["yot"] in yots]
    if not yots or {r["yot"] for r in rows} != yots:
        return None
    return rows


def rate(count: int, pop: int | None) -> float | None:
    return None if not pop else count / pop * 100_000


def ref_fte_summary(people: list[dict], offences: list[dict], population: list[dict] | None,
                    start: dt.date, end: dt.date) -> dict[str, Any]:
    entrants = list(ref_first_time_entrants(people, offences, start, end).values())
    rows = ref_population(people, population, start.year)
    total_pop = None if rows is None else sum(r["count"] for r in rows)

    def pop_where(**match: Any) -> int | None:
        if rows is None:
            return None
        chosen = [r["count"] for r in rows if all(r[k] == v for k, v in match.items())]
        return sum(chosen) if chosen else None

    def group(count: int, pop: int | None) -> dict:
        return {"fte": count, "population": pop, "rate_per_100k": rate(count, pop)}

    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "fte": len(entrants), "population_10_17": total_pop, "rate_per_100k": rate(len(entrants), total_pop),
        "by": {
            "sex": {s: group(sum(1 for e in entrants if e["sex"] == s), pop_where(sex=s) if s != "U" else None)
                    for s in SEX_CODES},
            "age": {str(a): group(sum(1 for e in entrants if e["age"] == a), pop_where(age=a)) for a in range(10, 18)},
            "ethnicity": {e: group(sum(1 for x in entrants if x["ethnicity"] == e), None) for e in ETHNIC_CODES},
        },
    }


# =============================================================================== comparison
def same(got: Any, want: Any, path: str = "") -> None:
    """Equal, with floats to 1e-12 (interval and quartile arithmetic may differ in the last bits);
    counts must be ints, not floats, and booleans booleans."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), f"{path}: keys {list(got)} != {list(want)}"
        for key in want:
            same(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), f"{path}: {got!r} != {want!r}"
        for i, (g, v) in enumerate(zip(got, want, strict=True)):
            same(g, v, f"{path}[{i}]")
    elif isinstance(want, float):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{path}: {got!r} != {want!r}"
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12), f"{path}: {got!r} != {want!r}"
    elif want is None or isinstance(want, (bool, str)):
        assert got == want and type(got) is type(want), f"{path}: {got!r} != {want!r}"
    else:
        assert isinstance(want, int)
        assert got == want and isinstance(got, int) and not isinstance(got, bool), f"{path}: {got!r} != {want!r}"


# =============================================================================== the reference's own checks
@pytest.mark.parametrize(("date", "months", "want"), [
    (D(2005, 1, 31), 1, D(2005, 2, 28)), (D(2004, 1, 31), 1, D(2004, 2, 29)), (D(2004, 2, 29), 12, D(2005, 2, 28)),
    (D(2005, 8, 31), 6, D(2006, 2, 28)), (D(2005, 8, 31), 18, D(2007, 2, 28)), (D(2005, 12, 31), 18, D(2007, 6, 30)),
    (D(2005, 3, 31), 0, D(2005, 3, 31)), (D(2005, 10, 31), 15, D(2007, 1, 31)),
])
def test_reference_month_arithmetic(date: dt.date, months: int, want: dt.date) -> None:
    assert plus_months(date, months) == want


@pytest.mark.parametrize(("dob", "day", "want"), [
    (D(1988, 2, 29), D(2005, 2, 28), 16), (D(1988, 2, 29), D(2005, 3, 1), 17),
    (D(1988, 2, 29), D(2004, 2, 29), 16), (D(1988, 2, 29), D(2004, 2, 28), 15),
    (D(1990, 12, 31), D(2005, 12, 30), 14), (D(1990, 12, 31), D(2005, 12, 31), 15),
])
def test_reference_ages(dob: dt.date, day: dt.date, want: int) -> None:
    assert age_on_day(dob, day) == want


def test_reference_periods_match_yot() -> None:
    for kind, year in itertools.product(["calendar", "financial", "october_december"], [2003, 2004, 2005]):
        assert period_bounds(kind, year) == ref_period(kind, year)


# =============================================================================== chosen cases
def person_row(pid: str = "P1", dob: dt.date = D(1990, 6, 15)) -> dict:
    return {"person_id": pid, "date_of_birth": dob, "sex": "M", "ethnicity": "White", "yot": "Barnet"}


def offence_row(oid: str, committed: dt.date, proven: dt.date, outcome: str = "fine", gravity: int = 3,
                release: dt.date | None = None, offence_type: str = "theft", pid: str = "P1") -> dict:
    return {"offence_id": oid, "person_id": pid, "offence_date": committed, "outcome_date": proven,
            "offence_type": offence_type, "gravity": gravity, "outcome": outcome, "release_date": release}


@pytest.mark.parametrize(("index", "f", "w", "proven", "counts"), [
    # one step (docs/aqa/assumptions.md): 31 Jan + 6 months = 31 Jul; in two steps 30 Apr + 3 = 30 Jul
    (D(2005, 1, 31), 3, 3, D(2005, 7, 31), True),
    (D(2005, 1, 31), 3, 3, D(2005, 8, 1), False),
    # 29 Feb 2004 + 18 months = 29 Aug 2005; in two steps 28 Feb 2005 + 6 = 28 Aug
    (D(2004, 2, 29), 12, 6, D(2005, 8, 29), True),
    (D(2004, 2, 29), 12, 6, D(2005, 8, 30), False),
    # 30 Nov + 6 = 30 May; in two steps 28 Feb + 3 = 28 May
    (D(2004, 11, 30), 3, 3, D(2005, 5, 30), True),
    (D(2004, 11, 30), 3, 3, D(2005, 5, 31), False),
])
def test_waiting_period_is_added_in_one_step(index: dt.date, f: int, w: int, proven: dt.date, counts: bool) -> None:
    people = [person_row()]
    offences = [offence_row("1", index, index), offence_row("2", index + days(1), proven)]
    want = ref_cohort(people, offences, D(2004, 1, 1), D(2005, 12, 31), f, w)
    assert want["P1"]["reoffences"] == int(counts)
    got = reoffending(make_extract(people=people, offences=offences), D(2004, 1, 1), D(2005, 12, 31), f, w)
    assert member_rows(got) == want


# =============================================================================== random extracts
YEARS = (2004, 2005)
KINDS = ("calendar", "financial", "october_december")
FW = [(12, 6), (12, 3), (3, 3)]
MONTH_ENDS = [D(y, m, month_length(y, m)) for y in range(2003, 2008) for m in range(1, 13)]
ANCHORS = sorted({d for kind, y in itertools.product(KINDS, YEARS) for d in ref_period(kind, y)} | set(MONTH_ENDS)
                 | {D(2004, 2, 29), D(2004, 3, 1), D(2005, 2, 28), D(2005, 3, 1)})
OUTCOMES = ["reprimand", "final_warning", "fine", "referral_order", "supervision_order", "action_plan_order",
            "detention_training_order", "detention_training_order", "section_90_91_detention"]
OFFENCE_IDS = ([str(i) for i in range(1, 25)] + [f"0{i}" for i in range(1, 10)] + [f"O{i}" for i in range(1, 16)]
               + ["a", "A", "b", "B", "O01", "10a"])
PERSON_IDS = ["1", "01", "2", "10", "P1", "P10", "P2", "p1", "007", "X"]
YOTS = ["Barnet", "Enfield"]
LENGTHS = [0, 1, 30, 89, 91, 180, 364, 365]


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


nudge = st.sampled_from([-2, -1, 0, 0, 0, 1, 1, 2]).map(days)


def around(dates: list[dt.date]) -> st.SearchStrategy[dt.date]:
    """One of ``dates``, give or take a day or two."""
    return st.builds(lambda d, n: d + n, st.sampled_from(dates), nudge)


def years_before(date: dt.date, years: int) -> dt.date:
    year = date.year - years
    return D(year, date.month, min(date.day, month_length(year, date.month)))


@st.composite
def births(draw: st.DrawFn, bounds: list[dt.date]) -> dt.date:
    """Dates of birth that put someone's 10th or 18th birthday on a period bound or an anchor (a month
    end, 29 Feb), 29 Feb birthdays, month-end birthdays, or an age of 10 to 17 in the period."""
    how = draw(st.sampled_from(["edge", "edge", "leap", "month_end", "any", "any"]))
    if how == "edge":
        day = draw(st.one_of(st.sampled_from(bounds), st.sampled_from(ANCHORS)))
        return years_before(day, draw(st.sampled_from([10, 18]))) + draw(nudge)
    if how == "leap":
        leap_years = [y for y in range(bounds[0].year - 19, bounds[0].year - 8) if is_leap(y)]
        return D(draw(st.sampled_from(leap_years)), 2, 29)
    if how == "month_end":
        year, month = draw(st.integers(bounds[0].year - 18, bounds[0].year - 10)), draw(st.integers(1, 12))
        return D(year, month, month_length(year, month))
    return years_before(bounds[0], draw(st.integers(10, 17))) - days(draw(st.integers(0, 365)))


@st.composite
def extracts(draw: st.DrawFn, start: dt.date, end: dt.date, f: int, w: int) -> dict[str, Any]:
    """1-6 people with 0-6 offences each, for a cohort period ``start``-``end`` and windows F=f, W=w.

    Outcome dates land near the period bounds, month ends and 29 February, or anywhere from a year
    before the period to a year after it; later offences of a person land on another of their offences'
    window edges (F or F+W months, or some other whole number of months, after its index date, give or
    take a day or two, for the offence date or the outcome date), or on the same day as another offence
    (same or other gravity, or on a custody release day); custody has a release date three times in four.
    """
    bounds = [start, end, start - days(1), end + days(1)]
    free_day = st.one_of(around(bounds), around(bounds), around(ANCHORS),
                         st.integers(-365, (end - start).days + 365).map(lambda n: start + days(n)))
    months = st.sampled_from([f, f, f + w, f + w, 0, 1, 3, 6, 12, 18])
    pids = draw(st.lists(st.sampled_from(PERSON_IDS), min_size=1, max_size=6, unique=True))
    people = [{"person_id": pid, "date_of_birth": draw(births(bounds)), "sex": draw(st.sampled_from(SEX_CODES)),
               "ethnicity": draw(st.sampled_from(ETHNIC_CODES)), "yot": draw(st.sampled_from(YOTS))}
              for pid in pids]
    ids = iter(draw(st.permutations(OFFENCE_IDS)))
    offences: list[dict] = []
    for pid in pids:
        mine: list[dict] = []
        for _ in range(draw(st.integers(0, 6))):
            kind = draw(st.sampled_from(["free", "edge", "edge", "edge", "tie"])) if mine else "free"
            gravity = draw(st.integers(3, 5))
            if kind == "free":
                proven = draw(free_day)
                committed = proven - days(draw(st.sampled_from([0, 0, 1, 20, 90, 200])))
            elif kind == "tie":
                other = draw(st.sampled_from(mine))
                proven, committed = other["outcome_date"], other["offence_date"]
                if draw(st.booleans()):
                    gravity = other["gravity"]
                if other["release_date"] is not None and draw(st.booleans()):
                    proven = other["release_date"]  # same index date as a custody index offence
                    committed = min(committed, proven)
            else:
                other = draw(st.sampled_from(mine))
                base = other["release_date"] or other["outcome_date"]
                if draw(st.booleans()):  # the offence date on an edge
                    committed = plus_months(base, draw(months)) + draw(nudge)
                    proven = committed + days(draw(st.sampled_from([0, 1, 30, 100])))
                    if draw(st.booleans()):  # and the outcome on another
                        proven = max(committed, plus_months(base, draw(months)) + draw(nudge))
                else:  # the outcome date on an edge (or where F then W months, added in two steps, lands);
                    # the offence just after the index date, or earlier
                    proven = draw(st.one_of(st.builds(lambda m, n: plus_months(base, m) + n, months, nudge),
                                            st.just(plus_months(plus_months(base, f), w))))
                    committed = min(proven, draw(st.one_of(
                        st.builds(lambda n: base + n, nudge),
                        st.integers(0, 200).map(lambda n: proven - days(n)))))
            outcome = draw(st.sampled_from(OUTCOMES))
            release = None
            if TIER_OF[outcome] == "custody" and draw(st.integers(0, 3)) > 0:
                release = max(proven, draw(st.one_of(st.integers(0, 400).map(lambda n: proven + days(n)),
                                                     around(bounds))))
            mine.append({
                "offence_id": next(ids), "person_id": pid, "offence_date": committed, "outcome_date": proven,
                "offence_type": draw(st.sampled_from(["theft", "theft", "violence", "breach"])), "gravity": gravity,
                "outcome": outcome, "release_date": release,
            })
        offences.extend(mine)
    population = None
    if draw(st.integers(0, 4)) > 0:
        population = []
        for yot, year in itertools.product(YOTS, range(start.year - 1, start.year + 2)):
            if draw(st.integers(0, 4)) == 0:
                continue  # that YOT has no estimate for that mid-year
            for age, sex in itertools.product(range(10, 18), ("M", "F")):
                population.append({"yot": yot, "year": year, "age": age, "sex": sex,
                                   "count": draw(st.integers(0, 300))})
    return {"people": people, "offences": offences, "population": population}


@st.composite
def cases(draw: st.DrawFn, named_periods: bool = False) -> dict[str, Any]:
    """A period (a calendar or financial year, an October-December quarter, or any start and length),
    F and W, an extract built around them and an extract date (default, near completion, or any)."""
    kind = year = None
    if named_periods or draw(st.booleans()):
        kind, year = draw(st.sampled_from(KINDS)), draw(st.sampled_from(YEARS))
        start, end = ref_period(kind, year)
    else:
        start = draw(around(ANCHORS))
        end = start + days(draw(st.sampled_from(LENGTHS)))
    f, w = draw(st.sampled_from(FW))
    data = draw(extracts(start, end, f, w))
    extract_date = draw(st.one_of(st.none(), around([plus_months(end, f + w)]), around(ANCHORS)))
    return {"data": data, "kind": kind, "year": year, "start": start, "end": end, "f": f, "w": w,
            "extract_date": extract_date}


def build(data: dict[str, Any]) -> Extract:
    return make_extract(people=data["people"], offences=data["offences"] or None, population=data["population"])


def member_rows(frame: Any) -> dict[str, dict]:
    keys = ["offence_id", "index_date", "tier", "age", "age_band", "sex", "ethnicity", "reoffences", "reoffended",
            "days_to_first_reoffence"]
    return {row["person_id"]: {k: row[k] for k in keys} for row in frame.iter_rows(named=True)}


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])


# =============================================================================== yot against the reference
@FAST
@given(case=cases())
def test_reoffending_and_metrics_match_reference(case: dict) -> None:
    data, start, end, f, w = case["data"], case["start"], case["end"], case["f"], case["w"]
    ex = build(data)
    members = reoffending(ex, start, end, f, w)
    want = ref_cohort(data["people"], data["offences"], start, end, f, w)
    assert member_rows(members) == want
    assert members["person_id"].to_list() == sorted(want)
    rows = list(want.values())
    same(measures(members), ref_measures(rows), "measures")
    same(breakdowns(members), ref_breakdowns(rows), "breakdowns")
    got = cohort_metrics(ex, start, end, f, w, case["extract_date"])
    same(got, ref_cohort_metrics(data["people"], data["offences"], start, end, f, w, case["extract_date"]),
         "cohort_metrics")


def table_row(year: int | None, start: dt.date, end: dt.date, complete: bool, breakdown: str, group: str,
              m: dict) -> dict[str, Any]:
    """The row of yot.measures.measures_table the reference expects for one group."""
    days_ = m["days_to_first_reoffence"]
    return {
        "year": year, "start": start, "end": end, "complete": complete, "breakdown": breakdown, "group": group,
        "cohort_size": m["cohort_size"], "reoffenders": m["reoffenders"], "reoffences": m["reoffences"],
        "binary_rate": m["binary_rate"], "ci_low": m["binary_rate_ci"][0], "ci_high": m["binary_rate_ci"][1],
        "frequency_rate": m["frequency_rate"], "reoffences_per_reoffender": m["reoffences_per_reoffender"],
        "days_median": days_["median"], "days_q1": days_["q1"], "days_q3": days_["q3"],
        **{f"days_{label.replace('-', '_').replace('+', '_plus')}": n for label, n in days_["bands"].items()},
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases(named_periods=True))
def test_measures_by_year_match_reference(case: dict) -> None:
    """The many-cohorts path (measures_by_year -> cohort_members) for the case's period kind, 2004 and 2005."""
    data, kind, f, w = case["data"], case["kind"], case["f"], case["w"]
    if not data["offences"]:
        return
    table = measures_by_year(build(data), list(YEARS), kind, f, w, case["extract_date"])
    as_of = case["extract_date"] or max(o["outcome_date"] for o in data["offences"])
    got_rows = table.iter_rows(named=True)
    for year in YEARS:
        start, end = ref_period(kind, year)
        rows = list(ref_cohort(data["people"], data["offences"], start, end, f, w).values())
        complete = as_of >= plus_months(end, f + w)
        groups = [("all", "all", ref_measures(rows))] + [
            (name, g, m) for name, gs in ref_breakdowns(rows).items() for g, m in gs.items()]
        for breakdown, group, m in groups:
            want = table_row(year, start, end, complete, breakdown, group, m)
            got = {k: v for k, v in next(got_rows).items() if k in want}
            assert (got.pop("start"), got.pop("end")) == (want.pop("start"), want.pop("end"))
            same(got, want, f"{kind} {year} {breakdown} {group}")
    assert next(got_rows, None) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_measures_table_of_overlapping_periods_matches_reference(case: dict) -> None:
    """measures_table over overlapping periods (a member of two shares their reoffences once in yot)."""
    data, f, w = case["data"], case["f"], case["w"]
    periods = [("case", case["start"], case["end"]), ("cal", *ref_period("calendar", 2005)),
               ("fin", *ref_period("financial", 2004)), ("q4", *ref_period("october_december", 2005)),
               ("case again", case["start"], case["end"])]
    table = measures_table(build(data), periods, f, w, case["extract_date"])
    as_of = case["extract_date"] or max((o["outcome_date"] for o in data["offences"]), default=None)
    got_rows = table.iter_rows(named=True)
    for label, start, end in periods:
        rows = list(ref_cohort(data["people"], data["offences"], start, end, f, w).values())
        complete = as_of is not None and as_of >= plus_months(end, f + w)
        groups = [("all", "all", ref_measures(rows))] + [
            (name, g, m) for name, gs in ref_breakdowns(rows).items() for g, m in gs.items()]
        for breakdown, group, m in groups:
            want = table_row(None, start, end, complete, breakdown, group, m)
            row = next(got_rows)
            assert row["period"] == label
            got = {k: v for k, v in row.items() if k in want}
            assert (got.pop("start"), got.pop("end")) == (want.pop("start"), want.pop("end"))
            same(got, want, f"{label} {breakdown} {group}")
    assert next(got_rows, None) is None


@FAST
@given(case=cases())
def test_first_time_entrants_match_reference(case: dict) -> None:
    data, start, end = case["data"], case["start"], case["end"]
    ex = build(data)
    want = ref_first_time_entrants(data["people"], data["offences"], start, end)
    got = first_time_entrants(ex, start, end)
    assert got["person_id"].to_list() == sorted(want)
    assert {r["person_id"]: {"age": r["age"], "sex": r["sex"], "ethnicity": r["ethnicity"],
                             "outcome_date": r["outcome_date"]} for r in got.iter_rows(named=True)} == want
    same(fte_summary(ex, start, end), ref_fte_summary(data["people"], data["offences"], data["population"],
                                                      start, end), "fte_summary")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases(named_periods=True))
def test_fte_by_year_matches_reference(case: dict) -> None:
    data, kind = case["data"], case["kind"]
    if not data["offences"]:
        return
    table = fte_by_year(build(data), list(YEARS), kind)
    for row, year in zip(table.iter_rows(named=True), YEARS, strict=True):
        start, end = ref_period(kind, year)
        want = ref_fte_summary(data["people"], data["offences"], data["population"], start, end)
        same({"fte": row["fte"], "population_10_17": row["population_10_17"], "rate_per_100k": row["rate_per_100k"]},
             {k: want[k] for k in ("fte", "population_10_17", "rate_per_100k")}, f"fte_by_year {kind} {year}")


# =============================================================================== through files and the CLI
def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    def text(value: Any) -> str:
        return "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)
    path.write_text("\n".join([",".join(columns), *(",".join(text(r[c]) for c in columns) for r in rows)]) + "\n",
                    encoding="utf-8")


_folders = itertools.count()


def ref_as_at(offences: list[dict], extract_date: dt.date | None) -> list[dict]:
    """METHODS.md "Extract date and as at runs", for offences: proven after the extract date = not proven
    yet (left out); released after it = not released yet (no release date: still in custody)."""
    if extract_date is None:
        return offences
    return [{**o, "release_date": o["release_date"] if o["release_date"] is not None
             and o["release_date"] <= extract_date else None}
            for o in offences if o["outcome_date"] <= extract_date]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_csv_round_trip_and_cli_match_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                case: dict) -> None:
    """CSV files -> yot.load.load_extract -> ``yot metrics --json`` and ``yot fte --json`` (via yot.cli.main)."""
    data, start, end, f, w = case["data"], case["start"], case["end"], case["f"], case["w"]
    if not data["offences"]:
        return
    folder = tmp_path / f"x{next(_folders)}"
    folder.mkdir()
    write_csv(folder / "people.csv", ["person_id", "date_of_birth", "sex", "ethnicity", "yot"], data["people"])
    write_csv(folder / "offences.csv", ["offence_id", "person_id", "offence_date", "outcome_date", "offence_type",
                                        "gravity", "outcome", "release_date"], data["offences"])
    if data["population"] is not None:
        write_csv(folder / "population.csv", ["yot", "year", "age", "sex", "count"], data["population"])
    loaded = load_extract(folder)
    assert all(c.quarantined == 0 for c in loaded.counts.values()), loaded.counts
    assert member_rows(reoffending(loaded, start, end, f, w)) == ref_cohort(data["people"], data["offences"],
                                                                              start, end, f, w)
    argv = ["metrics", "--data", str(folder), "--start", start.isoformat(), "--end", end.isoformat(),
            "--follow-up-months", str(f), "--waiting-months", str(w), "--json"]
    if case["extract_date"] is not None:
        argv += ["--extract-date", case["extract_date"].isoformat()]
    capsys.readouterr()
    assert main(argv) == 0
    out = capsys.readouterr()
    assert all(line.startswith("yot: note: ") for line in out.err.splitlines())  # notes only, nothing set aside
    known = ref_as_at(data["offences"], case["extract_date"])  # the command counts the extract as it stood then
    same(json.loads(out.out),
         ref_cohort_metrics(data["people"], known, start, end, f, w, case["extract_date"]),
         "metrics --json")
    assert main(["fte", "--data", str(folder), "--start", start.isoformat(), "--end", end.isoformat(), "--json"]) == 0
    out = capsys.readouterr()
    assert all(line.startswith("yot: note: ") for line in out.err.splitlines())  # notes only, nothing set aside
    same(json.loads(out.out), ref_fte_summary(data["people"], data["offences"], data["population"], start, end),
         "fte --json")
