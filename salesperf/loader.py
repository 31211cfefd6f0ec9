"""Load a folder of CSV files (one per raw table) into the raw schema of the warehouse.

This is how a user brings their own CRM export. Values are loaded as text, exactly as
written: staging owns casting, so a bad value becomes a quarantine row with a reason
there instead of a load that dies on row 40,000 here. File and column names written
the Salesforce way (`OpportunityLineItem.csv`, `Product2Id`, `Unit_Cost__c`) are
normalized to the contract's snake_case names.

A folder loads all or nothing: every file is read and checked first, and only when all
of them are good are the tables written, in one transaction. A half-loaded folder (new
accounts beside old deals) would build marts that are wrong without looking wrong.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from salesperf.contract import RAW_TABLES, RAW_TABLES_BY_NAME, RawTable
from salesperf.settings import LOADED_AT_COLUMN, SOURCE_ROW_COLUMN
from salesperf.warehouse import existing_tables, quote, registered, replace_table, table_columns

LAST_MODIFIED_COLUMN = "last_modified_date"

# How staging ranks the versions of one record, newest first (macro newest_version_first;
# a test holds the two together). Stated in the summary of every appended load.
RULE_COLUMNS = (LAST_MODIFIED_COLUMN, LOADED_AT_COLUMN, SOURCE_ROW_COLUMN)
TIE_RULE = (
    f"Staging keeps the newest version of each id: the latest {LAST_MODIFIED_COLUMN}"
    f" (a version without one ranks below every version with one), then the latest"
    f" {LOADED_AT_COLUMN} (the load), then the greatest {SOURCE_ROW_COLUMN} (the row in the file)."
)

# Encodings tried in turn when none is given. Windows-1252 is Latin-1 with printable
# characters (curly quotes, the euro sign, dashes) where Latin-1 has control codes, so it
# reads every Latin-1 export with text in it, and what Excel on Windows writes.
_DETECTED = ("utf-8", "cp1252")
_ENCODING_NAMES = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "utf-16": "UTF-16"}
_EXAMPLE_IDS = 5


class LoadError(Exception):
    """A folder that cannot be loaded: one line per problem, each naming its file, in
    words a user can act on. Nothing was written."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class TableLoad:
    table: str
    file: Path | None
    rows: int
    missing_optional: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = ()
    created_empty: bool = False
    encoding: str = "utf-8"
    appended: bool = False
    # appended rows that lack a last change and differ from a stored version that has one
    undated_changes: int = 0
    undated_change_ids: tuple[str, ...] = ()


class LoadWatcher(Protocol):
    """What a load tells as it goes, for a caller that shows progress (salesperf.progress)."""

    def files_found(self, paths: list[Path]) -> None: ...
    def file_reading(self, path: Path) -> None: ...
    def file_read(self, load: TableLoad) -> None: ...
    def tables_writing(self, rows: dict[str, int]) -> None: ...
    def table_writing(self, table: str) -> None: ...
    def table_written(self, table: str, rows: int) -> None: ...


class _Unwatched:
    def files_found(self, paths: list[Path]) -> None: pass
    def file_reading(self, path: Path) -> None: pass
    def file_read(self, load: TableLoad) -> None: pass
    def tables_writing(self, rows: dict[str, int]) -> None: pass
    def table_writing(self, table: str) -> None: pass
    def table_written(self, table: str, rows: int) -> None: pass


@dataclass
class LoadReport:
    loads: list[TableLoad] = field(default_factory=list)
    unmatched_files: list[Path] = field(default_factory=list)


def encoding_name(encoding: str) -> str:
    """`cp1252` -> `Windows-1252`, for messages; other names as given."""
    return _ENCODING_NAMES.get(codecs.lookup(encoding).name, encoding)


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")


