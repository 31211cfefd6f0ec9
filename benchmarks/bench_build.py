"""How long `dbt build` takes on demo data of a given size, and which models cost most.

    .venv/bin/python benchmarks/bench_build.py [--reps 200] [--months 24] [--without-loader-columns]

Generates the demo into a temporary DuckDB file, runs one `dbt build` (seeds, models,
data tests, unit tests) with a fixed as_of, and prints the wall time, the raw row counts
and the slowest models from dbt's own timings. With --without-loader-columns the raw
tables lose `_loaded_at` and `_source_row` first, as an EL tool lands them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from salesperf.dbt_build import build, dbt_vars # noqa: E402
from salesperf.demo import DemoConfig, generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=dt.date(2026, 6, 1),
                        help="fixed by default so that runs are comparable")
    parser.add_argument("--slowest", type=int, default=12, help="how many models to list")
    parser.add_argument("--without-loader-columns", action="store_true",
                        help="drop _loaded_at and _source_row from the raw tables, as an EL tool lands them")
    args = parser.parse_args(argv)

    config = DemoConfig(seed=args.seed, reps=args.reps, months=args.months, end_date=args.end_date)
    with tempfile.TemporaryDirectory() as scratch:
        path, target = Path(scratch) / "bench.duckdb", Path(scratch) / "target"
        with duckdb.connect(str(path)) as con:
            summary = generate(config, con, "raw")
            if args.without_loader_columns:
                for name in summary.row_counts:
                    if not name.startswith("_"):
                        con.execute(f'alter table raw."{name}" drop column _loaded_at')
                        con.execute(f'alter table raw."{name}" drop column _source_row')
        rows = {name: n for name, n in summary.row_counts.items() if not name.startswith("_")}
        print(f"demo: {config.reps} reps x {config.months} months, {sum(rows.values()):,} raw rows "
              f"({rows['opportunity']:,} opportunities, {rows['task'] + rows['event']:,} activities)"
              f"{', landed without loader columns' if args.without_loader_columns else ''}", flush=True)
        started = time.perf_counter()
        result = build(dbt_vars(as_of=f"{args.end_date} 00:00:00"), database=path, target_path=target)
        seconds = time.perf_counter() - started
        print(f"dbt build {'succeeded' if result.success else 'FAILED'} in {seconds:.1f} s")
        for line in result.lines():
            print(f"  {line}")
        timings = [
            (r["execution_time"], r["unique_id"].split(".")[-1])
            for r in json.loads((target / "run_results.json").read_text())["results"]
            if r["unique_id"].startswith("model.")
        ]
        print(f"slowest models (of {len(timings)}, {sum(t for t, _ in timings):.1f} s in all):")
        for elapsed, name in sorted(timings, reverse=True)[: args.slowest]:
            print(f"  {elapsed:6.2f} s  {name}")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
