"""The contract in code, the dbt sources and the written spec name the same columns."""

from __future__ import annotations

import re

import yaml

from salesperf.contract import RAW_TABLES, RAW_TABLES_BY_NAME
from salesperf.settings import PROJECT_ROOT
from tests.python.helpers import SHARED


def _spec_tables() -> dict[str, list[str]]:
    """Parse the table of ../shared/spec/raw_crm.md: `table` (optional) | grain | columns."""
    spec = (SHARED / "spec" / "raw_crm.md").read_text()
    tables = {}
    for line in spec.splitlines():
        match = re.match(r"\|\s*`(\w+)`[^|]*\|[^|]*\|([^|]*)\|", line)
        if match:
            without_notes = re.sub(r"\([^)]*\)", "", match.group(2)).split(". ")[0]
            tables[match.group(1)] = [c.strip() for c in without_notes.split(",")]
    # "Optional columns for multi-currency orgs: `currency_iso_code` on `a`, `b` and `c`."
    currency = re.search(r"multi-currency orgs: `(\w+)` on ([^.]*)\.", spec)
    for table in re.findall(r"`(\w+)`", currency.group(2)):
        tables[table].append(currency.group(1))
    return tables


def test_contract_module_matches_the_spec() -> None:
    spec = _spec_tables()
    assert len(spec) == 14
    assert spec["opportunity_line_item"][-1] == "currency_iso_code"
    assert {name: list(table.columns) for name, table in RAW_TABLES_BY_NAME.items()} == spec


def test_dbt_sources_declare_every_contract_column() -> None:
    sources = yaml.safe_load((PROJECT_ROOT / "models/staging/crm/_crm__sources.yml").read_text())
    [crm] = sources["sources"]
    declared = {t["name"]: [c["name"] for c in t["columns"]] for t in crm["tables"]}
    assert declared == {t.name: list(t.columns) for t in RAW_TABLES}
