"""Copying raw tables from DuckDB into Spark, so the project can be built there.

The generator and the CSV loader write into DuckDB only (see salesperf.postgres). For the
spark target the raw schema is written table by table as parquet, the format Spark reads
natively and which keeps an empty string apart from a null, and each file becomes a
managed parquet table of the same name, its columns cast to the Spark types of the DuckDB
ones. The Spark session is the one the profile's spark target describes (dbt-spark's
session method): in a process that also runs dbt, both use the same session.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import yaml

from salesperf.settings import PROFILES_DIR, SOURCE_ROW_COLUMN, spark_warehouse_dir
from salesperf.warehouse import existing_tables, literal, quote

JAVA_HINT = (
    "Spark needs a Java runtime (17): on Debian, apt-get install openjdk-17-jre-headless;"
    " elsewhere install a JDK 17 and put its java on PATH or set JAVA_HOME"
)

# DuckDB type (as information_schema spells it) -> Spark SQL type. As for PostgreSQL,
# integers become bigint and floats double: staging casts every raw column again.
_TYPES: dict[str, str] = {
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "TINYINT": "bigint",
    "SMALLINT": "bigint",
    "INTEGER": "bigint",
    "BIGINT": "bigint",
    "UTINYINT": "bigint",
    "USMALLINT": "bigint",
    "UINTEGER": "bigint",
    "FLOAT": "double",
    "DOUBLE": "double",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def spark_type(duckdb_type: str) -> str:
    """The Spark column type for a DuckDB one: `DECIMAL(18,2)` -> `decimal(18,2)`, ...,
    `string` for anything without a match (parquet then carries DuckDB's text of it)."""
    decimal = _DECIMAL.fullmatch(duckdb_type.upper())
    if decimal:
        return f"decimal({decimal.group(1)},{decimal.group(2)})"
    return _TYPES.get(duckdb_type.upper(), "string")


def _duckdb_column(name: str, duckdb_type: str) -> str:
    """The column as written to parquet: as stored, or as text where Spark has no type."""
    if spark_type(duckdb_type) == "string" and duckdb_type.upper() != "VARCHAR":
        return f"cast({quote(name)} as varchar) as {quote(name)}"
    return quote(name)


def backquote(identifier: str) -> str:
    """A Spark SQL identifier: raw tables include `user`."""
    return "`" + identifier.replace("`", "``") + "`"


def java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool((home and Path(home, "bin", "java").exists()) or shutil.which("java"))


def session_conf() -> dict[str, str]:
    """The Spark settings of the profile's spark target, rendered as dbt renders them: the
    one place they are written, so that this process and dbt open the same warehouse."""
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    os.environ.setdefault("SPARK_WAREHOUSE_DIR", str(spark_warehouse_dir()))
    profile = yaml.safe_load((PROFILES_DIR / "profiles.yml").read_text())
    settings = profile["salesperf"]["outputs"]["spark"]["server_side_parameters"]
    set_invocation_context(os.environ)  # what env_var() reads, as a dbt invocation sets it
    rendered = ProfileRenderer({}).render_data(settings)
    return {str(key): str(value) for key, value in rendered.items()}


def session() -> Any:
    """The process's Spark session (with the Hive metastore, as dbt-spark opens it), started
    with the profile's settings when there is none yet."""
    if not java_available():
        raise RuntimeError(JAVA_HINT)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in session_conf().items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def copy_table(con: duckdb.DuckDBPyConnection, spark: Any, schema: str, name: str, scratch: Path) -> int:
    """Replace `schema.name` in Spark with the DuckDB table of the same name; returns the
    number of rows copied."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = current_database() and table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [schema, name],
    ).fetchall()
    select = ", ".join(_duckdb_column(column, kind) for column, kind in columns)
    order = f" order by {quote(SOURCE_ROW_COLUMN)}" if any(c == SOURCE_ROW_COLUMN for c, _ in columns) else ""
    parquet = scratch / "table.parquet"  # not the table name: Spark skips files named _...
    con.execute(
        f"copy (select {select} from {quote(schema)}.{quote(name)}{order})"
        f" to {literal(str(parquet))} (format parquet)"
    )
    casts = ", ".join(f"cast({backquote(column)} as {spark_type(kind)}) as {backquote(column)}"
                      for column, kind in columns)
    table = f"{backquote(schema)}.{backquote(name)}"
    spark.sql(f"create database if not exists {backquote(schema)}")
    spark.sql(f"drop table if exists {table}")
    spark.sql(f"create table {table} using parquet as select {casts} from parquet.{backquote(str(parquet))}")
    rows: int = spark.sql(f"select count(*) from {table}").collect()[0][0]
    parquet.unlink()
    return rows


def copy_schema(
    con: duckdb.DuckDBPyConnection, schema: str, spark: Any | None = None, tables: Iterable[str] | None = None
) -> dict[str, int]:
    """Copy every table of the DuckDB `schema` (or only `tables`) into the Spark schema of
    the same name, replacing tables that exist there. Returns rows per table."""
    spark = spark or session()
    names = sorted(existing_tables(con, schema) if tables is None else tables)
    copied: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="salesperf-spark-") as scratch:
        for name in names:
            copied[name] = copy_table(con, spark, schema, name, Path(scratch))
    return copied
