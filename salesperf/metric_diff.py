"""The metric diff: what a change to the project does to the numbers.

Two revisions of the project are built on the same raw data with the same `as_of`:

* the base (a git ref, by default the merge base with `main`), checked out into a
  temporary git worktree and built into a copy of the raw warehouse file;
* the working tree, built into a copy of the base's built warehouse, where only what
  `state:modified+` selects is rebuilt (`--state` the base's target, `--defer`). Every
  other relation is the base's own, already in the file under the same name: both copies
  keep the raw file's name, so dbt-duckdb gives them the same database name.

The two files are then compared mart by mart on each mart's key (`compare_warehouses`,
which needs only two DuckDB files and the relations to compare), fact tables on the
columns that decide which metrics a row counts in, and the models whose SQL changed on a
fingerprint of their rows (`fingerprint`); the columns that say which build wrote a mart
(`BUILD_COLUMNS`: build_id, as_of) are in neither. `plan_comparison` reads what to
compare from the two manifests; `run_diff` does the builds; `render_markdown` and
`to_json` write the report.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml

from salesperf.dbt_build import WITHOUT_UNIT_TESTS, split_vars, with_vars
from salesperf.settings import PROJECT_ROOT
from salesperf.warehouse import quote

# The selector of selectors.yml the head build runs (state:modified+), when the head has it.
MODIFIED_SELECTOR = "modified_and_downstream"
# Neither build runs data or unit tests: the diff is about numbers, the test job about rules.
WITHOUT_TESTS = ["--exclude-resource-type", "test", *WITHOUT_UNIT_TESTS]
# Two doubles closer than this (relative to the larger, at least 1) are the same number:
# a sum taken in another order may differ in its last bits.
RELATIVE_TOLERANCE = 1e-9
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}
INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}
# Columns whose before/after pairs are grouped for a fact table (what decides membership).
CATEGORY_TYPES = {"BOOLEAN", "VARCHAR", "DATE"}
FACT_PREFIXES = ("fct_", "dim_")
# What a row of a fact table is called in a sentence ("12 deals moved from upsell to renewal").
FACT_NOUNS = {
    "fct_opportunities": ("deal", "deals"),
    "fct_activities": ("activity", "activities"),
    "fct_leads": ("lead", "leads"),
    "fct_stage_intervals": ("stage stay", "stage stays"),
    "dim_accounts": ("account", "accounts"),
    "dim_reps": ("rep", "reps"),
}
REP_COLUMNS = ("rep_id", "owner_id")
# The columns every mart ends with: which build wrote it and the as_of that build read the
# CRM at. build_id differs between any two builds and both builds of a diff share one
# as_of, so neither says anything about a metric: they are left out of every comparison
# of values and of the fingerprints (a column added or removed is still reported).
BUILD_COLUMNS = ("build_id", "as_of")
_BASE_MARK, _HEAD_MARK = "__in_base", "__in_head"


class DiffError(Exception):
    """Something that stops the diff before there is anything to compare (no git, no base)."""


# --------------------------------------------------------------------------------------
# What is compared, and what the comparison found
# --------------------------------------------------------------------------------------


@dataclass
class RelationSpec:
    """One relation to compare between the two warehouses."""

    name: str
    schema: str
    identifier: str
    key: list[str]
    is_fact: bool = False
    upstream_facts: list[str] = field(default_factory=list)


@dataclass
class ColumnChange:
    """How one column of a mart moved. `changed` counts rows present on both sides whose
    value differs; `added` and `removed` count rows only in the head (the base) that have
    a value in the column. Totals and means are over all rows of each side."""

    model: str
    column: str
    data_type: str
    changed: int
    added: int
    removed: int
    total_before: float | None = None
    total_after: float | None = None
    mean_before: float | None = None
    mean_after: float | None = None

    @property
    def name(self) -> str:
        return f"{self.model}.{self.column}"

    @property
    def is_numeric(self) -> bool:
        return _is_number(self.data_type)


@dataclass
class Move:
    """One row of a mart whose value moved, with the rep and period it is about."""

    model: str
    column: str
    key: str
    rep: str | None
    period: str | None
    before: Any
    after: Any

    @property
    def delta(self) -> float | None:
        if isinstance(self.before, (int, float)) and isinstance(self.after, (int, float)):
            return self.after - self.before
        return None


@dataclass
class Transition:
    """Rows of a fact table whose `column` went from `before` to `after`."""

    model: str
    column: str
    before: str | None
    after: str | None
    rows: int

    def sentence(self) -> str:
        noun = _noun(self.model, self.rows)
        return f"{self.rows:,} {noun} moved from {_word(self.before)} to {_word(self.after)}"


@dataclass
class RelationDiff:
    """What changed in one relation between the base and the head."""

    model: str
    is_fact: bool
    key: list[str]
    rows_before: int
    rows_after: int
    added: int
    removed: int
    changed: int  # rows on both sides with any value changed
    columns: list[ColumnChange] = field(default_factory=list)  # the columns that moved
    moves: list[Move] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    upstream_facts: list[str] = field(default_factory=list)

    @property
    def moved(self) -> bool:
        return bool(
            self.added or self.removed or self.changed or self.columns
            or self.columns_added or self.columns_removed
        )


@dataclass
class Failure:
    """A node that failed in a build, with dbt's message."""

    build: str  # base or head
    node: str
    resource_type: str
    message: str