def normalize_name(name: str) -> str:
    """`OpportunityLineItem` -> `opportunity_line_item`, `Product2Id` -> `product_2_id`,
    `Unit_Cost__c` -> `unit_cost_c`, `stage_name` stays as it is."""
    name = name.strip().lstrip("\ufeff")
    name = _CAMEL_BOUNDARY.sub("_", name)
    name = re.sub(r"[^0-9A-Za-z]+", "_", name)
    return name.strip("_").lower()


def _undecodable_at(path: Path, encoding: str) -> tuple[int, int] | None:
    """(offset, byte) of the first byte the encoding cannot read, or None. Read in blocks
    with an incremental decoder: a whole-file decode would hold the file twice in memory."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as handle:
        while True:
            block = handle.read(1 << 20)
            # the decoder may hold the first bytes of a character cut by the previous block
            held = len(decoder.getstate()[0])
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                return offset - held + exc.start, exc.object[exc.start]
            if not block:
                return None
            offset += len(block)


def file_encoding(path: Path, given: str | None = None) -> str:
    """The encoding to read `path` with: `given`, checked against the whole file, or else
    the first of UTF-8 and Windows-1252 that reads every byte of it."""
    if given is not None:
        bad = _undecodable_at(path, given)
        if bad:
            raise LoadError(f"{path.name}: not valid {given} (byte 0x{bad[1]:02x} at offset {bad[0]})")
        return given
    with path.open("rb") as handle:
        # Excel's "Unicode text" is UTF-16 with a byte order mark, which Windows-1252 would misread
        if handle.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and _undecodable_at(path, "utf-16") is None:
            return "utf-16"
    for encoding in _DETECTED:
        bad = _undecodable_at(path, encoding)
        if bad is None:
            return encoding
    # the byte the last fallback could not read: the one to look at in the file
    raise LoadError(
        f"{path.name}: neither UTF-8 nor Windows-1252 (byte 0x{bad[1]:02x} at offset {bad[0]});"
        " give the file's encoding with --encoding"
    )


def _read_header(path: Path, encoding: str) -> list[str]:
    # utf-8-sig drops a byte order mark, which Excel writes before the first column name
    with path.open(newline="", encoding="utf-8-sig" if encoding == "utf-8" else encoding) as handle:
        header = next(csv.reader(handle), None)
    if not header or all(not column.strip() for column in header):
        raise LoadError(f"{path.name}: the file is empty or has no header row")
    return header


def _one_line(text: str, limit: int = 200) -> str:
    """A reader's error message on one line: Arrow's quote the offending row, line breaks and all."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_csv_as_text(path: Path, table: RawTable, encoding: str | None = None) -> tuple[pa.Table, TableLoad]:
    """Read one CSV with every column as text, renamed to contract names, contract
    columns first (missing optional ones as null), extra columns kept after them."""
    try:
        encoding = file_encoding(path, encoding)
        header = _read_header(path, encoding)
    except OSError as exc:
        raise LoadError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    names = [normalize_name(column) for column in header]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise LoadError(f"{path.name}: several columns normalize to the same name: {', '.join(clashes)}")
    missing_required = [c for c in table.required if c not in names]
    if missing_required:
        read_as = "" if encoding == "utf-8" else f" (read as {encoding_name(encoding)}; see --encoding)"
        raise LoadError(
            f"{path.name}: required column(s) {', '.join(missing_required)} missing;"
            f" the columns found were: {', '.join(header)}{read_as}"
        )
    try:
        data = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, encoding=encoding),
            # Without it the reader cuts the file into blocks at any line break and a
            # quoted value spanning lines (a task's notes) refuses the file once it is
            # larger than one block; with it, cuts are made only between rows.
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(column_types={n: pa.string() for n in names}),
        )
    except pa.ArrowInvalid as exc:
        raise LoadError(f"{path.name}: not a readable CSV file ({_one_line(str(exc))})") from exc
    except OSError as exc:
        raise LoadError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc

    missing_optional = tuple(c for c in table.optional if c not in names)
    extra = tuple(n for n in names if n not in table.columns)
    columns = [
        data.column(c) if c in names else pa.nulls(data.num_rows, pa.string())
        for c in table.columns
    ] + [data.column(c) for c in extra]
    shaped = pa.table(columns, names=list(table.columns) + list(extra))
    load = TableLoad(table.name, path, data.num_rows, missing_optional, extra, encoding=encoding)
    return shaped, load


