"""Daily runs recompute the large tables by key and give exactly the rows a full rebuild gives.

The small demo is built at an as_of some days before its data ends. Then simulated days
each load that day's changes as `salesperf load --append` lands them (new records, and new
versions of stored ones with a later last_modified_date: a changed task, a late change to
a January call, a soft-deleted event, a reassigned deal with its owner change, a deleted
task, a task whose new version is quarantined, a new deal with its history, a deleted deal
with line items, a stage change moved to it, an orphan stage change, a deleted line item, a
new lead), move as_of on, and run `salesperf build` again (runs by key are the default).
After each run every staging, intermediate and mart relation is compared with a
`--full-refresh` build of a copy of the same warehouse, and the state the incremental
models keep says how each was built: by key on a day, rebuilt when as_of goes back, a var
changes, a replace load takes rows away or a raw row is edited in place, and rebuilt on
every run when var incremental_runs is false.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from salesperf.cli import main
from salesperf.dbt_build import dbt_vars, release_warehouse, run_dbt
from salesperf.demo import generate
from salesperf.loader import load_csv_folder
from salesperf.postgres import copy_schema
from tests.python.engine_comparison import (
    COMPARED_SCHEMAS,
    INCREMENTAL_STATE_TABLE,
    Reader,
    compare,
    compare_readers,
    postgres_reader,
    duckdb_reader,
    relations,
)
from tests.python.el_landing import project_with_seeds
from tests.python.helpers import INCREMENTAL_MODELS, SMALL_DEMO
from tests.python.postgres_server import PostgresServer, postgres_environment

FIRST_AS_OF = "2026-05-20 09:00:00"



# ids of the records the days create
NEW_CALL, NEW_FUTURE_TASK, NEW_DEAL_TASK = "00T9NEW000000001", "00T9NEW000000002", "00T9NEW000000003"
NEW_DEAL, NEW_DEAL_HISTORY, NEW_LEAD = "0069NEW000000001", "00k9NEW000000001", "00Q9NEW000000001"
NEW_OWNER_CHANGE, ORPHAN_HISTORY, NEVER_SENT_DEAL = "0179NEW000000001", "00k9ORPHAN000001", "0069NEVERSENT001"


def raw_rows(table: str, where: str = "true", order: str = "id", replace: str = "") -> str:
    """One stored row of a raw table as a load file would carry it (without the loader's
    columns), some values replaced: the first by `order` that `where` picks."""
    replaced = f" replace ({replace})" if replace else ""
    return (f'select * exclude (_loaded_at, _source_row){replaced} from (select * from raw."{table}"'
            f" where {where} order by {order} limit 1)")


# A change's last_modified_date: after every stored version of the record, so it is the newest.
LATER = "coalesce(last_modified_date, created_date) + interval 1 hour as last_modified_date"

# The open deal that the first day reassigns and the rep it goes to; the won deal with line
# items that the second day deletes, and the deal whose first stage change it sends again
# under the deleted one (a merge in the CRM).
REASSIGNED_DEAL = "(select id from raw.opportunity where not is_closed and not is_deleted order by id limit 1)"
BUSIEST_REP = "(select owner_id from raw.opportunity group by 1 order by count(*) desc, 1 limit 1)"
DELETED_DEAL = ("(select opportunity_id from raw.opportunity_line_item where not is_deleted and opportunity_id in"
                " (select id from raw.opportunity where is_won and not is_deleted) order by 1 limit 1)")
MERGED_DEAL = (f"(select opportunity_id from raw.opportunity_history where opportunity_id <> {DELETED_DEAL}"
               " group by 1 having count(*) > 1 order by 1 limit 1)")
MOVED_HISTORY = (f"(select id from raw.opportunity_history where opportunity_id = {MERGED_DEAL}"
                 " order by created_date, id limit 1)")


@dataclass
class Day:
    as_of: str
    changes: dict[str, list[str]] = field(default_factory=dict)  # raw table -> selects of rows to append


DAYS = [
    Day("2026-05-21 09:00:00", {
        "task": [
            # a call logged on the day, and a call planned for the 23rd (done when its day comes)
            raw_rows("task", "type = 'Call' and not is_deleted", replace=(
                f"'{NEW_CALL}' as id, date '2026-05-20' as activity_date,"
                " timestamp '2026-05-20 15:00:00' as created_date,"
                " timestamp '2026-05-20 15:00:00' as last_modified_date, 'Completed' as status")),
            raw_rows("task", "type = 'Call' and not is_deleted", replace=(
                f"'{NEW_FUTURE_TASK}' as id, date '2026-05-23' as activity_date,"
                " timestamp '2026-05-20 15:05:00' as created_date,"
                " timestamp '2026-05-20 15:05:00' as last_modified_date, 'Completed' as status")),
            # a task of two days ago is now an email
            raw_rows("task", "activity_date = date '2026-05-18' and type = 'Call' and not is_deleted",
                     replace=f"'Email' as type, 'Email' as task_subtype, {LATER}"),
            # a late change to a January call: it was not done after all
            raw_rows("task", "activity_date < date '2026-01-15' and type = 'Call' and status = 'Completed'"
                             " and not is_deleted",
                     replace=f"'Not Started' as status, {LATER}"),
        ],
        "event": [
            raw_rows("event", "start_date_time < timestamp '2026-04-15' and not is_deleted",
                     replace=f"true as is_deleted, {LATER}"),
        ],
        "opportunity": [
            # an open deal moves to the rep who owns most deals, and its field history says so
            raw_rows("opportunity", f"id = {REASSIGNED_DEAL}", replace=f"{BUSIEST_REP} as owner_id, {LATER}"),
        ],
        "opportunity_field_history": [
            raw_rows("opportunity_field_history", "field = 'Owner'", replace=(
                f"'{NEW_OWNER_CHANGE}' as id, {REASSIGNED_DEAL} as opportunity_id,"
                f" (select owner_id from raw.opportunity where id = {REASSIGNED_DEAL}) as old_value,"
                f" {BUSIEST_REP} as new_value, timestamp '2026-05-20 16:00:00' as created_date")),
        ],
    }),
    Day("2026-05-22 09:00:00", {
        "task": [
            # yesterday's new call is deleted
            raw_rows("task", f"id = '{NEW_CALL}'",
                     replace="true as is_deleted, timestamp '2026-05-21 12:00:00' as last_modified_date"),
            # a February task's new version has no owner: quarantined, the task leaves the marts
            raw_rows("task", "activity_date between date '2026-02-01' and date '2026-02-28' and not is_deleted",
                     replace=f"null as owner_id, {LATER}"),
            # a meeting booked on the new deal, with the new lead
            raw_rows("task", "type = 'Call' and not is_deleted", replace=(
                f"'{NEW_DEAL_TASK}' as id, '{NEW_DEAL}' as what_id, '{NEW_LEAD}' as who_id, null as account_id,"
                " date '2026-05-21' as activity_date, timestamp '2026-05-21 11:00:00' as created_date,"
                " timestamp '2026-05-21 11:00:00' as last_modified_date, 'Completed' as status")),
        ],
        "opportunity": [
            raw_rows("opportunity", "not is_closed and not is_deleted", replace=(
                f"'{NEW_DEAL}' as id, 'Prospecting' as stage_name, date '2026-06-30' as close_date,"
                " timestamp '2026-05-21 10:00:00' as created_date,"
                " timestamp '2026-05-21 10:00:00' as last_modified_date")),
            # a won deal is deleted: its history and line items leave with it
            raw_rows("opportunity", f"id = {DELETED_DEAL}", order="last_modified_date desc",
                     replace=f"true as is_deleted, {LATER}"),
        ],
        "opportunity_history": [
            raw_rows("opportunity_history", "stage_name = 'Prospecting'", replace=(
                f"'{NEW_DEAL_HISTORY}' as id, '{NEW_DEAL}' as opportunity_id,"
                " timestamp '2026-05-21 10:00:00' as created_date, date '2026-06-30' as close_date")),
            # the first stage change of a deal sent again under the deleted deal: it leaves
            # the first deal's history and goes with the deleted one
            raw_rows("opportunity_history", f"id = {MOVED_HISTORY}", replace=f"{DELETED_DEAL} as opportunity_id"),
            # a stage change of a deal the CRM never sent: an orphan
            raw_rows("opportunity_history", "true", replace=(
                f"'{ORPHAN_HISTORY}' as id, '{NEVER_SENT_DEAL}' as opportunity_id")),
        ],
        "opportunity_line_item": [
            # a line item is deleted
            raw_rows("opportunity_line_item", "not is_deleted", replace=(
                "true as is_deleted, last_modified_date + interval 1 hour as last_modified_date")),
        ],
        "lead": [
            raw_rows("lead", "not is_converted and not is_deleted", replace=(
                f"'{NEW_LEAD}' as id, timestamp '2026-05-21 09:00:00' as created_date,"
                " timestamp '2026-05-21 09:00:00' as last_modified_date")),
        ],
    }),
    # a day without a load: the planned call's day comes
    Day("2026-05-25 09:00:00"),
]


def write_day(warehouse: duckdb.DuckDBPyConnection, day: Day, folder: Path) -> Path:
    """The day's load files, from the warehouse's stored rows."""
    folder.mkdir(parents=True)
    for table, selects in day.changes.items():
        path = folder / f"{table}.csv"
        warehouse.execute(f"copy ({' union all '.join(selects)}) to '{path}' (header)")
        assert path.read_text().count("\n") == len(selects) + 1, f"{table}: a change picked no row"
    return folder


def last_runs(execute: Reader) -> dict[str, str]:
    """How the last run built each incremental model, from the state they keep."""
    runs: dict[str, str] = {}
    for schema in ("staging", "intermediate"):
        _, rows = execute(f'select model_name, last_run from {schema}."{INCREMENTAL_STATE_TABLE}"')
        runs.update(dict(rows))
    return runs


def compared_relations(execute: Reader) -> set[str]:
    names = relations(execute, COMPARED_SCHEMAS)
    assert len(names) > 60
    return names


# --- DuckDB, through salesperf load --append and salesperf build ---------------------------


class DuckDBDays:
    """The warehouse a daily job keeps, and a full rebuild of a copy of it to compare with."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.warehouse = folder / "daily" / "warehouse.duckdb"
        self.rebuilt = folder / "rebuilt" / "warehouse.duckdb"  # the same file name: views name the catalog
        self.warehouse.parent.mkdir()
        self.rebuilt.parent.mkdir()

    def load(self, files: Path, append: bool = True) -> None:
        assert main(["load", str(files), "--duckdb", str(self.warehouse), *(["--append"] if append else [])]) == 0

    def run(self, *dbt_args: str) -> dict[str, str]:
        """`salesperf build` as a scheduled job runs it (tests and validation included),
        then a full rebuild of a copy; every relation must match. How each incremental model
        was built."""
        assert main(["build", "--duckdb", str(self.warehouse), *dbt_args]) == 0
        shutil.copy(self.warehouse, self.rebuilt)
        result = run_dbt(["run", "--full-refresh", *dbt_args], self.rebuilt, self.folder / "rebuilt_target")
        release_warehouse()
        assert result.success
        daily = duckdb_reader(self.warehouse)
        comparison = compare(self.warehouse, duckdb_reader(self.rebuilt), compared_relations(daily),
                             engine="full rebuild")
        assert comparison.differences == {}
        assert comparison.rows['marts."fct_activities"'] > 10_000
        return last_runs(daily)


