"""The pipeline marts agree with a second implementation in plain Python that reads the
raw tables of the demo warehouse directly (not the marts, not staging)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import mean, median

import pytest

from salesperf.dbt_build import BuildSummary
from tests.python.helpers import query
from tests.python.independent import (
    AS_OF,
    Ownership,
    Rates,
    close,
    days_lead_to_close,
    deal_category,
    load_deals,
    load_leads,
    rate,
    stays,
)

CLOSED = {"Closed Won", "Closed Lost"}
DEFAULT_PROBABILITY = {
    "Prospecting": 10, "Qualification": 10, "Needs Analysis": 20, "Value Proposition": 50,
    "Id. Decision Makers": 60, "Perception Analysis": 70, "Proposal/Price Quote": 75,
    "Negotiation/Review": 90, "Closed Won": 100, "Closed Lost": 0,
}


@pytest.fixture(scope="module")
def raw(built_demo: tuple[Path, BuildSummary]) -> dict:
    path, summary = built_demo
    assert summary.success
    ownership, rates = Ownership(path), Rates(path)
    opportunities = load_deals(path, ownership, rates)
    history = {oid: deal["history"] for oid, deal in opportunities.items() if deal["history"]}
    return {"path": path, "opportunities": opportunities, "history": history, "ownership": ownership,
            "rates": rates, "leads": load_leads(path)}


def test_deal_category_and_days_lead_to_close(raw: dict) -> None:
    """Each deal's category from the opportunity_types seed (a type it does not list is
    other), and for a closed deal converted from a lead the days from the lead's creation
    date to the close date."""
    expected_days = days_lead_to_close(raw["opportunities"], raw["leads"])
    mart = {
        row[0]: row[1:]
        for row in query(raw["path"], "select opportunity_id, deal_category, days_lead_to_close from marts.fct_opportunities")
    }
    assert set(mart) == set(raw["opportunities"])
    for opp_id, opp in raw["opportunities"].items():
        assert mart[opp_id][0] == opp["category"], opp_id
        assert mart[opp_id][1] == expected_days[opp_id], opp_id
    assert {opp["category"] for opp in raw["opportunities"].values()} >= {"new_business", "upsell", "renewal"}
    assert sum(days is not None for days in expected_days.values()) > 0
    assert deal_category(" new   customer ") == "new_business"
    assert deal_category("EXISTING BUSINESS") == "upsell"
    assert deal_category("Existing Customer - Downgrade") == deal_category("Partnership") == deal_category(None) == "other"


def test_win_rate_by_rep_and_close_month(raw: dict) -> None:
    lead_days = days_lead_to_close(raw["opportunities"], raw["leads"])
    counts: dict[tuple, list] = defaultdict(lambda: [0, 0, 0.0, 0.0, []])
    for opp_id, opp in raw["opportunities"].items():
        if not opp["is_closed"]:
            continue
        key = (opp["closer"], opp["close_date"].replace(day=1))
        cell = counts[key]
        if opp["is_won"]:
            cell[0] += 1
            cell[2] += float(opp["amount"] or 0)
            if lead_days[opp_id] is not None:
                cell[4].append(lead_days[opp_id])
        else:
            cell[1] += 1
            cell[3] += float(opp["amount"] or 0)
    mart = {
        (rep, month): (won, lost, win_rate, float(won_amount), float(lost_amount), avg_lead, median_lead)
        for rep, month, won, lost, win_rate, won_amount, lost_amount, avg_lead, median_lead in query(
            raw["path"],
            "select rep_id, month_start, won, lost, win_rate, won_amount, lost_amount,"
            " avg_days_lead_to_close_won, median_days_lead_to_close_won from marts.rep_win_rate_monthly",
        )
    }
    assert set(mart) == set(counts)
    assert sum(len(cell[4]) for cell in counts.values()) > 0
    for key, (won, lost, won_amount, lost_amount, lead_to_close) in counts.items():
        m_won, m_lost, m_rate, m_won_amount, m_lost_amount, m_avg_lead, m_median_lead = mart[key]
        assert (m_won, m_lost) == (won, lost), key
        assert close(m_rate, won / (won + lost)), key
        assert close(m_won_amount, won_amount) and close(m_lost_amount, lost_amount), key
        assert close(m_avg_lead, mean(lead_to_close) if lead_to_close else None), key
        assert close(m_median_lead, median(lead_to_close) if lead_to_close else None), key


def test_average_days_in_stage_over_completed_stays(raw: dict) -> None:
    days: dict[str, list[float]] = defaultdict(list)
    for rows in raw["history"].values():
        for stage, entered, exited in stays(rows):
            if exited is not None:
                days[stage].append((exited - entered).total_seconds() / 86400)
    mart = dict(query(
        raw["path"],
        "select stage_name, avg_days_in_stage from marts.stage_durations where rep_id is null",
    ))
    counts = dict(query(raw["path"], "select stage_name, stays from marts.stage_durations where rep_id is null"))
    assert set(mart) == set(days)
    for stage, values in days.items():
        assert counts[stage] == len(values), stage
        assert close(mart[stage], mean(values)), stage


def test_month_end_open_pipeline(raw: dict) -> None:
    first = min(opp["created"] for opp in raw["opportunities"].values()).date().replace(day=1)
    month_ends = []
    month = first
    while True:
        following = (month + timedelta(days=32)).replace(day=1)
        month_end = following - timedelta(days=1)
        if month_end >= AS_OF.date():
            break
        month_ends.append(month_end)
        month = following
    expected: dict[tuple, list] = defaultdict(lambda: [0, 0.0, 0.0])
    for opp_id, rows in raw["history"].items():
        deal = raw["opportunities"][opp_id]
        for month_end in month_ends:
            moment = datetime.combine(month_end + timedelta(days=1), datetime.min.time())
            held = [r for r in rows if r[0] < moment]
            if not held:
                continue
            _, _, stage, amount, probability, _, currency = held[-1]
            if stage in CLOSED:
                continue
            probability = DEFAULT_PROBABILITY[stage] if probability is None else float(probability)
            amount = raw["rates"].to_corporate(amount, currency or deal["currency"], month_end)
            owner = raw["ownership"].credited_at(opp_id, deal["current_owner"], moment)
            cell = expected[(month_end, owner, stage)]
            cell[0] += 1
            cell[1] += float(amount or 0)
            cell[2] += float(amount or 0) * probability / 100
    mart = {
        (snapshot, rep, stage): (n, float(amount), float(weighted))
        for snapshot, rep, stage, n, amount, weighted in query(
            raw["path"],
            "select snapshot_date, rep_id, stage_name, open_opportunities, open_amount, weighted_amount"
            " from marts.pipeline_snapshot",
        )
    }
    assert len(month_ends) >= 5
    assert set(mart) == set(expected)
    for key, (n, amount, weighted) in expected.items():
        m_n, m_amount, m_weighted = mart[key]
        assert m_n == n and close(m_amount, amount) and close(m_weighted, weighted), (key, mart[key], (n, amount, weighted))


OPEN_STAGES = [
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
    "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review",
]
WON_ORDER = len(OPEN_STAGES) + 1  # past every open stage


def test_stage_conversion_by_cohort_month(raw: dict) -> None:
    expected: dict[tuple, list] = defaultdict(lambda: [0, 0, 0])
    for opp_id, rows in raw["history"].items():
        opp = raw["opportunities"][opp_id]
        reach = [
            (WON_ORDER if stage == "Closed Won" else OPEN_STAGES.index(stage) + 1, entered)
            for stage, entered, _ in stays(rows)
            if stage != "Closed Lost"
        ]
        for position, stage in enumerate(OPEN_STAGES, start=1):
            times = [entered for order, entered in reach if order >= position]
            if not times:
                continue
            next_position = position + 1 if position < len(OPEN_STAGES) else WON_ORDER
            owner = raw["ownership"].credited_at(opp_id, opp["current_owner"], min(times))
            cell = expected[(owner, min(times).date().replace(day=1), stage)]
            cell[0] += 1
            reached_next = any(order >= next_position for order, _ in reach)
            cell[1] += reached_next
            # still open in the stage and not past it yet: a deal moved back has converted
            cell[2] += (not opp["is_closed"]) and opp["stage"] == stage and not reached_next
    mart = {
        (rep, month, stage): (reached, reached_next, still_open, resolved_rate, to_date_rate)
        for rep, month, stage, reached, reached_next, still_open, resolved_rate, to_date_rate in query(
            raw["path"],
            "select rep_id, cohort_month, from_stage, reached_from, reached_next, still_open, conversion_rate,"
            " conversion_rate_to_date from marts.rep_stage_conversion",
        )
    }
    assert set(mart) == set(expected)
    assert any(still_open for _, _, still_open in expected.values())
    for key, (reached, reached_next, still_open) in expected.items():
        assert mart[key][:3] == (reached, reached_next, still_open), key
        # Over the stays that have resolved, so a young cohort is not read as a drop-off.
        assert close(mart[key][3], rate(reached_next, reached - still_open)), key
        assert close(mart[key][4], reached_next / reached), key
