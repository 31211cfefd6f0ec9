"""The semantic layer queried in-process: MetricFlow's engine over the semantic manifest a
build wrote, its SQL run on a read-only connection to the warehouse file (DuckDB lets one
process write a file, or several read it); and the `mf` command run as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from metricflow.data_table.mf_table import MetricFlowDataTable
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow_semantic_interfaces.protocols.semantic_manifest import SemanticManifest
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

from salesperf.settings import PROFILES_DIR, PROJECT_ROOT

SEMANTIC_MANIFEST = "semantic_manifest.json"


class ReadOnlyDuckDbClient:
    """MetricFlow's SqlClient on a DuckDB file opened read-only for each statement, so that
    no lock on the file is held between queries."""

    sql_engine_type = SqlEngine.DUCKDB

    def __init__(self, database: Path) -> None:
        self.database = database
        self.sql_plan_renderer = DuckDbSqlPlanRenderer()

    def fetch(self, stmt: str) -> tuple[list[str], list[tuple]]:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            result = connection.execute(stmt)
            return [column[0] for column in result.description], result.fetchall()

    def query(self, stmt: str, sql_bind_parameter_set: Any = None) -> MetricFlowDataTable:
        columns, rows = self.fetch(stmt)
        return MetricFlowDataTable.create_from_rows(column_names=columns, rows=rows)

    def execute(self, stmt: str, sql_bind_parameter_set: Any = None) -> None:
        self.fetch(stmt)

    def dry_run(self, stmt: str, sql_bind_parameter_set: Any = None) -> None:
        self.fetch(f"explain {stmt}")

    def close(self) -> None:
        pass

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


def load_semantic_manifest(target: Path) -> SemanticManifest:
    """The semantic manifest dbt wrote into a target folder (parse or build)."""
    return parse_manifest_from_dbt_generated_manifest((target / SEMANTIC_MANIFEST).read_text())


def as_date(value: Any) -> Any:
    """metric_time comes back as a timestamp at midnight; the marts key on dates."""
    return value.date() if isinstance(value, datetime) else value


class SemanticLayer:
    """Metrics of the semantic manifest in `target`, queried on the warehouse `database`."""

    def __init__(self, target: Path, database: Path) -> None:
        self.manifest = load_semantic_manifest(target)
        self.client = ReadOnlyDuckDbClient(database)
        self.engine = MetricFlowEngine(SemanticManifestLookup(self.manifest), self.client)

    def sql(self, request: MetricFlowQueryRequest) -> str:
        return self.engine.explain(request).sql_statement.sql

    def rows(self, request: MetricFlowQueryRequest) -> tuple[list[str], list[tuple]]:
        return self.client.fetch(self.sql(request))

    def cells(
        self, metrics: Sequence[str], group_by: Sequence[str], where: Sequence[str] | None = None,
    ) -> dict[tuple, dict[str, Any]]:
        """(group-by values, in the order asked, dates as dates) -> {metric: value}."""
        columns, rows = self.rows(MetricFlowQueryRequest.create(
            metric_names=list(metrics), group_by_names=list(group_by), where_constraints=list(where or []),
        ))
        keys = [columns.index(name) for name in group_by]
        values = [columns.index(name) for name in metrics]
        out: dict[tuple, dict[str, Any]] = {}
        for row in rows:
            key = tuple(as_date(row[i]) for i in keys)
            assert key not in out, f"{key} twice in {metrics} by {group_by}"
            out[key] = {name: row[i] for name, i in zip(metrics, values)}
        return out

    def saved_query(self, name: str) -> list[dict[str, Any]]:
        columns, rows = self.rows(MetricFlowQueryRequest.create(saved_query_name=name))
        return [{column: as_date(value) for column, value in zip(columns, row)} for row in rows]

def mf_project(target: Path, folder: Path) -> Path:
    """A folder `mf` can run in: the project file and the semantic manifest of `target`
    where `mf` looks for them (target/semantic_manifest.json beside dbt_project.yml)."""
    (folder / "target").mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dbt_project.yml", folder / "dbt_project.yml")
    shutil.copy(target / SEMANTIC_MANIFEST, folder / "target" / SEMANTIC_MANIFEST)
    return folder


def run_mf(args: list[str], project: Path, database: Path) -> subprocess.CompletedProcess[str]:
    """The `mf` command in `project`, on the project's profiles, reading `database` through
    the read-only target."""
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROFILES_DIR),
        "DBT_TARGET": "duckdb_read_only",
        "DUCKDB_PATH": str(database),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    mf = Path(sys.executable).parent / "mf"
    return subprocess.run([str(mf), *args], cwd=project, env=env, capture_output=True, text=True, timeout=600)