@dataclass
class BuildRun:
    build: str  # base or head
    seconds: float
    selection: str
    models: int = 0
    seeds: int = 0
    success: bool = True
    reused: bool = False
    skipped: list[str] = field(default_factory=list)


@dataclass
class MetricDiff:
    """The whole report: builds, failures, relations compared, SQL-only changes, timing."""

    base_ref: str
    base_commit: str
    head: str
    as_of: str
    dbt_args: list[str]
    builds: list[BuildRun] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    relations: list[RelationDiff] = field(default_factory=list)
    sql_changed_rows_same: list[str] = field(default_factory=list)
    sql_changed_rows_changed: list[str] = field(default_factory=list)
    new_models: list[str] = field(default_factory=list)
    removed_models: list[str] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rep_names: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    # every mart, column and mart.column of the head (what --fail-on-change may name)
    metric_names: list[str] = field(default_factory=list, repr=False)

    @property
    def failed(self) -> bool:
        return bool(self.failures) or not all(build.success for build in self.builds)

    @property
    def metric_changes(self) -> list[ColumnChange]:
        return [column for rel in self.relations if not rel.is_fact for column in rel.columns]

    @property
    def moved_facts(self) -> list[RelationDiff]:
        return [rel for rel in self.relations if rel.is_fact and rel.moved]

    def moved_names(self) -> set[str]:
        """`mart.column` of every column that moved, facts included."""
        return {column.name for rel in self.relations for column in rel.columns}


# --------------------------------------------------------------------------------------
# Comparing two warehouse files
# --------------------------------------------------------------------------------------


def _is_number(data_type: str) -> bool:
    data_type = data_type.upper()
    return data_type in FLOAT_TYPES or data_type in INTEGER_TYPES or data_type.startswith("DECIMAL")


def _differs(data_type: str, left: str, right: str) -> str:
    """SQL that is true when two values differ (nulls equal; doubles within tolerance)."""
    if data_type.upper() in FLOAT_TYPES:
        return (
            f"(({left} is distinct from {right}) and (({left} is null) <> ({right} is null)"
            f" or abs({left} - {right}) > {RELATIVE_TOLERANCE} * greatest(1, abs({left}), abs({right}))))"
        )
    return f"({left} is distinct from {right})"


