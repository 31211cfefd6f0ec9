"""The `salesperf` command: demo data, loading CRM exports, building and querying."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from salesperf.settings import (
    DEFAULT_RAW_SCHEMA,
    PROJECT_ROOT,
    REPORTS_OUT,
    REPORTS_PAGES,
    TARGET_DIR,
    duckdb_path,
)

if TYPE_CHECKING:
    from salesperf.targets import Warehouse


def _say(line: str) -> None:
    from salesperf.progress import say

    say(line)


def _warehouse_arg(parser: argparse.ArgumentParser, raw_schema: bool = True) -> None:
    parser.add_argument(
        "--duckdb",
        type=Path,
        default=None,
        help="warehouse file (default: $DUCKDB_PATH, else warehouse.duckdb in the project)",
    )
    if raw_schema:
        parser.add_argument("--schema", default=DEFAULT_RAW_SCHEMA, help="raw schema (default: %(default)s)")


def _rerun_unit_tests_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rerun-unit-tests", action="store_true",
        help="run dbt's unit tests even when every one passed in an earlier run on the same code, dbt and vars"
        " (they are left out then: they test the code on fixtures, not the data)",
    )


def _target_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        choices=("duckdb", "postgres", "spark"),
        default="duckdb",
        help="the warehouse: the DuckDB file, PostgreSQL as the POSTGRES_* variables say, or Spark as the"
        " profile's spark target opens it (raw tables are then made in a scratch DuckDB and copied there)"
        " (default: %(default)s)",
    )


def _warehouse(args: argparse.Namespace) -> Warehouse:
    from salesperf.targets import warehouse_for

    return warehouse_for(args.target, args.duckdb)


@contextmanager
def _taking_turns(warehouse: Warehouse) -> Iterator[None]:
    """Loads and runs on one warehouse take turns: rows landed while a run builds its copy
    would be lost when the copy is published. Spark publishes no copy, and its embedded
    metastore lets one process in at a time."""
    if not warehouse.publishes:
        yield
        return
    with warehouse.publication().exclusive():
        yield


def _generate(args: argparse.Namespace) -> int:
    from salesperf.contract import RAW_TABLES
    from salesperf.demo import DemoConfig, generate
    from salesperf.demo.realism import describe
    from salesperf.progress import Bar
    from salesperf.publish import PublishError
    from salesperf.warehouse import WarehouseError, export_csv

    config = DemoConfig(
        seed=args.seed,
        reps=args.reps,
        months=args.months,
        end_date=args.end_date or DemoConfig().end_date,
        opportunities_per_rep_month=args.opportunities_per_rep_month,
        dirty=args.dirty,
        dirty_rate=args.dirty_rate,
        fiscal_year_start_month=args.fiscal_year_start_month,
    )
    warehouse = _warehouse(args)
    problem = warehouse.unreachable(args.schema)
    if problem:
        _say(f"error: {problem}")
        return 2
    _say(
        f"Generating demo CRM data: seed {config.seed}, {config.reps} reps, {config.months} months"
        f" to {config.end_date}{', dirty' if config.dirty else ''} -> {warehouse.describe()} schema {args.schema}"
    )
    try:
        with _taking_turns(warehouse), warehouse.raw_duckdb() as con:
            with Bar(len(RAW_TABLES), "tables written") as bar:
                written = Counter[str]()

                def table_written(name: str, rows: int) -> None:
                    written["rows"] += rows
                    bar.advance(note=f"{written['rows']:,} rows so far")

                summary = generate(config, con, args.schema, progress=lambda line: _say(f"  {line}"),
                                   on_table=table_written)
            if args.csv_dir:
                with Bar(None, "CSV files written") as bar:
                    export_csv(con, args.schema, args.csv_dir,
                               on_table=lambda name, done, total: bar.reached(done, total, f"{name}.csv"))
                _say(f"  CSV copies written to {args.csv_dir}")
            problem = warehouse.land(con, args.schema)
            if problem:
                _say(f"error: {problem}")
                return 2
            if warehouse.copies_raw:
                _say(f"  copied to {warehouse.describe()} schema {args.schema}")
    except (WarehouseError, PublishError) as exc:
        _say(f"error: {exc}")
        return 2
    total = sum(n for name, n in summary.row_counts.items() if not name.startswith("_"))
    _say(f"Wrote {total:,} rows in {len(summary.row_counts)} tables in {summary.seconds:.1f} s.")
    for line in describe(summary.realism):
        _say(f"  {line}")
    return 0


def _load(args: argparse.Namespace) -> int:
    """Exit 0, 1 when a file of the folder was refused (nothing loaded), 2 when the load
    could not start (no folder, the warehouse in use or not writable, PostgreSQL unreachable)."""
    from salesperf.loader import TIE_RULE, LoadError, encoding_name, load_csv_folder
    from salesperf.progress import LoadProgress
    from salesperf.publish import PublishError
    from salesperf.warehouse import WarehouseError

    if not args.folder.is_dir():
        # before the warehouse is opened: a mistyped folder creates no warehouse file
        _say(f"error: {args.folder}: no such folder")
        return 2
    warehouse = _warehouse(args)
    if args.append and not warehouse.can_append:
        _say("error: --append needs the DuckDB warehouse;"
             " a load into PostgreSQL replaces the tables it has files for")
        return 2
    started = time.monotonic()
    try:
        stored_rows = warehouse.stored_rows(args.schema)
        with _taking_turns(warehouse), warehouse.raw_duckdb() as con:
            with LoadProgress() as watcher:
                report = load_csv_folder(
                    args.folder, con, args.schema, append=args.append, allow_empty=args.allow_empty,
                    encoding=args.encoding, stored_rows=stored_rows, watcher=watcher,
                )
            # the PostgreSQL copy replaces every table it copies in one transaction
            problem = warehouse.land(con, args.schema, [load.table for load in report.loads])
            if problem:
                _say(f"error: {problem}")
                return 2
    except (WarehouseError, PublishError) as exc:
        _say(f"error: {exc}")
        return 2
    except LoadError as exc:
        for problem in exc.problems:
            _say(f"error: {problem}")
        _say(f"Nothing was loaded: a folder loads all or nothing, and {warehouse.describe()} schema {args.schema}"
             " is as it was.")
        return 1
    for load in report.loads:
        if load.created_empty:
            _say(f"  {load.table:<24} no file: created empty (its marts stay empty)")
            continue
        notes = []
        if load.encoding != "utf-8":
            notes.append(f"read as {encoding_name(load.encoding)}")
        if load.missing_optional:
            notes.append(f"missing, loaded as null: {', '.join(load.missing_optional)}")
        if load.extra_columns:
            notes.append(f"extra, kept and ignored: {', '.join(load.extra_columns)}")
        verb = "appended from" if load.appended else "rows from"
        note = f"  ({'; '.join(notes)})" if notes else ""
        _say(f"  {load.table:<24} {load.rows:>9,} {verb} {load.file.name}{note}")
        if load.undated_changes:
            more = ", ..." if load.undated_changes > len(load.undated_change_ids) else ""
            _say(f"    {load.undated_changes:,} appended row(s) lack a last_modified_date and differ from a stored"
                 f" version that has one: staging keeps the stored version"
                 f" (ids: {', '.join(load.undated_change_ids)}{more})")
    for path in report.unmatched_files:
        _say(f"  skipped {path.name}: it names no table of the raw contract")
    loaded = sum(1 for load in report.loads if load.file)
    rows = sum(load.rows for load in report.loads)
    _say(f"Loaded {loaded} table(s) into {warehouse.describe()} schema {args.schema}."
         f" {rows:,} rows in {time.monotonic() - started:.1f} s.")
    if any(load.appended for load in report.loads):
        _say(f"  {TIE_RULE}")
    return 0


def _dbt_args(args: argparse.Namespace) -> list[str]:
    """What goes to dbt: the target, and the options salesperf did not know."""
    return [*_warehouse(args).dbt_args(), *args.dbt_args]


def _scheduled_run(args: argparse.Namespace, freshness: bool, validation: bool, reports: bool) -> int:
    from salesperf.scheduled_run import RunOptions, scheduled_run

    if not _warehouse(args).publishes:
        _say(f"error: the scheduled run publishes a tested work copy, which --target {args.target} does not"
             f" make; build it with: salesperf build --target {args.target}")
        return 4
    options = RunOptions(_warehouse(args), dbt_args=list(args.dbt_args), freshness=freshness,
                         validation=validation, reports=reports,
                         rerun_unit_tests=getattr(args, "rerun_unit_tests", False))
    return int(scheduled_run(options, _say))


def _run(args: argparse.Namespace) -> int:
    return _scheduled_run(args, freshness=not args.skip_freshness, validation=not args.skip_validation,
                          reports=not args.skip_reports)


def _build(args: argparse.Namespace) -> int:
    """Built and tested in a work copy (shadow schemas on PostgreSQL), published only when
    every test passed; built in place where the warehouse publishes no copy (Spark)."""
    warehouse = _warehouse(args)
    if warehouse.publishes:
        return _scheduled_run(args, freshness=False, validation=False, reports=False)
    from salesperf.dbt_build import build

    problem = warehouse.unreachable(DEFAULT_RAW_SCHEMA)
    if problem:
        _say(f"error: {problem}")
        return 4
    _say(f"dbt build on {warehouse.describe()}")
    summary = build(_dbt_args(args))
    for line in summary.lines():
        _say(f"  {line}")
    return 0 if summary.success else 1


def _maven(args: argparse.Namespace) -> int:
    """The Maven CRM dataset: written out as the raw contract, loaded, built with its stages."""
    from salesperf.maven import MavenError, convert

    with tempfile.TemporaryDirectory(prefix="salesperf-maven-") as scratch:
        out = args.out or Path(scratch)
        try:
            export = convert(args.source, out)
        except MavenError as exc:
            _say(f"error: {exc}")
            return 2
        _say(f"Mapped the Maven CRM dataset onto the raw contract in {out}:")
        for note in export.notes:
            _say(f"  {note}")
        args.folder, args.append = out, False
        status = _load(args)
    if status:
        return status
    # the dataset's own vars first: a --vars given on the command line overrides them
    args.dbt_args = ["--vars", json.dumps(export.build_vars), *args.dbt_args]
    return _build(args)


def _query(args: argparse.Namespace) -> int:
    import duckdb

    from salesperf.warehouse import WarehouseError, connect

    database = args.duckdb or duckdb_path()
    try:
        con = connect(database, read_only=True)
    except WarehouseError as exc:
        _say(f"error: {exc}")
        return 2
    with con:
        try:
            con.sql(args.sql).show(max_rows=args.max_rows, max_width=200)
        except duckdb.Error as exc:
            _say(f"error: {exc}")
            return 1
    return 0


def _diff(args: argparse.Namespace) -> int:
    """Exit 0, 1 when --fail-on-change names a metric that moved, 2 when a build failed."""
    from salesperf import metric_diff

    if not _warehouse(args).can_diff:
        print(f"error: the metric diff builds two DuckDB copies of the raw warehouse; --target {args.target}"
              " is not supported",
              file=sys.stderr)
        return 2
    watched = [name.strip() for name in (args.fail_on_change or "").split(",") if name.strip()]
    options = metric_diff.DiffOptions(
        raw_warehouse=args.duckdb or duckdb_path(),
        project_dir=args.project_dir,
        base_ref=args.base,
        dbt_args=_dbt_args(args),
        top=args.top,
        work_dir=args.work_dir,
    )
    try:
        diff = metric_diff.run_diff(options)
    except metric_diff.DiffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    markdown = metric_diff.render_markdown(diff, top=args.top)
    if args.markdown:
        metric_diff.write_text(args.markdown, markdown)
    else:
        print(markdown, flush=True)
    if args.json:
        metric_diff.write_text(args.json, metric_diff.to_json(diff))

    def note(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    note(metric_diff.footer(diff))
    if diff.failed:
        note("error: a build failed; the report says which model and why")
        return 2
    unknown = [name for name in watched if diff.metric_names and name not in diff.metric_names]
    if unknown:
        note(f"error: --fail-on-change names no mart or mart column: {', '.join(unknown)}")
        return 2
    moved = metric_diff.fail_on_change_matches(diff, watched)
    if moved:
        note(f"metrics that moved and are watched by --fail-on-change: {', '.join(moved)}")
        return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    from salesperf.reports import ReportError, render_site

    database = args.duckdb or duckdb_path()
    if not database.exists():
        _say(f"error: no warehouse at {database}; run ./run demo or ./run build first")
        return 2
    diff = args.diff or next((p for p in (args.out / "metric-diff.json",) if p.exists()), None)
    _say(f"Rendering the reports of {args.pages} from {database} into {args.out}")
    try:
        summary = render_site(database, args.out, args.pages, args.target_path, diff, workers=args.jobs)
    except ReportError as exc:
        _say(f"error: {exc}")
        return 1
    _say(f"Rendered {len(summary.pages)} pages ({summary.charts} charts, {summary.queries} queries)"
         f" in {summary.seconds:.1f} s")
    _say(f"  open it: {(summary.out / 'index.html').resolve().as_uri()}")
    return 0


def _freshness(args: argparse.Namespace) -> None:
    """Check how fresh the raw tables are, for the data-quality page; a stale source is
    reported, not fatal, in a demo."""
    from salesperf.dbt_build import source_freshness

    statuses = source_freshness(_dbt_args(args), database=args.duckdb or duckdb_path())
    if not statuses:
        _say("source freshness: dbt could not check it (see logs/dbt.log)")
        return
    counts = Counter(statuses.values())
    _say("source freshness: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    for table, status in sorted(statuses.items()):
        if status != "pass":
            _say(f"  {table}: {status}")


def _demo(args: argparse.Namespace) -> int:
    status = _generate(args)
    if status or not _warehouse(args).publishes:
        return status or _build(args)
    # checked, not enforced: a demo generated for a past --end-date was "loaded" then
    _freshness(args)
    _say("")
    args.dbt_args = list(args.dbt_args)
    return _scheduled_run(args, freshness=False, validation=True, reports=True)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="salesperf", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    def generation_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
        p.add_argument("--reps", type=int, default=40, help="sales reps (default: %(default)s)")
        p.add_argument("--months", type=int, default=24, help="months of history (default: %(default)s)")
        p.add_argument("--end-date", type=date.fromisoformat, default=None,
                       help="data stops before this day, YYYY-MM-DD (default: today)")
        p.add_argument("--opportunities-per-rep-month", type=float, default=12.0,
                       help="average new deals per rep and month (default: %(default)s)")
        p.add_argument("--dirty", action="store_true",
                       help="inject the faults real loads bring, listed in _demo_injected_faults")
        p.add_argument("--dirty-rate", type=float, default=0.002,
                       help="share of each table's rows hit by each fault (default: %(default)s)")
        p.add_argument("--fiscal-year-start-month", type=int, default=1, help="(default: %(default)s)")
        p.add_argument("--csv-dir", type=Path, default=None,
                       help="also write each raw table as <table>.csv in this folder")
        _warehouse_arg(p)
        _target_arg(p)

    generate = commands.add_parser("generate", help="write demo CRM data into the raw schema")
    generation_options(generate)
    generate.set_defaults(run=_generate)

    load = commands.add_parser("load", help="load a folder of <table>.csv files into the raw schema")
    load.add_argument("folder", type=Path)
    load.add_argument("--append", action="store_true",
                      help="add the rows as a later load instead of replacing the tables")
    load.add_argument("--allow-empty", action="store_true",
                      help="let a file with a header and no rows empty a table that has rows")
    load.add_argument("--encoding", default=None,
                      help="the files' encoding, e.g. utf-8, cp1252, latin-1"
                      " (default: UTF-8, else Windows-1252, detected per file)")
    _warehouse_arg(load)
    _target_arg(load)
    load.set_defaults(run=_load)

    build = commands.add_parser(
        "build", help="dbt build in a work copy of the warehouse, published when every test passed, with a"
        " summary; other options go to dbt (--vars, --select, ...)"
    )
    # Any option salesperf does not know goes to dbt build: --vars, --select, --full-refresh...
    build.set_defaults(dbt_args=[])
    _rerun_unit_tests_arg(build)
    _warehouse_arg(build)
    _target_arg(build)
    build.set_defaults(run=_build)

    run = commands.add_parser(
        "run", help="the scheduled job: source freshness, build, tests, validation, publish, report site",
        description="Checks source freshness (stopping before the build when a raw table is past its error"
        " threshold), builds and tests the project and validates the marts in a work copy of the warehouse,"
        " publishes the copy over the warehouse in one rename when all passed, then renders the report site."
        " A failed or killed run leaves the published warehouse as it was. Options salesperf does not know go"
        " to dbt (--vars, --select, ...). Exit status: 0 published, 1 build or tests failed, 2 validation"
        " failed, 3 a source is stale, 4 the run could not start, 5 published but the report did not render."
        " Each run's log is kept in logs/runs/.",
    )
    run.add_argument("--skip-freshness", action="store_true", help="build even when a source is stale")
    run.add_argument("--skip-validation", action="store_true", help="publish without validating the marts")
    run.add_argument("--skip-reports", action="store_true", help="do not render the report site")
    _rerun_unit_tests_arg(run)
    _warehouse_arg(run, raw_schema=False)
    _target_arg(run)
    run.set_defaults(run=_run, dbt_args=[])

    diff = commands.add_parser(
        "diff",
        help="build the base revision and the working tree on the same raw data and compare their metrics;"
        " other options go to dbt (--vars, ...)",
        description="Builds the base revision (--base, default the merge base with main) into a copy of the"
        " raw warehouse and the working tree's state:modified+ into a copy of the base's, deferring the rest"
        " to the base, then reports per mart column the rows changed, added and removed, the largest moves,"
        " the fact rows that moved between categories, and the models whose SQL changed but rows did not."
        " Options salesperf does not know go to dbt, as on build: --vars \"{as_of: '2026-06-30 23:59:59'}\""
        " (both builds read the CRM at the same as_of, now when none is given)."
        " Exit status: 0, or 1 when --fail-on-change names a metric that moved, or 2 when a build failed.",
    )
    diff.add_argument("--base", default=None, help="git ref of the base (default: the merge base of HEAD with main)")
    diff.add_argument("--markdown", type=Path, default=None,
                      help="write the Markdown report to this file (default: print it)")
    diff.add_argument("--json", type=Path, default=None, help="also write the report as JSON to this file")
    diff.add_argument("--fail-on-change", metavar="METRIC[,METRIC]", default=None,
                      help="exit 1 when one of these moved: mart.column, a column of any mart, or a mart")
    diff.add_argument("--top", type=int, default=5, help="largest moves listed per metric (default: %(default)s)")
    diff.add_argument("--work-dir", type=Path, default=None,
                      help="keep both warehouses and dbt targets here (base/, head/), and reuse a base build"
                      " made there from the same commit, raw file and options (default: a temporary folder)")
    diff.add_argument("--project-dir", type=Path, default=PROJECT_ROOT,
                      help="the dbt project, inside a git repository (default: this project)")
    _warehouse_arg(diff, raw_schema=False)
    _target_arg(diff)
    diff.set_defaults(run=_diff, dbt_args=[])

    demo = commands.add_parser("demo", help="generate demo data, then build")
    generation_options(demo)
    demo.set_defaults(run=_demo, dbt_args=[])

    maven = commands.add_parser(
        "maven", help="map the Maven Analytics CRM dataset onto the raw contract, load it and build it"
    )
    maven.add_argument("source", type=Path, help="the folder with sales_pipeline.csv, sales_teams.csv, ...")
    maven.add_argument("--out", type=Path, default=None,
                       help="keep the contract CSV files in this folder (default: a temporary one)")
    _warehouse_arg(maven)
    _target_arg(maven)
    maven.set_defaults(run=_maven, dbt_args=[], allow_empty=False, encoding=None)

    report = commands.add_parser(
        "report", help="render the report pages (reports/pages/*.md) into a static site from the marts",
        description="Runs each page's SQL blocks against the marts (the warehouse opened read-only) and its metric"
        " blocks through MetricFlow, draws its components as inline SVG and writes static HTML with one"
        " stylesheet: every link relative, no JavaScript needed to read it, readable from file:// and offline.",
    )
    report.add_argument("--out", type=Path, default=REPORTS_OUT, help="site folder (default: reports/output)")
    report.add_argument("--pages", type=Path, default=REPORTS_PAGES, help="page folder (default: reports/pages)")
    report.add_argument("--target-path", type=Path, default=TARGET_DIR,
                        help="dbt target folder with manifest.json and semantic_manifest.json (default: target)")
    report.add_argument("--jobs", type=int, default=None,
                        help="processes rendering pages (default: one per core for a site of 16 pages or more)")
    report.add_argument("--diff", type=Path, default=None,
                        help="a `salesperf diff --json` file to show (default: metric-diff.json in --out, if any)")
    _warehouse_arg(report, raw_schema=False)
    report.set_defaults(run=_report)

    query = commands.add_parser("query", help="run one SQL query on the warehouse")
    query.add_argument("sql")
    query.add_argument("--max-rows", type=int, default=40)
    _warehouse_arg(query)
    query.set_defaults(run=_query)
    return root


def main(argv: list[str] | None = None) -> int:
    root = parser()
    # dbt's own options (--vars, --select, ...) may come before or after ours on build, run and diff
    args, unknown = root.parse_known_args(argv)
    if unknown:
        if args.command not in ("build", "run", "diff"):
            root.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.dbt_args = unknown
    try:
        return args.run(args)
    except Exception as exc:  # noqa: BLE001 - known failures get one line; anything else keeps its traceback
        message = known_failure(exc)
        if message is None:
            raise
        _say(f"error: {message}")
        return 4


def known_failure(exc: BaseException) -> str | None:
    """One line for a failure a user can act on: a warehouse another process is writing, a
    path that cannot be written, a bad option value."""
    import duckdb

    text = str(exc).strip()
    if isinstance(exc, duckdb.IOException) and "lock" in text.lower():
        holder = text.split("Conflicting lock is held in", 1)[-1].split(". See", 1)[0].strip() \
            if "Conflicting lock" in text else "another process"
        return (f"the warehouse is open for writing in {holder}; wait for it to finish (a BI tool reading it"
                " does not block a run, a load or build that writes it directly does)")
    if isinstance(exc, PermissionError | FileNotFoundError | IsADirectoryError | NotADirectoryError):
        return f"{exc.strerror}: {exc.filename}"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    if isinstance(exc, ValueError) and text.startswith("--vars"):
        return text
    return None


if __name__ == "__main__":
    sys.exit(main())
