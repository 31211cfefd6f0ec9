"""Raw tables as EL tools land them: without this project's loader columns, with tables
missing, as Fivetran's sample Salesforce schema (history mode and all), with Airbyte's and
dlt's load columns and Salesforce's own field names, and with custom fields carried into
the marts. Expected values are worked out here from the data, not read from the marts."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from salesperf.contract import RAW_TABLES
from salesperf.dbt_build import WITHOUT_UNIT_TESTS, BuildSummary, build, dbt_vars, run_dbt
from salesperf.demo import DemoConfig, generate
from salesperf.warehouse import connect, quote
from tests.python.el_landing import (
    FIVETRAN_SEEDS,
    fivetran_table_name,
    land_fivetran_seeds,
    land_without_loader_columns,
    project_with_seeds,
)
from tests.python.helpers import BUILD_COLUMNS, SMALL_DEMO_AS_OF, query
from tests.python.test_staging import expected_outcomes

# The columns that say where a row sat in its load: the one thing an EL-landed table
# cannot reproduce.
LOAD_POSITION_COLUMNS = {"source_row", "loaded_at", "crm_quarantine_id"}


def mart_rows(path: Path, mart: str) -> Counter[tuple]:
    """Every row of a mart but its load-position columns and the columns that say which
    build wrote it, as a multiset."""
    with connect(path) as con:
        columns = [
            name for (name,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts'"
                " and table_name = ? order by ordinal_position", [mart],
            ).fetchall()
            if name not in LOAD_POSITION_COLUMNS and name not in BUILD_COLUMNS
        ]
        rows = con.execute(f"select {', '.join(quote(c) for c in columns)} from marts.{quote(mart)}").fetchall()
    return Counter(rows)


def marts_of(path: Path) -> list[str]:
    return [name for (name,) in query(path, "select table_name from information_schema.tables"
                                            " where table_schema = 'marts' order by 1")]


def build_with(path: Path, target: Path, variables: dict[str, Any], project_dir: Path | None = None) -> BuildSummary:
    extra = {"project_dir": project_dir} if project_dir else {}
    return build([*WITHOUT_UNIT_TESTS, *dbt_vars(**variables)], database=path, target_path=target, **extra)


# --- the demo org without the loader's columns ---------------------------------------------


@pytest.fixture(scope="module")
def el_demo(built_demo: tuple[Path, BuildSummary], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildSummary]:
    demo_path, _ = built_demo
    path = tmp_path_factory.mktemp("el_demo") / "el_demo.duckdb"
    land_without_loader_columns(demo_path, path)
    summary = build_with(path, tmp_path_factory.mktemp("el_demo_target"), {"as_of": SMALL_DEMO_AS_OF})
    return path, summary


def test_demo_landed_without_loader_columns_builds_every_node(el_demo: tuple[Path, BuildSummary]) -> None:
    _, summary = el_demo
    assert summary.success, "\n".join(summary.lines())
    assert summary.count("test", "fail", "error") == 0
    assert summary.warned == ["assert_reopened_deals_are_reported"]
    assert summary.notices == []  # every table is there: no warning of missing ones


def test_demo_landed_without_loader_columns_gives_the_same_marts(
    built_demo: tuple[Path, BuildSummary], el_demo: tuple[Path, BuildSummary]
) -> None:
    demo_path, _ = built_demo
    el_path, _ = el_demo
    marts = marts_of(demo_path)
    assert marts == marts_of(el_path) and len(marts) >= 20
    differing = {}
    for mart in marts:
        loaded, landed = mart_rows(demo_path, mart), mart_rows(el_path, mart)
        differing[mart] = sum(((loaded - landed) + (landed - loaded)).values())
    assert {mart: n for mart, n in differing.items() if n} == {}
    assert sum(mart_rows(el_path, "fct_opportunities").values()) > 100


def test_rows_without_a_loader_number_are_numbered_by_their_values(el_demo: tuple[Path, BuildSummary]) -> None:
    path, _ = el_demo
    # every raw row has a number, unique in its table, counted once
    raw_rows = sum(query(path, f"select count(*) from raw.{quote(t.name)}")[0][0] for t in RAW_TABLES)
    numbered = query(path, "select count(*), count(distinct source_table || '#' || cast(source_row as varchar)),"
                           " count(source_row) from intermediate.int_crm_raw_rows_classified")[0]
    assert numbered == (raw_rows, raw_rows, raw_rows)


# --- the dirty demo without the loader's columns --------------------------------------------


def record_outcomes(path: Path) -> Counter[tuple]:
    """(table, record id, disposition, reason) of every raw row, as a multiset."""
    return Counter(query(path, "select source_table, record_id, row_disposition, quarantine_reason"
                               " from intermediate.int_crm_raw_rows_classified"))


def test_dirty_demo_without_loader_columns_puts_every_fault_where_it_belongs(
    built_dirty_demo: tuple[Path, BuildSummary], built_el_dirty_demo: tuple[Path, BuildSummary], tmp_path: Path
) -> None:
    dirty_path, _ = built_dirty_demo
    # What each row must get, from the generator's manifest alone, per record: without the
    # load order a row cannot be named by its position, but the record it belongs to can.
    expected_by_row = expected_outcomes(dirty_path)
    record_of_row = {
        (table, row): record
        for table, row, record in query(dirty_path, "select source_table, source_row, record_id"
                                                    " from intermediate.int_crm_raw_rows_classified")
    }
    expected: Counter[tuple] = Counter()
    for key, record in record_of_row.items():
        disposition, reason = expected_by_row.get(key, ("live", None))
        expected[(key[0], record, disposition, reason)] += 1
    tied_records = {
        (table, record_of_row[(table, row)])
        for table, row in query(dirty_path, "select table_name, source_row from raw._demo_injected_faults"
                                            " where fault = 'duplicate_tie'")
    }

    path, summary = built_el_dirty_demo
    assert summary.count("model", "error") == 0, "\n".join(summary.lines())

    actual = record_outcomes(path)
    assert sum(actual.values()) == sum(expected.values())
    assert actual - expected == Counter() and expected - actual == Counter()
    # the faults the test leans on are really there
    kinds = {(disposition, reason) for (_, _, disposition, reason) in expected}
    assert {("duplicate", None), ("soft_deleted", None), ("removed_with_parent", None),
            ("quarantined", "missing id"), ("quarantined", "unknown opportunity")} <= kinds

    # Two versions of a record with the same last change and no load order: the data
    # cannot say which is newer. The build names each such record, and the rules that see
    # the older version win (a stage history ending elsewhere, quotas that no longer add
    # up) fail on them and on nothing else: landed without the tied copies it is clean.
    assert "assert_newest_versions_are_decided_by_the_data" in summary.warned
    assert set(query(path, "select source_table, record_id"
                           " from dbt_test__audit.assert_newest_versions_are_decided_by_the_data")) == tied_records
    assert len(tied_records) >= 8
    assert all(failure.startswith("test.salesperf.assert_") for failure in summary.failures), summary.failures

    untied_path = tmp_path / "el_dirty_untied.duckdb"
    land_without_loader_columns(dirty_path, untied_path, leave_out_rows={
        (table, row) for table, row in query(dirty_path, "select table_name, source_row"
                                                         " from raw._demo_injected_faults where fault = 'duplicate_tie'")
    })
    untied = build_with(untied_path, tmp_path / "untied_target", {"as_of": SMALL_DEMO_AS_OF})
    assert untied.success, "\n".join(untied.lines())
    assert sorted(untied.warned) == ["assert_reopened_deals_are_reported", "quarantine_within_threshold_crm_load_reconciliation_"]


# --- one table missing at a time ------------------------------------------------------------

TINY_DEMO = DemoConfig(seed=3, reps=4, months=3, end_date=datetime(2026, 6, 1).date())


@pytest.fixture(scope="module")
def tiny_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.duckdb"
    with connect(path) as con:
        generate(TINY_DEMO, con, "raw")
    return path


# Every raw table is left out in one build: the rate table alone (its absence fails a test),
# the others three or four at a time, tables of different kinds together. Each absence is
# still reported and read as empty on its own, in a third of the builds one per table takes.
RATES = "dated_conversion_rate"
LEFT_OUT_TOGETHER = [(RATES,)] + [
    tuple(sorted(names)) for names in (
        [t.name for t in RAW_TABLES if t.name != RATES][start::4] for start in range(4)
    )
]


@pytest.mark.parametrize("missing", LEFT_OUT_TOGETHER, ids="+".join)
def test_missing_tables_read_as_empty_and_are_reported(
    missing: tuple[str, ...], tiny_demo: Path, tmp_path: Path
) -> None:
    path = tmp_path / "partial.duckdb"
    land_without_loader_columns(tiny_demo, path, leave_out=missing)
    # Orphans are what the absence of a parent table makes of its children: allow them.
    summary = build_with(path, tmp_path / "target", {"as_of": SMALL_DEMO_AS_OF, "quarantine_threshold": 1})
    if missing == (RATES,):
        # the demo's deals in euros, pounds, ... then have no rate: that fails, by name,
        # rather than counting them as dollars; nothing else does
        assert [f.split(":")[0].split(".")[2] for f in summary.failures] == ["assert_money_has_a_conversion_rate"]
    else:
        assert summary.success, "\n".join(summary.lines())
        assert summary.count("test", "fail", "error") == 0
    assert len(summary.notices) == 1
    assert summary.notices[0].startswith(f"Raw CRM tables not found in raw, read as empty: {', '.join(missing)}.")
    for table in RAW_TABLES:
        reconciled = query(path, "select raw_rows, live_rows from marts.crm_load_reconciliation"
                                 f" where source_table = '{table.name}'")
        if table.name in missing:
            assert reconciled == [(0, 0)], table.name
        else:  # the other tables still arrive whole
            raw = query(tiny_demo, f"select count(*) from raw.{quote(table.name)}")[0][0]
            assert [raw_rows for raw_rows, _ in reconciled] == [raw], table.name


def test_every_raw_table_is_left_out_in_one_build() -> None:
    left_out = [name for group in LEFT_OUT_TOGETHER for name in group]
    assert sorted(left_out) == sorted(table.name for table in RAW_TABLES)


def test_the_missing_table_warning_names_the_marts_left_empty(tiny_demo: Path, tmp_path: Path) -> None:
    path = tmp_path / "no_quotas.duckdb"
    land_without_loader_columns(tiny_demo, path, leave_out=("quota", "rep_cost"))
    summary = build_with(path, tmp_path / "target", {"as_of": SMALL_DEMO_AS_OF})
    assert summary.success, "\n".join(summary.lines())
    (notice,) = summary.notices
    lines = notice.splitlines()
    assert lines[0] == "Raw CRM tables not found in raw, read as empty: quota, rep_cost."
    empty = lines[1].split(": ", 1)[1].rstrip(".").split(", ")
    assert {"quota_attainment", "rep_combined_quota"} <= set(empty)
    for mart in empty:
        assert query(path, f"select count(*) from marts.{mart}") == [(0,)], mart
    assert "fct_opportunities" not in notice  # nothing it reads is missing
    assert "rep_scorecard_monthly" in lines[2]  # built, without quota rows
    assert "WARNING Raw CRM tables not found" in "\n".join(summary.lines())


# --- Fivetran's sample Salesforce schema, as it is ------------------------------------------

FIVETRAN_STAGES = """stage_name,stage_order,funnel_phase,is_closed,is_won,default_probability
9RN9J3tlxr89gDctReax5w==,1,qualifying,false,false,50
GavUFuuf4DrnQAoiRGlWpQ==,2,closed,true,true,100
tXi3M8u3iPxq0ggxTSxMKw==,3,closed,true,false,0
"""
FIVETRAN_AS_OF = "2019-12-01 00:00:00"


def read_seed(table: str) -> list[dict[str, str]]:
    (path,) = [p for p in FIVETRAN_SEEDS.glob("sf_*_data.csv") if fivetran_table_name(p) == table]
    with path.open(newline="", encoding="utf-8-sig") as f:
        return [{k: (v.strip() if v is not None else "") for k, v in row.items()} for row in csv.DictReader(f)]


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "t", "1")


@pytest.fixture(scope="module")
def fivetran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildSummary, set[str]]:
    folder = tmp_path_factory.mktemp("fivetran")
    path = folder / "fivetran.duckdb"
    tables = land_fivetran_seeds(path, "salesforce")
    project = project_with_seeds(folder / "project", {"fivetran_stage_catalogue": FIVETRAN_STAGES})
    # The seeds' line items name deals the seeds do not hold: every one is an orphan, so
    # quarantine is allowed in full; everything else is the project's defaults.
    summary = build_with(
        path, folder / "target",
        {"raw_schema": "salesforce", "stage_catalogue": "fivetran_stage_catalogue", "as_of": FIVETRAN_AS_OF,
         "quarantine_threshold": 1,
         "account_pass_through_columns": [{"name": "account_number", "alias": "account_code"}, "rating"]},
        project_dir=project,
    )
    return path, summary, tables


def test_fivetran_schema_builds_with_vars_only_and_reports_what_it_lacks(
    fivetran: tuple[Path, BuildSummary, set[str]],
) -> None:
    _, summary, tables = fivetran
    assert {"opportunity", "opportunity_history", "account_history", "order"} <= tables
    assert summary.success, "\n".join(summary.lines())
    assert summary.count("test", "fail", "error") == 0
    (notice,) = summary.notices
    assert notice.startswith("Raw CRM tables not found in salesforce, read as empty:"
                             " dated_conversion_rate, opportunity_field_history, quota, rep_cost.")
    # the optional tables leave no mart empty: the warning says what their absence means
    assert "Without opportunity_field_history every deal counts for its current owner." in notice
    empty_marts = notice.splitlines()[1]
    assert "quota_attainment" in empty_marts and "fct_opportunities" not in empty_marts
    # orphaned line items, and owners the seeds' user table does not hold, are reported
    assert sorted(summary.warned) == [
        "assert_record_owners_are_crm_users", "quarantine_within_threshold_crm_load_reconciliation_",
    ]


def expected_fivetran_reconciliation() -> dict[str, tuple[int, int, int, int, int, int]]:
    """(raw, live, duplicate, soft_deleted, removed_with_parent, quarantined) per table,
    from the CSV files: a row is deleted by is_deleted or _fivetran_deleted; the
    opportunity_history seed is a history-mode copy of Opportunity (one version per deal
    here), whose rows go with their deal."""
    result = {}
    opportunities = read_seed("opportunity")
    live_deals = {r["id"] for r in opportunities if not is_true(r["is_deleted"])}
    all_deals = {r["id"] for r in opportunities}
    for table in ("user", "user_role", "account", "opportunity", "product_2", "task", "event", "lead"):
        rows = read_seed(table)
        deleted = sum(1 for r in rows if is_true(r.get("is_deleted")) or is_true(r.get("_fivetran_deleted")))
        result[table] = (len(rows), len(rows) - deleted, 0, deleted, 0, 0)
    versions = read_seed("opportunity_history")
    gone = sum(1 for r in versions if r["id"] in all_deals and r["id"] not in live_deals)
    orphans = sum(1 for r in versions if r["id"] not in all_deals)
    result["opportunity_history"] = (len(versions), len(versions) - gone - orphans, 0, 0, gone, orphans)
    items = read_seed("opportunity_line_item")
    orphan_items = sum(1 for r in items if r["opportunity_id"] not in all_deals)
    gone_items = sum(1 for r in items if r["opportunity_id"] in all_deals - live_deals)
    result["opportunity_line_item"] = (len(items), len(items) - orphan_items - gone_items, 0, 0, gone_items, orphan_items)
    result["quota"] = result["rep_cost"] = (0, 0, 0, 0, 0, 0)
    result["opportunity_field_history"] = result["dated_conversion_rate"] = (0, 0, 0, 0, 0, 0)
    return result


def test_fivetran_rows_go_where_the_csv_files_say(fivetran: tuple[Path, BuildSummary, set[str]]) -> None:
    path, _, _ = fivetran
    actual = {
        table: tuple(counts)
        for table, *counts in query(path, "select source_table, raw_rows, live_rows, duplicate_rows, soft_deleted_rows,"
                                          " removed_with_parent_rows, quarantined_rows from marts.crm_load_reconciliation")
    }
    expected = expected_fivetran_reconciliation()
    assert actual == expected
    # the seeds' quirks, as their README states them, hold in that expectation
    assert expected["opportunity"][1] == 0 and expected["user"][3] == 5
    assert expected["opportunity_line_item"][5] == 10


def test_fivetran_facts_hold_the_seeds_rows(fivetran: tuple[Path, BuildSummary, set[str]]) -> None:
    path, _, _ = fivetran

    def ids(sql: str) -> set[str]:
        return {row[0] for row in query(path, sql)}

    def live(table: str) -> set[str]:
        return {r["id"] for r in read_seed(table) if not is_true(r["is_deleted"])}

    activities = live("task") | live("event")
    assert len(activities) == 20
    assert ids("select activity_id from marts.fct_activities") == activities
    assert ids("select lead_id from marts.fct_leads") == live("lead")
    assert ids("select account_id from marts.dim_accounts") == live("account")
    assert ids("select opportunity_id from marts.fct_opportunities") == live("opportunity") == set()
    # users the CRM sent and did not delete, and the owners it names without sending them
    users = {r["id"] for r in read_seed("user") if not is_true(r["_fivetran_deleted"])}
    owners = {r["owner_id"] for t in ("task", "event", "lead") for r in read_seed(t) if not is_true(r["is_deleted"])}
    managers = {r["manager_id"] for r in read_seed("user") if r["manager_id"] and r["id"] in users}
    assert ids("select rep_id from marts.dim_reps where is_crm_user") == users
    assert ids("select rep_id from marts.dim_reps where not is_crm_user and rep_id != 'unassigned'") == (owners | managers) - users
    # completed tasks and events count for their owners
    completed = Counter(r["owner_id"] for r in read_seed("task") if r["status"] == "Completed")
    assert dict(query(path, "select rep_id, count(*) from marts.fct_activities"
                            " where source_object = 'task' and is_completed group by 1")) == dict(completed)


def test_fivetran_custom_fields_are_carried_into_dim_accounts(fivetran: tuple[Path, BuildSummary, set[str]]) -> None:
    path, _, _ = fivetran
    expected = {
        r["id"]: (r["account_number"] or None, r["rating"] or None)
        for r in read_seed("account") if not is_true(r["is_deleted"])
    }
    actual = {row[0]: row[1:] for row in query(path, "select account_id, account_code, rating from marts.dim_accounts")}
    assert actual == expected


# --- history mode, Airbyte and dlt columns, Salesforce field names ---------------------------

AS_OF = "2026-03-01 00:00:00"
OPEN_END = "9999-12-31 23:59:59"


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


# Deal versions as Fivetran's history mode keeps them: (id, stage, amount, close date,
# created, is_closed, is_won, start, end, active, region). 006A moves Prospecting ->
# Qualification (an amount change on the way) -> Closed Won; 006B's last version ended
# with no successor (deleted in the CRM); 006C has one current version.
VERSIONS = [
    ("006A", "Prospecting", "1000", "2026-02-15", "2026-01-05 00:00:00", "false", "false",
     "2026-01-05 00:00:00", "2026-01-10 00:00:00", "false", "EMEA"),
    ("006A", "Qualification", "1000", "2026-02-15", "2026-01-05 00:00:00", "false", "false",
     "2026-01-10 00:00:00", "2026-01-20 00:00:00", "false", "EMEA"),
    ("006A", "Qualification", "1500", "2026-02-15", "2026-01-05 00:00:00", "false", "false",
     "2026-01-20 00:00:00", "2026-02-01 00:00:00", "false", "EMEA"),
    ("006A", "Closed Won", "1500", "2026-02-01", "2026-01-05 00:00:00", "true", "true",
     "2026-02-01 00:00:00", OPEN_END, "true", "EMEA"),
    ("006B", "Prospecting", "700", "2026-03-15", "2026-01-15 00:00:00", "false", "false",
     "2026-01-15 00:00:00", "2026-01-25 00:00:00", "false", "APAC"),
    ("006C", "Negotiation/Review", "5000", "2026-03-31", "2026-02-10 00:00:00", "false", "false",
     "2026-02-10 00:00:00", OPEN_END, "true", "AMER"),
]
# The stays those versions make, worked out by hand: (deal, stage, entered, exited, days).
EXPECTED_STAYS = {
    ("006A", "Prospecting", datetime(2026, 1, 5), datetime(2026, 1, 10), 5.0),
    ("006A", "Qualification", datetime(2026, 1, 10), datetime(2026, 2, 1), 22.0),
    ("006A", "Closed Won", datetime(2026, 2, 1), None, 28.0),
    ("006C", "Negotiation/Review", datetime(2026, 2, 10), None, 19.0),
}


def land_crm(path: Path, history_mode_in: str) -> None:
    """A small CRM as three tools land it. Opportunities from Fivetran: in history mode in
    the opportunity table itself (`history_mode_in='opportunity'`), or as a current-state
    table plus a history-mode copy landed as opportunity_history. Accounts and users from
    Fivetran too (_fivetran_synced, _fivetran_deleted, a custom field); tasks from Airbyte
    (Salesforce's field names, some lower-cased as Airbyte writes them to PostgreSQL,
    _airbyte_extracted_at); leads and users from dlt (_dlt_load_id; users as sf_user)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(f"""
            create table raw.sf_user as select * from (values
                ('005A', 'Ann Rep', 'Account Executive', '005B', 'true', '2025-12-01 00:00:00',
                 '2025-12-01 00:00:00', '{epoch("2026-02-28 06:00:00")}', 'u1'),
                ('005B', 'Bo Boss', 'Sales Manager', null, 'true', '2025-11-01 00:00:00',
                 '2025-11-01 00:00:00', '{epoch("2026-02-28 06:00:00")}', 'u2')
            ) as t(id, name, title, manager_id, is_active, created_date, last_modified_date,
                   _dlt_load_id, _dlt_id)
        """)
        con.execute("""
            create table raw.account as select * from (values
                ('001A', 'Acme', '005A', 'false', '2025-12-05 00:00:00', '2025-12-05 00:00:00', 'Gold',
                 timestamp '2026-02-28 06:00:00', false),
                ('001B', 'Gone Ltd', '005A', 'false', '2025-12-06 00:00:00', '2025-12-06 00:00:00', 'Tin',
                 timestamp '2026-02-28 06:00:00', true)
            ) as t(id, name, owner_id, is_deleted, created_date, last_modified_date, tier_c,
                   _fivetran_synced, _fivetran_deleted)
        """)
        versions = """
            select id, 'Deal ' || id as name, '001A' as account_id, '005A' as owner_id, stage_name,
                amount, close_date, created_date, is_closed, is_won, 'New Business' as type,
                'false' as is_deleted, start_at as last_modified_date, region_c,
                cast(start_at as timestamp) as _fivetran_start, cast(end_at as timestamp) as _fivetran_end,
                active = 'true' as _fivetran_active, timestamp '2026-02-28 06:00:00' as _fivetran_synced
            from versions
        """
        con.execute("create temp table versions (id varchar, stage_name varchar, amount varchar,"
                    " close_date varchar, created_date varchar, is_closed varchar, is_won varchar,"
                    " start_at varchar, end_at varchar, active varchar, region_c varchar)")
        con.executemany("insert into versions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", VERSIONS)
        if history_mode_in == "opportunity":
            con.execute(f"create table raw.opportunity as {versions}")
        else:
            con.execute(f"create table raw.opportunity_history as {versions}")
            # the current state: each deal's last version; 006B deleted
            con.execute(f"""
                create table raw.opportunity as
                select * exclude (_fivetran_start, _fivetran_end, _fivetran_active)
                    replace (case when id = '006B' then 'true' else is_deleted end as is_deleted)
                from ({versions}) as v
                qualify row_number() over (partition by id order by _fivetran_start desc) = 1
            """)
        # Airbyte: Salesforce field names as written to the destination; 00TA arrived twice
        # with the same LastModifiedDate, the later extraction completed
        con.execute("""
            create table raw.task as select * from (values
                ('00TA', '005A', '006A', 'Call', 'Call', 'Completed', '2026-01-12', '2026-01-12 09:00:00',
                 'Outbound', '2026-01-12 10:00:00', 'false', timestamp '2026-01-13 11:00:00', 'r2'),
                ('00TA', '005A', '006A', 'Call', 'Call', 'Not Started', '2026-01-12', '2026-01-12 09:00:00',
                 'Outbound', '2026-01-12 10:00:00', 'false', timestamp '2026-01-12 11:00:00', 'r1'),
                ('00TB', '005A', '006A', 'Call', 'Call', 'Completed', '2026-01-20', '2026-01-20 09:00:00',
                 'Outbound', '2026-01-20 09:30:00', 'false', timestamp '2026-01-21 11:00:00', 'r3')
            ) as t("Id", ownerid, whatid, "Type", "TaskSubtype", "Status", "ActivityDate", "CreatedDate",
                   calltype, "LastModifiedDate", "IsDeleted", _airbyte_extracted_at, _airbyte_raw_id)
        """)
        # dlt: snake_case names, the load id as epoch seconds; 00QA loaded twice, same version
        con.execute(f"""
            create table raw.lead as select * from (values
                ('00QA', '005A', 'Working', 'Web', '2026-01-02 08:00:00', '2026-01-03 00:00:00', 'false',
                 '{epoch("2026-01-02 00:00:00")}', 'd2'),
                ('00QA', '005A', 'Open', 'Web', '2026-01-02 08:00:00', '2026-01-03 00:00:00', 'false',
                 '{epoch("2026-01-01 00:00:00") + 0.5}', 'd1')
            ) as t(id, owner_id, status, lead_source, created_date, last_modified_date, is_deleted,
                   _dlt_load_id, _dlt_id)
        """)


