"""The report site: every page renders from the small demo, CRM text stays text, every number
shown equals the mart value it shows (metric blocks planned by MetricFlow included), empty
results say "No data", and links resolve."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest

from salesperf.dbt_build import BuildSummary, dbt_vars
from salesperf.reports import components, render_site
from salesperf.reports.data import Result
from salesperf.settings import REPORTS_PAGES
from tests.python.helpers import SMALL_DEMO_AS_OF, reader_copy

SCRIPT = "<script>alert(1)</script>"


class Page(HTMLParser):
    """The parts of a page the tests read: elements by tag, links, data-value attributes, text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.figures: list[list[tuple[str, dict[str, str | None]]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = (tag, dict(attrs))
        self.tags.append(element)
        if tag == "figure":
            self.figures.append([])
        elif self.figures and any(t == "figure" for t, _ in self.stack):
            self.figures[-1].append(element)
        if tag not in ("meta", "link", "br", "img", "input", "path", "use", "rect", "circle", "line"):
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag]


@pytest.fixture(scope="module")
def site(built_demo: tuple[Path, BuildSummary], demo_dbt_target: Path,
         tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo site, rendered once, and the warehouse it was rendered from."""
    warehouse, summary = built_demo
    assert summary.success
    out = tmp_path_factory.mktemp("site")
    copy = reader_copy(warehouse, out.parent / f"{out.name}_warehouse")
    render_site(copy, out, REPORTS_PAGES, demo_dbt_target)
    return out, copy


def _only_the_sort_script(page: Page, name: str) -> None:
    """The one script a page may hold is the site's own table sorter, loaded from its file:
    no inline script, so CRM text can never become one."""
    scripts = page.all("script")
    assert scripts, f"{name} lost its table sorter"
    for attrs in scripts:
        assert (attrs.get("src") or "").endswith("assets/sort.js"), f"{name} has a script element {attrs}"


def _pages(out: Path) -> dict[str, Page]:
    return {p.relative_to(out).as_posix(): Page(p.read_text()) for p in sorted(out.rglob("*.html"))}


def test_every_page_renders_with_resolving_links_and_sized_charts(site: tuple[Path, Path]) -> None:
    out, warehouse = site
    pages = _pages(out)
    expected = {"index.html", "team_overview.html", "pipeline.html", "activity.html", "follow_ups.html",
                "quota.html", "ltv.html", "data_quality.html", "definitions.html", "metric_diff.html"}
    assert expected <= set(pages)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        reps = {r for (r,) in con.execute("select rep_id from marts.dim_reps where is_rep").fetchall()}
    assert {f"reps/{rep}.html" for rep in reps} <= set(pages)
    assert any(name.startswith("teams/") for name in pages)
    assert (out / "assets" / "site.css").is_file() and (out / "assets" / "sort.js").is_file()
    charts = 0
    for name, page in pages.items():
        for attrs in page.all("a") + page.all("link"):
            href = attrs.get("href") or ""
            assert not urlparse(href).scheme and not href.startswith("/"), f"{name}: link {href} is not relative"
            target = href.split("#")[0]
            if target:
                assert (out / name).parent.joinpath(target).resolve().is_file(), f"{name}: {href} leads nowhere"
        _only_the_sort_script(page, name)
        for figure in page.figures:
            svgs = [attrs for tag, attrs in figure if tag == "svg"]
            assert svgs, f"{name}: a chart without an svg"
            assert svgs[0].get("viewbox") or (svgs[0].get("width") and svgs[0].get("height")), name
            charts += 1
    for attrs in (a for p in pages.values() for a in p.all("figure")):
        assert "chart" in (attrs.get("class") or "")
    assert charts > 20


def test_pages_rendered_on_several_processes_equal_those_rendered_on_one(site: tuple[Path, Path],
                                                                        demo_dbt_target: Path, tmp_path: Path) -> None:
    out, warehouse = site
    alone = tmp_path / "one_process"
    summary = render_site(warehouse, alone, REPORTS_PAGES, demo_dbt_target, workers=1)
    assert sorted(summary.pages) == sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))

    def content(html: str) -> str:
        # chart ids are numbered per process, the footer says the minute of rendering
        html = re.sub(r"\bc\d+-[\w.-]+", "c-id", html)
        return re.sub(r"<footer.*?</footer>", "", html, flags=re.S)

    for name in summary.pages:
        assert content((alone / name).read_text()) == content((out / name).read_text()), name


def test_crm_text_renders_as_text(built_demo: tuple[Path, BuildSummary], demo_dbt_target: Path,
                                  tmp_path: Path) -> None:
    warehouse, _ = built_demo
    copy = reader_copy(warehouse, tmp_path / "hostile")
    with duckdb.connect(str(copy)) as con:
        opportunity_id, account_id, rep_id = con.execute(
            "select opportunity_id, account_id, rep_id from marts.stale_opportunities limit 1").fetchone()
        con.execute("update marts.dim_accounts set account_name = ? where account_id = ?", [SCRIPT, account_id])
        con.execute("update marts.fct_opportunities set opportunity_name = ? where opportunity_id = ?",
                    [SCRIPT + " deal", opportunity_id])
        con.execute("update marts.dim_reps set rep_name = ? where rep_id = ?", [SCRIPT + " rep", rep_id])
    out = tmp_path / "site"
    render_site(copy, out, REPORTS_PAGES, demo_dbt_target)
    for name in ("pipeline.html", f"reps/{rep_id}.html", "activity.html", "index.html"):
        page = Page((out / name).read_text())
        _only_the_sort_script(page, name)
        if name != "index.html":
            assert any(SCRIPT in text for text in page.text), f"{name} lost the CRM text"
    pipeline = Page((out / "pipeline.html").read_text())
    assert any(SCRIPT + " deal" in t for t in pipeline.text)


def _cells(html: str, query: str) -> list[dict[str, str]]:
    """Rows of the data_table of one query: column -> data-value."""
    page = Page(html)
    rows: list[dict[str, str]] = []
    inside = False
    for tag, attrs in page.tags:
        if tag == "div" and attrs.get("data-component") == "data_table":
            inside = attrs.get("data-query") == query
        elif inside and tag == "tr":
            rows.append({"_key": attrs.get("data-key") or ""})
        elif inside and tag == "td":
            rows[-1][attrs["data-column"] or ""] = attrs.get("data-value") or ""
    return [r for r in rows if len(r) > 1]


def _close(shown: str, value: object) -> bool:
    if value is None:
        return shown == ""
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return abs(float(shown) - float(value)) <= 1e-9 * max(1.0, abs(float(value)))
    return shown == str(value)


def test_numbers_on_pages_equal_the_marts(site: tuple[Path, Path]) -> None:
    out, warehouse = site
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stale = {r[0]: r[1:] for r in con.execute(
            "select opportunity_id, amount, days_in_stage, stale_after_days from marts.stale_opportunities").fetchall()}
        ltv = {r[0]: r[1:] for r in con.execute(
            "select rep_id, total_customer_ltv, ltv_to_cost_ratio, customers_acquired from marts.rep_ltv"
            " where is_all_time").fetchall()}
        rep_names = dict(con.execute("select rep_name, rep_id from marts.dim_reps").fetchall())
        required = {r[0]: r[1] for r in con.execute(
            "select rep_id, calls_needed_per_working_day from marts.rep_required_activity").fetchall()}
        org = con.execute(
            "select sum(actual_value) from marts.quota_attainment where scope = 'team' and quota_type = 'revenue'"
            " and period_type = 'quarter' and period_state = 'current'").fetchone()[0]
        rep, revenue = con.execute(
            "select rep_id, revenue from marts.rep_scorecard_monthly"
            " where month_start = (select max(month_start) from marts.rep_scorecard_monthly) and rep_id in"
            " (select rep_id from marts.dim_reps where is_rep) order by revenue desc limit 1").fetchone()

    rows = _cells((out / "pipeline.html").read_text(), "stale")
    assert len(rows) == len(stale)
    for row in rows:
        amount, days, after = stale[row["_key"]]
        assert _close(row["amount"], amount) and _close(row["days_in_stage"], days)
        assert _close(row["days_over"], days - after)
    rows = _cells((out / "ltv.html").read_text(), "reps")
    assert len(rows) == len(ltv)
    for row in rows:
        total, ratio, customers = ltv[rep_names[row["rep_name"]]]
        assert _close(row["total_customer_ltv"], total) and _close(row["ltv_to_cost_ratio"], ratio)
        assert _close(row["customers_acquired"], customers)
    for row in _cells((out / "activity.html").read_text(), "required"):
        assert _close(row["calls_needed_per_working_day"], required[rep_names[row["rep_name"]]])
    index = Page((out / "index.html").read_text())
    shown = [a["data-value"] for t, a in index.tags
             if t == "p" and a.get("class") == "value" and a.get("data-value") is not None]
    assert any(_close(v, org) for v in shown if v)
    rep_page = Page((out / f"reps/{rep}.html").read_text())
    values = [a.get("data-value") for t, a in rep_page.tags if t == "p" and a.get("class") == "value"]
    assert _close(values[0] or "", revenue)


def _closed_by_month(rows: list[tuple]) -> dict[str, dict[str, float | None]]:
    """What the win-rate metrics give per close month, worked out from the mart's counts and
    amounts: months without a closed deal have no row."""
    out: dict[str, dict[str, float | None]] = {}
    for month, won, lost, won_amount, lost_amount in rows:
        if won + lost == 0:
            continue
        closed_amount = float(won_amount) + float(lost_amount)
        out[month.isoformat()] = {
            "won_opportunities": won, "lost_opportunities": lost, "win_rate": won / (won + lost),
            "amount_win_rate": float(won_amount) / closed_amount if closed_amount else None,
        }
    return out


def test_metric_blocks_equal_the_marts(site: tuple[Path, Path]) -> None:
    """The team's win rate trend and each rep's closed deals come from ```metric blocks
    (MetricFlow over the semantic manifest); the rep page's query binds the rep as a parameter."""
    out, warehouse = site
    monthly = ("select month_start, sum(won), sum(lost), sum(won_amount), sum(lost_amount)"
               " from marts.rep_win_rate_monthly {} group by 1")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        team = _closed_by_month(con.execute(monthly.format("")).fetchall())
        reps = [r for (r,) in con.execute("select rep_id from marts.dim_reps where is_rep order by rep_id").fetchall()]
        per_rep = {rep: _closed_by_month(con.execute(monthly.format("where rep_id = $rep"), {"rep": rep}).fetchall())
                   for rep in reps}

    def shown(page: str, query: str) -> dict[str, dict[str, str]]:
        rows = _cells((out / page).read_text(), query)
        return {row.pop("metric_time__month"): row for row in rows}

    rows = shown("team_overview.html", "win_rate")
    assert set(rows) == set(team) and len(team) >= 5
    for month, row in rows.items():
        for column in ("won_opportunities", "lost_opportunities", "win_rate"):
            assert _close(row[column], team[month][column]), (month, column)
    checked = 0
    for rep in reps:
        rows = shown(f"reps/{rep}.html", "closed")
        assert set(rows) == set(per_rep[rep]), rep
        for month, row in rows.items():
            for column, value in per_rep[rep][month].items():
                assert _close(row[column], value), (rep, month, column)
                checked += 1
    assert checked > 100


def test_a_bad_metric_block_names_the_page_and_the_problem(site: tuple[Path, Path], demo_dbt_target: Path,
                                                             tmp_path: Path) -> None:
    from salesperf.reports import ReportError

    _, warehouse = site
    cases = {
        "--metrics no_such_metric --group-by metric_time__month": "no_such_metric",
        "--metrics win_rate --group-by no_such_dimension": "no_such_dimension",
        "--metrics win_rate --limit many": "--limit",
        "--group-by metric_time__month": "--metrics",
    }
    for arguments, words in cases.items():
        pages = tmp_path / f"pages{len(words)}{abs(hash(arguments))}"
        pages.mkdir()
        (pages / "bad.md").write_text(f"# Bad\n\n```metric trend\n{arguments}\n```\n\n{{{{ data_table(trend) }}}}\n")
        with pytest.raises(ReportError) as failure:
            render_site(warehouse, tmp_path / "out", pages, demo_dbt_target)
        message = str(failure.value)
        assert "bad.md" in message and "'trend'" in message and words in message, message
    pages = tmp_path / "no_manifest"
    pages.mkdir()
    (pages / "p.md").write_text("```metric trend\n--metrics win_rate\n```\n")
    with pytest.raises(ReportError, match="semantic_manifest.json"):
        render_site(warehouse, tmp_path / "out", pages, tmp_path / "empty_target")


def test_a_query_of_several_rows_must_order_them(site: tuple[Path, Path], demo_dbt_target: Path,
                                                tmp_path: Path) -> None:
    """Rows in no stated order come in whatever order DuckDB's threads finish: a chart drew its
    bars in another order from one render to the next. The renderer refuses such a query; one
    row needs no order."""
    from salesperf.reports import ReportError

    _, warehouse = site
    pages = tmp_path / "pages"
    pages.mkdir()
    unordered = "select rep_id, rep_name from marts.dim_reps where is_rep"
    (pages / "reps.md").write_text(f"```sql reps\n{unordered}\n```\n\n{{{{ data_table(reps) }}}}\n")
    with pytest.raises(ReportError) as failure:
        render_site(warehouse, tmp_path / "out", pages, demo_dbt_target)
    message = str(failure.value)
    assert "reps.md" in message and "'reps'" in message and "order by" in message, message
    with duckdb.connect(str(warehouse), read_only=True) as con:
        reps = con.execute(f"select count(*) from ({unordered})").fetchone()[0]
    assert f"gives {reps} rows" in message

    (pages / "reps.md").write_text(f"```sql reps\n{unordered} order by rep_name\n```\n\n```sql one\n"
                                   "select count(*) as reps from marts.dim_reps\n```\n\n{{ data_table(reps) }}\n")
    summary = render_site(warehouse, tmp_path / "out", pages, demo_dbt_target)
    assert summary.pages == ["reps.html"]


@pytest.mark.parametrize(("sql", "ordered"), [
    ("select a from t order by a", True),
    ("SELECT a FROM t\nORDER  BY a DESC LIMIT 5", True),
    ("select a from t order by coalesce(a, 0)", True),
    ("with x as (select a from t order by a) select a from x", False),
    ("select a, lag(a) over (order by b) as p from t", False),
    ("select a from (select a from t order by a) as s", False),
    ("select a from t -- order by a", False),
    ("select a from t where note = 'order by'", False),
    ("select 1 as o, 'x' as s union all select 2, 'y' order by o", True),
    ("select a from t where a in (select b from u) order by a", True),
])
def test_an_order_by_counts_only_on_the_outermost_select(sql: str, ordered: bool) -> None:
    from salesperf.reports.engine import orders_its_rows

    assert orders_its_rows(sql) is ordered


def test_source_freshness_shows_on_the_data_quality_page(built_demo: tuple[Path, BuildSummary],
                                                          demo_dbt_target: Path, tmp_path: Path) -> None:
    """Loads two and five days old make account warn and task fail against the sources'
    thresholds (warn after 1 day, error after 3); the page lists every checked table."""
    import shutil
    from datetime import datetime, timedelta, timezone

    from salesperf.dbt_build import source_freshness

    warehouse, _ = built_demo
    copy = reader_copy(warehouse, tmp_path / "stale")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with duckdb.connect(str(copy)) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.columns where table_schema = 'raw'"
            " and column_name = '_loaded_at'").fetchall()]
        for table in tables:
            con.execute(f'update raw."{table}" set _loaded_at = ?', [now - timedelta(minutes=30)])
        con.execute("update raw.account set _loaded_at = ?", [now - timedelta(days=2)])
        con.execute("update raw.task set _loaded_at = ?", [now - timedelta(days=5)])
    target = tmp_path / "target"
    shutil.copytree(demo_dbt_target, target)
    statuses = source_freshness(dbt_vars(as_of=SMALL_DEMO_AS_OF), database=copy, target_path=target)
    checked = {"account", "opportunity", "opportunity_history", "opportunity_line_item", "task", "event", "lead"}
    assert statuses == {t: "warn" if t == "account" else "error" if t == "task" else "pass" for t in checked}
    out = tmp_path / "site"
    render_site(copy, out, REPORTS_PAGES, target)
    page = (out / "data_quality.html").read_text()
    rows = dict(re.findall(r"<tr><td>crm\.(\w+)</td><td>([\w ]+)</td>", page))
    assert rows == statuses
    hours = re.search(r"<td>crm\.task</td>.*?data-value=\"([\d.]+)\"", page).group(1)
    assert abs(float(hours) - 120) < 1


