"""A second implementation, in plain Python, of what the marts compute: it reads the raw
tables of a built demo warehouse directly (not the marts, not staging) and the seeds as
files. The *_independent test modules compare the marts with it."""

from __future__ import annotations

import csv
import math
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from salesperf.settings import PROJECT_ROOT
from tests.python.helpers import SMALL_DEMO_AS_OF, query

AS_OF = datetime.fromisoformat(SMALL_DEMO_AS_OF)
SEEDS = PROJECT_ROOT / "seeds"
CORPORATE_CURRENCY = "USD"
UNASSIGNED = "unassigned"


def close(a: float | None, b: float | None, rel_tol: float = 1e-12) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)


def rate(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def stays(history: list[tuple]) -> list[tuple[str, datetime, datetime | None]]:
    """(stage, entered, exited) runs of one deal's history rows (change time, id, stage,
    ...), sorted by time then id; exited is None while current. A row in the stage the deal
    already stands in continues its stay."""
    runs: list[list] = []
    for row in history:
        changed, stage = row[0], row[2]
        if runs and runs[-1][0] == stage:
            continue
        if runs:
            runs[-1][2] = changed
        runs.append([stage, changed, None])
    return [tuple(run) for run in runs]


def key(text: str | None) -> str | None:
    return None if text is None else "".join(text.split()).lower()


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


@dataclass
class Activity:
    owner: str
    who: str | None
    what: str | None
    kind: str
    is_sales: bool
    is_done: bool
    is_outbound: bool
    is_conversation: bool
    day: date
    moment: datetime


def activity_type(source: str, raw_type: str | None, raw_subtype: str | None) -> tuple[str, bool]:
    """The map's row that names the type beats one naming only the subtype, which beats
    the fallback naming neither."""
    best: tuple[int, str, bool] | None = None
    for row in seed("activity_type_map"):
        if row["source_object"] != source:
            continue
        if row["raw_type"] and key(row["raw_type"]) != key(raw_type):
            continue
        if row["raw_subtype"] and key(row["raw_subtype"]) != key(raw_subtype):
            continue
        priority = 2 * bool(row["raw_type"]) + bool(row["raw_subtype"])
        if best is None or priority > best[0]:
            best = (priority, row["activity_type"], row["is_sales_activity"] == "true")
    return (best[1], best[2]) if best else ("other", False)


class Ownership:
    """Who owned each deal when, from the id rows of the owner changes (a user id starts
    with 005; the name rows beside them do not), and who may take credit then: nobody
    before their hire."""

    def __init__(self, path: Path) -> None:
        self.hires = dict(query(path, "select id, created_date from raw.user"))
        self.changes: dict[str, list[tuple]] = {}
        for opp, changed, row_id, old, new in query(
            path,
            "select opportunity_id, created_date, id, old_value, new_value from raw.opportunity_field_history"
            " where not is_deleted and field = 'Owner' and new_value like '005%' order by 1, 2, 3",
        ):
            self.changes.setdefault(opp, []).append((changed, row_id, old, new))

    def owner_at(self, opp: str, current_owner: str, moment: datetime) -> str:
        changes = self.changes.get(opp, [])
        done = [c for c in changes if c[0] <= moment]
        return done[-1][3] if done else changes[0][2] if changes else current_owner

    def credited(self, owner: str | None, moment: datetime) -> str | None:
        hired = self.hires.get(owner)
        return UNASSIGNED if hired is not None and hired > moment else owner

    def credited_at(self, opp: str, current_owner: str, moment: datetime) -> str | None:
        return self.credited(self.owner_at(opp, current_owner, moment), moment)


def in_corporate_currency(amount: Decimal, rate_value: Decimal) -> Decimal:
    """An amount divided by its rate: to six decimals, then to the cent, as the models do."""
    quotient = (Decimal(amount) / rate_value).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    return quotient.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Rates:
    """Dated conversion rates: units of a currency per unit of the corporate currency, each
    holding until the currency's next rate starts."""

    def __init__(self, path: Path) -> None:
        self.by_currency: dict[str, list[tuple[date, date | None, Decimal]]] = {}
        for code, start, next_start, rate_value in query(
            path, "select iso_code, start_date, next_start_date, conversion_rate from raw.dated_conversion_rate"
                  " order by 1, 2",
        ):
            self.by_currency.setdefault(code, []).append((start, next_start, Decimal(str(rate_value))))

    def to_corporate(self, amount: Decimal | None, currency: str | None, day: date) -> Decimal | None:
        if amount is None or currency in (None, CORPORATE_CURRENCY):
            return None if amount is None else Decimal(amount)
        ranges = self.by_currency.get(currency, [])
        index = bisect_right([start for start, _, _ in ranges], day) - 1
        if index < 0:
            return None
        start, next_start, rate_value = ranges[index]
        following = ranges[index + 1][0] if index + 1 < len(ranges) else None
        ends = [d for d in (next_start, following) if d is not None]
        if ends and day >= min(ends):
            return None
        return in_corporate_currency(amount, rate_value)


def stage_catalogue() -> dict[str, dict[str, str]]:
    return {key(row["stage_name"]): row for row in seed("stage_catalogue")}


@cache
def deal_categories() -> dict[str, str]:
    return {key(row["opportunity_type"]): row["deal_category"] for row in seed("opportunity_types")}


def deal_category(raw_type: str | None) -> str:
    """new_business, upsell, renewal or other: the opportunity_types seed's row for the
    raw type, matched ignoring case and spaces; a type the seed does not list is other."""
    return deal_categories().get(key(raw_type), "other")


@cache
def referral_sources() -> frozenset[str]:
    return frozenset(key(row["lead_source"]) for row in seed("referral_lead_sources"))


def is_referral(lead_source: str | None) -> bool:
    return lead_source is not None and key(lead_source) in referral_sources()


def load_deals(path: Path, ownership: Ownership, rates: Rates) -> dict[str, dict]:
    """The live deals the CRM held at as_of, each as its last history row at or before
    as_of left it, with who created it, who closed it (owner when it entered its closed
    stage, else on its close date) and who owns it at as_of, its amount in the
    corporate currency at the close date's rate (an open deal's: as_of's), and its type,
    deal category and lead source."""
    catalogue = stage_catalogue()
    history: dict[str, list[tuple]] = {}
    for opp, changed, hid, stage, amount, probability, close_day, currency in query(
        path,
        "select opportunity_id, created_date, id, stage_name, amount, probability, close_date, currency_iso_code"
        " from raw.opportunity_history where not is_deleted order by 1, 2, 3",
    ):
        if changed <= AS_OF:
            history.setdefault(opp, []).append((changed, hid, stage, amount, probability, close_day, currency))
    deals = {}
    for (oid, owner, created, stage, amount, close_day, is_closed, is_won, account, currency,
         probability, raw_type, source) in query(
        path,
        "select id, owner_id, created_date, stage_name, amount, close_date, is_closed, is_won, account_id,"
        " currency_iso_code, probability, type, lead_source from raw.opportunity where not is_deleted",
    ):
        if created > AS_OF:
            continue
        rows = history.get(oid, [])
        closed_at = None
        if rows:
            _, _, stage, amount, probability, close_day, row_currency = rows[-1]
            currency = row_currency or currency
            flags = catalogue[key(stage)]
            is_closed, is_won = flags["is_closed"] == "true", flags["is_won"] == "true"
            if is_closed:
                closed_at = stays([(r[0], r[1], r[2]) for r in rows])[-1][1]
        if is_closed and closed_at is None:
            closed_at = datetime.combine(close_day, datetime.min.time())
        rate_day = close_day if is_closed else AS_OF.date()
        deals[oid] = {
            "owner": ownership.credited_at(oid, owner, AS_OF),
            "creator": ownership.credited_at(oid, owner, created),
            "closer": ownership.credited_at(oid, owner, closed_at) if is_closed else None,
            "current_owner": owner, "created": created, "close_date": close_day, "closed_at": closed_at,
            "is_closed": is_closed, "is_won": is_won, "stage": stage, "probability": probability,
            "amount": rates.to_corporate(amount, currency, rate_day), "currency": currency or CORPORATE_CURRENCY,
            "account": account, "history": rows,
            "type": raw_type, "category": deal_category(raw_type), "lead_source": source,
        }
    return deals


def load_leads(path: Path) -> dict[str, dict]:
    """The live leads created by as_of: owner, creation, source, and the deal and day of a
    conversion made by as_of (None otherwise)."""
    leads = {}
    for lid, owner, created, source, converted_day, converted_deal in query(
        path,
        "select id, owner_id, created_date, lead_source, converted_date, converted_opportunity_id"
        " from raw.lead where not is_deleted",
    ):
        if created > AS_OF:
            continue
        converted = converted_day is not None and converted_deal is not None and converted_day <= AS_OF.date()
        leads[lid] = {
            "owner": owner, "created": created, "source": source,
            "converted_date": converted_day if converted else None,
            "converted_opportunity": converted_deal if converted else None,
        }
    return leads


def converted_leads(leads: dict[str, dict], opportunities: dict[str, dict]) -> dict[str, list[str]]:
    """deal id -> the leads converted into it by as_of, earliest created first (then id)."""
    behind: dict[str, list[str]] = defaultdict(list)
    for lead_id, lead in sorted(leads.items(), key=lambda item: (item[1]["created"], item[0])):
        if lead["converted_opportunity"] in opportunities:
            behind[lead["converted_opportunity"]].append(lead_id)
    return dict(behind)


def touches(activities: list[Activity], opportunities: dict[str, dict], leads: dict[str, dict]) -> dict[str, int]:
    """deal id -> its touches: the completed sales activities linked to the deal (up to its
    close date when closed), plus, for a deal converted from a lead, those linked to the lead
    up to the day it was converted. An activity linked to both is one touch."""
    lead_deal = {
        lead_id: deal_id
        for deal_id, lead_ids in converted_leads(leads, opportunities).items() for lead_id in lead_ids
    }
    counts = dict.fromkeys(opportunities, 0)
    for a in activities:
        if not (a.is_sales and a.is_done):
            continue
        touched = set()
        deal_id = a.what if a.what in opportunities else a.who if a.who in opportunities else None
        if deal_id is not None:
            deal = opportunities[deal_id]
            if not (deal["is_closed"] and a.day > deal["close_date"]):
                touched.add(deal_id)
        if a.who in lead_deal and a.day <= leads[a.who]["converted_date"]:
            touched.add(lead_deal[a.who])
        for deal_id in touched:
            counts[deal_id] += 1
    return counts


def follow_up_counts(
    activities: list[Activity], opportunities: dict[str, dict], leads: dict[str, dict],
) -> dict[str, int]:
    """deal id -> follow-ups: the touches after the first one."""
    return {deal_id: max(n - 1, 0) for deal_id, n in touches(activities, opportunities, leads).items()}


def days_lead_to_close(opportunities: dict[str, dict], leads: dict[str, dict]) -> dict[str, int | None]:
    """deal id -> days from the creation date of the lead it was converted from (the earliest
    created, where several were) to its close date; None for open deals and deals not from a
    lead."""
    behind = converted_leads(leads, opportunities)
    out: dict[str, int | None] = dict.fromkeys(opportunities)
    for deal_id, lead_ids in behind.items():
        deal = opportunities[deal_id]
        if deal["is_closed"]:
            out[deal_id] = (deal["close_date"] - leads[lead_ids[0]]["created"].date()).days
    return out


def funnel_cells(activities: list[Activity], opportunities: dict[str, dict]) -> dict[tuple, list[int]]:
    """(rep, month) -> [outbound calls, meetings, new-business deals won]: completed sales
    activities by their owner and month, won new_business deals by the owner at close and
    month of close."""
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for a in activities:
        if a.is_done and a.is_sales:
            cell = cells[(a.owner, month_of(a.day))]
            cell[0] += a.is_outbound
            cell[1] += a.kind == "meeting"
    for deal in opportunities.values():
        if deal["is_won"] and deal["category"] == "new_business":
            cells[(deal["closer"], month_of(deal["close_date"]))][2] += 1
    return dict(cells)


def trailing(cells: dict[tuple, list[int]], rep: str | None, month: date, months: int = 3) -> list[int]:
    """The rep's cells summed over `months` months ending with `month` (m-2..m for 3)."""
    total = [0, 0, 0]
    for back in range(months):
        for i, value in enumerate(cells.get((rep, add_months(month, -back)), [0, 0, 0])):
            total[i] += value
    return total


def history_start(crm: dict) -> date:
    """The first month of CRM history: the month of the earliest activity date, deal
    creation or close, or lead creation the CRM held at as_of."""
    days = [a.day for a in crm["activities"]]
    for deal in crm["opportunities"].values():
        days.append(deal["created"].date())
        if deal["is_closed"]:
            days.append(deal["close_date"])
    days += [lead["created"].date() for lead in crm["leads"].values()]
    return month_of(min(day for day in days if day <= AS_OF.date()))


def customers(opportunities: dict[str, dict]) -> dict[str, dict]:
    """account id -> its first won deal (earliest close date, then smallest id), first won
    date, acquiring rep, channel and acquisition date, and lifetime value (every won deal).
    An account whose first won deal is an upsell or renewal was a customer before: no
    acquiring rep, channel 'existing customer'. Otherwise the closer of its first won
    new_business deal acquired it, through that deal's lead source, on its close date."""
    first: dict[str, tuple[date, str]] = {}
    first_new: dict[str, tuple[date, str]] = {}
    lifetime: dict[str, Decimal] = defaultdict(Decimal)
    for deal_id, deal in opportunities.items():
        if not deal["is_won"] or deal["account"] is None:
            continue
        lifetime[deal["account"]] += deal["amount"] or Decimal(0)
        candidate = (deal["close_date"], deal_id)
        if deal["account"] not in first or candidate < first[deal["account"]]:
            first[deal["account"]] = candidate
        if deal["category"] == "new_business":
            if deal["account"] not in first_new or candidate < first_new[deal["account"]]:
                first_new[deal["account"]] = candidate
    out = {}
    for account, (won_on, deal_id) in first.items():
        existing = opportunities[deal_id]["category"] in ("upsell", "renewal")
        acquired_on, acquiring_deal = (None, None) if existing else first_new.get(account, (None, None))
        acquiring = opportunities[acquiring_deal] if acquiring_deal else None
        out[account] = {
            "first_deal": deal_id, "first_won_date": won_on, "lifetime_value": lifetime[account],
            "acquiring_rep": acquiring["closer"] if acquiring else None,
            "channel": "existing customer" if existing else (acquiring["lead_source"] if acquiring else None),
            "acquired_date": acquired_on,
        }
    return out


def reps(crm: dict) -> set[str]:
    """The users who are reps: the creating, closing or current owner of a deal, or the
    owner of a rep-scope quota."""
    found = {owner for owner, _ in crm["rep_quota_starts"]}
    for deal in crm["opportunities"].values():
        found |= {deal["creator"], deal["closer"], deal["current_owner"]}
    return found - {None}


def rep_ltv(crm: dict) -> dict[tuple, list]:
    """(rep, year of acquisition, None for all time) -> [customers acquired, their lifetime
    value, loaded cost]: only reps; cost months from the first month of CRM history to the
    month of as_of (a yearly row: that year's)."""
    members = reps(crm)
    start, end = history_start(crm), month_of(AS_OF.date())
    cells: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for account in customers(crm["opportunities"]).values():
        rep = account["acquiring_rep"]
        if rep is None or rep not in members:
            continue
        for year in (account["acquired_date"].year, None):
            cells[(rep, year)][0] += 1
            cells[(rep, year)][1] += account["lifetime_value"]
    for user, month, cost in crm["costs"]:
        if user in members and start <= month <= end:
            for year in (month.year, None):
                cells[(user, year)][2] += Decimal(cost)
    return dict(cells)


SEGMENT_LEVELS = {
    "region, industry, acquisition_channel": (0, 1, 2), "region": (0,), "industry": (1,),
    "acquisition_channel": (2,),
}


def ltv_by_segment(crm: dict) -> dict[tuple, list]:
    """(segment, region, industry, acquisition_channel) -> [customers, total lifetime value,
    loaded cost]; region is the acquiring rep's sales region, a level's other columns are
    None. Each acquiring rep's all-time loaded cost is split equally over the rep's
    customers; a customer without an acquiring rep carries no cost."""
    ltv = rep_ltv(crm)
    share = {
        rep: cost / n for (rep, year), (n, _, cost) in ltv.items() if year is None and n
    }
    cells: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for account_id, account in customers(crm["opportunities"]).items():
        rep = account["acquiring_rep"]
        values = (crm["regions"].get(rep), crm["accounts"].get(account_id, {}).get("industry"), account["channel"])
        for segment, kept in SEGMENT_LEVELS.items():
            cell = cells[(segment, *(values[i] if i in kept else None for i in range(3)))]
            cell[0] += 1
            cell[1] += account["lifetime_value"]
            cell[2] += share.get(rep, Decimal(0))
    return dict(cells)


def load_crm(path: Path) -> dict:
    """The live records the CRM held at as_of, with each activity typed and flagged and
    credited to its owner from the owner's hire on, each lead with its conversion, each
    account's industry and each user's sales region."""
    ownership = Ownership(path)
    conversation = {key(r["call_disposition"]) for r in seed("call_dispositions") if r["is_conversation"] == "true"}
    activities: list[Activity] = []
    for (owner, who, what, raw_type, subtype, status, activity_day, created, call_type,
         disposition) in query(
        path,
        "select owner_id, who_id, what_id, type, task_subtype, status, activity_date, created_date,"
        " call_type, call_disposition from raw.task where not is_deleted",
    ):
        if created > AS_OF:
            continue
        kind, is_sales = activity_type("task", raw_type, subtype)
        day = activity_day or created.date()
        is_call = kind == "call"
        activities.append(Activity(
            ownership.credited(owner, datetime.combine(day, datetime.max.time())), who, what, kind, is_sales,
            is_done=(status is None or key(status) == "completed") and day <= AS_OF.date(),
            is_outbound=is_call and key(call_type) == "outbound",
            is_conversation=is_call and key(disposition) in conversation,
            day=day, moment=created,
        ))
    for owner, who, what, raw_type, start, created in query(
        path,
        "select owner_id, who_id, what_id, type, start_date_time, created_date from raw.event where not is_deleted",
    ):
        if created > AS_OF:
            continue
        kind, is_sales = activity_type("event", raw_type, None)
        owner = ownership.credited(owner, datetime.combine(start.date(), datetime.max.time()))
        activities.append(Activity(owner, who, what, kind, is_sales, start <= AS_OF, False, False, start.date(), start))
    opportunities = load_deals(path, ownership, Rates(path))
    leads = load_leads(path)
    users = {uid: (active, created) for uid, active, created in query(
        path, "select id, is_active, created_date from raw.user") if created is None or created <= AS_OF}
    regions = dict(query(path, "select id, division from raw.user"))
    accounts = {
        aid: {"industry": industry, "created": created}
        for aid, industry, created in query(
            path, "select id, industry, created_date from raw.account where not is_deleted")
        if created is None or created <= AS_OF
    }
    managers = dict(query(path, "select id, manager_id from raw.user"))
    quotas = query(
        path,
        "select id, owner_id, scope, period_type, period_start, quota_type, target_value from raw.quota where not is_deleted",
    )
    costs = query(path, "select user_id, month_start, loaded_cost from raw.rep_cost")
    rep_quota_starts = query(
        path, "select owner_id, period_start from raw.quota where not is_deleted and scope = 'rep'",
    )
    return {"path": path, "activities": activities, "opportunities": opportunities, "leads": leads,
            "users": users, "rep_quota_starts": rep_quota_starts, "managers": managers, "quotas": quotas,
            "costs": costs, "ownership": ownership, "regions": regions, "accounts": accounts}
