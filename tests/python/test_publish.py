"""Write-audit-publish, proved by doing the faults: a reader polling the published warehouse
during a build (and a BI connection held open across it) never meets a lock error or a
mix of builds; a run killed while copying, building or publishing leaves the published
file openable and unchanged, and the next run succeeds; a build whose tests fail publishes
nothing. The runs are real `salesperf` processes on the small demo."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from salesperf.dbt_build import dbt_vars
from salesperf.demo import generate
from salesperf.publish import WORK_FOLDER, build_log
from salesperf.scheduled_run import RUN_LOGS
from salesperf.settings import TARGET_DIR
from salesperf.warehouse import connect
from tests.python.helpers import SMALL_DEMO, SMALL_DEMO_AS_OF

AS_OF = dbt_vars(as_of=SMALL_DEMO_AS_OF)
QUICK_RUN = ["run", "--skip-freshness", "--skip-validation", "--skip-reports", *AS_OF]


def salesperf(args: list[str], warehouse: Path, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "salesperf", *args, "--duckdb", str(warehouse)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)  # type: ignore[call-overload]


def run_to_end(args: list[str], warehouse: Path) -> tuple[int, str]:
    process = salesperf(args, warehouse)
    output, _ = process.communicate(timeout=900)
    return process.returncode, output


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def newest_run_log() -> dict[str, object]:
    runs = sorted(RUN_LOGS.glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(runs[-1].read_text())


def mart_builds(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Each mart's build ids (none for an empty mart), read in one transaction of one connection."""
    marts = [t for (t,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'"
        " and table_name <> 'build_log' order by 1").fetchall()]
    con.execute("begin transaction")
    try:
        return {m: {b for (b,) in con.execute(f"select distinct build_id from marts.{m}").fetchall()} for m in marts}
    finally:
        con.execute("rollback")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo's raw tables, built and published once."""
    path = tmp_path_factory.mktemp("published") / "warehouse.duckdb"
    with connect(path) as con:
        generate(SMALL_DEMO, con, "raw")
    status, output = run_to_end(["build", *AS_OF], path)
    assert status == 0, output
    return path


def fresh_copy(published: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / published.name
    shutil.copyfile(published, copy)
    return copy


READER = """
import json, sys, time, duckdb
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from tests.python.test_publish import mart_builds
path, stop = sys.argv[1], Path(sys.argv[2])
polls = []
while not stop.exists():
    try:
        with duckdb.connect(path, read_only=True) as con:
            builds = mart_builds(con)
        polls.append({"builds": sorted(set().union(*builds.values())), "mixed": [m for m, b in builds.items() if len(b) > 1]})
    except Exception as exc:
        polls.append({"error": f"{type(exc).__name__}: {exc}"})
    time.sleep(0.2)
print(json.dumps(polls))
"""


def test_readers_during_a_build_see_one_whole_build_and_no_lock(published: Path, tmp_path: Path) -> None:
    warehouse = fresh_copy(published, tmp_path)
    first = build_log(warehouse)[-1]["build_id"]
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse), str(stop), str(Path.cwd())],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # a BI tool's connection, open across the whole build
    held = duckdb.connect(str(warehouse), read_only=True)
    try:
        build = salesperf(["build", *AS_OF], warehouse)
        assert build.stdout is not None
        printed = []
        for line in build.stdout:
            printed.append(line)
            if "] dbt build ..." in line:
                break
        # `./run query` while dbt builds: it reads the published file, which the build never opens
        status, answer = run_to_end(["query", "select count(*) as deals from marts.fct_opportunities"], warehouse)
        assert status == 0 and "deals" in answer and "Traceback" not in answer, answer
        output = "".join(printed) + build.communicate(timeout=900)[0]
        assert build.returncode == 0, output
        assert set().union(*mart_builds(held).values()) == {first}, "an open connection keeps its build"
    finally:
        held.close()
        stop.touch()
    polls = json.loads(reader.communicate(timeout=120)[0])
    errors = [p["error"] for p in polls if "error" in p]
    assert not errors, errors[:3]
    assert len(polls) > 20
    assert not [p for p in polls if p["mixed"] or len(p["builds"]) != 1], "a poll saw a mix of builds"
    second = build_log(warehouse)[-1]["build_id"]
    assert second != first
    seen = [p["builds"][0] for p in polls]
    assert seen[0] == first and seen[-1] == second
    assert seen == sorted(seen, key=lambda b: b == second), "readers went back to the old build"
    assert [b["build_id"] for b in build_log(warehouse)] == [first, second]
    assert not (warehouse.parent / WORK_FOLDER).exists()


