"""Paths and defaults shared by every command: the one place they are decided."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILES_DIR = PROJECT_ROOT / "profiles"
REPORTS_PAGES = PROJECT_ROOT / "reports" / "pages"
REPORTS_OUT = PROJECT_ROOT / "reports" / "output"

DEFAULT_RAW_SCHEMA = "raw"
DEFAULT_DUCKDB_FILE = "warehouse.duckdb"
DEFAULT_SPARK_WAREHOUSE = "spark-warehouse"

# Columns every loaded raw table carries so that "the row loaded last" is decidable
# when two versions of a record share last_modified_date (see DECISIONLOG.md).
LOADED_AT_COLUMN = "_loaded_at"
SOURCE_ROW_COLUMN = "_source_row"


def duckdb_path() -> Path:
    """The embedded warehouse file: $DUCKDB_PATH, relative paths taken from the project root.

    dbt runs from the project root, where profiles.yml reads the same variable, so both
    sides always open the same file.
    """
    path = Path(os.environ.get("DUCKDB_PATH", DEFAULT_DUCKDB_FILE))
    return path if path.is_absolute() else PROJECT_ROOT / path


def target_dir(project_dir: Path = PROJECT_ROOT) -> Path:
    """dbt's target folder of a project: $DBT_TARGET_PATH as dbt reads it (relative paths
    taken from the project folder), `target` without it."""
    return project_dir / os.environ.get("DBT_TARGET_PATH", "target")


def log_dir() -> Path:
    """dbt's log folder: $DBT_LOG_PATH as dbt reads it (relative paths taken from the project
    folder, where dbt runs), `logs` without it. The scheduled runs' own logs go beside dbt's."""
    return PROJECT_ROOT / os.environ.get("DBT_LOG_PATH", "logs")


TARGET_DIR = target_dir()


def spark_warehouse_dir() -> Path:
    """The spark target's folder of tables and metastore: $SPARK_WAREHOUSE_DIR, relative
    paths taken from the project root as profiles.yml takes them when dbt runs there."""
    path = Path(os.environ.get("SPARK_WAREHOUSE_DIR", DEFAULT_SPARK_WAREHOUSE))
    return path if path.is_absolute() else PROJECT_ROOT / path
