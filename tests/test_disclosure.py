"""Suppression, symbols, published tables and the published-output check (yot/disclosure.py).

Every expected table below is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import base64
import csv
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yot.disclosure import (
    CONFIDENTIAL,
    DisclosureError,
    SuppressionSpec,
    check_published,
    checked_identifier,
    gss_key_html,
    is_count_column,
    mark_provisional,
    metadata_path,
    publish_table,
    safe_curve,
    suppress,
    suppress_for_chart,
    suppression_mask,
    symbols_in,
    to_html,
)
from yot.extract import make_extract

C = CONFIDENTIAL


def col(frame: pl.DataFrame, name: str) -> list:
    return frame[name].to_list()


# --- primary suppression ---------------------------------------------------------------------


def test_primary_small_counts_hidden_zero_shown():
    frame = pl.DataFrame({"group": ["a", "b", "c", "d", "e"], "n": [0, 1, 4, 5, 120]})
    out = suppress(frame, ["n"], columns_add_up=False)
    # 1 and 4 are from 1 to threshold-1; 0 is not confidential; 5 reaches the threshold.
    assert col(out, "n") == ["0", C, C, "5", "120"]
    assert col(out, "group") == ["a", "b", "c", "d", "e"]


def test_threshold_is_a_parameter():
    frame = pl.DataFrame({"n": [3, 7, 12, 30]})
    assert col(suppress(frame, ["n"], threshold=5, columns_add_up=False), "n") == [C, "7", "12", "30"]
    assert col(suppress(frame, ["n"], threshold=10, columns_add_up=False), "n") == [C, C, "12", "30"]
    # threshold 1: there is no count from 1 to 0, nothing is hidden
    assert col(suppress(frame, ["n"], threshold=1, columns_add_up=False), "n") == ["3", "7", "12", "30"]
    with pytest.raises(ValueError):
        suppress(frame, ["n"], threshold=0)


def test_negative_or_non_numeric_counts_are_refused():
    with pytest.raises(ValueError):
        suppress(pl.DataFrame({"n": [3, -1]}), ["n"])
    with pytest.raises(TypeError):
        suppress(pl.DataFrame({"n": ["3", "1"]}), ["n"])
    with pytest.raises(KeyError):
        suppress(pl.DataFrame({"n": [3]}), ["m"])


# --- secondary suppression -------------------------------------------------------------------


def test_one_small_cell_in_a_row_with_a_total():
    frame = pl.DataFrame({"tier": ["all"], "A": [3], "B": [10], "C": [7], "total": [20]})
    out = suppress(frame, ["A", "B", "C"], total_col="total", columns_add_up=False)
    # A = 20 - 10 - 7 could be worked out: the next smallest cell of the row, C = 7, goes too.
    assert out.row(0) == ("all", C, "10", C, "20")


def test_two_small_cells_in_a_row_need_no_secondary():
    frame = pl.DataFrame({"tier": ["all"], "A": [3], "B": [2], "C": [10], "total": [15]})
    out = suppress(frame, ["A", "B", "C"], total_col="total", columns_add_up=False)
    # A + B = 5 is known but neither alone: nothing more to hide.
    assert out.row(0) == ("all", C, C, "10", "15")


def test_suppressed_cell_whose_column_total_is_shown():
    frame = pl.DataFrame({"tier": ["pre_court", "first_tier", "community", "Total"], "n": [12, 3, 8, 23]})
    out = suppress(frame, ["n"], total_row=True)
    # 3 = 23 - 12 - 8: the next smallest of the column, 8, goes too; the total stays.
    assert col(out, "n") == ["12", C, C, "23"]


def test_column_protected_when_its_total_is_published_elsewhere():
    frame = pl.DataFrame({"tier": ["a", "b", "c"], "n": [12, 3, 8]})
    # By default the column adds up to a total shown elsewhere (the headline cohort size).
    assert col(suppress(frame, ["n"]), "n") == ["12", C, C]
    # Rows that do not add up (e.g. years) need no secondary suppression.
    assert col(suppress(frame, ["n"], columns_add_up=False), "n") == ["12", C, "8"]


def test_row_protected_when_its_total_is_published_elsewhere():
    frame = pl.DataFrame({"tier": ["a"], "M": [3], "F": [9], "U": [6]})
    out = suppress(frame, ["M", "F", "U"], rows_add_up=True, columns_add_up=False)
    assert out.row(0) == ("a", C, "9", C)


def test_cascade_through_rows_and_columns():
    frame = pl.DataFrame(
        {
            "tier": ["r1", "r2", "Total"],
            "X": [3, 9, 12],
            "Y": [20, 15, 35],
            "total": [23, 24, 47],
        }
    )
    out = suppress(frame, ["X", "Y"], total_row=True, total_col="total")
    # X r1 = 3 is primary. Column X: 9 goes (not the total 12). Row r1 then has one hidden
    # cell: 20 goes. Row r2 has one (9): 15 goes. Column Y now has two; margins all shown.
    assert col(out, "X") == [C, C, "12"]
    assert col(out, "Y") == [C, C, "35"]
    assert col(out, "total") == ["23", "24", "47"]


def test_cascade_reaches_a_third_row():
    frame = pl.DataFrame(
        {
            "g": ["r1", "r2", "r3", "Total"],
            "X": [3, 6, 50, 59],
            "Y": [40, 30, 7, 77],
            "total": [43, 36, 57, 136],
        }
    )
    out = suppress(frame, ["X", "Y"], total_row=True, total_col="total")
    # X: 3 primary -> column X takes 6 (r2). Row r1 takes 40, row r2 takes 30.
    # Column Y: 40 and 30 hidden (two), fine; row r3 untouched.
    assert col(out, "X") == [C, C, "50", "59"]
    assert col(out, "Y") == [C, C, "7", "77"]
    assert col(out, "total") == ["43", "36", "57", "136"]


def test_small_total_is_itself_hidden_and_protected():
    frame = pl.DataFrame({"g": ["a", "b", "Total"], "n": [3, 0, 3]})
    out = suppress(frame, ["n"], total_row=True)
    # 3 and the total 3 are both primary: two hidden cells in the column, the zero stays 0.
    assert col(out, "n") == [C, "0", C]


def test_zeros_are_not_taken_while_a_non_zero_cell_is_left():
    frame = pl.DataFrame({"g": ["a"], "A": [3], "B": [0], "C": [8], "D": [12], "total": [23]})
    out = suppress(frame, ["A", "B", "C", "D"], total_col="total", columns_add_up=False)
    # The next smallest is the zero, but a zero is not confidential: C = 8 goes instead.
    assert out.row(0) == ("a", C, "0", C, "12", "23")


def test_zero_taken_only_as_a_last_resort():
    frame = pl.DataFrame({"g": ["a", "b", "c"], "n": [3, 0, 0]})
    out = suppress(frame, ["n"])
    # Only zeros are left beside the 3: one zero must go, or 3 = total - 0 - 0.
    assert col(out, "n") == [C, C, "0"]


def test_nulls_are_not_available_and_count_as_hidden():
    frame = pl.DataFrame({"g": ["a", "b", "c"], "n": [3, None, 9]})
    out = suppress(frame, ["n"])
    # The missing cell already hides 3 from the total (two unknowns): nothing more to hide.
    assert col(out, "n") == [C, "[x]", "9"]
    # A lone missing cell is not confidential: it needs no partner.
    out = suppress(pl.DataFrame({"n": [None, 10, 20]}), ["n"])
    assert col(out, "n") == ["[x]", "10", "20"]


# --- rates -----------------------------------------------------------------------------------


def test_rates_built_from_suppressed_counts_are_hidden():
    frame = pl.DataFrame(
        {
            "tier": ["pre_court", "first_tier", "community", "custody"],
            "cohort_size": [40, 25, 12, 6],
            "reoffenders": [3, 10, 6, 0],
            "binary_rate": [0.075, 0.4, 0.5, 0.0],
            "per_reoffender": [1.0, 2.25, 1.5, None],
        }
    )
    out = suppress(
        frame,
        ["cohort_size", "reoffenders"],
        rates={"binary_rate": ["reoffenders", "cohort_size"], "per_reoffender": "reoffenders"},
    )
    # reoffenders 3 is primary; its column then loses its smallest non-zero other cell, 6.
    assert col(out, "cohort_size") == ["40", "25", "12", "6"]
    assert col(out, "reoffenders") == [C, "10", C, "0"]
    assert col(out, "binary_rate") == [C, "0.4", C, "0"]
    # a rate per reoffender of no reoffenders is not applicable
    assert col(out, "per_reoffender") == [C, "2.25", C, "[z]"]


def test_rate_formats():
    frame = pl.DataFrame({"n": [40, 3], "rate": [0.2825, 0.5]})
    out = suppress(frame, ["n"], rates={"rate": "n"}, columns_add_up=False, formats={"rate": "{:.1%}"})
    assert col(out, "rate") == ["28.2%", C]


# --- property: what secondary suppression guarantees -----------------------------------------


@st.composite
def crosstabs(draw):
    rows = draw(st.integers(1, 5))
    cols = draw(st.integers(1, 4))
    cells = [[draw(st.integers(0, 25)) for _ in range(cols)] for _ in range(rows)]
    threshold = draw(st.integers(1, 10))
    return cells, threshold


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crosstabs())
def test_property_no_small_count_and_no_lonely_hidden_cell(case):
    cells, threshold = case
    n_cols = len(cells[0])
    names = [f"c{j}" for j in range(n_cols)]
    body = [[*row, sum(row)] for row in cells]
    body.append([sum(r[j] for r in body) for j in range(n_cols + 1)])  # total row
    frame = pl.DataFrame(
        {name: [r[j] for r in body] for j, name in enumerate([*names, "total"])}
    )
    out = suppress(frame, names, threshold=threshold, total_row=True, total_col="total")
    shown = [[out[name][i] for name in [*names, "total"]] for i in range(len(body))]
    # 1. no published count from 1 to threshold-1; every shown value is the true one
    for i, row in enumerate(shown):
        for j, text in enumerate(row):
            if text != C:
                assert text == str(body[i][j])
                assert not (1 <= body[i][j] < threshold)
    # 2. no row or column (with its total) has exactly one hidden cell
    for row in shown:
        assert sum(t == C for t in row) != 1
    for j in range(n_cols + 1):
        assert sum(row[j] == C for row in shown) != 1


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=2, max_size=8))
def test_property_column_without_shown_total(values):
    out = suppress(pl.DataFrame({"n": values}), ["n"])
    hidden = [t == C for t in col(out, "n")]
    assert sum(hidden) != 1
    assert all(t == C or not (1 <= int(t) < 5) for t in col(out, "n"))


def test_mask_is_booleans_per_count_column():
    frame = pl.DataFrame({"g": ["a", "b"], "n": [3, 9]})
    mask = suppression_mask(frame, ["n"])
    assert mask.columns == ["n"]
    assert col(mask, "n") == [True, True]


# --- charts ----------------------------------------------------------------------------------


def test_chart_data_drops_small_bars_and_labels_them():
    frame = pl.DataFrame({"tier": ["a", "b", "c"], "n": [20, 3, 9], "rate": [0.5, 0.33, 0.2]})
    out = suppress_for_chart(frame, "n", rates={"rate": "n"})
    # 3 primary; 9 secondary (the column adds up to the cohort size shown elsewhere)
    assert col(out, "n") == [20, None, None]
    assert col(out, "rate") == [0.5, None, None]
    assert col(out, "label") == ["20", C, C]


# --- symbols, HTML ---------------------------------------------------------------------------


def test_gss_key_lists_only_the_symbols_used_in_order():
    key = gss_key_html(["[p]", "[c]"])
    assert "[c]" in key and "confidential" in key and "[p]" in key and "provisional" in key
    assert key.index("[c]") < key.index("[p]")
    assert "[x]" not in key and "[z]" not in key
    assert "1 to 4" in key
    assert "1 to 9" in gss_key_html(["[c]"], threshold=10)
    assert gss_key_html([]) == ""
    with pytest.raises(ValueError):
        gss_key_html(["[q]"])


def test_to_html_is_a_plain_escaped_table_with_the_key():
    frame = suppress(pl.DataFrame({"group": ["<b>a</b>", "b", "c"], "n": [20, 3, 9]}), ["n"])
    page = to_html(frame, caption="Reoffenders by group")
    assert "<caption>Reoffenders by group</caption>" in page
    assert '<th scope="col">group</th>' in page
    assert '<th scope="row">&lt;b&gt;a&lt;/b&gt;</th>' in page
    assert "<b>a</b>" not in page
    assert page.count("[c]") == 3  # two cells and the key
    assert 'class="gss-key"' in page
    plain = to_html(pl.DataFrame({"group": ["a"], "n": ["20"]}))
    assert "gss-key" not in plain and "<caption>" not in plain


def test_symbols_in_and_provisional_marks():
    frame = mark_provisional(suppress(pl.DataFrame({"n": [3, 9, 0]}), ["n"]), ["n"])
    assert col(frame, "n") == [C, C, "0 [p]"]
    assert symbols_in(frame) == ["[c]", "[p]"]


# --- publishing tables -----------------------------------------------------------------------


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_publish_table_writes_notes_and_sidecar(tmp_path):
    frame = suppress(pl.DataFrame({"tier": ["a", "b", "c"], "reoffenders": [20, 3, 9], "rate": [0.5, 0.3, 0.2]}),
                     ["reoffenders"], rates={"rate": "reoffenders"})
    path = publish_table(frame, tmp_path / "sub" / "by_tier.csv", notes="2005 cohort")
    rows = read_csv(path)
    assert rows[0] == ["tier", "reoffenders", "rate", "notes"]
    assert rows[1] == ["a", "20", "0.5", "2005 cohort"]
    assert rows[2][:3] == ["b", C, C]
    assert rows[2][3].startswith("2005 cohort; [c] confidential")
    meta = json.loads(metadata_path(path).read_text())
    assert meta["yot:count_columns"] == ["reoffenders"]
    assert meta["yot:disclosure_threshold"] == 5


def test_publish_table_per_row_notes_and_declared_counts(tmp_path):
    frame = pl.DataFrame({"programme": ["ISSP", "YISP"], "ISSP_people": ["12", "0"]})
    path = publish_table(frame, tmp_path / "t.csv", notes=["first", None], counts=["ISSP_people"])
    assert [r[-1] for r in read_csv(path)] == ["notes", "first", ""]
    with pytest.raises(ValueError):
        publish_table(frame, tmp_path / "u.csv", notes=["only one"])


def test_publish_table_refuses_a_small_count(tmp_path):
    frame = pl.DataFrame({"tier": ["a", "b"], "cohort_size": [20, 3]})
    with pytest.raises(DisclosureError, match="cohort_size"):
        publish_table(frame, tmp_path / "bad.csv")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(DisclosureError):
        publish_table(pl.DataFrame({"M": ["2"]}), tmp_path / "bad2.csv", counts=["M"])


def test_count_column_convention():
    for name in ["n", "cohort_size", "reoffenders", "n_treated", "fte", "comparison_n", "starts"]:
        assert is_count_column(name), name
    for name in ["binary_rate", "tier", "year", "reoffences_per_reoffender", "notes", "pct_reduced"]:
        assert not is_count_column(name), name


# --- the published-output check --------------------------------------------------------------


@pytest.fixture
def extract():
    return make_extract(
        people=[
            {"person_id": "P0001", "date_of_birth": date(1990, 3, 3), "sex": "M", "ethnicity": "White", "yot": "Barnet"},
            {"person_id": "P0002", "date_of_birth": date(1991, 7, 14), "sex": "F", "ethnicity": "Black", "yot": "Barnet"},
            {"person_id": "1234", "date_of_birth": date(2005, 1, 1), "sex": "F", "ethnicity": "Asian", "yot": "Barnet"},
        ],
        offences=[
            {"offence_id": "OFF-77", "person_id": "P0001", "offence_date": date(2005, 2, 1),
             "outcome_date": date(2005, 3, 1), "offence_type": "theft", "gravity": 3, "outcome": "reprimand"},
            {"offence_id": "OFF-78", "person_id": "P0002", "offence_date": date(2005, 5, 2),
             "outcome_date": date(2005, 6, 9), "offence_type": "theft", "gravity": 3, "outcome": "reprimand"},
        ],
    )


def clean_folder(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(
        "<html><body><h1>Reoffending 2005</h1><p>Cohort from 2005-01-01 to 2005-12-31: 1,234 young "
        "people; 12 reoffended; 2005 cohort; P00012 is not anyone.</p></body></html>"
    )
    publish_table(
        suppress(pl.DataFrame({"tier": ["a", "b", "c"], "n": [20, 3, 9]}), ["n"]), root / "t.csv", notes="x"
    )
    (root / "chart.svg").write_text("<svg><text>2005</text><!-- 2026-11-30T19:00:00 --></svg>")
    (root / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n\0P0001 1990-03-03")
    return root


def test_check_passes_a_clean_folder(tmp_path, extract):
    # 2005-01-01 is the date of birth of person 1234 but also a period bound the page shows.
    root = clean_folder(tmp_path / "pub")
    problems = check_published(root, extract, allowed_dates=["2005-01-01"])
    assert problems == []
    # Without the allow-list the period bound is taken for a date of birth.
    assert any("2005-01-01" in p for p in check_published(root, extract))


def test_check_finds_a_planted_person_id(tmp_path, extract):
    root = clean_folder(tmp_path / "pub")
    (root / "report.html").write_text('<td title="P0002">x</td>')
    problems = check_published(root, extract, allowed_dates=[date(2005, 1, 1)])
    assert len(problems) == 1
    assert "report.html" in problems[0] and "P0002" in problems[0]


def test_check_finds_an_offence_id_in_json(tmp_path, extract):
    root = clean_folder(tmp_path / "pub")
    (root / "data.json").write_text(json.dumps({"rows": ["OFF-78"]}))
    problems = check_published(root, extract, allowed_dates=[date(2005, 1, 1)])
    assert problems and "data.json" in problems[0] and "OFF-78" in problems[0]


@pytest.mark.parametrize("written", ["1991-07-14", "14/07/1991", "14 July 1991", "14 Jul 1991"])
def test_check_finds_a_planted_date_of_birth(tmp_path, extract, written):
    root = clean_folder(tmp_path / "pub")
    (root / "notes.txt").write_text(f"born {written}\n")
    problems = check_published(root, extract, allowed_dates=["2005-01-01"])
    assert problems == ["notes.txt: dates of birth from the extract: 1991-07-14"]


def test_check_finds_a_small_count_in_a_csv(tmp_path, extract):
    root = clean_folder(tmp_path / "pub")
    (root / "by_sex.csv").write_text("sex,reoffenders,binary_rate\nM,12,0.3\nF,3,0.1\n")
    problems = check_published(root, extract, allowed_dates=["2005-01-01"])
    assert problems == ["by_sex.csv: line 3, column 'reoffenders': a count below the threshold ('3')"]
    # a different threshold
    assert check_published(root, extract, 3, allowed_dates=["2005-01-01"]) == []


def test_check_reads_count_columns_from_the_sidecar(tmp_path, extract):
    root = clean_folder(tmp_path / "pub")
    path = publish_table(pl.DataFrame({"programme": ["ISSP"], "Girls": ["12"]}), root / "g.csv", counts=["Girls"])
    path.write_text("programme,Girls,notes\nISSP,2,\n")  # tampered after publishing
    problems = check_published(root, extract, allowed_dates=["2005-01-01"])
    assert problems == ["g.csv: line 2, column 'Girls': a count below the threshold ('2')"]


def test_check_flags_analyst_files_and_skips_embedded_images(tmp_path, extract):
    root = clean_folder(tmp_path / "pub")
    image = base64.b64encode(b"P0001 " * 40).decode()
    (root / "page.html").write_text(f'<img src="data:image/png;base64,{image}">')
    assert check_published(root, extract, allowed_dates=["2005-01-01"]) == []
    (root / "cohort.ipynb").write_text("{}")
    problems = check_published(root, extract, allowed_dates=["2005-01-01"])
    assert problems and "cohort.ipynb" in problems[0]


def test_check_allows_coverage_dates_and_missing_folder(tmp_path):
    ex = make_extract(
        people=[{"person_id": "P0009", "date_of_birth": date(2005, 6, 9), "sex": "M", "ethnicity": "White", "yot": "B"}],
        offences=[{"offence_id": "OFF-9", "person_id": "P0009", "offence_date": date(2005, 5, 2),
                   "outcome_date": date(2005, 6, 9), "offence_type": "theft", "gravity": 3, "outcome": "reprimand"}],
    )
    root = tmp_path / "pub"
    root.mkdir()
    # the latest outcome date (the extract date) is shown on the data-quality page
    (root / "dq.html").write_text("<p>Outcomes to 2005-06-09</p>")
    assert check_published(root, ex) == []
    assert check_published(tmp_path / "nowhere", ex)


def test_which_identifiers_are_searched_for():
    assert checked_identifier("P0001")
    assert checked_identifier("0042")  # a leading zero: not a year or a count
    assert checked_identifier("123456")
    assert not checked_identifier("1234")  # could be a year
    assert not checked_identifier("P1")


def test_to_html_refuses_an_unsuppressed_small_count():
    with pytest.raises(DisclosureError, match="reoffenders"):
        to_html(pl.DataFrame({"tier": ["a", "b"], "reoffenders": [12, 3]}))
    with pytest.raises(DisclosureError):
        to_html(pl.DataFrame({"tier": ["a"], "Girls": [2]}), counts=["Girls"])


def test_pandas_tables_are_accepted():
    pd = pytest.importorskip("pandas")
    out = suppress(pd.DataFrame({"g": ["a", "b", "c"], "n": [3, 9, 20]}), ["n"])
    assert col(out, "n") == [C, C, "20"]


# --- property: ids are found as whole tokens, and only as whole tokens -----------------------

ids_strategy = st.from_regex(r"[A-Z]{1,2}[0-9]{3,7}", fullmatch=True)
separators = st.sampled_from([" ", "\n", ",", "<td>", "</td>", '"', "'", "(", ")", ": ", "; ", "\t"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(person=ids_strategy, before=separators, after=separators, glue=st.sampled_from(["", "0", "X", "9a"]))
def test_property_planted_id_found_only_as_a_whole_token(tmp_path_factory, person, before, after, glue):
    ex = make_extract(
        people=[{"person_id": person, "date_of_birth": date(1990, 1, 2), "sex": "M", "ethnicity": "White", "yot": "B"}],
        offences=[],
    )
    root = tmp_path_factory.mktemp("pub")
    (root / "page.html").write_text(f"<p>Reoffending 2005{before}{person}{after}12 young people</p>")
    problems = check_published(root, ex)
    assert len(problems) == 1 and person in problems[0]
    if glue:
        # the id inside a longer word or number is not the id
        (root / "page.html").write_text(f"<p>{before}{person}{glue}{after}</p>")
        assert check_published(root, ex) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(numbers=st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_property_ordinary_numbers_are_not_taken_for_short_numeric_ids(tmp_path_factory, numbers):
    # Plain ids of 4-5 digits cannot be told apart from years and counts, so they are not searched for.
    ex = make_extract(
        people=[{"person_id": str(1000 + i), "date_of_birth": date(1990, 1, 2), "sex": "M", "ethnicity": "White",
                 "yot": "B"} for i in range(50)],
        offences=[],
    )
    root = tmp_path_factory.mktemp("pub")
    (root / "page.html").write_text(" ".join(f"{n:,}" if n % 2 else str(n % 100000) for n in numbers))
    assert check_published(root, ex) == []


def test_chart_of_rates_protects_the_counts_behind_them():
    frame = pl.DataFrame(
        {"tier": ["a", "b", "c"], "cohort_size": [30, 20, 25], "reoffenders": [12, 3, 7],
         "binary_rate": [0.4, 0.15, 0.28]}
    )
    out = suppress_for_chart(frame, "cohort_size", rates={"binary_rate": ["reoffenders", "cohort_size"]})
    # reoffenders 3 is primary; 7 goes too, or 3 = total reoffenders - 12 - 7 (the rates give them).
    assert col(out, "cohort_size") == [30, 20, 25]
    assert col(out, "binary_rate") == [0.4, None, None]
    assert col(out, "label") == ["30", C, C]


def test_rate_counts_not_named_as_counts_are_protected_down_their_column():
    frame = pl.DataFrame({"tier": ["a", "b", "c"], "cohort_size": [30, 20, 25], "reoffenders": [12, 3, 7],
                          "binary_rate": [0.4, 0.15, 0.28]})
    out = suppress(frame, ["cohort_size"], rates={"binary_rate": ["reoffenders", "cohort_size"]})
    assert col(out, "reoffenders") == ["12", C, C]
    assert col(out, "binary_rate") == ["0.4", C, C]


def test_an_empty_table_stays_empty(tmp_path):
    # a year with no data gives an empty table: it is published empty, not crashed on
    empty = pl.DataFrame(schema={"tier": pl.String, "n": pl.Int64, "rate": pl.Float64})
    out = suppress(empty, ["n"], rates={"rate": "n"})
    assert out.height == 0 and out.schema["n"] == pl.String
    assert suppress_for_chart(empty, "n").height == 0
    assert read_csv(publish_table(out, tmp_path / "e.csv")) == [["tier", "n", "rate", "notes"]]


def test_complements_hide_a_count_whose_complement_is_small():
    frame = pl.DataFrame(
        {"tier": ["pre_court", "first_tier", "custody"], "cohort_size": [40, 30, 8],
         "reoffenders": [10, 12, 6], "binary_rate": [0.25, 0.4, 0.75]}
    )
    plain = suppress(frame, ["cohort_size", "reoffenders"], rates={"binary_rate": ["reoffenders", "cohort_size"]})
    assert col(plain, "reoffenders") == ["10", "12", "6"]
    out = suppress(frame, ["cohort_size", "reoffenders"], rates={"binary_rate": ["reoffenders", "cohort_size"]},
                   complements={"reoffenders": "cohort_size"})
    # custody: 8 - 6 = 2 did not reoffend, so 6 goes; then its column's next smallest, 10.
    assert col(out, "reoffenders") == [C, "12", C]
    assert col(out, "binary_rate") == [C, "0.4", C]
    assert col(out, "cohort_size") == ["40", "30", "8"]
    with pytest.raises(KeyError):
        suppress(frame, ["cohort_size"], complements={"reoffenders": "cohort_size"})


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(st.lists(st.integers(0, 15), min_size=3, max_size=3), min_size=1, max_size=6),
    columns_add_up=st.booleans(),
    rows_add_up=st.booleans(),
    threshold=st.integers(2, 8),
)
def test_property_without_shown_totals(cells, columns_add_up, rows_add_up, threshold):
    names = ["a", "b", "c"]
    frame = pl.DataFrame({n: [r[j] for r in cells] for j, n in enumerate(names)})
    out = suppress(frame, names, threshold=threshold, columns_add_up=columns_add_up, rows_add_up=rows_add_up)
    hidden = [[out[n][i] == C for n in names] for i in range(len(cells))]
    for i, row in enumerate(cells):
        for j, v in enumerate(row):
            assert hidden[i][j] or (out[names[j]][i] == str(v) and not 1 <= v < threshold)
    if columns_add_up and len(cells) > 1:
        assert all(sum(h[j] for h in hidden) != 1 for j in range(3))
    if rows_add_up:
        assert all(sum(h) != 1 for h in hidden)


@pytest.mark.parametrize(
    "name, text",
    [
        ("frame.html", '<table><tr><th scope="col">person_id</th><th>sex</th></tr></table>'),
        ("printed.html", "<pre>│ date_of_birth ┆ sex │</pre>"),
        ("rows.csv", "offence_id,n\nX,12\n"),
    ],
)
def test_check_finds_a_table_of_row_level_records_whatever_the_ids(tmp_path, name, text):
    # ids "12" are too short to search for, but the column itself gives the table away
    ex = make_extract(
        people=[{"person_id": "12", "date_of_birth": date(1990, 1, 2), "sex": "M", "ethnicity": "White", "yot": "B"}],
    )
    root = tmp_path / "pub"
    root.mkdir()
    (root / "methods.html").write_text("<p>No person_id, date of birth or offence_id is ever published.</p>")
    assert check_published(root, ex) == []
    (root / name).write_text(text)
    problems = check_published(root, ex)
    assert len(problems) == 1 and problems[0].startswith(f"{name}: a table of row-level records")


def test_check_finds_a_suppressed_cell_given_away_by_a_complement_column(tmp_path, extract):
    root = clean_folder(tmp_path / "pub")
    # cohort_size = reoffenders + non_reoffenders holds in rows 3 and 4 (both parts non-zero), so in
    # row 2 the hidden reoffenders are 35 - 31 = 4; row 5 hides two of the three and is safe.
    (root / "targets.csv").write_text(
        "cohort,cohort_size,reoffenders,non_reoffenders,notes\n"
        "2004,35,[c],31,\n2005,32,7,25,\n2006,23,5,18,\n2007,[c],[c],0,\n"
    )
    problems = check_published(root, extract, allowed_dates=["2005-01-01"])
    assert problems == [
        "targets.csv: line 2, column 'reoffenders': [c] can be worked out, "
        "as cohort_size = reoffenders + non_reoffenders in this table"
    ]
    # The same table suppressed with the row total declared is safe.
    table = pl.DataFrame({"cohort": [2004, 2005, 2006], "cohort_size": [35, 32, 23],
                          "reoffenders": [4, 7, 5], "non_reoffenders": [31, 25, 18]})
    safe = suppress(table, ["reoffenders", "non_reoffenders"], total_col="cohort_size", columns_add_up=False)
    assert safe.row(0) == (2004, "35", C, C)
    publish_table(safe, root / "targets.csv")
    assert check_published(root, extract, allowed_dates=["2005-01-01"]) == []


def test_check_does_not_infer_a_relation_from_one_row_or_from_zeros(tmp_path, extract):
    root = clean_folder(tmp_path / "pub")
    (root / "a.csv").write_text("g,n,reoffenders,starts\nx,12,[c],10\ny,30,20,10\nz,6,6,0\nw,7,7,0\n")
    assert check_published(root, extract, allowed_dates=["2005-01-01"]) == []


def test_check_finds_a_suppressed_count_given_away_by_its_rate(tmp_path, extract):
    root = clean_folder(tmp_path / "pub")
    # 25.0% of 40 = 10 and 40.0% of 30 = 12: the rate is reoffenders / cohort_size, so the hidden
    # count of the third row is 15.0% of 20 = 3.
    (root / "tiers.csv").write_text(
        "tier,cohort_size,reoffenders,binary_rate,ci_low\n"
        "a,40,10,25.0%,14.2%\nb,30,12,40.0%,24.6%\nc,20,[c],15.0%,5.2%\n"
    )
    problems = check_published(root, extract, allowed_dates=["2005-01-01"])
    assert problems == [
        "tiers.csv: line 4, column 'reoffenders': [c] can be worked out from 'cohort_size' and "
        "'binary_rate' shown in the same row (about 3)"
    ]
    (root / "tiers.csv").write_text(
        "tier,cohort_size,reoffenders,binary_rate,ci_low\n"
        "a,40,10,25.0%,14.2%\nb,30,12,40.0%,24.6%\nc,20,[c],[c],[c]\n"
    )
    assert check_published(root, extract, allowed_dates=["2005-01-01"]) == []


def test_check_finds_a_count_given_away_by_a_rate_per_100000(tmp_path, extract):
    root = clean_folder(tmp_path / "pub")
    (root / "fte.csv").write_text(
        "group,fte,population,rate_per_100k\nM,26,1852,\"1,403.9\"\nF,24,1862,\"1,288.9\"\nU,[c],907,330.8\n"
    )
    problems = check_published(root, extract, allowed_dates=["2005-01-01"])
    assert len(problems) == 1 and "line 4, column 'fte'" in problems[0] and "rate_per_100k" in problems[0]
    # a rate rounded too coarsely to pin the count down is no give-away (1 per 100,000 of 300,000
    # is anything from 1.5 to 4.5)
    (root / "fte.csv").write_text(
        "group,fte,population,rate_per_100k\nM,26,1852,\"1,404\"\nF,24,1862,\"1,289\"\nU,[c],300000,1\n"
    )
    assert check_published(root, extract, allowed_dates=["2005-01-01"]) == []


def test_check_does_not_infer_a_relation_from_one_repeated_row(tmp_path, extract):
    root = clean_folder(tmp_path / "pub")
    # 32 = 24 + 8 twice is the same row repeated (one measure per line), not a rule of the table:
    # the hidden cell of line 4 is small, not 32 - 24.
    (root / "outcomes.csv").write_text(
        "measure,matched_treated,treated_with,comparison_used,comparison_with\n"
        "a,32,[c],24,8\nb,32,[c],24,8\nc,32,[c],24,[c]\n"
    )
    assert check_published(root, extract, allowed_dates=["2005-01-01"]) == []


# ------------------------------------------------------------------ Kaplan-Meier curves of small groups
def _curve(days, surv, people) -> pl.DataFrame:
    return pl.DataFrame({"day": [float(d) for d in days], "surviving": surv, "people": people},
                        schema={"day": pl.Float64, "surviving": pl.Float64, "people": pl.Int64})


def test_safe_curve_steps_only_when_threshold_people_have_reoffended() -> None:
    curve = _curve([0, 10, 20, 30, 40, 365], [1.0, 0.9, 0.75, 0.7, 0.5, 0.5], [0, 2, 3, 1, 4, 0])
    shown = safe_curve(curve, threshold=5)
    # 2 + 3 people by day 20 (a step of 5), then 1 + 4 by day 40 (another 5); flat to the end
    assert shown.rows() == [(0.0, 1.0), (20.0, 0.75), (40.0, 0.5), (365.0, 0.5)]


def test_safe_curve_merges_a_small_tail_into_the_last_step_so_the_end_value_is_true() -> None:
    curve = _curve([0, 10, 20, 365], [1.0, 0.8, 0.7, 0.7], [0, 5, 2, 0])
    shown = safe_curve(curve, threshold=5)
    assert shown.rows() == [(0.0, 1.0), (20.0, 0.7), (365.0, 0.7)]


def test_safe_curve_refuses_a_group_with_fewer_events_than_the_threshold() -> None:
    assert safe_curve(_curve([0, 10, 20, 365], [1.0, 0.9, 0.8, 0.8], [0, 2, 2, 0]), 5) is None
    flat = safe_curve(_curve([0, 365], [1.0, 1.0], [0, 0]), 5)  # nobody reoffended: 0 is shown
    assert flat.rows() == [(0.0, 1.0), (365.0, 1.0)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=30), st.integers(2, 6))
def test_safe_curve_every_drop_is_at_least_threshold_people(people: list[int], threshold: int) -> None:
    days = list(range(len(people) + 2))
    counts = [0, *people, 0]
    total = sum(counts)
    surv, at_risk, value = [], 200, 1.0
    for n in counts:
        value *= 1 - n / at_risk
        at_risk -= n
        surv.append(value)
    shown = safe_curve(_curve(days, surv, counts), threshold)
    if 1 <= total < threshold:
        assert shown is None
        return
    rows = shown.rows()
    assert rows[0] == (0.0, 1.0) and rows[-1][0] == days[-1]
    assert rows[-1][1] == pytest.approx(surv[-1])  # the curve ends at its true value
    cum = [sum(counts[: d + 1]) for d in days]
    for (d0, v0), (d1, v1) in zip(rows, rows[1:]):
        if v1 != v0:
            assert cum[int(d1)] - cum[int(d0)] >= threshold  # a visible drop is at least `threshold` people


# --- secondary suppression loses least: hand cases and an exhaustive check -------------------

_BREAKDOWN_SPEC = dict(derived={"rate": ("reoffenders", "cohort_size")}, blocks="breakdown",
                       complements={"reoffenders": "cohort_size"})


def _ethnic_block(rows: list[tuple[str, int, int]]) -> pl.DataFrame:
    return pl.DataFrame({
        "breakdown": ["Ethnic group"] * len(rows), "group": [r[0] for r in rows],
        "cohort_size": [r[1] for r in rows], "reoffenders": [r[2] for r in rows],
        "rate": [r[2] / r[1] for r in rows],
    })


def test_black_row_keeps_its_77_when_a_smaller_cell_protects_the_same_count():
    # The 2007 cohort case. Other: 4 young people, 0 reoffended -> cohort 4 is [c] and so is its
    # reoffenders (4 - 0 non-reoffenders, a count of 4). Black: 3 reoffenders of 77 -> [c], and its rate.
    # The reoffenders column then has two hidden cells (Black, Other): protected.
    # The cohort column has one (Other's 4): its partner could be Black's 77 (hiding the whole Black
    # row) or Not known's 17 (and its rate): 17 hides fewer young people, so 17 goes and 77 stays.
    frame = _ethnic_block([("White", 385, 119), ("Mixed", 65, 20), ("Asian", 71, 18), ("Black", 77, 3),
                           ("Other", 4, 0), ("Not known", 17, 6)])
    mask = SuppressionSpec(counts=("cohort_size", "reoffenders"), **_BREAKDOWN_SPEC).mask(frame)
    assert mask["cohort_size"] == [False, False, False, False, True, True]
    assert mask["reoffenders"] == [False, False, False, True, True, False]
    assert mask["rate"] == [False, False, False, True, True, True]
    # the Black row still shows how many young people it has
    assert not mask["cohort_size"][3]


def test_a_small_count_in_a_row_of_77_takes_only_the_smallest_partner():
    # Black: 3 reoffenders of 77 (primary). The reoffenders column needs one more hidden cell: the
    # smallest other count is Not known's 6 (with its rate). No cohort size is hidden.
    frame = _ethnic_block([("White", 385, 119), ("Mixed", 65, 20), ("Asian", 71, 18), ("Black", 77, 3),
                           ("Other", 40, 12), ("Not known", 17, 6)])
    mask = SuppressionSpec(counts=("cohort_size", "reoffenders"), **_BREAKDOWN_SPEC).mask(frame)
    assert mask["cohort_size"] == [False] * 6
    assert mask["reoffenders"] == [False, False, False, True, False, True]
    assert mask["rate"] == [False, False, False, True, False, True]


def test_two_primaries_share_their_partners_instead_of_cascading():
    # rows (c0, c1, total), then a total row. Primaries: c1 of row 0 (3) and c0 of row 1 (3).
    # Hiding 8 (row 0, c0) protects row 0 and column c0; 15 (row 1, c1) protects row 1 and column c1:
    # 8 + 15 = 23 more hidden, no total touched. (Cell by cell, the old greedy rule hid 7 cells
    # and two totals.)
    frame = pl.DataFrame({"c0": [8, 3, 6, 10, 27], "c1": [3, 15, 0, 20, 38], "total": [11, 18, 6, 30, 65]})
    mask = suppression_mask(frame, ["c0", "c1"], total_row=True, total_col="total")
    assert col(mask, "c0") == [True, True, False, False, False]
    assert col(mask, "c1") == [True, True, False, False, False]
    assert col(mask, "total") == [False] * 5


def _loss(hidden: set[tuple[int, int]], body: list[list[int]]) -> tuple[int, int, int, int]:
    """What a pattern loses, in the order the rule weighs it: zeros, totals, the total hidden, then
    figures hidden (cells plus one rate per row touched)."""
    last_row, last_col = len(body) - 1, len(body[0]) - 1
    return (sum(body[i][j] == 0 for i, j in hidden), sum(i == last_row or j == last_col for i, j in hidden),
            sum(body[i][j] for i, j in hidden), len(hidden) + len({i for i, _ in hidden}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from([0, 1, 2, 3, 4, 6, 9, 15, 30]), min_size=2, max_size=2), min_size=2,
                max_size=3))
def test_property_secondary_suppression_is_the_least_loss_of_every_protecting_pattern(cells):
    # Exhaustive: every set of cells that hides the primaries and leaves no row or column (with its
    # totals) with exactly one hidden cell; the mask must lose no more than the best of them.
    import itertools

    body = [[*row, sum(row)] for row in cells]
    body.append([sum(r[j] for r in body) for j in range(3)])
    frame = pl.DataFrame({name: [r[j] for r in body] for j, name in enumerate(["c0", "c1", "total"])})
    mask = suppression_mask(frame, ["c0", "c1"], total_row=True, total_col="total", derived={"rate": ["c0", "c1", "total"]})
    chosen = {(i, j) for j, name in enumerate(["c0", "c1", "total"]) for i, v in enumerate(col(mask, name)) if v}
    n_rows = len(body)
    everything = [(i, j) for i in range(n_rows) for j in range(3)]
    primary = {(i, j) for i, j in everything if 1 <= body[i][j] <= 4}
    lines = [[(i, j) for j in range(3)] for i in range(n_rows)] + [[(i, j) for i in range(n_rows)] for j in range(3)]

    def protects(hidden):
        return all(sum(c in hidden for c in line) != 1 for line in lines)

    assert primary <= chosen and protects(chosen)
    free = [c for c in everything if c not in primary]
    best = min(_loss(primary | set(extra), body) for k in range(len(free) + 1)
               for extra in itertools.combinations(free, k) if protects(primary | set(extra)))
    assert _loss(chosen, body) == best


def test_the_2007_cohort_hides_the_smaller_group_where_two_cells_are_equal():
    # As in the 2007 synthetic cohort: Not known has 3 reoffenders of 17 (primary). The reoffenders
    # column needs one more hidden cell; Black (15 of 77) and Other (15 of 40) are the smallest and
    # equal, and either takes its row's rates with it. The smaller group, Other, goes: Black's 77
    # young people keep their figures.
    frame = _ethnic_block([("White", 385, 119), ("Mixed", 65, 20), ("Asian", 71, 18), ("Black", 77, 15),
                           ("Other", 40, 15), ("Not known", 17, 3)])
    mask = SuppressionSpec(counts=("cohort_size", "reoffenders"), **_BREAKDOWN_SPEC).mask(frame)
    assert mask["reoffenders"] == [False, False, False, False, True, True]
    assert mask["rate"] == [False, False, False, False, True, True]
    assert mask["cohort_size"] == [False] * 6
