"""How the generated org compares with what sales teams report: calls per working day
by role, the call-to-meeting and meeting-to-win rates, the weekday spread of work and
closes, the month-end push, first-months against later attainment, owner changes and
deals by currency. Computed from the generated arrays for the run's summary; the tests
compute the same figures from the raw tables."""

from __future__ import annotations

import numpy as np

from salesperf.demo.activities import Activities
from salesperf.demo.calendar import Calendar, weekday_of
from salesperf.demo.constants import DAY, NEW
from salesperf.demo.currency import CURRENCIES
from salesperf.demo.deals import Deals
from salesperf.demo.org import REP, Org, RepMonths
from salesperf.demo.owners import OWNER_CHANGE_REASONS

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FIRST_MONTHS = 3


def realism_figures(cal: Calendar, org: Org, grid: RepMonths, deals: Deals, acts: Activities,
                    quotas: dict[str, np.ndarray]) -> dict[str, object]:
    task, event = acts.task, acts.event
    role = np.where(org.kind != REP, -1, np.where(org.is_sdr, 0, 1))  # 0 SDR, 1 AE
    working_days = np.bincount(role[grid.rep], grid.working_days, minlength=2)
    calls = task["type"] == 0
    call_count = np.bincount(role[task["owner"][calls]][role[task["owner"][calls]] >= 0], minlength=2)
    conversations = int((calls & (task["call_type"] == 0) & (task["disposition"] == 0)).sum())
    meetings = int((event["type"] == 0).sum())
    in_history = deals.close_day >= cal.start_day
    new_wins = int((deals.is_won & (deals.kind == NEW) & in_history).sum())
    closed = deals.is_closed & in_history
    close_day = deals.close_day[closed]
    return {
        "calls_per_working_day": {"SDR": _ratio(call_count[0], working_days[0]),
                                  "AE": _ratio(call_count[1], working_days[1])},
        "call_to_meeting_rate": _ratio(meetings, conversations),  # meetings per conversation
        "meeting_to_win_rate": _ratio(new_wins, meetings),  # new-business wins per meeting
        "tasks_by_weekday": _weekday_shares(task["ts"] // DAY),
        "closes_by_weekday": _weekday_shares(close_day),
        "closes_in_last_week_of_month": _ratio(int((close_day >= cal.month_end(close_day) - 7).sum()),
                                               len(close_day)),
        "revenue_attainment": _attainment(cal, deals, quotas),
        "owner_changes": {reason: int((deals.ownership.reason == i).sum())
                          for i, reason in enumerate(OWNER_CHANGE_REASONS)},
        "deals_by_currency": {CURRENCIES[c]: int(n) for c, n in
                              sorted(enumerate(np.bincount(deals.currency, minlength=len(CURRENCIES))),
                                     key=lambda item: -item[1]) if n},
    }


def _ratio(part: float, whole: float) -> float:
    return round(float(part) / float(whole), 3) if whole else 0.0


def _weekday_shares(day: np.ndarray) -> dict[str, float]:
    counts = np.bincount(weekday_of(day), minlength=7)
    return {name: _ratio(counts[i], counts.sum()) for i, name in enumerate(WEEKDAYS)}


def _attainment(cal: Calendar, deals: Deals, quotas: dict[str, np.ndarray]) -> dict[str, float]:
    """Won revenue (US dollars at the close date's rate) against the reps' monthly
    revenue quotas, over the first months of the history and over the rest."""
    won = deals.is_won & (deals.close_day >= cal.start_day) & (deals.close_day < cal.end_day)
    month = np.searchsorted(cal.month_days, deals.close_day[won], side="right") - 1
    usd = deals.rates.to_usd(deals.amount[won], deals.currency[won], deals.close_day[won])
    revenue = np.bincount(month, usd, minlength=cal.n_months)
    target = quotas["scope"] == 0
    target &= (quotas["period"] == 0) & (quotas["type"] == 0) & (quotas["start"] < cal.month_days[-1])
    target &= quotas["start"] >= cal.month_days[0]
    quota = np.bincount(np.searchsorted(cal.month_days, quotas["start"][target]), quotas["value"][target],
                        minlength=cal.n_months)[: cal.n_months]
    first = min(FIRST_MONTHS, cal.n_months)
    later = slice(first, cal.n_months - (cal.end_day != cal.month_days[-1]))  # whole months only
    return {"first_months": _ratio(revenue[:first].sum(), quota[:first].sum()),
            "later_months": _ratio(revenue[later].sum(), quota[later].sum())}


def describe(figures: dict[str, object]) -> list[str]:
    """The figures as lines for a person."""
    if not figures:
        return []
    calls = figures["calls_per_working_day"]
    attainment = figures["revenue_attainment"]
    owners = figures["owner_changes"]

    def shares(spread: dict[str, float]) -> str:
        return " ".join(f"{day} {share:.0%}" for day, share in spread.items())

    return [
        f"calls per working day: SDR {calls['SDR']:.1f}, AE {calls['AE']:.1f};"
        f" meetings per conversation {figures['call_to_meeting_rate']:.2f},"
        f" new-business wins per meeting {figures['meeting_to_win_rate']:.2f}",
        f"tasks by weekday: {shares(figures['tasks_by_weekday'])}",
        f"closes by weekday: {shares(figures['closes_by_weekday'])};"
        f" in the last week of a month: {figures['closes_in_last_week_of_month']:.0%}",
        f"revenue attainment: first {FIRST_MONTHS} months {attainment['first_months']:.0%},"
        f" later months {attainment['later_months']:.0%}",
        "owner changes: " + ", ".join(f"{n:,} {reason}s" for reason, n in owners.items()),
        "deals by currency: " + ", ".join(f"{c} {n:,}" for c, n in figures["deals_by_currency"].items()),
    ]
