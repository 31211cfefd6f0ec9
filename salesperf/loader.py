"""Load a folder of CSV files (one per raw table) into the raw schema of the warehouse.

This is how a user brings their own CRM export. Values are loaded as text, exactly as
written: staging owns casting, so a bad value becomes a quarantine row with a reason
there instead of a load that dies on row 40,000 here. File and column names written
the Salesforce way (`OpportunityLineItem.csv`, `Product2Id`, `Unit_Cost__c`) are
normalized to the contract's snake_case names.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from salesperf.contract import RAW_TABLES, RAW_TABLES_BY_NAME, RawTable
from salesperf.settings import LOADED_AT_COLUMN, SOURCE_ROW_COLUMN
from salesperf.warehouse import existing_tables, quote, replace_table, table_columns


class LoadError(Exception):
    """A file that cannot be loaded, with the reason in words a user can act on."""


@dataclass(frozen=True)
class TableLoad:
    table: str
    file: Path | None
    rows: int
    missing_optional: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = ()
    created_empty: bool = False


@dataclass
class LoadReport:
    loads: list[TableLoad] = field(default_factory=list)
    unmatched_files: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")


def normalize_name(name: str) -> str:
    """`OpportunityLineItem` -> `opportunity_line_item`, `Product2Id` -> `product_2_id`,
    `Unit_Cost__c` -> `unit_cost_c`, `stage_name` stays as it is."""
    name = name.strip().lstrip("\ufeff")
    name = _CAMEL_BOUNDARY.sub("_", name)
    name = re.sub(r"[^0-9A-Za-z]+", "_", name)
    return name.strip("_").lower()


def _read_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if not header or all(not column.strip() for column in header):
        raise LoadError(f"{path.name}: the file is empty or has no header row")
    return header


def read_csv_as_text(path: Path, table: RawTable) -> tuple[pa.Table, TableLoad]:
    """Read one CSV with every column as text, renamed to contract names, contract
    columns first (missing optional ones as null), extra columns kept after them."""
    header = _read_header(path)
    names = [normalize_name(column) for column in header]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise LoadError(f"{path.name}: several columns normalize to the same name: {', '.join(clashes)}")
    missing_required = [c for c in table.required if c not in names]
    if missing_required:
        raise LoadError(
            f"{path.name}: required column(s) {', '.join(missing_required)} missing;"
            f" the columns found were: {', '.join(header)}"
        )
    try:
        data = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
            convert_options=pa_csv.ConvertOptions(column_types={n: pa.string() for n in names}),
        )
    except pa.ArrowInvalid as exc:
        raise LoadError(f"{path.name}: not a readable CSV file ({exc})") from exc

    missing_optional = tuple(c for c in table.optional if c not in names)
    extra = tuple(n for n in names if n not in table.columns)
    columns = [
        data.column(c) if c in names else pa.nulls(data.num_rows, pa.string())
        for c in table.columns
    ] + [data.column(c) for c in extra]
    shaped = pa.table(columns, names=list(table.columns) + list(extra))
    load = TableLoad(table.name, path, data.num_rows, missing_optional, extra)
    return shaped, load


def _with_load_columns(data: pa.Table, loaded_at: datetime, first_row: int) -> pa.Table:
    stamp = pa.array([loaded_at] * data.num_rows, pa.timestamp("us"))
    rows = pc.add(pa.array(range(data.num_rows), pa.int64()), first_row)
    return data.append_column(LOADED_AT_COLUMN, stamp).append_column(SOURCE_ROW_COLUMN, rows)


def _empty_table(table: RawTable, loaded_at: datetime) -> pa.Table:
    data = pa.table({c: pa.array([], pa.string()) for c in table.columns})
    return _with_load_columns(data, loaded_at, 1)


def _append(con: duckdb.DuckDBPyConnection, schema: str, name: str, data: pa.Table) -> None:
    """Add the rows to an existing table, adding any column it does not have yet."""
    present = set(table_columns(con, schema, name))
    for column in data.column_names:
        if column not in present:
            kind = "timestamp" if column == LOADED_AT_COLUMN else "varchar"
            con.execute(f"alter table {quote(schema)}.{quote(name)} add column {quote(column)} {kind}")
    con.register("_incoming", data)
    try:
        con.execute(f"insert into {quote(schema)}.{quote(name)} by name select * from _incoming")
    finally:
        con.unregister("_incoming")


def _next_source_row(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> int:
    if SOURCE_ROW_COLUMN not in table_columns(con, schema, name):
        return 1
    (last,) = con.execute(
        f"select coalesce(max({quote(SOURCE_ROW_COLUMN)}), 0) from {quote(schema)}.{quote(name)}"
    ).fetchone()
    return int(last) + 1


def load_csv_folder(
    folder: Path,
    con: duckdb.DuckDBPyConnection,
    schema: str,
    *,
    append: bool = False,
    loaded_at: datetime | None = None,
) -> LoadReport:
    """Load every `<table>.csv` of `folder` into `schema`.

    Replaces each table it loads unless `append` (then rows are added as a later load,
    which wins ties when staging deduplicates). A contract table with no file and no
    existing table is created empty, so the project builds on a partial export and
    the marts that need it are empty rather than broken.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(f"{folder}: no such folder")
    loaded_at = loaded_at or datetime.now(timezone.utc).replace(tzinfo=None)
    report = LoadReport()
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv":
            continue
        name = normalize_name(path.stem)
        if name in RAW_TABLES_BY_NAME and name not in files:
            files[name] = path
        else:
            report.unmatched_files.append(path)

    con.execute(f"create schema if not exists {quote(schema)}")
    present = existing_tables(con, schema)
    for table in RAW_TABLES:
        path = files.get(table.name)
        if path is None:
            if table.name not in present:
                replace_table(con, schema, table.name, _empty_table(table, loaded_at))
                report.loads.append(TableLoad(table.name, None, 0, created_empty=True))
            continue
        try:
            data, load = read_csv_as_text(path, table)
        except LoadError as exc:
            report.errors.append(str(exc))
            continue
        if append and table.name in present:
            _append(con, schema, table.name, _with_load_columns(data, loaded_at, _next_source_row(con, schema, table.name)))
        else:
            replace_table(con, schema, table.name, _with_load_columns(data, loaded_at, 1))
        report.loads.append(load)
    return report
