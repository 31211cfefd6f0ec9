"""Write-audit-publish on the embedded DuckDB warehouse.

BI tools read the published file (DUCKDB_PATH). A run never opens it for writing: it copies
the file into a work folder beside it, builds, tests and validates the copy there, and
publishes it with one atomic rename over the published file. So:

- readers never meet a lock held by a build, and never see a half-built mart: a connection
  opened before the rename keeps reading the previous build (the old file stays alive for
  it), one opened after reads the new build, whole;
- a failed run, or a process killed at any point, leaves the published file as it was: the
  rename is the only step that touches it, and either happened or did not;
- the work copy keeps the published file's name, in another folder, because DuckDB names
  the catalog after the file and views store catalog-qualified names: after the rename
  they still resolve.

`marts.build_log` in the published file lists every build published, newest last.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from salesperf.settings import DEFAULT_RAW_SCHEMA, TARGET_DIR

WORK_FOLDER = ".salesperf-build"
# the schemas of the warehouse: a file named after one would give its catalog the same name
SCHEMA_NAMES = {DEFAULT_RAW_SCHEMA, "staging", "intermediate", "marts", "seeds", "dbt_test__audit", "main"}

BUILD_LOG_COLUMNS = {
    "build_id": "varchar",
    "as_of": "timestamp",
    "built_at": "timestamp",
    "published_at": "timestamp",
    "models": "integer",
    "data_tests": "integer",
    "expectations": "integer",
    "project_version": "varchar",
}


class PublishError(Exception):
    """A run that cannot start or publish, with what to do about it."""


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: the UTC start of the run and a random tail."""
    moment = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return f"{moment}-{secrets.token_hex(4)}"


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


@dataclass
class DuckDbPublication:
    """The published warehouse file and the work copy a run builds in."""

    published: Path

    @property
    def work_folder(self) -> Path:
        return self.published.parent / WORK_FOLDER

    @property
    def work(self) -> Path:
        return self.work_folder / self.published.name

    @property
    def lock_file(self) -> Path:
        return self.published.parent / f".{self.published.name}.lock"

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One run or load at a time on a warehouse: a load landing in the published file
        while a run builds its copy would be overwritten by the publish."""
        try:
            handle = self.lock_file.open("a")
        except OSError as exc:
            raise PublishError(f"{self.published}: cannot be opened ({exc.strerror}: no lock file"
                               f" {self.lock_file.name} can be made beside it)") from exc
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise PublishError(
                    f"another run or load is using {self.published} (it holds {self.lock_file});"
                    " wait for it to finish") from exc
            yield
        finally:
            handle.close()  # closing releases the lock, also when the process is killed

    @property
    def build_database(self) -> Path:
        """The DuckDB file dbt builds in."""
        return self.work

    @property
    def build_vars(self) -> dict[str, Any]:
        return {}  # the work copy is another file: dbt builds the same schemas in it

    @property
    def build_target_args(self) -> list[str]:
        return []

    @property
    def build_target_path(self) -> None:
        return None  # target/: its relation names are the published ones

    def prepare(self, incremental_runs: bool = True) -> Path:
        """A fresh work copy of the published file; what an earlier killed run left is removed.
        The copy holds the incremental models and their state whether or not runs are by key."""
        if not self.published.exists():
            raise PublishError(f"no warehouse at {self.published}: load the raw tables (./run load) or"
                               " generate demo data (./run generate) first")
        if self.published.stem.lower() in SCHEMA_NAMES:
            raise PublishError(
                f"a warehouse file named {self.published.name} cannot be built: DuckDB names the database after"
                f" the file, and {self.published.stem!r} is also a schema the project reads or writes, which"
                " DuckDB refuses in the views dbt creates; rename the file (warehouse.duckdb, crm.duckdb, ...)")
        if _wal(self.published).exists():
            self._recover_published()
        self.discard()
        try:
            self.work_folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.published, self.work)
        except OSError as exc:
            raise PublishError(f"cannot copy {self.published} into {self.work_folder}: {exc.strerror}") from exc
        return self.work

    def _recover_published(self) -> None:
        """A write to the published file stopped before it was checkpointed (a load killed
        mid-way): let DuckDB replay or drop it, so the copy starts from a whole file."""
        try:
            duckdb.connect(str(self.published)).close()  # opening recovers, closing checkpoints
        except duckdb.IOException as exc:
            raise PublishError(
                f"{self.published} has an unfinished write ({_wal(self.published).name}) and is open in another"
                " process; close the programs reading it and run again") from exc

    def record(self, build: dict[str, Any]) -> None:
        """Add the build to marts.build_log in the work copy, so it is published with it."""
        columns = ", ".join(f"{name} {kind}" for name, kind in BUILD_LOG_COLUMNS.items())
        values = [build.get(name) for name in BUILD_LOG_COLUMNS]
        with duckdb.connect(str(self.work)) as con:
            con.execute("create schema if not exists marts")
            con.execute(f"create table if not exists marts.build_log ({columns})")
            placeholders = ", ".join("?" for _ in values)
            con.execute(f"insert into marts.build_log ({', '.join(BUILD_LOG_COLUMNS)}) values ({placeholders})",
                        values)
            con.execute("checkpoint")

    def publish(self) -> None:
        """Replace the published file by the work copy in one rename."""
        if _wal(self.work).exists():
            raise PublishError(f"{self.work} was not closed cleanly; not publishing it")
        try:
            _fsync(self.work)
            os.replace(self.work, self.published)
            _fsync(self.published.parent)
        except OSError as exc:
            raise PublishError(f"cannot publish {self.work} as {self.published}: {exc.strerror}") from exc
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.work_folder, ignore_errors=True)

    def built_stamp(self) -> tuple[str | None, Any]:
        """The build id and as_of the marts of the work copy carry."""
        with duckdb.connect(str(self.work), read_only=True) as con:
            try:
                return con.execute("select max(build_id), max(as_of) from marts.dim_reps").fetchone()
            except duckdb.Error:  # a build of a selection without the marts
                return None, None

    def builds(self) -> list[dict[str, Any]]:
        return build_log(self.published)

    def mart_sources(self) -> tuple[Any, Any]:
        """The marts just built and the published ones, for validation."""
        from salesperf.validation import DuckDbMarts

        return DuckDbMarts(self.work), DuckDbMarts(self.published)


def build_log(warehouse: Path) -> list[dict[str, Any]]:
    """The published builds, oldest first (empty before the first publish)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
            " and table_name = 'build_log'").fetchone()[0]
        if not exists:
            return []
        cursor = con.execute("select * from marts.build_log order by published_at")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


