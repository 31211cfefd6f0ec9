"""Constants and small helpers shared by the test modules."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from salesperf.demo import DemoConfig
from salesperf.settings import PROJECT_ROOT
from salesperf.warehouse import connect

SHARED = PROJECT_ROOT.parent / "shared"
SALESFORCE_EXPORT = SHARED / "datasets" / "salesforce_demo_org_export"

# Small enough to build in seconds, big enough for every stage, activity and quota type.
SMALL_DEMO = DemoConfig(seed=7, reps=12, months=6, end_date=date(2026, 6, 1))
SMALL_DEMO_AS_OF = "2026-06-01 00:00:00"


def query(path: Path, sql: str) -> list[tuple]:
    """Rows of one query on a warehouse file."""
    with connect(path) as con:
        return con.execute(sql).fetchall()


def readable_copy(warehouse: Path, dest: Path) -> Path:
    """A copy of a built warehouse to read: the build's session holds the file open
    read-write in this process, and a reader that opens it read-only (the report renderer,
    mf) may do so only in another process."""
    with connect(warehouse) as con:
        con.execute("checkpoint")
    shutil.copy(warehouse, dest)
    return dest
