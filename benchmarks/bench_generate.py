"""How long the demo generator takes for a given number of opportunities.

    .venv/bin/python benchmarks/bench_generate.py [--opportunities 1000000] [--db PATH]

Picks the number of reps so that `--months` of history hold about the requested number
of opportunities, generates into a DuckDB file (a temporary one unless --db is given)
and prints the time, the rows of every table, rows per second and whether the run met
the 60-second target for a million opportunities on two cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from salesperf.demo import DemoConfig, generate  # noqa: E402

TARGET_SECONDS = 60.0
TARGET_OPPORTUNITIES = 1_000_000
# Opportunities per rep seat and history month that the default model yields: new
# business at the configured rate, plus renewals and upsells and the deals in flight when
# the history starts, less ramp-up and vacancies. Measured (12.35 at seed 42); used only
# to size the run.
YIELD_PER_SEAT_MONTH = 12.35 / 12.0


def reps_for(opportunities: int, months: int, per_rep_month: float) -> int:
    return max(1, round(opportunities / (months * per_rep_month * YIELD_PER_SEAT_MONTH)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=TARGET_OPPORTUNITIES)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=dt.date(2026, 6, 1),
                        help="fixed by default so that runs are comparable")
    parser.add_argument("--dirty", action="store_true", help="time a dirty load instead")
    parser.add_argument("--db", type=Path, default=None, help="DuckDB file to write (default: a temporary file)")
    args = parser.parse_args(argv)

    config = DemoConfig(seed=args.seed, months=args.months, end_date=args.end_date, dirty=args.dirty,
                        reps=reps_for(args.opportunities, args.months, DemoConfig.opportunities_per_rep_month))
    print(f"generating about {args.opportunities:,} opportunities: {config.reps:,} reps x {config.months} months"
          f"{', dirty' if config.dirty else ''}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        path = args.db or Path(scratch) / "bench.duckdb"
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        with duckdb.connect(str(path)) as con:
            summary = generate(config, con, "raw", progress=lambda line: print(
                f"  {time.perf_counter() - started:6.1f} s  {line}", flush=True))
        seconds = time.perf_counter() - started  # including the final checkpoint on close
        size = path.stat().st_size

    rows = {name: n for name, n in summary.row_counts.items() if not name.startswith("_")}
    total = sum(rows.values())
    print(f"\n{'table':<24}{'rows':>14}")
    for name, n in rows.items():
        print(f"{name:<24}{n:>14,}")
    print(f"{'total':<24}{total:>14,}")
    opportunities = rows["opportunity"]
    scaled = seconds * TARGET_OPPORTUNITIES / max(opportunities, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux
    print(f"\n{seconds:.1f} s for {opportunities:,} opportunities ({total / seconds:,.0f} rows/s,"
          f" database {size / 1e9:.2f} GB, peak memory {peak:.1f} GiB)")
    if config.dirty or opportunities < TARGET_OPPORTUNITIES:
        print(f"{scaled:.1f} s per million opportunities, scaled linearly (indicative only: the target is"
              f" {TARGET_OPPORTUNITIES:,} opportunities of a clean load in under {TARGET_SECONDS:.0f} s)")
        return 0
    met = seconds < TARGET_SECONDS
    print(f"target: {TARGET_OPPORTUNITIES:,} opportunities in under {TARGET_SECONDS:.0f} s"
          f" -> {'met' if met else 'NOT met'} ({scaled:.1f} s per million)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
