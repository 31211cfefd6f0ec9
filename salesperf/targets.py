"""The warehouse a command works on: the embedded DuckDB file, a PostgreSQL database as
the POSTGRES_* variables name it, or Spark as the profile's spark target starts it. Commands ask this object where raw tables are written,
how they reach the warehouse, how a run publishes and what dbt is told, instead of each
branching on the target.

Raw tables are always shaped in DuckDB (typed for demo data, text for loads): in the
warehouse file itself, or for PostgreSQL in a scratch DuckDB file that is then copied over
in one transaction (a file, not memory: a large demo would not fit), or for Spark in the same
kind of scratch file, then written into Spark tables.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from salesperf.publish import DuckDbPublication, PostgresPublication
from salesperf.settings import duckdb_path
from salesperf.warehouse import WarehouseError, connect


@contextmanager
def scratch_duckdb() -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB file in a temporary folder, deleted after: where raw tables are shaped
    before they are copied to a warehouse that is not DuckDB."""
    with tempfile.TemporaryDirectory(prefix="salesperf-raw-") as scratch:
        with connect(Path(scratch) / "salesperf_scratch.duckdb") as con:
            yield con


@dataclass
class DuckDbWarehouse:
    """The embedded warehouse file: raw tables, the dbt build and the published marts."""

    path: Path

    can_append = True  # a later load adds rows beside the stored ones
    can_diff = True  # the metric diff builds two copies of the file
    copies_raw = False  # raw tables are written in place
    publishes = True  # a run builds a work copy and publishes it when every test passed

    def describe(self) -> str:
        return str(self.path)

    def dbt_args(self) -> list[str]:
        return []

    def publication(self) -> DuckDbPublication:
        return DuckDbPublication(self.path)

    def unreachable(self, schema: str) -> str | None:
        return None  # a file: any problem shows when it is opened, said by connect()

    def stored_rows(self, schema: str) -> dict[str, int] | None:
        return None  # the loader counts them on its own connection to the file

    @contextmanager
    def raw_duckdb(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.path) as con:
            yield con

    def land(self, con: duckdb.DuckDBPyConnection, schema: str, tables: list[str] | None = None) -> str | None:
        return None  # already written in place


@dataclass
class PostgresWarehouse:
    """The POSTGRES_* database: raw tables copied from a scratch DuckDB, marts built there."""

    can_append = False  # a load into PostgreSQL replaces the tables it has files for
    can_diff = False
    copies_raw = True  # raw tables are made in a scratch DuckDB, then copied
    publishes = True  # a run builds shadow schemas and swaps them in

    def describe(self) -> str:
        from salesperf.postgres import describe

        return describe()

    def dbt_args(self) -> list[str]:
        return ["--target", "postgres"]

    def publication(self) -> PostgresPublication:
        return PostgresPublication()

    def unreachable(self, schema: str) -> str | None:
        """Why the database cannot be used, checked before any long work; None when it can."""
        import psycopg2

        from salesperf.postgres import postgres_tables

        try:
            postgres_tables(schema)
        except psycopg2.Error as exc:
            return f"cannot reach {self.describe()}: {str(exc).strip()}"
        return None

    def stored_rows(self, schema: str) -> dict[str, int] | None:
        """Rows per raw table already in PostgreSQL, for the loader's empty-file rule."""
        import psycopg2

        from salesperf.contract import RAW_TABLES_BY_NAME
        from salesperf.postgres import postgres_row_counts

        try:
            return postgres_row_counts(schema, RAW_TABLES_BY_NAME)
        except psycopg2.Error as exc:
            raise WarehouseError(f"cannot reach {self.describe()}: {str(exc).strip()}") from exc

    def raw_duckdb(self) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        return scratch_duckdb()

    def land(self, con: duckdb.DuckDBPyConnection, schema: str, tables: list[str] | None = None) -> str | None:
        """Copy the scratch raw tables into PostgreSQL in one transaction; why not, if it failed."""
        import psycopg2

        from salesperf.postgres import copy_schema

        try:
            copy_schema(con, schema, tables=tables)
        except psycopg2.Error as exc:
            return f"copying the raw tables to {self.describe()} failed: {str(exc).strip()}"
        return None


@dataclass
class SparkWarehouse:
    """Spark as the profile's spark target opens it (a local session by default): raw tables
    copied from a scratch DuckDB, the project built there by dbt in place. There is no
    work copy to publish: a build writes the schemas BI reads, as dbt does on its own."""

    can_append = False  # a load into Spark replaces the tables it has files for
    can_diff = False
    copies_raw = True
    publishes = False

    def describe(self) -> str:
        from salesperf.settings import spark_warehouse_dir

        return f"Spark (warehouse {spark_warehouse_dir()})"

    def dbt_args(self) -> list[str]:
        return ["--target", "spark"]

    def unreachable(self, schema: str) -> str | None:
        """Why Spark cannot start, checked before any long work; None when it can."""
        from salesperf.spark import JAVA_HINT, java_available

        return None if java_available() else JAVA_HINT

    def stored_rows(self, schema: str) -> dict[str, int] | None:
        return None  # every table the load has a file for is replaced

    def raw_duckdb(self) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        return scratch_duckdb()

    def land(self, con: duckdb.DuckDBPyConnection, schema: str, tables: list[str] | None = None) -> str | None:
        """Write the scratch raw tables into Spark; why not, if it failed."""
        from salesperf.spark import copy_schema

        try:
            copy_schema(con, schema, tables=tables)
        except Exception as exc:  # noqa: BLE001 - py4j and Spark raise their own types; the message says it
            return f"copying the raw tables to {self.describe()} failed: {str(exc).strip().splitlines()[0]}"
        return None


Warehouse = DuckDbWarehouse | PostgresWarehouse | SparkWarehouse


def warehouse_for(target: str, duckdb_file: Path | None = None) -> Warehouse:
    """The warehouse of a command's --target and --duckdb options."""
    if target == "postgres":
        return PostgresWarehouse()
    if target == "spark":
        return SparkWarehouse()
    return DuckDbWarehouse(duckdb_file or duckdb_path())
