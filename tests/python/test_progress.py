"""Progress on long work: a bar on a terminal that counts what was really done, and nothing
but the summary lines anywhere else (CI, pipes, log files)."""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from salesperf.cli import main
from salesperf.contract import RAW_TABLES
from salesperf.settings import PROJECT_ROOT, TARGET_DIR
from tests.python.helpers import query

GENERATE = ["generate", "--reps", "6", "--months", "3", "--seed", "3", "--end-date", "2026-03-01"]
COLUMNS = 120
# the bar of each kind of work, as a person reads it: "7/14 tables written |███   | 00:01"
BAR = re.compile(r"(\d[\d,]*)/(\d[\d,]*|\?) (tables written|files read|nodes|CSV files written) \|")
SECONDS = re.compile(r"\d+\.\d s")


def on_a_terminal(args: list[str], timeout: float = 600) -> str:
    """What `salesperf <args>` writes to a pseudo-terminal COLUMNS wide: stdout and stderr as
    a person's terminal receives them, carriage returns and all."""
    primary, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, COLUMNS, 0, 0))
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TERM": "xterm", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("TQDM_DISABLE", None)
    process = subprocess.Popen([sys.executable, "-m", "salesperf", *args], cwd=PROJECT_ROOT, env=env,
                               stdin=secondary, stdout=secondary, stderr=secondary, close_fds=True)
    os.close(secondary)
    received = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the program ended and closed the terminal
                break
            if not chunk:
                break
            received += chunk
        status = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        process.kill()
        os.close(primary)
    text = received.decode()
    assert status == 0, "\n".join(screen(text))
    return text


def screen(raw: str) -> list[str]:
    """The lines left on the terminal once the program ended: a carriage return moves back
    to the line's start and what follows overwrites it, as a terminal does."""
    raw = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)
    lines: list[list[str]] = [[]]
    column = 0
    for char in raw:
        if char == "\r":
            column = 0
        elif char == "\n":
            lines.append([])
            column = 0
        else:
            line = lines[-1]
            line.extend(" " * (column + 1 - len(line)))
            line[column] = char
            column += 1
    rendered = ["".join(line).rstrip() for line in lines]
    return [line for line in rendered if line]


def frames(raw: str, unit: str) -> list[tuple[int, int | None]]:
    """Each drawing of the bar of `unit`: (done, total)."""
    drawn = []
    for match in BAR.finditer(raw):
        if match.group(3) == unit:
            total = None if match.group(2) == "?" else int(match.group(2).replace(",", ""))
            drawn.append((int(match.group(1).replace(",", "")), total))
    return drawn


def table_rows(path: Path, schema: str) -> dict[str, int]:
    return {t.name: query(path, f'select count(*) from {schema}."{t.name}"')[0][0] for t in RAW_TABLES}


def without_times(lines: list[str]) -> list[str]:
    return [SECONDS.sub("_ s", line) for line in lines]


