"""The scheduled job in one command: source freshness -> build (models, data tests, unit
tests, the quarantine threshold) -> validation of the marts -> publish -> report site.

Unit tests check the project's code on fixtures, not the warehouse's data: a run leaves
them out when every one passed in an earlier run on the same code, dbt, engine and vars
(code_fingerprint), as dbt advises for production builds.

Everything up to the publish happens in a work copy of the warehouse (salesperf.publish),
so a run that stops at any step, or is killed, leaves the published marts as they were.
Each step prints one line as it ends; the run ends with one line saying what happened, and
its exit status says the same (Outcome). A log of each run is kept in logs/runs/.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import IntEnum
from pathlib import Path
from typing import Any

from salesperf.publish import DuckDbPublication, PostgresPublication, PublishError, new_run_id
from salesperf.settings import PROJECT_ROOT, REPORTS_OUT, REPORTS_PAGES, TARGET_DIR, log_dir
from salesperf.targets import Warehouse

RUN_LOGS = log_dir() / "runs"


class Outcome(IntEnum):
    """The exit status of a run."""

    PUBLISHED = 0
    BUILD_FAILED = 1  # a model, a data test or the quarantine threshold failed
    VALIDATION_FAILED = 2  # an expectation on the marts failed
    STALE_SOURCE = 3  # a raw table is past its freshness error threshold
    CANNOT_START = 4  # no warehouse, another run holds it, a path not writable, a bad option
    REPORT_FAILED = 5  # published, but the report site did not render


@dataclass
class RunOptions:
    warehouse: Warehouse
    dbt_args: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)
    freshness: bool = True
    validation: bool = True
    reports: bool = True
    reports_out: Path = REPORTS_OUT
    log_dir: Path = RUN_LOGS
    rerun_unit_tests: bool = False  # run the unit tests even when they passed on this code before


@dataclass
class Step:
    name: str
    status: str
    seconds: float
    detail: str = ""


@dataclass
class RunRecord:
    run_id: str  # when the run started, and a random tail: the name of its log
    warehouse: str
    started_at: str
    build_id: str | None = None  # the published build's id, once it is known
    code_fingerprint: str | None = None  # what decides the unit tests' outcome (code_fingerprint)
    unit_tests: str = "not run"  # passed (every one), failed, not run, or skipped: passed on this code in run <id>
    steps: list[Step] = field(default_factory=list)
    outcome: str = ""
    exit_status: int = 0
    message: str = ""


Publication = DuckDbPublication | PostgresPublication


class _Stop(Exception):
    def __init__(self, outcome: Outcome, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class _Run:
    """One run's steps and what they found, for the build log and the run log."""

    def __init__(self, options: RunOptions, publication: Publication, say: Callable[[str], None]) -> None:
        self.options = options
        self.publication = publication
        self.say = say
        self.record = RunRecord(new_run_id(), options.warehouse.describe(),
                                datetime.now(timezone.utc).isoformat(timespec="seconds"))
        self.total = 3 + options.freshness + options.validation + options.reports  # prepare, build, publish
        self.done = 0
        self.models: int | None = None
        self.data_tests: int | None = None
        self.expectations: int | None = None
        self.invocation_id: str | None = None
        self.site_index: Path | None = None

    def step(self, name: str, action: Callable[[], tuple[str, str]]) -> None:
        self.done += 1
        began = time.monotonic()
        self.say(f"[{self.done}/{self.total}] {name} ...")
        try:
            status, detail = action()
        except _Stop as stop:
            self.record.steps.append(Step(name, "failed", round(time.monotonic() - began, 1), str(stop)))
            self.say(f"[{self.done}/{self.total}] {name}: FAILED after {time.monotonic() - began:.1f} s")
            raise
        seconds = time.monotonic() - began
        self.record.steps.append(Step(name, status, round(seconds, 1), detail))
        self.say(f"[{self.done}/{self.total}] {name}: {status} in {seconds:.1f} s" + (f" ({detail})" if detail else ""))

    def dbt_args(self) -> list[str]:
        from salesperf.dbt_build import with_vars

        return [*self.publication.build_target_args,
                *with_vars(self.options.dbt_args, {**self.options.vars, **self.publication.build_vars})]

    def given_vars(self) -> dict[str, Any]:
        """The vars the run was given: those in its dbt arguments, then its own."""
        from salesperf.dbt_build import split_vars

        return {**split_vars(self.options.dbt_args)[0], **self.options.vars}

    def prepare(self) -> tuple[str, str]:
        given = self.given_vars()
        # as the var reads (macros/checked_var.sql): on unless given as false
        work = self.publication.prepare(incremental_runs=str(given.get("incremental_runs")).lower() != "false")
        if isinstance(work, Path):
            return "done", f"a copy of {work.stat().st_size / 1e6:,.0f} MB"
        return "done", "shadow schemas cleared"

    def freshness(self) -> tuple[str, str]:
        from salesperf.dbt_build import source_freshness

        statuses = source_freshness(self.dbt_args(), database=self.publication.build_database,
                                    target_path=self.publication.build_target_path)
        if not statuses:
            raise _Stop(Outcome.BUILD_FAILED, "dbt could not check source freshness (see logs/dbt.log)")
        stale = sorted(t for t, s in statuses.items() if s in ("error", "runtime error"))
        warned = sorted(t for t, s in statuses.items() if s == "warn")
        if stale:
            raise _Stop(Outcome.STALE_SOURCE, "raw tables past their freshness error threshold, so nothing was"
                        " built: " + ", ".join(f"{t} ({statuses[t]})" for t in stale))
        if warned:
            return "warn", f"past the warning threshold: {', '.join(warned)}"
        return "pass", f"{len(statuses)} tables fresh"

    def build(self) -> tuple[str, str]:
        from salesperf.dbt_build import WITHOUT_UNIT_TESTS, build

        self.record.code_fingerprint = code_fingerprint(self.options.warehouse.dbt_args(), self.given_vars())
        passed_in = None if self.options.rerun_unit_tests else unit_tests_passed_in(
            self.options.log_dir, self.record.code_fingerprint)
        skip_unit_tests = WITHOUT_UNIT_TESTS if passed_in else ()
        summary = build([*self.dbt_args(), *skip_unit_tests], database=self.publication.build_database,
                        target_path=self.publication.build_target_path)
        for line in summary.lines():
            self.say(f"      {line}")
        if passed_in:
            self.record.unit_tests = f"skipped: passed on this code in run {passed_in}"
            self.say(f"      unit tests {self.record.unit_tests} (--rerun-unit-tests runs them)")
        elif summary.count("unit_test", "fail", "error"):
            self.record.unit_tests = "failed"
        elif summary.count("unit_test"):
            passed, defined = summary.count("unit_test", "pass"), self._unit_tests_defined()
            self.record.unit_tests = "passed" if passed == defined else f"{passed} of {defined} passed"
        if not summary.success:
            failures = "; ".join(summary.failures[:5]) + ("; ..." if len(summary.failures) > 5 else "")
            raise _Stop(Outcome.BUILD_FAILED, f"dbt build failed: {failures or 'see logs/dbt.log'}")
        self.invocation_id = summary.invocation_id
        self.models, self.data_tests = summary.count("model", "success"), summary.count("test", "pass", "warn")
        warned = summary.count("test", "warn")
        return "pass", f"{self.models} models, {self.data_tests} data tests" + (f", {warned} warned" if warned else "")

    def _unit_tests_defined(self) -> int:
        """The unit tests of the project, from the manifest the build wrote."""
        manifest = (self.publication.build_target_path or TARGET_DIR) / "manifest.json"
        try:
            return len(json.loads(manifest.read_text()).get("unit_tests", {}))
        except (OSError, ValueError):
            return -1  # unknown: never taken for every one having passed

    def validate(self) -> tuple[str, str]:
        from salesperf.validation import validate_marts

        candidate, published = self.publication.mart_sources()
        docs = self.options.reports_out / "data_docs" if self.options.reports else None
        result = validate_marts(candidate, previous=published, docs_dir=docs)
        if not result.ok:
            raise _Stop(Outcome.VALIDATION_FAILED, "validation of the marts failed: " + result.summary())
        self.expectations = result.evaluated
        return "pass", f"{result.evaluated} expectations"

    def publish(self) -> tuple[str, str]:
        build_id, as_of = self.publication.built_stamp()
        self.record.build_id = build_id or self.invocation_id or self.record.run_id
        self.publication.record({
            "build_id": self.record.build_id,
            "as_of": as_of,
            "built_at": datetime.fromisoformat(self.record.started_at).replace(tzinfo=None),
            "published_at": datetime.now(timezone.utc).replace(tzinfo=None),
            "models": self.models,
            "data_tests": self.data_tests,
            "expectations": self.expectations,
            "project_version": _project_version(),
        })
        self.publication.publish()
        if isinstance(self.publication, PostgresPublication):
            _parse_published(self.options)
        return "done", f"build {self.record.build_id}, {len(self.publication.builds())} in marts.build_log"

    def reports(self) -> tuple[str, str]:
        from salesperf.reports import ReportError, render_site

        if not isinstance(self.publication, DuckDbPublication):
            return "skipped", "the report site reads the DuckDB warehouse"
        try:
            summary = render_site(self.publication.published, self.options.reports_out, REPORTS_PAGES, TARGET_DIR)
        except ReportError as exc:
            raise _Stop(Outcome.REPORT_FAILED, f"the report site did not render: {exc}") from exc
        self.site_index = (summary.out / "index.html").resolve()
        return "done", f"{len(summary.pages)} pages in {self.options.reports_out}"


