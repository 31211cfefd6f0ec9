"""The whole dbt project builds on freshly generated data, and its tests can fail."""

from __future__ import annotations

from pathlib import Path

from salesperf.dbt_build import BuildSummary, build
from salesperf.demo import generate
from salesperf.warehouse import connect
from tests.python.helpers import SMALL_DEMO, SMALL_DEMO_AS_OF, query


def test_build_on_fresh_demo_data_passes_every_node(built_demo: tuple[Path, BuildSummary]) -> None:
    _, summary = built_demo
    assert summary.success, "\n".join(summary.lines())
    assert summary.failures == []
    assert summary.count("model", "success") >= 1
    assert summary.count("seed", "success") >= 1
    assert summary.count("test", "pass") >= 10
    assert summary.count("unit_test", "pass") >= 1
    assert summary.count("test", "fail", "error") == 0
    # The demo org reopens some closed deals, which the pipeline rules report as a warning.
    assert summary.warned == ["assert_reopened_deals_are_reported"]


def test_staged_opportunities_match_the_live_raw_rows(built_demo: tuple[Path, BuildSummary]) -> None:
    path, _ = built_demo
    raw_live = query(path, "select count(*) from raw.opportunity where not is_deleted")[0][0]
    staged = query(path, "select count(*) from staging.stg_crm__opportunities")[0][0]
    assert raw_live > 100
    assert staged == raw_live


def test_a_broken_rule_fails_the_build(tmp_path: Path) -> None:
    """A won deal without an amount must make the data test fire, not pass silently."""
    broken = tmp_path / "broken.duckdb"
    with connect(broken) as con:
        generate(SMALL_DEMO, con, "raw")
        (victim,) = con.execute("select min(id) from raw.opportunity where is_won").fetchone()
        con.execute("update raw.opportunity set amount = 0 where id = ?", [victim])

    summary = build(
        ["--select", "+assert_won_opportunities_are_closed_with_amount_and_date", "--vars", f"{{as_of: '{SMALL_DEMO_AS_OF}'}}"],
        database=broken,
        target_path=tmp_path / "target",
    )
    assert not summary.success
    assert summary.count("test", "fail") == 1
    assert any("assert_won_opportunities_are_closed_with_amount_and_date" in line for line in summary.failures)