def kill_at(warehouse: Path, step: str, delay: float) -> str:
    """Start a run, kill -9 it `delay` seconds after it starts `step`; what it printed."""
    process = salesperf(QUICK_RUN, warehouse)
    assert process.stdout is not None
    printed = []
    for line in process.stdout:
        printed.append(line)
        if f"] {step} ..." in line:
            time.sleep(delay)
            break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "".join(printed)
    return "".join(printed)


def test_a_run_killed_at_any_step_leaves_the_published_warehouse_unchanged(published: Path, tmp_path: Path) -> None:
    warehouse = fresh_copy(published, tmp_path)
    before = digest(warehouse)
    log = build_log(warehouse)
    for step, delay in (("prepare the work copy", 0.0), ("dbt build", 2.0), ("dbt build", 20.0)):
        printed = kill_at(warehouse, step, delay)
        assert digest(warehouse) == before, f"killed in {step} after {delay} s:\n{printed}"
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert len(set().union(*mart_builds(con).values())) == 1
    # killed as it publishes: the published file is either the one before, or the new build, whole
    kill_at(warehouse, "publish", 0.0)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        builds = set().union(*mart_builds(con).values())
    assert len(builds) == 1
    if digest(warehouse) != before:
        assert build_log(warehouse)[-1]["build_id"] == builds.pop() and len(build_log(warehouse)) == len(log) + 1
    status, output = run_to_end(QUICK_RUN, warehouse)
    assert status == 0, output
    assert not (warehouse.parent / WORK_FOLDER).exists()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert set().union(*mart_builds(con).values()) == {build_log(warehouse)[-1]["build_id"]}


def test_a_build_whose_tests_fail_publishes_nothing(published: Path, tmp_path: Path) -> None:
    """An opportunity table landed empty: every history row and line item is quarantined as
    belonging to an unknown deal, the quarantine threshold fails, and the marts stay."""
    warehouse = fresh_copy(published, tmp_path)
    with connect(warehouse) as con:
        con.execute("delete from raw.opportunity")
        deals = con.execute("select count(*) from marts.fct_opportunities").fetchone()[0]
    before = digest(warehouse)
    status, output = run_to_end(QUICK_RUN, warehouse)
    assert status == 1, output
    assert "the published warehouse is unchanged" in output
    assert digest(warehouse) == before
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_opportunities").fetchone()[0] == deals > 0
    last = newest_run_log()
    assert last["outcome"] == "build_failed" and last["exit_status"] == 1
    assert [s["status"] for s in last["steps"]] == ["done", "failed"]


def test_unit_tests_run_again_only_on_code_they_have_not_passed_on(published: Path, tmp_path: Path) -> None:
    """Unit tests check the code on fixtures, not the data: after a run in which every one
    passed, a run on the same code, dbt, engine and vars leaves them out, names that run,
    and still runs every model and data test."""
    warehouse = fresh_copy(published, tmp_path)
    status, output = run_to_end([*QUICK_RUN, "--rerun-unit-tests"], warehouse)
    assert status == 0, output
    first = newest_run_log()
    defined = len(json.loads((TARGET_DIR / "manifest.json").read_text())["unit_tests"])
    assert defined > 40
    assert f"unit tests: {defined} passed, 0 failed" in output
    assert first["unit_tests"] == "passed" and first["code_fingerprint"]

    status, output = run_to_end(QUICK_RUN, warehouse)
    assert status == 0, output
    second = newest_run_log()
    assert second["code_fingerprint"] == first["code_fingerprint"]
    assert second["unit_tests"] == f"skipped: passed on this code in run {first['run_id']}"
    assert f"unit tests skipped: passed on this code in run {first['run_id']}" in output
    results = json.loads((TARGET_DIR / "run_results.json").read_text())["results"]
    ran = [result["unique_id"].split(".")[0] for result in results]
    assert "unit_test" not in ran
    assert ran.count("test") > 250 and ran.count("model") > 70


