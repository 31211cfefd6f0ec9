"""Opening the embedded DuckDB warehouse and writing raw tables into it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from salesperf.settings import LOADED_AT_COLUMN, SOURCE_ROW_COLUMN


def quote(identifier: str) -> str:
    """Quote an identifier: raw tables include `user`, a reserved word on every engine."""
    return '"' + identifier.replace('"', '""') + '"'


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the DuckDB file at `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path))


def replace_table(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, data: pa.Table
) -> None:
    """Create or replace `schema.name` with the rows of an Arrow table, in their order."""
    con.execute(f"create schema if not exists {quote(schema)}")
    con.register("_incoming", data)
    try:
        con.execute(
            f"create or replace table {quote(schema)}.{quote(name)} as select * from _incoming"
        )
    finally:
        con.unregister("_incoming")


def existing_tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [schema]
    ).fetchall()
    return {row[0] for row in rows}


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns"
        " where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return [row[0] for row in rows]


def export_csv(con: duckdb.DuckDBPyConnection, schema: str, folder: Path) -> list[Path]:
    """Write every table of `schema` as `<table>.csv` (header, ISO dates), in load order,
    without the load-metadata columns: the shape of a CRM export."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(existing_tables(con, schema)):
        if name.startswith("_"):
            continue
        all_columns = table_columns(con, schema, name)
        columns = [c for c in all_columns if c not in (LOADED_AT_COLUMN, SOURCE_ROW_COLUMN)]
        order = f" order by {SOURCE_ROW_COLUMN}" if SOURCE_ROW_COLUMN in all_columns else ""
        path = folder / f"{name}.csv"
        select = ", ".join(quote(c) for c in columns)
        target = str(path).replace("'", "''")
        con.execute(
            f"copy (select {select} from {quote(schema)}.{quote(name)}{order})"
            f" to '{target}' (header, delimiter ',')"
        )
        written.append(path)
    return written
