"""Opening the embedded DuckDB warehouse and writing raw tables into it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import pyarrow as pa

from salesperf.settings import LOADED_AT_COLUMN, SOURCE_ROW_COLUMN


def quote(identifier: str) -> str:
    """Quote an identifier: raw tables include `user`, a reserved word on every engine."""
    return '"' + identifier.replace('"', '""') + '"'


# The name the warehouse file is attached under. DuckDB otherwise names a database after
# its file, and a file called raw.duckdb would make `raw.opportunity` ambiguous between the
# database raw and its schema raw.
CATALOG = "salesperf_warehouse"


class WarehouseError(Exception):
    """The warehouse file cannot be opened: in use, or a path that cannot be written."""


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the DuckDB file at `path`, as the current database."""
    path = Path(path)
    try:
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
    except OSError as exc:
        raise WarehouseError(f"{path}: cannot be opened ({exc.strerror or exc})") from exc
    try:
        options = " (read_only)" if read_only else ""
        con.execute(f"attach {literal(str(path))} as {quote(CATALOG)}{options}")
        con.execute(f"use {quote(CATALOG)}")
        # where DuckDB spills when memory runs short, as for a file opened directly
        con.execute(f"set temp_directory = {literal(str(path) + '.tmp')}")
    except duckdb.IOException as exc:
        con.close()
        message = str(exc).removeprefix("IO Error: ").split(". See also")[0]
        if "Could not set lock" in message:
            holder = message.split(": ", 1)[-1]
            raise WarehouseError(f"{path} is in use by another process ({holder}); close it and try again") from exc
        raise WarehouseError(f"{path}: cannot be opened ({message})") from exc
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Another connection to the same database, for another thread. DuckDB starts a cursor
    on its in-memory database, not on the one the connection uses."""
    (database,) = con.execute("select current_database()").fetchone()
    other = con.cursor()
    other.execute(f"use {quote(database)}")
    return other


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def replace_table(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, data: pa.Table
) -> None:
    """Create or replace `schema.name` with the rows of an Arrow table, in their order."""
    con.execute(f"create schema if not exists {quote(schema)}")
    with registered(con, "_incoming", data):
        con.execute(
            f"create or replace table {quote(schema)}.{quote(name)} as select * from _incoming"
        )


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> Iterator[None]:
    """`data` readable as the view `name` while inside."""
    con.register(name, data)
    try:
        yield
    finally:
        # In a transaction a failed statement aborted, unregistering fails too and would
        # hide the error that matters; the rollback that follows drops the view.
        with suppress(duckdb.TransactionException):
            con.unregister(name)


def existing_tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables"
        " where table_catalog = current_database() and table_schema = ?",
        [schema],
    ).fetchall()
    return {row[0] for row in rows}


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns"
        " where table_catalog = current_database() and table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [schema, name],
    ).fetchall()
    return [row[0] for row in rows]


def export_csv(con: duckdb.DuckDBPyConnection, schema: str, folder: Path,
               on_table: Callable[[str, int, int], None] | None = None) -> list[Path]:
    """Write every table of `schema` as `<table>.csv` (header, ISO dates), in load order,
    without the load-metadata columns: the shape of a CRM export. `on_table` is told each
    table as it begins, with the number written before it and the number in all."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    names = sorted(name for name in existing_tables(con, schema) if not name.startswith("_"))
    for done, name in enumerate(names):
        if on_table:
            on_table(name, done, len(names))
        all_columns = table_columns(con, schema, name)
        columns = [c for c in all_columns if c not in (LOADED_AT_COLUMN, SOURCE_ROW_COLUMN)]
        order = f" order by {SOURCE_ROW_COLUMN}" if SOURCE_ROW_COLUMN in all_columns else ""
        path = folder / f"{name}.csv"
        select = ", ".join(quote(c) for c in columns)
        con.execute(
            f"copy (select {select} from {quote(schema)}.{quote(name)}{order})"
            f" to {literal(str(path))} (header, delimiter ',')"
        )
        written.append(path)
    return written
