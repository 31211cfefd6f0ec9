"""The raw tables: for each, the generated arrays as Arrow columns and, per contract
column, the SQL expression that turns them into the landed value."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesperf.contract import ID_PREFIXES
from salesperf.demo.accounts import (
    ACCOUNT_LEGAL,
    ACCOUNT_SUFFIXES,
    ACCOUNT_TYPES,
    ACCOUNT_WORDS,
    COUNTRIES,
    INDUSTRIES,
    Accounts,
)
from salesperf.demo.activities import (
    CALL_TYPES,
    DISPOSITIONS,
    EVENT_SUBJECTS,
    EVENT_TYPES,
    TASK_STATUSES,
    TASK_SUBJECTS,
    TASK_SUBTYPES,
    TASK_TYPES,
    Activities,
)
from salesperf.demo.calendar import Calendar
from salesperf.demo.constants import DAY, NEVER, OPP_TYPE_LABEL, OPP_TYPES, REGIONS
from salesperf.demo.currency import CURRENCIES, OPEN_END_DAY, Rates
from salesperf.demo.deals import Deals
from salesperf.demo.lead_sources import LEAD_SOURCES
from salesperf.demo.leads import LEAD_STATUSES, Leads
from salesperf.demo.org import FIRST_NAMES, LAST_NAMES, TITLES, VP, Org
from salesperf.demo.products import PRODUCTS
from salesperf.demo.quotas import PERIOD_TYPES, QUOTA_TYPES, SCOPES
from salesperf.demo.sql import id_sql
from salesperf.demo.stages import FORECAST, STAGE_FORECAST, STAGES
from salesperf.warehouse import quote


@dataclass
class TableData:
    """One raw table: Arrow columns (numbers and codes) and, per contract column, the SQL
    expression that turns them into the landed value (ids and names are built in SQL)."""

    name: str
    data: pa.Table
    columns: dict[str, str]
    meta: dict[str, np.ndarray] = field(default_factory=dict)  # row flags the fault injector needs

    def select(self, as_text: bool) -> str:
        """The contract columns in contract order, typed or as landed text."""
        parts = [f"cast({expr} as varchar)" if as_text else expr for expr in self.columns.values()]
        return ", ".join(f"{p} as {quote(c)}" for p, c in zip(parts, self.columns, strict=True))


def _id_strings(name: str, count: int) -> pa.Array:
    """The ids of records 1..count, built once and shared by every column referring to them."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, count + 1)), pa.string()), 15, "0")
    return pc.binary_join_element_wise(ID_PREFIXES[name], digits, "")


