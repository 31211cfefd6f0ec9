"""Comparing the relations a build wrote on DuckDB with those another engine's build wrote.

Each engine's driver returns values in its own types (Decimal or float, numeric scale,
timestamp objects, time zones): every value is normalised to one engine-neutral text
first, and rows are compared as sorted lists. Used by the PostgreSQL and Spark tests.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import duckdb
import psycopg2

from tests.python.helpers import BUILD_COLUMNS

COMPARED_SCHEMAS = ("staging", "intermediate", "marts")
DECIMALS = Decimal("0.000001")

Row = tuple[str | None, ...]
# runs one query, returning its column names and rows
Reader = Callable[[str], tuple[list[str], list[tuple[Any, ...]]]]


def normalise(value: object) -> str | None:
    """One engine-neutral text per value: numbers at six decimals (Decimal, float and int
    alike), timestamps as ISO text in UTC, booleans as true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int | float | Decimal):
        with localcontext() as context:
            context.prec = 60
            number = Decimal(str(value)).quantize(DECIMALS)
        return str(number if number != 0 else Decimal(0).quantize(DECIMALS))
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return normalise(value.total_seconds())
    return str(value)


def sort_key(row: Row) -> tuple[tuple[bool, str], ...]:
    return tuple((value is not None, value or "") for value in row)


@dataclass
class Contents:
    columns: list[str]
    rows: list[Row]


def contents(execute: Reader, relation: str) -> Contents:
    """The rows of a relation, normalised, without the columns that say which build wrote a
    mart: each engine's is another build (test_marts_say_which_build_wrote_them checks them)."""
    columns, rows = execute(f"select * from {relation}")
    kept = [i for i, column in enumerate(columns) if column not in BUILD_COLUMNS]
    normalised = sorted((tuple(normalise(row[i]) for i in kept) for row in rows), key=sort_key)
    return Contents([columns[i] for i in kept], normalised)


