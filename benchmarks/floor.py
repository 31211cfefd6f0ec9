"""Run the hand-written floor (benchmarks/floor.sql) on a warehouse's raw schema.

    .venv/bin/python benchmarks/floor.py --database PATH --as-of '2026-06-01 00:00:00'

Writes the six marts of the floor into schema `floor` of the same DuckDB file, with the
project's defaults for every var the floor reads (from dbt_project.yml) and DuckDB set up
as the project's profile sets it (threads, and any settings it gives), and prints the
wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from salesperf.dbt_build import dbt_vars, release_warehouse, run_dbt  # noqa: E402
from salesperf.settings import PROFILES_DIR, PROJECT_ROOT  # noqa: E402
from salesperf.warehouse import connect, literal, quote  # noqa: E402

# The columns every mart ends with, saying which build wrote it: not part of a comparison.
BUILD_COLUMNS = ("build_id", "as_of")
FLOOR_SQL = Path(__file__).resolve().parent / "floor.sql"
FLOOR_SCHEMA = "floor"
MARTS = (
    "fct_stage_intervals",
    "stage_durations",
    "rep_win_rate_monthly",
    "rep_activity_monthly",
    "pipeline_snapshot",
    "quota_attainment",
)
# The vars of dbt_project.yml that the floor reads.
FLOOR_VARS = (
    "reporting_timezone",
    "corporate_currency",
    "calendar_start_date",
    "forecast_uplift",
    "completed_task_statuses",
    "stage_catalogue",
)


def project_selection() -> list[str]:
    """dbt's selection of the floor's marts and everything upstream of them."""
    return ["--select", *(f"+{mart}" for mart in MARTS)]


def run_project_marts(database: Path, as_of: str, target_path: Path | None = None) -> bool:
    """The project's own build of the same marts: its seeds, then `dbt run` of the floor's
    marts and everything upstream, with the same as_of. Whether both succeeded."""
    seeded = run_dbt(["seed"], database, target_path)
    ran = run_dbt(["run", *project_selection(), *dbt_vars(as_of=as_of)], database, target_path)
    release_warehouse()
    return bool(seeded.success and ran.success)


def project_vars() -> dict[str, Any]:
    """The project's defaults of the vars the floor reads."""
    declared = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())["vars"]
    return {name: declared[name] for name in FLOOR_VARS}


def profile_settings() -> dict[str, Any]:
    """DuckDB settings of the project's duckdb output (its `settings` map, rendered as dbt
    renders it: env_var() with its default), so that the floor runs in the memory the
    project's build gets. dbt's threads are how many models run at once, not DuckDB's."""
    profiles = yaml.safe_load((PROFILES_DIR / "profiles.yml").read_text())
    settings = profiles["salesperf"]["outputs"]["duckdb"].get("settings", {})
    return {name: _rendered(value) for name, value in settings.items()}


def _rendered(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(value)
    return template.render(env_var=lambda name, default=None: os.environ.get(name, default))


def sql_value(value: Any) -> str:
    """A var's value as a DuckDB literal: numbers as decimals (as dbt renders a var into
    SQL), text as a string, a date as a date, a list as a list."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return f"date {literal(value.isoformat())}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(sql_value(item) for item in value) + "]"
    return literal(str(value))


def run_floor(database: Path, as_of: str, **overrides: Any) -> float:
    """Build the floor's marts into schema `floor` of `database`; the seconds it took."""
    values = {**project_vars(), **overrides}
    values["calendar_start_date"] = dt.date.fromisoformat(str(values["calendar_start_date"]))
    started = time.perf_counter()
    with connect(database) as con:
        for name, setting in profile_settings().items():
            con.execute(f"set {name} = {sql_value(setting)}")
        con.execute(f"set variable as_of = timestamp {literal(as_of)}")
        con.execute(f"set variable seed_dir = {literal(str(PROJECT_ROOT / 'seeds'))}")
        for name, value in values.items():
            con.execute(f"set variable {name} = {sql_value(value)}")
        con.execute(FLOOR_SQL.read_text())
    return time.perf_counter() - started


@dataclass
class MartDifference:
    """How the rows of a mart differ between the project and the floor (as multisets)."""

    mart: str
    project_rows: int
    floor_rows: int
    columns_only_in_project: list[str]
    columns_only_in_floor: list[str]
    only_in_project: int  # rows, counted with their repeats
    only_in_floor: int
    examples: list[str]  # a few differing rows, marked by where they are

    @property
    def equal(self) -> bool:
        return not (self.columns_only_in_project or self.columns_only_in_floor
                    or self.only_in_project or self.only_in_floor)

    def describe(self) -> str:
        if self.equal:
            return f"{self.mart}: {self.project_rows:,} rows, identical"
        lines = [f"{self.mart}: {self.project_rows:,} project rows, {self.floor_rows:,} floor rows, "
                 f"{self.only_in_project:,} only in the project, {self.only_in_floor:,} only in the floor"]
        if self.columns_only_in_project or self.columns_only_in_floor:
            lines.append(f"  columns only in the project: {self.columns_only_in_project}, "
                         f"only in the floor: {self.columns_only_in_floor}")
        lines += [f"  {example}" for example in self.examples]
        return "\n".join(lines)


def mart_difference(
    con: duckdb.DuckDBPyConnection, mart: str, project: str, floor: str, decimals: int = 6, examples: int = 10
) -> MartDifference:
    """Compare the project's mart at relation `project` with the floor's at `floor` (both
    readable on `con`): the same columns (but the build columns every mart ends with) and
    the same rows as multisets, numbers compared after rounding to `decimals` places, the
    only difference two correct computations may have."""
    def columns(relation: str) -> dict[str, str]:
        return {name: kind for name, kind, *_ in con.execute(f"describe select * from {relation}").fetchall()
                if name not in BUILD_COLUMNS}

    project_columns, floor_columns = columns(project), columns(floor)
    shared = [name for name in project_columns if name in floor_columns]

    def normalised(relation: str) -> str:
        parts = []
        for name in shared:
            kinds = (project_columns[name], floor_columns[name])
            numeric = any(k in ("DOUBLE", "FLOAT") or k.startswith("DECIMAL") for k in kinds)
            expression = f"round(cast({quote(name)} as double), {decimals})" if numeric else quote(name)
            parts.append(f"{expression} as {quote(name)}")
        return f"select {', '.join(parts)} from {relation}"

    only_project = f"({normalised(project)} except all {normalised(floor)})"
    only_floor = f"({normalised(floor)} except all {normalised(project)})"
    count = lambda sql: con.execute(f"select count(*) from {sql}").fetchone()[0]  # noqa: E731
    found = []
    for label, relation in (("project", only_project), ("floor", only_floor)):
        for row in con.execute(f"select * from {relation} order by all limit {examples}").fetchall():
            found.append(f"only in {label}: " + ", ".join(f"{n}={v!r}" for n, v in zip(shared, row)))
    return MartDifference(
        mart=mart,
        project_rows=count(project),
        floor_rows=count(floor),
        columns_only_in_project=[c for c in project_columns if c not in floor_columns],
        columns_only_in_floor=[c for c in floor_columns if c not in project_columns],
        only_in_project=count(only_project),
        only_in_floor=count(only_floor),
        examples=found,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True, help="DuckDB file with the raw schema")
    parser.add_argument("--as-of", required=True, help="UTC timestamp the CRM is read at ('2026-06-01 00:00:00')")
    args = parser.parse_args(argv)
    seconds = run_floor(args.database, args.as_of)
    print(f"floor built {len(MARTS)} marts into schema {FLOOR_SCHEMA} in {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
