"""The project builds unchanged on PostgreSQL and gives the rows it gives on DuckDB.

A private PostgreSQL server is started once for the test run (see postgres_server.py); the
small demo is generated, copied there with salesperf.postgres and built with the
postgres target. Every staging, intermediate and mart relation must then hold the same
rows as the DuckDB build of the same demo, once what only the drivers disagree on is
normalised (Decimal or float, numeric scale, timestamp objects).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest

from salesperf.cli import main
from salesperf.contract import RAW_TABLES
from salesperf.dbt_build import WITHOUT_UNIT_TESTS, BuildSummary, build, dbt_vars
from salesperf.demo import DemoConfig, generate
from salesperf.loader import load_csv_folder
from salesperf.postgres import copy_schema
from salesperf.warehouse import connect
from tests.python.engine_comparison import (
    COMPARED_SCHEMAS,
    Contents,
    assert_odd_text_parsed,
    compare,
    differences,
    duckdb_reader,
    normalise,
    postgres_reader,
    relations,
    write_odd_text_export,
)
from tests.python.helpers import INCREMENTAL_MODELS, SMALL_DEMO, SMALL_DEMO_AS_OF
from tests.python.postgres_server import INSTALL_HINT, PostgresServer, find_bindir, postgres_environment

# The id the PostgreSQL builds of the demo pass, shaped as a scheduled run's.
POSTGRES_BUILD_ID = "20261202T051500Z-1a2b3c4d"


# --- the server and the builds ------------------------------------------------------------


@dataclass
class PostgresBuild:
    server: PostgresServer
    database: str
    summary: BuildSummary

    def dsn(self) -> str:
        return self.server.dsn(self.database)

    def connect(self) -> Any:
        return psycopg2.connect(self.dsn())


def build_on_postgres(
    server: PostgresServer, database: str, config: DemoConfig, target: Path, dbt_args: tuple[str, ...] = ()
) -> PostgresBuild:
    """Generate `config` into a scratch DuckDB, copy its raw schema to a new database and
    `dbt build` there with the postgres target (its own target path: nothing shared)."""
    server.create_database(database)
    with postgres_environment(server, database):
        with duckdb.connect() as con:
            generate(config, con, "raw")
            copy_schema(con, "raw")
        summary = build(
            ["--target", "postgres", *dbt_args, *dbt_vars(as_of=SMALL_DEMO_AS_OF, build_id=POSTGRES_BUILD_ID)],
            target_path=target,
        )
    return PostgresBuild(server, database, summary)


@pytest.fixture(scope="session")
def postgres_demo(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> PostgresBuild:
    return build_on_postgres(postgres_server, "demo", SMALL_DEMO, tmp_path_factory.mktemp("pg_target"))


@pytest.fixture(scope="session")
def postgres_dirty_demo(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> PostgresBuild:
    return build_on_postgres(
        postgres_server, "dirty_demo", replace(SMALL_DEMO, dirty=True), tmp_path_factory.mktemp("pg_dirty_target"),
        WITHOUT_UNIT_TESTS,
    )


@pytest.fixture(scope="session")
def postgres_el_dirty_demo(
    postgres_server: PostgresServer,
    built_el_dirty_demo: tuple[Path, BuildSummary],
    tmp_path_factory: pytest.TempPathFactory,
) -> PostgresBuild:
    """The dirty demo as an EL tool lands it (no loader columns), copied as it is."""
    path, _ = built_el_dirty_demo
    postgres_server.create_database("el_dirty_demo")
    with postgres_environment(postgres_server, "el_dirty_demo"):
        with duckdb.connect(str(path)) as con:
            copy_schema(con, "raw")
        summary = build(
            ["--target", "postgres", *WITHOUT_UNIT_TESTS, *dbt_vars(as_of=SMALL_DEMO_AS_OF)],
            target_path=tmp_path_factory.mktemp("pg_el_dirty_target"),
        )
    return PostgresBuild(postgres_server, "el_dirty_demo", summary)


# --- reading PostgreSQL ---------------------------------------------------------------


# --- the tests ----------------------------------------------------------------------------


def test_postgresql_server_programs_are_installed() -> None:
    assert find_bindir() is not None, INSTALL_HINT


def test_the_comparison_sees_values_not_driver_types() -> None:
    """Guards the guard: equal values in the two drivers' types compare equal, and a
    changed value, a lost row or a renamed column does not."""
    duck = Contents(["a", "b", "c"], [("12500.000000", "2026-02-23 20:55:00", "x")])
    same = [normalise(v) for v in (Decimal("12500.00"), datetime(2026, 2, 23, 20, 55), "x")]
    assert normalise(12500) == normalise(12500.0) == normalise(Decimal("12500.000000")) == "12500.000000"
    assert normalise(-0.0000001) == normalise(0) == "0.000000"
    assert normalise(datetime(2026, 2, 23, 21, 55, tzinfo=timezone(timedelta(hours=1)))) == "2026-02-23 20:55:00"
    assert differences(duck, Contents(["a", "b", "c"], [tuple(same)])) is None
    assert differences(duck, Contents(["a", "b", "c"], [("12500.010000", "2026-02-23 20:55:00", "x")]))
    assert differences(duck, Contents(["a", "b", "c"], []))
    assert differences(duck, Contents(["a", "b", "d"], duck.rows))


def test_the_copy_keeps_every_raw_row_and_value(
    postgres_demo: PostgresBuild,
    postgres_dirty_demo: PostgresBuild,
    built_demo: tuple[Path, BuildSummary],
    built_dirty_demo: tuple[Path, BuildSummary],
) -> None:
    """Typed (clean) and text (dirty, with empty strings next to nulls) raw tables arrive as
    DuckDB holds them."""
    for (path, _), built in ((built_demo, postgres_demo), (built_dirty_demo, postgres_dirty_demo)):
        names = relations(duckdb_reader(path), ("raw",))
        assert names == relations(postgres_reader(built.dsn()), ("raw",))
        assert len(names) == len(RAW_TABLES) + 1  # with the demo's fault manifest
        comparison = compare(path, postgres_reader(built.dsn()), names)
        assert comparison.differences == {}
        assert comparison.rows['raw."opportunity"'] > 100


def test_build_on_postgres_passes_every_node_as_on_duckdb(
    postgres_demo: PostgresBuild, built_demo: tuple[Path, BuildSummary]
) -> None:
    summary = postgres_demo.summary
    assert summary.success, "\n".join(summary.lines())
    assert summary.failures == []
    assert summary.count("test", "fail", "error") == 0
    assert summary.count("unit_test", "fail", "error") == 0
    _, on_duckdb = built_demo
    for kind, status in (("model", "success"), ("seed", "success"), ("test", "pass"), ("unit_test", "pass")):
        assert summary.count(kind, status) == on_duckdb.count(kind, status), (kind, status)
    assert sorted(summary.warned) == sorted(on_duckdb.warned)


def test_every_staging_intermediate_and_mart_relation_matches_duckdb(
    postgres_demo: PostgresBuild, built_demo: tuple[Path, BuildSummary]
) -> None:
    path, _ = built_demo
    names = relations(duckdb_reader(path), COMPARED_SCHEMAS)
    assert names == relations(postgres_reader(postgres_demo.dsn()), COMPARED_SCHEMAS)
    assert {name.split(".")[0] for name in names} == set(COMPARED_SCHEMAS)
    comparison = compare(path, postgres_reader(postgres_demo.dsn()), names)
    assert comparison.differences == {}
    assert sum(comparison.rows.values()) > 50_000  # not a comparison of empty relations


def test_marts_say_which_build_wrote_them_on_postgres_too(
    postgres_demo: PostgresBuild, built_demo: tuple[Path, BuildSummary]
) -> None:
    """The build id the run passed and the as_of of the build, the same on every row of
    every mart; as_of reads the same on both engines."""
    path, _ = built_demo
    stamps = {}
    for engine, execute in (("duckdb", duckdb_reader(path)), ("postgres", postgres_reader(postgres_demo.dsn()))):
        marts = sorted(name for name in relations(execute, ("marts",)))
        stamps[engine] = {
            tuple(normalise(value) for value in row)
            for mart in marts for row in execute(f"select distinct build_id, as_of from {mart}")[1]
        }
    assert stamps["postgres"] == {(POSTGRES_BUILD_ID, SMALL_DEMO_AS_OF)}
    ((_, as_of_on_duckdb),) = stamps["duckdb"]
    assert as_of_on_duckdb == SMALL_DEMO_AS_OF


def test_dirty_demo_on_postgres_warns_as_on_duckdb(
    postgres_dirty_demo: PostgresBuild, built_dirty_demo: tuple[Path, BuildSummary]
) -> None:
    summary = postgres_dirty_demo.summary
    assert summary.success, "\n".join(summary.lines())
    assert summary.count("test", "fail", "error") == 0
    _, on_duckdb = built_dirty_demo
    assert "quarantine_within_threshold_crm_load_reconciliation_" in summary.warned
    assert sorted(summary.warned) == sorted(on_duckdb.warned)


def test_dirty_demo_quarantine_and_reconciliation_match_duckdb(
    postgres_dirty_demo: PostgresBuild, built_dirty_demo: tuple[Path, BuildSummary]
) -> None:
    path, _ = built_dirty_demo
    comparison = compare(path, postgres_reader(postgres_dirty_demo.dsn()), {'marts."crm_load_reconciliation"', 'marts."crm_quarantine"'})
    assert comparison.differences == {}
    assert comparison.rows['marts."crm_quarantine"'] > 0


def test_rows_without_load_order_are_numbered_and_decided_as_on_duckdb(
    postgres_el_dirty_demo: PostgresBuild, built_el_dirty_demo: tuple[Path, BuildSummary]
) -> None:
    """Without the loader's columns, each raw row's number and the version that wins a tie
    come from the order of a hash of the row's values: the same on both engines, so the
    same raw rows give the same rows everywhere, down to which tied version won."""
    path, on_duckdb = built_el_dirty_demo
    summary = postgres_el_dirty_demo.summary
    assert sorted(summary.warned) == sorted(on_duckdb.warned)
    assert "assert_newest_versions_are_decided_by_the_data" in summary.warned
    assert sorted(f.split(":")[0] for f in summary.failures) == sorted(f.split(":")[0] for f in on_duckdb.failures)
    names = relations(duckdb_reader(path), ("staging", "intermediate"))
    assert names == relations(postgres_reader(postgres_el_dirty_demo.dsn()), ("staging", "intermediate"))
    assert 'intermediate."int_crm_raw_rows_classified"' in names
    comparison = compare(path, postgres_reader(postgres_el_dirty_demo.dsn()), names)
    assert comparison.differences == {}
    assert comparison.rows['intermediate."int_crm_raw_rows_classified"'] > 10_000


def test_odd_text_parses_the_same_on_both_engines(postgres_server: PostgresServer, tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    write_odd_text_export(export)

    warehouse = tmp_path / "odd.duckdb"
    postgres_server.create_database("odd_text")
    with connect(warehouse) as con, postgres_environment(postgres_server, "odd_text"):
        load_csv_folder(export, con, "raw")
        copy_schema(con, "raw")
    dbt_args = ["--select", "base_crm__products", *dbt_vars(as_of=SMALL_DEMO_AS_OF)]
    summary = build(dbt_args, database=warehouse, target_path=tmp_path / "duckdb_target")
    assert summary.success, "\n".join(summary.lines())
    with postgres_environment(postgres_server, "odd_text"):
        summary = build(["--target", "postgres", *dbt_args], target_path=tmp_path / "postgres_target")
    assert summary.success, "\n".join(summary.lines())

    built = PostgresBuild(postgres_server, "odd_text", summary)
    assert compare(warehouse, postgres_reader(built.dsn()), {'staging."base_crm__products"'}).differences == {}
    _, rows = postgres_reader(built.dsn())("select product_id, unit_cost, last_modified_at_utc from staging.base_crm__products")
    assert_odd_text_parsed(rows)


# --- the command line ---------------------------------------------------------------------


def test_cli_generates_and_loads_into_postgres(
    postgres_server: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres_server.create_database("cli")
    for name, value in postgres_server.environ("cli").items():
        monkeypatch.setenv(name, value)
    where = f"PostgreSQL database cli on 127.0.0.1:{postgres_server.port}"
    built = PostgresBuild(postgres_server, "cli", BuildSummary(success=True))

    def count(table: str) -> int:
        return int(postgres_reader(built.dsn())(f"select count(*) from {table}")[1][0][0])

    status = main([
        "generate", "--reps", "6", "--months", "3", "--seed", "3", "--end-date", "2026-03-01",
        "--target", "postgres", "--csv-dir", str(tmp_path / "csv"),
    ])
    out = capsys.readouterr().out
    assert status == 0, out
    assert f"-> {where} schema raw" in out
    assert f"copied to {where} schema raw" in out

    assert main(["load", str(tmp_path / "csv"), "--target", "postgres", "--schema", "crm"]) == 0
    out = capsys.readouterr().out
    assert f"Loaded {len(RAW_TABLES)} table(s) into {where} schema crm." in out
    for table in RAW_TABLES:
        assert count(f'crm."{table.name}"') == count(f'raw."{table.name}"'), table.name
        assert count(f'raw."{table.name}"') > 0, table.name

    # A partial export replaces what it has files for and leaves the other tables alone.
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "Opportunity.csv").write_text("Id,Name,StageName,Amount\n006X,Deal,Prospecting,100\n")
    assert main(["load", str(partial), "--target", "postgres", "--schema", "crm"]) == 0
    out = capsys.readouterr().out
    assert "created empty" not in out
    assert count('crm."opportunity"') == 1
    assert count('crm."account"') == count('raw."account"')

    assert main(["load", str(partial), "--target", "postgres", "--append"]) == 2
    assert "error: --append needs the DuckDB warehouse" in capsys.readouterr().out

    # A folder loads all or nothing: a bad file leaves every PostgreSQL table as it was.
    accounts = count('crm."account"')
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "account.csv").write_text("id,name\n001X,Only account\n")
    (bad / "opportunity.csv").write_bytes(b"id,name\n006Y,caf\xe9 \x81\n")
    assert main(["load", str(bad), "--target", "postgres", "--schema", "crm"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("error: opportunity.csv: neither UTF-8 nor Windows-1252")
    assert count('crm."account"') == accounts and count('crm."opportunity"') == 1

    # A header-only file does not empty a PostgreSQL table that has rows, unless asked.
    (partial / "Opportunity.csv").write_text("Id,Name\n")
    assert main(["load", str(partial), "--target", "postgres", "--schema", "crm"]) == 1
    assert "would empty table opportunity (1 rows); load with --allow-empty" in capsys.readouterr().out
    assert count('crm."opportunity"') == 1
    assert main(["load", str(partial), "--target", "postgres", "--schema", "crm", "--allow-empty"]) == 0
    assert count('crm."opportunity"') == 0


def test_cli_build_passes_the_postgres_target_to_dbt(
    postgres_server: PostgresServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in postgres_server.environ("cli").items():
        monkeypatch.setenv(name, value)
    calls: list[list[str]] = []

    def fake_build(args: list[str], database: Path | None = None, target_path: Path | None = None) -> BuildSummary:
        calls.append(args)
        return BuildSummary(success=True)

    monkeypatch.setattr("salesperf.dbt_build.build", fake_build)
    monkeypatch.setattr("salesperf.scheduled_run._parse_published", lambda options: None)
    assert main(["build", "--target", "postgres"]) == 0
    assert calls[-1][:2] == ["--target", "postgres"]
    assert '"build_schema_suffix": "__building"' in calls[-1][-1]
    out = capsys.readouterr().out
    assert f"on PostgreSQL database cli on 127.0.0.1:{postgres_server.port}" in out and "published build" in out


def shadow_and_retired_schemas(pg: Any) -> list[str]:
    with pg.cursor() as cursor:
        cursor.execute("select nspname from pg_namespace where nspname like '%%\\_\\_building'"
                       " or nspname like '%%\\_\\_retired'")
        return [row[0] for row in cursor.fetchall()]


def mart_counts(pg: Any) -> dict[str, int]:
    with pg.cursor() as cursor:
        cursor.execute("select table_name from information_schema.tables where table_schema = 'marts'"
                       " and table_name <> 'build_log'")
        counts = {}
        for (table,) in cursor.fetchall():
            cursor.execute(f'select count(*) from marts."{table}"')
            counts[table] = cursor.fetchone()[0]
    pg.rollback()
    return counts


def test_a_build_on_postgres_publishes_by_swapping_shadow_schemas(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run builds in staging__building, marts__building, ..., validates the shadow marts
    and renames them over the published schemas in one transaction; the next run starts from
    copies of the incremental models and updates them by key; a build whose tests fail
    leaves the published schemas as they were and no shadow behind."""
    postgres_server.create_database("publish")
    for name, value in postgres_server.environ("publish").items():
        monkeypatch.setenv(name, value)
    with duckdb.connect() as con:
        generate(SMALL_DEMO, con, "raw")
        copy_schema(con, "raw")
    args = ["build", "--target", "postgres", *dbt_vars(as_of=SMALL_DEMO_AS_OF)]
    # the first publish validates the shadow marts with the expectation suites, as on DuckDB
    assert main(["run", "--skip-freshness", "--skip-reports", *args[1:]]) == 0, capsys.readouterr().out
    assert "validate the marts: pass" in capsys.readouterr().out
    pg = psycopg2.connect(postgres_server.dsn("publish"))
    try:
        published = mart_counts(pg)
        assert published["fct_opportunities"] > 0 and len(published) >= 25
        assert shadow_and_retired_schemas(pg) == []
        with pg.cursor() as cursor:
            cursor.execute("select build_id from marts.build_log")
            (build_id,), = cursor.fetchall()
            cursor.execute("select distinct build_id from marts.rep_win_rate_monthly")
            assert cursor.fetchall() == [(build_id,)]
        pg.commit()
        # the next day's run starts its shadow schemas from the published incremental models
        day_after = ["--target", "postgres", *dbt_vars(as_of="2026-06-02 00:00:00")]
        assert main(["run", "--skip-freshness", "--skip-reports", "--skip-validation", *day_after]) == 0
        with pg.cursor() as cursor:
            cursor.execute("select model_name, last_run from staging._salesperf_incremental_state"
                           " union all select model_name, last_run from intermediate._salesperf_incremental_state")
            last_runs = dict(cursor.fetchall())
            assert set(last_runs) == INCREMENTAL_MODELS
            assert all(run.startswith("recomputed by key: ") for run in last_runs.values()), last_runs
            published = mart_counts(pg)
            cursor.execute("delete from raw.opportunity")
        pg.commit()
        capsys.readouterr()
        assert main(args) == 1
        assert "the published warehouse is unchanged" in capsys.readouterr().out
        assert mart_counts(pg) == published
        assert shadow_and_retired_schemas(pg) == []
    finally:
        pg.close()


def test_cli_says_when_postgres_cannot_be_reached(
    postgres_server: PostgresServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in postgres_server.environ("no_such_database").items():
        monkeypatch.setenv(name, value)
    assert main(["generate", "--reps", "6", "--months", "3", "--target", "postgres"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("error: cannot reach PostgreSQL database no_such_database on 127.0.0.1:")
    assert 'database "no_such_database" does not exist' in out
