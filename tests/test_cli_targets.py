"""``yot targets``: the exact JSON shape, the same rows as the pages, the plain table, the CSV, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from handmade import cohort_extract, extract_of

from yot.cli import main
from yot.labels import STATUS_WORDS
from yot.pages import targets

ROW_KEYS = ["target", "tier", "period", "final", "status", "unit", "baseline", "baseline_from_data", "target_value",
            "observed", "numerator", "denominator", "ci_low", "ci_high", "change", "p_value", "p_on_target",
            "detectable_change"]
TREND_KEYS = ["target", "tier", "periods", "change_per_year", "ci_low", "ci_high", "target_change_per_year"]


def _write_extract(folder: Path) -> Path:
    """2003: 30 of 100 reoffend; 2004: 20 of 100; 2005: 27 of 100 (all first tier: a fine)."""
    extract = extract_of(cohort_extract(2003, 100, 30), cohort_extract(2004, 100, 20), cohort_extract(2005, 100, 27))
    folder.mkdir(parents=True, exist_ok=True)
    extract.people.write_csv(folder / "people.csv")
    extract.offences.write_csv(folder / "offences.csv")
    return folder


def _suite(tmp_path: Path, data: Path | None, *, by_tier: bool = True, extract_date: str = "null",
           fte: bool = True) -> Path:
    text = f"""
title: Test suite
yot: Testville
data: {data if data else 'null'}
extract_date: {extract_date}
reoffending:
  period: calendar
  cohort_years: [2003, 2004, 2005]
  target: {{baseline_year: 2003, baseline_value: 0.282, change_per_year: -0.05}}
  targets_by_tier: {str(by_tier).lower()}
"""
    if fte:
        text += """
first_time_entrants:
  period: financial
  years: [2003, 2004]
  target: {baseline_year: 2003, change: -0.05, by_year: 2004}
substance_misuse:
  period: financial
  years: [2004]
  starts_target: {baseline_year: 2004, baseline_value: 280, change_per_year: 0.1}
  improvement_target: {baseline_year: 2004, baseline_value: 0.72, change_per_year: 0.05}
