"""Quota attainment and rep LTV agree with a second implementation in plain Python over
the raw tables of the demo warehouse: revenue and activity attainment of every rep and
team quota, and each rep's customers, their lifetime value and the rep's cost."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from salesperf.dbt_build import BuildSummary
from tests.python.helpers import query
from tests.python.independent import AS_OF, close, load_crm, rate

ACTIVITY_QUOTA_TYPES = {"calls": "call", "emails": "email", "meetings": "meeting", "demos": "demo"}
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@pytest.fixture(scope="module")
def crm(built_demo: tuple[Path, BuildSummary]) -> dict:
    path, summary = built_demo
    assert summary.success
    return load_crm(path)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quota_actuals(crm: dict) -> dict[str, tuple[str, Decimal, Decimal]]:
    """quota id -> (quota type, target, actual) for the revenue and activity quotas."""
    members: dict[str, set[str]] = defaultdict(set)
    for user, manager in crm["managers"].items():
        members[manager].add(user)
    out = {}
    for quota_id, owner, scope, period_type, start, quota_type, target in crm["quotas"]:
        if quota_type != "revenue" and quota_type not in ACTIVITY_QUOTA_TYPES:
            continue
        end = add_months(start, PERIOD_MONTHS[period_type])
        reps = {owner} if scope == "rep" else members[owner]
        if quota_type == "revenue":
            actual = sum(
                (opp["amount"] for opp in crm["opportunities"].values()
                 if opp["is_won"] and opp["closer"] in reps and start <= opp["close_date"] < end),
                Decimal(0),
            )
        else:
            kind = ACTIVITY_QUOTA_TYPES[quota_type]
            actual = Decimal(sum(
                1 for a in crm["activities"]
                if a.is_done and a.is_sales and a.kind == kind and a.owner in reps and start <= a.day < end
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
    assert set(checked) == {"revenue", *ACTIVITY_QUOTA_TYPES}
    scopes = {scope for _, _, scope, *_ in crm["quotas"]}
    assert scopes == {"rep", "team"}


def test_rep_ltv_per_year_and_all_time(crm: dict) -> None:
    first_win: dict[str, tuple] = {}
    lifetime: dict[str, Decimal] = defaultdict(Decimal)
    for opp_id, opp in crm["opportunities"].items():
        if not opp["is_won"] or opp["account"] is None:
            continue
        lifetime[opp["account"]] += opp["amount"]
        candidate = (opp["close_date"], opp_id, opp["closer"])
        if opp["account"] not in first_win or candidate < first_win[opp["account"]]:
            first_win[opp["account"]] = candidate
    cells: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for account, (won_on, _, owner) in first_win.items():
        for year in (won_on.year, None):
            cells[(owner, year)][0] += 1
            cells[(owner, year)][1] += lifetime[account]
    for user, month, cost in crm["costs"]:
        if month <= AS_OF.date():
            for year in (month.year, None):
                cells[(user, year)][2] += Decimal(cost)
    mart = {
        (rep, year): (customers, total, cost, ratio)
        for rep, year, customers, total, cost, ratio in query(
            crm["path"],
            "select rep_id, year, customers_acquired, total_customer_ltv, loaded_cost, ltv_to_cost_ratio from marts.rep_ltv",
        )
    }
    assert set(mart) == set(cells)
    assert sum(c[0] for (_, year), c in cells.items() if year is None) > 0
    for cell_key, (customers, total, cost) in cells.items():
        m_customers, m_total, m_cost, m_ratio = mart[cell_key]
        assert (m_customers, m_total, m_cost) == (customers, total, cost), cell_key
        assert close(m_ratio, rate(float(total), float(cost))), cell_key