def _with_load_columns(data: pa.Table, loaded_at: datetime, first_row: int) -> pa.Table:
    stamp = pa.array([loaded_at] * data.num_rows, pa.timestamp("us"))
    rows = pc.add(pa.array(range(data.num_rows), pa.int64()), first_row)
    return data.append_column(LOADED_AT_COLUMN, stamp).append_column(SOURCE_ROW_COLUMN, rows)


def _append(con: duckdb.DuckDBPyConnection, schema: str, name: str, data: pa.Table) -> None:
    """Add the rows to an existing table, adding any column it does not have yet. A table
    made with typed columns (a date, a number: as `generate` writes them) takes an empty
    field as null, as a text table keeps it for staging to read as null."""
    present = set(table_columns(con, schema, name))
    for column in data.column_names:
        if column not in present:
            kind = "timestamp" if column == LOADED_AT_COLUMN else "varchar"
            con.execute(f"alter table {quote(schema)}.{quote(name)} add column {quote(column)} {kind}")
    typed = {column for (column,) in con.execute(
        "select column_name from information_schema.columns where table_catalog = current_database()"
        " and table_schema = ? and table_name = ? and data_type <> 'VARCHAR'", [schema, name]).fetchall()}
    values = ", ".join(
        f"nullif({quote(column)}, '') as {quote(column)}"
        if column in typed and pa.types.is_string(data.schema.field(column).type) else quote(column)
        for column in data.column_names
    )
    with registered(con, "_incoming", data):
        con.execute(f"insert into {quote(schema)}.{quote(name)} by name select {values} from _incoming")


