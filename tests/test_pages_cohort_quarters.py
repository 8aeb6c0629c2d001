"""The cohort page's concentration section and its quarterly options, on hand-made cohorts."""

from __future__ import annotations

import datetime as dt

from handmade import offence, person

from yot.extract import make_extract
from yot.pages import cohort
from yot.pages.cohort import lorenz_points

D = dt.date


def _cohort(reoffences: list[int], year: int = 2005) -> object:
    """One young person per entry, proven on 1 March; each commits that many further thefts (on days 10,
    20, ... after), each proven a week later."""
    people, offences = [], []
    for i, n in enumerate(reoffences):
        pid = f"P{i:03d}"
        people.append(person(pid, D(year - 14, 1, 1)))
        offences.append(offence(f"{pid}-0", pid, D(year, 2, 1), D(year, 3, 1)))
        for k in range(n):
            committed = D(year, 3, 1) + dt.timedelta(days=10 * (k + 1))
            offences.append(offence(f"{pid}-{k + 1}", pid, committed, committed + dt.timedelta(days=7)))
    return make_extract(people=people, offences=offences)


def _page(extract, **kw):
    return cohort.build(extract, cohort.Params(extract_date=D(2010, 1, 1), **kw))


def _section(page, anchor):
    return next(s for s in page.sections if s.anchor == anchor)


def test_concentration_words_and_table_of_a_hand_made_cohort() -> None:
    # 100 young people: 5 with 8 reoffences, 5 with 6, 10 with 2, 10 with 1, 70 with none: 100 reoffences
    page = _page(_cohort([8] * 5 + [6] * 5 + [2] * 10 + [1] * 10 + [0] * 70))
    section = _section(page, "concentration")
    words = section.blocks[0].text
    # 10% of 100 = 10 people: 40 + 30 = 70 of 100; 20% of the 30 reoffenders = 6 people: 40 + 6 = 46
    assert ("the most prolific 10% of the whole cohort (10 young people) committed **70.0%** of the cohort's "
            "reoffences (70 of 100)") in words
    assert ("the most prolific 20% of those who reoffended (6 young people) committed **46.0%** of the cohort's "
            "reoffences (46 of 100)") in words
    t = page.tables()[-1]
    assert t.name.endswith("_concentration")
    assert list(t.rows())[0] == ["Whole cohort", "5%", "100", "5", "40", "100", "40.0%"]


def test_small_counts_in_the_concentration_table_are_hidden() -> None:
    # 40 young people, 2 reoffend (3 reoffences each): 5% of 40 = 2 people with 6 reoffences
    page = _page(_cohort([3, 3] + [0] * 38))
    t = next(t for t in page.tables() if t.name.endswith("_concentration"))
    first = list(t.rows())[0]
    assert first[3] == "[c]" and first[-1] == "[c]"
    assert "too small to show how concentrated" in _section(page, "concentration").blocks[0].text


def test_lorenz_points_leave_out_a_point_a_subtraction_would_reveal() -> None:
    extract = _cohort([8] * 5 + [6] * 5 + [2] * 10 + [1] * 10 + [0] * 70)
    from yot.cohort import reoffending

    members = reoffending(extract, D(2005, 1, 1), D(2005, 12, 31))
    points = lorenz_points(members, 5)
    whole = dict(zip(points.filter(points["series"] == "Whole cohort")["people_share"],
                     points.filter(points["series"] == "Whole cohort")["share"], strict=True))
    assert whole[0.05] == 0.4 and whole[0.10] == 0.7 and whole[0.20] == 0.9
    # 30%: 30 people with every reoffence (100), 10 more than at 20% with 10 more reoffences: shown
    assert whole[0.30] == 1.0
    reoff = dict(zip(points.filter(points["series"] != "Whole cohort")["people_share"],
                     points.filter(points["series"] != "Whole cohort")["share"], strict=True))
    # reoffenders (30): 5% = 2 people (16 reoffences): 2 is below 5, hidden; 10% = 3 people: hidden too
    assert reoff[0.05] is None and reoff[0.10] is None and reoff[0.20] == 0.46


def test_a_quarterly_cohort_page_and_the_annual_figure_from_quarters_say_which_method() -> None:
    extract = _cohort([1] * 20 + [0] * 20)
    quarter = _page(extract, period="quarter", cohort_quarter=1, cohort_year=2005)
    assert quarter.title == "Proven reoffending: the Jan-Mar 2005 cohort"
    assert "**50.0%** of the Jan-Mar 2005 cohort reoffended" in quarter.answer.text
    assert dict(quarter.settings)["Cohort"] == "Jan-Mar 2005"
    assert "Oct-Dec 2004" in " ".join(t.text for t in quarter.texts())  # compared with the previous quarter
    annual = _page(extract, annual_from_quarters=True)
    how = dict(annual.settings)["How the figure is counted"]
    assert how.startswith("the four quarterly cohorts of the year added together")
    assert "four quarterly cohorts" in _section(annual, "headline").blocks[0].text
    assert annual.answer.text.endswith("(counted once for each quarter of the year they were in the cohort).")
    plain = _page(extract)
    assert dict(plain.settings)["How the figure is counted"].startswith("one cohort for the whole period")
    assert annual.summary["annual_from_quarters"] and not plain.summary["annual_from_quarters"]
