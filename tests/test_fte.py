"""First-time entrants (METHODS.md "First-time entrants"): hand-made extracts, answers by hand.

The period is the financial year 2005-06: 1 April 2005 to 31 March 2006, both ends included.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yot.extract import make_extract
from yot.fte import (
    fte_by_year,
    fte_summary,
    fte_target,
    first_time_entrants,
    population_10_17,
    yearly_change,
)
from yot.verdicts import fte_verdicts

D = dt.date
START, END = D(2005, 4, 1), D(2006, 3, 31)
_ids = itertools.count(1)


def person(pid, dob, sex="M", ethnicity="White", yot="Barnet"):
    return {"person_id": pid, "date_of_birth": dob, "sex": sex, "ethnicity": ethnicity, "yot": yot}


def offence(pid, outcome_date, gravity=3, oid=None):
    return {"offence_id": oid or f"o{next(_ids):04d}", "person_id": pid, "offence_date": outcome_date - dt.timedelta(days=20),
            "outcome_date": outcome_date, "offence_type": "theft", "gravity": gravity, "outcome": "reprimand"}


def population(year, m=100, f=50, yot="Barnet"):
    return [{"yot": yot, "year": year, "age": a, "sex": s, "count": c} for a in range(10, 18) for s, c in (("M", m), ("F", f))]


PEOPLE = [
    person("p1", D(1990, 1, 1)),                               # first proven offence before the period
    person("p2", D(1987, 1, 1), "F"),                          # first at 18: never an FTE
    person("p3", D(1995, 4, 1), "F", "Asian"),                 # first at 10, on its 10th birthday, on the start
    person("p4", D(1996, 5, 1)),                               # first at 9 (data): never an FTE, not at 10 either
    person("p5", D(1990, 6, 15), "U", "Black"),                # two offences on the first day, on the end
    person("p6", D(1989, 7, 1), "M", "Mixed"),                 # first the day after the period
    person("p7", D(1988, 12, 31)),                             # first at 17, on the 17th birthday
    person("p8", D(1991, 1, 1)),                               # no offence at all
]
OFFENCES = [
    offence("p1", D(2005, 3, 31)), offence("p1", D(2005, 6, 1)),
    offence("p2", D(2005, 6, 1)),
    offence("p3", D(2005, 4, 1)),
    offence("p4", D(2005, 6, 1)), offence("p4", D(2006, 6, 1)),
    offence("p5", D(2006, 3, 31), gravity=2), offence("p5", D(2006, 3, 31), gravity=5),
    offence("p6", D(2006, 4, 1)),
    offence("p7", D(2005, 12, 31)),
]


def extract(pop=None):
    return make_extract(people=PEOPLE, offences=OFFENCES, population=pop)


def test_first_time_entrants_follow_the_rule_case_by_case():
    fte = first_time_entrants(extract(), START, END)
    assert fte["person_id"].to_list() == ["p3", "p5", "p7"]
    assert fte["age"].to_list() == [10, 15, 17]
    assert fte["sex"].to_list() == ["F", "U", "M"]
    assert fte["outcome_date"].to_list() == [D(2005, 4, 1), D(2006, 3, 31), D(2005, 12, 31)]


def test_the_earlier_years_entrant_and_the_later_one():
    assert first_time_entrants(extract(), D(2004, 4, 1), D(2005, 3, 31))["person_id"].to_list() == ["p1"]
    assert first_time_entrants(extract(), D(2006, 4, 1), D(2007, 3, 31))["person_id"].to_list() == ["p6"]


def test_period_bounds_are_inclusive_one_day_either_side_is_out():
    assert first_time_entrants(extract(), D(2005, 4, 2), D(2006, 3, 30))["person_id"].to_list() == ["p7"]


def test_two_offences_on_the_first_day_are_one_entrant():
    fte = first_time_entrants(extract(), D(2006, 3, 31), D(2006, 3, 31))
    assert fte.height == 1 and fte["gravity"].item() == 5


def test_summary_counts_rates_and_every_category():
    s = fte_summary(extract(population(2005) + population(2005, 7, 7, yot="Enfield")), START, END)
    assert s["period"] == {"start": "2005-04-01", "end": "2006-03-31"}
    assert s["fte"] == 3
    assert s["population_10_17"] == 1200  # 8 ages x (100 boys + 50 girls); Enfield's rows ignored
    assert s["rate_per_100k"] == pytest.approx(250.0)  # 3 / 1200 * 100,000
    assert list(s["by"]) == ["sex", "age", "ethnicity"]
    assert s["by"]["sex"]["M"] == {"fte": 1, "population": 800, "rate_per_100k": pytest.approx(125.0)}
    assert s["by"]["sex"]["F"] == {"fte": 1, "population": 400, "rate_per_100k": pytest.approx(250.0)}
    assert s["by"]["sex"]["U"] == {"fte": 1, "population": None, "rate_per_100k": None}
    assert list(s["by"]["age"]) == [str(a) for a in range(10, 18)]
    assert s["by"]["age"]["10"] == {"fte": 1, "population": 150, "rate_per_100k": pytest.approx(100000 / 150)}
    assert s["by"]["age"]["11"] == {"fte": 0, "population": 150, "rate_per_100k": 0.0}
    assert list(s["by"]["ethnicity"]) == ["White", "Mixed", "Asian", "Black", "Other", "Unknown"]
    assert s["by"]["ethnicity"]["White"] == {"fte": 1, "population": None, "rate_per_100k": None}
    assert s["by"]["ethnicity"]["Mixed"]["fte"] == 0


def test_a_missing_population_year_gives_no_rate():
    s = fte_summary(extract(population(2004)), START, END)  # 2005 mid-year missing
    assert s["fte"] == 3 and s["population_10_17"] is None and s["rate_per_100k"] is None
    assert s["by"]["sex"]["M"]["rate_per_100k"] is None and s["by"]["age"]["10"]["population"] is None
    assert fte_summary(extract(), START, END)["population_10_17"] is None  # no population table at all


def test_population_is_none_when_only_another_yots_estimate_exists():
    assert population_10_17(extract(population(2005, yot="Enfield")), 2005) is None
    assert population_10_17(extract(population(2005, yot="Enfield")), 2005, yot="Enfield") == 1200


def test_population_of_two_yots_needs_both():
    people = PEOPLE + [person("e1", D(1990, 1, 1), yot="Enfield")]
    one = make_extract(people=people, offences=OFFENCES, population=population(2005))
    both = make_extract(people=people, offences=OFFENCES, population=population(2005) + population(2005, 10, 10, "Enfield"))
    assert population_10_17(one, 2005) is None
    assert population_10_17(both, 2005) == 1200 + 160


def test_start_after_end_is_refused():
    with pytest.raises(ValueError):
        first_time_entrants(extract(), END, START)


# ------------------------------------------------------------------------------------ target arithmetic
def test_relative_target_spread_geometrically_and_held_after():
    assert yearly_change(-0.05, 3) == pytest.approx(0.95 ** (1 / 3) - 1)
    assert fte_target(100, 2004, -0.05, 2007, 2004) == pytest.approx(100)
    assert fte_target(100, 2004, -0.05, 2007, 2005) == pytest.approx(100 * 0.95 ** (1 / 3))  # 98.305
    assert fte_target(100, 2004, -0.05, 2007, 2006) == pytest.approx(100 * 0.95 ** (2 / 3))
    assert fte_target(100, 2004, -0.05, 2007, 2007) == pytest.approx(95)
    assert fte_target(100, 2004, -0.05, 2007, 2009) == pytest.approx(95)
    assert fte_target(100, 2004, -0.05, 2007, 2003) == pytest.approx(100)


def test_points_target_spread_linearly():
    assert [fte_target(100, 2004, -6, 2007, y, "points") for y in (2004, 2005, 2006, 2007, 2008)] == \
        pytest.approx([100, 98, 96, 94, 94])


def _target_extract(pop):
    """Four FTEs in 2004-05 and two in 2005-06, all aged 15 at their first outcome."""
    people = [person(f"t{i}", D(1990, 1, 1)) for i in range(6)]
    offences = [offence(f"t{i}", D(2004, 6, 1)) for i in range(4)] + [offence(f"t{i}", D(2005, 6, 1)) for i in (4, 5)]
    return make_extract(people=people, offences=offences, population=pop)


def test_fte_verdicts_on_rates():
    ex = _target_extract(population(2004, 500, 500) + population(2005, 500, 500))  # 8,000 a year
    base, year = fte_verdicts(ex, [2004, 2005], "financial", D(2006, 9, 30), baseline_year=2004, change=-0.05,
                              by_year=2007)
    assert base.unit == year.unit == "per_100k"
    assert base.baseline == pytest.approx(50.0)  # 4 / 8,000 * 100,000, from the extract
    assert base.p_value is None and base.status == "baseline"
    assert year.observed == pytest.approx(25.0)
    assert year.target_value == pytest.approx(50 * 0.95 ** (1 / 3))
    assert year.ci_low == pytest.approx(0.2422 * 12.5, abs=0.01) and year.ci_high == pytest.approx(7.2247 * 12.5, abs=0.01)
    # 2 first-time entrants against 50 per 100,000 of 8,000 = 4 expected: exact Poisson, twice the lower tail
    assert year.p_value == pytest.approx(2 * (1 + 4 + 8) * 2.718281828 ** -4, rel=1e-6)
    assert year.status == "met" and year.denominator == 8000
    assert year.final  # 30 Sep 2006 is 6 months after 31 March 2006


def test_fte_verdicts_fall_back_to_counts_without_population():
    ex = _target_extract(population(2004))  # 2005 mid-year missing
    rows = fte_verdicts(ex, [2005, 2007], "financial", D(2006, 9, 29), baseline_year=2004, change=-0.05,
                        by_year=2007, mode="points")
    _, year, later = rows
    assert year.unit == "count" and year.observed == 2.0 and year.baseline == 4.0
    assert year.target_value == pytest.approx(4 - 0.05 / 3)
    assert year.denominator is None
    assert year.status == "provisional"  # one day short of 6 months after the end
    assert later.observed is None and later.status == "provisional"  # 2007-08 starts after the extract date


def test_by_year_table_marks_uncovered_periods():
    table = fte_by_year(extract(population(2005)), [2003, 2005], "financial", extract_date=D(2007, 1, 1))
    assert table["fte"].to_list() == [0, 3]
    assert table["covered"].to_list() == [False, True]  # 2003-04 ends before the first outcome (31 March 2005)
    assert table["rate_per_100k"].to_list()[1] == pytest.approx(250.0)


# ------------------------------------------------------------------------------------ properties
_careers = st.lists(
    st.tuples(st.dates(D(1985, 1, 1), D(1998, 12, 31)),
              st.lists(st.tuples(st.dates(D(2003, 1, 1), D(2007, 12, 31)), st.integers(1, 8)), min_size=0, max_size=4)),
    min_size=1, max_size=12)


def _career_extract(careers):
    people = [person(f"h{i}", dob) for i, (dob, _) in enumerate(careers)]
    offences = [offence(f"h{i}", day, gravity, oid=f"h{i}o{j}") for i, (_, offs) in enumerate(careers)
                for j, (day, gravity) in enumerate(offs)]
    return make_extract(people=people, offences=offences or None)


@settings(max_examples=40, deadline=None)
@given(_careers, st.dates(D(2004, 1, 2), D(2006, 12, 31)))
def test_adjacent_periods_add_up_and_entrants_have_nothing_earlier(careers, split):
    if not any(offs for _, offs in careers):
        return
    ex = _career_extract(careers)
    whole = first_time_entrants(ex, D(2003, 1, 1), D(2007, 12, 31))
    first = first_time_entrants(ex, D(2003, 1, 1), split - dt.timedelta(days=1))
    second = first_time_entrants(ex, split, D(2007, 12, 31))
    assert first.height + second.height == whole.height
    assert whole["person_id"].n_unique() == whole.height
    for row in whole.iter_rows(named=True):
        i = int(row["person_id"][1:])
        days = [d for d, _ in careers[i][1]]
        assert row["outcome_date"] == min(days) and 10 <= row["age"] <= 17
