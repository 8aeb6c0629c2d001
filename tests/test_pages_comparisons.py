"""The comparisons page (yot.pages.comparisons) on hand-made multi-YOT extracts: words against numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from handmade import offence, person

from yot.compare import funnel_limits
from yot.extract import make_extract
from yot.pages import comparisons, tracker

D = dt.date
COLUMNS = ("area", "area_type", "period_start", "period_end", "cohort_size", "reoffenders", "reoffences", "family",
           "region")


def _yot(name: str, size: int, reoffenders: int) -> tuple[list[dict], list[dict]]:
    people, offences = [], []
    for i in range(size):
        pid = f"{name[:3]}{i:04d}"
        people.append(person(pid, D(1990, 6, 1), yot=name))
        offences.append(offence(f"{pid}-1", pid, D(2005, 2, 1), D(2005, 3, 1)))
        if i < reoffenders:
            offences.append(offence(f"{pid}-2", pid, D(2005, 6, 1), D(2005, 7, 1)))
    return people, offences


def _comparator(area, kind, n, r, family=None, region=None) -> dict:
    return dict(zip(COLUMNS, (area, kind, D(2005, 1, 1), D(2005, 12, 31), n, r, r, family, region), strict=True))


def _extract(own: int, published_own: int | None = None, england: tuple[int, int] = (10000, 3000)) -> object:
    parts = [_yot("Alpha", 200, own), _yot("Beta", 200, 60)]
    rows = [_comparator("Beta", "yot", 200, 60, "F1", "North"), _comparator("Gamma", "yot", 300, 120, "F1", "North"),
            _comparator("Delta", "yot", 150, 30, "F1", "South"), _comparator("England", "england", *england)]
    if published_own is not None:
        rows.append(_comparator("Alpha", "yot", 200, published_own, "F1", "North"))
    return make_extract(people=[p for ps, _ in parts for p in ps], offences=[o for _, os in parts for o in os],
                        comparators=rows)


def _page(extract, **kw):
    params = comparisons.Params(yot_name="Alpha", year=2005, extract_date=D(2008, 1, 1), **kw)
    return comparisons.build(extract, params)


def test_within_the_funnel_rank_and_quarter_in_words() -> None:
    page = _page(_extract(60, published_own=60))  # Alpha 30.0% against England 30.0%
    text = page.answer.text
    assert text.startswith("**30.0%** of Alpha's 2005 cohort reoffended: within the range chance alone would give "
                           "around England's 30.0%")
    # family F1: Delta 20%, Alpha 30% (computed), Beta 30%, Gamma 40%: Alpha and Beta tie at rank 2 of 4
    assert "It ranks **2 of 4** in its family (F1; 1 = the lowest rate), in the second quarter." in text
    family = next(t for t in page.tables() if t.name.endswith("_family"))
    assert [r[:2] for r in family.rows()] == [["1", "Delta"], ["2", "Alpha (this youth offending team)"],
                                              ["2", "Beta"], ["4", "Gamma"]]
    assert "the same as the published figure (30.0%)" in " ".join(t.text for t in page.texts())


def test_above_and_below_the_limits_are_said_from_the_counts() -> None:
    low, high = funnel_limits(200, 0.3, 0.95)
    low998, high998 = funnel_limits(200, 0.3, 0.998)
    assert high < 80 and high998 >= 80 > high  # 80 of 200 (40%): above the 95% limit only
    above = _page(_extract(80)).answer.text
    assert "higher than England's 30.0%, above the 95% limit of the funnel plot" in above
    well_below = _page(_extract(30)).answer.text  # 15%
    assert low998 > 30 and "lower than England's 30.0%, below even the 99.8% limit" in well_below


def test_the_published_figure_beside_the_computed_one_and_the_difference() -> None:
    page = _page(_extract(60, published_own=66))  # computed 30.0%, published 33.0%
    words = " ".join(t.text for t in page.texts())
    assert "is 3.0 percentage points lower than the published figure (33.0%)" in words
    areas = page.tables()[0]
    assert [r[1] for r in areas.rows()][:2] == ["This youth offending team", "This youth offending team, as published"]


def test_no_comparators_is_said_plainly() -> None:
    people, offences = _yot("Alpha", 50, 10)
    page = _page(make_extract(people=people, offences=offences))
    assert page.answer.text.startswith("There are no comparators: this extract holds only Alpha's young people")
    assert page.summary["comparators"] is False
    assert [s.anchor for s in page.sections] == ["own"]  # its own figure, alone
    assert list(page.tables()[0].rows()) == [["Alpha", "This youth offending team", "50", "10", "20.0%", "11.2%",
                                               "33.0%", "Computed from the extract"]]


def test_a_small_own_cohort_is_not_compared() -> None:
    page = _page(_extract(2))  # 2 of 200 reoffended
    assert "too small to compare" in page.answer.text
    assert not any(" 2 of " in t.text for t in page.texts())


def test_the_comparisons_page_reads_every_yot_and_other_pages_only_their_own(tmp_path: Path) -> None:
    extract = _extract(60)
    for name in ("people", "offences", "comparators"):
        extract.table(name).write_csv(tmp_path / f"{name}.csv", date_format="%Y-%m-%d")
    whole = comparisons.Params(data_dir=str(tmp_path), yot_name="Alpha").extract()
    own = tracker.Params(data_dir=str(tmp_path), yot_name="Alpha").extract()
    assert set(whole.people["yot"]) == {"Alpha", "Beta"} and set(own.people["yot"]) == {"Alpha"}
    assert own.comparators.height == whole.comparators.height == 4