def _ts(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds to an Arrow timestamp; negative means null."""
    micros = np.where(seconds >= 0, seconds * 1_000_000, np.iinfo(np.int64).min)
    return pa.array(micros.astype(np.int64).view("datetime64[us]"))


def _date(days: np.ndarray) -> pa.Array:
    days = np.asarray(days)
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=days == np.iinfo(np.int64).min)


def _money(cents: np.ndarray) -> pa.Array:
    """Integer cents as an exact decimal(18, 2), built straight from the 128-bit words."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words)])


def _codes(codes: np.ndarray, labels: tuple[str, ...]) -> pa.Array:
    """Low-cardinality text as a dictionary array; a negative code is null."""
    codes = np.asarray(codes)
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int16), mask=codes < 0), pa.array(labels))


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based position of each value in stable sorted order: ids that grow with time."""
    order = np.argsort(values, kind="stable")
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(1, len(values) + 1)
    return rank


class Ids:
    """The id strings of the records other tables refer to, each built once and shared
    by every column referring to them, and the account numbers (accounts are numbered
    by creation, like every Salesforce id; internally they are in generation order)."""

    def __init__(self, org: Org, deals: Deals):
        self.n_opportunities = deals.n
        self.account_number = _ranks(deals.accounts.created)
        self.counts = {"user": org.n_users, "user_role": 1 + 2 * org.n_teams, "account": deals.accounts.n,
                       "opportunity": deals.n, "product_2": len(PRODUCTS)}
        self.strings: dict[str, pa.Array] = {}

    def of(self, name: str) -> pa.Array:
        if name not in self.strings:
            self.strings[name] = _id_strings(name, self.counts[name])
        return self.strings[name]

    def ref(self, name: str, number: np.ndarray) -> pa.Array:
        """A reference column as a dictionary over the target's ids (0 or less: null):
        much cheaper than formatting millions of repeated ids row by row."""
        return pa.DictionaryArray.from_arrays(pa.array((number - 1).astype(np.int32), mask=number <= 0),
                                              self.of(name))

    def what_ref(self, kind: np.ndarray, number: np.ndarray) -> pa.Array:
        """what_id: an opportunity (kind 1) or an account (kind 2), numbered from 1."""
        if "what" not in self.strings:
            self.strings["what"] = pa.concat_arrays([self.of("opportunity"), self.of("account")])
        index = np.where(kind == 1, number - 1, self.n_opportunities + number - 1).astype(np.int32)
        return pa.DictionaryArray.from_arrays(pa.array(index, mask=kind == 0), self.strings["what"])

    def account(self, index: np.ndarray) -> np.ndarray:
        """Account numbers of account indexes (-1: none)."""
        return np.where(index >= 0, self.account_number[np.maximum(index, 0)], np.int64(-1))


TRACKED_FIELDS = ("Owner", "StageName", "Amount")
TRACKING_MONTHS = 4  # stage and amount history tracking was switched on this many months before the end

ACCOUNT_NAME = "cast(word as varchar) || cast(suffix as varchar) || ' ' || cast(legal as varchar)"


def user_table(org: Org, ids: Ids) -> TableData:
    n = org.n_users
    data = pa.table({
        "n": np.arange(1, n + 1), "full_name": pa.array(org.names()), "first": _codes(org.first_name, FIRST_NAMES),
        "last": _codes(org.last_name, LAST_NAMES), "title": _codes(org.title, TITLES),
        "division": _codes(np.where(org.kind == VP, -1, org.region), REGIONS),
        "role": ids.ref("user_role", org.role + 1), "manager": ids.ref("user", org.manager + 1),
        "active": org.depart_ts >= NEVER,
        "created": _ts(org.hire_ts), "modified": _ts(org.last_modified),
    })
    return TableData("user", data, {
        "id": id_sql("user", "n"),
        "name": "full_name",
        "email": "lower(cast(first as varchar) || '.' || replace(cast(last as varchar), ' ', '')) "
                 "|| '.' || cast(n as varchar) || '@example.com'",
        "title": "cast(title as varchar)", "division": "cast(division as varchar)",
        "user_role_id": "cast(role as varchar)", "manager_id": "cast(manager as varchar)",
        "is_active": "active", "created_date": "created", "last_modified_date": "modified",
    })


def user_role_table(org: Org) -> TableData:
    teams = np.arange(org.n_teams)
    labels = [f"{REGIONS[t % len(REGIONS)]} {t // len(REGIONS) + 1}" for t in teams]
    names = ["VP Sales"] + [name for label in labels
                            for name in (f"Sales Manager, {label}", f"Sales Team, {label}")]
    parent = np.concatenate([[0], np.stack([np.ones(org.n_teams), 2 + 2 * teams], axis=1).ravel()])
    data = pa.table({"n": np.arange(1, len(names) + 1), "name": pa.array(names),
                     "parent": parent.astype(np.int64)})
    return TableData("user_role", data, {
        "id": id_sql("user_role", "n"), "name": "name", "parent_role_id": id_sql("user_role", "parent", True)})


def account_table(accounts: Accounts, ids: Ids) -> TableData:
    order = np.argsort(ids.account_number)
    a = accounts
    data = pa.table({
        "n": ids.account_number[order], "word": _codes(a.name_word[order], ACCOUNT_WORDS),
        "suffix": _codes(a.name_suffix[order], ACCOUNT_SUFFIXES),
        "legal": _codes(a.name_legal[order], ACCOUNT_LEGAL),
        "industry": _codes(a.industry[order], INDUSTRIES), "type": _codes(a.type[order], ACCOUNT_TYPES),
        "country": _codes(a.country[order], COUNTRIES), "revenue": _money(a.revenue_cents[order]),
        "employees": a.employees[order].astype(np.int32), "owner": ids.ref("user", a.owner[order] + 1),
        "source": _codes(a.source[order], LEAD_SOURCES), "created": _ts(a.created[order]),
        "modified": _ts(a.last_modified[order]),
    })
    meta = {"quiet": ~a.has_deals[order]}  # no deals, no activities: safe to delete
    return TableData("account", data, meta=meta, columns={
        "id": id_sql("account", "n"), "name": ACCOUNT_NAME, "industry": "cast(industry as varchar)",
        "type": "cast(type as varchar)", "billing_country": "cast(country as varchar)",
        "annual_revenue": "revenue", "number_of_employees": "employees",
        "owner_id": "cast(owner as varchar)", "account_source": "cast(source as varchar)",
        "created_date": "created", "is_deleted": "false", "last_modified_date": "modified",
    })


def opportunity_table(deals: Deals, leads: Leads, ids: Ids) -> TableData:
    d, a, accounts = deals, deals.account, deals.accounts
    data = pa.table({
        "n": np.arange(1, d.n + 1), "word": _codes(accounts.name_word[a], ACCOUNT_WORDS),
        "suffix": _codes(accounts.name_suffix[a], ACCOUNT_SUFFIXES),
        "legal": _codes(accounts.name_legal[a], ACCOUNT_LEGAL),
        "label": _codes(d.kind, OPP_TYPE_LABEL), "account": ids.ref("account", ids.account(a)),
        "owner": ids.ref("user", d.owner + 1),
        "stage": _codes(d.stage, STAGES), "amount": _money(d.amount), "probability": d.probability,
        "close": _date(d.close_day), "created": _ts(d.created), "closed": d.is_closed, "won": d.is_won,
        "type": _codes(d.kind, OPP_TYPES), "source": _codes(d.lead_source, LEAD_SOURCES),
        "forecast": _codes(STAGE_FORECAST[d.stage], FORECAST), "modified": _ts(d.last_modified),
        "currency": _codes(d.currency, CURRENCIES),
    })
    converted = np.zeros(d.n, dtype=bool)
    converted[leads.converted_deal[leads.converted_deal >= 0]] = True
    meta = {"quiet": ~d.logged & ~d.is_won & ~converted, "not_won": ~d.is_won}
    return TableData("opportunity", data, meta=meta, columns={
        "id": id_sql("opportunity", "n"),
        "name": f"{ACCOUNT_NAME} || ' - ' || cast(label as varchar) || ' ' || cast(year(created) as varchar)",
        "account_id": "cast(account as varchar)", "owner_id": "cast(owner as varchar)",
        "stage_name": "cast(stage as varchar)", "amount": "amount", "probability": "probability",
        "close_date": "close", "created_date": "created", "is_closed": "closed", "is_won": "won",
        "type": "cast(type as varchar)", "lead_source": "cast(source as varchar)",
        "forecast_category": "cast(forecast as varchar)", "is_deleted": "false",
        "last_modified_date": "modified", "currency_iso_code": "cast(currency as varchar)",
    })


def opportunity_history_table(deals: Deals, ids: Ids) -> TableData:
    d = deals
    data = pa.table({
        "n": np.arange(1, len(d.h_opp) + 1), "opp": ids.ref("opportunity", d.h_opp + 1), "created": _ts(d.h_ts),
        "stage": _codes(d.h_stage, STAGES), "amount": _money(d.h_amount), "probability": d.h_probability,
        "close": _date(d.h_close_day), "forecast": _codes(STAGE_FORECAST[d.h_stage], FORECAST),
        "currency": _codes(d.currency[d.h_opp], CURRENCIES),
    })
    later = np.ones(len(d.h_opp), dtype=bool)  # the next row of the deal is strictly later
    later[:-1] = (d.h_opp[1:] != d.h_opp[:-1]) | (d.h_ts[1:] > d.h_ts[:-1])
    return TableData("opportunity_history", data, meta={"tie_ok": later}, columns={
        "id": id_sql("opportunity_history", "n"), "opportunity_id": "cast(opp as varchar)",
        "created_date": "created", "stage_name": "cast(stage as varchar)", "amount": "amount",
        "probability": "probability", "close_date": "close",
        "forecast_category": "cast(forecast as varchar)", "is_deleted": "false",
        "currency_iso_code": "cast(currency as varchar)",
    })


def opportunity_line_item_table(deals: Deals, ids: Ids) -> TableData:
    d = deals
    data = pa.table({
        "n": np.arange(1, len(d.li_opp) + 1), "opp": ids.ref("opportunity", d.li_opp + 1),
        "product": ids.ref("product_2", d.li_product + 1),
        "quantity": _money(d.li_quantity * 100), "unit": _money(d.li_unit_cents),
        "total": _money(d.li_total_cents), "modified": _ts(d.li_last_modified),
        "currency": _codes(d.currency[d.li_opp], CURRENCIES),
    })
    return TableData("opportunity_line_item", data, {
        "id": id_sql("opportunity_line_item", "n"), "opportunity_id": "cast(opp as varchar)",
        "product_2_id": "cast(product as varchar)", "quantity": "quantity", "unit_price": "unit",
        "total_price": "total", "is_deleted": "false", "last_modified_date": "modified",
        "currency_iso_code": "cast(currency as varchar)",
    })


def product_2_table(cal: Calendar, deals: Deals) -> TableData:
    n = len(PRODUCTS)
    active = deals.products_deactivated >= NEVER
    modified = np.where(active, cal.start_ts - (np.arange(n) * 7 + 30) * DAY, deals.products_deactivated)
    data = pa.table({
        "n": np.arange(1, n + 1), "name": pa.array([p[0] for p in PRODUCTS]),
        "family": pa.array([p[1] for p in PRODUCTS]), "active": active,
        "cost": _money(np.array([p[3] for p in PRODUCTS]) * 100), "modified": _ts(modified),
    })
    return TableData("product_2", data, {
        "id": id_sql("product_2", "n"), "name": "name", "family": "family", "is_active": "active",
        "unit_cost_c": "cost", "is_deleted": "false", "last_modified_date": "modified",
    })


def task_table(cal: Calendar, acts: Activities, ids: Ids) -> TableData:
    t = acts.task
    what = np.where(t["what_kind"] == 2, ids.account(np.where(t["what_kind"] == 2, t["what"], -1)), t["what"] + 1)
    data = pa.table({
        "n": np.arange(1, len(t["ts"]) + 1), "owner": ids.ref("user", t["owner"] + 1),
        "who_kind": t["who_kind"], "who": np.where(t["who_kind"] == 1, t["who"] + 1, t["who"]),
        "what": ids.what_ref(t["what_kind"], what), "account": ids.ref("account", ids.account(t["account"])),
        "subject": _codes(t["subject"], TASK_SUBJECTS), "type": _codes(t["type"], TASK_TYPES),
        "subtype": _codes(t["subtype"], TASK_SUBTYPES), "status": _codes(t["status"], TASK_STATUSES),
        "day": _date(t["due_day"]), "created": _ts(t["ts"]), "call_type": _codes(t["call_type"], CALL_TYPES),
        "disposition": _codes(t["disposition"], DISPOSITIONS),
        "duration": pa.array(t["duration"], mask=t["duration"] < 0),
        "modified": _ts(np.minimum(t["last_modified"], cal.end_ts - 1)),
    })
    return TableData("task", data, {
        "id": id_sql("task", "n"), "owner_id": "cast(owner as varchar)", "who_id": _who_sql(),
        "what_id": "cast(what as varchar)", "account_id": "cast(account as varchar)",
        "subject": "cast(subject as varchar)", "type": "cast(type as varchar)",
        "task_subtype": "cast(subtype as varchar)", "status": "cast(status as varchar)",
        "activity_date": "day", "created_date": "created", "call_type": "cast(call_type as varchar)",
        "call_disposition": "cast(disposition as varchar)", "call_duration_in_seconds": "duration",
        "is_deleted": "false", "last_modified_date": "modified",
    })


def event_table(acts: Activities, ids: Ids) -> TableData:
    e = acts.event
    what = np.where(e["what_kind"] == 2, ids.account(np.where(e["what_kind"] == 2, e["what"], -1)), e["what"] + 1)
    data = pa.table({
        "n": np.arange(1, len(e["start"]) + 1), "owner": ids.ref("user", e["owner"] + 1),
        "who_kind": e["who_kind"].astype(np.int8), "who": e["who"],
        "what": ids.what_ref(e["what_kind"], what), "account": ids.ref("account", ids.account(e["account"])),
        "subject": _codes(e["subject"], EVENT_SUBJECTS), "type": _codes(e["type"], EVENT_TYPES),
        "start": _ts(e["start"]), "end": _ts(e["start"] + e["minutes"] * 60),
        "minutes": e["minutes"].astype(np.int32), "created": _ts(e["created"]),
        "modified": _ts(e["last_modified"]),
    })
    return TableData("event", data, {
        "id": id_sql("event", "n"), "owner_id": "cast(owner as varchar)", "who_id": _who_sql(),
        "what_id": "cast(what as varchar)", "account_id": "cast(account as varchar)",
        "subject": "cast(subject as varchar)", "type": "cast(type as varchar)",
        "start_date_time": "start", "end_date_time": "\"end\"", "duration_in_minutes": "minutes",
        "created_date": "created", "is_deleted": "false", "last_modified_date": "modified",
    })


def lead_table(leads: Leads, deals: Deals, ids: Ids) -> TableData:
    converted = leads.converted_deal >= 0
    conversion = np.where(converted, deals.created[np.maximum(leads.converted_deal, 0)], -1)
    data = pa.table({
        "n": np.arange(1, len(leads.created) + 1), "owner": ids.ref("user", leads.owner + 1),
        "status": _codes(leads.status, LEAD_STATUSES), "source": _codes(leads.source, LEAD_SOURCES),
        "created": _ts(leads.created), "converted": converted,
        "converted_day": _date(np.where(converted, conversion // DAY, np.iinfo(np.int64).min)),
        "opp": ids.ref("opportunity", leads.converted_deal + 1),
        "account": ids.ref("account", ids.account(leads.account)),
        "modified": _ts(leads.last_modified),
    })
    return TableData("lead", data, meta={"quiet": leads.status == 0}, columns={
        "id": id_sql("lead", "n"), "owner_id": "cast(owner as varchar)", "status": "cast(status as varchar)",
        "lead_source": "cast(source as varchar)", "created_date": "created", "is_converted": "converted",
        "converted_date": "converted_day", "converted_opportunity_id": "cast(opp as varchar)",
        "converted_account_id": "cast(account as varchar)", "is_deleted": "false",
        "last_modified_date": "modified",
    })


def quota_table(quotas: dict[str, np.ndarray], ids: Ids) -> TableData:
    data = pa.table({
        "n": np.arange(1, len(quotas["owner"]) + 1), "owner": ids.ref("user", quotas["owner"] + 1),
        "scope": _codes(quotas["scope"], SCOPES), "period": _codes(quotas["period"], PERIOD_TYPES),
        "start": _date(quotas["start"]), "type": _codes(quotas["type"], QUOTA_TYPES),
        "target": _money(quotas["value"]), "modified": _ts(quotas["last_modified"]),
    })
    return TableData("quota", data, {
        "id": id_sql("quota", "n"), "owner_id": "cast(owner as varchar)", "scope": "cast(scope as varchar)",
        "period_type": "cast(period as varchar)", "period_start": "start",
        "quota_type": "cast(type as varchar)", "target_value": "target", "method": "'top_down'",
        "is_deleted": "false", "last_modified_date": "modified",
    })


def rep_cost_table(costs: dict[str, np.ndarray], ids: Ids) -> TableData:
    data = pa.table({"user": ids.ref("user", costs["user"] + 1), "month": _date(costs["month_day"]),
                     "cost": _money(costs["cents"])})
    return TableData("rep_cost", data, {
        "user_id": "cast(\"user\" as varchar)", "month_start": "month", "loaded_cost": "cost"})


def opportunity_field_history_table(cal: Calendar, org: Org, deals: Deals) -> TableData:
    """Owner changes, two rows each at one instant as Salesforce writes them (user ids,
    then user names), and, since field history tracking was switched on for them a few
    months before the end, stage and amount changes."""
    d, own = deals, deals.ownership
    n_users = org.n_users
    m = len(own.deal)
    # Values index one dictionary: user ids, then user names, then stage names.
    by_name = np.tile([0, n_users], m)
    owner_old, owner_new = np.repeat(own.old, 2) + by_name, np.repeat(own.new, 2) + by_name
    previous = np.zeros(len(d.h_opp), dtype=bool)
    previous[1:] = d.h_opp[1:] == d.h_opp[:-1]
    tracked = previous & (d.h_ts >= cal.end_ts - TRACKING_MONTHS * 30 * DAY)
    row = np.flatnonzero(tracked & (np.roll(d.h_stage, 1) != d.h_stage))
    amount_row = np.flatnonzero(tracked & (np.roll(d.h_amount, 1) != d.h_amount))
    none = np.full(len(amount_row), -1)
    opp = np.concatenate([np.repeat(own.deal, 2), d.h_opp[row], d.h_opp[amount_row]])
    ts = np.concatenate([np.repeat(own.ts, 2), d.h_ts[row], d.h_ts[amount_row]])
    fld = np.concatenate([np.zeros(2 * m, dtype=np.int64), np.ones(len(row), dtype=np.int64),
                          np.full(len(amount_row), 2)])
    old = np.concatenate([owner_old, 2 * n_users + d.h_stage[row - 1], none])
    new = np.concatenate([owner_new, 2 * n_users + d.h_stage[row], none])
    no_amount = np.zeros(2 * m + len(row), dtype=np.int64)
    old_amount = np.concatenate([no_amount, d.h_amount[amount_row - 1]])
    new_amount = np.concatenate([no_amount, d.h_amount[amount_row]])
    order = np.lexsort((np.arange(len(opp)), opp, ts))  # ids grow with time
    values = pa.concat_arrays([_id_strings("user", n_users), pa.array(org.names()), pa.array(STAGES)])
    amount_mask = fld[order] != 2
    data = pa.table({
        "n": np.arange(1, len(opp) + 1), "opp": opp[order] + 1,
        "field": _codes(fld[order], TRACKED_FIELDS),
        "old": pa.DictionaryArray.from_arrays(pa.array(old[order].astype(np.int32), mask=old[order] < 0), values),
        "new": pa.DictionaryArray.from_arrays(pa.array(new[order].astype(np.int32), mask=new[order] < 0), values),
        "old_amount": _money(old_amount[order]),
        "new_amount": _money(new_amount[order]), "amount_row": ~amount_mask,
        "created": _ts(ts[order]),
    })
    return TableData("opportunity_field_history", data, columns={
        "id": id_sql("opportunity_field_history", "n"), "opportunity_id": id_sql("opportunity", "opp"),
        "field": "cast(field as varchar)",
        "old_value": "case when amount_row then cast(old_amount as varchar) else cast(old as varchar) end",
        "new_value": "case when amount_row then cast(new_amount as varchar) else cast(new as varchar) end",
        "created_date": "created", "is_deleted": "false"})


def dated_conversion_rate_table(rates: Rates) -> TableData:
    """One rate per currency and month, the corporate currency at 1, the last month of
    each open-ended."""
    n_currencies, n_months = rates.rate.shape
    month = np.tile(np.arange(n_months), n_currencies)
    currency = np.repeat(np.arange(n_currencies), n_months)
    order = np.lexsort((currency, month))
    month, currency = month[order], currency[order]
    following = np.where(month + 1 < n_months, rates.month_days[np.minimum(month + 1, n_months - 1)], OPEN_END_DAY)
    data = pa.table({
        "n": np.arange(1, len(month) + 1), "currency": _codes(currency, CURRENCIES),
        "start": _date(rates.month_days[month]), "next": _date(following),
        "rate": pa.array(rates.rate[currency, month]),
    })
    return TableData("dated_conversion_rate", data, {
        "id": id_sql("dated_conversion_rate", "n"), "iso_code": "cast(currency as varchar)", "start_date": "start",
        "next_start_date": "next", "conversion_rate": "cast(rate as decimal(18, 6))"})


def _who_sql() -> str:
    return (f"case who_kind when 1 then {id_sql('lead', 'who')} when 2 then {id_sql('contact', 'who')} end")