def assert_tasks_rebuilt(runs: dict[str, str]) -> None:
    """The raw tasks read by the last build changed: their base model and the activity model
    built on it rebuild, the events' base model recomputes by key."""
    assert runs["base_crm__tasks"].startswith("rebuilt: rows of raw.task read by the last build changed"), runs
    assert runs["int_activities_linked"].startswith("rebuilt: base_crm__tasks rebuilt since the last build"), runs
    assert runs["base_crm__events"].startswith("recomputed by key: "), runs


def test_daily_runs_on_duckdb_recompute_by_key_and_match_a_full_rebuild(tmp_path: Path) -> None:
    days = DuckDBDays(tmp_path)
    with duckdb.connect(str(days.warehouse)) as con:
        generate(SMALL_DEMO, con, "raw")
    assert set(days.run(*dbt_vars(as_of=FIRST_AS_OF)).values()) == {"rebuilt: first build or full refresh"}

    for number, day in enumerate(DAYS, start=1):
        if day.changes:
            with duckdb.connect(str(days.warehouse), read_only=True) as con:
                files = write_day(con, day, tmp_path / f"day{number}")
            days.load(files)
        runs = days.run(*dbt_vars(as_of=day.as_of))
        assert set(runs) == INCREMENTAL_MODELS
        assert all(run.startswith("recomputed by key: ") for run in runs.values()), (day.as_of, runs)

    with duckdb.connect(str(days.warehouse), read_only=True) as con:
        assert con.execute(
            "select is_completed from marts.fct_activities where activity_id = ?", [NEW_FUTURE_TASK]
        ).fetchall() == [(True,)]
        assert con.execute(
            "select opportunity_id, lead_id from marts.fct_activities where activity_id = ?", [NEW_DEAL_TASK]
        ).fetchall() == [(NEW_DEAL, NEW_LEAD)]
        assert con.execute("select count(*) from marts.fct_activities where activity_id = ?",
                           [NEW_CALL]).fetchall() == [(0,)]
        # the children's changes reached the attached tables: a deleted deal's children left
        # with it, an orphan is quarantined, a stage change moved, an owner change arrived
        attached = "intermediate.int_opportunity_children_attached"
        assert con.execute(f"select distinct row_disposition from {attached} where opportunity_id = {DELETED_DEAL}"
                           ).fetchall() == [("removed_with_parent",)]
        assert con.execute("select count(*) from intermediate.int_opportunity_line_items_attached"
                           f" where opportunity_id = {DELETED_DEAL}").fetchall() == [(0,)]
        assert con.execute(f"select row_disposition, quarantine_reason from {attached} where record_id = ?",
                           [ORPHAN_HISTORY]).fetchall() == [("quarantined", "unknown opportunity")]
        assert con.execute(f"select opportunity_id = {DELETED_DEAL}, row_disposition from {attached}"
                           f" where record_id = {MOVED_HISTORY}").fetchall() == [(True, "removed_with_parent")]
        assert con.execute("select count(*) from intermediate.int_opportunity_histories_attached"
                           f" where opportunity_history_id = {MOVED_HISTORY}").fetchall() == [(0,)]
        assert con.execute("select opportunity_id = {0} from intermediate.int_opportunity_field_histories_attached"
                           " where opportunity_field_history_id = ?".format(REASSIGNED_DEAL),
                           [NEW_OWNER_CHANGE]).fetchall() == [(True,)]

    # a state table of the shape before it recorded the run that last rebuilt each model: the
    # run adds the column, the base models recompute by key and the models reading them rebuild
    with duckdb.connect(str(days.warehouse)) as con:
        for schema in ("staging", "intermediate"):
            con.execute(f'alter table {schema}."{INCREMENTAL_STATE_TABLE}" drop column rebuilt_in')
    runs = days.run(*dbt_vars(as_of=DAYS[-1].as_of))
    for model, run in runs.items():
        assert run.startswith("rebuilt: " if model.startswith("int_") else "recomputed by key: "), runs

    # time travel: an earlier as_of rebuilds every incremental model
    runs = days.run(*dbt_vars(as_of="2026-05-15 09:00:00"))
    assert all(run.startswith("rebuilt: as_of is earlier than the last build's") for run in runs.values()), runs

    # a var read by the models changes: the definition's fingerprint rebuilds them
    runs = days.run(*dbt_vars(as_of="2026-05-25 09:00:00", completed_task_statuses=["Completed", "Deferred"]))
    assert all(run.startswith("rebuilt: its definition") for run in runs.values()), runs

    # a replace load without one task's rows (a hard delete): the tasks' base model and the
    # activity models built on it rebuild; the events' recomputes by key
    replaced = tmp_path / "replace"
    replaced.mkdir()
    with duckdb.connect(str(days.warehouse), read_only=True) as con:
        (gone,) = con.execute("select id from raw.task where activity_date = date '2026-03-02' order by id"
                              " limit 1").fetchone()
        con.execute("copy (select * exclude (_loaded_at, _source_row) from raw.task where id <> ?)"
                    f" to '{replaced / 'task.csv'}' (header)", [gone])
    days.load(replaced, append=False)
    assert_tasks_rebuilt(days.run(*dbt_vars(as_of="2026-05-25 09:00:00",
                                            completed_task_statuses=["Completed", "Deferred"])))
    with duckdb.connect(str(days.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_activities where activity_id = ?",
                           [gone]).fetchall() == [(0,)]

    # a raw row edited in place, its load time kept (a hand-made fix): the checksum of the
    # rows loaded by the last build sees it, and what reads it rebuilds
    with duckdb.connect(str(days.warehouse)) as con:
        (edited,) = con.execute("select id from raw.task where status = 'Completed' and activity_date"
                                " = date '2026-03-03' order by id limit 1").fetchone()
        con.execute("update raw.task set status = 'Not Started' where id = ?", [edited])
    assert_tasks_rebuilt(days.run(*dbt_vars(as_of="2026-05-25 09:00:00",
                                            completed_task_statuses=["Completed", "Deferred"])))
    with duckdb.connect(str(days.warehouse), read_only=True) as con:
        assert con.execute("select is_completed from marts.fct_activities where activity_id = ?",
                           [edited]).fetchall() == [(False,)]

    # switched off, every run rebuilds them
    runs = days.run(*dbt_vars(as_of="2026-05-26 09:00:00", completed_task_statuses=["Completed", "Deferred"],
                              incremental_runs=False))
    assert set(runs.values()) == {"rebuilt: incremental runs are off (var incremental_runs)"}, runs


def test_an_edited_macro_rebuilds_the_incremental_models(tmp_path: Path) -> None:
    """A model's SQL is its macros' as much as its own file's: after an edit to a macro of the
    project, every incremental model rebuilds; with nothing edited, they recompute by key."""
    project = project_with_seeds(tmp_path / "project", {})
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        generate(SMALL_DEMO, con, "raw")

    def build_models() -> dict[str, str]:
        result = run_dbt(["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
                          *dbt_vars(as_of=FIRST_AS_OF)], warehouse, tmp_path / "target", project_dir=project)
        release_warehouse()
        assert result.success
        return last_runs(duckdb_reader(warehouse))

    assert set(build_models().values()) == {"rebuilt: first build or full refresh"}
    runs = build_models()
    assert set(runs) == INCREMENTAL_MODELS
    assert all(run.startswith("recomputed by key: ") for run in runs.values()), runs

    macro = project / "macros" / "clean_text.sql"
    text = macro.read_text()
    macro.write_text(text.replace("{%- endmacro %}", "{#- reviewed -#}\n{%- endmacro %}"))
    assert macro.read_text() != text
    runs = build_models()
    assert set(runs) == INCREMENTAL_MODELS
    assert all(run.startswith("rebuilt: its definition, one upstream, a macro") for run in runs.values()), runs


# --- PostgreSQL, the raw schema copied there after each day's load --------------------------


def test_daily_runs_on_postgres_recompute_by_key_and_match_a_full_rebuild(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    raw = tmp_path / "landed.duckdb"
    for database in ("daily", "rebuilt"):
        postgres_server.create_database(database)
    models = ["--target", "postgres", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]

    def run(database: str, as_of: str, *extra: str) -> None:
        with duckdb.connect(str(raw), read_only=True) as con, postgres_environment(postgres_server, database):
            copy_schema(con, "raw")
            result = run_dbt(["build", *models, *extra, *dbt_vars(as_of=as_of)], target_path=tmp_path / database)
        assert result.success

    with duckdb.connect(str(raw)) as con:
        generate(SMALL_DEMO, con, "raw")
    run("daily", FIRST_AS_OF)
    for number, day in enumerate(DAYS[:2], start=1):
        with duckdb.connect(str(raw)) as con:
            load_csv_folder(write_day(con, day, tmp_path / f"day{number}"), con, "raw", append=True)
        run("daily", day.as_of)
        run("rebuilt", day.as_of, "--full-refresh")
        daily = postgres_reader(postgres_server.dsn("daily"))
        runs = last_runs(daily)
        assert set(runs) == INCREMENTAL_MODELS
        assert all(run.startswith("recomputed by key: ") for run in runs.values()), runs
        comparison = compare_readers(daily, postgres_reader(postgres_server.dsn("rebuilt")), compared_relations(daily),
                                     engine="postgres full rebuild", first_engine="postgres daily run")
        assert comparison.differences == {}
        assert comparison.rows['marts."fct_activities"'] > 10_000
