"""Validates the marts of a built warehouse with Great Expectations before it is published.

    result = validate_marts(Path("work.duckdb"), previous=Path("warehouse.duckdb"),
                            docs_dir=Path("reports/output/data_docs"))
    if not result.ok:
        print(result.summary())   # one line per failed expectation: mart, column, values

Each mart is read from DuckDB (a read-only connection) into a pandas DataFrame and checked
against its suite in `salesperf.validation_suites`; the previous published warehouse, when
given, sets each mart's row-count floor. The results are written as a static HTML page
that needs nothing but the file itself.

    python -m salesperf.validation WAREHOUSE [--previous FILE] [--docs DIR]

prints the summary and exits 1 when an expectation failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import jinja2
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.expectation_validation_result import ExpectationValidationResult
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.row_conditions import deserialize_row_condition

from salesperf.validation_suites import SUITES, MartSuite

MARTS_SCHEMA = "marts"
# Failing values named per failure: enough to recognise the fault, short enough for a log.
SAMPLE_VALUES = 5
DOCS_PAGE = "index.html"
DOCS_RESULTS = "validation_results.json"


@dataclass(frozen=True)
class ValidationFailure:
    """One expectation a mart did not meet, with the values that broke it."""

    mart: str
    column: str | None
    expectation: str
    bound: str
    unexpected_count: int | None = None
    element_count: int | None = None
    values: tuple[Any, ...] = ()
    observed: Any = None
    condition: str | None = None
    error: str | None = None

    def line(self) -> str:
        where = f"{self.mart}.{self.column}" if self.column else self.mart
        head = f"{where}: {self.expectation}{' ' + self.bound if self.bound else ''}"
        if self.condition:
            head += f" (rows where {self.condition})"
        if self.error:
            return f"{head} could not be evaluated: {self.error}"
        if self.unexpected_count is not None:
            shown = ", ".join(_show(v) for v in self.values)
            return f"{head} failed on {self.unexpected_count} of {self.element_count} rows: {shown}"
        return f"{head} failed: observed {_show(self.observed)}"


@dataclass
class MartValidation:
    """One mart's run: its rows and every expectation's outcome (for the page)."""

    mart: str
    rows: int | None
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o["success"] for o in self.outcomes)


@dataclass
class ValidationResult:
    """The outcome of validating every mart: publish only when `ok`."""

    failures: list[ValidationFailure]
    evaluated: int
    passed: int
    seconds: float
    marts: list[MartValidation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        head = (f"mart validation {'passed' if self.ok else 'FAILED'}: {self.passed} of {self.evaluated}"
                f" expectations met on {len(self.marts)} marts in {self.seconds:.1f} s")
        return "\n".join([head] + [f"  {failure.line()}" for failure in self.failures])


class DuckDbMarts:
    """The marts of a DuckDB warehouse file, opened read-only."""

    def __init__(self, path: Path, schema: str = MARTS_SCHEMA) -> None:
        self.path, self.schema = Path(path), schema
        self.con: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> DuckDbMarts:
        if self.path.is_file():
            self.con = duckdb.connect(str(self.path), read_only=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.con is not None:
            self.con.close()

    def describe(self) -> str:
        return self.path.name

    def row_counts(self) -> dict[str, int]:
        """Rows of each mart; empty when the file or its marts are missing."""
        if self.con is None:
            return {}
        tables = self.con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [self.schema]).fetchall()
        return {name: self.con.execute(f'select count(*) from "{self.schema}"."{name}"').fetchone()[0]
                for (name,) in tables}

    def frame(self, mart: str) -> Any:
        assert self.con is not None
        return self.con.execute(f'select * from "{self.schema}"."{mart}"').df()


class PostgresMarts:
    """The marts of a schema of the POSTGRES_* database (the published `marts`, or the
    shadow schema a run built), read into DataFrames as the DuckDB ones are."""

    def __init__(self, schema: str = MARTS_SCHEMA, connection_string: str | None = None) -> None:
        self.schema, self.connection_string = schema, connection_string
        self.pg: Any = None

    def __enter__(self) -> PostgresMarts:
        from salesperf.postgres import connect

        self.pg = connect(self.connection_string)
        return self

    def __exit__(self, *exc: object) -> None:
        self.pg.close()

    def describe(self) -> str:
        return f"schema {self.schema}"

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self.pg.cursor() as cursor:
            cursor.execute(sql, params)
            return [d[0] for d in cursor.description], cursor.fetchall()

    def row_counts(self) -> dict[str, int]:
        _, tables = self._rows("select table_name from information_schema.tables where table_schema = %s",
                               (self.schema,))
        return {name: self._rows(f'select count(*) from "{self.schema}"."{name}"')[1][0][0] for (name,) in tables}

    def frame(self, mart: str) -> Any:
        import pandas as pd

        columns, rows = self._rows(f'select * from "{self.schema}"."{mart}"')
        frame = pd.DataFrame.from_records(rows, columns=columns)
        # numeric comes back as Decimal: as floats, the checks read it as DuckDB's doubles
        for column in frame.columns:
            if frame[column].map(lambda v: isinstance(v, Decimal)).any():
                frame[column] = frame[column].astype(float)
        return frame


MartSource = DuckDbMarts | PostgresMarts


def validate_marts(warehouse: Path | MartSource, previous: Path | MartSource | None = None,
                   docs_dir: Path | None = None) -> ValidationResult:
    """Check every mart of `warehouse` (a DuckDB file opened read-only, or a source of marts)
    against its suite; row counts are held against `previous`, the published marts (None,
    missing or without the marts: no bound). Writes the results page into `docs_dir` when given."""
    started = time.perf_counter()
    candidate = DuckDbMarts(warehouse) if isinstance(warehouse, Path) else warehouse
    published = DuckDbMarts(previous) if isinstance(previous, Path) else previous
    previous_rows: dict[str, int] = {}
    if published is not None:
        with published:
            previous_rows = published.row_counts()
    context = _context()
    failures: list[ValidationFailure] = []
    marts: list[MartValidation] = []
    evaluated = passed = 0
    with candidate:
        present = candidate.row_counts()
        for spec in SUITES:
            if spec.mart not in present:
                failures.append(ValidationFailure(spec.mart, None, "mart exists", "", error="no such table"))
                marts.append(MartValidation(spec.mart, None, [_missing_outcome()]))
                evaluated += 1
                continue
            frame = candidate.frame(spec.mart)
            result = _run_suite(context, spec, previous_rows.get(spec.mart), frame)
            mart = MartValidation(spec.mart, len(frame))
            for outcome in result.results:
                evaluated += 1
                passed += bool(outcome.success)
                mart.outcomes.append(_outcome(outcome))
                if not outcome.success:
                    failures.append(_failure(spec.mart, outcome))
            marts.append(mart)
            del frame
    result = ValidationResult(failures, evaluated, passed, time.perf_counter() - started, marts)
    if docs_dir is not None:
        write_docs(result, docs_dir, candidate.describe())
    return result


def _context() -> Any:
    """An ephemeral context: the suites live in code, so nothing needs to persist between
    runs, and a run leaves no great_expectations/ folder behind."""
    # its INFO lines (a temporary docs folder it makes and never uses) are not the run's news
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.data_sources.add_pandas(MARTS_SCHEMA)
    return context


def _run_suite(context: Any, spec: MartSuite, previous_rows: int | None,
               frame: Any) -> ExpectationSuiteValidationResult:
    # One validation definition per mart, each run on its own DataFrame: a Checkpoint hands
    # the same batch parameters (the DataFrame) to all of its definitions.
    asset = context.data_sources.get(MARTS_SCHEMA).add_dataframe_asset(spec.mart)
    batch = asset.add_batch_definition_whole_dataframe(spec.mart)
    suite = context.suites.add(spec.suite(previous_rows))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=spec.mart, data=batch, suite=suite))
    return definition.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_VALUES},
    )


def _failure(mart: str, outcome: ExpectationValidationResult) -> ValidationFailure:
    config = outcome.expectation_config
    kwargs = config.kwargs
    result = outcome.result or {}
    info = outcome.exception_info or {}
    error = info.get("exception_message") if info.get("raised_exception") else None
    return ValidationFailure(
        mart=mart,
        column=_column(kwargs),
        expectation=config.type,
        bound=_bound(kwargs),
        unexpected_count=result.get("unexpected_count"),
        element_count=result.get("element_count"),
        values=tuple(result.get("partial_unexpected_list") or ())[:SAMPLE_VALUES],
        observed=result.get("observed_value"),
        condition=_condition(kwargs),
        error=error,
    )


def _outcome(outcome: ExpectationValidationResult) -> dict[str, Any]:
    """What the page shows of one expectation."""
    config = outcome.expectation_config
    result = outcome.result or {}
    if result.get("unexpected_count") is not None:
        observed = f"{result['unexpected_count']} of {result.get('element_count')} rows unexpected"
        if result.get("partial_unexpected_list"):
            observed += ": " + ", ".join(_show(v) for v in result["partial_unexpected_list"][:SAMPLE_VALUES])
    elif "observed_value" in result:
        observed = _show(result["observed_value"])
    else:
        info = outcome.exception_info or {}
        observed = info.get("exception_message") or ""
    return {
        "success": bool(outcome.success),
        "column": _column(config.kwargs) or "",
        "expectation": config.type,
        "bound": _bound(config.kwargs),
        "condition": _condition(config.kwargs) or "",
        "observed": observed,
        "notes": config.notes or "",
    }


def _missing_outcome() -> dict[str, Any]:
    return {"success": False, "column": "", "expectation": "mart exists", "bound": "", "condition": "",
            "observed": "no such table", "notes": ""}


def _column(kwargs: dict[str, Any]) -> str | None:
    if kwargs.get("column"):
        return kwargs["column"]
    if kwargs.get("column_list"):
        return ", ".join(kwargs["column_list"])
    return None


def _bound(kwargs: dict[str, Any]) -> str:
    """The allowed range as a reader writes it: [0, 1], >= 0, <= 5 on 95% of rows."""
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is None and high is None:
        return ""
    if low is not None and high is not None:
        text = f"[{_show(low)}, {_show(high)}]"
    elif low is not None:
        text = f"{'>' if kwargs.get('strict_min') else '>='} {_show(low)}"
    else:
        text = f"{'<' if kwargs.get('strict_max') else '<='} {_show(high)}"
    mostly = kwargs.get("mostly")
    if mostly is not None and mostly < 1:
        text += f" on {mostly:.0%} of rows"
    return text


def _condition(kwargs: dict[str, Any]) -> str | None:
    condition = kwargs.get("row_condition")
    if not condition:
        return None
    return repr(deserialize_row_condition(condition)).split(" type=")[0].strip("()")


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, dict):
        return "(" + ", ".join(_show(v) for v in value.values()) + ")"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        return f"{float(value):.6g}"
    return str(value)


# The page is self-contained (style inline, no script, no external reference) so that it
# reads from file:// offline: Great Expectations' own Data Docs load Bootstrap, jQuery,
# Vega and Font Awesome from CDNs, which it does not ship. Autoescape is on, as everywhere.
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Validation · salesperf</title>
<style>
body { margin: 0 auto; max-width: 1100px; padding: 1rem 1.25rem 3rem; color: #1f2933; background: #f7f8fa;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #e3e6ea; }
a { color: #2f6fb0; }
table { border-collapse: collapse; width: 100%; font-size: .86rem; background: #fff; }
th, td { padding: .3rem .5rem; border-bottom: 1px solid #e3e6ea; text-align: left; vertical-align: top; }
.ok { color: #2e7d4f; font-weight: 600; } .failed { color: #b3412f; font-weight: 600; }
tr.failed td { background: #fbeeeb; } .muted { color: #5f6b7a; font-size: .85rem; }
ul.marts { columns: 3; padding-left: 1.2rem; overflow-wrap: anywhere; }
@media (max-width: 700px) { ul.marts { columns: 1; } }
.scroll { overflow-x: auto; } td { overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>Mart validation:
  {% if result.ok %}<span class="ok">passed</span>{% else %}<span class="failed">failed</span>{% endif %}</h1>
<p>{{ result.passed }} of {{ result.evaluated }} expectations met on {{ result.marts | length }} marts of
  <code>{{ warehouse }}</code> in {{ "%.1f" | format(result.seconds) }} s ({{ generated }}).
  The results as data: <a href="{{ results_file }}">{{ results_file }}</a>.</p>
{% if result.failures %}
<h2 id="failures">Failures</h2>
<ul>
{% for failure in result.failures %}  <li><a href="#{{ failure.mart }}">{{ failure.mart }}</a>: {{ failure.line() }}</li>
{% endfor %}</ul>
{% endif %}
<h2 id="marts">Marts</h2>
<ul class="marts">
{% for mart in result.marts %}  <li><a href="#{{ mart.mart }}">{{ mart.mart }}</a>
    {% if mart.ok %}<span class="ok">ok</span>{% else %}<span class="failed">failed</span>{% endif %}</li>
{% endfor %}</ul>
{% for mart in result.marts %}
<h2 id="{{ mart.mart }}">{{ mart.mart }}</h2>
<p class="muted">{{ mart.rows if mart.rows is not none else "no" }} rows</p>
<div class="scroll"><table>
<thead><tr><th>Result</th><th>Column</th><th>Expectation</th><th>Allowed</th><th>Rows</th><th>Observed</th><th>Why</th></tr></thead>
<tbody>
{% for o in mart.outcomes %}<tr class="{{ 'passed' if o.success else 'failed' }}">
<td>{{ "ok" if o.success else "failed" }}</td><td>{{ o.column }}</td><td>{{ o.expectation }}</td><td>{{ o.bound }}</td>
<td>{{ o.condition or "all" }}</td><td>{{ o.observed }}</td><td>{{ o.notes }}</td></tr>
{% endfor %}</tbody>
</table></div>
{% endfor %}
</body>
</html>
"""
_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(_PAGE)


