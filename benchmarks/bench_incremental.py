"""What a daily run costs against a full build, after a typical day's load.

    .venv/bin/python benchmarks/bench_incremental.py [--reps N] [--months 24] [--reuse PATH]

Generates the demo (or reuses the raw DuckDB file at --reuse), then holds back a working day
near its end (--day, by default the last weekday before --end-date): the tasks, events,
deals (with their stage history) and leads created on it. The warehouse without them
is built at as_of the start of that day (`dbt build`, not timed against anything). The day
is then appended as a load would append it (a later _loaded_at, the next row numbers),
with changes to stored records beside the new ones: a new version of one task in a
thousand, 20 soft-deleted events, 20 reassigned deals. Then, each in its own process and
on two copies of the same data at as_of the end of the day:
(a) the daily `dbt build` (the incremental models recompute by key),
(b) the same without the unit tests, as `salesperf build` runs it once they passed on the
same code, and
(c) `dbt build --full-refresh`.
Prints wall time, CPU seconds and peak memory of each, the daily runs' ratios to the full
build, the time each incremental model took in (a) and (c), and the relations whose rows
differ between (a) and (c) (none should).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_floor import CHILD, child_main, generate_raw, raw_counts, run_child  # noqa: E402
from salesperf.dbt_build import dbt_vars  # noqa: E402
from salesperf.demo import DemoConfig  # noqa: E402
from salesperf.warehouse import connect, literal  # noqa: E402

TARGET = 0.10  # a daily run under a tenth of a full build
# the raw tables whose records created on the day are held back: those created that day, and
# (for stage history) those of deals created that day, so the rest stays consistent
DAY_TABLES = {
    "task": "created_date {on_the_day}",
    "event": "created_date {on_the_day}",
    "opportunity": "created_date {on_the_day}",
    "opportunity_history": "opportunity_id in (select id from scratch.day_opportunity)",
    "lead": "created_date {on_the_day}",
}


def hold_back_day(path: Path, day_start: str, day_end: str) -> dict[str, int]:
    """Move the rows created on the day into day_<table> tables of schema scratch (out of
    raw). Rows held back per table."""
    held = {}
    on_the_day = f"between timestamp {literal(day_start)} and timestamp {literal(day_end)} - interval 1 microsecond"
    with connect(path) as con:
        con.execute("create schema scratch")
        for table, condition in DAY_TABLES.items():
            where = condition.format(on_the_day=on_the_day)
            con.execute(f'create table scratch."day_{table}" as select * from raw."{table}" where {where}')
            con.execute(f'delete from raw."{table}" where {where}')
            held[table] = con.execute(f'select count(*) from scratch."day_{table}"').fetchone()[0]
    return held


def append_day(path: Path, loaded_at: str) -> dict[str, int]:
    """The day's load, appended: the rows held back, and changes to stored records. Rows
    appended per table."""
    later = "coalesce(last_modified_date, created_date) + interval 1 hour as last_modified_date"
    changes = {
        # one task in a thousand gets a new version (it was not done after all)
        "task": [f"select * replace ('Not Started' as status, {later}) from raw.task where hash(id) % 1000 = 0"],
        "event": [f"select * replace (true as is_deleted, {later}) from raw.event"
                  " where not is_deleted order by hash(id) limit 20"],
        "opportunity": [
            "select o.* replace ((select owner_id from raw.opportunity group by 1 order by count(*) desc, 1"
            f" limit 1) as owner_id, {later}) from raw.opportunity as o where not is_closed order by hash(id) limit 20"
        ],
    }
    appended = {}
    with connect(path) as con:
        for table in DAY_TABLES:
            selects = [f'select * from scratch."day_{table}"', *changes.get(table, [])]
            rows = " union all ".join(f"select * exclude (_loaded_at, _source_row) from ({s})" for s in selects)
            (first,) = con.execute(f'select coalesce(max(_source_row), 0) from raw."{table}"').fetchone()
            appended[table] = con.execute(
                f'insert into raw."{table}" select *, timestamp {literal(loaded_at)},'
                f" {first} + row_number() over () from ({rows})").fetchone()[0]
        con.execute("drop schema scratch cascade")
    return appended


def node_seconds(target: Path) -> dict[str, float]:
    """Seconds of each node of a dbt run, by unique id."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["execution_time"] for r in results}