def _plain(value: Any) -> Any:
    """A value as JSON can hold it."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return value


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, name: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, name],
    ).fetchall()
    return {column: data_type.upper() for column, data_type in rows}


def compare_warehouses(base: Path, head: Path, specs: Iterable[RelationSpec], top: int = 5) -> list[RelationDiff]:
    """Compare each relation of `specs` between the warehouse files `base` and `head`."""
    with duckdb.connect() as con:
        con.execute(f"attach {_sql_string(str(base))} as base (read_only)")
        con.execute(f"attach {_sql_string(str(head))} as head (read_only)")
        return [_compare(con, spec, top) for spec in specs]


def _compare(con: duckdb.DuckDBPyConnection, spec: RelationSpec, top: int) -> RelationDiff:
    base_columns = _columns(con, "base", spec.schema, spec.identifier)
    head_columns = _columns(con, "head", spec.schema, spec.identifier)
    base_rel = f"base.{quote(spec.schema)}.{quote(spec.identifier)}"
    head_rel = f"head.{quote(spec.schema)}.{quote(spec.identifier)}"
    rows_before = con.execute(f"select count(*) from {base_rel}").fetchall()[0][0] if base_columns else 0
    rows_after = con.execute(f"select count(*) from {head_rel}").fetchall()[0][0] if head_columns else 0
    diff = RelationDiff(
        model=spec.name, is_fact=spec.is_fact, key=list(spec.key), rows_before=rows_before,
        rows_after=rows_after, added=0, removed=0, changed=0,
        columns_added=[c for c in head_columns if c not in base_columns],
        columns_removed=[c for c in base_columns if c not in head_columns],
        upstream_facts=list(spec.upstream_facts),
    )
    if not base_columns or not head_columns:
        diff.added, diff.removed = rows_after, rows_before
        return diff
    # A column whose type changed is compared as text.
    types = {
        c: (head_columns[c] if head_columns[c] == base_columns[c] else "VARCHAR")
        for c in head_columns if c in base_columns and c not in BUILD_COLUMNS
    }

    def side(alias: str, column: str) -> str:
        ref = f"{alias}.{quote(column)}"
        same_type = head_columns[column] == base_columns[column]
        return ref if same_type else f"cast({ref} as varchar)"

    key = list(spec.key) if spec.key and all(k in types for k in spec.key) else []
    values = [c for c in types if c not in key]
    if not key:
        return _compare_without_key(con, diff, base_rel, head_rel, types, values)

    joined = (
        f"(select *, true as {_BASE_MARK} from {base_rel}) as b full outer join"
        f" (select *, true as {_HEAD_MARK} from {head_rel}) as h on "
        + " and ".join(f"b.{quote(k)} is not distinct from h.{quote(k)}" for k in key)
    )
    both = f"(b.{_BASE_MARK} and h.{_HEAD_MARK})"
    only_head, only_base = f"(b.{_BASE_MARK} is null)", f"(h.{_HEAD_MARK} is null)"
    differs = {c: _differs(types[c], side("b", c), side("h", c)) for c in values}
    selects = [
        f"count(*) filter (where {only_base})",
        f"count(*) filter (where {only_head})",
        f"count(*) filter (where {both} and ({' or '.join(differs.values()) or 'false'}))",
    ]
    for c in values:
        selects += [
            f"count(*) filter (where {both} and {differs[c]})",
            f"count(*) filter (where {only_head} and h.{quote(c)} is not null)",
            f"count(*) filter (where {only_base} and b.{quote(c)} is not null)",
        ]
    counts = con.execute(f"select {', '.join(selects)} from {joined}").fetchall()[0]
    diff.removed, diff.added, diff.changed = counts[0], counts[1], counts[2]
    totals = _totals(con, base_rel, head_rel, types, values)
    for i, c in enumerate(values):
        changed, added, removed = counts[3 + 3 * i: 6 + 3 * i]
        change = ColumnChange(spec.name, c, types[c], changed, added, removed, *totals.get(c, (None,) * 4))
        if changed or added or removed or _totals_moved(change):
            diff.columns.append(change)

    rep = next((c for c in REP_COLUMNS if c in types), None)
    period = next((c for c in types if types[c] == "DATE"), None) or ("year" if "year" in types else None)

    def either(column: str | None) -> str:
        if column is None:
            return "null"
        return f"cast(coalesce({side('b', column)}, {side('h', column)}) as varchar)"

    key_text = "concat_ws(' / ', " + ", ".join(either(k) for k in key) + ")"
    for change in diff.columns:
        if not change.is_numeric or spec.is_fact:
            continue
        c = change.column
        b, h = side("b", c), side("h", c)
        rows = con.execute(
            f"select {key_text}, {either(rep)}, {either(period)}, {b}, {h} from {joined}"
            f" where ({only_head} or {only_base} or {differs[c]}) and not ({b} is null and {h} is null)"
            f" order by abs(coalesce(cast({h} as double), 0) - coalesce(cast({b} as double), 0)) desc nulls last, 1"
            f" limit {int(top)}"
        ).fetchall()
        diff.moves += [
            Move(spec.name, c, row[0], row[1], row[2], _plain(row[3]), _plain(row[4])) for row in rows
        ]

    if spec.is_fact:
        categories = [c for c in values if types[c] in CATEGORY_TYPES]
        if categories:
            parts = [
                f"select {_sql_string(c)} as column_name, cast({side('b', c)} as varchar) as before_value,"
                f" cast({side('h', c)} as varchar) as after_value, count(*) as n"
                f" from {joined} where {both} and {differs[c]} group by 2, 3"
                for c in categories
            ]
            rows = con.execute(
                "select * from (" + " union all ".join(parts) + ")"
                " qualify row_number() over (partition by column_name order by n desc, before_value, after_value) <= 20"
                " order by n desc, column_name, before_value, after_value"
            ).fetchall()
            diff.transitions = [Transition(spec.name, row[0], row[1], row[2], row[3]) for row in rows]
    return diff


def _compare_without_key(
    con: duckdb.DuckDBPyConnection, diff: RelationDiff, base_rel: str, head_rel: str,
    types: dict[str, str], values: list[str],
) -> RelationDiff:
    """Without a key, rows can only be told apart as whole rows: added and removed."""
    columns = ", ".join(quote(c) for c in types)
    diff.added = con.execute(
        f"select count(*) from (select {columns} from {head_rel} except all select {columns} from {base_rel})"
    ).fetchall()[0][0]
    diff.removed = con.execute(
        f"select count(*) from (select {columns} from {base_rel} except all select {columns} from {head_rel})"
    ).fetchall()[0][0]
    totals = _totals(con, base_rel, head_rel, types, values)
    for c in values:
        change = ColumnChange(diff.model, c, types[c], 0, diff.added, diff.removed, *totals.get(c, (None,) * 4))
        if _totals_moved(change):
            diff.columns.append(change)
    return diff


def _totals(
    con: duckdb.DuckDBPyConnection, base_rel: str, head_rel: str, types: dict[str, str], values: list[str]
) -> dict[str, tuple[float | None, float | None, float | None, float | None]]:
    numeric = [c for c in values if _is_number(types[c])]
    if not numeric:
        return {}
    select = ", ".join(
        f"cast(sum({quote(c)}) as double), cast(avg({quote(c)}) as double)" for c in numeric
    )
    before = con.execute(f"select {select} from {base_rel}").fetchall()[0]
    after = con.execute(f"select {select} from {head_rel}").fetchall()[0]
    return {
        c: (before[2 * i], after[2 * i], before[2 * i + 1], after[2 * i + 1]) for i, c in enumerate(numeric)
    }


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= RELATIVE_TOLERANCE * max(1.0, abs(a), abs(b))


def _totals_moved(change: ColumnChange) -> bool:
    return not (
        _same_number(change.total_before, change.total_after)
        and _same_number(change.mean_before, change.mean_after)
    )


def fingerprint(path: Path, schema: str, identifier: str) -> tuple[tuple[tuple[str, str], ...], int, int] | None:
    """The columns, row count and an order-free hash of the rows of one relation (a view
    too: the file is opened under its own name, which its views refer to); None when the
    relation is not there. Doubles enter the hash with 12 significant digits; the build
    columns (BUILD_COLUMNS) are among the columns but not in the hash."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, identifier],
        ).fetchall()
        if not rows:
            return None
        values = ", ".join(
            f"printf('%.12g', {quote(c)})" if t.upper() in FLOAT_TYPES else quote(c)
            for c, t in rows if c not in BUILD_COLUMNS
        ) or "null"
        count, total = con.execute(
            f"select count(*), coalesce(sum(hash({values})), 0) from {quote(schema)}.{quote(identifier)}"
        ).fetchall()[0]
        return tuple((c, t.upper()) for c, t in rows), int(count), int(total)


