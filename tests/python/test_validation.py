"""Mart validation before publishing: every mart has a suite and every rate and ratio a
range; the demo passes; a corrupted copy of it fails, naming the mart, the column and the
values; the results page reads offline with no broken link."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest

from salesperf.dbt_build import BuildSummary
from salesperf.validation import DOCS_PAGE, main, validate_marts
from salesperf.validation_suites import BY_MART, MAX_ROW_SHRINK, row_count_floor
from tests.python.helpers import reader_copy

# A rate or ratio by its name: win_rate, ltv_to_cost_ratio, share_won_with_5_plus,
# quarantine_share, attainment, pace, pipeline_coverage, opportunities_per_1000_calls, ...
RATE_NAME = re.compile(r"(^|_)(rate|ratio|share|attainment|pace|coverage)(_|$)|_per_")
NOT_NUMBERS = ("date", "timestamp", "varchar", "boolean")


def _contracted_marts(target: Path) -> dict[str, dict]:
    """The models under models/marts whose contract is enforced, from the build's manifest."""
    manifest = json.loads((target / "manifest.json").read_text())
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/marts/")
        and node["config"]["contract"]["enforced"]
    }


def _ranges(mart: str) -> dict[str, list[tuple]]:
    """Column -> the (min, max) of each range expectation on it in the mart's suite."""
    found: dict[str, list[tuple]] = {}
    for expectation in BY_MART[mart].all_expectations(previous_rows=None):
        if expectation.expectation_type == "expect_column_values_to_be_between":
            found.setdefault(expectation.column, []).append((expectation.min_value, expectation.max_value))
    return found


@pytest.fixture(scope="module")
def marts(built_demo: tuple[Path, BuildSummary], demo_dbt_target: Path) -> dict[str, dict]:
    _, summary = built_demo
    assert summary.success
    return _contracted_marts(demo_dbt_target)


