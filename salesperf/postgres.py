"""Copying raw tables from DuckDB into PostgreSQL, so the project can be built there.

The generator and the CSV loader write into DuckDB only: that is where the raw tables
are shaped (typed for demo data, text for loads). For a PostgreSQL warehouse they are
made in a scratch DuckDB as usual and then copied here table by table: a plain
`create table` with the column types mapped, and the rows streamed as CSV through
`COPY ... FROM STDIN`, which is the fast bulk path of PostgreSQL and keeps an empty
string apart from a null (DuckDB quotes the one and leaves the other bare).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from salesperf.settings import SOURCE_ROW_COLUMN
from salesperf.warehouse import existing_tables, quote

# DuckDB type (as information_schema spells it) -> PostgreSQL type. Integers all become
# bigint and floats double precision: raw tables are read through casts in staging, so
# the width only has to hold the value. Anything else lands as text.
_TYPES: dict[str, str] = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "bigint",
    "SMALLINT": "bigint",
    "INTEGER": "bigint",
    "BIGINT": "bigint",
    "UTINYINT": "bigint",
    "USMALLINT": "bigint",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric",
    "HUGEINT": "numeric",
    "UHUGEINT": "numeric",
    "FLOAT": "double precision",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL column type for a DuckDB one: `DECIMAL(18,2)` -> `numeric(18,2)`, ...,
    `text` for anything without a match (the CSV carries DuckDB's text form of it)."""
    decimal = _DECIMAL.fullmatch(duckdb_type.upper())
    if decimal:
        return f"numeric({decimal.group(1)},{decimal.group(2)})"
    return _TYPES.get(duckdb_type.upper(), "text")


def dsn(environ: Mapping[str, str] | None = None) -> str:
    """A libpq connection string from the POSTGRES_* variables that profiles.yml reads,
    with the same defaults, so the copy and dbt always reach the same database."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    settings = {
        "host": env.get("POSTGRES_HOST", "localhost"),
        "port": env.get("POSTGRES_PORT", "5432"),
        "user": env.get("POSTGRES_USER", ""),
        "password": env.get("POSTGRES_PASSWORD", ""),
        "dbname": env.get("POSTGRES_DB", ""),
    }
    return " ".join(f"{key}={_conninfo_value(value)}" for key, value in settings.items() if value)


def _conninfo_value(value: str) -> str:
    """A value quoted for a libpq connection string: in single quotes, with backslashes
    and single quotes escaped, so a password with spaces or quotes still works."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def describe(environ: Mapping[str, str] | None = None) -> str:
    """Where the copy goes, for messages: `PostgreSQL database crm on localhost:5432`."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    return (
        f"PostgreSQL database {env.get('POSTGRES_DB', '?')}"
        f" on {env.get('POSTGRES_HOST', 'localhost')}:{env.get('POSTGRES_PORT', '5432')}"
    )


def connect(connection_string: str | None = None) -> Any:
    """A psycopg2 connection, to the POSTGRES_* database unless told otherwise (psycopg2 is
    imported here: only the PostgreSQL target needs it, and it ships no type hints)."""
    import psycopg2

    return psycopg2.connect(connection_string if connection_string is not None else dsn())


def postgres_tables(schema: str, connection_string: str | None = None) -> set[str]:
    """The tables of a PostgreSQL schema (none when it does not exist)."""
    pg = connect(connection_string)
    try:
        with pg.cursor() as cursor:
            return _tables(cursor, schema)
    finally:
        pg.close()


def _tables(cursor: Any, schema: str) -> set[str]:
    cursor.execute("select table_name from information_schema.tables where table_schema = %s", (schema,))
    return {row[0] for row in cursor.fetchall()}


def postgres_row_counts(schema: str, tables: Iterable[str], connection_string: str | None = None) -> dict[str, int]:
    """Rows per table of a PostgreSQL schema, for those of `tables` that exist there."""
    pg = connect(connection_string)
    try:
        with pg.cursor() as cursor:
            counts = {}
            for name in sorted(_tables(cursor, schema) & set(tables)):
                cursor.execute(f"select count(*) from {quote(schema)}.{quote(name)}")
                counts[name] = cursor.fetchone()[0]
            return counts
    finally:
        pg.close()


def copy_table(
    con: duckdb.DuckDBPyConnection, pg: Any, schema: str, name: str, scratch: Path
) -> int:
    """Replace `schema.name` in PostgreSQL with the DuckDB table of the same name, rows in
    load order; returns the number of rows copied. Commits nothing: `copy_schema` does."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = current_database() and table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [schema, name],
    ).fetchall()
    table = f"{quote(schema)}.{quote(name)}"
    definition = ", ".join(f"{quote(column)} {postgres_type(kind)}" for column, kind in columns)
    select = ", ".join(quote(column) for column, _ in columns)
    order = f" order by {quote(SOURCE_ROW_COLUMN)}" if any(c == SOURCE_ROW_COLUMN for c, _ in columns) else ""
    csv_path = scratch / "table.csv"
    target = str(csv_path).replace("'", "''")
    con.execute(f"copy (select {select} from {table}{order}) to '{target}' (format csv, header false)")
    with pg.cursor() as cursor:
        cursor.execute(f"create schema if not exists {quote(schema)}")
        cursor.execute(f"drop table if exists {table}")
        cursor.execute(f"create table {table} ({definition})")
        with csv_path.open("rb") as handle:
            cursor.copy_expert(f"COPY {table} ({select}) FROM STDIN WITH (FORMAT csv, HEADER false)", handle)
        rows: int = cursor.rowcount
        # statistics now, not when autovacuum gets round to it: the build that follows plans on them
        cursor.execute(f"analyze {table}")
    csv_path.unlink()
    return rows


def copy_schema(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    connection_string: str | None = None,
    tables: Iterable[str] | None = None,
) -> dict[str, int]:
    """Copy every table of the DuckDB `schema` (or only `tables`) into the PostgreSQL
    schema of the same name, replacing tables that exist there, in one transaction: a
    failed copy leaves the previous raw tables as they were. Returns rows per table."""
    names = sorted(existing_tables(con, schema) if tables is None else tables)
    copied: dict[str, int] = {}
    pg = connect(connection_string)
    try:
        with tempfile.TemporaryDirectory(prefix="salesperf-copy-") as scratch:
            for name in names:
                copied[name] = copy_table(con, pg, schema, name, Path(scratch))
        pg.commit()
    finally:
        pg.close()
    return copied
