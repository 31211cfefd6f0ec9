"""Activities: prospecting dials, calls, emails and to-dos (tasks) and meetings and demos
(events) on deals, leads and accounts, each owned by the person who did it (a deal's
by its owner at the time), with call outcomes, inside local office hours."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesperf.demo.accounts import Accounts
from salesperf.demo.arrays import concat_dicts
from salesperf.demo.calendar import DAY_HOURS, OPEN, Calendar, advance, between, spread, weekday_of
from salesperf.demo.constants import DAY, HOUR, NEVER, REGIONS, RENEWAL
from salesperf.demo.deals import Deals
from salesperf.demo.leads import Leads
from salesperf.demo.org import Org, RepMonths, occupant_at
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
# Prospecting dials per working day, by title, for a rep of average volume: SDRs live on
# the phone, AEs call around their meetings (deal and lead calls come on top).
DIALS_PER_DAY = np.array([0.0, 0.0, 44.0, 10.5, 9.5])
COLD_CALL_SUBJECTS = (0, 5)
# Meetings: a discovery meeting before Needs Analysis (not on renewals), a stakeholder meeting before
# Id. Decision Makers on some deals; customer check-ins are calls, emails or meetings.
STAKEHOLDER_MEETING_P = 0.12
DEEP_DIVE_DEMO_P = 0.15  # a technical deep-dive demo before Perception Analysis
CHECKIN_MIX = np.array([0.70, 0.22, 0.08])
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


def build_activities(cal: Calendar, org: Org, grid: RepMonths, deals: Deals, leads: Leads,
                     rng: np.random.Generator) -> Activities:
    """Every call, email, meeting and demo of the history, owned by whoever did it."""
    parts_task, parts_event = [], []
    opp_task, opp_event = _deal_activities(cal, org, deals, rng)
    # The CRM's activity history starts with the history: work on the deals in flight
    # before it is not in the data.
    opp_task = {k: v[opp_task["ts"] >= cal.start_ts] for k, v in opp_task.items()}
    opp_event = {k: v[opp_event["start"] >= cal.start_ts] for k, v in opp_event.items()}
    parts_task.append(opp_task)
    parts_event.append(opp_event)
    parts_task.append(_lead_activities(cal, org, leads, rng))
    check_task, check_event = _checkins(cal, org, deals.accounts, rng)
    parts_task.append(check_task)
    parts_event.append(check_event)
    parts_task.append(_prospecting_dials(cal, org, grid, deals.accounts, rng))
    parts_task.append(_admin_tasks(cal, org, grid, rng))
    task = concat_dicts(parts_task)
    event = concat_dicts(parts_event)
    _call_details(org, rng, task)
    return Activities(task, event)


def _task_part(owner: np.ndarray, ts: np.ndarray, is_call: np.ndarray, subject: np.ndarray,
               who_kind: int | np.ndarray, who: np.ndarray, what_kind: int | np.ndarray, what: np.ndarray,
               account: np.ndarray, lead_call: bool, inbound_p: float = 0.12) -> dict[str, np.ndarray]:
    """Task columns in compact types: these arrays run to millions of rows. `inbound_p`:
    the share of the calls that the other side placed."""
    n = len(ts)
    kind = np.where(is_call, 0, 1).astype(np.int8)
    return dict(owner=owner.astype(np.int32), ts=ts, type=kind, subtype=kind.copy(),
                subject=subject.astype(np.int8), who_kind=np.broadcast_to(who_kind, n).astype(np.int8),
                who=who.astype(np.int32), what_kind=np.broadcast_to(what_kind, n).astype(np.int8),
                what=what.astype(np.int32), account=account.astype(np.int32),
                status=np.zeros(n, dtype=np.int8), due_day=(ts // DAY).astype(np.int32),
                lead_call=np.full(n, lead_call), inbound_p=np.full(n, inbound_p, dtype=np.float32))


def _pick(rng: np.random.Generator, choices: tuple[int, ...], n: int) -> np.ndarray:
    return np.array(choices)[rng.integers(0, len(choices), n)]


def _deal_activities(cal: Calendar, org: Org, deals: Deals, rng: np.random.Generator
                     ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A first touch when the deal is created, then follow-ups whose number depends on
    the rep's persistence, the deal's length and its outcome (won deals got more
    attention), and meetings and demos around the entry into the middle stages."""
    n = deals.n
    upper = np.where(deals.is_closed, deals.close_ts, cal.end_ts)
    region = deals.region
    seller = deals.close_owner
    logs = deals.logged
    first_ts = deals.created + rng.integers(0, 2 * HOUR, n)
    first_ts = np.where(first_ts < upper, first_ts, deals.created)
    window = (upper - deals.created) / DAY
    outcome = np.where(deals.is_won, 1.35, np.where(deals.stage == LOST, 0.7, 1.0))
    lam = org.persistence[seller] * np.clip(window / 30, 0.15, 5) * outcome * np.sqrt(org.volume[seller])
    follow = np.where(logs, rng.poisson(lam), 0)
    deal = np.concatenate([np.flatnonzero(logs), np.repeat(np.arange(n), follow)])
    n_first = int(logs.sum())
    ts = between(cal, deals.created[deal], upper[deal], region[deal], rng.uniform(0.02, 1, len(deal)))
    ts[:n_first] = first_ts[logs]
    is_call = rng.random(len(deal)) < 0.62
    subject = np.where(is_call, _pick(rng, OPP_CALL_SUBJECTS, len(deal)),
                       _pick(rng, OPP_EMAIL_SUBJECTS, len(deal)))
    subject[:n_first] = np.where(is_call[:n_first], 2, 6)
    account = deals.account[deal]
    with_contact = rng.random(len(deal)) < 0.85
    task = _task_part(deals.owner_at(deal, ts), ts, is_call, subject,
                      np.where(with_contact, 2, 0), np.where(with_contact, _contact(rng, deals.accounts, account), 0),
                      1, deal, account, False)

    # Meetings and demos: before entering Needs Analysis / Id. Decision Makers (meetings)
    # and Value Proposition / Perception Analysis (demos), so meetings come first.
    h_opp, h_stage = deals.h_opp, deals.h_stage
    entry = np.ones(len(h_opp), dtype=bool)
    entry[1:] = (h_opp[1:] != h_opp[:-1]) | (h_stage[1:] != h_stage[:-1])
    draw = rng.random(len(h_opp))
    discovery = (h_stage == 2) & (deals.kind[h_opp] != RENEWAL)  # a renewal starts from what is known
    wanted = (discovery | ((h_stage == 4) & (draw < STAKEHOLDER_MEETING_P)) | (h_stage == 3)
              | ((h_stage == 5) & (draw < DEEP_DIVE_DEMO_P)))
    rows = np.flatnonzero(entry & wanted & logs[h_opp])
    e_deal = h_opp[rows]
    is_demo = np.isin(h_stage[rows], (3, 5))
    start = advance(cal, deals.h_ts[rows], -rng.uniform(0, 2, len(rows)), region[e_deal])
    minutes = np.where(is_demo, rng.choice([60, 90], len(rows)), rng.choice([30, 45, 60], len(rows)))
    start = _in_office_hours(cal, start, minutes, region[e_deal])
    keep = ((start >= deals.created[e_deal] + HOUR) & (start < deals.h_ts[rows])
            & (start + minutes * 60 < np.minimum(upper[e_deal], cal.end_ts)))
    rows, e_deal, is_demo, start, minutes = rows[keep], e_deal[keep], is_demo[keep], start[keep], minutes[keep]
    subject = np.where(is_demo, np.where(h_stage[rows] == 3, 2, 3), np.where(h_stage[rows] == 2, 0, 1))

    # A deal that skipped Needs Analysis still had a discovery meeting before its first demo.
    first_meeting = np.full(n, NEVER)
    first_demo = np.full(n, NEVER)
    np.minimum.at(first_meeting, e_deal[~is_demo], start[~is_demo])
    np.minimum.at(first_demo, e_deal[is_demo], start[is_demo])
    need = np.flatnonzero((first_demo < NEVER) & (first_meeting > first_demo))
    extra = advance(cal, first_demo[need], -rng.uniform(1, 5, len(need)), region[need])
    extra_minutes = rng.choice([30, 45, 60], len(need))
    extra = _in_office_hours(cal, extra, extra_minutes, region[need])
    fits = (extra + HOUR <= first_demo[need]) & (extra >= deals.created[need] + HOUR)
    need, extra, extra_minutes = need[fits], extra[fits], extra_minutes[fits]
    e_deal = np.concatenate([e_deal, need])
    start = np.concatenate([start, extra])
    minutes = np.concatenate([minutes, extra_minutes])
    is_demo = np.concatenate([is_demo, np.zeros(len(need), dtype=bool)])
    subject = np.concatenate([subject, np.zeros(len(need), dtype=np.int64)])
    account = deals.account[e_deal]
    owner = deals.owner_at(e_deal, start)
    event = _event_part(cal, org, rng, owner, start, minutes, is_demo, subject, _contact(rng, deals.accounts, account),
                        1, e_deal, account, np.maximum(deals.created[e_deal], org.hire_ts[owner] + 60))
    return task, event


