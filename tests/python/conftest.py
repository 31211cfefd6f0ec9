"""Shared fixtures: one small demo warehouse per test session, built by dbt once."""

from __future__ import annotations

import os

# The tests run in two processes at once (pytest-xdist). Each gets its own dbt target and log
# folders, set before the project's settings are read, so that the builds and scheduled runs
# that use the project's defaults never write over each other's manifest or run logs.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    os.environ["DBT_TARGET_PATH"] = f"target/{_WORKER}"
    os.environ["DBT_LOG_PATH"] = f"logs/{_WORKER}"

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from salesperf.dbt_build import WITHOUT_UNIT_TESTS, BuildSummary, build, dbt_vars
from salesperf.demo import generate
from salesperf.warehouse import connect
from tests.python.browser import ChromiumNotInstalled, ensure_chromium, start_driver
from tests.python.el_landing import land_without_loader_columns
from tests.python.helpers import SMALL_DEMO, SMALL_DEMO_AS_OF
from tests.python.postgres_server import PostgresNotInstalled, PostgresServer, start_server


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh DuckDB file holding the small demo's raw tables."""
    path = tmp_path_factory.mktemp("warehouse") / "demo.duckdb"
    with connect(path) as con:
        generate(SMALL_DEMO, con, "raw")
    return path


@pytest.fixture(scope="session")
def demo_dbt_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The target folder of the demo's build: its manifest and semantic_manifest.json."""
    return tmp_path_factory.mktemp("dbt_target")


@pytest.fixture(scope="session")
def built_demo(demo_warehouse: Path, demo_dbt_target: Path) -> tuple[Path, BuildSummary]:
    """`dbt build` (seeds, models, data tests, unit tests) on the fresh demo warehouse."""
    summary = build(
        dbt_vars(as_of=SMALL_DEMO_AS_OF), database=demo_warehouse, target_path=demo_dbt_target,
    )
    return demo_warehouse, summary


@pytest.fixture(scope="session")
def built_dirty_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildSummary]:
    """`dbt build` on the small demo generated with every load fault injected."""
    path = tmp_path_factory.mktemp("dirty_warehouse") / "dirty.duckdb"
    with connect(path) as con:
        generate(replace(SMALL_DEMO, dirty=True), con, "raw")
    target = tmp_path_factory.mktemp("dirty_dbt_target")
    summary = build([*WITHOUT_UNIT_TESTS, *dbt_vars(as_of=SMALL_DEMO_AS_OF)], database=path, target_path=target)
    return path, summary


@pytest.fixture(scope="session")
def built_el_dirty_demo(
    built_dirty_demo: tuple[Path, BuildSummary], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, BuildSummary]:
    """The dirty demo landed as an EL tool would (no `_loaded_at`, no `_source_row`, rows in
    another order) and built: its raw schema, then `dbt build` on it."""
    dirty_path, _ = built_dirty_demo
    path = tmp_path_factory.mktemp("el_dirty_warehouse") / "el_dirty.duckdb"
    land_without_loader_columns(dirty_path, path)
    target = tmp_path_factory.mktemp("el_dirty_dbt_target")
    summary = build([*WITHOUT_UNIT_TESTS, *dbt_vars(as_of=SMALL_DEMO_AS_OF)], database=path, target_path=target)
    return path, summary


@pytest.fixture(scope="session")
def chromium_driver(pytestconfig: pytest.Config) -> Iterator[Any]:
    """One headless Chromium session (selenium, Debian's chromedriver) for the whole run.
    Chromium is installed with apt-get first when missing and the tests run as root;
    what the set-up does is printed past pytest's capture."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def say(message: str) -> None:
        if capture is None:
            print(message, flush=True)
            return
        with capture.global_and_fixture_disabled():
            print(f"\n{message}", flush=True)

    try:
        chromium = ensure_chromium(say)
    except ChromiumNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    driver = start_driver(chromium)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL cluster for the whole test run, stopped and deleted at the end."""
    try:
        server = start_server()
    except PostgresNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
