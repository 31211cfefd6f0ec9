"""The activity marts agree with a second implementation in plain Python that reads the
raw tables of the demo warehouse directly (not the marts, not staging) and the seeds as
files: rep_activity_monthly, rep_funnel_monthly with its trailing three months, the
touch and follow-up columns and summary, lead response, and the scorecard's upsell,
renewal and referral counts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median

import pytest

from salesperf.dbt_build import BuildSummary
from tests.python.helpers import query
from tests.python.independent import (
    AS_OF,
    close,
    follow_up_counts,
    funnel_cells,
    history_start,
    is_referral,
    load_crm,
    month_of,
    rate,
    seed,
    touches,
    trailing,
)


@pytest.fixture(scope="module")
def crm(built_demo: tuple[Path, BuildSummary]) -> dict:
    path, summary = built_demo
    assert summary.success
    return load_crm(path)


def rep_months(crm: dict) -> set[tuple[str, date]]:
    """Every month each rep was on the team, from the hire (the first record for a user
    the CRM does not hold) to as_of (active) or the last record credited to them
    (inactive), never before the data's first month."""
    records: list[tuple[str, date, bool]] = [(a.owner, a.day, True) for a in crm["activities"]]
    for opp in crm["opportunities"].values():
        records.append((opp["creator"], opp["created"].date(), True))
        if opp["is_closed"]:
            records.append((opp["closer"], opp["close_date"], True))
    records += [(lead["owner"], lead["created"].date(), True) for lead in crm["leads"].values()]
    records += [(owner, start, False) for owner, start in crm["rep_quota_starts"]]
    records = [r for r in records if r[1] <= AS_OF.date() and r[0] is not None]
    data_start = history_start(crm)
    spans: dict[str, list[date]] = {}
    for owner, day, _ in records:
        first, last = spans.get(owner, [day, day])
        spans[owner] = [min(first, day), max(last, day)]
    months = set()
    for owner, (first, last) in spans.items():
        active, hired = crm["users"].get(owner, (False, None))
        if hired is not None:
            first = hired.date()
        month = max(month_of(first), data_start)
        end = month_of(AS_OF.date() if active else last)
        while month <= end:
            months.add((owner, month))
            month = (month + timedelta(days=32)).replace(day=1)
    return months


def working_days_begun(month: date) -> int:
    holidays = {date.fromisoformat(r["holiday_date"]) for r in seed("holidays")}
    count, day = 0, month
    while day.month == month.month:
        if day.weekday() < 5 and day not in holidays and datetime.combine(day, datetime.min.time()) < AS_OF:
            count += 1
        day += timedelta(days=1)
    return count


def test_rep_activity_monthly(crm: dict) -> None:
    cells: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a in crm["activities"]:
        if not (a.is_done and a.is_sales):
            continue
        cell = cells[(a.owner, month_of(a.day))]
        cell[a.kind] += 1
        cell["sales"] += 1
        cell["outbound"] += a.is_outbound
        cell["conversations"] += a.is_outbound and a.is_conversation
    for opp in crm["opportunities"].values():
        cell = cells[(opp["creator"], month_of(opp["created"].date()))]
        cell["created"] += 1
        cell["new_business"] += opp["category"] == "new_business"
    expected_keys = rep_months(crm)
    assert set(cells) <= expected_keys, "an activity or deal falls outside its rep's months"
    mart = {
        (row[0], row[1]): row[2:]
        for row in query(
            crm["path"],
            "select rep_id, month_start, calls, emails, meetings, demos, sales_activities, working_days,"
            " activities_per_working_day, outbound_calls, conversations, contact_rate, opportunities_created,"
            " new_business_opportunities_created, opportunities_per_1000_calls from marts.rep_activity_monthly",
        )
    }
    assert set(mart) == expected_keys
    zero_rows = 0
    for cell_key in expected_keys:
        cell = cells.get(cell_key, {})
        days = working_days_begun(cell_key[1])
        zero_rows += not cell
        outbound, sales = cell.get("outbound", 0), cell.get("sales", 0)
        want = (cell.get("call", 0), cell.get("email", 0), cell.get("meeting", 0), cell.get("demo", 0), sales, days)
        got = mart[cell_key]
        assert got[:6] == want, cell_key
        assert close(got[6], rate(sales, days)), cell_key
        assert got[7:9] == (outbound, cell.get("conversations", 0)), cell_key
        assert close(got[9], rate(cell.get("conversations", 0), outbound)), cell_key
        new_business = cell.get("new_business", 0)
        assert got[10:12] == (cell.get("created", 0), new_business), cell_key
        assert close(got[12], rate(new_business * 1000, outbound)), cell_key
    assert zero_rows > 0, "the demo should have rep-months with no activity (the month of as_of at least)"
    created = [cell.get("created", 0) for cell in cells.values()]
    new_business = [cell.get("new_business", 0) for cell in cells.values()]
    assert 0 < sum(new_business) < sum(created), "the demo should create deals of other categories too"


