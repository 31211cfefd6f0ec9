"""A second implementation, in plain Python, of what the marts compute: it reads the raw
tables of a built demo warehouse directly (not the marts, not staging) and the seeds as
files. The *_independent test modules compare the marts with it."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from salesperf.settings import PROJECT_ROOT
from tests.python.helpers import SMALL_DEMO_AS_OF, query

AS_OF = datetime.fromisoformat(SMALL_DEMO_AS_OF)
SEEDS = PROJECT_ROOT / "seeds"


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


def load_crm(path: Path) -> dict:
    """The live records the CRM held at as_of, with each activity typed and flagged."""
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
            owner, who, what, kind, is_sales,
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
        activities.append(Activity(owner, who, what, kind, is_sales, start <= AS_OF, False, False, start.date(), start))
    opportunities = {
        oid: {"owner": owner, "created": created, "close_date": close_date, "is_closed": is_closed, "is_won": is_won,
              "amount": amount, "account": account}
        for oid, owner, created, close_date, is_closed, is_won, amount, account in query(
            path,
            "select id, owner_id, created_date, close_date, is_closed, is_won, amount, account_id"
            " from raw.opportunity where not is_deleted",
        )
        if created <= AS_OF
    }
    leads = {
        lid: {"owner": owner, "created": created}
        for lid, owner, created in query(path, "select id, owner_id, created_date from raw.lead where not is_deleted")
        if created <= AS_OF
    }
    users = {uid: (active, created) for uid, active, created in query(path, "select id, is_active, created_date from raw.user")}
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
