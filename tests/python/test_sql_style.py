"""Every SQL file follows the house style that .sqlfluff encodes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from salesperf.settings import PROJECT_ROOT


def _lint(paths: list[str], database: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DUCKDB_PATH": str(database), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", *paths],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900,
    )


def test_project_sql_passes_sqlfluff_lint(demo_warehouse: Path) -> None:
    result = _lint(["models", "tests", "analyses"], demo_warehouse)
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_rejects_sql_outside_the_house_style(demo_warehouse: Path, tmp_path: Path) -> None:
    """Guards the guard: a file in the wrong style must fail the same lint."""
    bad = PROJECT_ROOT / "analyses" / "_lint_probe.sql"
    bad.write_text("SELECT ID, Amount AMT FROM {{ ref('stg_crm__opportunities') }}\n")
    try:
        result = _lint(["analyses/_lint_probe.sql"], demo_warehouse)
    finally:
        bad.unlink()
    assert result.returncode != 0
    for rule in ("CP01", "AL02"):
        assert rule in result.stdout, result.stdout
