"""The targets, first-time-entrant and substance-misuse pages on hand-made extracts: their sentences
against their tables, the one baseline, provisional cohorts, small counts and the index's rows."""

from __future__ import annotations

import datetime as dt
import re

from handmade import cohort_extract, extract_of

from yot.extract import make_extract
from yot.labels import STATUS_WORDS, status_key
from yot.pages import first_time_entrants, substance_misuse, targets
from yot.pages.model import Table
from yot.pages.verdict_words import trend_sentence
from yot.verdicts import trend

D = dt.date
LATE = D(2012, 1, 1)


def _page(extract, years=(2003, 2004, 2005), extract_date=LATE, **kw):
    params = targets.Params(cohort_years=list(years), extract_date=extract_date, **kw)
    return targets.build(extract, params)


def _text(page) -> str:
    return " ".join(t.text for t in page.texts())


def _table(page, name: str) -> Table:
    return next(t for t in page.tables() if t.name == name)


def _cells(t: Table) -> list[dict[str, str]]:
    return [dict(zip([c.key for c in t.columns], row, strict=True)) for row in t.rows()]


def _falling() -> object:
    # 400, 360 and 324 of 1,000: 10% down a year; the published baseline is 28.2%
    return extract_of(cohort_extract(2003, 1000, 400), cohort_extract(2004, 1000, 360), cohort_extract(2005, 1000, 324))


def test_the_page_leads_with_the_trend_sentence() -> None:
    page = _page(_falling())
    rows = targets.verdicts(_falling(), targets.Params(cohort_years=[2003, 2004, 2005], extract_date=LATE))
    expected = trend_sentence(trend([r for r in rows if r.tier is None]))
    assert page.answer is not None and page.answer.text == expected
    assert expected.startswith("Across the 2003 to 2005 cohorts reoffending fell: it changed by -10.0% a year")
    assert page.summary["findings"][0] == {"order": 10, "text": expected}


def test_each_rated_sentence_agrees_with_its_row_of_the_table() -> None:
    page = _page(_falling())
    t = _table(page, "reoffending_target_verdicts")
    words = [x.text for x in page.sections[3].blocks]
    cells = _cells(t)
    assert [c["status_words"] for c in cells] == ["Baseline", "Missed", "Missed"]
    for c, sentence in zip(cells[1:], words[1:], strict=True):
        assert f"**Red: {c['status_words']}**" in sentence
        assert c["observed"] in sentence and f"target of {c['target_value']}" in sentence
        points = float(c["change"])
        assert f"{'up' if points > 0 else 'down'} {abs(points):.1f} percentage points from 28.2%" in sentence
        assert f"95% interval {c['ci_low']} to {c['ci_high']}" in sentence


def test_a_rise_is_said_as_up_and_the_test_says_a_rise() -> None:
    page = _page(extract_of(cohort_extract(2003, 100, 28), cohort_extract(2004, 200, 100)), years=(2003, 2004))
    words = _text(page)
    assert "up 21.8 percentage points from 28.2% (a rise unlikely to be chance, p < 0.001)" in words
    assert "a fall unlikely" not in words


def test_the_published_baseline_is_shown_beside_the_extracts_and_said_to_be_used() -> None:
    page = _page(extract_of(cohort_extract(2003, 100, 30), cohort_extract(2004, 200, 50)), years=(2003, 2004))
    words = _text(page)
    assert "published figure for the 2003 cohort, **28.2%**. This extract gives 30.0%" in words
    assert "**The published 28.2% is used**" in words
    t = _table(page, "reoffending_target_verdicts")
    assert [c["baseline"] for c in _cells(t)] == ["28.2%", "28.2%"]
    assert _cells(t)[0]["observed"] == "30.0%" and _cells(t)[0]["target_value"] == "[z]"