# --------------------------------------------------------------------------------------
# What to compare, from the two manifests
# --------------------------------------------------------------------------------------


@dataclass
class Plan:
    compared: list[RelationSpec] = field(default_factory=list)
    sql_changed: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, kind, schema, identifier
    new_models: list[str] = field(default_factory=list)
    removed_models: list[str] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)


def _is_mart(node: dict) -> bool:
    return node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]


def is_fact(name: str) -> bool:
    return name.startswith(FACT_PREFIXES)


def mart_key(manifest: dict, node: dict) -> list[str]:
    """The key rows are matched on: the `<mart>_id` column, else the primary key dbt reads
    from the mart's constraints and unique tests, else the column its YAML tests unique."""
    if f"{node['name']}_id" in node.get("columns", {}):
        return [f"{node['name']}_id"]
    if node.get("primary_key"):
        return list(node["primary_key"])
    for test in sorted(manifest["nodes"].values(), key=lambda test: test["unique_id"]):
        metadata = test.get("test_metadata") or {}
        if test["resource_type"] == "test" and test.get("attached_node") == node["unique_id"]:
            if metadata.get("name") == "unique" and test.get("column_name"):
                return [test["column_name"]]
            if metadata.get("name") == "unique_combination" and metadata.get("kwargs", {}).get("columns"):
                return list(metadata["kwargs"]["columns"])
    return []


def _upstream_facts(manifest: dict, unique_id: str) -> list[str]:
    seen: set[str] = set()
    stack = [unique_id]
    facts = set()
    while stack:
        for parent in manifest["nodes"].get(stack.pop(), {}).get("depends_on", {}).get("nodes", []):
            if parent in seen or not parent.startswith("model."):
                continue
            seen.add(parent)
            stack.append(parent)
            node = manifest["nodes"][parent]
            if _is_mart(node) and is_fact(node["name"]):
                facts.add(node["name"])
    return sorted(facts)


def plan_comparison(base_manifest: dict, head_manifest: dict, statuses: dict[str, str]) -> Plan:
    """What to compare: every mart the head rebuilt that the base has too; every model or
    seed whose code changed (on a fingerprint of its rows); what is new, removed, or was
    not built because it failed."""
    plan = Plan()
    base_nodes, head_nodes = base_manifest["nodes"], head_manifest["nodes"]
    for unique_id, node in sorted(head_nodes.items()):
        if node["resource_type"] not in ("model", "seed"):
            continue
        status = statuses.get(unique_id)
        if status in ("error", "skipped", "fail"):
            plan.not_compared.append(node["name"])
            continue
        if unique_id not in base_nodes:
            if node["resource_type"] == "model":
                plan.new_models.append(node["name"])
            continue
        if status != "success":
            continue  # not rebuilt: the head holds the base's relation
        identifier = node.get("alias") or node["name"]
        if _is_mart(node):
            plan.compared.append(RelationSpec(
                name=node["name"], schema=node["schema"], identifier=identifier,
                key=mart_key(head_manifest, node), is_fact=is_fact(node["name"]),
                upstream_facts=[] if is_fact(node["name"]) else _upstream_facts(head_manifest, unique_id),
            ))
        if node["checksum"] != base_nodes[unique_id]["checksum"]:
            plan.sql_changed.append((node["name"], node["resource_type"], node["schema"], identifier))
    plan.removed_models = sorted(
        node["name"] for unique_id, node in base_nodes.items()
        if node["resource_type"] == "model" and unique_id not in head_nodes
    )
    return plan


def fail_on_change_matches(diff: MetricDiff, names: Iterable[str]) -> list[str]:
    """The moved `mart.column`s that `names` point at: a `mart.column`, a column name (in
    any mart) or a mart (any of its columns)."""
    moved = sorted(diff.moved_names())
    hits = []
    for name in names:
        hits += [m for m in moved if name in (m, m.split(".", 1)[0], m.split(".", 1)[1])]
    return sorted(set(hits))