def test_the_code_fingerprint_follows_what_the_unit_tests_read(tmp_path: Path) -> None:
    """Changed: a model, a macro, a seed, dbt_project.yml, the target or a var. Unchanged: as_of
    and build_id (the unit tests pin their own), Python and data tests."""
    from salesperf.scheduled_run import code_fingerprint

    files = {
        "dbt_project.yml": "name: p\n", "models/a.sql": "select 1 as x\n", "macros/m.sql": "{% macro m() %}1{% endmacro %}\n",
        "seeds/s.csv": "k\n1\n", "tests/python/test_x.py": "x = 1\n", "tests/assert_x.sql": "select 1 where false\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    def fingerprint(target: list[str] | None = None, **given: object) -> str:
        return code_fingerprint(target or [], given, project_root=tmp_path)

    base = fingerprint(as_of="2026-06-01")
    assert fingerprint(as_of="2031-01-01", build_id="b1") == base
    assert fingerprint(["--target", "postgres"], as_of="2026-06-01") != base
    assert fingerprint(as_of="2026-06-01", reporting_timezone="Europe/Berlin") != base
    for unread in ("tests/python/test_x.py", "tests/assert_x.sql"):
        (tmp_path / unread).write_text("changed\n")
        assert fingerprint(as_of="2026-06-01") == base, unread
    for read in ("models/a.sql", "macros/m.sql", "seeds/s.csv", "dbt_project.yml"):
        before = fingerprint()
        (tmp_path / read).write_text((tmp_path / read).read_text() + "-- changed\n")
        assert fingerprint() != before, read
    before = fingerprint()
    (tmp_path / "models" / "b.sql").write_text("select 2 as y\n")
    assert fingerprint() != before, "a new model"


def test_the_run_that_passed_the_unit_tests_is_the_newest_on_that_code(tmp_path: Path) -> None:
    from salesperf.scheduled_run import unit_tests_passed_in

    logs = {
        "20261201T050000Z-aaaa0001": {"code_fingerprint": "f1", "unit_tests": "passed"},
        "20261202T050000Z-aaaa0002": {"code_fingerprint": "f1", "unit_tests": "passed"},
        "20261203T050000Z-aaaa0003": {"code_fingerprint": "f1", "unit_tests": "failed"},
        "20261204T050000Z-aaaa0004": {"code_fingerprint": "f2", "unit_tests": "passed"},
        "20261205T050000Z-aaaa0005": {"code_fingerprint": "f3", "unit_tests": "41 of 42 passed"},
    }
    for run_id, logged in logs.items():
        (tmp_path / f"{run_id}.json").write_text(json.dumps({"run_id": run_id, **logged}))
    (tmp_path / "20261206T050000Z-aaaa0006.json").write_text('{"run_id": "20261206T0500')  # cut short
    assert unit_tests_passed_in(tmp_path, "f1") == "20261202T050000Z-aaaa0002"
    assert unit_tests_passed_in(tmp_path, "f2") == "20261204T050000Z-aaaa0004"
    assert unit_tests_passed_in(tmp_path, "f3") is None
    assert unit_tests_passed_in(tmp_path / "no_logs_yet", "f1") is None


def test_a_second_run_on_the_same_warehouse_waits_its_turn(published: Path, tmp_path: Path) -> None:
    from salesperf.publish import DuckDbPublication

    warehouse = fresh_copy(published, tmp_path)
    with DuckDbPublication(warehouse).exclusive():
        status, output = run_to_end(QUICK_RUN, warehouse)
    assert status == 4, output
    assert "another run or load is using" in output and "Traceback" not in output


def test_known_failures_say_one_line_not_a_traceback(tmp_path: Path) -> None:
    held = tmp_path / "held.duckdb"
    writer = duckdb.connect(str(held))  # a load or a build writing the file, in another process
    try:
        status, output = run_to_end(["query", "select 1"], held)
    finally:
        writer.close()
    assert status == 2 and "in use by another process" in output and "Traceback" not in output, output
    status, output = run_to_end(["generate", "--reps", "2", "--months", "1"], Path("/proc/no_such_folder/w.duckdb"))
    assert status == 2 and "error: " in output and "Traceback" not in output, output
    status, output = run_to_end(["run"], tmp_path / "missing.duckdb")
    assert status == 4 and "no warehouse at" in output and "Traceback" not in output, output


def raw_fingerprint(path: Path) -> dict[str, tuple[int, str]]:
    """Each raw table's row count and a digest of its sorted rows, but for the load time
    (two loads of the same files differ only there)."""
    fingerprint = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by 1").fetchall()]
        for table in tables:
            columns = ", ".join(f'"{c}"' for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?"
                " and column_name <> '_loaded_at' order by ordinal_position", [table]).fetchall())
            fingerprint[table] = con.execute(
                f"select count(*), coalesce(md5(string_agg(cast(r as varchar), '|' order by cast(r as varchar))), '')"
                f' from (select {columns} from raw."{table}") as r').fetchone()
    return fingerprint