def duckdb_reader(path: Path) -> Reader:
    def execute(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        with duckdb.connect(str(path)) as con:
            cursor = con.execute(sql)
            return [d[0] for d in cursor.description], cursor.fetchall()

    return execute


def postgres_reader(dsn: str) -> Reader:
    def execute(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        pg = psycopg2.connect(dsn)
        try:
            with pg.cursor() as cursor:
                cursor.execute(sql)
                return [d[0] for d in cursor.description], cursor.fetchall()
        finally:
            pg.close()

    return execute


# The table where the incremental models keep how they were last built (see
# macros/incremental.sql): bookkeeping of one build, not rows of the project, and kept only
# where models are incremental (not on Spark).
INCREMENTAL_STATE_TABLE = "_salesperf_incremental_state"


def relations(execute: Reader, schemas: tuple[str, ...]) -> set[str]:
    """The relations of `schemas` as `schema."name"`, from information_schema, but the
    incremental models' state."""
    listed = ", ".join(f"'{schema}'" for schema in schemas)
    _, rows = execute(
        f"select table_schema, table_name from information_schema.tables where table_schema in ({listed})"
    )
    return {f'{schema}."{name}"' for schema, name in rows if name != INCREMENTAL_STATE_TABLE}


def differences(
    first: Contents, other: Contents, engine: str = "postgres", limit: int = 3, first_engine: str = "duckdb"
) -> str | None:
    """None when both hold the same columns and rows, else what differs, briefly: `first`
    read on `first_engine`, `other` on `engine`."""
    if first.columns != other.columns:
        return f"columns differ: {first_engine} {first.columns}, {engine} {other.columns}"
    if first.rows == other.rows:
        return None
    only_first = list((Counter(first.rows) - Counter(other.rows)).elements())
    only_other = list((Counter(other.rows) - Counter(first.rows)).elements())
    return (
        f"{len(first.rows)} rows on {first_engine}, {len(other.rows)} on {engine};"
        f" {len(only_first)} only on {first_engine}, e.g. {sorted(only_first, key=sort_key)[:limit]};"
        f" {len(only_other)} only on {engine}, e.g. {sorted(only_other, key=sort_key)[:limit]}"
    )


@dataclass
class Comparison:
    differences: dict[str, str]  # relation -> what differs
    rows: dict[str, int]  # relation -> rows on the first side (DuckDB unless named)


def compare(
    duckdb_path: Path,
    other: Reader,
    names: set[str],
    engine: str = "postgres",
    other_relation: Callable[[str], str] = lambda name: name,
) -> Comparison:
    """Each relation (named as DuckDB names it) read on DuckDB and on the other engine, where
    `other_relation` gives its name there."""
    return compare_readers(duckdb_reader(duckdb_path), other, names, engine, other_relation)


def compare_readers(
    first: Reader,
    other: Reader,
    names: set[str],
    engine: str = "postgres",
    other_relation: Callable[[str], str] = lambda name: name,
    first_engine: str = "duckdb",
) -> Comparison:
    """`compare` with any reader on the first side (read on `first_engine`): two builds on
    one engine."""
    result = Comparison({}, {})
    for relation in sorted(names):
        on_first = contents(first, relation)
        result.rows[relation] = len(on_first.rows)
        difference = differences(
            on_first, contents(other, other_relation(relation)), engine, first_engine=first_engine)
        if difference:
            result.differences[relation] = difference
    return result


# Text as CSV exports write it, with what staging must read from it (the reporting time
# zone is UTC). Each engine parses with its own functions; both must agree, and nothing
# unreadable may stop a build: null instead, as the macros promise.
ODD_TIMESTAMPS: list[tuple[str, str | None]] = [
    ("2026-02-23 20:55:00", "2026-02-23 20:55:00"),
    ("2026-02-23T20:55:00Z", "2026-02-23 20:55:00"),
    ("2026-02-23 20:55:00+02:00", "2026-02-23 18:55:00"),
    ("2026-02-23T20:55:00+02", "2026-02-23 18:55:00"),
    ("2026-02-23 20:55:00-0530", "2026-02-24 02:25:00"),
    ("2026-02-23T20:55", "2026-02-23 20:55:00"),
    ("2026-02-23 1:02:03", "2026-02-23 01:02:03"),
    ("2026-02-23 20:55:00.5", "2026-02-23 20:55:00.500000"),
    ("2026-01-01 24:00:00", "2026-01-02 00:00:00"),
    ("2024-02-29", "2024-02-29 00:00:00"),
    ("02/23/26 08:55 PM", "2026-02-23 20:55:00"),
    ("2/3/26 9:05 am", "2026-02-03 09:05:00"),
    ("02/23/26 12:55 AM", "2026-02-23 00:55:00"),
    ("02/23/2026 08:55 PM", "2026-02-23 20:55:00"),
    ("02/23/2026 20:55:00", "2026-02-23 20:55:00"),
    ("02/23/2026 9:5:0", "2026-02-23 09:05:00"),
    ("03/08/26 02:30 AM", "2026-03-08 02:30:00"),  # a daylight-saving gap in New York
    ("02/29/24", "2024-02-29 00:00:00"),
    ("02/23/68", "2068-02-23 00:00:00"),
    ("02/23/69", "1969-02-23 00:00:00"),
    ("3/8/2026", "2026-03-08 00:00:00"),
    ("2026-02-30", None),
    ("2026-02-29", None),
    ("2026-13-01", None),
    ("2026-01-00", None),
    ("2026-01-01 23:60:00", None),
    ("2026-01-01 25:00:00", None),
    ("2026-02-30T10:00:00Z", None),
    ("02/30/26", None),
    ("02/29/26", None),
    ("13/01/26 10:00 PM", None),
    ("02/23/26 00:55 AM", None),
    ("02/23/26 13:55 PM", None),
    ("02/23/2026 24:00:00", None),
    ("2026-2-3", None),
    ("20260223", None),
    ("2026-02-23 junk", None),
    ("yesterday", None),
    ("", None),
]
ODD_NUMBERS: list[tuple[str, str | None]] = [
    ("12500", "12500"),
    (" 12500.50 ", "12500.5"),
    ("1.25e4", "12500"),
    ("1E3", "1000"),
    ("-5", "-5"),
    ("-.5", "-0.5"),
    (".5", "0.5"),
    ("5.", "5"),
    ("+7", "7"),
    ("00012", "12"),
    ("1.2345665", "1.234567"),
    ("1e-7", "0"),
    ("TBD", None),
    ("$1,200", None),
    ("NaN", None),
    ("inf", None),
    ("1e25", None),
    ("9999999999999999999999.9999999", None),
    ("", None),
]


def write_odd_text_export(folder: Path) -> None:
    """A Salesforce export of products whose unit cost and last change hold the odd texts,
    product 01t0000 the first of each list, 01t0001 the second, and so on."""
    count = max(len(ODD_TIMESTAMPS), len(ODD_NUMBERS))
    with (folder / "Product2.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Id", "Name", "Unit_Cost__c", "IsActive", "LastModifiedDate"])
        for i in range(count):
            stamp = ODD_TIMESTAMPS[i][0] if i < len(ODD_TIMESTAMPS) else ""
            number = ODD_NUMBERS[i][0] if i < len(ODD_NUMBERS) else ""
            writer.writerow([f"01t{i:04d}", f"case {i}", number, "true", stamp])


def assert_odd_text_parsed(rows: list[Row]) -> None:
    """The staged products of that export (product_id, unit_cost, last_modified_at_utc)
    hold what each text must read as."""
    parsed = {product_id: (normalise(cost), normalise(stamp)) for product_id, cost, stamp in rows}
    for i, (text, expected) in enumerate(ODD_TIMESTAMPS):
        assert parsed[f"01t{i:04d}"][1] == normalise(datetime.fromisoformat(expected) if expected else None), text
    for i, (text, wanted) in enumerate(ODD_NUMBERS):
        assert parsed[f"01t{i:04d}"][0] == normalise(Decimal(wanted) if wanted else None), text