def test_empty_results_say_no_data() -> None:
    empty = Result("nothing", ["month_start", "value", "previous", "stage"])
    for html in (
        components.bar_chart(empty, x="stage", y="value"),
        components.line_chart(empty, x="month_start", y="value"),
        components.area_chart(empty, x="month_start", y="value", series="stage"),
        components.funnel(empty, stage="stage", value="value"),
        components.big_value(empty, "value", comparison="previous"),
        components.gauge(empty, "value", target="previous"),
        components.data_table(empty, sort="value"),
    ):
        assert "No data" in html and "<svg" not in html


def test_a_warehouse_without_quotas_renders_no_data(built_demo: tuple[Path, BuildSummary],
                                                      demo_dbt_target: Path, tmp_path: Path) -> None:
    warehouse, _ = built_demo
    copy = reader_copy(warehouse, tmp_path / "no_quota")
    with duckdb.connect(str(copy)) as con:
        for table in ("quota_attainment", "rep_combined_quota", "quota_plan", "rep_required_activity"):
            con.execute(f"delete from marts.{table}")
    out = tmp_path / "site"
    render_site(copy, out, REPORTS_PAGES, demo_dbt_target)
    quota = Page((out / "quota.html").read_text())
    empty = [a for a in quota.all("div") if a.get("class") == "no-data"]
    assert len(empty) >= 4
    assert not quota.figures
    overview = Page((out / "team_overview.html").read_text())
    assert any(a.get("data-component") == "gauge" for a in overview.all("div") if a.get("class") == "no-data")


