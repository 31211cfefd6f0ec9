"""The project builds unchanged on Spark and gives the rows it gives on DuckDB.

One local Spark session (dbt-spark's session method: pyspark in this process, Java 17) is
started for the test run, with its warehouse folder and metastore in a temporary folder.
The small demo and the small dirty demo are generated, copied there with salesperf.spark and
each built once with the spark target, side by side: the dirty one reads its raw tables
from schema raw_dirty and builds every project schema under the suffix __dirty. Every
staging, intermediate and mart relation must then hold the same rows as the DuckDB build of
the same demo, once what only the drivers disagree on is normalised (Decimal or float,
timestamp objects).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from salesperf.cli import main
from salesperf.contract import RAW_TABLES
from salesperf.dbt_build import WITHOUT_UNIT_TESTS, BuildSummary, build, dbt_vars
from salesperf.demo import DemoConfig, generate
from salesperf.loader import load_csv_folder
from salesperf.spark import JAVA_HINT, backquote, copy_schema, java_available, session
from salesperf.warehouse import connect
from tests.python.apt import AptInstallFailed, apt_get_install, can_install
from tests.python.engine_comparison import (
    COMPARED_SCHEMAS,
    Comparison,
    Reader,
    assert_odd_text_parsed,
    compare,
    duckdb_reader,
    normalise,
    relations,
    write_odd_text_export,
)
from tests.python.helpers import SMALL_DEMO, SMALL_DEMO_AS_OF

JAVA_PACKAGES = ("openjdk-17-jre-headless",)
# The id the Spark builds of the demo pass, shaped as a scheduled run's.
SPARK_BUILD_ID = "20261202T051500Z-5a6b7c8d"


# --- the session and the builds -----------------------------------------------------------


@pytest.fixture(scope="session")
def spark(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Spark session for the whole run, its warehouse and metastore in a temporary
    folder. Java 17 is installed with apt-get first when missing and the tests run as root;
    what the set-up does is printed past pytest's capture."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def say(message: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"\n{message}", flush=True)

    if not java_available() and can_install():
        try:
            apt_get_install(JAVA_PACKAGES, "the Spark tests", say)
        except AptInstallFailed as exc:
            pytest.fail(f"{exc}\n{JAVA_HINT}", pytrace=False)
    if not java_available():
        pytest.fail(JAVA_HINT, pytrace=False)
    saved = os.environ.get("SPARK_WAREHOUSE_DIR")
    os.environ["SPARK_WAREHOUSE_DIR"] = str(tmp_path_factory.mktemp("spark_warehouse"))
    spark_session = session()
    try:
        yield spark_session
    finally:
        spark_session.stop()
        if saved is None:
            os.environ.pop("SPARK_WAREHOUSE_DIR", None)
        else:
            os.environ["SPARK_WAREHOUSE_DIR"] = saved


@dataclass
class SparkBuild:
    spark: Any
    raw_schema: str
    suffix: str  # every project schema's suffix ('' for the published names)
    summary: BuildSummary

    def relation(self, name: str) -> str:
        """The Spark name of a relation DuckDB names `schema."table"`."""
        schema, table = name.split(".", 1)
        schema = self.raw_schema if schema == "raw" else schema + self.suffix
        return f"{backquote(schema)}.{backquote(table.strip(chr(34)))}"

    def reader(self) -> Reader:
        return spark_reader(self.spark)

    def relations(self, schemas: tuple[str, ...]) -> set[str]:
        """The relations of `schemas`, named as DuckDB names them (`marts."fct_leads"`)."""
        found = set()
        for schema in schemas:
            spark_schema = self.raw_schema if schema == "raw" else schema + self.suffix
            found |= {f'{schema}."{row.tableName}"' for row in self.spark.sql(f"show tables in {spark_schema}").collect()}
        return found

    def compare(self, duckdb_path: Path, names: set[str]) -> Comparison:
        return compare(duckdb_path, self.reader(), names, "spark", self.relation)


def spark_reader(spark: Any) -> Reader:
    """Rows as the Spark session returns them, timestamps as written (pyspark would convert
    them through the Python process's own time zone)."""
    from pyspark.sql import functions
    from pyspark.sql.types import TimestampNTZType, TimestampType

    def execute(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        frame = spark.sql(sql)
        stamps = {f.name for f in frame.schema.fields if isinstance(f.dataType, TimestampType | TimestampNTZType)}
        frame = frame.select(*[
            functions.date_format(frame[name], "yyyy-MM-dd HH:mm:ss.SSSSSS").alias(name) if name in stamps
            else frame[name]
            for name in frame.columns
        ])
        rows = [
            tuple(datetime.fromisoformat(value) if name in stamps and value is not None else value
                  for name, value in zip(frame.columns, row))
            for row in frame.collect()
        ]
        return frame.columns, rows

    return execute


def build_on_spark(
    spark: Any, config: DemoConfig, raw_schema: str, suffix: str, target: Path, extra: dict[str, Any] | None = None,
    dbt_args: tuple[str, ...] = (),
) -> SparkBuild:
    """Generate `config` into a scratch DuckDB, copy its raw schema to Spark and `dbt build`
    there with the spark target (its own target path: nothing shared)."""
    with duckdb.connect() as con:
        generate(config, con, raw_schema)
        copy_schema(con, raw_schema, spark)
    vars_ = {"as_of": SMALL_DEMO_AS_OF, "build_id": SPARK_BUILD_ID, "raw_schema": raw_schema, **(extra or {})}
    if suffix:
        vars_["build_schema_suffix"] = suffix
    summary = build(["--target", "spark", *dbt_args, *dbt_vars(**vars_)], target_path=target)
    return SparkBuild(spark, raw_schema, suffix, summary)


@pytest.fixture(scope="session")
def spark_demo(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> SparkBuild:
    return build_on_spark(spark, SMALL_DEMO, "raw", "", tmp_path_factory.mktemp("spark_target"))


@pytest.fixture(scope="session")
def spark_dirty_demo(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> SparkBuild:
    return build_on_spark(
        spark, replace(SMALL_DEMO, dirty=True), "raw_dirty", "__dirty", tmp_path_factory.mktemp("spark_dirty_target"),
        dbt_args=WITHOUT_UNIT_TESTS,
    )


# --- the tests ----------------------------------------------------------------------------


def test_the_copy_keeps_every_raw_row_and_value(
    spark_demo: SparkBuild,
    spark_dirty_demo: SparkBuild,
    built_demo: tuple[Path, BuildSummary],
    built_dirty_demo: tuple[Path, BuildSummary],
) -> None:
    """Typed (clean) and text (dirty, with empty strings next to nulls) raw tables arrive as
    DuckDB holds them."""
    for (path, _), built in ((built_demo, spark_demo), (built_dirty_demo, spark_dirty_demo)):
        names = relations(duckdb_reader(path), ("raw",))
        assert names == built.relations(("raw",))
        assert len(names) == len(RAW_TABLES) + 1  # with the demo's fault manifest
        comparison = built.compare(path, names)
        assert comparison.differences == {}
        assert comparison.rows['raw."opportunity"'] > 100
    # the dirty demo's empty strings stay apart from its nulls, column by column
    path, _ = built_dirty_demo
    _, text_columns = duckdb_reader(path)(
        "select column_name from information_schema.columns where table_schema = 'raw'"
        " and table_name = 'task' and data_type = 'VARCHAR' order by ordinal_position"
    )
    tallies = ", ".join(f"count_if({{q}}{name}{{q}} = ''), count_if({{q}}{name}{{q}} is null)" for (name,) in text_columns)
    _, on_duckdb = duckdb_reader(path)(f'select {tallies.format(q=chr(34))} from raw."task"')
    _, on_spark = spark_dirty_demo.reader()(f"select {tallies.format(q='`')} from raw_dirty.task")
    assert on_spark == on_duckdb
    assert sum(on_duckdb[0][0::2]) > 0 and sum(on_duckdb[0][1::2]) > 0


def test_build_on_spark_passes_every_node_as_on_duckdb(
    spark_demo: SparkBuild, built_demo: tuple[Path, BuildSummary]
) -> None:
    summary = spark_demo.summary
    assert summary.success, "\n".join(summary.lines())
    assert summary.failures == []
    _, on_duckdb = built_demo
    for kind, status in (("model", "success"), ("seed", "success"), ("test", "pass"), ("unit_test", "pass")):
        assert summary.count(kind, status) == on_duckdb.count(kind, status), (kind, status)
    assert sorted(summary.warned) == sorted(on_duckdb.warned)


def test_every_staging_intermediate_and_mart_relation_matches_duckdb(
    spark_demo: SparkBuild, built_demo: tuple[Path, BuildSummary]
) -> None:
    path, _ = built_demo
    names = relations(duckdb_reader(path), COMPARED_SCHEMAS)
    assert names == spark_demo.relations(COMPARED_SCHEMAS)
    assert {name.split(".")[0] for name in names} == set(COMPARED_SCHEMAS)
    comparison = spark_demo.compare(path, names)
    assert comparison.differences == {}
    assert sum(comparison.rows.values()) > 50_000  # not a comparison of empty relations


def test_marts_say_which_build_wrote_them_on_spark_too(
    spark_demo: SparkBuild, built_demo: tuple[Path, BuildSummary]
) -> None:
    """The build id the run passed and the as_of of the build, the same on every row of
    every mart; as_of reads the same on both engines."""
    path, _ = built_demo
    execute = spark_demo.reader()
    marts = spark_demo.relations(("marts",))
    stamps = {
        tuple(normalise(value) for value in row)
        for mart in marts
        for row in execute(f"select distinct build_id, as_of from {spark_demo.relation(mart)}")[1]
    }
    assert stamps == {(SPARK_BUILD_ID, SMALL_DEMO_AS_OF)}
    _, on_duckdb = duckdb_reader(path)('select distinct as_of from marts."fct_opportunities"')
    assert [normalise(value) for (value,) in on_duckdb] == [SMALL_DEMO_AS_OF]


def test_dirty_demo_on_spark_warns_as_on_duckdb(
    spark_dirty_demo: SparkBuild, built_dirty_demo: tuple[Path, BuildSummary]
) -> None:
    summary = spark_dirty_demo.summary
    assert summary.success, "\n".join(summary.lines())
    assert summary.count("test", "fail", "error") == 0
    _, on_duckdb = built_dirty_demo
    assert "quarantine_within_threshold_crm_load_reconciliation_" in summary.warned
    assert sorted(summary.warned) == sorted(on_duckdb.warned)
    for kind, status in (("model", "success"), ("test", "pass"), ("unit_test", "pass")):
        assert summary.count(kind, status) == on_duckdb.count(kind, status), (kind, status)


def test_dirty_demo_relations_match_duckdb(
    spark_dirty_demo: SparkBuild, built_dirty_demo: tuple[Path, BuildSummary]
) -> None:
    """Quarantine, reconciliation and every metric of the dirty demo, row for row."""
    path, _ = built_dirty_demo
    names = relations(duckdb_reader(path), COMPARED_SCHEMAS)
    assert names == spark_dirty_demo.relations(COMPARED_SCHEMAS)
    comparison = spark_dirty_demo.compare(path, names)
    assert comparison.differences == {}
    assert comparison.rows['marts."crm_quarantine"'] > 0


def test_odd_text_parses_the_same_on_both_engines(spark: Any, tmp_path: Path) -> None:
    """Each timestamp and number shape an export may hold reads as on DuckDB, and as the
    list says: Spark's own casts read more (and less) than that."""
    export = tmp_path / "export"
    export.mkdir()
    write_odd_text_export(export)

    warehouse = tmp_path / "odd.duckdb"
    with connect(warehouse) as con:
        load_csv_folder(export, con, "raw_odd")
        copy_schema(con, "raw_odd", spark)
    dbt_vars_ = {"as_of": SMALL_DEMO_AS_OF, "raw_schema": "raw_odd"}
    dbt_args = ["--select", "base_crm__products"]
    summary = build([*dbt_args, *dbt_vars(**dbt_vars_)], database=warehouse, target_path=tmp_path / "duckdb_target")
    assert summary.success, "\n".join(summary.lines())
    summary = build(["--target", "spark", *dbt_args, *dbt_vars(**dbt_vars_, build_schema_suffix="__odd")],
                    target_path=tmp_path / "spark_target")
    assert summary.success, "\n".join(summary.lines())

    built = SparkBuild(spark, "raw_odd", "__odd", summary)
    assert built.compare(warehouse, {'staging."base_crm__products"'}).differences == {}
    _, rows = built.reader()(
        "select product_id, unit_cost, last_modified_at_utc from staging__odd.base_crm__products"
    )
    assert_odd_text_parsed(rows)


# --- the command line ---------------------------------------------------------------------


def test_cli_generates_into_spark_and_builds_there(spark: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """`--target spark` writes the raw tables into Spark (through the session this process
    already runs) and builds there in place."""
    status = main([
        "generate", "--reps", "6", "--months", "3", "--seed", "3", "--end-date", "2026-03-01",
        "--target", "spark", "--schema", "raw_cli",
    ])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "copied to Spark (warehouse " in out
    execute = spark_reader(spark)
    for table in RAW_TABLES:
        assert execute(f"select count(*) from raw_cli.{backquote(table.name)}")[1][0][0] > 0, table.name

    # two models, without their tests (some read relations this small build does not make)
    selection = ["--select", "base_crm__users", "stg_crm__users", "--exclude", "resource_type:test",
                 "resource_type:unit_test"]
    status = main(["build", "--target", "spark", *selection,
                   *dbt_vars(as_of="2026-03-01", raw_schema="raw_cli", build_schema_suffix="__cli")])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.startswith("dbt build on Spark (warehouse ")
    assert execute("select count(*) from staging__cli.stg_crm__users")[1][0][0] > 0

    assert main(["run", "--target", "spark"]) == 4
    assert "build it with: salesperf build --target spark" in capsys.readouterr().out