def test_a_provisional_cohort_is_marked_and_not_rated() -> None:
    extract = extract_of(cohort_extract(2003, 100, 28), cohort_extract(2004, 100, 0))
    page = _page(extract, years=(2003, 2004), extract_date=D(2005, 8, 1))
    t = _table(page, "reoffending_target_verdicts")
    rows = list(t.rows())
    assert rows[1][0] == "2004 [p]" and _cells(t)[1]["status_words"] == "Provisional: not rated"
    assert _cells(t)[1]["p_value"] == "[z]" and _cells(t)[1]["p_on_target"] == "[z]"
    assert any("**Provisional [p].**" in b.text for b in page.banners)
    assert "Met" not in [c["status_words"] for c in _cells(t)]
    index = page.summary["index_rows"]
    assert [r["status"] for r in index] == ["provisional"] and index[0]["period"] == "2004 [p]"


def test_a_small_count_never_appears_in_a_sentence() -> None:
    # 2004: 3 of 40 reoffended: the count and everything resting on it is [c]
    page = _page(extract_of(cohort_extract(2003, 100, 28), cohort_extract(2004, 40, 3)), years=(2003, 2004))
    t = _table(page, "reoffending_target_verdicts")
    c = _cells(t)[1]
    assert c["numerator"] == "[c]" and c["observed"] == "[c]" and c["status_words"] == "[c]"
    words = _text(page)
    assert not re.search(r"(?<![\d.])7\.5%", words) and " 3 of 40" not in words
    assert "trend of reoffending is not published: it rests on a count too small" in page.answer.text
    assert "too small to publish" in words
    assert page.summary["index_rows"][0]["observed"] == "[c]"
    assert page.summary["index_rows"][0]["status_words"] == "[c]"


def test_tier_rows_and_tier_baselines_from_the_extract_are_said() -> None:
    page = _page(_falling(), targets_by_tier=True)
    t = _table(page, "reoffending_target_verdicts_by_tier")
    assert {c["tier_label"] for c in _cells(t)} == {"First-tier"}  # everyone had a fine
    words = _text(page)
    assert "published no baseline for the first-tier tier, so its baseline is this extract's own 2003 figure" in words
    assert "No one in the 2003 cohort had a pre-court, community and custody outcome" in words


def test_the_index_rows_and_the_one_status_key() -> None:
    page = _page(_falling())
    (row,) = page.summary["index_rows"]
    assert set(row) == {"target", "href", "status", "status_words", "period", "baseline", "target_value",
                        "observed", "change"}
    assert row == {**row, "status": "missed", "status_words": STATUS_WORDS["missed"], "period": "2005",
                   "baseline": "28.2%", "target_value": "25.5%", "href": "targets.html"}
    assert row["observed"].startswith("32.4% (") and row["change"] == "up 4.2 percentage points from 28.2%"
    assert page.summary["status_key"] == status_key()


# ------------------------------------------------------------------------------------ FTE
def _population(years, yot="Testville"):
    return [{"yot": yot, "year": y, "age": a, "sex": s, "count": 1000} for y in years for a in range(10, 18)
            for s in ("M", "F")]


def _fte_extract():
    # first proven on 1 March: FY2004 40 young people, FY2005 30, FY2006 20 (populations 16,000 each)
    parts = [cohort_extract(2005, 40, 0), cohort_extract(2006, 30, 0), cohort_extract(2007, 20, 0)]
    return make_extract(people=[p for ps, _ in parts for p in ps], offences=[o for _, os in parts for o in os],
                        population=_population([2004, 2005, 2006]))


def test_fte_page_rates_and_sentences_agree() -> None:
    page = first_time_entrants.build(_fte_extract(), first_time_entrants.Params(
        years=[2004, 2005, 2006], by_year=2006, extract_date=LATE))
    t = _table(page, "fte_target_verdicts")
    cells = _cells(t)
    assert [c["unit_words"] for c in cells] == ["per 100,000"] * 3
    assert [c["observed"] for c in cells] == ["250", "188", "125"]  # 40, 30 and 20 of 16,000
    words = _text(page)
    assert "2005-06: **Green: Met**. 188 per 100,000" in words and "down 25% from 250 per 100,000" in words
    assert "2006-07: **Green: Met**. 125 per 100,000" in words and "down 50% from 250 per 100,000" in words
    assert "the baseline is this extract's own 2004-05 figure, **250 per 100,000**" in words
    assert page.answer.text.startswith("Across 2004-05 to 2006-07 first-time entrants fell: it changed by")
    assert re.search(r"188 per 100,000 \(95% interval \d+ to \d+ per 100,000\)", words)  # the unit said once
    latest = page.summary["index_rows"][0]
    assert latest["observed"].endswith("per 100,000") and latest["target_value"] == "237 per 100,000"  # 250 x 0.95 = 237.4999...: 237
    assert page.summary["status_key"] == status_key()


