"""The report site in a real browser: headless Chromium opens every page from disk.

The checker (site_check.py) is tried on a small hand-written site that follows the
report's layout, which must pass, then on copies of it with one fault each, which must
each be reported (and nothing else). Last, the demo warehouse's report, rendered by
`salesperf report`, must pass; its screenshots land in reports/output/screenshots/. Its
tables sort on a click of a header, and read in their stated order with JavaScript off.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from salesperf.settings import PROJECT_ROOT
from tests.python.helpers import reader_copy
from tests.python.site_check import LAPTOP, PHONE, check_site

SCREENSHOTS = PROJECT_ROOT / "reports" / "output" / "screenshots"

CSS = """
* { box-sizing: border-box; }
body { font-family: sans-serif; margin: 0 auto; padding: 1rem; max-width: 72rem; }
nav a { margin-right: 1rem; }
.chart svg { display: block; width: 100%; height: auto; }
.table-wrap { overflow-x: auto; }
"""

CHART = """<figure class="chart" id="{id}">
  <svg viewBox="0 0 300 120" role="img" aria-label="Won amount by month">
    <rect x="10" y="40" width="60" height="80" data-value="40000"><title>Jan: 40,000</title></rect>
    <rect x="90" y="20" width="60" height="100" data-value="50000"><title>Feb: 50,000</title></rect>
    <rect x="170" y="60" width="60" height="60" data-value="30000"><title>Mar: 30,000</title></rect>
  </svg>
  <figcaption>Won amount by month</figcaption>
</figure>"""


def page(title: str, root: str, body: str) -> str:
    """One page of the fake site; `root` is the relative way back to the site's root."""
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="stylesheet" href="{root}assets/site.css">
  <link rel="icon" href="{root}assets/logo.svg">
</head>
<body>
  <nav><a href="{root}index.html">Team</a><a href="{root}pipeline.html">Pipeline</a>
  <a href="{root}reps/r01.html">Ana</a></nav>
  <h1 id="top">{title}</h1>
  {body}
</body>
</html>
"""


def write_site(folder: Path) -> Path:
    """index.html, pipeline.html and reps/r01.html with the report's layout."""
    (folder / "assets").mkdir(parents=True)
    (folder / "reps").mkdir()
    (folder / "assets" / "site.css").write_text(CSS)
    (folder / "assets" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><circle cx="16" cy="16" r="14"/></svg>'
    )
    wide_table = "<div class='table-wrap'><table><tr>" + "".join(
        f"<td data-value='{n}'>{n:,}</td>" for n in range(1000, 1300, 10)
    ) + "</tr></table></div>"
    (folder / "index.html").write_text(page("Team", "", f"""
  <img src="assets/logo.svg" alt="logo" width="32" height="32">
  <p>Attainment <span data-value="0.93">93%</span>. <a href="pipeline.html#stages">Stages</a></p>
  {CHART.format(id="won")}
  {wide_table}
  <a href="#top">Back to top</a>"""))
    (folder / "pipeline.html").write_text(page("Pipeline", "", f"""
  <h2 id="stages">Stages</h2>
  {CHART.format(id="pipeline")}"""))
    (folder / "reps" / "r01.html").write_text(page("Ana", "../", f"""
  <p><a href="../index.html#won">Back to the team</a></p>
  {CHART.format(id="rep")}"""))
    return folder


def test_a_good_site_passes(chromium_driver: Any, tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    report = check_site(site, tmp_path / "shots", driver=chromium_driver)
    assert report.ok, report.summary()
    assert report.pages == ["index.html", "pipeline.html", "reps/r01.html"]
    expected = {
        tmp_path / "shots" / name
        for name in ("index.png", "index.phone.png", "pipeline.png", "pipeline.phone.png",
                     "reps/r01.png", "reps/r01.phone.png")
    }
    assert set(report.screenshots) == expected
    for shot in expected:
        assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), shot


