"""Renders reports/pages/*.md into a static site: each page's named SQL blocks run against
the warehouse (opened read-only), then the page is a jinja2 template (autoescape on) whose
components draw the results, then Markdown becomes HTML inside the site layout.

A page:

    ---
    title: Pipeline
    order: 20
    ---
    # Pipeline

    ```sql pipeline
    select stage_name, sum(open_amount) as open_amount from marts.pipeline_snapshot group by 1
    order by open_amount desc, stage_name
    ```

    {{ bar_chart(pipeline, x='stage_name', y='open_amount', fmt='usd') }}

A block ```metric name` holds `mf query` arguments instead of SQL (`--metrics win_rate
--group-by metric_time__month`): MetricFlow plans it from the semantic manifest of the
build, so a page shows a metric exactly as the semantic layer defines it.

A templated page is a file named with a parameter in brackets, `reps/[rep_id].md`; its front
matter's `each:` query gives one row per page, and the page's queries read that row's values
as DuckDB parameters (`where rep_id = $rep_id`), never spliced into the SQL text.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import mistune
import yaml
from markupsafe import Markup

from salesperf.reports import components
from salesperf.reports.data import Result

# ```sql name            a query against the warehouse, its result bound to `name`
# ```metric name         a MetricFlow query (`mf query` arguments), its result bound to `name`
BLOCK = re.compile(r"^```(sql|metric)[ \t]+([A-Za-z_]\w*)[ \t]*\n(.*?)^```[ \t]*$\n?", re.M | re.S)
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
PARAMETER = re.compile(r"\[([A-Za-z_]\w*)\]")
PLACEHOLDER = "<!--salesperf-component-{}-->"
ASSETS = Path(__file__).parent / "assets"


class ReportError(Exception):
    """A page that cannot be rendered: a bad query, an unknown component argument."""


@dataclass
class Page:
    """One page to write: its source, its output path under the site root, its parameters."""

    source: Path
    path: str  # e.g. "pipeline.html", "reps/005000000000000001.html"
    title: str
    order: int
    params: dict[str, Any] = field(default_factory=dict)
    nav: bool = True
    text: str = ""

    @property
    def root(self) -> str:
        return "../" * self.path.count("/")


@dataclass
class RenderSummary:
    out: Path
    pages: list[str]
    charts: int
    seconds: float
    queries: int


@dataclass
class SiteContext:
    """What every page may read besides its queries: dbt's artifacts and the metric diff."""

    semantic_metrics: list[dict[str, Any]]
    mart_docs: list[dict[str, Any]]
    source_freshness: list[dict[str, Any]]
    metric_diff: dict[str, Any] | None
    generated_at: str
    validation: dict[str, Any] | None = None  # data_docs/validation_results.json of the last run


def _split(text: str) -> tuple[dict[str, Any], str]:
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    return yaml.safe_load(match.group(1)) or {}, text[match.end():]


def discover(pages_dir: Path, con: duckdb.DuckDBPyConnection) -> list[Page]:
    """Every page to render: one per plain file, one per row of a templated file's `each:` query."""
    pages: list[Page] = []
    for source in sorted(pages_dir.rglob("*.md")):
        meta, body = _split(source.read_text())
        relative = source.relative_to(pages_dir).with_suffix(".html").as_posix()
        names = PARAMETER.findall(relative)
        title = str(meta.get("title") or source.stem.replace("_", " ").capitalize())
        order = int(meta.get("order", 100))
        if not names:
            pages.append(Page(source, relative, title, order, nav=meta.get("nav", True), text=body))
            continue
        each = meta.get("each")
        if not each:
            raise ReportError(f"{source}: a templated page needs an `each:` query giving {', '.join(names)}")
        # pages are listed by path, so the `each:` rows may come in any order
        rows = _run(con, "each", each, {}, source, ordered=False)
        for row in rows:
            missing = [n for n in names if n not in row]
            if missing:
                raise ReportError(f"{source}: the `each:` query lacks column(s) {', '.join(missing)}")
            path = PARAMETER.sub(lambda m: _slug(row[m.group(1)]), relative)
            page_title = jinja2.Environment(autoescape=False).from_string(title).render(**row)
            pages.append(Page(source, path, page_title, order, params=dict(row), nav=False, text=body))
    return pages


