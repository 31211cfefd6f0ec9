"""Dirty loads: land each table as text with the faults real loads bring (stale, tied
and reloaded duplicates, soft deletes, malformed values such as stage names, amounts,
currency codes and rates, orphans, missing ids) and list every affected row for the
fault manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
import duckdb
import numpy as np
import pyarrow as pa

from salesperf.contract import ID_PREFIXES
from salesperf.demo.loads import Loads
from salesperf.demo.sql import id_sql, qualified_name
from salesperf.demo.tables import TableData
from salesperf.settings import LOADED_AT_COLUMN, SOURCE_ROW_COLUMN
from salesperf.warehouse import quote

BOOLEAN_COLUMNS = ("is_active", "is_deleted", "is_closed", "is_won", "is_converted")
TRUE_SPELLINGS = ("TRUE", "1", "t", "yes")
FALSE_SPELLINGS = ("FALSE", "0", "f", "no")
# Nullable text columns where a load may write '' instead of null.
NULLABLE_TEXT = {
    "user": ("division", "manager_id"), "user_role": ("parent_role_id",),
    "account": ("industry", "account_source"), "opportunity": ("lead_source",),
    "task": ("who_id", "what_id", "account_id", "type", "call_type", "call_disposition"),
    "event": ("who_id",), "lead": ("converted_opportunity_id", "converted_account_id"),
}
AMOUNT_COLUMNS = {"opportunity": "amount", "opportunity_history": "amount",
                  "opportunity_line_item": "total_price"}
# How an older or conflicting version of a record differs from the current one.
STALE_CHANGES = {
    "user": {"email": "replace(t.email, '@example.com', '@old.example.com')", "is_active": "'true'"},
    "account": {"type": "'Prospect'", "annual_revenue": "cast(cast(round(cast(t.annual_revenue as double) * 0.9, -3)"
                                                        " as decimal(18, 2)) as varchar)"},
    "opportunity": {
        "stage_name": "case when t.stage_name = 'Prospecting' then 'Qualification' else 'Prospecting' end",
        "probability": "'10.0'", "forecast_category": "'Pipeline'", "is_closed": "'false'", "is_won": "'false'",
        "amount": "cast(cast(round(cast(t.amount as decimal(18, 2)) * 0.9, 0) as decimal(18, 2)) as varchar)"},
    "opportunity_line_item": {
        "quantity": "cast(cast(t.quantity as decimal(18, 2)) + 1 as varchar)",
        "total_price": "cast(cast((cast(t.quantity as decimal(18, 2)) + 1) * cast(t.unit_price as decimal(18, 2))"
                       " as decimal(18, 2)) as varchar)"},
    "product_2": {"unit_cost_c": "cast(cast(round(cast(t.unit_cost_c as decimal(18, 2)) * 0.95, 2)"
                                 " as decimal(18, 2)) as varchar)"},
    "task": {"status": "case when t.status = 'Completed' then 'Not Started' else 'Completed' end"},
    "event": {"subject": "t.subject || ' (tentative)'"},
    "lead": {"status": "case when t.status = 'Open - Not Contacted' then 'Working - Contacted'"
                       " else 'Open - Not Contacted' end",
             "is_converted": "'false'", "converted_date": "null", "converted_opportunity_id": "null",
             "converted_account_id": "null"},
    "quota": {"target_value": "cast(cast(round(cast(t.target_value as decimal(18, 2)) * 1.1, 0) + 1"
                              " as decimal(18, 2)) as varchar)"},
}
DEAL_CHILDREN = ("opportunity_history", "opportunity_field_history", "opportunity_line_item")
CURRENCY_TABLES = ("opportunity", "opportunity_history", "opportunity_line_item")
CURRENCY_FORMATS = ("lower(t.currency_iso_code)", "' ' || t.currency_iso_code", "t.currency_iso_code || ' '",
                    "lower(t.currency_iso_code) || ' '")
RATE_FORMATS = ("' ' || t.conversion_rate || ' '", "printf('%e', cast(t.conversion_rate as double))",
                "t.conversion_rate || '00'")
STAGE_FORMATS = ("lower(t.stage_name)", "upper(t.stage_name) || ' '", "'  ' || t.stage_name",
                 "case when contains(t.stage_name, ' ') then replace(t.stage_name, ' ', '  ')"
                 " else t.stage_name || ' ' end")
QUARANTINE_FAULTS = ("missing_id", "unknown_stage", "non_numeric_amount", "negative_amount",
                     "orphan_history", "orphan_line_item", "activity_no_owner", "unknown_period_type")


def _text_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


@dataclass
class _Op:
    """One fault applied to a set of rows: in place, or as extra rows copied from them."""

    fault: str
    rows: np.ndarray  # original row numbers (0-based, in load order)
    sets: dict[str, str]  # column -> SQL over the row (t.*) and per-row parameters (x.*)
    detail: str  # may name {winner} (source_row that must win) and {record} (the record id)
    params: dict[str, np.ndarray] = field(default_factory=dict)
    placement: str | None = None  # None: in place; earlier / before / after / later: extra row
    winner: bool = False  # the original row wins over the extra one
    own_id: bool = False  # the extra row has a new id of its own (else: the original's id)


class FaultInjector:
    """Lands each table as text and injects the faults of a real load, listing them.

    Rows are addressed by a position key while faults are applied: the original rows at
    10 k + 5, extra rows just before (+4) or after (+6) the row they copy, or in an
    earlier (negative) or later (beyond the end) load. `_source_row` is the rank of that
    key, so every listed row can be found by its source_row after the table is written.
    Each original row takes part in at most one fault, so the faults never mask each other.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: str, loads: Loads, rate: float,
                 rng: np.random.Generator):
        self.con = con
        self.schema = schema
        self.loads = loads
        self.rng = rng
        self.rate = rate
        self.manifest_parts: list[pa.Table] = []
        self.faulted_opportunities: dict[str, np.ndarray] = {}  # parent fault -> opportunity numbers
        self.n_opportunities = 0

    # ---- counts and choices

    def count(self, n: int, fault: str, n_quarantine: int) -> int:
        """Rows to hit: the rate, at least one; for a fault that makes rows unusable, at
        least one only where the table is large enough to keep those under 1 %."""
        if fault not in QUARANTINE_FAULTS:
            return max(1, round(self.rate * n))
        floor = int(self.rate * n)
        return floor if floor >= 1 else int(n * 0.01 > n_quarantine)

    def choose(self, candidates: np.ndarray, k: int, used: np.ndarray) -> np.ndarray:
        free = candidates[~used[candidates]]
        if k <= 0 or not len(free):
            return np.zeros(0, dtype=np.int64)
        rows = np.sort(self.rng.choice(free, min(k, len(free)), replace=False))
        used[rows] = True
        return rows

    def where(self, condition: str) -> np.ndarray:
        """Original rows of the landing table meeting a SQL condition."""
        rows = self.con.execute(f"select (_pos - 5) // 10 from _demo_w where _pos % 10 = 5 and ({condition})"
                                " order by _pos").fetchnumpy()
        return next(iter(rows.values())).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)

    # ---- writing one table

    def write(self, table: TableData) -> None:
        n = table.data.num_rows
        columns = list(table.columns)
        data = table.data.append_column("_pos", pa.array(np.arange(n, dtype=np.int64) * 10 + 5))
        select = table.select(as_text=True)
        self.con.register("_demo_src", data)
        try:
            self.con.execute(f"create or replace temp table _demo_w as select {select}, timestamp"
                             f" '{self.loads.main}' as {quote(LOADED_AT_COLUMN)}, _pos from _demo_src")
        finally:
            self.con.unregister("_demo_src")
        ops = self.plan(table, n)
        self.apply(ops, columns, n)
        manifest = self.manifest_rows(table.name, ops, n)
        record = "user_id || '/' || month_start" if table.name == "rep_cost" else "id"
        self.con.register("_demo_m", manifest)
        try:
            self.manifest_parts.append(self.con.sql(f"""
                with numbered as (
                    select _pos, row_number() over (order by _pos) as sr, {record} as rid from _demo_w
                )
                select '{table.name}' as table_name, a.sr as source_row, r.rid as record_id, m.fault,
                    replace(replace(m.detail, '{{winner}}', coalesce(cast(w.sr as varchar), '')),
                            '{{record}}', coalesce(r.rid, '')) as detail
                from _demo_m as m
                join numbered as a on a._pos = m.pos
                join numbered as r on r._pos = m.record_pos
                left join numbered as w on w._pos = m.winner_pos
                order by a.sr, m.fault
            """).to_arrow_table())
        finally:
            self.con.unregister("_demo_m")
        names = ", ".join(quote(c) for c in columns)
        self.con.execute(
            f"create or replace table {qualified_name(self.schema, table.name)} as select {names},"
            f" {quote(LOADED_AT_COLUMN)}, row_number() over (order by _pos) as {quote(SOURCE_ROW_COLUMN)}"
            " from _demo_w order by _pos")
        self.con.execute("drop table _demo_w")
        if table.name == "opportunity":
            self.n_opportunities = n

    def positions(self, ops: list[_Op], n: int) -> list[np.ndarray]:
        """The position key of each op's rows (see the class docstring)."""
        earlier = sum(len(op.rows) for op in ops if op.placement == "earlier")
        next_earlier, next_later = -earlier, 10 * n + 10
        out = []
        for op in ops:
            base = op.rows * 10
            if op.placement == "earlier":
                out.append(np.arange(next_earlier, next_earlier + len(op.rows)))
                next_earlier += len(op.rows)
            elif op.placement == "later":
                out.append(np.arange(next_later, next_later + len(op.rows)))
                next_later += len(op.rows)
            else:
                out.append(base + {None: 5, "before": 4, "after": 6}[op.placement])
        return out

    def apply(self, ops: list[_Op], columns: list[str], n: int) -> None:
        loads = {"earlier": self.loads.earlier, "later": self.loads.later}
        for op, pos in zip(ops, self.positions(ops, n), strict=True):
            if not len(op.rows):
                continue
            x = pa.table({"pos": op.rows * 10 + 5, "new_pos": pos, **op.params})
            self.con.register("_demo_x", x)
            try:
                if op.placement is None:
                    sets = ", ".join(f"{quote(c)} = {e}" for c, e in op.sets.items())
                    self.con.execute(f"update _demo_w as t set {sets} from _demo_x as x where t._pos = x.pos")
                else:
                    values = ", ".join(op.sets.get(c, f"t.{quote(c)}") for c in columns)
                    loaded = (f"timestamp '{loads[op.placement]}'" if op.placement in loads
                              else f"t.{quote(LOADED_AT_COLUMN)}")
                    self.con.execute(f"insert into _demo_w select {values}, {loaded}, x.new_pos"
                                     " from _demo_w as t join _demo_x as x on t._pos = x.pos")
            finally:
                self.con.unregister("_demo_x")

    def manifest_rows(self, name: str, ops: list[_Op], n: int) -> pa.Table:
        parts = []
        for op, pos in zip(ops, self.positions(ops, n), strict=True):
            original = op.rows * 10 + 5
            parts.append(pa.table({
                "pos": pos, "fault": pa.array([op.fault] * len(pos), pa.string()),
                "detail": pa.array([op.detail] * len(pos), pa.string()),
                "record_pos": pos if (op.own_id or op.placement is None) else original,
                "winner_pos": original if op.winner else np.full(len(pos), -1),
            }))
        parts.append(self.parent_rows(name))
        return pa.concat_tables(parts) if parts else _empty_positions()

    def parent_rows(self, name: str) -> pa.Table:
        """History, field history and line items of deleted or quarantined deals: still
        live themselves, they must be taken out through their parent."""
        if name not in DEAL_CHILDREN or not self.faulted_opportunities:
            return _empty_positions()
        parts = []
        for fault, numbers in self.faulted_opportunities.items():
            if not len(numbers):
                continue
            self.con.register("_demo_p", pa.table({"n": numbers}))
            try:
                pos = self.con.execute(f"select _pos from _demo_w where opportunity_id in"
                                       f" (select {id_sql('opportunity', 'n')} from _demo_p) order by _pos"
                                       ).fetchnumpy()["_pos"].astype(np.int64)
            finally:
                self.con.unregister("_demo_p")
            reason = "deleted" if fault == "parent_deleted" else "quarantined"
            parts.append(pa.table({
                "pos": pos, "fault": pa.array([fault] * len(pos), pa.string()),
                "detail": pa.array([f"its opportunity is {reason}"] * len(pos), pa.string()),
                "record_pos": pos, "winner_pos": np.full(len(pos), -1)}))
        return pa.concat_tables(parts) if parts else _empty_positions()

    def manifest(self) -> pa.Table:
        if not self.manifest_parts:
            return empty_manifest()
        return pa.concat_tables([p.cast(empty_manifest().schema) for p in self.manifest_parts])

    # ---- which faults hit which rows

    def plan(self, table: TableData, n: int) -> list[_Op]:
        name, columns, meta = table.name, table.columns, table.meta
        rng = self.rng
        used = np.zeros(n, dtype=bool)
        everything = np.arange(n)
        quarantine = {"opportunity": 4, "opportunity_history": 3, "opportunity_line_item": 2,
                      "task": 2, "event": 2, "quota": 2}.get(name, 1)
        ops: list[_Op] = []

        def k(fault: str) -> int:
            return self.count(n, fault, quarantine)

        def new_ids(rows: np.ndarray) -> dict[str, np.ndarray]:
            start = n + 1 + sum(len(op.rows) for op in ops if op.own_id)
            return {"new_n": np.arange(start, start + len(rows))}

        id_column = "user_id" if name == "rep_cost" else "id"
        new_id = {"id": id_sql(name, "x.new_n")} if name in ID_PREFIXES else {}

        # Opportunity faults that take the record out hit deals no live activity points
        # at (duplicates entered by mistake), so that only their history and line items
        # depend on them.
        if name == "opportunity":
            pool = np.flatnonzero(meta["quiet"])
            rest = np.flatnonzero(meta["not_won"])

            def pick(fault: str) -> np.ndarray:
                rows = self.choose(pool, k(fault), used)
                return np.sort(np.concatenate([rows, self.choose(rest, k(fault) - len(rows), used)]))

            deleted = pick("soft_deleted")
            picks = {fault: pick(fault) for fault in ("unknown_stage", "non_numeric_amount", "negative_amount")}
            ops.append(_Op("soft_deleted", deleted, {"is_deleted": "'true'"}, "deleted in the CRM"))
            ops.append(_Op("unknown_stage", picks["unknown_stage"],
                           {"stage_name": "x.stage"}, "stage not in the catalogue",
                           {"stage": rng.choice(["Discovery", "Closed - Duplicate"], len(picks["unknown_stage"]))}))
            ops.append(_Op("non_numeric_amount", picks["non_numeric_amount"], {"amount": "x.amount"},
                           "amount is not a number",
                           {"amount": rng.choice(["TBD", "n/a", "$1,2OO"], len(picks["non_numeric_amount"]))}))
            ops.append(_Op("negative_amount", picks["negative_amount"], {"amount": "'-' || t.amount"},
                           "amount is negative"))
            self.faulted_opportunities = {
                "parent_deleted": deleted + 1,
                "parent_quarantined": np.concatenate([picks[f] for f in picks]) + 1}
        elif name in ("account", "lead"):
            ops.append(_Op("soft_deleted", self.choose(np.flatnonzero(meta["quiet"]), k("soft_deleted"), used),
                           {"is_deleted": "'true'"}, "deleted in the CRM"))
        elif name in ("task", "event"):
            ops.append(_Op("soft_deleted", self.choose(everything, k("soft_deleted"), used),
                           {"is_deleted": "'true'"}, "deleted in the CRM"))
            rows = self.choose(everything, k("activity_no_owner"), used)
            ops.append(_Op("activity_no_owner", rows, {"owner_id": "x.owner"}, "owner_id missing",
                           {"owner": pa.array(np.where(rng.random(len(rows)) < 0.5, "", None), pa.string())}))
        elif name in ("quota", "product_2", "opportunity_line_item", "opportunity_field_history"):
            # Deleted records that never counted: a quota entered twice, a product created by
            # mistake, a product taken off a deal, a field change recorded twice.
            rows = self.choose(everything, k("soft_deleted"), used)
            change = {"quota": {"target_value": STALE_CHANGES["quota"]["target_value"]},
                      "product_2": {"name": "t.name || ' (duplicate)'"}}.get(name, {})
            ops.append(_Op("soft_deleted", rows, {**new_id, "is_deleted": "'true'", **change},
                           "deleted record, loaded with its deletion flag", new_ids(rows), "after", own_id=True))

        if name in STALE_CHANGES:
            has_created = "created_date" in columns
            stale_rows = self.where("cast(last_modified_date as timestamp) >= cast(created_date as timestamp)"
                                    " + interval 2 minute") if has_created else everything
            stale_rows = self.choose(stale_rows, k("duplicate_stale"), used)
            if has_created:
                lmd = ("strftime(cast(t.created_date as timestamp) + to_seconds(cast((epoch(cast(t.last_modified_date"
                       " as timestamp)) - epoch(cast(t.created_date as timestamp))) * x.frac as bigint)),"
                       " '%Y-%m-%d %H:%M:%S')")
            else:
                lmd = ("strftime(cast(t.last_modified_date as timestamp) - to_seconds(cast(x.frac * 2592000 + 3600"
                       " as bigint)), '%Y-%m-%d %H:%M:%S')")
            ops.append(_Op("duplicate_stale", stale_rows, {**STALE_CHANGES[name], "last_modified_date": lmd},
                           "older version (earlier last_modified_date) loaded after the current one;"
                           " source_row {winner} must win",
                           {"frac": rng.uniform(0.05, 0.95, len(stale_rows))}, "later", winner=True))
            earlier = self.where(f"last_modified_date < '{self.loads.earlier}'")
            tie = self.choose(earlier, (k("duplicate_tie") + 1) // 2, used)
            ops.append(_Op("duplicate_tie", tie, STALE_CHANGES[name],
                           "same last_modified_date as source_row {winner}, which was loaded later and must win",
                           placement="earlier", winner=True))
            tie = self.choose(everything, k("duplicate_tie") // 2, used)
            ops.append(_Op("duplicate_tie", tie, STALE_CHANGES[name],
                           "same last_modified_date and load as source_row {winner}, which comes later in the"
                           " load and must win", placement="before", winner=True))

        booleans = [c for c in columns if c in BOOLEAN_COLUMNS]
        if booleans:
            rows = self.choose(everything, k("boolean_text"), used)
            params = {}
            sets = {}
            for i, c in enumerate(booleans):
                params[f"t{i}"] = rng.integers(1, 5, len(rows))
                params[f"f{i}"] = rng.integers(1, 5, len(rows))
                sets[c] = (f"case when t.{quote(c)} = 'true' then {_text_list(TRUE_SPELLINGS)}[x.t{i}]"
                           f" else {_text_list(FALSE_SPELLINGS)}[x.f{i}] end")
            ops.append(_Op("boolean_text", rows, sets, "booleans spelled other than true/false", params))

        if name in NULLABLE_TEXT:
            nullable = NULLABLE_TEXT[name]
            rows = self.where(" or ".join(f"{quote(c)} is null" for c in nullable))
            rows = self.choose(rows, k("empty_string"), used)
            ops.append(_Op("empty_string", rows, {c: f"coalesce(t.{quote(c)}, '')" for c in nullable},
                           "empty string written for null"))

        if name in ("opportunity", "opportunity_history"):
            rows = self.choose(everything, k("stage_name_format"), used)
            ops.append(_Op("stage_name_format", rows,
                           {"stage_name": f"[{', '.join(STAGE_FORMATS)}][x.v]"},
                           "stage name with stray spaces or other case", {"v": rng.integers(1, 5, len(rows))}))

        if name in CURRENCY_TABLES:
            rows = self.choose(everything, k("currency_code_format"), used)
            ops.append(_Op("currency_code_format", rows,
                           {"currency_iso_code": f"[{', '.join(CURRENCY_FORMATS)}][x.v]"},
                           "currency code in lower case or with stray spaces", {"v": rng.integers(1, 5, len(rows))}))
            # Only where the amount is in the corporate currency, which a missing code means.
            rows = self.choose(self.where("currency_iso_code = 'USD'"), k("empty_currency"), used)
            ops.append(_Op("empty_currency", rows, {"currency_iso_code": "''"},
                           "currency code empty; the amounts are in the corporate currency (USD)"))

        if name == "dated_conversion_rate":
            rows = self.choose(everything, k("rate_as_text"), used)
            ops.append(_Op("rate_as_text", rows, {"conversion_rate": f"[{', '.join(RATE_FORMATS)}][x.v]"},
                           "conversion rate written as formatted text (still numeric)",
                           {"v": rng.integers(1, len(RATE_FORMATS) + 1, len(rows))}))

        if name in ("opportunity_field_history", "dated_conversion_rate"):
            # No last_modified_date to tell the copies apart: the one loaded last wins.
            rows = self.choose(everything, k("duplicate_reloaded"), used)
            ops.append(_Op("duplicate_reloaded", rows, {},
                           "the same row loaded the night before as well; source_row {winner}, loaded last, wins",
                           placement="earlier", winner=True))

        if name in AMOUNT_COLUMNS:
            c = AMOUNT_COLUMNS[name]
            rows = self.choose(everything, k("amount_as_text"), used)
            cents = f"cast(replace(t.{c}, '.', '') as bigint)"
            digits = f"cast({cents} as varchar)"
            mantissa = f"regexp_replace({digits}, '0+$', '')"
            scientific = (f"left({mantissa}, 1) || case when length({mantissa}) > 1 then '.' || substr({mantissa}, 2)"
                          f" else '' end || 'e' || cast(length({digits}) - 3 as varchar)")
            padded = f"' ' || case when t.{c} like '%.00' then left(t.{c}, length(t.{c}) - 3) else t.{c} end || ' '"
            ops.append(_Op("amount_as_text", rows, {c: f"[{padded}, {scientific}, t.{c} || '0'][x.v]"},
                           "amount written as formatted text (still numeric)", {"v": rng.integers(1, 4, len(rows))}))

        if name == "opportunity_history":
            rows = self.choose(np.flatnonzero(meta["tie_ok"]), k("history_timestamp_tie"), used)
            ops.append(_Op("history_timestamp_tie", rows, new_id,
                           "logged at the same instant as the previous row of its opportunity",
                           new_ids(rows), "after", own_id=True))
            rows = self.choose(everything, k("unknown_stage"), used)
            ops.append(_Op("unknown_stage", rows, {**new_id, "stage_name": "x.stage"},
                           "stage not in the catalogue",
                           {**new_ids(rows), "stage": rng.choice(["Discovery", "Closed - Duplicate"], len(rows))},
                           "after", own_id=True))

        if name in ("opportunity_history", "opportunity_line_item"):
            fault = "orphan_history" if name == "opportunity_history" else "orphan_line_item"
            rows = self.choose(everything, k(fault), used)
            params = {**new_ids(rows), "orphan": self.n_opportunities + 1000 + np.arange(len(rows))}
            ops.append(_Op(fault, rows, {**new_id, "opportunity_id": id_sql("opportunity", "x.orphan")},
                           "opportunity_id names no opportunity", params, "after", own_id=True))

        if name == "quota":
            rows = self.choose(everything, k("unknown_period_type"), used)
            ops.append(_Op("unknown_period_type", rows, {**new_id, "period_type": "x.period"},
                           "period_type not month, quarter or year",
                           {**new_ids(rows), "period": rng.choice(["week", "semester"], len(rows))},
                           "after", own_id=True))

        rows = self.choose(everything, k("missing_id"), used)
        ops.append(_Op("missing_id", rows, {id_column: "x.blank"},
                       f"{id_column} missing; the row repeats record {{record}}",
                       {"blank": pa.array(np.where(rng.random(len(rows)) < 0.5, "", None), pa.string())}, "after"))
        return [op for op in ops if len(op.rows)]


def empty_manifest() -> pa.Table:
    return pa.table({"table_name": pa.array([], pa.string()), "source_row": pa.array([], pa.int64()),
                     "record_id": pa.array([], pa.string()), "fault": pa.array([], pa.string()),
                     "detail": pa.array([], pa.string())})


def _empty_positions() -> pa.Table:
    return pa.table({"pos": pa.array([], pa.int64()), "fault": pa.array([], pa.string()),
                     "detail": pa.array([], pa.string()), "record_pos": pa.array([], pa.int64()),
                     "winner_pos": pa.array([], pa.int64())})
