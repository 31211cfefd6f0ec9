"""Running dbt in-process on the project, and summing up what a build did."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from salesperf.settings import PROFILES_DIR, PROJECT_ROOT, duckdb_path, target_dir


@dataclass
class BuildSummary:
    """Counts by kind of node and outcome, read from dbt's run results."""

    success: bool
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)  # names of the tests that warned
    notices: list[str] = field(default_factory=list)  # warnings of the project's macros
    statuses: dict[str, str] = field(default_factory=dict)  # unique_id -> status of each node run
    messages: dict[str, str] = field(default_factory=dict)  # unique_id -> dbt's message on a failure
    invocation_id: str | None = None  # dbt's id of the build: the marts' build_id unless a var names one
    seconds: float | None = None  # the run's time, as dbt measured it
    slowest: tuple[str, float] | None = None  # the node that took longest, and its seconds

    def count(self, kind: str, *statuses: str) -> int:
        return sum(n for (k, s), n in self.counts.items() if k == kind and (not statuses or s in statuses))

    def nodes_line(self) -> str:
        """Every node of the run (the project's hooks aside) by outcome, its time and its
        slowest node."""
        from salesperf.progress import FAILED, SKIPPED, WARNED, plural

        nodes = [(k, s, n) for (k, s), n in self.counts.items() if k != "operation"]
        failed = sum(n for _, s, n in nodes if s in FAILED)
        warned = sum(n for _, s, n in nodes if s in WARNED)
        skipped = sum(n for _, s, n in nodes if s in SKIPPED)
        passed = sum(n for _, _, n in nodes) - failed - warned - skipped
        line = (f"{plural(passed + failed + warned + skipped, 'node')} in {self.seconds:.1f} s: {passed} passed,"
                f" {warned} warned, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
        if self.slowest:
            line += f"; slowest {self.slowest[0]} ({self.slowest[1]:.1f} s)"
        return line

    def lines(self) -> list[str]:
        models = self.count("model", "success")
        seeds = self.count("seed", "success")
        tests_passed = self.count("test", "pass")
        tests_warned = self.count("test", "warn")
        tests_failed = self.count("test", "fail", "error")
        units_passed = self.count("unit_test", "pass")
        units_failed = self.count("unit_test", "fail", "error")
        skipped = sum(n for (_, s), n in self.counts.items() if s == "skipped")
        lines = [self.nodes_line()] if self.seconds is not None else []
        lines += [
            f"models built: {models}    seeds loaded: {seeds}",
            f"data tests: {tests_passed} passed, {tests_warned} warned, {tests_failed} failed",
            f"unit tests: {units_passed} passed, {units_failed} failed",
        ]
        if skipped:
            lines.append(f"skipped after an upstream failure: {skipped}")
        lines += [f"  FAILED {name}" for name in self.failures]
        lines += [f"WARNING {notice}" for notice in self.notices]
        return lines


def split_vars(dbt_args: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The vars in dbt's arguments (every `--vars`, YAML as dbt reads it, merged in order)
    and the other arguments."""
    given: dict[str, Any] = {}
    rest: list[str] = []
    words = iter(dbt_args)
    for word in words:
        if word == "--vars" or word.startswith("--vars="):
            text = word.partition("=")[2] if "=" in word else next(words, "")
            try:
                parsed = yaml.safe_load(text) if text.strip() else {}
            except yaml.YAMLError as exc:
                raise ValueError(f"--vars is not YAML: {text!r} ({exc.problem})") from exc
            if not isinstance(parsed, dict):
                raise ValueError(f"--vars must be a mapping such as \"{{as_of: '2026-06-30'}}\", got {text!r}")
            given.update(parsed)
        else:
            rest.append(word)
    return given, rest


# dbt's options for a build without the unit tests: they read their own fixture rows, never
# the warehouse, so a build of data they already passed on the same code can leave them out.
WITHOUT_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


def dbt_vars(**values: Any) -> list[str]:
    """`--vars` and the values as one JSON map (JSON is YAML, as dbt reads vars): data, never
    YAML text put together by hand. Sorted keys: the same vars give the same text, which
    keeps dbt's partial parsing."""
    return ["--vars", json.dumps(values, default=str, sort_keys=True)]


def with_vars(dbt_args: list[str], extra: dict[str, Any]) -> list[str]:
    """dbt's arguments with one `--vars`: the vars given merged with `extra`, serialized once
    (dbt keeps only the last `--vars` it is given, so two would silently drop one set; the
    same vars give the same text, which keeps dbt's partial parsing)."""
    given, rest = split_vars(dbt_args)
    merged = {**given, **extra}
    return [*rest, *dbt_vars(**merged)] if merged else rest


def dbt_environment(database: Path | None = None) -> None:
    """Point dbt at the project's profiles and the chosen warehouse file."""
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROFILES_DIR))
    os.environ["DUCKDB_PATH"] = str(database or duckdb_path())