def test_off_a_terminal_generate_and_load_print_their_lines_and_no_bar(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    generated = tmp_path / "generated.duckdb"
    assert main([*GENERATE, "--duckdb", str(generated), "--csv-dir", str(tmp_path / "csv")]) == 0
    out, err = capfd.readouterr()
    rows = table_rows(generated, "raw")
    assert "\r" not in out + err and err == ""
    assert not BAR.search(out)
    for table, n in rows.items():
        assert f"  {table}: {n:,} rows" in out.splitlines()
    assert f"Wrote {sum(rows.values()):,} rows in {len(RAW_TABLES) + 1} tables in " in out

    loaded = tmp_path / "loaded.duckdb"
    assert main(["load", str(tmp_path / "csv"), "--duckdb", str(loaded)]) == 0
    out, err = capfd.readouterr()
    assert "\r" not in out + err and err == ""
    assert not BAR.search(out)
    assert table_rows(loaded, "raw") == rows
    assert (f"Loaded {len(RAW_TABLES)} table(s) into {loaded} schema raw. {sum(rows.values()):,} rows in "
            in out)


def test_on_a_terminal_generate_counts_the_tables_and_rows_it_wrote(tmp_path: Path) -> None:
    """The bar counts every raw table and the rows written so far; once done it is gone and
    the screen holds the same lines as a log would."""
    generated = tmp_path / "generated.duckdb"
    raw = on_a_terminal([*GENERATE, "--duckdb", str(generated), "--csv-dir", str(tmp_path / "csv")])
    rows = table_rows(generated, "raw")

    drawn = frames(raw, "tables written")
    assert drawn[0] == (0, len(RAW_TABLES)) and drawn[-1] == (len(RAW_TABLES), len(RAW_TABLES))
    assert [done for done, _ in drawn] == sorted(done for done, _ in drawn)
    # the last drawing says every row of every table
    last = raw[raw.rindex(f"{len(RAW_TABLES)}/{len(RAW_TABLES)} tables written"):].split("\r")[0]
    assert f"{sum(rows.values()):,} rows so far" in last
    # the CSV bar names each file as it is begun: it counts the ones written before it
    assert {done for done, _ in frames(raw, "CSV files written")} == set(range(len(RAW_TABLES)))

    on_screen = screen(raw)
    assert not any(BAR.search(line) for line in on_screen)
    for table, n in rows.items():
        assert f"  {table}: {n:,} rows" in on_screen
    off_terminal = subprocess.run(
        [sys.executable, "-m", "salesperf", *GENERATE, "--duckdb", str(tmp_path / "again.duckdb"),
         "--csv-dir", str(tmp_path / "csv")],
        cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True, text=True, check=True,
    )
    assert without_times(on_screen) == without_times(
        [line.replace(str(tmp_path / "again.duckdb"), str(generated)) for line in off_terminal.stdout.splitlines()])
    assert off_terminal.stderr == ""


def test_on_a_terminal_load_counts_the_files_it_read_and_the_tables_it_wrote(tmp_path: Path) -> None:
    generated = tmp_path / "generated.duckdb"
    assert main([*GENERATE, "--duckdb", str(generated), "--csv-dir", str(tmp_path / "csv")]) == 0
    loaded = tmp_path / "loaded.duckdb"
    raw = on_a_terminal(["load", str(tmp_path / "csv"), "--duckdb", str(loaded)])
    files = len(list((tmp_path / "csv").glob("*.csv")))

    assert frames(raw, "files read")[-1] == (files, files)
    assert frames(raw, "tables written")[-1] == (len(RAW_TABLES), len(RAW_TABLES))
    rows = table_rows(loaded, "raw")
    assert rows == table_rows(generated, "raw")
    on_screen = screen(raw)
    assert not any(BAR.search(line) for line in on_screen)
    for table, n in rows.items():
        assert any(line.split() == [table, f"{n:,}", "rows", "from", f"{table}.csv"] for line in on_screen), table
    assert on_screen[-1].startswith(f"Loaded {files} table(s) into {loaded} schema raw. {sum(rows.values()):,} rows")


def test_on_a_terminal_build_counts_the_nodes_dbt_ran(tmp_path: Path) -> None:
    """The bar's count ends at the number of nodes dbt ran (its run results, the project's
    hooks aside), and the summary's outcomes are dbt's; dbt's line per node is not shown."""
    warehouse = tmp_path / "w.duckdb"
    assert main([*GENERATE, "--duckdb", str(warehouse)]) == 0
    # the tests of what is selected and nothing else: a test of an unbuilt model would fail
    raw = on_a_terminal(["build", "--duckdb", str(warehouse), "--select", "+stg_crm__opportunities",
                         "--indirect-selection", "cautious", "--vars", "{as_of: '2026-03-01'}"])

    # a build on the DuckDB warehouse writes the project's target folder
    results = [r for r in json.loads((TARGET_DIR / "run_results.json").read_text())["results"]
               if not r["unique_id"].startswith("operation.")]
    assert len(results) > 20
    drawn = [(done, total) for done, total in frames(raw, "nodes") if total is not None]
    assert drawn[-1] == (len(results), len(results))
    assert max(done for done, _ in drawn) == len(results)

    on_screen = screen(raw)
    assert not any(BAR.search(line) for line in on_screen)
    assert not any(" START " in line or "Running with dbt" in line for line in on_screen)
    statuses = [r["status"] for r in results]
    failed = sum(s in ("error", "fail") for s in statuses)
    warned = statuses.count("warn")
    [line] = [line for line in on_screen if " nodes in " in line]
    assert line.strip().startswith(f"{len(results)} nodes in ")
    assert f": {len(results) - failed - warned} passed, {warned} warned, {failed} failed" in line
    assert any("dbt build: pass" in line for line in on_screen)
