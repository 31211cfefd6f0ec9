"""The `salesperf` command: demo data, loading CRM exports, building and querying."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from salesperf.settings import DEFAULT_RAW_SCHEMA, duckdb_path


def _say(line: str) -> None:
    print(line, flush=True)


def _warehouse_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--duckdb",
        type=Path,
        default=None,
        help="warehouse file (default: $DUCKDB_PATH, else warehouse.duckdb in the project)",
    )
    parser.add_argument("--schema", default=DEFAULT_RAW_SCHEMA, help="raw schema (default: %(default)s)")


def _generate(args: argparse.Namespace) -> int:
    from salesperf.demo import DemoConfig, generate
    from salesperf.warehouse import connect, export_csv

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
    database = args.duckdb or duckdb_path()
    _say(
        f"Generating demo CRM data: seed {config.seed}, {config.reps} reps, {config.months} months"
        f" to {config.end_date}{', dirty' if config.dirty else ''} -> {database} schema {args.schema}"
    )
    with connect(database) as con:
        summary = generate(config, con, args.schema, progress=lambda line: _say(f"  {line}"))
        if args.csv_dir:
            export_csv(con, args.schema, args.csv_dir)
            _say(f"  CSV copies written to {args.csv_dir}")
    total = sum(n for name, n in summary.row_counts.items() if not name.startswith("_"))
    _say(f"Wrote {total:,} rows in {len(summary.row_counts)} tables in {summary.seconds:.1f} s.")
    return 0


def _load(args: argparse.Namespace) -> int:
    from salesperf.loader import LoadError, load_csv_folder
    from salesperf.warehouse import connect

    database = args.duckdb or duckdb_path()
    try:
        with connect(database) as con:
            report = load_csv_folder(args.folder, con, args.schema, append=args.append)
    except LoadError as exc:
        _say(f"error: {exc}")
        return 2
    for load in report.loads:
        if load.created_empty:
            _say(f"  {load.table:<24} no file: created empty (its marts stay empty)")
            continue
        notes = []
        if load.missing_optional:
            notes.append(f"missing, loaded as null: {', '.join(load.missing_optional)}")
        if load.extra_columns:
            notes.append(f"extra, kept and ignored: {', '.join(load.extra_columns)}")
        _say(f"  {load.table:<24} {load.rows:>9,} rows from {load.file.name}" + (f"  ({'; '.join(notes)})" if notes else ""))
    for path in report.unmatched_files:
        _say(f"  skipped {path.name}: it names no table of the raw contract")
    for error in report.errors:
        _say(f"error: {error}")
    loaded = sum(1 for load in report.loads if load.file)
    _say(f"Loaded {loaded} table(s) into {database} schema {args.schema}.")
    return 0 if report.ok else 1


def _build(args: argparse.Namespace) -> int:
    from salesperf.dbt_build import build

    database = args.duckdb or duckdb_path()
    started = time.monotonic()
    summary = build(args.dbt_args, database=database)
    _say("")
    _say(f"dbt build {'succeeded' if summary.success else 'FAILED'} in {time.monotonic() - started:.0f} s")
    for line in summary.lines():
        _say(f"  {line}")
    _say(f"  warehouse: {database}")
    _say("  query it:  ./run query \"select * from marts.crm_load_reconciliation\"")
    return 0 if summary.success else 1


def _query(args: argparse.Namespace) -> int:
    import duckdb

    database = args.duckdb or duckdb_path()
    with duckdb.connect(str(database), read_only=True) as con:
        try:
            con.sql(args.sql).show(max_rows=args.max_rows, max_width=200)
        except duckdb.Error as exc:
            _say(f"error: {exc}")
            return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    status = _generate(args)
    return status or _build(args)


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

    generate = commands.add_parser("generate", help="write demo CRM data into the raw schema")
    generation_options(generate)
    generate.set_defaults(run=_generate)

    load = commands.add_parser("load", help="load a folder of <table>.csv files into the raw schema")
    load.add_argument("folder", type=Path)
    load.add_argument("--append", action="store_true",
                      help="add the rows as a later load instead of replacing the tables")
    _warehouse_arg(load)
    load.set_defaults(run=_load)

    build = commands.add_parser("build", help="dbt build on the warehouse, with a summary")
    build.add_argument("dbt_args", nargs=argparse.REMAINDER,
                       help="passed to dbt build, e.g. --vars '{as_of: 2026-06-30}'")
    _warehouse_arg(build)
    build.set_defaults(run=_build)

    demo = commands.add_parser("demo", help="generate demo data, then build")
    generation_options(demo)
    demo.set_defaults(run=_demo, dbt_args=[])

    query = commands.add_parser("query", help="run one SQL query on the warehouse")
    query.add_argument("sql")
    query.add_argument("--max-rows", type=int, default=40)
    _warehouse_arg(query)
    query.set_defaults(run=_query)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