def _parse_published(options: RunOptions) -> None:
    """target/ as the published schemas name things, for mf: the build parsed the shadow names."""
    from salesperf.dbt_build import run_dbt, with_vars

    run_dbt(["parse", "--target", "postgres", *with_vars(options.dbt_args, options.vars)])


def scheduled_run(options: RunOptions, say: Callable[[str], None] = print) -> Outcome:
    """Run every step; publish only when all before it passed. Returns the outcome."""
    started = time.monotonic()
    publication: Publication = options.warehouse.publication()
    run = _Run(options, publication, say)
    record = run.record
    say(f"Run {record.run_id} on {record.warehouse}")
    outcome = Outcome.PUBLISHED
    try:
        with publication.exclusive():
            run.step("clear the shadow schemas" if isinstance(publication, PostgresPublication)
                     else "prepare the work copy", run.prepare)
            if options.freshness:
                run.step("source freshness", run.freshness)
            run.step("dbt build", run.build)
            if options.validation:
                run.step("validate the marts", run.validate)
            run.step("publish", run.publish)
        record.message = f"published build {record.build_id} to {record.warehouse}"
    except (_Stop, PublishError) as exc:
        outcome = exc.outcome if isinstance(exc, _Stop) else Outcome.CANNOT_START
        record.message = f"{exc}; the published warehouse is unchanged"
        try:
            publication.discard()
        except Exception:  # noqa: BLE001 - the next run clears what is left
            pass
    if outcome is Outcome.PUBLISHED and options.reports:
        try:
            run.step("render the report site", run.reports)
        except _Stop as stop:
            outcome = stop.outcome
            record.message += f"; {stop}"
    record.outcome, record.exit_status = outcome.name.lower(), int(outcome)
    log = _write_log(options.log_dir, record)
    say(("" if outcome is Outcome.PUBLISHED else "error: ") + record.message)
    if run.site_index is not None:
        say(f"  open the report site: {run.site_index.as_uri()}")
    say(f"  {time.monotonic() - started:.0f} s in all; exit status {int(outcome)} ({outcome.name.lower()});"
        f" log: {log}")
    return outcome


