"""Query results as pages see them: named columns and rows, readable from jinja2."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass
class Result:
    """The rows of one named query. Iterating gives each row as a dict, so a page reads
    `{% for row in pipeline %}{{ row.stage_name }}{% endfor %}` or `pipeline[0].open_amount`."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_tuples(cls, name: str, columns: Sequence[str], tuples: Sequence[Sequence[Any]]) -> Result:
        return cls(name, list(columns), [dict(zip(columns, values)) for values in tuples])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.rows[index]

    def column(self, name: str) -> list[Any]:
        if name not in self.columns:
            raise KeyError(f"query {self.name!r} has no column {name!r} (it has {', '.join(self.columns)})")
        return [row[name] for row in self.rows]

    @property
    def first(self) -> dict[str, Any]:
        return self.rows[0] if self.rows else {}


def as_number(value: Any) -> float | None:
    """A cell as a float for charts and data-value attributes; None for null and non-numbers."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
        return None if number != number else number  # NaN reads as missing
    return None


def plain(value: Any) -> str:
    """The exact machine-readable form of a cell (what `data-value` carries)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
