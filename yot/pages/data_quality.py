"""The data-quality page: what was read, what was set aside and why, the dates covered, and which
cohort periods are complete (DATA_CONTRACT.md "Bad input"; METHODS.md "Reoffences", completeness)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from yot.cohort import cohort, completion_date, is_complete
from yot.contract import TABLES
from yot.dates import period_bounds, period_description, period_name
from yot.disclosure import SuppressionSpec, suppression_mask
from yot.extract import Extract
from yot.labels import label
from yot.load import load_report, rule_counts
from yot.params import Period
from yot.pages.base import PageParams, as_at_date, is_synthetic, settings
from yot.pages.model import Chart, Column, Page, Section, Text, table
from yot.pages.words import and_list, count_words

DATE_OF = {"offences": "outcome_date", "interventions": "start_date", "referrals": "referral_date",
           "assessments": "assessment_date", "substance_reviews": "review_date"}


class Params(PageParams):
    page = "data_quality"
    period: Period = "calendar"
    cohort_years: list[int] = [2003, 2004, 2005, 2006, 2007, 2008]
    follow_up_months: int = 12
    waiting_months: int = 6


def rows_table(extract: Extract, threshold: int):
    """Rows read = accepted + set aside, per table given (counts; set-aside rows protected across)."""
    counts = load_report(extract)["tables"]
    frame = pl.DataFrame(
        [{"table": label("table", name), "holds": TABLES[name].purpose, "read": c["read"], "accepted": c["accepted"],
          "set_aside": c["quarantined"]} for name, c in counts.items()],
        schema={"table": pl.String, "holds": pl.String, "read": pl.Int64, "accepted": pl.Int64, "set_aside": pl.Int64},
    )
    return table(
        "data_quality_rows", "Rows read, accepted and set aside, per table", frame,
        [Column("table", "Table"), Column("holds", "What it holds"), Column("read", "Rows read", "count"),
         Column("accepted", "Rows accepted", "count"), Column("set_aside", "Rows set aside", "count")],
        SuppressionSpec(counts=("accepted", "set_aside"), total_col="read", rows_add_up=True, columns_add_up=False),
        threshold=threshold,
    )


def rules_table(extract: Extract, threshold: int):
    """Rows set aside per table and rule (a row can break more than one rule: rows do not add up)."""
    why = rule_counts(extract).with_columns(
        pl.col("table").replace_strict({n: label("table", n) for n in TABLES}, default=pl.col("table")),
        rule_label=pl.col("rule").map_elements(lambda r: label("rule", r), return_dtype=pl.String),
    )
    return table(
        "data_quality_rules", "Why rows were set aside (a row can break more than one rule)",
        why.select("table", "rule_label", "description", "rows"),
        [Column("table", "Table"), Column("rule_label", "Rule broken"), Column("description", "What it means"),
         Column("rows", "Rows", "count")],
        SuppressionSpec(counts=("rows",), columns_add_up=False), threshold=threshold,
    )


def coverage_table(extract: Extract, threshold: int):
    """Earliest and latest date of each dated table (dates, not counts: nothing to suppress)."""
    rows = []
    for name, column in DATE_OF.items():
        dates = extract.table(name).get_column(column).drop_nulls()
        given = extract.has(name) and dates.len() > 0
        rows.append({"table": label("table", name), "date": label("date_column", column),
                     "earliest": f"{dates.min():%-d %b %Y}" if given else None,
                     "latest": f"{dates.max():%-d %b %Y}" if given else None})
    pop = extract.population
    if extract.has("population") and pop.height:
        rows.append({"table": label("table", "population"), "date": "mid-year", "earliest": str(pop["year"].min()),
                     "latest": str(pop["year"].max())})
    return table("data_quality_coverage", "Dates covered by each table", pl.DataFrame(rows, schema={
        "table": pl.String, "date": pl.String, "earliest": pl.String, "latest": pl.String}),
        [Column("table", "Table"), Column("date", "Date"), Column("earliest", "Earliest"), Column("latest", "Latest")],
        SuppressionSpec(), threshold=threshold)


def records_per_year(extract: Extract, threshold: int, source: str) -> Chart | None:
    """Records per year in each dated table; years with 1 to threshold - 1 records are left out."""
    parts = []
    for name, column in DATE_OF.items():
        frame = extract.table(name)
        if extract.has(name) and frame.height:
            per = (frame.group_by(pl.col(column).dt.year().alias("x")).agg(pl.len().cast(pl.Int64).alias("y"))
                   .sort("x").with_columns(series=pl.lit(label("table", name))))
            hide = suppression_mask(per, ["y"], threshold=threshold, columns_add_up=False)["y"]
            parts.append(per.with_columns(y=pl.when(hide).then(None).otherwise(pl.col("y"))))
    if not parts:
        return None
    data = pl.concat(parts)
    latest = data.filter(pl.col("y").is_not_null()).sort("x").group_by("series", maintain_order=True).last()
    alt = ("Line chart of records per year in each table of the extract. Latest year of each: "
           + "; ".join(f"{r['series']} {r['x']}: {r['y']:,}" for r in latest.iter_rows(named=True)) + ".")
    return Chart("records_per_year", "lines", "Records per year in each table of the extract", data, alt, source,
                 {"x_label": "Year (of the outcome, start, referral, assessment or review date)",
                  "y_label": "Records (rows)", "legend_title": "Table"})


def completeness_table(extract: Extract, params: Params, as_at: dt.date | None):
    """Each cohort period: its index dates, size, the extract date from which it is complete, status."""
    rows = []
    for year in params.cohort_years:
        start, end = period_bounds(params.period, year)
        size = cohort(extract, start, end).select(pl.len()).collect().item()
        complete_from = completion_date(end, params.follow_up_months, params.waiting_months)
        complete = is_complete(end, as_at, params.follow_up_months, params.waiting_months)
        status = ("No data: no young person has an index date in this period" if size == 0 else
                  "Complete" if complete else f"Provisional [p]: complete in an extract dated {complete_from:%-d %b %Y} "
                  "or later")
        rows.append({"cohort": period_name(params.period, year), "dates": f"{start:%-d %b %Y} to {end:%-d %b %Y}",
                     "size": size, "complete_from": f"{complete_from:%-d %b %Y}", "status": status})
    frame = pl.DataFrame(rows, schema={"cohort": pl.String, "dates": pl.String, "size": pl.Int64,
                                       "complete_from": pl.String, "status": pl.String})
    return table("data_quality_cohorts", "Is each cohort complete?", frame,
                 [Column("cohort", "Cohort"), Column("dates", "Index dates"), Column("size", "Young people", "count"),
                  Column("complete_from", "Complete from"), Column("status", "Status")],
                 SuppressionSpec(counts=("size",), columns_add_up=False), threshold=params.disclosure_threshold), rows


def build(extract: Extract, params: Params) -> Page:
    """The data-quality page of ``extract``."""
    t = params.disclosure_threshold
    as_at = as_at_date(extract, params)
    provisional_page = Page("", "", "", "", as_at, params.yot_name, is_synthetic(extract))  # for the source line
    source = provisional_page.source
    read = rows_table(extract, t)
    set_aside = int(read.frame["set_aside"].sum())
    absent = [label("table", n) for n in TABLES if not extract.has(n)]
    what_read = [
        read,
        Text("Every row read is either accepted or set aside: rows read = rows accepted + rows set aside. "
             + (f"In all, {count_words(set_aside, t)} rows broke a rule of the data contract and were set aside; they "
                "are left out of every figure in this pack." if set_aside else "No row broke a rule.")
             + (f" Not in this extract: {and_list(absent)}; figures that need them are shown as not available [x]."
                if absent else " Every table of the contract was given.")),
    ]
    why = rules_table(extract, t)
    why_blocks = [why] if why.frame.height else [Text("No row broke a rule: nothing was set aside.")]
    chart = records_per_year(extract, t, source)
    coverage = [coverage_table(extract, t)] + ([chart] if chart else []) + [Text(
        "A sudden drop in the last year usually means the year is not over in the extract, or recording lagged; "
        f"years with 1 to {t - 1} records are left off the chart (disclosure control).")]
    years, rows = completeness_table(extract, params, as_at)
    provisional = [r["cohort"] for r in rows if r["status"].startswith("Provisional")]
    empty = [r["cohort"] for r in rows if r["status"].startswith("No data")]
    f, w = params.follow_up_months, params.waiting_months
    complete_words = Text(
        f"A cohort's reoffending is counted in full once every member has had {f} months to reoffend and a further "
        f"{w} months for the offence to be proven: from the end of the cohort period plus {f + w} months. "
        + (f"Still provisional in this extract: {and_list(provisional)}; their figures can still rise. " if provisional
           else "Every cohort is complete. ")
        + (f"No data in this extract: {and_list(empty)}." if empty else ""))
    first, last = params.cohort_years[0], params.cohort_years[-1]
    return Page(
        name=params.page_name, kind="data_quality", title=f"Data quality of the {params.yot_name} extract",
        subtitle=(f"Cohorts {period_name(params.period, first)} to {period_name(params.period, last)}, "
                  f"{period_description(params.period)}"),
        as_at=as_at, yot=params.yot_name, synthetic=is_synthetic(extract), threshold=t,
        sections=(
            Section("What was read", tuple(what_read), "read"),
            Section("Why rows were set aside", tuple(why_blocks), "why"),
            Section("Dates covered", tuple(coverage), "dates"),
            Section("Is each cohort complete?", (years, complete_words), "complete"),
        ),
        settings=settings(params, as_at, ("Extract folder", params.data_path().name),
                          ("Follow-up", f"{f} months"), ("Waiting period", f"{w} months")),
        summary={"rows_set_aside": set_aside, "provisional_cohorts": provisional, "empty_cohorts": empty},
    )
