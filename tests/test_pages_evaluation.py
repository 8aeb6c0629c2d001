"""The evaluation pages (yot.pages.evaluation, yot.pages.evaluation_comparison) on hand-made extracts
and hand-made figures: their sentences against their numbers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import polars as pl
import pytest
from handmade import offence, person
from hypothesis import given
from hypothesis import strategies as st

from yot.extract import make_extract
from yot.pages import evaluation as E
from yot.pages import evaluation_comparison as C
from yot.pages.model import SavedPage

D = dt.date
AS_AT = D(2010, 1, 1)


# ----------------------------------------------------------------------------------- hand-made worlds
def issp_world(n_treated: int, treated_reoffend: int, n_pool: int, pool_reoffend: int, *,
               treated_before: int = 0, pool_before: int = 0):
    """Young people proven on 1 March 2005 (community sentence, theft, aged 15, half of them girls);
    the first ``n_treated`` start ISSP on 1 April 2005 (31 days later). In each group the first
    ``*_reoffend`` commit a theft on 1 June 2005 (proven 1 July) and the first ``*_before`` had a
    proven offence in the year before (committed 1 June 2004, proven 1 July 2004). The groups are alike
    on every characteristic, so every comparison person ties at the same distance."""
    people, offences, interventions = [], [], []
    for group, n, reoffend, before in (("T", n_treated, treated_reoffend, treated_before),
                                       ("C", n_pool, pool_reoffend, pool_before)):
        for i in range(n):
            pid = f"{group}{i:03d}"
            people.append(person(pid, D(1990, 1, 1), sex="MF"[i % 2]))
            offences.append(offence(f"{pid}-1", pid, D(2005, 2, 1), D(2005, 3, 1), outcome="supervision_order"))
            if i < before:
                offences.append(offence(f"{pid}-0", pid, D(2004, 6, 1), D(2004, 7, 1), outcome="supervision_order"))
            if i < reoffend:
                offences.append(offence(f"{pid}-2", pid, D(2005, 6, 1), D(2005, 7, 1)))
            if group == "T":
                interventions.append({"intervention_id": f"I{i:03d}", "person_id": pid, "programme": "ISSP",
                                      "start_date": D(2005, 4, 1), "end_date": D(2005, 10, 1),
                                      "status": "completed"})
    return make_extract(people=people, offences=offences, interventions=interventions)


def yisp_world(n_treated: int, treated_fte: int, n_pool: int, pool_fte: int):
    """Children referred to YISP on 1 March 2005 (aged 12, risk score 20): the first ``n_treated``
    accepted, the rest declined; the first ``*_fte`` of each group commit a first offence on 1 June
    2005, proven 1 July 2005 (first-time entrants)."""
    people, offences, referrals = [], [], []
    for group, n, fte, decision in (("T", n_treated, treated_fte, "accepted"), ("C", n_pool, pool_fte, "declined")):
        for i in range(n):
            pid = f"Y{group}{i:03d}"
            people.append(person(pid, D(1993, 1, 1), sex="MF"[i % 2]))
            referrals.append({"referral_id": f"R{group}{i:03d}", "person_id": pid, "programme": "YISP",
                              "referral_date": D(2005, 3, 1), "risk_score": 20, "decision": decision})
            if i < fte:
                offences.append(offence(f"{pid}-1", pid, D(2005, 6, 1), D(2005, 7, 1)))
    return make_extract(people=people, offences=offences, referrals=referrals)


def _page(extract, programme="ISSP", threshold=5, extract_date=AS_AT, **kw):
    params = E.Params(programme=programme, start=D(2005, 1, 1), end=D(2005, 12, 31), disclosure_threshold=threshold,
                      extract_date=extract_date, **kw)
    return E.build(extract, params)


def _words(page) -> str:
    return " ".join(t.text for t in page.texts())


def _outcome_row(page, row=0) -> list[str]:
    table = next(t for t in page.tables() if t.name.endswith("_outcomes"))
    return list(table.rows())[row]


# ----------------------------------------------------------------------------------- the answer
@given(st.floats(-0.9, 0.9), st.floats(0.0, 0.9))
def test_the_answer_agrees_with_the_interval(low, width) -> None:
    high = min(low + width, 0.95)
    text = E.answer_sentence("ISSP", False, low, high, indicative=False)
    if low <= 0 <= high:
        assert "No evidence either way" in text and "Yes" not in text
    elif high < 0:
        assert "Yes, on this evidence" in text and " fewer reoffended" in text and "more" not in text
    else:
        assert "the evidence points the other way" in text and " more reoffended" in text and "fewer" not in text


def test_interval_words_by_hand() -> None:
    # one decimal, as the tables show the bounds (-18.5 is "18.5 fewer", never "18")
    assert E.interval_words(-0.185, 0.266) == "between 18.5 fewer and 26.6 more"
    assert E.interval_words(-0.121, -0.035) == "between 3.5 and 12.1 fewer"
    assert E.interval_words(0.004, 0.081) == "between 0.4 and 8.1 more"
    assert E.interval_words(0.0, 0.05) == "between none fewer and 5.0 more"


def test_a_clear_fall_on_a_handmade_extract_is_said_as_fewer() -> None:
    # 40 treated, 6 reoffend (15%); 120 alike in the pool, 60 reoffend (50%): 35 points fewer
    page = _page(issp_world(40, 6, 120, 60))
    row = _outcome_row(page)
    assert row[1:4] == ["15.0", "50.0", "-35.0"]
    low, high = float(row[4]), float(row[5])
    assert high < 0
    assert "**Does ISSP work?** Yes, on this evidence: for every 100 young people like those on ISSP, between" in \
        page.answer.text
    assert f"between {E.per_100(high / 100)} and {E.per_100(low / 100)} fewer reoffended" in page.answer.text
    assert "indicative only: fewer than 60 young people were treated" in page.answer.text  # 40 treated
    assert page.summary["effect"] == pytest.approx(-0.35) and page.summary["matched"] == 40


def test_an_interval_spanning_zero_is_no_evidence_never_a_success() -> None:
    # 60 treated, 18 reoffend (30%); 120 in the pool, 36 reoffend (30%): no difference
    page = _page(issp_world(60, 18, 120, 36))
    assert _outcome_row(page)[3] == "0.0"
    assert page.answer.text.startswith("**Does ISSP work?** No evidence either way: for every 100 young people")
    assert "indicative only" not in page.answer.text  # 60 treated
    assert "The interval spans zero: this is no evidence of an effect" in _words(page)
    assert "Yes" not in page.answer.text


# ----------------------------------------------------------------------------------- wording per programme
YISP_WORDS = ("YISP", "first-time entr", "ONSET", "referral was accepted", "declined")
REOFFENDING_WORDS = ("reoffend", "ISSP", "Asset", "index date", "tier", "regression to the mean")


def test_an_issp_page_has_no_wording_meant_for_yisp() -> None:
    page = _page(issp_world(40, 6, 120, 60))
    words = _words(page) + " ".join(page.summary["answer"]) + page.title + page.subtitle
    words += " ".join(c.alt + c.title for c in page.charts())
    words += " ".join(" ".join(r) for t in page.tables() for r in t.rows()) + " ".join(t.title for t in page.tables())
    assert [w for w in YISP_WORDS if w.lower() in words.lower()] == []


def test_a_yisp_page_has_no_wording_meant_for_reoffending_programmes() -> None:
    page = _page(yisp_world(40, 8, 80, 24), programme="YISP")
    words = _words(page) + page.title + page.subtitle + " ".join(c.alt + c.title for c in page.charts())
    words += " ".join(" ".join(r) for t in page.tables() for r in t.rows()) + " ".join(t.title for t in page.tables())
    assert [w for w in REOFFENDING_WORDS if w.lower() in words.lower()] == []
    assert "became first-time entrants within a year" in page.answer.text
    assert page.summary["outcome_name"] == "Became a first-time entrant within a year of the referral"


def test_caveats_name_only_their_own_programme() -> None:
    f = _figures()
    for programme in ("ISSP", "referral_order", "restorative_justice"):
        text = " ".join(E.caveats(dataclasses.replace(f, programme=programme)))
        others = {"ISSP", "referral order", "restorative justice"} - {E.short_name(programme).removeprefix("a ")}
        assert [o for o in others if o in text] == [], programme
        assert "first-time" not in text and "YISP" not in text
    yisp = " ".join(E.caveats(dataclasses.replace(f, programme="YISP", outcome="first_time_entrant")))
    assert "reoffend" not in yisp.lower() and "first-time entrant" in yisp


def test_the_indicative_caveat_appears_only_under_60_treated() -> None:
    f = _figures()
    assert not any("indicative" in c for c in E.caveats(f))  # 200 treated
    assert any("indicative only" in c for c in E.caveats(dataclasses.replace(f, n_treated=59, n_matched_treated=55)))


# ----------------------------------------------------------------------------------- disclosure
def _figures(**kw) -> E.Figures:
    """Hand-made figures of a programme: 200 treated, all matched; 600 in the pool, 300 used."""
    base = dict(
        programme="ISSP", outcome="reoffended", start=D(2005, 1, 1), end=D(2005, 12, 31), follow_up_months=12,
        waiting_months=6, n_treated=200, n_pool=600, n_matched_treated=200, n_comparison_used=300,
        outcomes=(E.OutcomeFigures("reoffended", 0.30, 0.40, -0.10, -0.18, -0.02, 0.015, adjusted=-0.09,
                                   adjusted_low=-0.17, adjusted_high=-0.01, treated_with=60, comparison_with=120,
                                   naive_treated=0.30, naive_comparison=0.35, naive_difference=-0.05,
                                   naive_treated_with=60, pool_with=210),
                  E.OutcomeFigures("custody_reoffence", 0.015, 0.02, -0.005, -0.03, 0.02, 0.7, treated_with=3,
                                   comparison_with=6, naive_treated=0.015, naive_comparison=0.02,
                                   naive_difference=-0.005, naive_treated_with=3, pool_with=12)),
        balance=pl.DataFrame({"covariate": ["age", "sex: F", "tier: custody"], "smd_before": [0.5, -0.2, 0.9],
                              "smd_after": [0.04, -0.03, 0.0]}),
        design={"neighbours": 3, "exact": ("tier",), "distance": "logit"},
        before_after=pl.DataFrame({"measure": ["reoffended (any offence)"], "before": [0.45], "after": [0.30],
                                   "change": [-0.15], "ci_low": [-0.24], "ci_high": [-0.06], "p_value": [0.001],
                                   "before_with": [90], "after_with": [60]}),
        e_value=1.74, e_value_ci=1.13, complete=True,
    )
    return E.Figures(**{**base, **kw})


def _from_figures(f: E.Figures, threshold: int = 5):
    return E.page_from_figures(f, E.Params(programme=f.programme, disclosure_threshold=threshold), AS_AT, False)


def test_no_suppressed_count_appears_in_any_sentence() -> None:
    # 204 treated, 4 with no close match: the 4 is [c], and so is the total (204 - 200 would give it away);
    # the custody outcome rests on 3 treated reoffenders: the whole row is [c]
    page = _from_figures(_figures(n_treated=204, design={"neighbours": 5, "exact": (), "distance": "logit"}))
    groups = next(t for t in page.tables() if t.name.endswith("_groups"))
    assert list(groups.rows())[0] == ["Treated young people", "[c]", "200", "[c]"]
    custody = _outcome_row(page, 1)
    assert custody[1:] == ["[c]"] * 7
    hidden = {"3", "4", "204"}
    for text in (t.text for t in page.texts()):
        numbers = set(re.findall(r"(?<![\d.,+-])\d[\d,]*(?![\d.,])", text))
        assert not numbers & hidden, text
    assert "fewer than 5 had no one close enough" in _words(page)
    assert page.summary["treated"] is None and page.summary["matched"] == 200


def test_too_small_to_publish_says_so_and_saves_no_figure() -> None:
    f = _figures(n_treated=4, n_matched_treated=4, outcomes=(dataclasses.replace(_figures().outcomes[0],
                                                                                  treated_with=2),))
    page = _from_figures(f)
    assert "too small to publish" in page.answer.text
    assert page.summary["effect"] is None and page.summary["p_value"] is None and page.summary["suppressed"]
    assert "-10.0" not in _words(page)


# ----------------------------------------------------------------------------------- before and after
def test_before_and_after_says_rose_when_the_figure_rose() -> None:
    # treated: 5 of 40 had an offence in the year before (12.5%), 12 reoffend in the year after (30.0%)
    page = _page(issp_world(40, 12, 120, 36, treated_before=5, pool_before=15))
    words = _words(page)
    assert "in the year after, 30.0 did: the figure **rose** by 17.5 per 100" in words
    assert "fell" not in words
    assert "moves back towards its usual level afterwards whatever is done (regression to the mean)" in words


def test_before_and_after_says_fell_when_the_figure_fell() -> None:
    words = _words(_from_figures(_figures()))
    assert "45.0 in every 100 of the matched treated had a proven offence; in the year after, 30.0 did: the figure " \
           "**fell** by 15.0 per 100" in words
    assert E.direction(0.3004, 0.2996) == "did not change"  # equal as shown (30.0 and 30.0)
    assert E.direction(0.300, 0.301) == "rose"


# ----------------------------------------------------------------------------------- other parts
def test_design_balance_bias_adjustment_and_e_value_in_words() -> None:
    page = _from_figures(_figures())
    words = _words(page)
    assert "**3 nearest neighbours within tier on the propensity score (logit), within 0.2 standard deviations**" in words
    assert "**Good balance.** After matching every standardised difference is below 0.10 (largest: Age, 0.04)" in words
    assert "bias-adjusted difference" in words and "agrees with the matched difference" in words
    assert ("An unmeasured difference between the groups would need to make reoffending **1.7 times** as likely, and "
            "be 1.7 times as common among the treated, to explain this away. To move the interval as far as no "
            "effect, 1.1 times would be enough") in words
    assert page.summary["design_short"] == "3 nearest neighbours within tier"
    love = next(c for c in page.charts() if c.kind == "love_plot")
    assert love.data["characteristic"].to_list() == ["Tier of the index outcome: custody", "Age", "Sex: Female"]
    assert "3 of 3 are inside the lines after matching" in love.alt


def test_an_e_value_of_an_interval_spanning_zero_says_there_is_nothing_to_explain_away() -> None:
    text = E.e_value_words(1.4, 1.0, True, significant=False)
    assert text is not None and text.startswith("There is no evidence of an effect to explain away")
    assert "becoming a first-time entrant **1.4 times** as likely" in text and "reoffend" not in text


def test_a_bias_adjusted_difference_that_disagrees_is_said() -> None:
    o = dataclasses.replace(_figures().outcomes[0], adjusted=-0.04, adjusted_low=-0.12, adjusted_high=0.04)
    text = E.adjusted_words(o)
    assert text is not None and "disagree on whether there is evidence of an effect" in text
    o = dataclasses.replace(o, adjusted=0.02, adjusted_low=-0.06, adjusted_high=0.10)
    assert "point in different directions" in (E.adjusted_words(o) or "")


def test_a_period_whose_follow_up_has_not_passed_is_provisional() -> None:
    page = _page(issp_world(40, 6, 120, 60), extract_date=D(2006, 3, 1))
    assert page.provisional and page.summary["complete"] is False
    assert "final in an extract dated 30 June 2007" in page.banners[0].text
    assert _outcome_row(page)[0].endswith("[p]")


def test_no_one_treated_gives_no_answer_not_a_crash() -> None:
    page = _page(issp_world(0, 0, 50, 10))
    assert page.answer.text == ("**Does ISSP work?** There is no answer from these data: no young person started it "
                                "in the period.")
    assert page.summary["effect"] is None


def test_registry_plans_one_evaluation_per_programme_and_the_comparison_after_them() -> None:
    from yot.pages.registry import plan
    from yot.params import load_suite

    from pathlib import Path

    runs = plan(load_suite(Path(__file__).resolve().parents[1] / "parameters" / "barnet_2005_2008.yaml"))
    evaluations = [r for r in runs if r.kind == "evaluation"]
    assert [r.parameters["programme"] for r in evaluations] == ["ISSP", "referral_order", "restorative_justice", "YISP"]
    assert all("seed" not in r.parameters for r in evaluations)
    comparison = next(r for r in runs if r.kind == "evaluation_comparison")
    assert comparison.after == tuple(r.name for r in evaluations)
    assert comparison.parameters["evaluations"] == [r.name for r in evaluations]
    assert runs.index(comparison) > max(runs.index(r) for r in evaluations)


# ----------------------------------------------------------------------------------- the comparison page
def _saved(tmp_path, name, programme, effect, low, high, p, *, shown=True, matched=100, outcome="reoffended"):
    summary = {
        "programme": programme, "title": programme, "name": name, "outcome": outcome,
        "outcome_name": E.outcome_name(outcome), "complete": True, "treated": matched, "matched": matched,
        "effect": effect if shown else None, "ci_low": low if shown else None, "ci_high": high if shown else None,
        "p_value": p if shown else None, "tested": True, "p_value_for_adjustment": p, "design_short": "1 nearest neighbour",
        "max_smd_after": 0.05, "poor_balance": False, "indicative_only": False, "shown": shown,
        "suppressed": not shown, "answer": f"**Does {programme} work?** hand-made", "findings": [],
    }
    folder = tmp_path / name
    folder.mkdir()
    record = {"name": name, "kind": "evaluation", "title": programme, "subtitle": "", "as_at": "2010-01-01",
              "provisional": False, "synthetic": False, "answer": summary["answer"], "tables": [], "summary": summary}
    (folder / f"{name}.page.json").write_text(json.dumps(record), encoding="utf-8")
    return name


def test_the_comparison_page_builds_from_saved_summaries_with_holm_by_hand(tmp_path) -> None:
    # p = 0.01, 0.04, 0.03, 0.20. Holm: sorted 0.01 x 4 = 0.04; 0.03 x 3 = 0.09; 0.04 x 2 = 0.08 -> 0.09 (kept
    # monotone); 0.20 x 1 = 0.20. In the original order: 0.04, 0.09, 0.09, 0.20.
    names = [_saved(tmp_path, "evaluation_ISSP", "ISSP", -0.10, -0.18, -0.02, 0.01),
             _saved(tmp_path, "evaluation_referral_order", "referral_order", -0.05, -0.098, -0.002, 0.04),
             _saved(tmp_path, "evaluation_restorative_justice", "restorative_justice", -0.06, -0.114, -0.006, 0.03),
             _saved(tmp_path, "evaluation_YISP", "YISP", 0.05, -0.03, 0.13, 0.20, outcome="first_time_entrant")]
    page = C.build(C.Params(pages_dir=str(tmp_path), evaluations=names))  # no extract anywhere
    table = page.tables()[0]
    rows = list(table.rows())
    assert [r[7] for r in rows] == ["0.010", "0.040", "0.030", "0.200"]
    assert [r[8] for r in rows] == ["0.040", "0.090", "0.090", "0.200"]
    words = _words(page)
    assert "4 primary tests were made on this page" in words
    assert "Before adjustment, ISSP, Referral order and Restorative justice show evidence of an effect; after it, " \
           "ISSP still does (Referral order and Restorative justice no longer)." in words
    forest = page.charts()[0]
    assert forest.data["row"].to_list()[-1] == "YISP: became a first-time entrant within a year of the referral"
    assert forest.data["row"].to_list()[0] == "ISSP: reoffended within a year"
    assert "ISSP: reoffended within a year: -10.0 per 100 (95% interval -18.0 to -2.0)" in forest.alt


def test_the_comparison_page_keeps_a_hidden_estimate_hidden_but_counts_its_test(tmp_path) -> None:
    names = [_saved(tmp_path, "a", "ISSP", -0.10, -0.18, -0.02, 0.04, shown=False, matched=None),
             _saved(tmp_path, "b", "restorative_justice", -0.06, -0.114, -0.006, 0.03)]
    page = C.build(C.Params(pages_dir=str(tmp_path), evaluations=names))
    rows = list(page.tables()[0].rows())
    assert rows[0][2:3] + rows[0][4:9] == ["[c]"] * 6
    assert rows[1][8] == "0.060"  # Holm over both tests: 0.03 x 2 (the hidden 0.04 x 1 is lower)
    assert "2 primary tests were made" in _words(page)
    assert "0.040" not in _words(page) and "-10.0" not in _words(page) + page.charts()[0].alt


def test_design_words_for_every_stage_of_the_sequence() -> None:
    assert E.design_words({"neighbours": 1, "exact": (), "distance": "logit"}, short=True) == "1 nearest neighbour"
    assert E.design_words({"neighbours": 5, "exact": ("tier",), "distance": "mahalanobis"}, short=True) == \
        "5 nearest neighbours within tier, by Mahalanobis distance"
    assert E.design_words({"neighbours": 3, "exact": ("tier",), "distance": "mahalanobis"}, 0.2).endswith(
        "among those within 0.2 standard deviations of the propensity score (logit)")


def test_any_programme_code_of_the_extract_can_be_named_and_a_made_up_one_cannot() -> None:
    from yot.params import ParameterError

    assert E.Params(programme="ETE").page_name == "evaluation_ETE"
    with pytest.raises(ParameterError, match="programme"):
        E.Params.validated({"programme": "boot_camp"})


def test_the_comparison_answer_names_the_programmes_with_evidence_and_what_holm_leaves(tmp_path) -> None:
    names = [_saved(tmp_path, "a", "ISSP", -0.10, -0.18, -0.02, 0.01),
             _saved(tmp_path, "b", "restorative_justice", -0.06, -0.114, -0.006, 0.03),
             _saved(tmp_path, "c", "YISP", 0.05, -0.03, 0.13, 0.20, outcome="first_time_entrant")]
    page = C.build(C.Params(pages_dir=str(tmp_path), evaluations=names))
    # Holm: 0.01 x 3 = 0.03 (kept below 0.05); 0.03 x 2 = 0.06 (not); 0.20
    assert page.answer.text == ("**Do the programmes work?** Of 3 programmes evaluated, ISSP (fewer reoffending) and "
                                "Restorative justice (fewer reoffending) show evidence of an effect; allowing for the 3 "
                                "tests made, only ISSP still does; the other shows no evidence either way.")
    assert page.summary["findings"][0]["order"] < 32  # before the programmes' own findings


def test_who_was_compared_in_words() -> None:
    words = _words(_from_figures(_figures()))
    assert "All 200 treated young people found a close match; the comparison pool held 600 young people, of whom " \
           "300 were used in the match." in words
    words = _words(_from_figures(_figures(n_treated=230)))
    assert "200 treated young people found a close match (of 230); 30 had no one close enough" in words
    assert "can only pull the estimate towards no effect" in words  # ISSP: later starters stay in the pool
