"""The report site in a real browser: headless Chromium opens every page from disk.

The checker (site_check.py) is tried on a small hand-written site that follows the
report's layout, which must pass, then on copies of it with one fault each, which must
each be reported (and nothing else). Last, the demo warehouse's report, rendered by
`salesperf report`, must pass; its screenshots land in reports/output/screenshots/.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from salesperf.dbt_build import BuildSummary
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


def _has_command(name: str) -> bool:
    from salesperf import cli

    commands = [a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return any(name in action.choices for action in commands)


# Needs `salesperf report` (the static report site), built on another branch: until the
# two meet this test fails saying the command is missing. It must pass once they are merged.
def test_demo_report_site_in_browser(request: pytest.FixtureRequest, chromium_driver: Any, tmp_path: Path) -> None:
    if not _has_command("report"):
        pytest.fail(
            "`salesperf report` is missing: the browser check of the demo report site needs the"
            " report command (salesperf report --duckdb FILE --out FOLDER)",
            pytrace=False,
        )
    built: tuple[Path, BuildSummary] = request.getfixturevalue("built_demo")  # the demo build, once the command is there
    path, summary = built
    assert summary.success, summary
    target: Path = request.getfixturevalue("demo_dbt_target")
    from salesperf.cli import main

    out = tmp_path / "site"
    copy = reader_copy(path, tmp_path / "warehouse")
    assert main(["report", "--duckdb", str(copy), "--out", str(out), "--target-path", str(target)]) == 0
    assert (out / "index.html").is_file()
    assert (out / "assets" / "site.css").is_file()
    assert list((out / "reps").glob("*.html")), "no rep pages under reps/"
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    report = check_site(out, SCREENSHOTS, driver=chromium_driver)
    assert report.ok, report.summary()
    assert report.screenshots
