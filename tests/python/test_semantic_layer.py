"""The semantic layer agrees with the marts: every MetricFlow metric, queried by rep and
month (and by fiscal quarter and year, by stage, by quota, by year of acquisition where the
mart is kept so) on the built demo, equals the mart column it stands for; a metric that no
mart carries equals a plain-Python computation over the raw tables, in the style of
independent.py. The manifest validates, the saved queries answer what their marts say, and
the `mf` command works on the demo through the read-only profile target."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from statistics import median
from typing import Any

import pytest
from metricflow_semantic_interfaces.protocols.semantic_manifest import SemanticManifest
from metricflow_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator

from salesperf.dbt_build import BuildSummary
from tests.python.helpers import query
from tests.python.independent import (
    AS_OF,
    Rates,
    add_months,
    days_lead_to_close,
    follow_up_counts,
    load_crm,
    month_of,
    stays,
)
from tests.python.helpers import reader_copy
from tests.python.semantic_layer import SEMANTIC_MANIFEST, SemanticLayer, mf_project, run_mf

REP_MONTH = ["rep", "metric_time__month"]
AS_OF_MONTH = month_of(AS_OF.date())

# mart -> {metric: the mart's column (or an expression of its columns)}, keyed (rep_id, month_start)
REP_MONTH_MARTS: dict[str, dict[str, str]] = {
    "rep_activity_monthly": {
        "calls": "calls", "emails": "emails", "meetings": "meetings", "demos": "demos",
        "sales_activities": "sales_activities", "outbound_calls": "outbound_calls", "conversations": "conversations",
        "contact_rate": "contact_rate", "opportunities_created": "opportunities_created",
        "new_business_opportunities_created": "new_business_opportunities_created",
        "opportunities_per_1000_calls": "opportunities_per_1000_calls",
    },
    "rep_funnel_monthly": {
        "outbound_calls": "outbound_calls", "meetings": "meetings", "deals_won": "deals_won",
        "call_to_meeting_rate": "call_to_meeting_rate", "meeting_to_win_rate": "meeting_to_win_rate",
        "call_to_win_rate": "call_to_win_rate",
    },
    "rep_win_rate_monthly": {
        "won_opportunities": "won", "lost_opportunities": "lost", "closed_opportunities": "won + lost",
        "revenue": "won_amount", "lost_amount": "lost_amount", "closed_amount": "won_amount + lost_amount",
        "win_rate": "win_rate", "amount_win_rate": "amount_win_rate", "avg_won_deal_size": "avg_won_deal_size",
        "avg_days_to_close_won": "avg_days_to_close_won", "median_days_to_close_won": "median_days_to_close_won",
        "avg_days_lead_to_close_won": "avg_days_lead_to_close_won",
        "median_days_lead_to_close_won": "median_days_lead_to_close_won",
    },
    "rep_follow_up_summary": {
        "closed_opportunities": "closed_opportunities", "avg_follow_ups_won": "avg_follow_ups_won",
        "avg_follow_ups_lost": "avg_follow_ups_lost", "won_with_5_plus": "won_with_5_plus",
        "share_won_with_5_plus": "share_won_with_5_plus", "lost_after_at_most_1": "lost_after_at_most_1",
        "share_lost_after_at_most_1": "share_lost_after_at_most_1",
    },
    "rep_lead_response_monthly": {
        "leads": "leads_created", "leads_responded": "leads_responded", "leads_converted": "leads_converted",
        "referrals_received": "referral_leads", "lead_response_rate": "response_rate",
        "lead_conversion_rate": "conversion_rate", "lead_response_minutes": "median_response_minutes",
    },
    "rep_scorecard_monthly": {
        "revenue": "revenue", "pipeline_generated": "pipeline_generated",
        "opportunities_created": "opportunities_created", "win_rate": "win_rate", "sales_activities": "activities",
        "contact_rate": "contact_rate", "avg_days_to_close_won": "avg_days_to_close_won",
        "lead_response_minutes": "lead_response_minutes", "upsell_attempts": "upsell_attempts",
        "upsells_won": "upsells_won", "upsell_win_rate": "upsell_win_rate", "renewals_closed": "renewals_closed",
        "renewals_won": "renewals_won", "renewal_win_rate": "renewal_win_rate",
        "referrals_received": "referrals_received", "referrals_won": "referrals_won",
    },
}
# The funnel's trailing three months: rep_funnel_monthly's monthly columns they add up.
TRAILING = {"outbound_calls_3m": "outbound_calls", "meetings_3m": "meetings", "deals_won_3m": "deals_won"}
TRAILING_RATES = {
    "call_to_meeting_rate_3m": ("meetings_3m", "outbound_calls_3m"),
    "meeting_to_win_rate_3m": ("deals_won_3m", "meetings_3m"),
    "call_to_win_rate_3m": ("deals_won_3m", "outbound_calls_3m"),
}
# quota_type -> the metric that is its actual
QUOTA_ACTUALS = {
    "revenue": "revenue", "gross_profit": "gross_profit", "units": "units", "calls": "calls", "emails": "emails",
    "meetings": "meetings", "demos": "demos", "deals": "deals_won", "new_customers": "customers_acquired",
}
QUOTA_GRAINS = {"month": "metric_time__month", "quarter": "metric_time__fiscal_quarter", "year": "metric_time__fiscal_year"}
QUOTA_COLUMNS = {
    "quota_target": "target_value", "quota_actual": "actual_value", "attainment": "attainment",
    "quota_expected_to_date": "expected_to_date", "quota_pace": "pace", "quota_projected_value": "projected_value",
    "quota_open_amount_due": "open_amount_due", "quota_overdue_open_amount": "overdue_open_amount",
    "pipeline_coverage": "pipeline_coverage",
}
COMBINED_QUOTA_COLUMNS = {"quota_count": "quotas", "quotas_met": "quotas_met"}
SEGMENT_COLUMNS = {"customers": "customers", "lifetime_value": "total_ltv", "avg_lifetime_value": "avg_ltv"}
SEGMENT_GROUPS = {
    "region, industry, acquisition_channel": ["rep__region", "account__industry", "account__acquisition_channel"],
    "region": ["rep__region"], "industry": ["account__industry"], "acquisition_channel": ["account__acquisition_channel"],
}
LTV_COLUMNS = {
    "customers_acquired": "customers_acquired", "customer_ltv": "total_customer_ltv",
    "avg_customer_ltv": "avg_customer_ltv", "loaded_cost": "loaded_cost", "ltv_to_cost_ratio": "ltv_to_cost_ratio",
}
STAGE_COLUMNS = {
    "completed_stage_stays": "stays", "avg_days_in_stage": "avg_days_in_stage",
    "median_days_in_stage": "median_days_in_stage",
}
# additive metrics whose monthly mart column also gives their fiscal quarters and years
FISCAL_SUMS = {
    "calls": ("rep_activity_monthly", "calls"), "outbound_calls": ("rep_activity_monthly", "outbound_calls"),
    "opportunities_created": ("rep_activity_monthly", "opportunities_created"),
    "revenue": ("rep_win_rate_monthly", "won_amount"), "won_opportunities": ("rep_win_rate_monthly", "won"),
    "deals_won": ("rep_funnel_monthly", "deals_won"), "leads": ("rep_lead_response_monthly", "leads_created"),
    "pipeline_generated": ("rep_scorecard_monthly", "pipeline_generated"),
}
# metrics no mart carries, each checked against a plain-Python computation below
PLAIN_PYTHON = {
    "stage_entries", "completed_stage_seconds", "leads_won", "lead_to_won_deal_rate", "open_opportunities",
    "open_pipeline", "upsells_closed", "gross_profit", "units", "won_days_to_close", "won_follow_ups",
    "lost_follow_ups", "won_days_lead_to_close", "won_from_leads",
}
# checked against a sum of mart columns over periods
MART_SUMS = {"pipeline_generated_quarter_to_date": "rep_scorecard_monthly.pipeline_generated, quarter to date",
             "working_days": "dim_months.working_days"}


@pytest.fixture(scope="module")
def reader_warehouse(built_demo: tuple[Path, BuildSummary], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built demo as the semantic layer reads it: read-only, from a copy (helpers.reader_copy)."""
    path, summary = built_demo
    assert summary.success
    return reader_copy(path, tmp_path_factory.mktemp("reader"))


