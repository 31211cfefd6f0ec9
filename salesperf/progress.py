"""Progress on long work: the lines a command prints, and on a terminal one bar under them,
redrawn in place, for the steps that take a while (writing the demo tables, reading and
writing CSV files, the nodes of a dbt build).

Bars are drawn only when standard error is a terminal. Anywhere else (CI, a pipe, a log
file, the tests) a command prints exactly its lines: no bar, no carriage return, no
redraw. `TQDM_DISABLE=1` turns the bars off on a terminal too (tqdm reads it).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from salesperf.loader import TableLoad

# A bar that is not advancing is still redrawn this often (seconds), so its clock and the
# name of what is running keep moving through a model that takes a minute.
TICK = 1.0
BAR_WIDTH = 24
INDENT = "  "

_drawn: list[Bar] = []  # the bars on screen now; say() writes above them
_lock = threading.RLock()


def interactive() -> bool:
    """Whether bars are drawn: standard error is a terminal, and not a dumb one."""
    try:
        return bool(sys.stderr.isatty()) and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


def _width() -> int:
    """The terminal's width, or 80 when it does not say (a terminal of 0 columns)."""
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns - 1 if columns > 1 else 80


def say(line: str) -> None:
    """Print a line that stays, on standard output: above the bar when one is drawn."""
    with _lock:
        if not _drawn:
            print(line, flush=True)
            return
        from tqdm import tqdm

        with tqdm.external_write_mode(file=sys.stdout):
            print(line, flush=True)


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


class Bar:
    """Work done out of a total, drawn under the command's lines while it runs and gone when
    it ends (the lines printed after it say what was done). Where bars are not drawn every
    method only counts, so callers never ask whether there is a terminal.

    The text left of the bar is the count ("3/14 tables"); `fill` may measure the bar in
    another unit than the count (bytes of files counted as files). The note right of it says
    what runs now, and may be a function, asked at each redraw."""

    def __init__(self, total: int | None, unit: str, *, fill_total: int | None = None,
                 note: Callable[[], str] | None = None, draw: bool | None = None) -> None:
        self.total = total
        self.unit = unit
        self.count = 0
        self.fill_total = fill_total
        self.filled = 0
        self.note_text = ""
        self.note_of = note
        self.draw = interactive() if draw is None else draw
        self._tqdm: Any = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> Bar:
        if self.draw:
            from tqdm import tqdm

            with _lock:
                # nrows given: a terminal that reports no size would otherwise hide the bar
                self._tqdm = tqdm(total=1, file=sys.stderr, ncols=_width(), nrows=24, leave=False,
                                  desc=self._count_text(), initial=0,
                                  bar_format=f"{{desc}} |{{bar:{BAR_WIDTH}}}| {{elapsed}}{{postfix}}")
                _drawn.append(self)
                self._redraw()
            self._ticker = threading.Thread(target=self._tick, name="salesperf-progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with _lock:
            if self._tqdm is not None:
                self._tqdm.close()
                _drawn.remove(self)
                self._tqdm = None

    def advance(self, count: int = 1, fill: int | None = None, note: str | None = None) -> None:
        with _lock:
            self.count += count
            self.filled += count if fill is None else fill
            if note is not None:
                self.note_text = note
            self._redraw()

    def reached(self, count: int, total: int | None = None, note: str | None = None) -> None:
        """The count is now `count` (of `total`, when it became known)."""
        with _lock:
            if total is not None:
                self.total = total
            self.advance(count - self.count, note=note)

    def note(self, text: str) -> None:
        with _lock:
            self.note_text = text
            self._redraw()

    def set_total(self, total: int) -> None:
        with _lock:
            self.total = total
            self._redraw()

    def _count_text(self) -> str:
        total = "?" if self.total is None else f"{self.total:,}"
        return f"{INDENT}{self.count:,}/{total} {self.unit}"

    def _tick(self) -> None:
        while not self._stop.wait(TICK):
            with _lock:
                self._redraw()

    def _redraw(self) -> None:
        bar = self._tqdm
        if bar is None:
            return
        fill_total = self.fill_total or self.total
        bar.n = min(self.filled, fill_total) / fill_total if fill_total else 0
        bar.desc = self._count_text()
        bar.postfix = self.note_of() if self.note_of else self.note_text  # shown after the clock
        bar.ncols = _width()  # the line is cut to the terminal's width: a wrapped line could not be redrawn
        bar.refresh()


# --- dbt -----------------------------------------------------------------------------

FAILED = frozenset({"error", "fail", "runtime error", "partial success"})
WARNED = frozenset({"warn"})
SKIPPED = frozenset({"skipped"})
# The per-node events that carry the number of nodes of the run. The run's start line
# (ConcurrencyLine) counts them before `dbt build` adds its unit tests, so the largest
# number seen is the run's.
_TOTALS = {"LogStartLine": "total", "LogModelResult": "total", "LogSeedResult": "total",
           "LogNodeResult": "total", "LogNodeNoOpResult": "total", "LogTestResult": "num_models",
           "LogFreshnessResult": "total", "SkippingDetails": "total"}


class DbtProgress:
    """dbt's structured events (a dbtRunner callback) as a bar of the nodes done out of the
    nodes the run selected, the node running longest, and a line above the bar for each node
    that fails or warns as it happens (dbt's own lines are off while the bar is drawn; all
    of them stay in logs/dbt.log).

    Callbacks come from dbt's worker threads, so the tally is kept under a lock."""

    def __init__(self, draw: bool | None = None, node_lines: bool = True) -> None:
        self.bar = Bar(None, "nodes", note=self._running_note, draw=draw)
        self.node_lines = node_lines
        self.total = 0
        self.statuses: dict[str, str] = {}  # unique_id -> status, of each node finished
        self.running: dict[str, tuple[str, float]] = {}  # unique_id -> (name, began)
        self._lock = threading.Lock()

    @property
    def draw(self) -> bool:
        return self.bar.draw

    def __enter__(self) -> DbtProgress:
        self.bar.__enter__()
        self.bar.note("parsing the project")
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, event: Any) -> None:
        name = event.info.name
        data = event.data
        if name == "ConcurrencyLine":
            self._saw_total(data.node_count)
        elif name in _TOTALS:
            self._saw_total(getattr(data, _TOTALS[name]))
        if name == "NodeStart":
            with self._lock:
                self.running[data.node_info.unique_id] = (data.node_info.node_name, time.monotonic())
            self.bar.advance(0)
        elif name == "NodeFinished":
            self._finished(data.node_info, data.run_result.status)
        elif name == "SkippingDetails":
            # a node skipped without being started (after a failed on-run-start hook)
            self._finished(data.node_info, "skipped")

    def _saw_total(self, total: int) -> None:
        with self._lock:
            if total <= self.total:
                return
            self.total = total
        self.bar.set_total(total)

    def _finished(self, node: Any, status: str) -> None:
        with self._lock:
            self.running.pop(node.unique_id, None)
            if node.unique_id in self.statuses:
                return
            self.statuses[node.unique_id] = status
        if self.draw and self.node_lines and status in FAILED | WARNED:
            word = "WARN" if status in WARNED else status.upper()
            say(f"{INDENT}{word:<5} {node.resource_type} {node.node_name}")
        self.bar.advance()

    def _running_note(self) -> str:
        with self._lock:
            failed = sum(1 for s in self.statuses.values() if s in FAILED)
            longest = min(self.running.values(), key=lambda r: r[1], default=None)
            more = len(self.running) - 1
        parts = [f"{failed} failed"] if failed else []
        if longest is not None:
            name, began = longest
            parts.append(f"running {name} ({time.monotonic() - began:.0f} s)" + (f" +{more}" if more > 0 else ""))
        elif not self.statuses and not self.total:
            parts.append("parsing the project")
        return ", ".join(parts)