CRM_VARS = {
    "as_of": AS_OF, "raw_table_names": {"user": "sf_user"}, "opportunity_pass_through_columns": ["region_c"],
    "account_pass_through_columns": [{"name": "tier_c", "alias": "account_tier"}],
}


@pytest.fixture(scope="module", params=["opportunity", "opportunity_history"])
def landed_crm(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    folder = tmp_path_factory.mktemp(f"history_mode_in_{request.param}")
    path = folder / "crm.duckdb"
    land_crm(path, request.param)
    summary = build_with(path, folder / "target", CRM_VARS)
    assert summary.success, "\n".join(summary.lines())
    assert summary.count("test", "fail", "error") == 0
    return request.param, path, folder / "target"


def test_history_mode_versions_are_the_deals_stage_changes(landed_crm: tuple[str, Path, Path]) -> None:
    _, path, _ = landed_crm
    stays = {
        (deal, stage, entered, exited, float(days))
        for deal, stage, entered, exited, days in query(
            path, "select opportunity_id, stage_name, entered_at, exited_at, days_in_stage from marts.fct_stage_intervals"
        )
    }
    assert stays == EXPECTED_STAYS


def test_history_mode_current_version_is_the_deal(landed_crm: tuple[str, Path, Path]) -> None:
    where, path, _ = landed_crm
    deals = query(path, "select opportunity_id, stage_name, amount, is_won, region_c from marts.fct_opportunities"
                        " order by 1")
    assert [(d, s, float(a), w, r) for d, s, a, w, r in deals] == [
        ("006A", "Closed Won", 1500.0, True, "EMEA"),
        ("006C", "Negotiation/Review", 5000.0, False, "AMER"),
    ]
    counts = dict(
        (table, tuple(rest)) for table, *rest in query(
            path, "select source_table, raw_rows, live_rows, duplicate_rows, soft_deleted_rows, removed_with_parent_rows"
                  " from marts.crm_load_reconciliation where source_table like 'opportunity%'"
        )
    )
    if where == "opportunity":
        # 006A's three earlier versions are superseded; 006B has no current version left
        assert counts["opportunity"] == (6, 2, 3, 1, 0)
        assert counts["opportunity_history"] == (0, 0, 0, 0, 0)
    else:
        assert counts["opportunity"] == (3, 2, 0, 1, 0)
        assert counts["opportunity_history"] == (6, 5, 0, 0, 1)


def test_custom_fields_leave_the_declared_columns_as_they_are(
    built_demo: tuple[Path, BuildSummary], landed_crm: tuple[str, Path, Path]
) -> None:
    demo_path, _ = built_demo
    _, path, _ = landed_crm

    def columns(warehouse: Path, mart: str) -> list[tuple[str, str]]:
        return query(warehouse, "select column_name, data_type from information_schema.columns"
                                f" where table_schema = 'marts' and table_name = '{mart}' order by ordinal_position")

    def with_custom_field(declared: list[tuple[str, str]], field: str) -> list[tuple[str, str]]:
        # after the mart's own columns; the build columns end every mart
        build = [column for column in declared if column[0] in BUILD_COLUMNS]
        return [*(column for column in declared if column not in build), (field, "VARCHAR"), *build]

    assert [name for name, _ in columns(demo_path, "fct_opportunities")[-2:]] == list(BUILD_COLUMNS)
    assert columns(path, "fct_opportunities") == with_custom_field(columns(demo_path, "fct_opportunities"), "region_c")
    assert columns(path, "dim_accounts") == with_custom_field(columns(demo_path, "dim_accounts"), "account_tier")
    assert query(path, "select rep_id, rep_name, is_crm_user from marts.dim_reps order by 1") == [
        ("005A", "Ann Rep", True), ("005B", "Bo Boss", True), ("unassigned", "Unassigned", False),
    ]


def test_fivetran_deleted_airbyte_and_dlt_load_order(landed_crm: tuple[str, Path, Path]) -> None:
    _, path, _ = landed_crm
    assert query(path, "select account_id, account_tier from marts.dim_accounts") == [("001A", "Gold")]
    # the later extraction and the later load win the tie on LastModifiedDate
    assert sorted(query(path, "select activity_id, status, is_completed from marts.fct_activities")) == [
        ("00TA", "Completed", True), ("00TB", "Completed", True),
    ]
    assert query(path, "select lead_id, lead_status from marts.fct_leads") == [("00QA", "Working")]
    assert query(path, "select source_table, duplicate_rows from marts.crm_load_reconciliation"
                       " where source_table in ('task', 'lead') order by 1") == [("lead", 1), ("task", 1)]


def test_freshness_reads_each_tools_load_column(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    land_crm(path, "opportunity")
    target = tmp_path / "target"
    run_dbt(["source", "freshness", *dbt_vars(**CRM_VARS)], database=path, target_path=target)
    results = {r["unique_id"].rsplit(".", 1)[1]: r for r in json.loads((target / "sources.json").read_text())["results"]}
    loaded = {name: (r.get("max_loaded_at") or "")[:19] for name, r in results.items()}
    assert loaded["task"] == "2026-01-21T11:00:00"  # _airbyte_extracted_at
    assert loaded["lead"] == "2026-01-02T00:00:00"  # _dlt_load_id, epoch seconds
    assert loaded["opportunity"] == "2026-02-28T06:00:00"  # _fivetran_synced
    assert loaded["account"] == "2026-02-28T06:00:00"
    # a table the org does not have has nothing to go stale: checked, and not an error
    assert results["opportunity_line_item"]["status"] == "pass"
    assert results["task"]["status"] == "error"  # 2026-01-21 is long past


def test_the_load_column_var_overrides_what_is_found(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    land_crm(path, "opportunity")
    target = tmp_path / "target"
    variables = {**CRM_VARS, "raw_loaded_at_column": "LastModifiedDate"}
    run_dbt(["source", "freshness", *dbt_vars(**variables)], database=path, target_path=target)
    results = {r["unique_id"].rsplit(".", 1)[1]: r for r in json.loads((target / "sources.json").read_text())["results"]}
    # the tasks' newest LastModifiedDate, not their newest _airbyte_extracted_at
    assert (results["task"].get("max_loaded_at") or "")[:19] == "2026-01-20T09:30:00"
    # a table without that column has no load stamp to read: an error that says so
    assert results["lead"]["status"] == "error"


def test_a_custom_field_named_like_a_mart_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    land_crm(path, "opportunity")
    result = run_dbt(
        ["compile", "--select", "fct_opportunities", "--vars",
         "{opportunity_pass_through_columns: [{name: region_c, alias: amount}]}"],
        database=path, target_path=tmp_path / "target",
    )
    assert not result.success
    assert "'amount' is already a column of fct_opportunities" in str(result.exception)
