"""Each pipeline-stage rule fires on data that breaks it, naming the rows that do."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesperf.dbt_build import WITHOUT_UNIT_TESTS, BuildSummary, build, dbt_vars
from salesperf.demo import generate
from salesperf.warehouse import connect
from tests.python.helpers import SMALL_DEMO, SMALL_DEMO_AS_OF, query


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], BuildSummary]:
    """The small demo with one opportunity broken per rule, built once."""
    path = tmp_path_factory.mktemp("broken_rules") / "broken.duckdb"
    with connect(path) as con:
        generate(SMALL_DEMO, con, "raw")
        won = [r[0] for r in con.execute(
            "select id from raw.opportunity where is_won order by id limit 3"
        ).fetchall()]
        lost = con.execute("select min(id) from raw.opportunity where stage_name = 'Closed Lost'").fetchone()[0]
        open_ = con.execute("select min(id) from raw.opportunity where not is_closed").fetchone()[0]
        victims = {
            "won_without_amount": won[0],
            "won_without_close_date": won[1],
            "won_not_closed": won[2],
            "won_flag_on_lost_stage": lost,
            "stage_not_in_history": open_,
        }
        con.execute("update raw.opportunity set amount = 0 where id = ?", [victims["won_without_amount"]])
        con.execute("update raw.opportunity set close_date = null where id = ?", [victims["won_without_close_date"]])
        con.execute("update raw.opportunity set is_closed = false where id = ?", [victims["won_not_closed"]])
        con.execute("update raw.opportunity set is_won = true where id = ?", [victims["won_flag_on_lost_stage"]])
        # The opportunity says Negotiation/Review, its history says otherwise.
        con.execute(
            "update raw.opportunity set stage_name = case when stage_name = 'Negotiation/Review'"
            " then 'Prospecting' else 'Negotiation/Review' end where id = ?",
            [victims["stage_not_in_history"]],
        )
    summary = build(
        [*WITHOUT_UNIT_TESTS, *dbt_vars(as_of=SMALL_DEMO_AS_OF)],
        database=path,
        target_path=tmp_path_factory.mktemp("broken_target"),
    )
    return path, victims, summary


def failing_rows(path: Path, test: str) -> dict[str, str]:
    return dict(query(path, f"select opportunity_id, problem from dbt_test__audit.{test}"))


def test_the_build_fails_on_exactly_the_broken_rules(broken_build: tuple[Path, dict[str, str], BuildSummary]) -> None:
    _, _, summary = broken_build
    assert not summary.success
    failed = sorted(line.split(":")[0].split(".")[2] for line in summary.failures)
    assert failed == [
        "assert_closed_and_won_flags_agree_with_stage",
        "assert_last_history_stage_is_current_stage",
        "assert_won_opportunities_are_closed_with_amount_and_date",
    ]


def test_won_deals_need_closing_an_amount_and_a_close_date(
    broken_build: tuple[Path, dict[str, str], BuildSummary],
) -> None:
    path, victims, _ = broken_build
    assert failing_rows(path, "assert_won_opportunities_are_closed_with_amount_and_date") == {
        victims["won_without_amount"]: "won without an amount above zero",
        victims["won_without_close_date"]: "won without a close date",
        victims["won_not_closed"]: "won but not closed",
    }


def test_flags_must_agree_with_the_stage(broken_build: tuple[Path, dict[str, str], BuildSummary]) -> None:
    path, victims, _ = broken_build
    assert set(failing_rows(path, "assert_closed_and_won_flags_agree_with_stage")) == {
        victims["won_not_closed"],
        victims["won_flag_on_lost_stage"],
    }


def test_history_must_end_in_the_current_stage(broken_build: tuple[Path, dict[str, str], BuildSummary]) -> None:
    path, victims, _ = broken_build
    assert failing_rows(path, "assert_last_history_stage_is_current_stage") == {
        victims["stage_not_in_history"]: "last history stage differs from the current stage",
    }


def test_interval_rules_fire_on_broken_intervals(tmp_path: Path) -> None:
    """Stage intervals are derived, so no raw row can break their rules: break the built
    table itself and run the rule test alone."""
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        generate(SMALL_DEMO, con, "raw")
    clean = build([*WITHOUT_UNIT_TESTS, *dbt_vars(as_of=SMALL_DEMO_AS_OF)], database=path, target_path=tmp_path / "t1")
    assert clean.success
    # the tests that found rows keep them, those that found none leave no table
    assert clean.warned and clean.count("test", "pass") > 100
    assert audit_tables(path) == set(clean.warned)
    with connect(path) as con:
        con.execute("create table main.intervals_as_built as select * from marts.fct_stage_intervals")
        backwards, twice_current = con.execute(
            "select min(stage_interval_id), max(opportunity_id) from marts.fct_stage_intervals"
            " where not is_current"
        ).fetchone()
        con.execute(
            "update marts.fct_stage_intervals set exited_at = entered_at - interval 1 hour"
            " where stage_interval_id = ?",
            [backwards],
        )
        con.execute("update marts.fct_stage_intervals set is_current = true where opportunity_id = ?", [twice_current])
    summary = build(
        ["--select", "assert_stage_intervals_are_consistent", *dbt_vars(as_of=SMALL_DEMO_AS_OF)],
        database=path,
        target_path=tmp_path / "t2",
    )
    assert not summary.success
    rows = query(path, "select stage_interval_id, opportunity_id, problem from dbt_test__audit.assert_stage_intervals_are_consistent")
    problems = {problem for _, _, problem in rows}
    assert problems == {"exited before it was entered, or negative days in stage", "more than one current stay"}
    assert backwards in {interval for interval, _, _ in rows}
    assert twice_current in {opp for _, opp, problem in rows if problem == "more than one current stay"}

    # repaired, the rule passes again, and the rows of the run that failed are gone with it
    with connect(path) as con:
        con.execute("delete from marts.fct_stage_intervals")
        con.execute("insert into marts.fct_stage_intervals select * from main.intervals_as_built")
    assert build(
        ["--select", "assert_stage_intervals_are_consistent", *dbt_vars(as_of=SMALL_DEMO_AS_OF)],
        database=path,
        target_path=tmp_path / "t2",
    ).success
    assert "assert_stage_intervals_are_consistent" not in audit_tables(path)
    assert audit_tables(path) == set(clean.warned)


def audit_tables(path: Path) -> set[str]:
    """The tables of schema dbt_test__audit: one per test that found rows."""
    return {name for (name,) in query(
        path, "select table_name from information_schema.tables where table_schema = 'dbt_test__audit'")}
