"""The hand-written floor (benchmarks/floor.sql) computes the same six marts as the project:
the benchmark against it compares like with like only while this holds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from benchmarks.floor import MARTS, mart_difference, run_floor, run_project_marts
from salesperf.dbt_build import BuildSummary
from salesperf.demo import generate
from salesperf.warehouse import connect
from tests.python.helpers import SMALL_DEMO, SMALL_DEMO_AS_OF, reader_copy


def differences(database: Path) -> list[str]:
    """What differs between each mart of the project (schema marts) and of the floor
    (schema floor) in one warehouse; empty when all six agree."""
    with connect(database) as con:
        found = [mart_difference(con, mart, f"marts.{mart}", f"floor.{mart}") for mart in MARTS]
        empty = [d.mart for d in found if d.project_rows == 0]
    # a mart empty on both sides would agree without proving anything
    assert not empty, f"the demo left these marts empty: {empty}"
    return [d.describe() for d in found if not d.equal]


def test_floor_matches_the_project_on_the_small_demo(
    built_demo: tuple[Path, BuildSummary], tmp_path: Path
) -> None:
    warehouse, summary = built_demo
    assert summary.success, summary.failures
    # the floor reads the same raw rows, in a copy of the built warehouse
    copy = reader_copy(warehouse, tmp_path / "floor")
    run_floor(copy, SMALL_DEMO_AS_OF)
    assert differences(copy) == []


def test_floor_matches_the_project_on_another_demo_at_a_time_of_day(tmp_path: Path) -> None:
    """Another org (seed, size, history) read at an afternoon as_of inside the history, so
    that later changes, a partly elapsed day and deals still to come are cut off alike."""
    database = tmp_path / "other.duckdb"
    with connect(database) as con:
        generate(replace(SMALL_DEMO, seed=23, reps=9, months=9), con, "raw")
    as_of = "2026-04-17 15:45:00"
    assert run_project_marts(database, as_of, target_path=tmp_path / "target")
    run_floor(database, as_of)
    assert differences(database) == []
