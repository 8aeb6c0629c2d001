"""Substance-misuse targets (METHODS.md "Targets"): hand-made extracts, answers by hand.

The period is the financial year 2005-06: 1 April 2005 to 31 March 2006, both ends included.
"""

from __future__ import annotations

import datetime as dt

import pytest

from yot.extract import make_extract
from yot.substance import (
    end_review_outcomes,
    substance_by_year,
    substance_starts,
)
from yot.verdicts import TargetPath, substance_verdicts

D = dt.date
START, END = D(2005, 4, 1), D(2006, 3, 31)
PEOPLE = [{"person_id": f"q{i}", "date_of_birth": D(1990, 1, 1), "sex": "M", "ethnicity": "White", "yot": "Barnet"}
          for i in range(1, 8)]
OFFENCES = [{"offence_id": "o1", "person_id": "q1", "offence_date": D(2006, 12, 1), "outcome_date": D(2006, 12, 31),
             "offence_type": "drugs", "gravity": 2, "outcome": "reprimand"}]  # extract date: 31 Dec 2006


def episode(iid, pid, start, programme="substance_misuse"):
    return {"intervention_id": iid, "person_id": pid, "programme": programme, "start_date": start,
            "end_date": None, "status": "ongoing"}


INTERVENTIONS = [
    episode("i1", "q1", D(2005, 5, 1)), episode("i2", "q1", D(2005, 11, 1)),  # two episodes: one young person
    episode("i3", "q2", D(2005, 4, 1)),                                         # on the first day
    episode("i4", "q3", D(2006, 3, 31)),                                        # on the last day
    episode("i5", "q4", D(2005, 6, 1), "ISSP"),                                 # another programme
    episode("i6", "q5", D(2006, 4, 1)),                                         # the next year
    episode("i7", "q6", D(2005, 3, 31)),                                        # the year before
]


def review(pid, date, change):
    return {"person_id": pid, "review_date": date, "use_change": change}


REVIEWS = [
    review("q1", D(2005, 4, 1), "discontinued"), review("q2", D(2005, 9, 1), "reduced"),
    review("q3", D(2006, 3, 31), "reduced"), review("q4", D(2005, 10, 1), "unchanged"),
    review("q5", D(2005, 12, 1), "increased"),
    review("q6", D(2006, 4, 1), "reduced"),  # next year
]

STARTS = TargetPath(2004, 280, 0.10)
SHARE = TargetPath(2004, 0.72, 0.05)


def extract(reviews=REVIEWS, interventions=INTERVENTIONS):
    return make_extract(people=PEOPLE, offences=OFFENCES, interventions=interventions, substance_reviews=reviews)


def test_starts_count_distinct_young_people_with_inclusive_bounds():
    assert substance_starts(extract(), START, END) == 3  # q1 (twice), q2, q3
    assert substance_starts(extract(), D(2004, 4, 1), D(2005, 3, 31)) == 1  # q6
    assert substance_starts(extract(), D(2005, 4, 2), D(2006, 3, 30)) == 1  # q1 only


def test_review_share_and_wilson_bounds():
    assert end_review_outcomes(extract(), START, END) == (3, 5)
    row = substance_by_year(extract(), [2005])
    assert row["share_improved"].item() == pytest.approx(0.6)
    # Wilson 3/5, z = 1.96: centre 0.5566, half-width 0.3258
    assert row["share_ci_low"].item() == pytest.approx(0.2307, abs=1e-4)
    assert row["share_ci_high"].item() == pytest.approx(0.8824, abs=1e-4)


def _verdicts(ex, years, starts=STARTS, share=SHARE):
    """The rows of ``years`` only (the baseline year's rows come too), starts then share."""
    rows = substance_verdicts(ex, years, "financial", starts=starts, improvement=share)
    return [r for r in rows if r.year in years]


def test_relative_targets_by_hand():
    starts05, starts06, share05, share06 = _verdicts(extract(), [2005, 2006])
    assert starts05.target_value == pytest.approx(308.0) and starts06.target_value == pytest.approx(338.8)
    # 3 starts against a target of 308: worse, and 308 far outside the exact interval
    assert starts05.observed == 3.0 and starts05.status == "missed"
    assert starts05.baseline == 280 and starts05.unit == "count" and starts05.lower_is_better is False
    assert share05.target_value == pytest.approx(0.756) and share06.target_value == pytest.approx(0.7938)
    assert share05.observed == pytest.approx(0.6) and share05.denominator == 5 and share05.final
    # 2006-07: one review (reduced) dated 1 April 2006; the extract date is 31 Dec 2006: not final
    assert share06.observed == pytest.approx(1.0) and share06.status == "provisional" and not share06.final


def test_points_targets_by_hand():
    s05, s06, r05, r06 = _verdicts(extract(), [2005, 2006], TargetPath(2004, 280, 28, "points"),
                                   TargetPath(2004, 0.72, 0.05, "points"))
    assert (s05.target_value, s06.target_value) == pytest.approx((308, 336))
    assert (r05.target_value, r06.target_value) == pytest.approx((0.77, 0.82))


def test_share_target_is_held_at_100_percent():
    result = _verdicts(extract(), [2006], share=TargetPath(2004, 0.95, 0.05))[1]
    assert result.target_value == 1.0


def test_share_is_tested_against_the_published_baseline_value():
    share05 = _verdicts(extract(), [2005])[1]
    # exact binomial, n=5, p=0.72: P(3)=0.2926; as rare or rarer: P(0..3) + P(5) = 0.6238
    assert share05.p_value == pytest.approx(0.6238, abs=1e-4)
    assert share05.baseline == 0.72 and share05.baseline_from_data is None  # no 2004-05 reviews in the extract


def test_the_published_baseline_is_used_even_with_baseline_reviews_in_the_extract():
    reviews = REVIEWS + [review("q7", D(2004, 6, 1), "reduced"), review("q7", D(2004, 7, 1), "unchanged")]
    share05 = _verdicts(extract(reviews), [2005])[1]
    assert share05.baseline_from_data == pytest.approx(0.5) and share05.baseline == 0.72
    assert share05.p_value == pytest.approx(0.6238, abs=1e-4)


def test_starts_are_tested_against_the_published_baseline_count():
    from statsmodels.stats import rates

    starts05 = _verdicts(extract(), [2005])[0]
    assert starts05.p_value == pytest.approx(rates.test_poisson(3, 1, 280.0, method="exact-c").pvalue)
    assert starts05.baseline_from_data == 1.0  # q6 started in 2004-05


def test_no_tables_no_figures():
    ex = make_extract(people=PEOPLE, offences=OFFENCES)
    starts, share = _verdicts(ex, [2005])
    assert starts.observed is None and starts.status == "no_data"
    assert share.observed is None and share.status == "no_data"


def test_a_year_beyond_the_extract_date_has_no_figure():
    starts, share = _verdicts(extract(), [2007])
    assert starts.observed is None and share.observed is None
    assert starts.status == share.status == "provisional"  # not final comes before no data


def test_a_year_before_the_extract_begins_has_no_figure():
    starts, share = _verdicts(extract(), [2005])
    base = [r for r in substance_verdicts(extract(), [2003], "financial", starts=STARTS, improvement=SHARE)
            if r.year == 2003]
    # 2003-04 ends on 31 March 2004, before the extract's first record (a start on 31 March 2005)
    assert all(r.observed is None for r in base)