def user_chose_dbt_console(dbt_args: Iterable[str]) -> bool:
    """Whether the user asked dbt for its own console lines (a log level, quiet or debug, on
    the command line or in dbt's environment variables): then they get them, and no bar."""
    flags = ("--log-level", "--quiet", "-q", "--debug", "-d", "--log-format")
    if any(arg.split("=", 1)[0] in flags for arg in dbt_args):
        return True
    return any(os.environ.get(v) for v in ("DBT_LOG_LEVEL", "DBT_QUIET", "DBT_DEBUG", "DBT_LOG_FORMAT"))


# --- loading a folder of CSV files ------------------------------------------------------


class LoadProgress:
    """A folder load as it goes: its files read and checked (the bar filled by bytes, the
    biggest file being the slow one), then its tables written. Passed to load_csv_folder."""

    def __init__(self, draw: bool | None = None) -> None:
        self.draw = interactive() if draw is None else draw
        self.bar: Bar | None = None

    def __enter__(self) -> LoadProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._start(None)

    def files_found(self, paths: list[Path]) -> None:
        self._start(Bar(len(paths), "files read", fill_total=sum(p.stat().st_size for p in paths), draw=self.draw))

    def file_reading(self, path: Path) -> None:
        if self.bar:
            self.bar.note(f"{path.name} ({path.stat().st_size / 1e6:,.1f} MB)")

    def file_read(self, load: TableLoad) -> None:
        if self.bar and load.file is not None:
            self.bar.advance(1, fill=load.file.stat().st_size, note=f"{load.file.name}: {plural(load.rows, 'row')}")

    def tables_writing(self, rows: dict[str, int]) -> None:
        self._start(Bar(len(rows), "tables written", fill_total=sum(rows.values()) or None, draw=self.draw))

    def table_writing(self, table: str) -> None:
        if self.bar:
            self.bar.note(table)

    def table_written(self, table: str, rows: int) -> None:
        if self.bar:
            self.bar.advance(1, fill=rows)

    def _start(self, bar: Bar | None) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        self.bar = bar.__enter__() if bar is not None else None