def test_rep_funnel_monthly(crm: dict) -> None:
    cells = funnel_cells(crm["activities"], crm["opportunities"])
    mart = {
        (row[0], row[1]): row[2:]
        for row in query(
            crm["path"],
            "select rep_id, month_start, outbound_calls, meetings, deals_won, call_to_meeting_rate,"
            " meeting_to_win_rate, call_to_win_rate, outbound_calls_3m, meetings_3m, deals_won_3m,"
            " call_to_meeting_rate_3m, meeting_to_win_rate_3m, call_to_win_rate_3m from marts.rep_funnel_monthly",
        )
    }
    assert set(mart) == rep_months(crm)
    won_new_business = sum(
        1 for opp in crm["opportunities"].values() if opp["is_won"] and opp["category"] == "new_business")
    assert won_new_business == sum(row[2] for row in mart.values()) > 0
    assert won_new_business < sum(1 for opp in crm["opportunities"].values() if opp["is_won"]), (
        "the demo should win upsells or renewals, which the funnel leaves out")
    differs = 0
    for cell_key, got in mart.items():
        c, m, w = cells.get(cell_key, [0, 0, 0])
        assert got[:3] == (c, m, w), cell_key
        assert close(got[3], rate(m, c)) and close(got[4], rate(w, m)) and close(got[5], rate(w, c)), cell_key
        c3, m3, w3 = trailing(cells, *cell_key)
        assert got[6:9] == (c3, m3, w3), cell_key
        assert close(got[9], rate(m3, c3)) and close(got[10], rate(w3, m3)) and close(got[11], rate(w3, c3)), cell_key
        differs += (c3, m3, w3) != (c, m, w)
    assert differs > 0, "the trailing three months should differ from the month alone somewhere"


def test_touches_and_follow_up_counts(crm: dict) -> None:
    """activity_count is the deal's touches (its own sales activities up to close, and its
    converted lead's up to conversion); follow_up_count the touches after the first."""
    opportunities, leads = crm["opportunities"], crm["leads"]
    expected_touches = touches(crm["activities"], opportunities, leads)
    expected_follow_ups = follow_up_counts(crm["activities"], opportunities, leads)
    mart = {
        row[0]: row[1:]
        for row in query(crm["path"], "select opportunity_id, activity_count, follow_up_count from marts.fct_opportunities")
    }
    assert set(mart) == set(opportunities)
    assert {k: v[0] for k, v in mart.items()} == expected_touches
    assert {k: v[1] for k, v in mart.items()} == expected_follow_ups
    without_lead = touches(crm["activities"], opportunities, {})
    assert any(expected_touches[k] > without_lead[k] for k in opportunities), (
        "the demo should have deals touched first as a lead")


def test_follow_up_summary(crm: dict) -> None:
    expected = follow_up_counts(crm["activities"], crm["opportunities"], crm["leads"])
    groups: dict[tuple, dict[str, list[int]]] = defaultdict(lambda: {"won": [], "lost": []})
    for deal_id, deal in crm["opportunities"].items():
        if deal["is_closed"]:
            groups[(deal["closer"], month_of(deal["close_date"]))]["won" if deal["is_won"] else "lost"].append(
                expected[deal_id])
    mart = {
        (row[0], row[1]): row[2:]
        for row in query(
            crm["path"],
            "select rep_id, month_start, closed_opportunities, won_opportunities, lost_opportunities,"
            " avg_follow_ups_won, share_won_with_5_plus, share_lost_after_at_most_1 from marts.rep_follow_up_summary",
        )
    }
    assert set(mart) == set(groups)
    for cell_key, group in groups.items():
        won, lost = group["won"], group["lost"]
        got = mart[cell_key]
        assert got[:3] == (len(won) + len(lost), len(won), len(lost)), cell_key
        assert close(got[3], rate(sum(won), len(won))), cell_key
        assert close(got[4], rate(sum(1 for n in won if n >= 5), len(won))), cell_key
        assert close(got[5], rate(sum(1 for n in lost if n <= 1), len(lost))), cell_key


