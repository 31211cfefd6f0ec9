"""The CRM as it stood at a moment, made from raw tables loaded later: a second statement
of what `as_of` means, written against the raw tables instead of the models.

`cut_raw_tables` copies a raw schema and removes what the CRM did not hold yet at the
moment: records created later, stage history, field history and activities recorded
later. Each remaining deal gets the stage, amount, probability, close date and currency
of its last history row at or before the moment (is_closed and is_won with them, from
the stage catalogue), and the owner the ownership history gives it then. A lead
converted after the moment's day is not converted yet. Plans (quotas, rep costs),
products, roles and exchange rates are kept as loaded, and so are the users: the quota
plan loaded now names reps hired after the moment, and a user's creation is their hire,
a fact the models read (dim_reps itself leaves out users created after as_of).
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from salesperf.settings import PROJECT_ROOT

STAGE_CATALOGUE = PROJECT_ROOT / "seeds" / "stage_catalogue.csv"
CREATED_LATER_REMOVED = ("account", "opportunity", "opportunity_history", "opportunity_field_history",
                         "task", "event", "lead")


def stage_flags() -> dict[str, tuple[bool, bool]]:
    """Stage name (lower case, no spaces) -> (is_closed, is_won), from the catalogue seed."""
    with STAGE_CATALOGUE.open() as handle:
        return {row["stage_name"].lower().replace(" ", ""): (row["is_closed"] == "true", row["is_won"] == "true")
                for row in csv.DictReader(handle)}


def cut_raw_tables(source: Path, target: Path, moment_utc: datetime, reporting_timezone: str = "UTC") -> None:
    """Write into `target` (schema raw) the raw tables of `source` as the CRM held them at
    `moment_utc` (naive UTC). Rows are changed in place, so load columns stay as loaded."""
    moment_day = moment_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(reporting_timezone)).date()
    with duckdb.connect(str(target)) as con:
        con.execute(f"attach '{source}' as src (read_only)")
        con.execute("create schema raw")
        for (table,) in con.execute("select table_name from information_schema.tables"
                                    " where table_catalog = 'src' and table_schema = 'raw'").fetchall():
            con.execute(f'create table raw."{table}" as select * from src.raw."{table}"')
        con.execute("detach src")
        _cut(con, moment_utc, moment_day)


def _cut(con: duckdb.DuckDBPyConnection, moment: datetime, moment_day: date) -> None:
    # The owner then: the last owner change by the moment, else the old owner of the first
    # change after it (read before the later changes are removed).
    con.execute("""
        create temp table owner_changes as
        select opportunity_id, id, old_value, new_value, try_cast(created_date as timestamp) as changed_at
        from raw.opportunity_field_history
        where field = 'Owner' and new_value like '005%'
    """)
    con.execute("""
        create temp table owner_then as
        with last_by_moment as (
            select opportunity_id, new_value as owner_id from owner_changes where changed_at <= $1
            qualify row_number() over (partition by opportunity_id order by changed_at desc, id desc) = 1
        ), first_after as (
            select opportunity_id, old_value as owner_id from owner_changes where changed_at > $1
            qualify row_number() over (partition by opportunity_id order by changed_at, id) = 1
        )
        select coalesce(b.opportunity_id, a.opportunity_id) as opportunity_id, coalesce(b.owner_id, a.owner_id) as owner_id
        from last_by_moment as b full join first_after as a on a.opportunity_id = b.opportunity_id
    """, [moment])

    for table in CREATED_LATER_REMOVED:
        con.execute(f'delete from raw."{table}" where try_cast(created_date as timestamp) > ?', [moment])

    # Each deal as its last history row at or before the moment left it.
    con.execute("create temp table stage_flags (stage_key varchar, is_closed boolean, is_won boolean)")
    con.executemany("insert into stage_flags values (?, ?, ?)",
                    [(key, closed, won) for key, (closed, won) in stage_flags().items()])
    con.execute("""
        create temp table last_change as
        select opportunity_id, stage_name, amount, probability, close_date, currency_iso_code
        from raw.opportunity_history
        qualify row_number() over (
            partition by opportunity_id order by try_cast(created_date as timestamp) desc, id desc) = 1
    """)
    con.execute("""
        update raw.opportunity as o set
            stage_name = c.stage_name, amount = c.amount, probability = c.probability,
            close_date = c.close_date, currency_iso_code = coalesce(c.currency_iso_code, o.currency_iso_code),
            is_closed = f.is_closed, is_won = f.is_won
        from last_change as c
        join stage_flags as f on f.stage_key = lower(replace(trim(c.stage_name), ' ', ''))
        where o.id = c.opportunity_id
    """)

    con.execute("update raw.opportunity as o set owner_id = t.owner_id from owner_then as t where o.id = t.opportunity_id")

    # A conversion after the moment's day has not happened yet.
    con.execute("""
        update raw.lead set is_converted = false, converted_date = null,
            converted_opportunity_id = null, converted_account_id = null
        where try_cast(converted_date as date) > ?
    """, [moment_day])

    # Line items of deals the CRM did not hold yet do not exist either.
    con.execute("delete from raw.opportunity_line_item where opportunity_id not in (select id from raw.opportunity)")
