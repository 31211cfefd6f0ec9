"""How far the project's build is from the hand-written floor, in time and peak memory.

    .venv/bin/python benchmarks/bench_floor.py [--reps N] [--months 24] [--reuse PATH] [--full]

Generates the demo (or reuses the raw DuckDB file at --reuse, generating it there first if
it is missing), then on fresh copies of the same raw data runs, each in its own process:
(a) the floor (benchmarks/floor.sql) and (b) `dbt run` of the same six marts and everything
upstream, after `dbt seed`; with --full also (c) the whole `dbt run` and (d) the whole
`dbt build`. Prints each wall time, its ratio to the floor's and the process's peak
memory, then counts the rows on which the floor's and the project's marts differ. The
default size is about a million opportunities (the reps that bench_generate.py picks for
them), with some 35 million tasks and events: the generator's ratio of activities to deals
is fixed, about 34 to one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_generate import TARGET_OPPORTUNITIES, reps_for  # noqa: E402
from benchmarks.floor import MARTS, mart_difference, project_selection, run_floor  # noqa: E402
from salesperf.dbt_build import dbt_vars, release_warehouse, run_dbt  # noqa: E402
from salesperf.demo import DemoConfig, generate  # noqa: E402
from salesperf.warehouse import connect, literal  # noqa: E402

CHILD = "--child"
MEMORY_TARGET_GIB = 8.0
RATIO_TARGET = 1.5


@dataclass
class Step:
    name: str
    seconds: float
    cpu_seconds: float  # user and system time of the child: what the step costs on a busy machine too
    peak_gib: float
    ok: bool


def run_child(task: dict[str, object]) -> Step:
    """Run one task in a child process of this script, its wall time and peak RSS (the
    child's own, from wait4, so every step is measured apart from the others)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, CHILD, json.dumps(task)])
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    step = Step(str(task["name"]), seconds, usage.ru_utime + usage.ru_stime,
                usage.ru_maxrss / 1024**2, child.returncode == 0)  # KiB on Linux
    # each step as it ends: at a million deals the whole benchmark takes most of an hour
    print(f"  {step.name}: {step.seconds:.1f} s, {step.cpu_seconds:.1f} CPU s, {step.peak_gib:.2f} GiB at peak"
          f"{'' if step.ok else ', FAILED'}", flush=True)
    return step


def child_main(task: dict[str, object]) -> int:
    """What a child process runs: the floor, or one dbt command."""
    database = Path(str(task["database"]))
    if task["kind"] == "floor":
        run_floor(database, str(task["as_of"]))
        return 0
    # dbt's own log only for errors: the parent prints the figures
    result = run_dbt([*task["args"], "--quiet"], database, Path(str(task["target"])))  # type: ignore[arg-type]
    release_warehouse()
    return 0 if result.success else 1


def fresh_copy(raw: Path, folder: Path, name: str) -> Path:
    copy = folder / f"{name}.duckdb"
    shutil.copy(raw, copy)
    return copy


def generate_raw(config: DemoConfig, path: Path) -> None:
    """The demo's raw tables into `path`, with the time per million rows."""
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    with connect(path) as con:
        summary = generate(config, con, "raw", progress=lambda line: print(
            f"  {time.perf_counter() - started:6.1f} s  {line}", flush=True))
    seconds = time.perf_counter() - started
    rows = sum(n for name, n in summary.row_counts.items() if not name.startswith("_"))
    print(f"generated {rows:,} raw rows in {seconds:.1f} s ({seconds / rows * 1e6:.1f} s per million rows, "
          f"{seconds / max(summary.row_counts['opportunity'], 1) * 1e6:.1f} s per million opportunities)",
          flush=True)


def raw_counts(path: Path) -> dict[str, int]:
    with connect(path, read_only=True) as con:
        return {name: con.execute(f'select count(*) from raw."{name}"').fetchone()[0]
                for name in ("opportunity", "opportunity_history", "task", "event")}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [CHILD]:
        return child_main(json.loads(argv[1]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=None,
                        help="default: as many as hold about a million opportunities over --months")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=dt.date(2026, 6, 1),
                        help="fixed by default so that runs are comparable")
    parser.add_argument("--reuse", type=Path, default=None,
                        help="raw DuckDB file kept between runs: generated there when missing, else read as is")
    parser.add_argument("--full", action="store_true", help="also time the whole `dbt run` and `dbt build`")
    args = parser.parse_args(argv)

    reps = args.reps or reps_for(TARGET_OPPORTUNITIES, args.months, DemoConfig.opportunities_per_rep_month)
    as_of = f"{args.end_date} 00:00:00"
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        raw = args.reuse or scratch / "raw.duckdb"
        if args.reuse is None or not raw.exists():
            config = DemoConfig(seed=args.seed, reps=reps, months=args.months, end_date=args.end_date)
            print(f"generating the demo: {config.reps:,} reps x {config.months} months", flush=True)
            generate_raw(config, raw)
        else:
            print(f"reusing the raw data in {raw} (--reps, --months, --seed do not apply)", flush=True)
        counts = raw_counts(raw)
        print(f"raw: {counts['opportunity']:,} opportunities, {counts['opportunity_history']:,} history rows, "
              f"{counts['task'] + counts['event']:,} tasks and events; as_of {as_of}", flush=True)

        floor_db = fresh_copy(raw, scratch, "floor")
        project_db = fresh_copy(raw, scratch, "project")
        vars_args = dbt_vars(as_of=as_of)
        steps = [run_child({"name": "floor (benchmarks/floor.sql)", "kind": "floor",
                            "database": str(floor_db), "as_of": as_of})]
        seed = run_child({"name": "dbt seed (before the run, not compared)", "kind": "dbt",
                          "database": str(project_db), "target": str(scratch / "target"), "args": ["seed"]})
        steps.append(run_child({"name": "dbt run of the six marts and upstream", "kind": "dbt",
                                "database": str(project_db), "target": str(scratch / "target"),
                                "args": ["run", *project_selection(), *vars_args]}))
        if args.full:
            for name, dbt_args in (("dbt run (whole project, after seed)", ["run", *vars_args]),
                                   ("dbt build (whole project)", ["build", *vars_args])):
                database = fresh_copy(raw, scratch, "whole")
                if dbt_args[0] == "run":
                    run_child({"name": "seed", "kind": "dbt", "database": str(database),
                               "target": str(scratch / "full_target"), "args": ["seed"]})
                steps.append(run_child({"name": name, "kind": "dbt", "database": str(database),
                                        "target": str(scratch / "full_target"), "args": dbt_args}))
                database.unlink()

        floor_seconds = steps[0].seconds
        floor_cpu = steps[0].cpu_seconds
        print(f"\n{'step':<44}{'seconds':>10}{'x floor':>10}{'cpu s':>10}{'x floor':>10}{'peak GiB':>10}")
        for step in [steps[0], seed, *steps[1:]]:
            print(f"{step.name:<44}{step.seconds:>10.1f}{step.seconds / floor_seconds:>10.1f}"
                  f"{step.cpu_seconds:>10.1f}{step.cpu_seconds / floor_cpu:>10.1f}"
                  f"{step.peak_gib:>10.2f}{'' if step.ok else '  FAILED'}")
        ratio = steps[1].seconds / floor_seconds
        print(f"project within {RATIO_TARGET}x of the floor: {'met' if ratio <= RATIO_TARGET else 'NOT met'} "
              f"({ratio:.2f}x)")
        if args.full:
            checking = steps[3].seconds / steps[2].seconds
            verdict = "met" if checking <= RATIO_TARGET else "NOT met"
            if not (steps[2].ok and steps[3].ok):
                verdict = "not measured: a failing node skipped what depends on it"
            print(f"dbt build within {RATIO_TARGET}x of dbt run: {verdict} ({checking:.2f}x)")
        over = [s.name for s in [seed, *steps] if s.peak_gib >= MEMORY_TARGET_GIB]
        print(f"peak memory target {MEMORY_TARGET_GIB:.0f} GiB: "
              f"{'met by every step' if not over else 'NOT met by ' + ', '.join(over)}")

        # the marts of the floor and of the first run are compared whenever both were built,
        # even when a later step failed
        if not (steps[0].ok and seed.ok and steps[1].ok):
            return 1
        with connect(project_db) as con:
            con.execute(f"attach {literal(str(floor_db))} as floor_run (read_only)")
            found = [mart_difference(con, mart, f"marts.{mart}", f"floor_run.floor.{mart}") for mart in MARTS]
        print("\nfloor vs project:")
        for difference in found:
            print(f"  {difference.describe().splitlines()[0]}")
        return 0 if all(d.equal for d in found) and all(s.ok for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