def _next_source_row(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> int:
    if SOURCE_ROW_COLUMN not in table_columns(con, schema, name):
        return 1
    (last,) = con.execute(
        f"select coalesce(max({quote(SOURCE_ROW_COLUMN)}), 0) from {quote(schema)}.{quote(name)}"
    ).fetchone()
    return int(last) + 1


def _undated_changes(
    con: duckdb.DuckDBPyConnection, schema: str, data: pa.Table, load: TableLoad
) -> tuple[int, tuple[str, ...]]:
    """The appended rows staging will rank below a stored version (see TIE_RULE): rows
    without a last_modified_date, of an id stored with one, whose values (the columns the
    file has) match none of that id's dated versions. Those changes would be lost unseen."""
    table = RAW_TABLES_BY_NAME[load.table]
    stored = table_columns(con, schema, table.name)
    if LAST_MODIFIED_COLUMN not in table.columns or LAST_MODIFIED_COLUMN not in stored:
        return 0, ()
    compared = [
        c for c in data.column_names
        if c in stored and c not in ("id", LAST_MODIFIED_COLUMN, *load.missing_optional)
    ]
    same = " and ".join(
        f"cast(s.{quote(c)} as varchar) is not distinct from i.{quote(c)}" for c in compared
    ) or "true"
    undated = f"nullif(trim(cast({{side}}.{quote(LAST_MODIFIED_COLUMN)} as varchar)), '')"
    with registered(con, "_incoming", data):
        ids = [row[0] for row in con.execute(f"""
            with dated as (
                select * from {quote(schema)}.{quote(table.name)} as s
                where {undated.format(side='s')} is not null
            )
            select i.id from _incoming as i
            where {undated.format(side='i')} is null
              and exists (select 1 from dated as s where trim(s.id) = trim(i.id))
              and not exists (select 1 from dated as s where trim(s.id) = trim(i.id) and {same})
            order by i.id
        """).fetchall()]
    return len(ids), tuple(ids[:_EXAMPLE_IDS])


def _stored_rows(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, int]:
    return {
        name: con.execute(f"select count(*) from {quote(schema)}.{quote(name)}").fetchone()[0]
        for name in existing_tables(con, schema) & set(RAW_TABLES_BY_NAME)
    }


def load_csv_folder(
    folder: Path,
    con: duckdb.DuckDBPyConnection,
    schema: str,
    *,
    append: bool = False,
    allow_empty: bool = False,
    encoding: str | None = None,
    loaded_at: datetime | None = None,
    stored_rows: Mapping[str, int] | None = None,
    watcher: LoadWatcher | None = None,
) -> LoadReport:
    """Load every `<table>.csv` of `folder` into `schema`, all or nothing.

    Replaces each table it loads unless `append` (then rows are added as a later load,
    which wins ties when staging deduplicates). A contract table with no file and no
    existing table is created empty, so the project builds on a partial export and
    the marts that need it are empty rather than broken. A file with a header and no
    rows does not empty a table that has rows unless `allow_empty`.

    `stored_rows` are the rows per table where the tables end up, when that is not `con`
    (the PostgreSQL target loads into an empty scratch DuckDB first). Raises LoadError,
    with every problem found and nothing written, when any file cannot be loaded.
    `watcher` is told each file read and each table written.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(f"{folder}: no such folder")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise LoadError(f"unknown encoding: {encoding}") from None
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

    present = existing_tables(con, schema)
    stored = _stored_rows(con, schema) if stored_rows is None else stored_rows
    problems: list[str] = []
    read: list[tuple[RawTable, pa.Table, TableLoad]] = []
    watcher = watcher or _Unwatched()
    watcher.files_found([files[t.name] for t in RAW_TABLES if t.name in files])
    for table in RAW_TABLES:
        path = files.get(table.name)
        if path is None:
            continue
        watcher.file_reading(path)
        try:
            data, load = read_csv_as_text(path, table, encoding)
        except LoadError as exc:
            problems.extend(exc.problems)
            continue
        watcher.file_read(load)
        if load.rows == 0 and stored.get(table.name, 0) and not append and not allow_empty:
            problems.append(
                f"{path.name}: has a header and no rows, and would empty table {table.name}"
                f" ({stored[table.name]:,} rows); load with --allow-empty to empty it"
            )
            continue
        read.append((table, data, load))
    if problems:
        raise LoadError(problems)

    for table, data, load in read:
        if append and table.name in present:
            changes, ids = _undated_changes(con, schema, data, load)
            load = replace(load, appended=True, undated_changes=changes, undated_change_ids=ids)
        report.loads.append(load)
    data_of = {table.name: data for table, data, _ in read}
    for table in RAW_TABLES:
        if table.name not in files and table.name not in present and table.name not in stored:
            data_of[table.name] = pa.table({c: pa.array([], pa.string()) for c in table.columns})
            report.loads.append(TableLoad(table.name, None, 0, created_empty=True))

    watcher.tables_writing({load.table: load.rows for load in report.loads})
    con.execute("begin transaction")
    load = None
    try:
        con.execute(f"create schema if not exists {quote(schema)}")
        for load in report.loads:
            watcher.table_writing(load.table)
            if load.appended:
                first = _next_source_row(con, schema, load.table)
                _append(con, schema, load.table, _with_load_columns(data_of[load.table], loaded_at, first))
            else:
                replace_table(con, schema, load.table, _with_load_columns(data_of[load.table], loaded_at, 1))
            watcher.table_written(load.table, load.rows)
        con.execute("commit")
    except duckdb.Error as exc:
        con.execute("rollback")
        what = load.file.name if load and load.file else f"table {load.table}" if load else schema
        raise LoadError(
            f"{what}: could not be written to the warehouse, so nothing was loaded ({_one_line(str(exc))})"
        ) from exc
    except BaseException:
        con.execute("rollback")
        raise
    return report
