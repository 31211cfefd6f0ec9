"""Quota attainment and rep LTV agree with a second implementation in plain Python over
the raw tables of the demo warehouse: revenue, activity, deal and new-customer attainment
of every rep and team quota, the current period's overdue pipeline and coverage, each
account's acquisition, each rep's customers, their lifetime value and the rep's cost, and
the same by segment."""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from salesperf.dbt_build import BuildSummary
from tests.python.helpers import query
from tests.python.independent import (
    AS_OF,
    SEGMENT_LEVELS,
    add_months,
    close,
    customers,
    load_crm,
    ltv_by_segment,
    rate,
    rep_ltv,
    reps,
)

ACTIVITY_QUOTA_TYPES = {"calls": "call", "emails": "email", "meetings": "meeting", "demos": "demo"}
COUNTED_QUOTA_TYPES = {"revenue", "deals", "new_customers", *ACTIVITY_QUOTA_TYPES}
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@pytest.fixture(scope="module")
def crm(built_demo: tuple[Path, BuildSummary]) -> dict:
    path, summary = built_demo
    assert summary.success
    return load_crm(path)


def quota_reps(crm: dict) -> dict[str, set[str]]:
    """quota id -> the reps whose facts count for it: its owner, or a team owner's reports."""
    members: dict[str, set[str]] = defaultdict(set)
    for user, manager in crm["managers"].items():
        members[manager].add(user)
    return {
        quota_id: {owner} if scope == "rep" else members[owner]
        for quota_id, owner, scope, *_ in crm["quotas"]
    }


def quota_actuals(crm: dict) -> dict[str, tuple[str, Decimal, Decimal]]:
    """quota id -> (quota type, target, actual) for the revenue, activity, deal and
    new-customer quotas."""
    members = quota_reps(crm)
    acquired = customers(crm["opportunities"]).values()
    out = {}
    for quota_id, _, _, period_type, start, quota_type, target in crm["quotas"]:
        if quota_type not in COUNTED_QUOTA_TYPES:
            continue
        end = add_months(start, PERIOD_MONTHS[period_type])
        owners = members[quota_id]
        if quota_type == "revenue":
            actual = sum(
                (opp["amount"] for opp in crm["opportunities"].values()
                 if opp["is_won"] and opp["closer"] in owners and start <= opp["close_date"] < end),
                Decimal(0),
            )
        elif quota_type == "deals":
            actual = Decimal(sum(
                1 for opp in crm["opportunities"].values()
                if opp["is_won"] and opp["category"] == "new_business" and opp["closer"] in owners
                and start <= opp["close_date"] < end
            ))
        elif quota_type == "new_customers":
            actual = Decimal(sum(
                1 for account in acquired
                if account["acquiring_rep"] in owners and start <= account["acquired_date"] < end
            ))
        else:
            kind = ACTIVITY_QUOTA_TYPES[quota_type]
            actual = Decimal(sum(
                1 for a in crm["activities"]
                if a.is_done and a.is_sales and a.kind == kind and a.owner in owners and start <= a.day < end
            ))
        out[quota_id] = (quota_type, target, actual)
    return out


def test_revenue_and_activity_attainment(crm: dict) -> None:
    expected = quota_actuals(crm)
    mart = {
        quota_id: (quota_type, target, actual, attainment)
        for quota_id, quota_type, target, actual, attainment in query(
            crm["path"], "select quota_id, quota_type, target_value, actual_value, attainment from marts.quota_attainment",
        )
    }
    checked = defaultdict(int)
    for quota_id, (quota_type, target, actual) in expected.items():
        m_type, m_target, m_actual, m_attainment = mart[quota_id]
        assert (m_type, m_target, m_actual) == (quota_type, target, actual), quota_id
        assert close(m_attainment, rate(float(actual), float(target))), quota_id
        checked[quota_type] += 1
    # The demo plans no deal or new-customer quotas; where an org has them they are checked too.
    assert {"revenue", *ACTIVITY_QUOTA_TYPES} <= set(checked) <= COUNTED_QUOTA_TYPES
    scopes = {scope for _, _, scope, *_ in crm["quotas"]}
    assert scopes == {"rep", "team"}


