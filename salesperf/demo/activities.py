"""Activities: calls, emails and to-dos (tasks) and meetings and demos (events) on deals,
leads and customer accounts, attributed to whoever held the seat, with call outcomes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesperf.demo.accounts import Accounts
from salesperf.demo.arrays import concat_dicts
from salesperf.demo.calendar import Calendar, business_ts, snap_before
from salesperf.demo.constants import DAY, HOUR, NEVER
from salesperf.demo.deals import Deals
from salesperf.demo.leads import Leads
from salesperf.demo.org import Org, occupant_at, rep_month_grid
from salesperf.demo.stages import LOST

TASK_TYPES = ("Call", "Email", "Other")
TASK_SUBTYPES = ("Call", "Email", "Task")
TASK_STATUSES = ("Completed", "Not Started", "Open")
CALL_TYPES = ("Outbound", "Inbound")
DISPOSITIONS = ("Connected", "Left Voicemail", "No Answer", "Busy", "Wrong Number", "Gatekeeper")
NOT_CONNECTED_MIX = np.array([0.0, 0.36, 0.33, 0.07, 0.04, 0.20])
# Call length by disposition: lognormal median seconds and spread.
CALL_SECONDS = np.array([[420, 0.7], [35, 0.4], [20, 0.3], [6, 0.3], [25, 0.4], [70, 0.5]])
TASK_SUBJECTS = (
    "Call", "Follow-up call", "Discovery call", "Pricing call", "Check-in call", "Cold call",
    "Email: Introduction", "Email: Follow-up", "Email: Proposal", "Email: Case study",
    "Email: Renewal reminder", "Update forecast", "Prepare account plan", "Expense report",
    "Send contract for signature", "Log partner feedback",
)
OPP_CALL_SUBJECTS, OPP_EMAIL_SUBJECTS = (1, 2, 3), (7, 8, 9)
LEAD_CALL_SUBJECTS, LEAD_EMAIL_SUBJECTS = (0, 5), (6, 7)
CHECKIN_CALL_SUBJECTS, CHECKIN_EMAIL_SUBJECTS = (4,), (10,)
ADMIN_SUBJECTS = (11, 12, 13, 14, 15)
EVENT_TYPES = ("Meeting", "Demo")
EVENT_SUBJECTS = ("Discovery meeting", "Stakeholder meeting", "Product demo",
                  "Technical deep-dive demo", "Customer check-in", "Quarterly business review")


@dataclass
class Activities:
    """Tasks (calls, emails, to-dos) and events (meetings, demos) as parallel arrays.
    who/what kinds: 0 none, 1 lead / opportunity, 2 contact / account."""

    task: dict[str, np.ndarray]
    event: dict[str, np.ndarray]

    @property
    def t_ts(self) -> np.ndarray:
        return self.task["ts"]

    @property
    def e_start(self) -> np.ndarray:
        return self.event["start"]


def _contact(rng: np.random.Generator, accounts: Accounts, account: np.ndarray) -> np.ndarray:
    """A contact of the account: up to five per company, numbered from the account so
    that their 003 ids are stable without a contact table."""
    per_account = 1 + np.minimum(accounts.employees[account] // 150, 4)
    return account * 5 + 1 + (rng.random(len(account)) * per_account).astype(np.int64)


def build_activities(cal: Calendar, org: Org, deals: Deals, leads: Leads, rng: np.random.Generator) -> Activities:
    """Every call, email, meeting and demo, attributed to whoever held the seat then."""
    parts_task, parts_event = [], []
    opp_task, opp_event = _deal_activities(cal, org, deals, rng)
    parts_task.append(opp_task)
    parts_event.append(opp_event)
    parts_task.append(_lead_activities(cal, org, leads, rng))
    check_task, check_event = _checkins(cal, org, deals.accounts, rng)
    parts_task.append(check_task)
    parts_event.append(check_event)
    parts_task.append(_admin_tasks(cal, org, rng))
    task = concat_dicts(parts_task)
    event = concat_dicts(parts_event)
    _call_details(org, rng, task)
    return Activities(task, event)


def _task_part(owner: np.ndarray, ts: np.ndarray, is_call: np.ndarray, subject: np.ndarray,
               who_kind: int | np.ndarray, who: np.ndarray, what_kind: int, what: np.ndarray,
               account: np.ndarray, lead_call: bool) -> dict[str, np.ndarray]:
    """Task columns in compact types: these arrays run to millions of rows."""
    n = len(ts)
    kind = np.where(is_call, 0, 1).astype(np.int8)
    return dict(owner=owner.astype(np.int32), ts=ts, type=kind, subtype=kind.copy(),
                subject=subject.astype(np.int8), who_kind=np.broadcast_to(who_kind, n).astype(np.int8),
                who=who.astype(np.int32), what_kind=np.full(n, what_kind, dtype=np.int8),
                what=what.astype(np.int32), account=account.astype(np.int32),
                status=np.zeros(n, dtype=np.int8), due_day=(ts // DAY).astype(np.int32),
                lead_call=np.full(n, lead_call))


def _pick(rng: np.random.Generator, choices: tuple[int, ...], n: int) -> np.ndarray:
    return np.array(choices)[rng.integers(0, len(choices), n)]


def _deal_activities(cal: Calendar, org: Org, deals: Deals, rng: np.random.Generator
                     ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A first touch when the deal is created, then follow-ups whose number depends on
    the rep's persistence, the deal's length and its outcome (won deals got more
    attention), and meetings and demos around the entry into the middle stages."""
    n = deals.n
    upper = np.where(deals.is_closed, deals.close_ts, cal.end_ts)
    creator, region = deals.creator, deals.region
    logs = deals.logged
    first_ts = deals.created + rng.integers(0, 2 * HOUR, n)
    first_ts = np.where(first_ts < upper, first_ts, deals.created)
    window = (upper - deals.created) / DAY
    outcome = np.where(deals.is_won, 1.35, np.where(deals.stage == LOST, 0.7, 1.0))
    lam = org.persistence[creator] * np.clip(window / 30, 0.15, 5) * outcome * np.sqrt(org.volume[creator])
    follow = np.where(logs, rng.poisson(lam), 0)
    deal = np.concatenate([np.flatnonzero(logs), np.repeat(np.arange(n), follow)])
    n_first = int(logs.sum())
    span = upper[deal] - deals.created[deal]
    ts = deals.created[deal] + (rng.uniform(0.02, 1, len(deal)) * span).astype(np.int64)
    ts = snap_before(cal, ts, upper[deal], region[deal], rng)
    ts[:n_first] = first_ts[logs]
    is_call = rng.random(len(deal)) < 0.62
    subject = np.where(is_call, _pick(rng, OPP_CALL_SUBJECTS, len(deal)),
                       _pick(rng, OPP_EMAIL_SUBJECTS, len(deal)))
    subject[:n_first] = np.where(is_call[:n_first], 2, 6)
    account = deals.account[deal]
    with_contact = rng.random(len(deal)) < 0.85
    task = _task_part(occupant_at(org, creator[deal], ts), ts, is_call, subject,
                      np.where(with_contact, 2, 0), np.where(with_contact, _contact(rng, deals.accounts, account), 0),
                      1, deal, account, False)

    # Meetings and demos: before entering Needs Analysis / Id. Decision Makers (meetings)
    # and Value Proposition / Perception Analysis (demos), so meetings come first.
    h_opp, h_stage = deals.h_opp, deals.h_stage
    entry = np.ones(len(h_opp), dtype=bool)
    entry[1:] = (h_opp[1:] != h_opp[:-1]) | (h_stage[1:] != h_stage[:-1])
    wanted = np.isin(h_stage, (2, 3, 4)) | ((h_stage == 5) & (rng.random(len(h_opp)) < 0.35))
    rows = np.flatnonzero(entry & wanted & logs[h_opp])
    e_deal = h_opp[rows]
    is_demo = np.isin(h_stage[rows], (3, 5))
    start = deals.h_ts[rows] - (rng.uniform(0, 2, len(rows)) * DAY).astype(np.int64)
    start = snap_before(cal, start, deals.h_ts[rows], region[e_deal], rng)
    start = np.maximum(start, deals.created[e_deal] + HOUR)
    minutes = np.where(is_demo, rng.choice([60, 90], len(rows)), rng.choice([30, 45, 60], len(rows)))
    keep = start + minutes * 60 < np.minimum(upper[e_deal], cal.end_ts)
    rows, e_deal, is_demo, start, minutes = rows[keep], e_deal[keep], is_demo[keep], start[keep], minutes[keep]
    subject = np.where(is_demo, np.where(h_stage[rows] == 3, 2, 3), np.where(h_stage[rows] == 2, 0, 1))

    # A deal that skipped Needs Analysis still had a discovery meeting before its first demo.
    first_meeting = np.full(n, NEVER)
    first_demo = np.full(n, NEVER)
    np.minimum.at(first_meeting, e_deal[~is_demo], start[~is_demo])
    np.minimum.at(first_demo, e_deal[is_demo], start[is_demo])
    need = np.flatnonzero((first_demo < NEVER) & (first_meeting > first_demo))
    extra = first_demo[need] - (rng.uniform(1, 5, len(need)) * DAY).astype(np.int64)
    extra = snap_before(cal, extra, first_demo[need] - HOUR, region[need], rng)
    extra = np.maximum(extra, deals.created[need] + HOUR)
    fits = extra + HOUR <= first_demo[need]
    need, extra = need[fits], extra[fits]
    e_deal = np.concatenate([e_deal, need])
    start = np.concatenate([start, extra])
    minutes = np.concatenate([minutes, rng.choice([30, 45, 60], len(need))])
    is_demo = np.concatenate([is_demo, np.zeros(len(need), dtype=bool)])
    subject = np.concatenate([subject, np.zeros(len(need), dtype=np.int64)])
    account = deals.account[e_deal]
    event = _event_part(rng, occupant_at(org, creator[e_deal], start), start, minutes, is_demo, subject,
                        _contact(rng, deals.accounts, account), 1, e_deal, account, deals.created[e_deal])
    return task, event


