"""The `mf` command run as a user runs it, beside the in-process semantic layer the product
uses (salesperf.semantic_layer)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from salesperf.semantic_layer import SEMANTIC_MANIFEST, SemanticLayer
from salesperf.settings import PROFILES_DIR, PROJECT_ROOT

__all__ = ["SEMANTIC_MANIFEST", "SemanticLayer", "mf_project", "run_mf"]


def mf_project(target: Path, folder: Path) -> Path:
    """A folder `mf` can run in: the project file and the semantic manifest of `target`
    where `mf` looks for them (target/semantic_manifest.json beside dbt_project.yml)."""
    (folder / "target").mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dbt_project.yml", folder / "dbt_project.yml")
    shutil.copy(target / SEMANTIC_MANIFEST, folder / "target" / SEMANTIC_MANIFEST)
    return folder


def run_mf(args: list[str], project: Path, database: Path) -> subprocess.CompletedProcess[str]:
    """The `mf` command in `project`, on the project's profiles, reading `database` through
    the read-only target."""
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROFILES_DIR),
        "DBT_TARGET": "duckdb_read_only",
        "DUCKDB_PATH": str(database),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    mf = Path(sys.executable).parent / "mf"
    return subprocess.run([str(mf), *args], cwd=project, env=env, capture_output=True, text=True, timeout=600)