# PostgreSQL: the run builds every project schema under a shadow name and swaps them in
BUILD_SCHEMA_SUFFIX = "__building"
# where the incremental models keep their state, in each schema that holds one
INCREMENTAL_STATE_TABLE = "_salesperf_incremental_state"
RETIRED_SCHEMA_SUFFIX = "__retired"
# the pg_try_advisory_lock key that makes runs and loads on one database take turns
ADVISORY_LOCK_KEY = 0x5A1E5_9E7F


@dataclass
class PostgresPublication:
    """Shadow schemas on the POSTGRES_* database: BI keeps reading `marts` (and staging,
    intermediate, seeds) while the run builds `marts__building`; the publish renames every
    shadow schema over its published one in one transaction, so a reader sees the old
    schemas or the new ones, never a mix. PostgreSQL's views name tables by their object,
    not their schema's name, so they follow the rename."""

    connection_string: str | None = None

    def _connect(self) -> Any:
        from salesperf.postgres import connect

        return connect(self.connection_string)

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A cursor whose statements commit together when the block ends, or not at all."""
        pg = self._connect()
        try:
            with pg.cursor() as cursor:
                yield cursor
            pg.commit()
        except Exception:
            pg.rollback()
            raise
        finally:
            pg.close()

    @staticmethod
    def _has_build_log(cursor: Any) -> bool:
        cursor.execute("select 1 from information_schema.tables where table_schema = 'marts'"
                       " and table_name = 'build_log'")
        return cursor.fetchone() is not None

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        holder = self._connect()
        try:
            with holder.cursor() as cursor:
                cursor.execute("select pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
                if not cursor.fetchone()[0]:
                    raise PublishError("another run or load is using this PostgreSQL database; wait for it to finish")
            holder.commit()
            yield
        finally:
            holder.close()  # ending the session releases the advisory lock

    def _schemas(self, cursor: Any, suffix: str) -> list[str]:
        cursor.execute("select nspname from pg_namespace where right(nspname, %s) = %s order by 1",
                       (len(suffix), suffix))
        return [row[0] for row in cursor.fetchall()]

    @property
    def build_database(self) -> None:
        return None  # the profile's postgres target names the database

    @property
    def build_vars(self) -> dict[str, Any]:
        return {"build_schema_suffix": BUILD_SCHEMA_SUFFIX}

    @property
    def build_target_args(self) -> list[str]:
        return ["--target", "postgres"]

    @property
    def build_target_path(self) -> Path:
        # its own target folder: target/ keeps the published schema names, for mf and the reports
        return TARGET_DIR / "postgres-build"

    def prepare(self, incremental_runs: bool = True) -> None:
        """Drop what a killed run left. With `incremental_runs` (the var), then give the
        shadow schemas a copy of the published incremental models and their state
        (macros/incremental.sql): the build updates them by key, as it would in place,
        instead of rebuilding them from nothing; without it they are rebuilt anyway."""
        from salesperf.warehouse import quote

        self.discard()
        if not incremental_runs:
            return
        with self._transaction() as cursor:
            cursor.execute("select table_schema from information_schema.tables where table_name = %s"
                           " and right(table_schema, %s) <> %s",
                           (INCREMENTAL_STATE_TABLE, len(BUILD_SCHEMA_SUFFIX), BUILD_SCHEMA_SUFFIX))
            for (schema,) in cursor.fetchall():
                shadow = quote(schema + BUILD_SCHEMA_SUFFIX)
                cursor.execute(f"select model_name from {quote(schema)}.{quote(INCREMENTAL_STATE_TABLE)}")
                models = [row[0] for row in cursor.fetchall()]
                cursor.execute("select table_name from information_schema.tables where table_schema = %s"
                               " and table_type = 'BASE TABLE'", (schema,))
                tables = {row[0] for row in cursor.fetchall()}
                cursor.execute(f"create schema {shadow}")
                for name in [INCREMENTAL_STATE_TABLE, *models]:
                    if name in tables:
                        cursor.execute(f"create table {shadow}.{quote(name)} as table {quote(schema)}.{quote(name)}")

    def record(self, build: dict[str, Any]) -> None:
        """Carry marts.build_log into the shadow marts with this build added."""
        from salesperf.warehouse import quote

        shadow = f"marts{BUILD_SCHEMA_SUFFIX}"
        columns = ", ".join(f"{name} {kind}" for name, kind in BUILD_LOG_COLUMNS.items())
        names = ", ".join(BUILD_LOG_COLUMNS)
        with self._transaction() as cursor:
            cursor.execute(f"create schema if not exists {quote(shadow)}")
            cursor.execute(f"create table {quote(shadow)}.build_log ({columns})")
            if self._has_build_log(cursor):
                cursor.execute(f"insert into {quote(shadow)}.build_log ({names}) select {names} from marts.build_log")
            cursor.execute(f"insert into {quote(shadow)}.build_log ({names}) values"
                           f" ({', '.join('%s' for _ in BUILD_LOG_COLUMNS)})",
                           [build.get(name) for name in BUILD_LOG_COLUMNS])

    def publish(self) -> None:
        """Every shadow schema over its published one, in one transaction."""
        from salesperf.warehouse import quote

        with self._transaction() as cursor:
            shadows = self._schemas(cursor, BUILD_SCHEMA_SUFFIX)
            if not shadows:
                raise PublishError("the build left no shadow schema to publish")
            cursor.execute("select nspname from pg_namespace")
            existing = {row[0] for row in cursor.fetchall()}
            retired = []
            for shadow in shadows:
                published = shadow[: -len(BUILD_SCHEMA_SUFFIX)]
                if published in existing:
                    cursor.execute(f"drop schema if exists {quote(published + RETIRED_SCHEMA_SUFFIX)} cascade")
                    cursor.execute(f"alter schema {quote(published)} rename to"
                                   f" {quote(published + RETIRED_SCHEMA_SUFFIX)}")
                    retired.append(published + RETIRED_SCHEMA_SUFFIX)
                cursor.execute(f"alter schema {quote(shadow)} rename to {quote(published)}")
            for schema in retired:
                cursor.execute(f"drop schema {quote(schema)} cascade")

    def discard(self) -> None:
        from salesperf.warehouse import quote

        with self._transaction() as cursor:
            for schema in self._schemas(cursor, BUILD_SCHEMA_SUFFIX) + self._schemas(cursor, RETIRED_SCHEMA_SUFFIX):
                cursor.execute(f"drop schema {quote(schema)} cascade")

    def built_stamp(self) -> tuple[str | None, Any]:
        """The build id and as_of the shadow marts carry."""
        import psycopg2

        try:
            with self._transaction() as cursor:
                cursor.execute(f"select max(build_id), max(as_of) from marts{BUILD_SCHEMA_SUFFIX}.dim_reps")
                return cursor.fetchone()
        except psycopg2.Error:  # a build of a selection without the marts
            return None, None

    def mart_sources(self) -> tuple[Any, Any]:
        """The shadow marts just built and the published ones, for validation."""
        from salesperf.validation import PostgresMarts

        return (PostgresMarts(f"marts{BUILD_SCHEMA_SUFFIX}", self.connection_string),
                PostgresMarts("marts", self.connection_string))

    def builds(self) -> list[dict[str, Any]]:
        with self._transaction() as cursor:
            if not self._has_build_log(cursor):
                return []
            cursor.execute("select * from marts.build_log order by published_at")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