@pytest.fixture(scope="module")
def published(built_demo: tuple[Path, BuildSummary], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse as the published build: a read-only copy."""
    warehouse, _ = built_demo
    return reader_copy(warehouse, tmp_path_factory.mktemp("published"))


def _corrupted(published: Path, folder: Path, *statements: str) -> Path:
    """A copy of the published warehouse with the statements applied: a broken build."""
    copy = reader_copy(published, folder)
    with duckdb.connect(str(copy)) as con:
        for statement in statements:
            con.execute(statement)
    return copy


def test_every_mart_has_a_suite_and_every_rate_a_range(marts: dict[str, dict]) -> None:
    assert len(marts) >= 20
    assert sorted(set(marts) - set(BY_MART)) == [], "marts without an expectation suite"
    assert sorted(set(BY_MART) - set(marts)) == [], "suites of marts that no longer exist"
    missing, shares_unbounded = [], []
    for name, node in marts.items():
        ranges = _ranges(name)
        for column, spec in node["columns"].items():
            if not RATE_NAME.search(column) or spec.get("data_type", "").startswith(NOT_NUMBERS):
                continue
            if column not in ranges:
                missing.append(f"{name}.{column}")
            # the YAML states a share's range as "In [0, 1]": the suite must hold it there
            elif "In [0, 1]" in spec.get("description", "") and (0, 1) not in ranges[column]:
                shares_unbounded.append(f"{name}.{column}")
    assert missing == [], "rates and ratios without a range expectation"
    assert shares_unbounded == [], "shares not held to [0, 1]"


def test_every_suite_holds_the_key_the_mart_declares_unique(marts: dict[str, dict], demo_dbt_target: Path) -> None:
    manifest = json.loads((demo_dbt_target / "manifest.json").read_text())
    declared: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and (node.get("test_metadata") or {}).get("name") == "unique":
            declared.setdefault(node["attached_node"].split(".")[-1], set()).add(node["column_name"])
    for name in marts:
        assert BY_MART[name].key in {(column,) for column in declared.get(name, ())}, (
            f"{name}: the suite's key {BY_MART[name].key} is not a column the YAML tests unique")


def test_the_row_count_floor_is_the_documented_share() -> None:
    assert row_count_floor(None) is None and row_count_floor(0) is None
    assert row_count_floor(1) == 1
    assert row_count_floor(100) == round(100 * (1 - MAX_ROW_SHRINK))


def test_the_demo_passes_and_its_page_reads_offline(published: Path, tmp_path: Path) -> None:
    docs = tmp_path / "data_docs"
    result = validate_marts(published, previous=published, docs_dir=docs)
    assert result.ok, result.summary()
    assert result.evaluated == result.passed > 200
    assert len(result.marts) == len(BY_MART)
    assert "passed" in result.summary().splitlines()[0]
    _assert_offline_with_resolving_links(docs)


def test_a_rate_times_100_blocks_publishing_and_names_the_values(published: Path, tmp_path: Path) -> None:
    broken = _corrupted(published, tmp_path, "update marts.rep_win_rate_monthly set win_rate = win_rate * 100")
    with duckdb.connect(str(broken), read_only=True) as con:
        wrong = [f"{v:.6g}" for (v,) in con.execute(
            "select win_rate from marts.rep_win_rate_monthly where win_rate > 1").fetchall()]
    result = validate_marts(broken, previous=published, docs_dir=tmp_path / "docs")
    assert not result.ok
    lines = result.summary().splitlines()
    line = next(l for l in lines if "rep_win_rate_monthly.win_rate: expect_column_values_to_be_between [0, 1]" in l)
    assert re.search(rf"failed on {len(wrong)} of \d+ rows: ", line), line
    assert set(line.split("rows: ")[1].split(", ")) <= set(wrong)
    # the distribution check sees it too
    assert any("rep_win_rate_monthly.win_rate: expect_column_median_to_be_between" in l for l in lines)
    page = (tmp_path / "docs" / DOCS_PAGE).read_text()
    assert "failed" in page and "rep_win_rate_monthly.win_rate" in page


def test_a_duplicated_key_blocks_publishing(published: Path, tmp_path: Path) -> None:
    broken = _corrupted(published, tmp_path,
                        "insert into marts.quota_attainment select * from marts.quota_attainment"
                        " order by quota_id limit 1")
    with duckdb.connect(str(broken), read_only=True) as con:
        (quota_id,) = con.execute("select min(quota_id) from marts.quota_attainment").fetchone()
    result = validate_marts(broken, previous=published)
    assert not result.ok
    failed = {(f.mart, f.column, f.expectation) for f in result.failures}
    assert ("quota_attainment", "quota_id", "expect_column_values_to_be_unique") in failed
    assert ("quota_attainment", "owner_id, scope, period_type, period_start, quota_type",
            "expect_compound_columns_to_be_unique") in failed
    assert f"quota_attainment.quota_id: expect_column_values_to_be_unique failed on 2 of" in result.summary()
    assert quota_id in result.summary()


def test_a_mart_that_lost_most_rows_blocks_publishing(published: Path, tmp_path: Path) -> None:
    broken = _corrupted(published, tmp_path,
                        "delete from marts.rep_activity_monthly where month_start <"
                        " (select max(month_start) from marts.rep_activity_monthly)")
    with duckdb.connect(str(published), read_only=True) as con:
        (before,) = con.execute("select count(*) from marts.rep_activity_monthly").fetchone()
    with duckdb.connect(str(broken), read_only=True) as con:
        (after,) = con.execute("select count(*) from marts.rep_activity_monthly").fetchone()
    result = validate_marts(broken, previous=published)
    assert not result.ok
    assert [f.line() for f in result.failures] == [
        f"rep_activity_monthly: expect_table_row_count_to_be_between >= {row_count_floor(before)}"
        f" failed: observed {after}"
    ]
    # without a published build there is nothing to shrink from
    assert validate_marts(broken, previous=tmp_path / "none.duckdb").ok


def test_attainment_against_the_wrong_target_blocks_publishing(published: Path, tmp_path: Path) -> None:
    # a month's actual held against its quarter's target is about a third of the right figure
    broken = _corrupted(published, tmp_path, "update marts.quota_attainment set attainment = attainment / 3")
    result = validate_marts(broken, previous=published)
    assert not result.ok
    assert any(line.startswith("  quota_attainment.attainment: expect_column_median_to_be_between [0.5, 2]"
                               " (rows where period_state == past) failed: observed 0.3")
               for line in result.summary().splitlines()), result.summary()


def test_a_missing_mart_blocks_publishing(published: Path, tmp_path: Path) -> None:
    broken = _corrupted(published, tmp_path, "drop table marts.stale_opportunities")
    result = validate_marts(broken)
    assert [f.line() for f in result.failures] == [
        "stale_opportunities: mart exists could not be evaluated: no such table"]


def test_the_command_prints_the_summary_and_exits_1_on_failure(
        published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = _corrupted(published, tmp_path, "update marts.rep_funnel_monthly set call_to_meeting_rate = -1")
    assert main([str(broken), "--previous", str(published), "--docs", str(tmp_path / "docs")]) == 1
    out = capsys.readouterr().out
    assert "mart validation FAILED" in out
    assert "rep_funnel_monthly.call_to_meeting_rate: expect_column_values_to_be_between >= 0 failed on" in out
    assert ": -1" in out
    assert (tmp_path / "docs" / DOCS_PAGE).is_file()


class _Links(HTMLParser):
    """Every URL a page refers to: links, stylesheets, scripts, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "srcset", "action", "data", "poster") and value:
                self.urls.append(value)
            if name == "id" and value:
                self.ids.add(value)


def _assert_offline_with_resolving_links(docs: Path) -> None:
    pages = sorted(docs.rglob("*.html"))
    assert pages, "no page written"
    for page in pages:
        html = page.read_text()
        assert not re.search(r"(?i)\b(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html), f"{page.name} refers to the web"
        assert "@import" not in html and "url(" not in html, f"{page.name} loads a stylesheet asset"
        parser = _Links()
        parser.feed(html)
        for url in parser.urls:
            parsed = urlparse(url)
            assert not parsed.scheme and not parsed.netloc and not url.startswith("/"), f"{page.name}: {url}"
            target, _, fragment = url.partition("#")
            if target:
                assert (page.parent / target).resolve().is_file(), f"{page.name}: {url} leads nowhere"
            if fragment and not target:
                assert fragment in parser.ids, f"{page.name}: #{fragment} names no element"