def known_metric_names(manifest: dict) -> set[str]:
    """Every mart, mart column and `mart.column` a --fail-on-change name may be."""
    names = set()
    for node in manifest["nodes"].values():
        if _is_mart(node):
            names.add(node["name"])
            for column in node.get("columns", {}):
                if column not in BUILD_COLUMNS:
                    names |= {column, f"{node['name']}.{column}"}
    return names


# --------------------------------------------------------------------------------------
# The builds
# --------------------------------------------------------------------------------------


@dataclass
class DiffOptions:
    raw_warehouse: Path
    project_dir: Path = PROJECT_ROOT
    base_ref: str | None = None
    dbt_args: list[str] = field(default_factory=list)
    top: int = 5
    work_dir: Path | None = None  # keeps both warehouses and targets; a base build there is reused


def _git(cwd: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise DiffError("git is not installed") from exc
    except subprocess.CalledProcessError as exc:
        raise DiffError(f"git {' '.join(args)}: {exc.stderr.strip() or exc}") from exc
    return result.stdout.strip()


def resolve_base(project_dir: Path, ref: str | None) -> tuple[str, str]:
    """The base's description and commit: `ref`, or the merge base of HEAD with main."""
    if ref is not None:
        try:
            return ref, _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        except DiffError as exc:
            raise DiffError(f"--base {ref} names no commit of the repository at {project_dir}") from exc
    for candidate in ("main", "origin/main"):
        try:
            _git(project_dir, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}")
        except DiffError:
            continue
        return f"merge base with {candidate}", _git(project_dir, "merge-base", "HEAD", candidate)
    raise DiffError("there is no main branch to take the merge base with; name the base with --base REF")


@contextlib.contextmanager
def base_checkout(project_dir: Path, commit: str, dest: Path) -> Iterator[Path]:
    """The project as it is at `commit`, in a temporary git worktree (removed after)."""
    top = Path(_git(project_dir, "rev-parse", "--show-toplevel"))
    inside = project_dir.resolve().relative_to(top.resolve())
    _git(top, "worktree", "add", "--detach", "--force", str(dest), commit)
    try:
        yield dest / inside
    finally:
        with contextlib.suppress(DiffError):
            _git(top, "worktree", "remove", "--force", str(dest))


def _project_vars(text: str) -> dict:
    return (yaml.safe_load(text) or {}).get("vars") or {}


def changed_project_vars(project_dir: Path, commit: str) -> list[str]:
    """The vars of dbt_project.yml that differ from the base's: dbt's state comparison does
    not see them, so a change there rebuilds everything."""
    top = Path(_git(project_dir, "rev-parse", "--show-toplevel"))
    inside = project_dir.resolve().relative_to(top.resolve()).as_posix()
    path = f"{inside}/dbt_project.yml" if inside != "." else "dbt_project.yml"
    base = _project_vars(_git(project_dir, "show", f"{commit}:{path}"))
    head = _project_vars((project_dir / "dbt_project.yml").read_text())
    return sorted(name for name in set(base) | set(head) if base.get(name) != head.get(name))


def pin_as_of(dbt_args: list[str], now: datetime | None = None) -> tuple[list[str], str]:
    """The dbt arguments with one `--vars` map that sets `as_of` (now, to the second, when
    the arguments do not): both builds must read the CRM at the same moment."""
    given, _ = split_vars(dbt_args)
    if given.get("as_of") is not None:
        return with_vars(dbt_args, {}), str(given["as_of"])
    as_of = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S")
    return with_vars(dbt_args, {"as_of": as_of}), as_of


def _selector_names(project_dir: Path) -> set[str]:
    path = project_dir / "selectors.yml"
    if not path.exists():
        return set()
    return {selector["name"] for selector in (yaml.safe_load(path.read_text()) or {}).get("selectors", [])}


def _copy_warehouse(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".wal"):
        target = Path(str(dest) + suffix)
        target.unlink(missing_ok=True)
        if Path(str(source) + suffix).exists():
            shutil.copyfile(str(source) + suffix, target)


def _checkpoint(path: Path) -> None:
    """Write the WAL into the file, so that a copy of the file alone is whole."""
    from salesperf.dbt_build import release_warehouse

    release_warehouse()
    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")


def _build(
    label: str, args: list[str], database: Path, target: Path, project_dir: Path, selection: str,
    diff: MetricDiff,
) -> tuple[BuildRun, dict[str, str]]:
    from salesperf.dbt_build import build

    started = time.monotonic()
    # dbt writes its log lines to stdout; the report may be going there.
    with contextlib.redirect_stdout(sys.stderr):
        summary = build(args, database=database, target_path=target, project_dir=project_dir)
    _checkpoint(database)
    run = BuildRun(
        build=label, seconds=round(time.monotonic() - started, 1), selection=selection,
        models=summary.count("model", "success"), seeds=summary.count("seed", "success"),
        success=summary.success,
        skipped=sorted(uid.split(".")[-1] for uid, status in summary.statuses.items() if status == "skipped"),
    )
    for unique_id, message in summary.messages.items():
        diff.failures.append(Failure(label, unique_id.split(".")[-1], unique_id.split(".")[0], message))
    if not summary.success and not summary.messages:
        diff.failures.append(Failure(label, "dbt_project", "project", "\n".join(summary.failures) or "dbt failed"))
    return run, summary.statuses


def run_diff(options: DiffOptions, progress: Callable[[str], None] | None = None) -> MetricDiff:
    """Build the base and the head, then compare them (see the module's docstring)."""
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    started = time.monotonic()
    project_dir = options.project_dir.resolve()
    raw = Path(options.raw_warehouse).resolve()
    if not raw.exists():
        raise DiffError(f"no warehouse file at {raw}: generate or load the raw data first")
    base_label, commit = resolve_base(project_dir, options.base_ref)
    dbt_args, as_of = pin_as_of(options.dbt_args)
    diff = MetricDiff(
        base_ref=base_label, base_commit=commit, head="working tree", as_of=as_of, dbt_args=dbt_args,
    )
    owned = options.work_dir is None
    work = Path(tempfile.mkdtemp(prefix="salesperf-diff-")) if owned else Path(options.work_dir).resolve()
    try:
        base_dir, head_dir = work / "base", work / "head"
        # Both copies keep the raw file's name: dbt-duckdb names the database after the file,
        # so the base's relations have the same names in the head's copy.
        base_db, head_db = base_dir / raw.name, head_dir / raw.name
        base_target, head_target = base_dir / "target", head_dir / "target"
        stamp = {"commit": commit, "dbt_args": dbt_args, "raw": [str(raw), raw.stat().st_size, raw.stat().st_mtime_ns]}
        stamp_file = base_dir / "base.json"
        reusable = (
            stamp_file.exists() and json.loads(stamp_file.read_text()) == stamp
            and base_db.exists() and (base_target / "manifest.json").exists()
        )
        if reusable:
            say(f"Base {commit[:10]}: reusing the build in {base_dir}")
            base_run = BuildRun("base", 0.0, "every model and seed", reused=True)
        else:
            stamp_file.unlink(missing_ok=True)
            say(f"Base {commit[:10]} ({base_label}): building every model into a copy of {raw.name}")
            _copy_warehouse(raw, base_db)
            with base_checkout(project_dir, commit, work / "base-src") as base_project:
                base_run, _ = _build(
                    "base", [*dbt_args, *WITHOUT_TESTS], base_db, base_target, base_project,
                    "every model and seed", diff,
                )
            if base_run.success:
                stamp_file.write_text(json.dumps(stamp))
        diff.builds.append(base_run)
        diff.timings["base_build"] = base_run.seconds
        if not base_run.success:
            diff.notes.append("The base does not build, so there is nothing to compare against.")
            return diff

        changed_vars = changed_project_vars(project_dir, commit)
        if changed_vars:
            selection_args: list[str] = []
            selection = "every model and seed (project vars changed: " + ", ".join(changed_vars) + ")"
            diff.notes.append(
                "dbt_project.yml changes vars (" + ", ".join(changed_vars) + "), which dbt's state"
                " comparison does not see: every model was rebuilt."
            )
        elif MODIFIED_SELECTOR in _selector_names(project_dir):
            selection_args, selection = ["--selector", MODIFIED_SELECTOR], "state:modified+"
        else:
            selection_args, selection = ["--select", "state:modified+"], "state:modified+"
        say(f"Head (working tree): building {selection} into a copy of the base's warehouse")
        _copy_warehouse(base_db, head_db)
        head_run, head_statuses = _build(
            "head",
            [*dbt_args, *selection_args, "--state", str(base_target), "--defer", *WITHOUT_TESTS],
            head_db, head_target, project_dir, selection, diff,
        )
        diff.builds.append(head_run)
        diff.timings["head_build"] = head_run.seconds
        if not (head_target / "manifest.json").exists():
            diff.notes.append("The head's project did not parse, so nothing was compared.")
            return diff

        compare_started = time.monotonic()
        say("Comparing the two warehouses")
        base_manifest = json.loads((base_target / "manifest.json").read_text())
        head_manifest = json.loads((head_target / "manifest.json").read_text())
        plan = plan_comparison(base_manifest, head_manifest, head_statuses)
        diff.new_models, diff.removed_models, diff.not_compared = (
            plan.new_models, plan.removed_models, plan.not_compared,
        )
        for name, kind, schema, identifier in plan.sql_changed:
            label = name if kind == "model" else f"{name} ({kind})"
            same = fingerprint(base_db, schema, identifier) == fingerprint(head_db, schema, identifier)
            (diff.sql_changed_rows_same if same else diff.sql_changed_rows_changed).append(label)
        diff.relations = compare_warehouses(base_db, head_db, plan.compared, options.top)
        diff.rep_names = _rep_names(head_db, head_manifest, diff)
        diff.metric_names = sorted(known_metric_names(head_manifest))
        diff.timings["comparison"] = round(time.monotonic() - compare_started, 1)
        return diff
    finally:
        diff.timings["total"] = round(time.monotonic() - started, 1)
        if owned:
            shutil.rmtree(work, ignore_errors=True)


def _rep_names(head_db: Path, manifest: dict, diff: MetricDiff) -> dict[str, str]:
    """The names of the reps the largest moves are about, from dim_reps when it is there."""
    reps = sorted({move.rep for rel in diff.relations for move in rel.moves if move.rep})
    node = next((n for n in manifest["nodes"].values() if _is_mart(n) and n["name"] == "dim_reps"), None)
    if not reps or node is None:
        return {}
    with contextlib.suppress(duckdb.Error), duckdb.connect(str(head_db), read_only=True) as con:
        rows = con.execute(
            f"select rep_id, rep_name from {quote(node['schema'])}.{quote(node['alias'])}"
            f" where rep_id in ({', '.join('?' for _ in reps)})",
            reps,
        ).fetchall()
        return {rep_id: name for rep_id, name in rows if name}
    return {}


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def _noun(model: str, rows: int) -> str:
    singular, plural = FACT_NOUNS.get(model, (f"row of {model}", f"rows of {model}"))
    return singular if rows == 1 else plural


def _word(value: str | None) -> str:
    return "null" if value is None else value


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        size = abs(value)
        if size >= 1000:
            return f"{value:,.0f}"
        if size >= 1 or value == 0:
            return f"{value:,.2f}".rstrip("0").rstrip(".")
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _signed(value: float | None) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "0"
    return ("+" if value > 0 else "−") + _num(abs(value))


def _before_after(before: float | None, after: float | None) -> str:
    if _same_number(before, after):
        return f"{_num(after)} (no change)"
    delta = after - before if before is not None and after is not None else None
    return f"{_num(before)} → {_num(after)} ({_signed(delta)})"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(diff: MetricDiff, top: int = 5) -> str:
    """The report as a pull-request comment."""
    lines = ["## Metric diff", ""]
    lines.append(
        f"Base: {diff.base_ref} (`{diff.base_commit[:10]}`) · head: {diff.head}"
        f" · as_of `{diff.as_of}`"
    )
    lines.append("")
    if diff.failed:
        lines += _failure_lines(diff)
    metric_changes = diff.metric_changes
    marts_moved = {column.model for column in metric_changes}
    facts = diff.moved_facts
    summary = []
    if metric_changes:
        summary.append(
            f"**{len(metric_changes)} metric column{'s' if len(metric_changes) != 1 else ''} moved"
            f" in {len(marts_moved)} mart{'s' if len(marts_moved) != 1 else ''}**"
        )
    elif not diff.failed:
        summary.append("**No metric moved**")
    if facts:
        summary.append(f"rows moved in {len(facts)} fact table{'s' if len(facts) != 1 else ''}")
    if diff.sql_changed_rows_same:
        n = len(diff.sql_changed_rows_same)
        summary.append(f"{n} model{'s' if n != 1 else ''} changed SQL without changing rows")
    if summary:
        lines += ["; ".join(summary) + ".", ""]
    lines += [f"> {note}" for note in diff.notes]
    if diff.notes:
        lines.append("")

    if metric_changes:
        moved_facts = {rel.model for rel in facts}
        lines += [
            "### Metrics that moved", "",
            (
                "| metric | rows changed | added | removed | total: before → after | mean: before → after"
                " | facts moved upstream |"
            ),
            "|---|---:|---:|---:|---|---|---|",
        ]
        upstream = {rel.model: rel.upstream_facts for rel in diff.relations}
        for column in metric_changes:
            total = _before_after(column.total_before, column.total_after) if column.is_numeric else "–"
            mean = _before_after(column.mean_before, column.mean_after) if column.is_numeric else "–"
            facts_moved = ", ".join(f for f in upstream.get(column.model, []) if f in moved_facts) or "–"
            lines.append(
                f"| `{column.name}` | {column.changed:,} | {column.added:,} | {column.removed:,}"
                f" | {total} | {mean} | {facts_moved} |"
            )
        lines.append("")
        moves = [rel for rel in diff.relations if rel.moves]
        if moves:
            lines += ["### Largest moves", ""]
            for rel in moves:
                for column in rel.columns:
                    rows = [m for m in rel.moves if m.column == column.column][:top]
                    if not rows:
                        continue
                    first = rows[0]
                    has_rep = any(m.rep for m in rows)
                    has_period = any(m.period for m in rows)
                    heads = [*(["rep"] if has_rep else []), *(["period"] if has_period else [])]
                    # the row's key too, unless it is only the rep and the period (rep#month)
                    if any(m.key != "#".join(p for p in (m.rep, m.period) if p) for m in rows):
                        heads.append("row")
                    lines += [
                        (
                            f"<details><summary><code>{column.name}</code>: {_who(first, diff)}"
                            f" {_num(first.before)} → {_num(first.after)}</summary>"
                        ),
                        "",
                        "| " + " | ".join([*heads, "before", "after", "change"]) + " |",
                        "|" + "---|" * len(heads) + "---:|---:|---:|",
                    ]
                    for move in rows:
                        cells = {"rep": _rep(move.rep, diff), "period": move.period or "–", "row": move.key}
                        lines.append(
                            "| " + " | ".join(_escape(cells[h]) for h in heads)
                            + f" | {_num(move.before)} | {_num(move.after)} | {_signed(move.delta)} |"
                        )
                    lines += ["", "</details>", ""]

    if facts:
        lines += ["### Facts that moved", ""]
        for rel in facts:
            lines += _fact_lines(rel)
        lines.append("")

    if diff.sql_changed_rows_same:
        lines += ["### SQL changed, rows did not", ""]
        lines += [_changed_node(label) for label in diff.sql_changed_rows_same]
        lines.append("")
    if diff.sql_changed_rows_changed:
        lines += ["### SQL changed, rows changed", ""]
        lines += [_changed_node(label) for label in diff.sql_changed_rows_changed]
        lines.append("")
    reshaped = [rel for rel in diff.relations if rel.columns_added or rel.columns_removed]
    if diff.new_models or diff.removed_models or reshaped:
        lines += ["### Models and columns added or removed", ""]
        lines += [f"- new model: `{name}` (no base to compare with)" for name in diff.new_models]
        lines += [f"- removed model: `{name}`" for name in diff.removed_models]
        for rel in reshaped:
            lines += [f"- new column: `{rel.model}.{column}`" for column in rel.columns_added]
            lines += [f"- removed column: `{rel.model}.{column}`" for column in rel.columns_removed]
        lines.append("")

    lines += ["---", "", f"<sub>{footer(diff)}</sub>", ""]
    return "\n".join(lines)


def _changed_node(label: str) -> str:
    name, _, kind = label.partition(" (")
    return f"- `{name}`" + (f" ({kind}" if kind else "")


def footer(diff: MetricDiff) -> str:
    parts = []
    for build in diff.builds:
        if build.reused:
            parts.append(f"{build.build} build reused")
            continue
        what = f"{build.models} model{'s' if build.models != 1 else ''}"
        if build.seeds:
            what += f", {build.seeds} seed{'s' if build.seeds != 1 else ''}"
        parts.append(f"{build.build} build {build.seconds:.0f} s ({what}, {build.selection})")
    if "comparison" in diff.timings:
        parts.append(f"comparison {diff.timings['comparison']:.1f} s")
    parts.append(f"total {diff.timings.get('total', 0):.0f} s")
    parts.append(f"{' and '.join(BUILD_COLUMNS)} (which build wrote a mart) not compared")
    return "salesperf diff · " + " · ".join(parts)


def _rep(rep: str | None, diff: MetricDiff) -> str:
    if rep is None:
        return "–"
    name = diff.rep_names.get(rep)
    return f"{name} ({rep})" if name else rep


def _who(move: Move, diff: MetricDiff) -> str:
    parts = [p for p in (_rep(move.rep, diff) if move.rep else None, move.period) if p]
    return ", ".join(parts) if parts else move.key


def _failure_lines(diff: MetricDiff) -> list[str]:
    lines = []
    for build in diff.builds:
        if not build.success:
            lines += [f"### The {build.build} build failed", ""]
            for failure in diff.failures:
                if failure.build != build.build:
                    continue
                message = failure.message.strip().replace("```", "` ` `")
                what = (
                    "dbt stopped before building anything" if failure.resource_type == "project"
                    else f"{failure.resource_type} `{failure.node}` did not build"
                )
                lines += [f"{what}; dbt said:", "", "```text", message, "```", ""]
    if diff.not_compared:
        lines += [
            "Not compared (failed, or skipped after a failure): "
            + ", ".join(f"`{name}`" for name in diff.not_compared) + ".",
            "",
        ]
    return lines


def _fact_lines(rel: RelationDiff) -> list[str]:
    noun = FACT_NOUNS.get(rel.model, (f"row of {rel.model}", f"rows of {rel.model}"))[1]
    lines = [f"- **{rel.model}** ({rel.rows_before:,} → {rel.rows_after:,} {noun})"]
    if rel.added or rel.removed:
        lines.append(
            f"  - {rel.added:,} {_noun(rel.model, rel.added)} entered, {rel.removed:,} left"
        )
    for transition in rel.transitions[:10]:
        lines.append(f"  - {transition.sentence()} (`{transition.column}`)")
    if len(rel.transitions) > 10:
        lines.append(f"  - … and {len(rel.transitions) - 10} more kinds of move (in the JSON report)")
    categories = {t.column for t in rel.transitions}
    for column in rel.columns:
        if column.column not in categories and column.changed:
            lines.append(f"  - `{column.column}` changed on {column.changed:,} {_noun(rel.model, column.changed)}")
    return lines


def to_json(diff: MetricDiff) -> str:
    data = asdict(diff)
    del data["metric_names"]
    data["failed"] = diff.failed
    data["metrics_moved"] = sorted(column.name for column in diff.metric_changes)
    data["facts_moved"] = [
        {"model": t.model, "column": t.column, "before": t.before, "after": t.after, "rows": t.rows,
         "sentence": t.sentence()}
        for rel in diff.moved_facts for t in rel.transitions
    ]
    return json.dumps(data, indent=2, default=_plain)


def write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


__all__ = [
    "ColumnChange", "DiffError", "DiffOptions", "MetricDiff", "Move", "RelationDiff", "RelationSpec",
    "Transition", "compare_warehouses", "fail_on_change_matches", "fingerprint", "known_metric_names",
    "pin_as_of", "plan_comparison", "render_markdown", "resolve_base", "run_diff", "to_json",
]
