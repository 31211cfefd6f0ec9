"""The semantic layer queried in-process: MetricFlow's engine over the semantic manifest a
build wrote turns a metric query into SQL, which runs on a read-only connection to the
warehouse (DuckDB lets one process write a file, or several read it). Report pages and the
tests query metrics this way; people use the `mf` command, which reads the same manifest.

A query is written as `mf query`'s own arguments, so that one copied from a terminal works
in a page unchanged:

    --metrics win_rate,revenue --group-by metric_time__month --order -metric_time__month
    --where "{{ Entity('rep') }} = $rep_id"

`$name` in a `--where` stays a DuckDB parameter in the SQL MetricFlow writes, and is bound
when the SQL runs, never spliced into the text.
"""

from __future__ import annotations

import argparse
import json
import shlex
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
from metricflow_semantics.errors.error_classes import MetricFlowException
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

SEMANTIC_MANIFEST = "semantic_manifest.json"


class MetricQueryError(Exception):
    """A metric query that cannot be planned: bad arguments, an unknown metric or dimension."""


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
    """The semantic manifest dbt wrote into a target folder (parse or build), its tables named
    by schema and table only: dbt wrote the catalog of the file it built (DuckDB names it
    after the file), and the same marts are read from a copy or a published file of another
    name."""
    manifest = json.loads((target / SEMANTIC_MANIFEST).read_text())
    for model in manifest.get("semantic_models", []):
        relation = model["node_relation"]
        relation["database"] = None
        relation["relation_name"] = f'"{relation["schema_name"]}"."{relation["alias"]}"'
    return parse_manifest_from_dbt_generated_manifest(json.dumps(manifest))


def as_date(value: Any) -> Any:
    """metric_time comes back as a timestamp at midnight; the marts key on dates."""
    if isinstance(value, datetime) and value == datetime.combine(value.date(), datetime.min.time()):
        return value.date()
    return value


class SemanticLayer:
    """Metrics of the semantic manifest in `target`, planned into SQL for the warehouse `database`."""

    def __init__(self, target: Path, database: Path) -> None:
        self.manifest = load_semantic_manifest(target)
        self.client = ReadOnlyDuckDbClient(database)
        self.engine = MetricFlowEngine(SemanticManifestLookup(self.manifest), self.client)

    def sql(self, request: MetricFlowQueryRequest) -> str:
        try:
            return self.engine.explain(request).sql_statement.sql
        except MetricFlowException as exc:
            raise MetricQueryError(str(exc).strip()) from exc

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


class _Arguments(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print and exit
        raise MetricQueryError(message)


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


VALUE_OPTIONS = ("--metrics", "--group-by", "--where", "--order", "--limit", "--start-time", "--end-time",
                 "--saved-query")


def _query_arguments() -> _Arguments:
    """The arguments of `mf query` that choose rows (not those that choose how to print them)."""
    parser = _Arguments(prog="mf query", add_help=False, allow_abbrev=False)
    parser.add_argument("--metrics", type=_names, default=[])
    parser.add_argument("--group-by", type=_names, default=[])
    parser.add_argument("--where", action="append", default=[])
    parser.add_argument("--order", type=_names, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--start-time", type=datetime.fromisoformat, default=None)
    parser.add_argument("--end-time", type=datetime.fromisoformat, default=None)
    parser.add_argument("--saved-query", default=None)
    return parser


def parse_query(text: str) -> MetricFlowQueryRequest:
    """`mf query` arguments (over several lines if need be) as MetricFlow's request."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError as exc:
        raise MetricQueryError(f"cannot read the arguments: {exc}") from exc
    # `--order -metric_time` is a descending order, not an unknown option: bind each
    # option to the word after it, as click (and so `mf`) does
    bound: list[str] = []
    for word in words:
        if bound and bound[-1] in VALUE_OPTIONS:
            bound[-1] = f"{bound[-1]}={word}"
        else:
            bound.append(word)
    options = _query_arguments().parse_args(bound)
    if not options.metrics and not options.saved_query:
        raise MetricQueryError("name --metrics or a --saved-query")
    return MetricFlowQueryRequest.create(
        saved_query_name=options.saved_query,
        metric_names=options.metrics or None,
        group_by_names=options.group_by or None,
        limit=options.limit,
        time_constraint_start=options.start_time,
        time_constraint_end=options.end_time,
        where_constraints=options.where or None,
        order_by_names=options.order,
    )
