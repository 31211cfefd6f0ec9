"""The contract in code, the dbt sources and the written spec name the same columns."""

from __future__ import annotations

import re

import yaml

from salesperf.contract import RAW_TABLES, RAW_TABLES_BY_NAME
from salesperf.settings import PROJECT_ROOT
from tests.python.helpers import SHARED


def _spec_tables() -> dict[str, list[str]]:
    """Parse the table of ../shared/spec/raw_crm.md: `table` | grain | columns."""
    spec = (SHARED / "spec" / "raw_crm.md").read_text()
    tables = {}
    for line in spec.splitlines():
        match = re.match(r"\|\s*`(\w+)`\s*\|[^|]*\|([^|]*)\|", line)
        if match:
            without_notes = re.sub(r"\([^)]*\)", "", match.group(2))
            tables[match.group(1)] = [c.strip() for c in without_notes.split(",")]
    return tables


def test_contract_module_matches_the_spec() -> None:
    spec = _spec_tables()
    assert len(spec) == 12
    assert {name: list(table.columns) for name, table in RAW_TABLES_BY_NAME.items()} == spec


def test_dbt_sources_declare_every_contract_column() -> None:
    sources = yaml.safe_load((PROJECT_ROOT / "models/staging/crm/_crm__sources.yml").read_text())
    [crm] = sources["sources"]
    declared = {t["name"]: [c["name"] for c in t["columns"]] for t in crm["tables"]}
    assert declared == {t.name: list(t.columns) for t in RAW_TABLES}