def test_overdue_open_amount_and_pipeline_coverage(crm: dict) -> None:
    """For a quota of the current period: the open amount of its reps' deals whose close date
    has passed, and for revenue, the open amount due to close in the rest of the period plus
    that overdue amount over the revenue still missing (none once the target is met)."""
    actuals = quota_actuals(crm)
    members = quota_reps(crm)
    today = AS_OF.date()
    expected = {}
    for quota_id, _, _, period_type, start, quota_type, target in crm["quotas"]:
        end = add_months(start, PERIOD_MONTHS[period_type])
        if not start <= today < end:
            continue
        open_deals = [opp for opp in crm["opportunities"].values()
                      if not opp["is_closed"] and opp["owner"] in members[quota_id]]
        overdue = sum((opp["amount"] or Decimal(0) for opp in open_deals if opp["close_date"] < today), Decimal(0))
        due = sum((opp["amount"] or Decimal(0) for opp in open_deals if today <= opp["close_date"] < end), Decimal(0))
        coverage = None
        if quota_type == "revenue":
            missing = target - actuals[quota_id][2]
            coverage = float(due + overdue) / float(missing) if missing > 0 else None
        expected[quota_id] = (quota_type, overdue, coverage)
    mart = {
        row[0]: row[1:]
        for row in query(
            crm["path"],
            "select quota_id, period_state, overdue_open_amount, pipeline_coverage from marts.quota_attainment",
        )
    }
    assert {q for q, row in mart.items() if row[0] == "current"} == set(expected)
    revenue = {q: v for q, v in expected.items() if v[0] == "revenue"}
    assert revenue and any(overdue > 0 for _, overdue, _ in revenue.values())
    assert any(coverage is not None for _, _, coverage in revenue.values())
    for quota_id, (_, overdue, coverage) in mart.items():
        if quota_id not in expected:
            assert (overdue, coverage) == (None, None), quota_id
            continue
        quota_type, want_overdue, want_coverage = expected[quota_id]
        got_overdue = None if overdue is None else float(overdue)
        if quota_type == "revenue":
            assert close(got_overdue, float(want_overdue)), (quota_id, overdue, want_overdue)
            assert close(coverage, want_coverage), (quota_id, coverage, want_coverage)
        else:
            # An activity quota may show its reps' overdue deals; it has no coverage.
            assert got_overdue is None or close(got_overdue, float(want_overdue)), quota_id
            assert coverage is None, quota_id


def test_dim_accounts_acquisition(crm: dict) -> None:
    """The first won deal (earliest close date, then smallest id) decides: an upsell or
    renewal marks a customer from before the CRM's history; otherwise the first won new
    business deal names the rep who closed it, its lead source and the acquisition date.
    Lifetime value counts every won deal."""
    expected = customers(crm["opportunities"])
    mart = {
        row[0]: row[1:]
        for row in query(
            crm["path"],
            "select account_id, is_customer, first_won_date, acquiring_rep_id, acquisition_channel, lifetime_value,"
            " acquired_date from marts.dim_accounts",
        )
    }
    assert set(mart) == set(crm["accounts"])
    assert set(expected) <= set(mart)
    for account_id, got in mart.items():
        account = expected.get(account_id)
        if account is None:
            assert got[0] is False and got[1:4] == (None, None, None), account_id
            assert got[4] in (None, 0), account_id
            continue
        assert got[:4] == (True, account["first_won_date"], account["acquiring_rep"], account["channel"]), account_id
        assert got[4] == account["lifetime_value"], account_id
        assert got[5] == account["acquired_date"], account_id
    existing = [a for a in expected.values() if a["channel"] == "existing customer"]
    assert existing and all(a["acquiring_rep"] is None for a in existing)
    upsold = [a for a in expected.values()
              if a["acquiring_rep"] is not None and a["lifetime_value"] > crm["opportunities"][a["first_deal"]]["amount"]]
    assert upsold, "the demo should have acquired customers who bought again"


def test_rep_ltv_per_year_and_all_time(crm: dict) -> None:
    cells = rep_ltv(crm)
    mart = {
        (rep, year): (n, total, cost, ratio)
        for rep, year, n, total, cost, ratio in query(
            crm["path"],
            "select rep_id, year, customers_acquired, total_customer_ltv, loaded_cost, ltv_to_cost_ratio from marts.rep_ltv",
        )
    }
    assert set(mart) == set(cells)
    assert {rep for rep, _ in mart} <= reps(crm)
    assert {user for user, _, _ in crm["costs"]} - reps(crm), "the demo's managers have a cost but are not reps"
    assert sum(c[0] for (_, year), c in cells.items() if year is None) > 0
    for cell_key, (customers_acquired, total, cost) in cells.items():
        m_customers, m_total, m_cost, m_ratio = mart[cell_key]
        assert (m_customers, m_total, m_cost) == (customers_acquired, total, cost), cell_key
        assert close(m_ratio, rate(float(total), float(cost))), cell_key


def test_ltv_by_segment(crm: dict) -> None:
    """Customers by the acquiring rep's region, the industry and the channel, and by each
    alone; each acquiring rep's all-time cost split equally over the rep's customers."""
    cells = ltv_by_segment(crm)
    mart = {
        (row[0], row[1], row[2], row[3]): row[4:]
        for row in query(
            crm["path"],
            "select segment, region, industry, acquisition_channel, customers, total_ltv, avg_ltv, loaded_cost,"
            " ltv_to_cost_ratio from marts.ltv_by_segment",
        )
    }
    assert set(mart) == set(cells)
    assert {segment for segment, *_ in mart} == set(SEGMENT_LEVELS)
    for segment in SEGMENT_LEVELS:
        assert sum(c[0] for k, c in cells.items() if k[0] == segment) == len(customers(crm["opportunities"]))
    for cell_key, (n, total, cost) in cells.items():
        m_customers, m_total, m_avg, m_cost, m_ratio = mart[cell_key]
        assert m_customers == n and m_total == total, cell_key
        assert close(m_avg, rate(float(total), n)), cell_key
        # A segment of customers from before the CRM's history carries no rep's cost. A cost
        # split over customers is a quotient: the mart may round each share or the sum to its
        # numeric scale, so it is compared to a thousandth of a cent and the ratio to 1e-9.
        assert math.isclose(float(m_cost or 0), float(cost), abs_tol=1e-5), (cell_key, m_cost, cost)
        assert close(m_ratio, rate(float(total), float(cost)), rel_tol=1e-9), cell_key