def _event_part(rng: np.random.Generator, owner: np.ndarray, start: np.ndarray, minutes: np.ndarray,
                is_demo: np.ndarray, subject: np.ndarray, who: np.ndarray, what_kind: int,
                what: np.ndarray, account: np.ndarray, not_before: np.ndarray) -> dict[str, np.ndarray]:
    """Events are booked a few days ahead and edited once they are over."""
    n = len(start)
    created = np.maximum(start - (rng.uniform(1 / 24, 7, n) * DAY).astype(np.int64), not_before)
    created = np.minimum(created, start)
    end = start + minutes * 60
    return dict(owner=owner, start=start, minutes=minutes, type=is_demo.astype(np.int64),
                subject=subject, who_kind=np.full(n, 2), who=who, what_kind=np.full(n, what_kind),
                what=what, account=account, created=created, last_modified=end)


def _lead_activities(cal: Calendar, org: Org, leads: Leads, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Calls and emails to leads (who_id = the lead, no what_id), by whoever holds the
    lead owner's seat at the time."""
    lead = leads.touches_lead
    ts = leads.touches_ts
    n = len(lead)
    is_call = rng.random(n) < 0.7
    subject = np.where(is_call, _pick(rng, LEAD_CALL_SUBJECTS, n), _pick(rng, LEAD_EMAIL_SUBJECTS, n))
    return _task_part(occupant_at(org, leads.owner[lead], ts), ts, is_call, subject, 1, lead, 0,
                      np.zeros(n, dtype=np.int64), np.full(n, -1), True)


def _checkins(cal: Calendar, org: Org, accounts: Accounts, rng: np.random.Generator
              ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Customer check-ins logged on the account (no deal): calls, emails and meetings."""
    customers = np.flatnonzero(accounts.first_win < cal.end_ts)
    since = np.maximum(accounts.first_win[customers], cal.start_ts)
    count = rng.poisson(0.25 * (cal.end_ts - since) / (30 * DAY))
    account = np.repeat(customers, count)
    lo = np.repeat(since, count)
    ts = lo + (rng.random(len(account)) * (cal.end_ts - lo)).astype(np.int64)
    ts = snap_before(cal, ts, np.full(len(ts), cal.end_ts), accounts.region[account], rng)
    owner = occupant_at(org, accounts.owner_base[account], ts)
    kind = rng.choice(3, len(account), p=[0.55, 0.15, 0.30])  # call, email, meeting
    contact = _contact(rng, accounts, account)
    t = kind < 2
    task = _task_part(owner[t], ts[t], kind[t] == 0, np.where(kind[t] == 0, CHECKIN_CALL_SUBJECTS[0],
                                                             CHECKIN_EMAIL_SUBJECTS[0]),
                      2, contact[t], 2, account[t], account[t], False)
    e = ~t
    minutes = rng.choice([30, 60], int(e.sum()))
    keep = ts[e] + minutes * 60 < cal.end_ts
    idx = np.flatnonzero(e)[keep]
    subject = np.where(rng.random(len(idx)) < 0.7, 4, 5)
    event = _event_part(rng, owner[idx], ts[idx], minutes[keep], np.zeros(len(idx), dtype=bool), subject,
                        contact[idx], 2, account[idx], account[idx], np.maximum(accounts.first_win[account[idx]],
                                                                               accounts.created[account[idx]]))
    return task, event


def _admin_tasks(cal: Calendar, org: Org, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Non-sales to-dos (forecast updates, expense reports), some still open."""
    grid = rep_month_grid(cal, org)
    count = rng.poisson(3.0 * org.volume[grid.rep] * grid.working_days / 21)
    rep = np.repeat(grid.rep, count)
    first = cal.working_cum[np.repeat(grid.lo_day, count) - cal.start_day]
    last = cal.working_cum[np.repeat(grid.hi_day, count) - cal.start_day]
    day = cal.working[first + (rng.random(len(rep)) * (last - first)).astype(np.int64)]
    ts = np.minimum(business_ts(cal, day, org.region[rep], rng), np.minimum(org.depart_ts[rep], cal.end_ts) - 1)
    n = len(rep)
    part = _task_part(rep, ts, np.zeros(n, dtype=bool), _pick(rng, ADMIN_SUBJECTS, n), 0,
                      np.zeros(n, dtype=np.int64), 0, np.zeros(n, dtype=np.int64), np.full(n, -1), False)
    part["type"] = np.where(rng.random(n) < 0.7, 2, -1).astype(np.int8)  # "Other", or left empty
    part["subtype"] = np.full(n, 2, dtype=np.int8)
    part["status"] = rng.choice(3, n, p=[0.88, 0.08, 0.04]).astype(np.int8)
    part["due_day"] = np.where(part["status"] == 0, ts // DAY,
                               np.minimum(ts // DAY + rng.integers(0, 6, n), cal.end_day - 1)).astype(np.int32)
    return part


def _call_details(org: Org, rng: np.random.Generator, task: dict[str, np.ndarray]) -> None:
    """Direction, disposition and length of every call: inbound calls always connect;
    outbound ones reach someone at the rep's connect rate (a little less on new leads)."""
    n = len(task["ts"])
    calls = np.flatnonzero(task["type"] == 0)
    m = len(calls)
    lead_call = task["lead_call"][calls]
    inbound = ~lead_call & (rng.random(m) < 0.12)
    connect = org.connect[task["owner"][calls]] * np.where(lead_call, 0.85, 1.0)
    other = np.searchsorted(np.cumsum(NOT_CONNECTED_MIX)[:-1], rng.random(m), side="right")
    disposition = np.where(inbound | (rng.random(m) < connect), 0, other)
    seconds = np.exp(rng.normal(np.log(CALL_SECONDS[disposition, 0]), CALL_SECONDS[disposition, 1]))
    task["call_type"] = np.full(n, -1, dtype=np.int8)
    task["call_type"][calls] = inbound
    task["disposition"] = np.full(n, -1, dtype=np.int8)
    task["disposition"][calls] = disposition
    task["duration"] = np.full(n, -1, dtype=np.int32)
    task["duration"][calls] = np.maximum(seconds, 1)
    # A few emails are drafted but not yet sent.
    email = np.flatnonzero(task["type"] == 1)
    task["status"][email[rng.random(len(email)) < 0.02]] = 1
    task["last_modified"] = task["ts"] + np.maximum(task["duration"], 0)
