"""Writing the tables into DuckDB: typed, on a background thread, for a clean load; as
landed text through the fault injector for a dirty one; then the fault manifest."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import duckdb
import numpy as np
import pyarrow as pa

from salesperf.contract import RAW_TABLES, RAW_TABLES_BY_NAME
from salesperf.demo.config import DemoConfig
from salesperf.demo.faults import FaultInjector, empty_manifest
from salesperf.demo.loads import Loads
from salesperf.demo.sql import qualified_name
from salesperf.demo.tables import TableData
from salesperf.settings import LOADED_AT_COLUMN, SOURCE_ROW_COLUMN
from salesperf.warehouse import cursor, quote

MANIFEST_TABLE = "_demo_injected_faults"


class Writer:
    """Writes the tables into DuckDB, typed (clean) or as landed text with faults (dirty).

    A clean load is written by one background thread on its own cursor while the main
    thread generates the next tables: DuckDB and numpy both release the GIL, so on two
    cores the writing of the deal tables overlaps the generation of activities. Tables
    are written one at a time in submission order, so the result does not depend on
    timing. A dirty load is written in place, in order, on the caller's connection.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: str, config: DemoConfig,
                 rng: np.random.Generator, say: Callable[[str], None],
                 on_table: Callable[[str, int], None] | None = None):
        self.schema = schema
        self.config = config
        self.say = say
        self.on_table = on_table or (lambda name, rows: None)
        self.counts: dict[str, int] = {}
        self.loads = Loads.after(config.end_date)
        self.executor = None if config.dirty else ThreadPoolExecutor(1, thread_name_prefix="salesperf-demo-writer")
        self.con = con if config.dirty else cursor(con)
        self.injector = FaultInjector(con, schema, self.loads, config.dirty_rate, rng) if config.dirty else None
        self.pending: list[Future] = []
        con.execute(f"create schema if not exists {quote(schema)}")

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.con.close()

    def name(self, table: str) -> str:
        return qualified_name(self.schema, table)

    def submit(self, build: Callable[[], TableData]) -> None:
        if self.executor is None:
            self.write(build)
        else:
            self.pending.append(self.executor.submit(self.write, build))

    def write(self, build: Callable[[], TableData]) -> None:
        table = build()
        assert list(table.columns) == list(RAW_TABLES_BY_NAME[table.name].columns), table.name
        if self.injector is None:
            self.write_clean(table)
        else:
            self.injector.write(table)
        self.counts[table.name] = self.scalar(f"select count(*) from {self.name(table.name)}")
        self.say(f"{table.name}: {self.counts[table.name]:,} rows")
        self.on_table(table.name, self.counts[table.name])

    def finish(self) -> dict[str, int]:
        """Wait for every table, then write the fault manifest (empty for a clean load)."""
        for future in self.pending:
            future.result()
        manifest = self.injector.manifest() if self.injector else empty_manifest()
        self.replace(MANIFEST_TABLE, manifest, "select * from _demo_src")
        self.counts[MANIFEST_TABLE] = manifest.num_rows
        if manifest.num_rows:
            self.say(f"{MANIFEST_TABLE}: {manifest.num_rows:,} faulty rows listed")
        assert set(self.counts) == {t.name for t in RAW_TABLES} | {MANIFEST_TABLE}
        return self.counts

    def scalar(self, sql: str) -> int:
        return self.con.execute(sql).fetchall()[0][0]

    def replace(self, table: str, data: pa.Table, select: str) -> None:
        self.con.register("_demo_src", data)
        try:
            self.con.execute(f"create or replace table {self.name(table)} as {select}")
        finally:
            self.con.unregister("_demo_src")

    def write_clean(self, table: TableData) -> None:
        data = table.data.append_column("_row", pa.array(np.arange(1, table.data.num_rows + 1)))
        self.replace(table.name, data,
                     f"select {table.select(as_text=False)}, timestamp '{self.loads.main}'"
                     f" as {quote(LOADED_AT_COLUMN)}, _row as {quote(SOURCE_ROW_COLUMN)} from _demo_src")
