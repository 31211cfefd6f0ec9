"""Raw tables landed the way EL tools land them, for the tests of that path: without this
project's loader columns, in another row order, as Fivetran's own sample schema, or with
tables missing; and a copy of the project that carries a seed of its own, as a user's does."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from salesperf.settings import LOADED_AT_COLUMN, PROJECT_ROOT, SOURCE_ROW_COLUMN
from salesperf.warehouse import existing_tables, quote, replace_table
from tests.python.helpers import SHARED

FIVETRAN_SEEDS = SHARED / "datasets" / "fivetran_salesforce_seeds"

# What a copy of the project leaves behind: environments, build output, warehouses.
_NOT_PROJECT = shutil.ignore_patterns(
    ".git", ".venv", "target", "logs", "dbt_packages", "__pycache__", "*.duckdb", "*.duckdb.wal"
)


def land_without_loader_columns(
    source: Path,
    destination: Path,
    schema: str = "raw",
    leave_out: tuple[str, ...] = (),
    leave_out_rows: set[tuple[str, int]] = frozenset(),
) -> list[str]:
    """Copy every raw table of `source` into `destination` as an EL tool would write it:
    no `_loaded_at` or `_source_row`, rows in the reverse of their load order (so nothing
    can lean on the order rows sit in), tables in `leave_out` and rows in `leave_out_rows`
    (table, _source_row) not written at all. Returns the tables written."""
    # read through a connection of its own: dbt, in this process, may hold the file open
    with duckdb.connect(str(source)) as src:
        tables = {}
        for name in sorted(existing_tables(src, "raw")):
            if name.startswith("_") or name in leave_out:
                continue
            skipped = sorted(row for table, row in leave_out_rows if table == name)
            where = f" where {SOURCE_ROW_COLUMN} not in ({', '.join(map(str, skipped))})" if skipped else ""
            tables[name] = src.sql(
                f"select * exclude ({LOADED_AT_COLUMN}, {SOURCE_ROW_COLUMN})"
                f" from raw.{quote(name)}{where} order by {SOURCE_ROW_COLUMN} desc"
            ).to_arrow_table()
    with duckdb.connect(str(destination)) as con:
        for name, data in tables.items():
            replace_table(con, schema, name, data)
    return list(tables)


def fivetran_table_name(csv_path: Path) -> str:
    """`sf_opportunity_line_item_data.csv` -> `opportunity_line_item`: the seed's own table."""
    return csv_path.name.removeprefix("sf_").removesuffix("_data.csv")


def land_fivetran_seeds(destination: Path, schema: str) -> set[str]:
    """Fivetran's sample Salesforce schema as it is: each seed file a table under its own
    name, with its own columns and the types DuckDB reads in them (booleans, timestamps,
    numbers, as a warehouse connector writes them), history-mode copies and all."""
    with duckdb.connect(str(destination)) as con:
        con.execute(f"create schema if not exists {quote(schema)}")
        for path in sorted(FIVETRAN_SEEDS.glob("sf_*_data.csv")):
            con.execute(
                f"create table {quote(schema)}.{quote(fivetran_table_name(path))} as"
                f" select * from read_csv_auto('{path}', header = true)"
            )
        return existing_tables(con, schema)


def project_with_seeds(destination: Path, seeds: dict[str, str]) -> Path:
    """A copy of the project with extra seed files (name -> CSV text), as a user adds a
    stage catalogue of their own."""
    shutil.copytree(PROJECT_ROOT, destination, ignore=_NOT_PROJECT)
    for name, text in seeds.items():
        (destination / "seeds" / f"{name}.csv").write_text(text)
    return destination
