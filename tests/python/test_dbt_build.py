"""The whole dbt project builds on freshly generated data, and its tests can fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesperf.dbt_build import BuildSummary, build, dbt_vars
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
        ["--select", "+assert_won_opportunities_are_closed_with_amount_and_date", *dbt_vars(as_of=SMALL_DEMO_AS_OF)],
        database=broken,
        target_path=tmp_path / "target",
    )
    assert not summary.success
    assert summary.count("test", "fail") == 1
    assert any("assert_won_opportunities_are_closed_with_amount_and_date" in line for line in summary.failures)


# What each check says, written from the rules in DECISIONLOG.md ("Every var is checked ...").
THRESHOLD_RULE = "var quarantine_threshold must be a number between 0 and 1 (a share of a table's rows), got "
AS_OF_RULE = "var as_of must be a UTC timestamp 'YYYY-MM-DD HH:MM:SS' or a date 'YYYY-MM-DD', got "
ZONE_RULE = "var reporting_timezone must be a time zone name such as 'UTC' or 'America/New_York', got "


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ("{quarantine_threshold: abc}", THRESHOLD_RULE + "'abc'"),
        ("{quarantine_threshold: -0.1}", THRESHOLD_RULE + "-0.1"),
        ("{as_of: '2026-02-30'}", AS_OF_RULE + "'2026-02-30'"),
        # text that would end the SQL literal it is written into, were it spliced as sent
        ("""{as_of: "2026-01-01'); drop table x; --"}""", AS_OF_RULE + "'2026-01-01'); drop table x; --'"),
        ("""{reporting_timezone: "UTC' as timestamp); drop table x; --"}""", ZONE_RULE + "'UTC' as timestamp); drop table x; --'"),
    ],
)
def test_a_bad_var_stops_the_build_naming_the_var_and_the_value(
    built_demo: tuple[Path, BuildSummary], tmp_path: Path, variables: str, message: str
) -> None:
    path, _ = built_demo
    summary = build(
        ["--select", "stg_config__stages", "--vars", variables], database=path, target_path=tmp_path / "target"
    )
    assert not summary.success
    assert summary.count("model", "success") == 0
    assert any(message in failure for failure in summary.failures), summary.failures