# what the unit tests' outcome depends on besides the dbt and adapter versions, the engine
# and the vars: the project's dbt code, seeds and settings (data tests and Python aside)
UNIT_TEST_INPUTS = ("dbt_project.yml", "profiles", "models", "macros", "seeds")
DBT_DISTRIBUTIONS = ("dbt-core", "dbt-adapters", "dbt-duckdb", "dbt-postgres", "dbt-spark", "duckdb")


def code_fingerprint(target_args: list[str], given_vars: dict[str, Any], project_root: Path = PROJECT_ROOT) -> str:
    """A hash of what decides whether the unit tests pass: every file of UNIT_TEST_INPUTS,
    the installed dbt, adapters and DuckDB, the target (engine) and the vars given, but
    as_of and build_id, which name a build (the unit tests pin their own)."""
    from importlib import metadata

    digest = hashlib.sha256()
    for name in UNIT_TEST_INPUTS:
        top = project_root / name
        for path in sorted([top] if top.is_file() else (p for p in top.rglob("*") if p.is_file())):
            digest.update(f"{path.relative_to(project_root).as_posix()}\0".encode())
            digest.update(path.read_bytes() + b"\0")
    for distribution in DBT_DISTRIBUTIONS:
        try:
            digest.update(f"{distribution}=={metadata.version(distribution)}\0".encode())
        except metadata.PackageNotFoundError:
            pass
    named = {k: v for k, v in given_vars.items() if k not in ("as_of", "build_id")}
    digest.update(json.dumps([target_args, named], sort_keys=True, default=str).encode())
    return digest.hexdigest()


def unit_tests_passed_in(log_dir: Path, fingerprint: str) -> str | None:
    """The newest logged run in which every unit test passed on the code of this fingerprint;
    None when there is none."""
    for log in sorted(log_dir.glob("*.json"), reverse=True):  # named by start time: newest first
        try:
            logged = json.loads(log.read_text())
        except (OSError, ValueError):
            continue  # a log cut short or unreadable proves nothing
        if logged.get("code_fingerprint") == fingerprint and logged.get("unit_tests") == "passed":
            return str(logged.get("run_id"))
    return None


def _project_version() -> str | None:
    """The project's commit, when it runs from a git checkout."""
    try:
        result = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT,
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def _write_log(folder: Path, record: RunRecord) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{record.run_id}.json"
        data = {**record.__dict__, "steps": [s.__dict__ for s in record.steps]}
        path.write_text(json.dumps(data, indent=2, default=str) + "\n")
        return path
    except OSError as exc:
        return Path(f"(not written: {exc.strerror})")
