"""Same data and as_of give the same marts, each stamped with the build that wrote it; later
history leaves past month-ends alone."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from salesperf.dbt_build import WITHOUT_UNIT_TESTS, BuildSummary, build, dbt_vars
from salesperf.demo import generate
from salesperf.warehouse import connect
from tests.python.helpers import SMALL_DEMO, SMALL_DEMO_AS_OF, build_stamps, mart_columns, query

VARS = dbt_vars(as_of=SMALL_DEMO_AS_OF)


def mart_contents(path: Path) -> dict[str, list[tuple]]:
    """Every mart's rows but the columns that say which build wrote them."""
    tables = [t for (t,) in query(path, "select table_name from information_schema.tables where table_schema = 'marts'")]
    return {t: sorted(query(path, f"select {mart_columns(path, t)} from marts.{t}"), key=repr) for t in tables}


def test_rebuilding_gives_identical_marts_stamped_with_their_build(
    built_demo: tuple[Path, BuildSummary], tmp_path: Path
) -> None:
    """The rebuild passes a build_id, the first build none (dbt's invocation id stands in):
    every mart of each carries that build's id and as_of on every row, an empty one
    (crm_quarantine) trivially."""
    path, _ = built_demo
    first, first_stamps = mart_contents(path), build_stamps(path)
    summary = build(
        [*WITHOUT_UNIT_TESTS, *dbt_vars(as_of=SMALL_DEMO_AS_OF, build_id="b1")],
        database=path, target_path=tmp_path / "target",
    )
    assert summary.success
    second, second_stamps = mart_contents(path), build_stamps(path)
    assert len(first) >= 8 and all(first[t] for t in first if t != "crm_quarantine")
    assert first == second

    as_of = datetime.fromisoformat(SMALL_DEMO_AS_OF)  # the reporting time zone is UTC
    assert len(second_stamps) == len(second) >= 27
    for mart, rows in second.items():
        assert second_stamps[mart] == ({("b1", as_of)} if rows else set()), mart
    ((invocation_id, first_as_of),) = set().union(*first_stamps.values())  # one build wrote them all
    assert first_as_of == as_of and uuid.UUID(invocation_id)
    assert all(first_stamps[mart] == ({(invocation_id, as_of)} if rows else set()) for mart, rows in first.items())


def test_a_build_id_that_is_not_a_plain_short_id_stops_the_build(tmp_path: Path) -> None:
    """build_id reaches every mart as a string literal: anything but letters, digits and
    . _ : - stops the build before any model runs, naming the var."""
    summary = build(["--vars", "{build_id: \"x'; drop\"}", "--select", "dim_dates"],
                    database=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    assert not summary.success
    assert "var build_id" in "\n".join(summary.failures)


def test_later_history_does_not_change_a_past_month_end(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        generate(SMALL_DEMO, con, "raw")
    assert build([*WITHOUT_UNIT_TESTS, *VARS], database=path, target_path=tmp_path / "t1").success
    snapshot = (
        f"select {mart_columns(path, 'pipeline_snapshot')} from marts.pipeline_snapshot"
        " where snapshot_date = date '{}' order by 1"
    )
    april_before = query(path, snapshot.format("2026-04-30"))
    may_before = query(path, snapshot.format("2026-05-31"))
    assert april_before and may_before

    # A later load: five deals open at the end of April are lost in mid-May.
    lost_at = datetime(2026, 5, 15, 10, 0, 0)
    with connect(path) as con:
        victims = [r[0] for r in con.execute(
            "select id from raw.opportunity where not is_closed and created_date < timestamp '2026-04-01'"
            " and id not in (select opportunity_id from raw.opportunity_history"
            " where created_date >= timestamp '2026-05-01') order by id limit 5"
        ).fetchall()]
        assert len(victims) == 5
        next_row = con.execute("select max(_source_row) + 1 from raw.opportunity_history").fetchone()[0]
        for offset, opp in enumerate(victims):
            con.execute(
                "insert into raw.opportunity_history by name select"
                " '008LATER' || lpad(cast(? as varchar), 10, '0') as id, ? as opportunity_id,"
                " ? as created_date, 'Closed Lost' as stage_name, amount, 0 as probability,"
                " cast(? as date) as close_date, 'Omitted' as forecast_category, false as is_deleted,"
                " ? as _loaded_at, ? as _source_row"
                " from raw.opportunity where id = ?",
                [offset, opp, lost_at, lost_at, lost_at + timedelta(days=1), next_row + offset, opp],
            )
        con.execute(
            "update raw.opportunity set stage_name = 'Closed Lost', is_closed = true, is_won = false,"
            f" probability = 0, close_date = date '2026-05-15', last_modified_date = ? where id in ({', '.join('?' * 5)})",
            [lost_at, *victims],
        )
    assert build([*WITHOUT_UNIT_TESTS, *VARS], database=path, target_path=tmp_path / "t2").success
    assert query(path, snapshot.format("2026-04-30")) == april_before
    may_after = query(path, snapshot.format("2026-05-31"))
    assert sum(r[5] for r in may_after) == sum(r[5] for r in may_before) - 5