def incremental_models(target: Path) -> list[str]:
    """The node ids of the incremental models, as the build's manifest has them (the project
    configures them; no list here to keep in step)."""
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    return sorted(uid for uid, node in nodes.items()
                  if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental")


def seconds_by_kind(nodes: dict[str, float]) -> str:
    """Node seconds summed by kind (model, test, unit_test, seed): where a build's time goes."""
    kinds: dict[str, list[float]] = {}
    for unique_id, seconds in nodes.items():
        kinds.setdefault(unique_id.split(".")[0], []).append(seconds)
    return ", ".join(f"{kind} {sum(times):.1f} s ({len(times)})" for kind, times in sorted(kinds.items()) if sum(times))


def differing_relations(first: Path, second: Path) -> list[str]:
    """The relations of the project's schemas whose rows differ, build columns aside."""
    found = []
    with connect(first, read_only=True) as con:
        con.execute(f"attach {literal(str(second))} as other (read_only)")
        listed = con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
            " and table_schema in ('staging', 'intermediate', 'marts') and table_name not like '\\_salesperf%' escape '\\'"
            " order by 1, 2").fetchall()
        for schema, name in listed:
            columns = ", ".join(f'"{c}"' for (c,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = current_database()"
                " and table_schema = ? and table_name = ? and column_name not in ('build_id', 'as_of')"
                " order by ordinal_position", [schema, name]).fetchall())
            mine, theirs = f'"{schema}"."{name}"', f'other."{schema}"."{name}"'
            (rows,) = con.execute(
                f"select count(*) from ((select {columns} from {mine} except all select {columns} from {theirs})"
                f" union all (select {columns} from {theirs} except all select {columns} from {mine}))").fetchone()
            if rows:
                found.append(f"{schema}.{name}: {rows} rows differ")
    return found


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [CHILD]:
        return child_main(json.loads(argv[1]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=dt.date(2026, 6, 1))
    parser.add_argument("--reuse", type=Path, default=None,
                        help="raw DuckDB file kept between runs: generated there when missing, else read as is")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=None,
                        help="the day held back and loaded (default: the last weekday before --end-date)")
    args = parser.parse_args(argv)

    day = args.day or args.end_date - dt.timedelta(days=1)
    while args.day is None and day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    day_start, day_end = f"{day} 00:00:00", f"{day + dt.timedelta(days=1)} 00:00:00"
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        raw = args.reuse or scratch / "raw.duckdb"
        if args.reuse is None or not raw.exists():
            config = DemoConfig(seed=args.seed, reps=args.reps, months=args.months, end_date=args.end_date)
            print(f"generating the demo: {config.reps:,} reps x {config.months} months", flush=True)
            generate_raw(config, raw)
        counts = raw_counts(raw)
        print(f"raw: {counts['opportunity']:,} opportunities, {counts['opportunity_history']:,} history rows, "
              f"{counts['task'] + counts['event']:,} tasks and events", flush=True)

        # the same file name in two folders: DuckDB views name the catalog after the file
        daily = scratch / "daily" / "warehouse.duckdb"
        scheduled = scratch / "scheduled" / "warehouse.duckdb"
        full = scratch / "full" / "warehouse.duckdb"
        for path in (daily, scheduled, full):
            path.parent.mkdir()
        shutil.copy(raw, daily)
        held = hold_back_day(daily, day_start, day_end)
        print(f"held back {day}: {held}", flush=True)
        first = run_child({"name": f"first build at as_of {day_start} (not compared)", "kind": "dbt",
                           "database": str(daily), "target": str(scratch / "first_target"),
                           "args": ["build", *dbt_vars(as_of=day_start)]})
        appended = append_day(daily, loaded_at="2026-12-01 06:00:00")
        print(f"appended the day's load: {appended}", flush=True)
        shutil.copy(daily, scheduled)
        shutil.copy(daily, full)
        vars_args = dbt_vars(as_of=day_end)
        steps = [
            run_child({"name": "daily dbt build", "kind": "dbt", "database": str(daily),
                       "target": str(scratch / "daily_target"), "args": ["build", *vars_args]}),
            run_child({"name": "daily, unit tests passed before", "kind": "dbt", "database": str(scheduled),
                       "target": str(scratch / "scheduled_target"),
                       "args": ["build", "--exclude-resource-type", "unit_test", *vars_args]}),
            run_child({"name": "dbt build --full-refresh", "kind": "dbt", "database": str(full),
                       "target": str(scratch / "full_target"), "args": ["build", "--full-refresh", *vars_args]}),
        ]
        if not first.ok or not all(step.ok for step in steps):
            return 1

        *daily_runs, full_run = steps
        print(f"\n{'step':<34}{'seconds':>10}{'cpu s':>10}{'peak GiB':>10}")
        for step in steps:
            print(f"{step.name:<34}{step.seconds:>10.1f}{step.cpu_seconds:>10.1f}{step.peak_gib:>10.2f}")
        for daily_run in daily_runs:
            ratio, cpu_ratio = daily_run.seconds / full_run.seconds, daily_run.cpu_seconds / full_run.cpu_seconds
            print(f"{daily_run.name}: under {TARGET:.0%} of a full build {'met' if ratio < TARGET else 'NOT met'}"
                  f" ({ratio:.1%} of the wall time, {cpu_ratio:.1%} of the CPU seconds)")

        by_key, rebuilt = node_seconds(scratch / "daily_target"), node_seconds(scratch / "full_target")
        print(f"node seconds of the daily build: {seconds_by_kind(by_key)}")
        print(f"node seconds of the full build: {seconds_by_kind(rebuilt)}")
        print(f"\n{'model':<36}{'full s':>10}{'daily s':>10}")
        incremental = incremental_models(scratch / "daily_target")
        for node in incremental:
            print(f"{node.split('.')[-1]:<36}{rebuilt[node]:>10.2f}{by_key[node]:>10.2f}")
        print(f"{'all incremental models':<36}{sum(rebuilt[node] for node in incremental):>10.2f}"
              f"{sum(by_key[node] for node in incremental):>10.2f}")
        slowest = sorted(by_key.items(), key=lambda item: -item[1])[:10]
        print("slowest nodes of the daily build: "
              + ", ".join(f"{name.split('.')[2]} {s:.1f} s" for name, s in slowest))

        differing = differing_relations(daily, full)
        print(f"\ndaily vs full rebuild: {'every relation has the same rows' if not differing else differing}")
        return 0 if not differing else 1


if __name__ == "__main__":
    sys.exit(main())