def _in_office_hours(cal: Calendar, start: np.ndarray, minutes: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Meeting starts on the quarter hour, moved earlier where the meeting would run past
    the office's closing time (as `start` is in office hours, it then still starts in them)."""
    start = start - start % (15 * 60)
    local = start + cal.offset(region, start // DAY)
    day = local // DAY
    closing = day * DAY + OPEN + DAY_HOURS[weekday_of(day)]
    return start - np.maximum(local + minutes * 60 - closing, 0)


def _event_part(cal: Calendar, org: Org, rng: np.random.Generator, owner: np.ndarray, start: np.ndarray,
                minutes: np.ndarray, is_demo: np.ndarray, subject: np.ndarray, who: np.ndarray, what_kind: int,
                what: np.ndarray, account: np.ndarray, not_before: np.ndarray) -> dict[str, np.ndarray]:
    """Events are booked during office hours a few days ahead (not before `not_before`)
    and edited once they are over."""
    n = len(start)
    lo = np.maximum(advance(cal, start, -7.0, org.region[owner]), not_before)
    created = np.minimum(between(cal, lo, start, org.region[owner], rng.random(n)), start)
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
    count = rng.poisson(0.22 * (cal.end_ts - since) / (30 * DAY))
    account = np.repeat(customers, count)
    lo = np.repeat(since, count)
    ts = between(cal, lo, np.full(len(lo), cal.end_ts), accounts.region[account], rng.random(len(account)))
    owner = occupant_at(org, accounts.owner_base[account], ts)
    kind = rng.choice(3, len(account), p=CHECKIN_MIX)  # call, email, meeting
    contact = _contact(rng, accounts, account)
    t = kind < 2
    task = _task_part(owner[t], ts[t], kind[t] == 0, np.where(kind[t] == 0, CHECKIN_CALL_SUBJECTS[0],
                                                             CHECKIN_EMAIL_SUBJECTS[0]),
                      2, contact[t], 2, account[t], account[t], False)
    e = ~t
    minutes = rng.choice([30, 60], int(e.sum()))
    start = _in_office_hours(cal, ts[e], minutes, accounts.region[account[e]])
    keep = (start + minutes * 60 < cal.end_ts) & (start >= lo[e])
    idx = np.flatnonzero(e)[keep]
    start, minutes = start[keep], minutes[keep]
    subject = np.where(rng.random(len(idx)) < 0.7, 4, 5)
    event = _event_part(cal, org, rng, owner[idx], start, minutes, np.zeros(len(idx), dtype=bool), subject,
                        contact[idx], 2, account[idx], account[idx],
                        np.maximum(np.maximum(accounts.first_win[account[idx]], accounts.created[account[idx]]),
                                   org.hire_ts[owner[idx]] + 60))
    return task, event


def _prospecting_dials(cal: Calendar, org: Org, grid: RepMonths, accounts: Accounts,
                       rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Cold calls to contacts at companies of the rep's region already in the CRM (on
    the contact, no deal): the bulk of an SDR's day, a good part of an AE's. Ramping
    reps dial a little less. Tens of millions of rows at scale: drawn per rep month."""
    lo, hi = grid.window(org)
    region = org.region[grid.rep]
    # The companies of the region created before the month: a call picks one at random.
    order = np.lexsort((accounts.created, accounts.region))
    region_first = np.searchsorted(accounts.region[order], np.arange(len(REGIONS) + 1))
    key = accounts.region[order] * (1 << 40) + accounts.created[order]
    known = np.searchsorted(key, region * (1 << 40) + lo) - region_first[region]
    volume = DIALS_PER_DAY[org.title[grid.rep]] * org.volume[grid.rep] * np.clip(grid.ramp, 0.6, 1.0)
    row = np.repeat(np.arange(len(grid.rep)), rng.poisson(volume * grid.working_days * (known > 0)))
    n = len(row)
    ts = spread(cal, lo, hi, region, row, rng.random(n, dtype=np.float32))
    account = order[region_first[region[row]] + (rng.random(n, dtype=np.float32) * known[row]).astype(np.int64)]
    return _task_part(grid.rep[row], ts, np.ones(n, dtype=bool), _pick(rng, COLD_CALL_SUBJECTS, n), 2,
                      _contact(rng, accounts, account), 0, np.zeros(n, dtype=np.int32), account, False,
                      inbound_p=0.0)


def _admin_tasks(cal: Calendar, org: Org, grid: RepMonths, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Non-sales to-dos (forecast updates, expense reports), some still open."""
    row = np.repeat(np.arange(len(grid.rep)), rng.poisson(3.0 * org.volume[grid.rep] * grid.working_days / 21))
    rep = grid.rep[row]
    lo, hi = grid.window(org)
    ts = spread(cal, lo, hi, org.region[grid.rep], row, rng.random(len(row)))
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
    inbound = ~lead_call & (rng.random(m, dtype=np.float32) < task["inbound_p"][calls])
    connect = org.connect.astype(np.float32)[task["owner"][calls]] * np.where(lead_call, 0.85, 1.0).astype(np.float32)
    other = np.searchsorted(np.cumsum(NOT_CONNECTED_MIX)[:-1], rng.random(m, dtype=np.float32), side="right")
    disposition = np.where(inbound | (rng.random(m, dtype=np.float32) < connect), 0, other).astype(np.int8)
    spread = rng.standard_normal(m, dtype=np.float32) * CALL_SECONDS[:, 1].astype(np.float32)[disposition]
    seconds = np.exp(np.log(CALL_SECONDS[:, 0]).astype(np.float32)[disposition] + spread)
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
    del task["inbound_p"]