# ------------------------------------------------------------------------------------ substance
def test_substance_page_says_a_rise_for_a_higher_is_better_share() -> None:
    people, offences = cohort_extract(2004, 10, 0)
    reviews = [{"person_id": people[i % 10]["person_id"], "review_date": D(2005, 6, 1),
                "use_change": "reduced" if i < 90 else "unchanged"} for i in range(100)]
    starts = [{"intervention_id": f"i{i}", "person_id": people[i]["person_id"], "programme": "substance_misuse",
               "start_date": D(2005, 6, 1), "end_date": None, "status": "ongoing"} for i in range(10)]
    extract = make_extract(people=people, offences=offences, interventions=starts, substance_reviews=reviews)
    page = substance_misuse.build(extract, substance_misuse.Params(years=[2004, 2005], extract_date=LATE))
    words = _text(page)
    share = _cells(_table(page, "substance_improvement_target_verdicts"))[1]
    assert share["observed"] == "90.0%" and share["status_words"] == "Met"
    assert "up 18.0 percentage points from 72.0% (a rise unlikely to be chance, p < 0.001)" in words
    count = _cells(_table(page, "substance_starts_target_verdicts"))[1]
    assert count["observed"] == "10" and count["status_words"] == "Missed"
    assert "down 96% from 280" in words and "a fall unlikely to be chance" in words
    assert [r["target"] for r in page.summary["index_rows"]] == [
        "Young people starting substance-misuse work", "End reviews reporting reduced or stopped use"]
    assert re.search(r"no trend for the number of young people starting substance-misuse work yet", words)


def test_fte_groups_hide_small_counts_and_what_would_reveal_them() -> None:
    # 2006-07: 20 first-time entrants, 4 of them girls: the 4 is [c], and so is the 16 boys (the year's
    # total is published, so 16 would give the 4 away)
    parts = [cohort_extract(2005, 40, 0), cohort_extract(2007, 20, 0, sexes=("M", "M", "M", "M", "F"))]
    extract = make_extract(people=[p for ps, _ in parts for p in ps], offences=[o for _, os in parts for o in os],
                           population=_population([2004, 2006]))
    page = first_time_entrants.build(extract, first_time_entrants.Params(years=[2004, 2006], extract_date=LATE))
    groups = _cells(_table(page, "fte_by_group"))
    sex = {c["group"]: c for c in groups if c["breakdown"] == "Sex"}
    assert sex["Female"]["fte"] == "[c]" and sex["Female"]["rate"] == "[c]"
    assert sex["Male"]["fte"] == "[c]" and sex["Not known"]["fte"] == "0"
    assert "In 2006-07, 20 young people aged 10 to 17 had their first proven offence" in _text(page)
    assert not re.search(r"\b(4|16) (girls|boys|young)", _text(page))


def test_the_extracts_own_baseline_is_not_written_when_its_count_is_small() -> None:
    # the extract's 2003 cohort: 2 of 30 reoffended ([c]); the published 28.2% is still said and used
    page = _page(extract_of(cohort_extract(2003, 30, 2), cohort_extract(2004, 200, 50)), years=(2003, 2004))
    words = _text(page)
    assert "**28.2%**, used for the trajectory" in words and "rests on a count too small to publish" in words
    assert not re.search(r"(?<![\d.])6\.7%", words)  # 2 of 30
    assert _cells(_table(page, "reoffending_target_verdicts"))[0]["observed"] == "[c]"