def test_a_load_killed_midway_leaves_the_warehouse_as_it_was_or_wholly_loaded(
    published: Path, tmp_path: Path,
) -> None:
    """The load replaces every table in one transaction: killed at any moment, the warehouse
    opens with the old rows or all the new ones, and the next run publishes."""
    from salesperf.demo import DemoConfig

    folder = tmp_path / "export"
    with connect(tmp_path / "scratch.duckdb") as con:
        generate(DemoConfig(seed=8, reps=12, months=6, end_date=SMALL_DEMO.end_date), con, "raw")
        from salesperf.warehouse import export_csv

        export_csv(con, "raw", folder)
    loaded = fresh_copy(published, tmp_path / "loaded")
    status, output = run_to_end(["load", str(folder)], loaded)
    assert status == 0, output
    before, after = raw_fingerprint(published), raw_fingerprint(loaded)
    assert before != after
    outcomes = set()
    for delay in (0.8, 1.5, 2.5, 4.0):
        warehouse = fresh_copy(published, tmp_path / f"killed_{delay}")
        process = salesperf(["load", str(folder)], warehouse)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        state = raw_fingerprint(warehouse)
        assert state in (before, after), f"killed after {delay} s: a mix of old and new rows"
        outcomes.add("before" if state == before else "after")
    status, output = run_to_end(QUICK_RUN, warehouse)
    assert status == 0, output
    assert outcomes, outcomes


def test_a_run_whose_validation_fails_publishes_nothing(published: Path, tmp_path: Path) -> None:
    """A partial extract lands: the raw tables now hold a quarter of the org. The build and
    its tests pass, but the marts shrank by more than validation allows against the
    published build, so the run stops before publishing and names what shrank."""
    warehouse = fresh_copy(published, tmp_path)
    status, output = run_to_end(["generate", "--reps", "3", "--months", "6", "--seed", "7", "--end-date",
                                 SMALL_DEMO.end_date.isoformat()], warehouse)
    assert status == 0, output
    before = digest(warehouse)
    status, output = run_to_end(["run", "--skip-freshness", "--skip-reports", *AS_OF], warehouse)
    assert status == 2, output
    assert "validation of the marts failed" in output and "fct_opportunities" in output, output
    assert "the published warehouse is unchanged" in output
    assert digest(warehouse) == before


def test_a_warehouse_named_after_a_schema_is_refused_with_the_reason(tmp_path: Path) -> None:
    warehouse = tmp_path / "raw.duckdb"
    status, output = run_to_end(["generate", "--reps", "2", "--months", "1"], warehouse)
    assert status == 0, output
    status, output = run_to_end(["build"], warehouse)
    assert status == 4 and "cannot be built" in output and "rename the file" in output, output
    assert "Traceback" not in output