def replace_in(path: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(site: Path) -> None:
        text = (site / path).read_text()
        assert old in text, f"{old!r} is not in {path}"
        (site / path).write_text(text.replace(old, new, 1))
    return edit


def append_to(path: str, html: str) -> Callable[[Path], None]:
    return replace_in(path, "</body>", f"{html}\n</body>")


BOTH = (LAPTOP.name, PHONE.name)

FAULTS = {
    "script error": (
        append_to("pipeline.html", "<script>undefinedChartHelper();</script>"),
        {("pipeline.html", v, "console") for v in BOTH},
        "undefinedChartHelper",
    ),
    "console.error": (
        append_to("index.html", "<script>console.error('no data for Q3')</script>"),
        {("index.html", v, "console") for v in BOTH},
        "no data for Q3",
    ),
    "broken link": (
        append_to("reps/r01.html", '<a href="r02.html">Ben</a>'),
        {("reps/r01.html", LAPTOP.name, "link")},
        "'r02.html' does not exist",
    ),
    "link to a missing id": (
        replace_in("reps/r01.html", "../index.html#won", "../index.html#lost"),
        {("reps/r01.html", LAPTOP.name, "link")},
        "no element with id 'lost'",
    ),
    "root-relative link": (
        append_to("pipeline.html", '<a href="/index.html">Home</a>'),
        {("pipeline.html", LAPTOP.name, "link")},
        "root-relative",
    ),
    "link to a folder": (
        append_to("index.html", '<a href="reps/">Reps</a>'),
        {("index.html", LAPTOP.name, "link")},
        "is a folder",
    ),
    "missing stylesheet": (
        replace_in("reps/r01.html", "../assets/site.css", "assets/site.css"),
        {("reps/r01.html", v, kind) for v in BOTH for kind in ("asset", "console")},
        "'assets/site.css' does not exist",
    ),
    "missing image": (
        append_to("pipeline.html", '<img src="assets/funnel.png" alt="funnel">'),
        {("pipeline.html", v, kind) for v in BOTH for kind in ("asset", "console")},
        "'assets/funnel.png' does not exist",
    ),
    "zero-size chart": (
        append_to("pipeline.html", '<div class="chart"><svg width="0" height="0" style="width:0;height:0"></svg></div>'),
        {("pipeline.html", v, "chart") for v in BOTH},
        "has no area",
    ),
    "chart with no height": (
        append_to("index.html", '<div class="chart"><svg style="height:0"><rect width="9" height="9"/></svg></div>'),
        {("index.html", v, "chart") for v in BOTH},
        "has no area",
    ),
    "chart without svg": (
        append_to("reps/r01.html", '<div class="chart"><p>Chart unavailable</p></div>'),
        {("reps/r01.html", v, "chart") for v in BOTH},
        "holds no <svg>",
    ),
    "wide at phone width": (
        append_to("pipeline.html", '<table style="width:600px"><tr><td>Stage</td><td>Deals</td></tr></table>'),
        {("pipeline.html", PHONE.name, "overflow")},
        "scrollWidth",
    ),
    "wide at laptop width": (
        append_to("index.html", '<div class="banner" style="width:1500px">Quarter close</div>'),
        {("index.html", v, "overflow") for v in BOTH},
        "div.banner",
    ),
    "no viewport meta": (
        replace_in("pipeline.html", '<meta name="viewport" content="width=device-width, initial-scale=1">', ""),
        {("pipeline.html", PHONE.name, "overflow")},
        "lays out 980 px wide",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_is_reported(fault: str, chromium_driver: Any, tmp_path: Path) -> None:
    edit, expected, words = FAULTS[fault]
    site = write_site(tmp_path / "site")
    edit(site)
    report = check_site(site, None, driver=chromium_driver)
    assert {(p.page, p.viewport, p.kind) for p in report.problems} == expected, report.summary()
    assert any(words in p.detail for p in report.problems), report.summary()


def test_a_site_without_index_is_reported(chromium_driver: Any, tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    (site / "index.html").rename(site / "home.html")
    report = check_site(site, None, driver=chromium_driver)
    assert ("index.html", "page") in {(p.page, p.kind) for p in report.problems}, report.summary()


@pytest.fixture(scope="module")
def demo_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse's report, rendered by `salesperf report` from a readable copy."""
    path, summary = request.getfixturevalue("built_demo")
    assert summary.success, summary
    target: Path = request.getfixturevalue("demo_dbt_target")
    from salesperf.cli import main

    folder = tmp_path_factory.mktemp("browser_site")
    out = folder / "site"
    copy = reader_copy(path, folder / "warehouse")
    from salesperf.validation import validate_marts

    # what a run writes beside the pages: the validation of the marts, linked from data quality
    assert validate_marts(copy, docs_dir=out / "data_docs").ok
    assert main(["report", "--duckdb", str(copy), "--out", str(out), "--target-path", str(target)]) == 0
    return out


def test_demo_report_site_in_browser(demo_site: Path, chromium_driver: Any) -> None:
    out = demo_site
    assert (out / "index.html").is_file()
    assert (out / "assets" / "site.css").is_file()
    assert list((out / "reps").glob("*.html")), "no rep pages under reps/"
    assert 'href="data_docs/index.html"' in (out / "data_quality.html").read_text()
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    report = check_site(out, SCREENSHOTS, driver=chromium_driver)
    assert report.ok, report.summary()
    assert report.screenshots


# The rows of the table of query `reps` as the page now shows them: column -> data-value.
ROWS = """
const table = document.querySelector('div.table[data-query="reps"] table');
return [...table.tBodies[0].rows].map(row => Object.fromEntries(
    [...row.cells].map(cell => [cell.getAttribute('data-column'), cell.getAttribute('data-value')])));
"""


def _header(driver: Any, column: str) -> Any:
    from selenium.webdriver.common.by import By

    table = driver.find_element(By.CSS_SELECTOR, 'div.table[data-query="reps"]')
    headers = table.find_elements(By.CSS_SELECTOR, "thead th")
    cells = table.find_elements(By.CSS_SELECTOR, "tbody tr:first-child td")
    return headers[[c.get_attribute("data-column") for c in cells].index(column)]


def _numbers(rows: list[dict[str, str]], column: str) -> list[float]:
    """The column's numbers in the order shown; empty cells must come last."""
    values = [row[column] for row in rows]
    filled = [v for v in values if v != ""]
    assert values == filled + [""] * (len(values) - len(filled)), f"empty {column} cells are not last"
    return [float(v) for v in filled]


def _same_rows(a: list[dict[str, str]], b: list[dict[str, str]]) -> bool:
    return sorted(map(lambda r: sorted(r.items()), a)) == sorted(map(lambda r: sorted(r.items()), b))


def test_tables_sort_on_a_click_and_read_in_order_without_javascript(demo_site: Path, chromium_driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver = chromium_driver
    page = (demo_site / "ltv.html").as_uri()
    driver.get_log("browser")  # drop what an earlier page left
    driver.get(page)
    served = driver.execute_script(ROWS)
    assert len(served) >= 5
    ratios = _numbers(served, "ltv_to_cost_ratio")
    assert ratios == sorted(ratios, reverse=True), "the table comes pre-sorted, largest first"
    assert len(set(r["customers_acquired"] for r in served)) > 2, "too few distinct values to see a sort"

    customers = _header(driver, "customers_acquired")
    customers.find_element(By.CSS_SELECTOR, "button.sort").click()
    rows = driver.execute_script(ROWS)
    assert _numbers(rows, "customers_acquired") == sorted(_numbers(rows, "customers_acquired"), reverse=True)
    assert rows != served and _same_rows(rows, served), "whole rows move, none lost"
    assert customers.get_attribute("aria-sort") == "descending"
    assert _header(driver, "ltv_to_cost_ratio").get_attribute("aria-sort") is None
    note = driver.find_element(By.CSS_SELECTOR, 'div.table[data-query="reps"] .sort-note').text
    assert "customers acquired" in note and "largest first" in note, note

    customers.find_element(By.CSS_SELECTOR, "button.sort").click()
    rows = driver.execute_script(ROWS)
    assert _numbers(rows, "customers_acquired") == sorted(_numbers(rows, "customers_acquired"))
    assert customers.get_attribute("aria-sort") == "ascending" and _same_rows(rows, served)

    _header(driver, "rep_name").find_element(By.CSS_SELECTOR, "button.sort").click()
    rows = driver.execute_script(ROWS)
    names = [r["rep_name"] for r in rows]
    assert names == sorted(names, key=str.lower) and _same_rows(rows, served)
    errors = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors

    # Without JavaScript the page still reads: the table in its stated order, the charts drawn,
    # the headers plain text.
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        driver.get(page)
        headers = driver.find_elements(By.CSS_SELECTOR, 'div.table[data-query="reps"] thead th')
        assert headers and not driver.find_elements(By.CSS_SELECTOR, "button.sort")
        cells = driver.find_elements(By.CSS_SELECTOR, 'div.table[data-query="reps"] td[data-column="ltv_to_cost_ratio"]')
        assert [c.get_attribute("data-value") for c in cells] == [r["ltv_to_cost_ratio"] for r in served]
        charts = driver.find_elements(By.CSS_SELECTOR, "figure.chart svg")
        assert charts and all(c.size["width"] > 0 and c.size["height"] > 0 for c in charts)
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