def test_exposures_list_the_marts_each_page_reads(demo_dbt_target: Path, site: tuple[Path, Path]) -> None:
    """A page reads the marts its SQL names and those MetricFlow's SQL for its metric blocks reads."""
    import yaml

    from salesperf.reports.engine import BLOCK
    from salesperf.semantic_layer import SemanticLayer, parse_query
    from salesperf.settings import PROJECT_ROOT

    exposures = yaml.safe_load((PROJECT_ROOT / "models" / "exposures.yml").read_text())["exposures"]
    declared = {e["name"]: {m for d in e["depends_on"] for m in re.findall(r"ref\('(\w+)'\)", d)} for e in exposures}
    declared_metrics = {e["name"]: {m for d in e["depends_on"] for m in re.findall(r"metric\('(\w+)'\)", d)}
                        for e in exposures}
    sources = {"index": "home", "reps/[rep_id]": "rep_pages", "teams/[team_id]": "team_pages"}
    layer = SemanticLayer(demo_dbt_target, site[1])
    for page in REPORTS_PAGES.rglob("*.md"):
        name = page.relative_to(REPORTS_PAGES).with_suffix("").as_posix()
        text = page.read_text()
        read = set(re.findall(r"marts\.(\w+)", BLOCK.sub("", text)))
        metrics: set[str] = set()
        for kind, _, body in BLOCK.findall(text):
            sql = body if kind == "sql" else layer.sql(parse_query(body))
            read |= set(re.findall(r'marts"?\."?(\w+)', sql))
            if kind == "metric":
                metrics |= set(parse_query(body).metric_names or [])
        if not read:
            continue
        exposure = sources.get(name, name)
        assert declared_metrics.get(exposure, set()) == metrics, f"{page.name}: exposure {exposure} metrics"
        assert declared.get(exposure) == read, f"{page.name}: exposure {exposure} should list {sorted(read)}"