def run_dbt(
    args: list[str],
    database: Path | None = None,
    target_path: Path | None = None,
    project_dir: Path = PROJECT_ROOT,
    callbacks: list[Callable[[Any], None]] | None = None,
    progress: bool = False,
    node_lines: bool = True,
) -> Any:
    """Invoke dbt with `args` from the project folder, as the profile expects (another copy
    of the project, with seeds of its own, may be named).

    With `progress`, on a terminal a bar counts the nodes done instead of dbt's line per
    node, unless the user asked dbt for its console lines (a log level among `args`);
    elsewhere dbt prints its lines as always. `node_lines`: a line above the bar for each
    node that fails or warns (a caller that sums them up itself leaves them out)."""
    from dbt.cli.main import dbtRunner  # imported late: it takes a second and most commands never need it

    from salesperf.progress import DbtProgress, user_chose_dbt_console

    dbt_environment(database)
    watch = DbtProgress(draw=False if not progress or user_chose_dbt_console(args) else None, node_lines=node_lines)
    extra = ["--project-dir", str(project_dir), "--profiles-dir", os.environ["DBT_PROFILES_DIR"]]
    if target_path is not None:
        extra += ["--target-path", str(target_path)]
    if watch.draw:
        # the bar replaces dbt's console; its log file keeps every line
        extra += ["--log-level", "none"]
    cwd = Path.cwd()
    os.chdir(project_dir)
    try:
        with watch:
            return dbtRunner(callbacks=[*(callbacks or []), watch]).invoke(args + extra)
    finally:
        os.chdir(cwd)


def release_warehouse() -> None:
    """Close the DuckDB connection dbt-duckdb keeps open after a run (its `keep_open`), so
    that the warehouse file is whole on disk and another connection may open or copy it."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is always installed
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if environment is not None:
        environment.close()


def summarize(run_results: Path, success: bool) -> BuildSummary:
    """Read dbt's run_results.json into a summary."""
    data = json.loads(run_results.read_text())
    summary = BuildSummary(success=success, invocation_id=data.get("metadata", {}).get("invocation_id"),
                           seconds=data.get("elapsed_time"))
    for result in data["results"]:
        unique_id: str = result["unique_id"]
        kind = unique_id.split(".", 1)[0]
        status = result["status"]
        seconds = result.get("execution_time") or 0.0
        if kind != "operation" and (summary.slowest is None or seconds > summary.slowest[1]):
            # a data test's id ends in a hash; its name is the third part
            summary.slowest = (unique_id.split(".")[2 if kind == "test" else -1], seconds)
        summary.counts[(kind, status)] += 1
        summary.statuses[unique_id] = status
        if status == "warn":
            summary.warned.append(unique_id.split(".")[2])
        if status in ("fail", "error"):
            # The whole message: the quarantine check, for one, lists a line per table.
            message = (result.get("message") or status).strip()
            summary.messages[unique_id] = message
            summary.failures.append(f"{unique_id}: {message}")
    return summary


def build(
    extra_args: list[str] | None = None,
    database: Path | None = None,
    target_path: Path | None = None,
    project_dir: Path = PROJECT_ROOT,
) -> BuildSummary:
    """`dbt build` (seeds, models, data tests, unit tests) and its summary, with the
    warnings the project's own macros gave (missing raw tables, for one)."""
    results_file = (target_path or target_dir(project_dir)) / "run_results.json"
    results_file.unlink(missing_ok=True)  # never report an earlier build's results as this one's
    notices: list[str] = []

    def keep_project_warnings(event: Any) -> None:
        if event.info.name == "JinjaLogWarning":
            notices.append(event.data.msg.strip())

    result = run_dbt(["build", *(extra_args or [])], database, target_path, project_dir, [keep_project_warnings],
                     progress=True)
    # a finished build leaves the warehouse free for readers: the report renderer, mf, a copy
    release_warehouse()
    if not results_file.exists():
        # dbt stopped before running anything (a parse or connection error), and said why.
        return BuildSummary(success=False, failures=[str(result.exception or "dbt did not run")], notices=notices)
    summary = summarize(results_file, bool(result.success))
    summary.notices = notices
    return summary


def source_freshness(
    extra_args: list[str] | None = None,
    database: Path | None = None,
    target_path: Path | None = None,
    project_dir: Path = PROJECT_ROOT,
) -> dict[str, str]:
    """`dbt source freshness`: each raw table's status (pass, warn, error, runtime error),
    also written to sources.json in the target folder, where the report's data-quality page
    reads it. An empty dict when dbt could not run the check."""
    sources = (target_path or target_dir(project_dir)) / "sources.json"
    sources.unlink(missing_ok=True)  # never report an earlier check as this one
    # every stale table is named by the caller's summary: no line per table as it is checked
    run_dbt(["source", "freshness", *(extra_args or [])], database, target_path, project_dir, progress=True,
            node_lines=False)
    release_warehouse()
    if not sources.exists():
        return {}
    return {result["unique_id"].split(".")[-1]: result["status"]
            for result in json.loads(sources.read_text()).get("results", [])}
