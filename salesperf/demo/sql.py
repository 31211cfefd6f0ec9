"""SQL text helpers: Salesforce-style id expressions and qualified table names."""

from __future__ import annotations

from salesperf.contract import ID_PREFIXES
from salesperf.warehouse import quote


def id_sql(name: str, column: str, nullable: bool = False) -> str:
    """18-character Salesforce-style id: the object's key prefix, then the number."""
    # Adding 10^15 and dropping the leading 1 zero-pads faster than printf or lpad.
    expression = f"'{ID_PREFIXES[name]}' || substr(cast({column} + 1000000000000000 as varchar), 2)"
    return f"case when {column} > 0 then {expression} end" if nullable else expression


def qualified_name(schema: str, table: str) -> str:
    return f"{quote(schema)}.{quote(table)}"