def _slug(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(value))


def orders_its_rows(sql: str) -> bool:
    """Whether the outermost select ends in an ORDER BY. Comments, quoted text and everything in
    parentheses (subqueries, CTE bodies, window clauses) are taken out first, so an `over (order
    by …)` does not count."""
    text = re.sub(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", " ", sql, flags=re.S)
    while (inner := re.sub(r"\([^()]*\)", " ", text)) != text:
        text = inner
    return re.search(r"\border\s+by\b", text, re.I) is not None


def _run(con: duckdb.DuckDBPyConnection, name: str, sql: str, params: dict[str, Any], source: Path,
         ordered: bool = True) -> Result:
    """The query's result. With `ordered`, a result of several rows must come from a query that
    orders them: otherwise the engine's threads decide the order, and a chart's bars or a sorted
    table's ties would differ from one render to the next."""
    used = {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", sql)}
    try:
        cursor = con.execute(sql, used) if used else con.execute(sql)
        columns = [d[0] for d in cursor.description]
        result = Result.from_tuples(name, columns, cursor.fetchall())
    except duckdb.Error as exc:
        raise ReportError(f"{source}: query {name!r} failed: {str(exc).strip()}") from exc
    if ordered and len(result) > 1 and not orders_its_rows(sql):
        raise ReportError(f"{source}: query {name!r} gives {len(result)} rows in no stated order; end it with an "
                          "`order by` (in a metric block, `--order`) so that every render shows them alike")
    return result


class MetricQueries:
    """```metric blocks planned into SQL by MetricFlow over the build's semantic manifest.
    The engine is made on the first block: a site without one never imports MetricFlow."""

    def __init__(self, target_dir: Path, warehouse: Path) -> None:
        self.target_dir = target_dir
        self.warehouse = warehouse
        self._layer: Any = None
        # a templated page's query is planned once: its parameters are bound, not planned in
        self._planned: dict[str, str] = {}

    def run(self, con: duckdb.DuckDBPyConnection, name: str, arguments: str, page: Page) -> Result:
        from salesperf import semantic_layer  # imported late: MetricFlow takes half a second

        if self._layer is None:
            if not (self.target_dir / semantic_layer.SEMANTIC_MANIFEST).exists():
                raise ReportError(f"{page.source}: metric {name!r} needs {self.target_dir}/"
                                  f"{semantic_layer.SEMANTIC_MANIFEST}; build the project (or dbt parse) first")
            self._layer = semantic_layer.SemanticLayer(self.target_dir, self.warehouse)
        if arguments not in self._planned:
            try:
                self._planned[arguments] = self._layer.sql(semantic_layer.parse_query(arguments))
            except semantic_layer.MetricQueryError as exc:
                raise ReportError(f"{page.source}: metric {name!r}: {exc}") from exc
        result = _run(con, name, self._planned[arguments], page.params, page.source)
        # metric_time comes back as a timestamp at midnight; pages show months and days as dates
        result.rows = [{k: semantic_layer.as_date(v) for k, v in row.items()} for row in result.rows]
        return result


def _markdown() -> mistune.Markdown:
    # escape=False: raw HTML written by the page's author passes; values from the warehouse
    # never reach Markdown unescaped, because jinja2's autoescape has run before.
    return mistune.create_markdown(escape=False, plugins=["table"])


def render_page(page: Page, con: duckdb.DuckDBPyConnection, env: jinja2.Environment, site: SiteContext,
                pages: list[Page], metrics: MetricQueries) -> tuple[str, int, int]:
    """The page as HTML, the number of charts on it and the number of queries it ran."""
    results: dict[str, Result] = {}
    for match in BLOCK.finditer(page.text):
        kind, name, text = match.groups()
        if name in results:
            raise ReportError(f"{page.source}: two blocks are named {name!r}")
        if kind == "metric":
            results[name] = metrics.run(con, name, text, page)
        else:
            results[name] = _run(con, name, text, page.params, page.source)
    body = BLOCK.sub("", page.text)
    pieces: list[Markup] = []

    def placed(function: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Markup:
            try:
                html = function(*args, **kwargs)
            except (KeyError, TypeError) as exc:
                raise ReportError(f"{page.source}: {function.__name__}: {exc}") from exc
            pieces.append(html)
            return Markup("\n\n" + PLACEHOLDER.format(len(pieces) - 1) + "\n\n")
        return call

    token = components.LINK_ROOT.set(page.root)
    try:
        template = env.from_string(body)
        names = {name: placed(f) for name, f in components.COMPONENTS.items() if name != "fmt"}
        text = template.render(**results, **names, fmt=components.fmt, params=page.params, site=site,
                               root=page.root, page=page,
                               page_list=[p for p in pages if p.nav and p.path != "index.html"])
    except jinja2.TemplateError as exc:
        raise ReportError(f"{page.source}: {exc}") from exc
    finally:
        components.LINK_ROOT.reset(token)
    html = _markdown()(text)
    for i, piece in enumerate(pieces):
        marker = PLACEHOLDER.format(i)
        html = re.sub(rf"<p>\s*{re.escape(marker)}\s*</p>", lambda _m, p=piece: str(p), html)
        html = html.replace(marker, str(piece))
    charts = sum(str(p).count('class="chart"') for p in pieces)
    return _layout(env, page, Markup(html), pages, site), charts, len(results)


def _layout(env: jinja2.Environment, page: Page, body: Markup, pages: list[Page], site: SiteContext) -> str:
    nav = [p for p in pages if p.nav]
    return env.get_template("layout.html").render(page=page, body=body, nav=nav, root=page.root, site=site)


def load_site_context(target_dir: Path, diff_path: Path | None, validation_path: Path | None = None) -> SiteContext:
    """Metric definitions from dbt's artifacts, source freshness if it was checked, the latest
    diff, and the latest validation of the marts if a run wrote one."""
    metrics: list[dict[str, Any]] = []
    semantic = target_dir / "semantic_manifest.json"
    if semantic.exists():
        for metric in json.loads(semantic.read_text()).get("metrics", []):
            params = metric.get("type_params") or {}
            measure = (params.get("measure") or {}).get("name") if isinstance(params.get("measure"), dict) else None
            inputs = [m.get("name") for m in params.get("metrics") or []]
            numerator = (params.get("numerator") or {}).get("name")
            denominator = (params.get("denominator") or {}).get("name")
            built_from = ", ".join(filter(None, [measure, *inputs] + (
                [f"{numerator} / {denominator}"] if numerator and denominator else [])))
            metrics.append({"name": metric["name"], "label": metric.get("label") or metric["name"],
                            "type": metric.get("type", ""), "description": (metric.get("description") or "").strip(),
                            "built_from": built_from, "expr": params.get("expr") or ""})
    metrics.sort(key=lambda m: m["name"])
    docs: list[dict[str, Any]] = []
    manifest = target_dir / "manifest.json"
    if manifest.exists():
        nodes = json.loads(manifest.read_text()).get("nodes", {})
        for node in nodes.values():
            if node.get("resource_type") != "model" or node.get("schema", "").split("_")[-1] != "marts":
                continue
            docs.append({"name": node["name"], "description": (node.get("description") or "").strip(),
                         "columns": [{"name": c["name"], "description": (c.get("description") or "").strip()}
                                     for c in node.get("columns", {}).values()]})
    docs.sort(key=lambda d: d["name"])
    freshness: list[dict[str, Any]] = []
    sources = target_dir / "sources.json"
    if sources.exists():
        for result in json.loads(sources.read_text()).get("results", []):
            freshness.append({"source": result.get("unique_id", "").split(".", 2)[-1],
                              "status": result.get("status"), "max_loaded_at": result.get("max_loaded_at"),
                              "age_hours": round(float(result.get("max_loaded_at_time_ago_in_s") or 0) / 3600, 1)})
    diff = None
    if diff_path and diff_path.exists():
        diff = json.loads(diff_path.read_text())
    validation = None
    if validation_path and validation_path.exists():
        validation = json.loads(validation_path.read_text())
    return SiteContext(metrics, docs, freshness, diff, time.strftime("%Y-%m-%d %H:%M"), validation)


def environment(pages_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(pages_dir.parent / "templates"), str(Path(__file__).parent / "templates")]),
        autoescape=True,  # CRM text is data, never markup, in pages as in the layout
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass
class _Renderer:
    """What a process needs to render pages: its own read-only connection, jinja2
    environment and planned metric queries, made once per process."""

    warehouse: Path
    out: Path
    pages_dir: Path
    target_dir: Path
    site: SiteContext
    pages: list[Page]

    def __post_init__(self) -> None:
        self.env = environment(self.pages_dir)
        self.metrics = MetricQueries(self.target_dir, self.warehouse)
        self.con = duckdb.connect(str(self.warehouse), read_only=True)

    def render(self, indices: list[int]) -> list[tuple[str, int, int]]:
        """Write the pages at `indices`; the path, charts and queries of each."""
        done = []
        for i in indices:
            page = self.pages[i]
            html, charts, queries = render_page(page, self.con, self.env, self.site, self.pages, self.metrics)
            target = self.out / page.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html)
            done.append((page.path, charts, queries))
        return done


_renderer: _Renderer | None = None  # the worker process's renderer


def _start_worker(*state: Any) -> None:
    global _renderer
    _renderer = _Renderer(*state)


def _render_in_worker(indices: list[int]) -> list[tuple[str, int, int]]:
    assert _renderer is not None
    return _renderer.render(indices)


# Charts cost about a tenth of a second each (matplotlib draws every one twice, to fit it and
# to write it), so a site of dozens of pages renders on every core, in batches of a few pages.
PAGES_PER_BATCH = 4
PARALLEL_FROM_PAGES = 16


def render_site(warehouse: Path, out: Path, pages_dir: Path, target_dir: Path,
                diff_path: Path | None = None, progress: Any = None, workers: int | None = None) -> RenderSummary:
    """Render every page of `pages_dir` into `out`, with assets/site.css and sort.js beside them,
    on `workers` processes (default: one per core, for a site large enough to gain from it)."""
    started = time.monotonic()
    site = load_site_context(target_dir, diff_path, out / "data_docs" / "validation_results.json")
    out.mkdir(parents=True, exist_ok=True)
    (out / "assets").mkdir(exist_ok=True)
    for asset in ("site.css", "sort.js"):
        (out / "assets" / asset).write_text((ASSETS / asset).read_text())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        pages = discover(pages_dir, con)
    pages.sort(key=lambda p: (p.order, p.path))
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(pages) >= PARALLEL_FROM_PAGES else 1
    batches = [list(range(i, min(i + PAGES_PER_BATCH, len(pages)))) for i in range(0, len(pages), PAGES_PER_BATCH)]
    state = (warehouse, out, pages_dir, target_dir, site, pages)
    results: list[tuple[str, int, int]] = []

    def collect(done: list[tuple[str, int, int]]) -> None:
        results.extend(done)
        for path, _, _ in done:
            if progress:
                progress(path)

    if workers <= 1:
        renderer = _Renderer(*state)
        try:
            for batch in batches:
                collect(renderer.render(batch))
        finally:
            renderer.con.close()
    else:
        # spawn, not fork: a forked child would inherit DuckDB's and MetricFlow's state mid-use
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=state) as pool:
            for done in pool.map(_render_in_worker, batches):
                collect(done)
    order = {page.path: i for i, page in enumerate(pages)}
    results.sort(key=lambda r: order[r[0]])
    return RenderSummary(out, [r[0] for r in results], sum(r[1] for r in results), time.monotonic() - started,
                         sum(r[2] for r in results))
