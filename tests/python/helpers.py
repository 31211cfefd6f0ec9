"""Constants and small helpers shared by the test modules."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from salesperf.demo import DemoConfig
from salesperf.settings import PROJECT_ROOT
from salesperf.warehouse import connect

SHARED = PROJECT_ROOT.parent / "shared"
SALESFORCE_EXPORT = SHARED / "datasets" / "salesforce_demo_org_export"

# Small enough to build in seconds, big enough for every stage, activity and quota type.
SMALL_DEMO = DemoConfig(seed=7, reps=12, months=6, end_date=date(2026, 6, 1))
SMALL_DEMO_AS_OF = "2026-06-01 00:00:00"
# the models a daily run recomputes by key on DuckDB and PostgreSQL
INCREMENTAL_MODELS = frozenset({
    "base_crm__tasks", "base_crm__events", "base_crm__opportunities", "base_crm__opportunity_histories",
    "base_crm__opportunity_line_items", "base_crm__opportunity_field_histories", "base_crm__leads",
    "base_crm__accounts", "base_crm__quotas", "int_activities_linked", "int_opportunity_children_attached",
    "int_opportunity_histories_attached", "int_opportunity_field_histories_attached",
    "int_opportunity_line_items_attached",
})


# The columns every mart ends with, saying which build wrote it: build_id (never the same
# in two builds) and the as_of it read the CRM at. A comparison of the rows of two builds is
# about the metrics and leaves them out (`mart_columns`); `build_stamps` reads them.
BUILD_COLUMNS = ("build_id", "as_of")


def query(path: Path, sql: str) -> list[tuple]:
    """Rows of one query on a warehouse file."""
    with connect(path) as con:
        return con.execute(sql).fetchall()


def reader_copy(database: Path, folder: Path) -> Path:
    """A copy of the warehouse file for read-only readers (the report renderer, mf), under
    the same file name (DuckDB names the database after it, as the semantic manifest's
    relation names do). A process that opened the file for writing lets no connection read
    it read-only; the copy is taken after a checkpoint, so that it holds everything written."""
    with connect(database) as con:
        con.execute("checkpoint")
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / database.name
    shutil.copy(database, copy)
    return copy


def copy_project(dest: Path, parts: tuple[str, ...]) -> Path:
    """The named files and folders of the dbt project, copied into `dest` (created)."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in parts:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part)
        else:
            shutil.copy(source, dest / part)
    return dest


def mart_columns(path: Path, mart: str, leave_out: tuple[str, ...] = BUILD_COLUMNS) -> str:
    """The quoted columns of a mart for a select list, in their order, but `leave_out`."""
    columns = query(path, "select column_name from information_schema.columns where table_schema = 'marts'"
                          f" and table_name = '{mart}' order by ordinal_position")
    return ", ".join(f'"{name}"' for (name,) in columns if name not in leave_out)


def build_stamps(path: Path) -> dict[str, set[tuple]]:
    """Each mart's distinct (build_id, as_of) pairs: one pair for every mart a build wrote
    (none for an empty mart)."""
    marts = [t for (t,) in query(path, "select table_name from information_schema.tables"
                                       " where table_schema = 'marts' order by 1")]
    return {t: set(query(path, f'select distinct build_id, as_of from marts."{t}"')) for t in marts}