@pytest.fixture(scope="module")
def layer(reader_warehouse: Path, demo_dbt_target: Path) -> SemanticLayer:
    return SemanticLayer(demo_dbt_target, reader_warehouse)


@pytest.fixture(scope="module")
def crm(built_demo: tuple[Path, BuildSummary]) -> dict:
    return load_crm(built_demo[0])


@pytest.fixture(scope="module")
def manifest_json(built_demo: tuple[Path, BuildSummary], demo_dbt_target: Path) -> dict:
    """The semantic manifest as dbt wrote it (MetricFlow's reading adds metrics of its own)."""
    return json.loads((demo_dbt_target / SEMANTIC_MANIFEST).read_text())


def empty_value(manifest_json: dict) -> Callable[[str], Any]:
    """What a metric reads where the semantic layer has no row: 0 for a count or amount
    that fills its gaps with 0, null for a rate, a ratio or a median."""
    filled = set()
    for metric in manifest_json["metrics"]:
        measure = metric["type_params"].get("measure") or {}
        if measure.get("fill_nulls_with") == 0:
            filled.add(metric["name"])
    return lambda metric: 0 if metric in filled else None


def same(a: Any, b: Any) -> bool:
    """Counts and money exactly, rates to the last bits of a double."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return Decimal(str(a)) == Decimal(str(b))


def mart_cells(path: Path, mart: str, keys: list[str], columns: dict[str, str], where: str = "true") -> dict:
    """(key columns) -> {metric: the mart's value}."""
    select = ", ".join([*keys, *(f"{expression} as {metric}" for metric, expression in columns.items())])
    rows = query(path, f"select {select} from marts.{mart} where {where}")
    return {tuple(row[: len(keys)]): dict(zip(columns, row[len(keys):])) for row in rows}


def differences(
    got: dict[tuple, dict], expected: dict[tuple, dict], empty: Callable[[str], Any],
    extra_ok: Callable[[tuple, dict], bool] = lambda key, values: False,
) -> list[str]:
    """Where the semantic layer and the expected cells disagree: a value of an expected cell
    (a cell the layer lacks reads as the metric's empty value), or a cell only the layer has
    that extra_ok does not explain."""
    problems = []
    for key, values in expected.items():
        for metric, value in values.items():
            mine = got.get(key, {}).get(metric, empty(metric))
            if not same(mine, value):
                problems.append(f"{metric} at {key}: semantic layer {mine!r}, expected {value!r}")
    for key in got.keys() - expected.keys():
        if not extra_ok(key, got[key]):
            problems.append(f"only in the semantic layer: {key} {got[key]}")
    return problems


# ------------------------------------------------------------------ the manifest


def test_every_metric_is_checked_against_a_mart_or_plain_python(manifest_json: dict) -> None:
    declared = {metric["name"] for metric in manifest_json["metrics"]}
    checked = (
        {metric for columns in REP_MONTH_MARTS.values() for metric in columns}
        | set(TRAILING) | set(TRAILING_RATES) | set(QUOTA_ACTUALS.values()) | set(QUOTA_COLUMNS)
        | set(LTV_COLUMNS) | set(STAGE_COLUMNS) | set(COMBINED_QUOTA_COLUMNS) | set(SEGMENT_COLUMNS)
        | PLAIN_PYTHON | set(MART_SUMS)
    )
    assert declared == checked, (declared - checked, checked - declared)
    kinds = {metric["type"] for metric in manifest_json["metrics"]}
    assert kinds == {"simple", "ratio", "derived", "cumulative", "conversion"}
    assert [metric["name"] for metric in manifest_json["metrics"] if not metric["description"].strip()] == []


def test_the_semantic_manifest_validates(layer: SemanticLayer) -> None:
    """MetricFlow's own validation: no errors. Its only warnings come from reading dbt's
    measures: it turns each into a metric and then notes that a cumulative or conversion
    metric has both."""
    results = SemanticManifestValidator[SemanticManifest]().validate_semantic_manifest(layer.manifest)
    assert not results.errors and not results.future_errors, [issue.message for issue in results.all_issues]
    assert all("should not have both" in warning.message for warning in results.warnings)


def test_the_time_spine_is_dim_dates_with_fiscal_granularities(manifest_json: dict) -> None:
    (spine,) = manifest_json["project_configuration"]["time_spines"]
    assert spine["node_relation"]["alias"] == "dim_dates"
    assert spine["primary_column"] == {"name": "date_day", "time_granularity": "day"}
    assert {g["name"]: g["column_name"] for g in spine["custom_granularities"]} == {
        "fiscal_quarter": "fiscal_quarter_start", "fiscal_year": "fiscal_year_start",
    }


def test_every_fact_credits_the_rep_its_mart_credits(manifest_json: dict) -> None:
    """The entity `rep` of each semantic model is the column the mart credits: the creator
    for deals created, the owner at the close for deals closed, the owner at as_of for the
    open pipeline, the acquiring rep for customers, the quota's owner."""
    credit = {
        model["name"]: next(entity["expr"] for entity in model["entities"] if entity["name"] == "rep")
        for model in manifest_json["semantic_models"]
        if any(entity["name"] == "rep" for entity in model["entities"])
    }
    assert credit == {
        "activities": "rep_id", "leads": "rep_id", "opportunities": "rep_id",
        "opportunity_creations": "creating_rep_id", "opportunity_closes": "closing_rep_id",
        "stage_stays": "rep_id", "quotas": "owner_id", "accounts": "acquiring_rep_id", "rep_costs": "rep_id",
        "reps": "rep_id",
    }


# ------------------------------------------------------------------ against the marts


@pytest.mark.parametrize("mart", list(REP_MONTH_MARTS))
def test_rep_month_metrics_equal_their_mart(
    mart: str, layer: SemanticLayer, built_demo: tuple[Path, BuildSummary], manifest_json: dict,
) -> None:
    """Every rep-month of the mart, zeros included; the semantic layer has no rep-month the
    mart lacks."""
    columns = REP_MONTH_MARTS[mart]
    expected = mart_cells(built_demo[0], mart, ["rep_id", "month_start"], columns)
    got = layer.cells(list(columns), REP_MONTH)
    assert len(expected) >= 50
    assert differences(got, expected, empty_value(manifest_json)) == []


def test_trailing_three_month_funnel_equals_rep_funnel_monthly(
    layer: SemanticLayer, built_demo: tuple[Path, BuildSummary], manifest_json: dict,
) -> None:
    """The cumulative inputs and the ratios derived from them, on every rep-month of the
    mart. The window also reaches the two months after a rep's last month (and after
    as_of), which the mart does not show: those read the sums of the mart's months."""
    path = built_demo[0]
    columns = {**{metric: metric for metric in TRAILING}, **{metric: metric for metric in TRAILING_RATES}}
    expected = mart_cells(path, "rep_funnel_monthly", ["rep_id", "month_start"], columns)
    monthly = mart_cells(path, "rep_funnel_monthly", ["rep_id", "month_start"], {m: m for m in TRAILING.values()})
    got = layer.cells(list(columns), REP_MONTH)
    last_month: dict[str, date] = {}
    for rep, month in monthly:
        last_month[rep] = max(month, last_month.get(rep, month))

    def window_sums(key: tuple, values: dict) -> bool:
        rep, month = key
        if not last_month.get(rep, date.max) < month <= add_months(last_month[rep], 2):
            return False
        sums = {
            metric: sum(monthly.get((rep, add_months(month, -back)), {}).get(column, 0) for back in range(3))
            for metric, column in TRAILING.items()
        }
        for metric, (numerator, denominator) in TRAILING_RATES.items():
            sums[metric] = sums[numerator] / sums[denominator] if sums[denominator] else None
        return all(same(values[metric], sums[metric]) for metric in columns)

    # MetricFlow fills no gap of a cumulative metric beside other metrics: a rep-month
    # without a win in the window reads null (the metric's description says so); it must
    # be one the mart counts 0 for
    unfilled = [(key, metric) for key, values in got.items() for metric in TRAILING if values[metric] is None]
    for key, metric in unfilled:
        got[key][metric] = 0
    assert ("deals_won_3m" in {metric for _, metric in unfilled}), "an SDR wins no deal"
    assert differences(got, expected, empty_value(manifest_json), window_sums) == []
    assert any(key not in expected for key in got), "the window reaches past the last month"


def test_quota_metrics_equal_quota_attainment(layer: SemanticLayer, built_demo: tuple[Path, BuildSummary]) -> None:
    expected = mart_cells(built_demo[0], "quota_attainment", ["quota_id"], QUOTA_COLUMNS)
    got = layer.cells(list(QUOTA_COLUMNS), ["quota"])
    assert len(expected) > 1000
    assert differences(got, expected, lambda metric: None) == []


def test_combined_quota_counts_equal_rep_combined_quota(
    layer: SemanticLayer, built_demo: tuple[Path, BuildSummary],
) -> None:
    expected = mart_cells(built_demo[0], "rep_combined_quota", ["rep_id", "period_type", "period_start"],
                          COMBINED_QUOTA_COLUMNS)
    got = layer.cells(list(COMBINED_QUOTA_COLUMNS), ["rep", "quota__period_type", "metric_time__day"],
                      where=["{{ Dimension('quota__scope') }} = 'rep'"])
    assert any(values["quotas_met"] for values in expected.values())
    assert differences(got, expected, lambda metric: None) == []


def test_customer_value_by_segment_equals_ltv_by_segment(
    layer: SemanticLayer, built_demo: tuple[Path, BuildSummary],
) -> None:
    """Each of ltv_by_segment's four levels: the acquiring rep's region, the industry and the
    channel crossed, and each alone."""
    for segment, group_by in SEGMENT_GROUPS.items():
        columns = ["region", "industry", "acquisition_channel"]
        kept = [column for column in columns if f"__{column}" in " ".join(group_by)]
        expected = mart_cells(built_demo[0], "ltv_by_segment", kept, SEGMENT_COLUMNS, f"segment = '{segment}'")
        assert differences(layer.cells(list(SEGMENT_COLUMNS), group_by), expected, lambda metric: None) == [], segment


def test_revenue_quota_attainment_by_rep_and_month_equals_the_scorecard(
    layer: SemanticLayer, built_demo: tuple[Path, BuildSummary],
) -> None:
    """rep_scorecard_monthly.revenue_quota_attainment: the rep's monthly revenue quota; the
    layer also has the quotas planned for months after as_of."""
    expected = mart_cells(
        built_demo[0], "rep_scorecard_monthly", ["rep_id", "month_start"],
        {"attainment": "revenue_quota_attainment"}, "revenue_quota is not null",
    )
    got = layer.cells(["attainment"], REP_MONTH, where=[
        "{{ Dimension('quota__scope') }} = 'rep'", "{{ Dimension('quota__period_type') }} = 'month'",
        "{{ Dimension('quota__quota_type') }} = 'revenue'",
    ])
    assert len(expected) > 30
    assert differences(got, expected, lambda metric: None, lambda key, _: key[1] > AS_OF_MONTH) == []


@pytest.mark.parametrize(("scope", "period_type"), [
    ("rep", "month"), ("rep", "quarter"), ("team", "month"), ("team", "quarter"), ("team", "year"),
])
def test_each_quota_actual_is_its_metric_at_the_fiscal_grain_of_the_period(
    scope: str, period_type: str, layer: SemanticLayer, built_demo: tuple[Path, BuildSummary],
) -> None:
    """quota_attainment.actual_value of every rep and team quota, from the metric of its
    type at its period's grain (month, fiscal quarter, fiscal year): by rep for a rep's
    quota, by the reps' manager for a team's."""
    path = built_demo[0]
    owner = "rep" if scope == "rep" else "rep__manager_id"
    grain = QUOTA_GRAINS[period_type]
    rows = query(path, "select owner_id, period_start, quota_type, actual_value from marts.quota_attainment"
                       f" where scope = '{scope}' and period_type = '{period_type}'")
    types = {quota_type for *_, quota_type, _ in rows}
    assert types and types <= set(QUOTA_ACTUALS)
    metrics = sorted({QUOTA_ACTUALS[quota_type] for quota_type in types})
    got = layer.cells(metrics, [owner, grain])
    problems = []
    for owner_id, start, quota_type, actual in rows:
        metric = QUOTA_ACTUALS[quota_type]
        mine = got.get((owner_id, start), {}).get(metric, 0)
        if not same(mine, actual):
            problems.append(f"{quota_type} of {owner_id} from {start}: semantic layer {mine}, mart {actual}")
    assert problems == []


def test_ltv_metrics_equal_rep_ltv_by_year_and_all_time(
    layer: SemanticLayer, built_demo: tuple[Path, BuildSummary], manifest_json: dict,
) -> None:
    path = built_demo[0]
    yearly = {
        (rep, date(year, 1, 1)): values
        for (rep, year), values in mart_cells(path, "rep_ltv", ["rep_id", "year"], LTV_COLUMNS, "not is_all_time").items()
    }
    all_time = mart_cells(path, "rep_ltv", ["rep_id"], LTV_COLUMNS, "is_all_time")
    empty = empty_value(manifest_json)
    assert differences(layer.cells(list(LTV_COLUMNS), ["rep", "metric_time__year"]), yearly, empty) == []
    assert differences(layer.cells(list(LTV_COLUMNS), ["rep"]), all_time, empty) == []
    assert any(values["customers_acquired"] for values in all_time.values())


def test_stage_duration_metrics_equal_stage_durations(
    layer: SemanticLayer, built_demo: tuple[Path, BuildSummary], manifest_json: dict,
) -> None:
    """By rep and stage, and over all reps (the mart's rows with a null rep_id). Only
    completed stays count: a group of current stays alone has no row in the mart; nor does
    a stay of a deal without an owner under a rep."""
    path = built_demo[0]
    empty = empty_value(manifest_json)

    def no_completed(key: tuple, values: dict) -> bool:
        return values["completed_stage_stays"] == 0 or key[0] is None

    by_rep = mart_cells(path, "stage_durations", ["rep_id", "stage_name"], STAGE_COLUMNS, "rep_id is not null")
    got = layer.cells(list(STAGE_COLUMNS), ["rep", "stage_stay__stage_name"])
    assert differences(got, by_rep, empty, no_completed) == []
    all_reps = mart_cells(path, "stage_durations", ["stage_name"], STAGE_COLUMNS, "rep_id is null")
    got = layer.cells(list(STAGE_COLUMNS), ["stage_stay__stage_name"])
    assert differences(got, all_reps, empty, lambda key, values: values["completed_stage_stays"] == 0) == []


@pytest.mark.parametrize("grain", ["fiscal_quarter", "fiscal_year"])
def test_additive_metrics_at_fiscal_grains_sum_the_mart_months(
    grain: str, layer: SemanticLayer, built_demo: tuple[Path, BuildSummary],
) -> None:
    """A fiscal quarter or year of an additive metric is the sum of the mart's months in it
    (dim_months says which)."""
    path = built_demo[0]
    got = layer.cells(list(FISCAL_SUMS), ["rep", f"metric_time__{grain}"])
    expected: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(FISCAL_SUMS, 0))
    for metric, (mart, column) in FISCAL_SUMS.items():
        for rep, period, value in query(
            path,
            f"select m.rep_id, d.{grain}_start, sum(m.{column}) from marts.{mart} as m"
            f" inner join marts.dim_months as d on m.month_start = d.month_start group by 1, 2",
        ):
            expected[(rep, period)][metric] = value
    assert differences(got, dict(expected), lambda metric: 0) == []


