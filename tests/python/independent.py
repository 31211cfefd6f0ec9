"""A second implementation, in plain Python, of what the marts compute: it reads the raw
tables of a built demo warehouse directly (not the marts, not staging) and the seeds as
files. The *_independent test modules compare the marts with it."""

from __future__ import annotations

import csv
import math
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from salesperf.settings import PROJECT_ROOT
from tests.python.helpers import SMALL_DEMO_AS_OF, query

AS_OF = datetime.fromisoformat(SMALL_DEMO_AS_OF)
SEEDS = PROJECT_ROOT / "seeds"
CORPORATE_CURRENCY = "USD"
UNASSIGNED = "unassigned"


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


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


def load_deals(path: Path, ownership: Ownership, rates: Rates) -> dict[str, dict]:
    """The live deals the CRM held at as_of, each as its last history row at or before
    as_of left it, with who created it, who closed it (owner when it entered its closed
    stage, else on its close date) and who owns it at as_of, and its amount in the
    corporate currency at the close date's rate (an open deal's: as_of's)."""
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
         probability) in query(
        path,
        "select id, owner_id, created_date, stage_name, amount, close_date, is_closed, is_won, account_id,"
        " currency_iso_code, probability from raw.opportunity where not is_deleted",
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
        }
    return deals


def load_crm(path: Path) -> dict:
    """The live records the CRM held at as_of, with each activity typed and flagged and
    credited to its owner from the owner's hire on."""
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
    leads = {
        lid: {"owner": owner, "created": created}
        for lid, owner, created in query(path, "select id, owner_id, created_date from raw.lead where not is_deleted")
        if created <= AS_OF
    }
    users = {uid: (active, created) for uid, active, created in query(
        path, "select id, is_active, created_date from raw.user") if created is None or created <= AS_OF}
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
            "costs": costs}
