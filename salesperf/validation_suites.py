"""The expectation suites the marts must meet before a build is published: one per mart,
kept as code beside the models they check.

Each suite states the mart's key, the range of every rate and ratio as
`../shared/spec/metrics.md` defines it (a share of a group in [0, 1]; a flow ratio or a
multiple >= 0 with no upper bound; nulls allowed, since every rate is null where its
denominator is 0), that money and counts are not negative, and, for win rate and quota
attainment, where the bulk of the values must lie. The row-count bound against the
published build is added when the previous counts are known (`row_count_floor`).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import great_expectations as gx
from great_expectations.expectations import Expectation
from great_expectations.expectations.row_conditions import Column

# A mart may lose at most this share of the rows it had in the published build: the data
# only grows between scheduled builds (the CRM keeps its history, as_of moves forward), so
# losing more than half of a mart means a broken load or model, not a quiet month.
MAX_ROW_SHRINK = 0.5

# Win rate: the median rep-month lies in this band. Published B2B win rates are 15-35%
# (the demo's median is about 0.29); a median of 0 or 1 means won or lost deals went
# missing, which no single row's range reveals.
WIN_RATE_MEDIAN = (0.05, 0.75)

# Quota attainment of the periods that are over: the median lies in this band and at most
# ATTAINMENT_OUTLIER_SHARE of the values exceed ATTAINMENT_OUTLIER_MULTIPLE. Quotas are set
# to be reachable (the demo's median is about 1.0); actuals held against the wrong
# period's target land near 1/3 (a month against its quarter), 1/12 or 3, and a percent
# stored as a share lands near 100.
ATTAINMENT_MEDIAN = (0.5, 2.0)
ATTAINMENT_OUTLIER_MULTIPLE = 5.0
ATTAINMENT_OUTLIER_SHARE = 0.05

PAST = Column("period_state") == "past"
# Gross profit can be negative (line items sold below cost), and so can its actual,
# attainment, pace and projection: the non-negative rules hold for the other quota types.
NOT_GROSS_PROFIT = Column("quota_type") != "gross_profit"


@dataclass(frozen=True)
class MartSuite:
    """The expectations one mart must meet. `key` is the column (or columns) each row is
    unique on; `bounded_row_count` is False for a mart that may rightly empty between
    builds (no row quarantined, no deal stale)."""

    mart: str
    key: tuple[str, ...]
    expectations: tuple[Expectation, ...]
    bounded_row_count: bool = True
    grain: tuple[str, ...] = field(default=())

    def all_expectations(self, previous_rows: int | None) -> list[Expectation]:
        """The suite's expectations, with the row-count bound against the previous published
        build when that build had the mart."""
        # copies: a suite binds the expectations it holds, and these are run again by every
        # validation in the same process
        found = _key(self.key) + _key(self.grain, not_null=False) + [copy.copy(e) for e in self.expectations]
        floor = row_count_floor(previous_rows) if self.bounded_row_count else None
        if floor:
            found.append(gx.expectations.ExpectTableRowCountToBeBetween(
                min_value=floor,
                notes=f"at most {MAX_ROW_SHRINK:.0%} fewer rows than the {previous_rows} of the published build",
            ))
        return found

    def suite(self, previous_rows: int | None) -> gx.ExpectationSuite:
        return gx.ExpectationSuite(name=self.mart, expectations=self.all_expectations(previous_rows))


def row_count_floor(previous_rows: int | None) -> int | None:
    """The fewest rows a mart may have, given its rows in the published build: none
    without a published build or when that had no rows; otherwise at least one."""
    if not previous_rows:
        return None
    return max(1, math.ceil(previous_rows * (1 - MAX_ROW_SHRINK)))


def _key(columns: tuple[str, ...], not_null: bool = True) -> list[Expectation]:
    if not columns:
        return []
    if len(columns) > 1:
        return [gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=list(columns))]
    found: list[Expectation] = [gx.expectations.ExpectColumnValuesToBeUnique(column=columns[0])]
    if not_null:
        found.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=columns[0]))
    return found


def share(*columns: str) -> list[Expectation]:
    """A share of a group: in [0, 1], null where the group is empty."""
    return [gx.expectations.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1) for c in columns]


def at_least_zero(*columns: str, row_condition=None) -> list[Expectation]:
    """Money, counts, flow ratios and multiples: >= 0, with no upper bound (a flow ratio
    may exceed 1 in a thin month; attainment above 1 is a quota beaten)."""
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(column=c, min_value=0, row_condition=row_condition)
        for c in columns
    ]


def positive(*columns: str) -> list[Expectation]:
    return [gx.expectations.ExpectColumnValuesToBeBetween(column=c, min_value=0, strict_min=True) for c in columns]


def win_rate_distribution(column: str) -> list[Expectation]:
    low, high = WIN_RATE_MEDIAN
    return [gx.expectations.ExpectColumnMedianToBeBetween(
        column=column, min_value=low, max_value=high,
        notes="the median rep-month win rate of a working sales team; 0 or 1 means won or lost deals are missing",
    )]


def attainment_distribution(column: str, row_condition=None) -> list[Expectation]:
    low, high = ATTAINMENT_MEDIAN
    return [
        gx.expectations.ExpectColumnMedianToBeBetween(
            column=column, min_value=low, max_value=high, row_condition=row_condition,
            notes="quotas are set to be reachable; an actual against the wrong period's target"
                  " or a percent lands outside",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=column, max_value=ATTAINMENT_OUTLIER_MULTIPLE, mostly=1 - ATTAINMENT_OUTLIER_SHARE,
            row_condition=row_condition,
            notes=f"at most {ATTAINMENT_OUTLIER_SHARE:.0%} of the periods beat their target"
                  f" {ATTAINMENT_OUTLIER_MULTIPLE:g} times over",
        ),
    ]


def _suite(mart: str, key: str | tuple[str, ...], *groups: list[Expectation], bounded_row_count: bool = True,
           grain: tuple[str, ...] = ()) -> MartSuite:
    return MartSuite(
        mart=mart,
        key=(key,) if isinstance(key, str) else key,
        expectations=tuple(e for group in groups for e in group),
        bounded_row_count=bounded_row_count,
        grain=grain,
    )


REP_MONTH = ("rep_id", "month_start")

SUITES: tuple[MartSuite, ...] = (
    # core
    _suite("dim_dates", "date_day"),
    _suite("dim_months", "month_start",
           at_least_zero("calendar_days", "working_days", "working_days_elapsed", "working_days_left")),
    _suite("dim_reps", "rep_id"),
    _suite("dim_accounts", "account_id", at_least_zero("lifetime_value", "won_opportunities")),
    # pipeline
    _suite("fct_opportunities", "opportunity_id",
           at_least_zero("amount", "amount_in_currency", "units", "days_to_close", "activity_count",
                         "follow_up_count"),
           # units of the deal's currency per unit of the corporate one: a price, never 0
           positive("conversion_rate"),
           # Salesforce probability is a percent
           [gx.expectations.ExpectColumnValuesToBeBetween(column="probability", min_value=0, max_value=100)]),
    _suite("fct_stage_intervals", "stage_interval_id", at_least_zero("seconds_in_stage", "days_in_stage")),
    _suite("stage_durations", "stage_durations_id",
           at_least_zero("stays", "avg_days_in_stage", "median_days_in_stage"), grain=("rep_id", "stage_name")),
    # a clean pipeline has no stale deal: the mart may rightly empty
    _suite("stale_opportunities", "opportunity_id",
           at_least_zero("amount", "days_in_stage", "stage_avg_days_in_stage", "stale_after_days"),
           bounded_row_count=False),
    _suite("pipeline_snapshot", "pipeline_snapshot_id",
           at_least_zero("open_opportunities", "open_amount", "weighted_amount"),
           grain=("snapshot_date", "rep_id", "stage_name")),
    _suite("rep_stage_conversion", "rep_stage_conversion_id",
           share("conversion_rate", "conversion_rate_to_date"),
           at_least_zero("reached_from", "reached_next", "still_open"),
           grain=("rep_id", "cohort_month", "from_stage")),
    _suite("rep_win_rate_monthly", "rep_win_rate_monthly_id",
           share("win_rate", "amount_win_rate"),
           at_least_zero("won", "lost", "won_amount", "lost_amount", "avg_won_deal_size", "avg_days_to_close_won",
                         "median_days_to_close_won", "avg_days_lead_to_close_won", "median_days_lead_to_close_won"),
           win_rate_distribution("win_rate"), grain=REP_MONTH),
    # activity
    _suite("fct_activities", "activity_id", at_least_zero("call_duration_seconds", "duration_minutes")),
    _suite("fct_leads", "lead_id", at_least_zero("response_seconds", "response_minutes")),
    _suite("rep_activity_monthly", "rep_activity_monthly_id",
           share("contact_rate"),
           at_least_zero("activities_per_working_day", "opportunities_per_1000_calls"),
           at_least_zero("calls", "emails", "meetings", "demos", "sales_activities", "working_days",
                         "outbound_calls", "conversations", "opportunities_created",
                         "new_business_opportunities_created"),
           grain=REP_MONTH),
    _suite("rep_funnel_monthly", "rep_funnel_monthly_id",
           at_least_zero("call_to_meeting_rate", "meeting_to_win_rate", "call_to_win_rate",
                         "call_to_meeting_rate_3m", "meeting_to_win_rate_3m", "call_to_win_rate_3m"),
           at_least_zero("outbound_calls", "meetings", "deals_won", "outbound_calls_3m", "meetings_3m",
                         "deals_won_3m"),
           grain=REP_MONTH),
    _suite("rep_follow_up_summary", "rep_follow_up_summary_id",
           share("share_won_with_5_plus", "share_lost_after_at_most_1"),
           at_least_zero("closed_opportunities", "won_opportunities", "lost_opportunities", "avg_follow_ups_won",
                         "avg_follow_ups_lost", "won_with_5_plus", "lost_after_at_most_1"),
           grain=REP_MONTH),
    _suite("rep_required_activity", "rep_id",
           at_least_zero("trailing_call_to_win_rate", "calls_needed_per_working_day"),
           at_least_zero("revenue_quota", "won_to_date", "remaining_quota", "outbound_calls_to_date",
                         "trailing_outbound_calls", "trailing_deals_won", "trailing_won_amount",
                         "trailing_avg_deal_size", "deals_needed", "calls_needed", "working_days_left")),
    _suite("rep_lead_response_monthly", "rep_lead_response_monthly_id",
           share("response_rate", "conversion_rate"),
           at_least_zero("leads_created", "leads_responded", "leads_converted", "referral_leads",
                         "median_response_minutes"),
           grain=REP_MONTH),
    # quota
    _suite("quota_attainment", "quota_id",
           at_least_zero("target_value", "last_year_actual_value", "working_days_total", "working_days_elapsed",
                         "expected_to_date", "open_amount_due", "overdue_open_amount", "pipeline_coverage"),
           at_least_zero("actual_value", "attainment", "pace", "projected_value", row_condition=NOT_GROSS_PROFIT),
           attainment_distribution("attainment", row_condition=PAST),
           grain=("owner_id", "scope", "period_type", "period_start", "quota_type")),
    _suite("rep_combined_quota", "rep_combined_quota_id", at_least_zero("quotas", "quotas_met"),
           grain=("rep_id", "period_type", "period_start")),
    _suite("quota_plan", "quota_plan_id",
           # the reps' own quotas over the team's: a multiple, above 1 where they plan more
           at_least_zero("bottom_up_share_of_top_down"),
           at_least_zero("top_down", "bottom_up", "reps", "reps_with_quota"),
           grain=("owner_id", "scope", "period_type", "period_start", "quota_type")),
    # ltv
    _suite("fct_rep_costs", "rep_cost_id", at_least_zero("loaded_cost"), grain=REP_MONTH),
    _suite("rep_ltv", "rep_ltv_id",
           at_least_zero("ltv_to_cost_ratio"),
           at_least_zero("customers_acquired", "total_customer_ltv", "avg_customer_ltv", "loaded_cost"),
           grain=("rep_id", "year")),
    _suite("ltv_by_segment", "ltv_by_segment_id",
           at_least_zero("ltv_to_cost_ratio"),
           at_least_zero("customers", "total_ltv", "avg_ltv", "loaded_cost"),
           grain=("segment", "region", "industry", "acquisition_channel")),
    # scorecard
    _suite("rep_scorecard_monthly", "rep_scorecard_monthly_id",
           share("win_rate", "contact_rate", "upsell_win_rate", "renewal_win_rate"),
           at_least_zero("revenue_quota_attainment"),
           at_least_zero("revenue", "pipeline_generated", "opportunities_created", "activities", "revenue_quota",
                         "lead_response_minutes", "upsell_attempts", "upsells_won", "renewals_closed",
                         "renewals_won", "referrals_received", "referrals_won"),
           grain=REP_MONTH),
    # data quality: a clean load quarantines nothing, so the quarantine may rightly empty
    _suite("crm_quarantine", "crm_quarantine_id", bounded_row_count=False),
    _suite("crm_load_reconciliation", "source_table",
           share("quarantine_share"),
           at_least_zero("raw_rows", "live_rows", "duplicate_rows", "soft_deleted_rows", "removed_with_parent_rows",
                         "quarantined_rows")),
)

BY_MART: dict[str, MartSuite] = {s.mart: s for s in SUITES}