def test_working_days_equal_dim_months(layer: SemanticLayer, built_demo: tuple[Path, BuildSummary]) -> None:
    path = built_demo[0]
    for grain, column in (("month", "month_start"), ("fiscal_quarter", "fiscal_quarter_start"),
                          ("fiscal_year", "fiscal_year_start")):
        expected = {
            (period,): {"working_days": days}
            for period, days in query(path, f"select {column}, sum(working_days) from marts.dim_months group by 1")
        }
        assert differences(layer.cells(["working_days"], [f"metric_time__{grain}"]), expected, lambda m: 0) == []


def test_pipeline_generated_quarter_to_date_sums_the_quarter_months(
    layer: SemanticLayer, built_demo: tuple[Path, BuildSummary],
) -> None:
    """At month grain, the scorecard's pipeline_generated summed from the first month of the
    calendar quarter to this one; the months after a rep's last month still read the
    quarter's total so far."""
    monthly = mart_cells(
        built_demo[0], "rep_scorecard_monthly", ["rep_id", "month_start"], {"p": "pipeline_generated"},
    )

    def quarter_to_date(rep: str, month: date) -> Decimal:
        start = month.replace(month=(month.month - 1) // 3 * 3 + 1)
        return sum((values["p"] for (r, m), values in monthly.items() if r == rep and start <= m <= month),
                   Decimal(0))

    got = layer.cells(["pipeline_generated_quarter_to_date"], REP_MONTH)
    expected = {key: {"pipeline_generated_quarter_to_date": quarter_to_date(*key)} for key in monthly}
    months = defaultdict(list)
    for rep, month in monthly:
        months[rep].append(month)

    def after_last_month(key: tuple, values: dict) -> bool:
        rep, month = key
        return month > max(months[rep]) and same(values["pipeline_generated_quarter_to_date"],
                                                 quarter_to_date(rep, month))

    assert differences(got, expected, lambda metric: 0, after_last_month) == []


# ------------------------------------------------------------------ against plain Python


def test_stage_entries_by_rep_month_and_stage(layer: SemanticLayer, crm: dict) -> None:
    """A stay begins when the deal's history enters a stage (runs of rows in one stage are
    one stay), credited to the owner then."""
    expected: dict[tuple, dict] = defaultdict(lambda: {"stage_entries": 0})
    for deal_id, deal in crm["opportunities"].items():
        for stage, entered, _ in stays(deal["history"]):
            rep = crm["ownership"].credited_at(deal_id, deal["current_owner"], entered)
            expected[(rep, month_of(entered.date()), stage)]["stage_entries"] += 1
    got = layer.cells(["stage_entries"], [*REP_MONTH, "stage_stay__stage_name"])
    assert sum(v["stage_entries"] for v in expected.values()) > 1000
    assert differences(got, dict(expected), lambda metric: 0) == []


def test_completed_stage_seconds_by_rep_and_stage(layer: SemanticLayer, crm: dict) -> None:
    expected: dict[tuple, dict] = defaultdict(lambda: {"completed_stage_seconds": 0})
    for deal_id, deal in crm["opportunities"].items():
        for stage, entered, exited in stays(deal["history"]):
            if exited is not None:
                rep = crm["ownership"].credited_at(deal_id, deal["current_owner"], entered)
                expected[(rep, stage)]["completed_stage_seconds"] += int((exited - entered).total_seconds())
    got = layer.cells(["completed_stage_seconds"], ["rep", "stage_stay__stage_name"])
    assert differences(got, dict(expected), lambda metric: 0, lambda key, v: v["completed_stage_seconds"] == 0) == []


def lead_wins(crm: dict) -> dict[tuple, list[int]]:
    """(lead owner, month the lead was created) -> [leads created, leads that became a won
    deal]: a lead converted by as_of into a deal won on or after the lead's creation date;
    where several such leads went into one deal, the win is the last-created one's."""
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    winners: dict[str, tuple[date, str]] = {}
    for lead_id, lead in crm["leads"].items():
        created = lead["created"].date()
        cells[(lead["owner"], month_of(created))][0] += 1
        deal = crm["opportunities"].get(lead["converted_opportunity"])
        if deal is not None and deal["is_won"] and deal["close_date"] >= created:
            best = winners.get(lead["converted_opportunity"])
            assert best is None or best[0] != created, "two leads of one deal created the same day"
            if best is None or created > best[0]:
                winners[lead["converted_opportunity"]] = (created, lead_id)
    for _, lead_id in winners.values():
        lead = crm["leads"][lead_id]
        cells[(lead["owner"], month_of(lead["created"].date()))][1] += 1
    return dict(cells)


def test_lead_to_won_deal_conversion(layer: SemanticLayer, crm: dict) -> None:
    cells = lead_wins(crm)
    expected = {
        key: {"leads_won": won, "lead_to_won_deal_rate": won / created} for key, (created, won) in cells.items()
    }
    got = layer.cells(["leads_won", "lead_to_won_deal_rate"], REP_MONTH)
    assert sum(won for _, won in cells.values()) > 20
    assert differences(got, expected, lambda metric: 0 if metric == "leads_won" else None) == []


def open_pipeline(crm: dict, by: Callable[[dict], tuple]) -> dict[tuple, dict]:
    cells: dict[tuple, dict] = defaultdict(lambda: {"open_opportunities": 0, "open_pipeline": Decimal(0)})
    for deal in crm["opportunities"].values():
        if not deal["is_closed"]:
            cell = cells[by(deal)]
            cell["open_opportunities"] += 1
            cell["open_pipeline"] += deal["amount"] or Decimal(0)
    return dict(cells)


def test_open_pipeline_by_owner_at_as_of_and_stage(layer: SemanticLayer, crm: dict) -> None:
    expected = open_pipeline(crm, lambda deal: (deal["owner"], deal["stage"]))
    got = layer.cells(["open_opportunities", "open_pipeline"], ["rep", "opportunity__stage_name"])
    assert sum(v["open_opportunities"] for v in expected.values()) > 100
    assert differences(got, expected, lambda metric: 0) == []


def closed_deal_cells(crm: dict) -> dict[tuple, dict]:
    """(closer, month of close) -> upsells won or lost; the won deals' days to close, days
    from their lead to close (those from a lead), gross profit and units (line items: price
    in the corporate currency at the close date's rate, less quantity x the product's
    standard cost; a line without a cost has no profit); the follow-ups of the won and of
    the lost deals."""
    path = crm["path"]
    costs = dict(query(path, "select id, unit_cost_c from raw.product_2 where not is_deleted"))
    lines: dict[str, list[tuple]] = defaultdict(list)
    for opp, product, quantity, total, currency in query(
        path, "select opportunity_id, product_2_id, quantity, total_price, currency_iso_code"
              " from raw.opportunity_line_item where not is_deleted",
    ):
        lines[opp].append((product, quantity, total, currency))
    rates = Rates(path)
    follow_ups = follow_up_counts(crm["activities"], crm["opportunities"], crm["leads"])
    lead_days = days_lead_to_close(crm["opportunities"], crm["leads"])
    cells: dict[tuple, dict] = defaultdict(lambda: {
        "upsells_closed": 0, "won_days_to_close": 0, "gross_profit": Decimal(0), "units": Decimal(0),
        "won_follow_ups": 0, "lost_follow_ups": 0, "won_days_lead_to_close": 0, "won_from_leads": 0,
    })
    for deal_id, deal in crm["opportunities"].items():
        if not deal["is_closed"]:
            continue
        cell = cells[(deal["closer"], month_of(deal["close_date"]))]
        cell["upsells_closed"] += deal["category"] == "upsell"
        if not deal["is_won"]:
            cell["lost_follow_ups"] += follow_ups[deal_id]
            continue
        cell["won_follow_ups"] += follow_ups[deal_id]
        cell["won_days_to_close"] += (deal["close_date"] - deal["created"].date()).days
        if lead_days[deal_id] is not None:
            cell["won_days_lead_to_close"] += lead_days[deal_id]
            cell["won_from_leads"] += 1
        for product, quantity, total, currency in lines[deal_id]:
            cell["units"] += quantity or 0
            price = rates.to_corporate(total, currency or deal["currency"], deal["close_date"])
            if price is not None and costs.get(product) is not None:
                cell["gross_profit"] += price - quantity * costs[product]
    return dict(cells)


def test_closed_deal_metrics_without_a_mart_column(layer: SemanticLayer, crm: dict) -> None:
    """The numerators and denominators no mart shows (upsells_closed, won_days_to_close,
    the follow-ups, the days from lead to close), and gross profit and units on every
    rep-month (the quota marts carry them only where a quota exists)."""
    expected = closed_deal_cells(crm)
    got = layer.cells(list(next(iter(expected.values()))), REP_MONTH)
    assert sum(v["gross_profit"] for v in expected.values()) > 0
    assert sum(v["upsells_closed"] for v in expected.values()) > 0
    assert differences(got, expected, lambda metric: 0) == []


# ------------------------------------------------------------------ saved queries


def test_team_attainment_this_quarter(layer: SemanticLayer, built_demo: tuple[Path, BuildSummary]) -> None:
    rows = layer.saved_query("team_attainment_this_quarter")
    columns = {metric: column for metric, column in QUOTA_COLUMNS.items() if metric in rows[0]}
    assert {"quota_target", "quota_actual", "attainment", "quota_pace", "pipeline_coverage"} <= set(columns)
    got = {
        (row["rep"], row["quota__quota_type"], row["metric_time__fiscal_quarter"]): {m: row[m] for m in columns}
        for row in rows
    }
    expected = mart_cells(
        built_demo[0], "quota_attainment", ["owner_id", "quota_type", "period_start"], columns,
        "scope = 'team' and period_type = 'quarter' and period_state = 'current'",
    )
    assert len(expected) >= 2
    assert differences(got, expected, lambda metric: None) == []
    assert all(row["rep__rep_name"] for row in rows)


def test_open_pipeline_by_stage(layer: SemanticLayer, crm: dict) -> None:
    rows = layer.saved_query("open_pipeline_by_stage")
    assert [row["opportunity__stage_order"] for row in rows] == sorted(row["opportunity__stage_order"] for row in rows)
    got = {(row["opportunity__stage_name"],): {m: row[m] for m in ("open_opportunities", "open_pipeline")} for row in rows}
    assert differences(got, open_pipeline(crm, lambda deal: (deal["stage"],)), lambda metric: 0) == []


def test_rep_funnel_by_month(layer: SemanticLayer, built_demo: tuple[Path, BuildSummary]) -> None:
    """Every rep-month of rep_funnel_monthly with something in it; the months past a rep's
    last month are the trailing window's, checked above."""
    rows = layer.saved_query("rep_funnel_by_month")
    columns = {**REP_MONTH_MARTS["rep_funnel_monthly"], **{metric: metric for metric in TRAILING_RATES}}
    got = {(row["rep"], row["metric_time__month"]): {metric: row[metric] for metric in columns} for row in rows}
    expected = mart_cells(built_demo[0], "rep_funnel_monthly", ["rep_id", "month_start"], columns)
    assert [row["rep"] for row in rows] == sorted(row["rep"] for row in rows)
    assert differences(got, expected, lambda metric: 0 if metric in TRAILING.values() else None,
                       lambda key, values: key not in expected) == []


# ------------------------------------------------------------------ the mf command


def test_mf_validates_and_queries_the_demo_read_only(
    built_demo: tuple[Path, BuildSummary], reader_warehouse: Path, demo_dbt_target: Path, tmp_path: Path,
) -> None:
    """`mf validate-configs` (the semantic checks and a query of every semantic model,
    dimension, entity, measure and metric on the warehouse) and `mf query --csv`, run as a
    user runs them: from a project folder holding target/semantic_manifest.json, on the
    project's profiles with the read-only target."""
    path = built_demo[0]
    project = mf_project(demo_dbt_target, tmp_path / "project")
    validated = run_mf(["validate-configs"], project, reader_warehouse)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "ERRORS: 0" in validated.stdout and "against data warehouse" in validated.stdout
    assert "• ERROR" not in validated.stdout, validated.stdout
    out = tmp_path / "win_rate.csv"
    queried = run_mf(["query", "--metrics", "win_rate,revenue", "--group-by", "rep,metric_time__month",
                      "--csv", str(out)], project, reader_warehouse)
    assert queried.returncode == 0, queried.stdout + queried.stderr
    with out.open(newline="") as f:
        got = {
            (row["rep"], datetime.fromisoformat(row["metric_time__month"]).date()):
                {"win_rate": float(row["win_rate"]) if row["win_rate"] else None, "revenue": Decimal(row["revenue"])}
            for row in csv.DictReader(f)
        }
    expected = mart_cells(path, "rep_win_rate_monthly", ["rep_id", "month_start"],
                          {"win_rate": "win_rate", "revenue": "won_amount"})
    assert differences(got, expected, lambda metric: None) == []


def test_median_metrics_are_not_summed(layer: SemanticLayer, built_demo: tuple[Path, BuildSummary]) -> None:
    """A median read at a coarser grain is the median of the period's deals, not a sum of
    monthly medians: the all-time median days to close of each rep's won deals."""
    rows = query(built_demo[0], "select closing_rep_id, days_to_close from marts.fct_opportunities where is_won")
    days: dict[str, list[int]] = defaultdict(list)
    for rep, value in rows:
        days[rep].append(value)
    expected = {(rep,): {"median_days_to_close_won": float(median(values))} for rep, values in days.items()}
    assert differences(layer.cells(["median_days_to_close_won"], ["rep"]), expected, lambda metric: None) == []