def test_lead_response_minutes(crm: dict) -> None:
    first: dict[str, datetime] = {}
    for a in crm["activities"]:
        lead = crm["leads"].get(a.who)
        if lead is None or a.owner != lead["owner"] or not (a.is_sales and a.is_done) or a.moment < lead["created"]:
            continue
        if a.who not in first or a.moment < first[a.who]:
            first[a.who] = a.moment
    minutes: dict[tuple, list[float]] = defaultdict(list)
    created: dict[tuple, int] = defaultdict(int)
    for lead_id, lead in crm["leads"].items():
        cell_key = (lead["owner"], month_of(lead["created"].date()))
        created[cell_key] += 1
        if lead_id in first:
            minutes[cell_key].append((first[lead_id] - lead["created"]).total_seconds() / 60)
    mart = {
        (row[0], row[1]): row[2:]
        for row in query(
            crm["path"],
            "select rep_id, month_start, leads_created, leads_responded, median_response_minutes"
            " from marts.rep_lead_response_monthly",
        )
    }
    assert sum(len(v) for v in minutes.values()) > 0
    for cell_key, got in mart.items():
        values = minutes.get(cell_key, [])
        assert got[:2] == (created.get(cell_key, 0), len(values)), cell_key
        assert close(got[2], median(values) if values else None), cell_key
    assert set(created) <= set(mart)


def test_scorecard_upsells_renewals_and_referrals(crm: dict) -> None:
    """Upsell attempts by the creating rep and month of creation; upsells and renewals won,
    lost and closed by the closing rep and month of close; referral leads by the lead's
    owner and month of creation; referral deals won by the closing rep and month of close."""
    cells: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for opp in crm["opportunities"].values():
        if opp["category"] == "upsell":
            cells[(opp["creator"], month_of(opp["created"].date()))]["upsell_attempts"] += 1
        if not opp["is_closed"]:
            continue
        cell = cells[(opp["closer"], month_of(opp["close_date"]))]
        outcome = "won" if opp["is_won"] else "lost"
        if opp["category"] in ("upsell", "renewal"):
            cell[f"{opp['category']}_{outcome}"] += 1
        cell["referrals_won"] += opp["is_won"] and is_referral(opp["lead_source"])
    for lead in crm["leads"].values():
        if is_referral(lead["source"]):
            owner = crm["ownership"].credited(lead["owner"], lead["created"])
            cells[(owner, month_of(lead["created"].date()))]["referrals_received"] += 1
    mart = {
        (row[0], row[1]): row[2:]
        for row in query(
            crm["path"],
            "select rep_id, month_start, upsell_attempts, upsells_won, upsell_win_rate, renewals_closed,"
            " renewals_won, renewal_win_rate, referrals_received, referrals_won from marts.rep_scorecard_monthly",
        )
    }
    assert {k for k, cell in cells.items() if any(cell.values())} <= set(mart)
    for name in ("upsell_attempts", "upsell_won", "renewal_won", "renewal_lost", "referrals_received",
                 "referrals_won"):
        assert sum(cell[name] for cell in cells.values()) > 0, f"the demo should have {name}"
    for cell_key, got in mart.items():
        cell = cells.get(cell_key, defaultdict(int))
        upsells_won, upsells_lost = cell["upsell_won"], cell["upsell_lost"]
        renewals_won, renewals_lost = cell["renewal_won"], cell["renewal_lost"]
        assert got[:2] == (cell["upsell_attempts"], upsells_won), cell_key
        assert close(got[2], rate(upsells_won, upsells_won + upsells_lost)), cell_key
        assert got[3:5] == (renewals_won + renewals_lost, renewals_won), cell_key
        assert close(got[5], rate(renewals_won, renewals_won + renewals_lost)), cell_key
        assert got[6:] == (cell["referrals_received"], cell["referrals_won"]), cell_key