def write_docs(result: ValidationResult, docs_dir: Path, source: str) -> Path:
    """The validation page (and the results as JSON beside it) in `docs_dir`: one static
    file with its style inline, so it reads offline from file:// with no other asset."""
    docs_dir = Path(docs_dir)
    docs_dir.mkdir(parents=True, exist_ok=True)
    page = docs_dir / DOCS_PAGE
    page.write_text(_TEMPLATE.render(
        result=result,
        warehouse=source,
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        results_file=DOCS_RESULTS,
    ), encoding="utf-8")
    (docs_dir / DOCS_RESULTS).write_text(json.dumps({
        "ok": result.ok,
        "evaluated": result.evaluated,
        "passed": result.passed,
        "seconds": round(result.seconds, 3),
        "failures": [failure.line() for failure in result.failures],
        "marts": [{"mart": m.mart, "rows": m.rows, "expectations": m.outcomes} for m in result.marts],
    }, indent=2), encoding="utf-8")
    return page


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m salesperf.validation",
                                     description="Validate the marts of a built warehouse before publishing it.")
    parser.add_argument("warehouse", type=Path, help="the DuckDB file just built")
    parser.add_argument("--previous", type=Path, help="the published warehouse, for row-count bounds")
    parser.add_argument("--docs", type=Path, help="folder to write the validation page into")
    args = parser.parse_args(argv)
    result = validate_marts(args.warehouse, previous=args.previous, docs_dir=args.docs)
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