"""
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    return path


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["targets", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_json_shape_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_extract(tmp_path / "x")
    result = _json(["--params", str(_suite(tmp_path, data)), "--extract-date", "2008-01-01"], capsys)
    assert list(result) == ["extract_date", "rows", "trends"]
    assert result["extract_date"] == "2008-01-01"
    for row in result["rows"]:
        assert list(row) == ROW_KEYS
        assert list(row["period"]) == ["start", "end"]
        assert row["status"] in STATUS_WORDS and row["unit"] in ("proportion", "per_100k", "count")
    # one row per period of the suite file, baseline period included; tier rows for the first tier only
    keys = [(r["target"], r["tier"], r["period"]["start"]) for r in result["rows"]]
    assert keys == [
        ("reoffending", None, "2003-01-01"), ("reoffending", None, "2004-01-01"), ("reoffending", None, "2005-01-01"),
        ("reoffending", "first_tier", "2003-01-01"), ("reoffending", "first_tier", "2004-01-01"),
        ("reoffending", "first_tier", "2005-01-01"),
        ("fte", None, "2003-04-01"), ("fte", None, "2004-04-01"),
        ("substance_starts", None, "2004-04-01"), ("substance_improvement", None, "2004-04-01"),
    ]
    base, y2004, y2005 = result["rows"][:3]
    assert base == {
        "target": "reoffending", "tier": None, "period": {"start": "2003-01-01", "end": "2003-12-31"}, "final": True,
        "status": "baseline", "unit": "proportion", "baseline": 0.282, "baseline_from_data": pytest.approx(0.30),
        "target_value": None, "observed": pytest.approx(0.30), "numerator": 30, "denominator": 100,
        "ci_low": pytest.approx(0.2189, abs=1e-4), "ci_high": pytest.approx(0.3958, abs=1e-4), "change": None,
        "p_value": None, "p_on_target": None, "detectable_change": None,
    }
    assert y2004["status"] == "met" and y2004["final"] is True  # 20% against 26.79%
    assert y2004["target_value"] == pytest.approx(0.2679) and y2004["change"] == pytest.approx(0.20 - 0.282)
    assert isinstance(y2004["p_value"], float) and 0 < y2004["p_on_target"] < 1
    assert y2004["detectable_change"] < 0
    # 2005 is complete on 30 June 2007: final as at 1 January 2008
    assert y2005["final"] is True and y2005["status"] in ("within_margin", "missed")
    assert [r["unit"] for r in result["rows"][6:8]] == ["count", "count"]  # no population table: counts
    # no interventions or reviews in the extract: no data; the baseline period is still the baseline
    assert [r["status"] for r in result["rows"][8:]] == ["baseline", "baseline"]
    assert result["rows"][9]["observed"] is None and result["rows"][9]["baseline"] == 0.72
    assert all(list(t) == TREND_KEYS for t in result["trends"])
    # FTE: 100 first proven in 2003-04 (1 March 2004) and 100 in 2004-05: a trend of 0% a year over two years;
    # no trend of the substance targets (no figures): left out of the list
    assert [(t["target"], t["tier"], t["periods"]) for t in result["trends"]] == [
        ("reoffending", None, 3), ("reoffending", "first_tier", 3), ("fte", None, 2)]
    assert result["trends"][2]["change_per_year"] == pytest.approx(0.0, abs=1e-9)
    assert [r["observed"] for r in result["rows"][6:8]] == [100, 100]
    assert result["trends"][0]["target_change_per_year"] == pytest.approx(-0.05)


def test_the_rows_are_the_pages_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_extract(tmp_path / "x")
    result = _json(["--params", str(_suite(tmp_path, data, fte=False)), "--extract-date", "2008-01-01"], capsys)
    from yot.load import load_extract
    from yot.extract import as_at
    import datetime as dt

    extract = as_at(load_extract(data), dt.date(2008, 1, 1))
    page = targets.build(extract, targets.Params(cohort_years=[2003, 2004, 2005], extract_date=dt.date(2008, 1, 1),
                                                 yot_name="Testville"))
    cells = [dict(zip([c.key for c in t.columns], row, strict=True)) for t in page.tables()
             if t.name == "reoffending_target_verdicts" for row in t.rows()]
    overall = [r for r in result["rows"] if r["tier"] is None]
    assert [STATUS_WORDS[r["status"]] for r in overall] == [c["status_words"] for c in cells]
    assert [f"{100 * r['observed']:.1f}%" for r in overall] == [c["observed"] for c in cells]


def test_the_plain_table_is_the_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_extract(tmp_path / "x")
    assert main(["targets", "--params", str(_suite(tmp_path, data, fte=False))]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Theme 1 target verdicts as at 2005-07-01")  # the latest outcome date
    assert "Baseline" in out and "Provisional: not rated" in out  # 2004 and 2005 are not complete then
    assert "Trends across the final periods" in out


def test_csv_rows_are_tidy_with_the_published_status_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_extract(tmp_path / "x")
    assert main(["targets", "--params", str(_suite(tmp_path, data, by_tier=False, fte=False)),
                 "--extract-date", "2008-01-01", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["period_start"] for r in rows] == ["2003-01-01", "2004-01-01", "2005-01-01"]
    assert rows[0]["status_words"] == "Baseline" and rows[1]["status_words"] == "Met"
    assert rows[1]["observed"] == "0.2" and rows[0]["target_value"] == ""


def test_data_comes_from_the_suite_file_unless_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_extract(tmp_path / "x")
    from_suite = _json(["--params", str(_suite(tmp_path, data, fte=False))], capsys)
    given = _json(["--params", str(_suite(tmp_path, tmp_path / "nowhere", fte=False)), "--data", str(data)], capsys)
    assert from_suite == given


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["targets", "--params", str(tmp_path / "missing.yaml")]) == 1
    assert "cannot read the parameter file" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\nyot: y\nreoffending: {cohort_years: [2003]}\n")
    assert main(["targets", "--params", str(bad)]) == 1
    assert "reoffending.target: required key is missing" in capsys.readouterr().err
    assert main(["targets", "--params", str(_suite(tmp_path, tmp_path / "nowhere", fte=False))]) == 2
