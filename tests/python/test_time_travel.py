"""A build with a past as_of gives the marts a build on that day would have given.

For several moments, the marts built on the full raw tables with as_of at the moment are
row for row those built on the raw tables cut down to what the CRM held then
(tests/python/time_travel.py states that independently of the models)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from salesperf.dbt_build import build, dbt_vars
from tests.python.helpers import build_stamps, mart_columns, query
from tests.python.time_travel import cut_raw_tables

# The marts that describe the load itself (rows quarantined, rows per raw table) count the
# raw rows as loaded, which a cut changes by construction; every other mart is compared.
DESCRIBE_THE_LOAD = {"crm_quarantine", "crm_load_reconciliation"}


def marts(path: Path) -> dict[str, list[tuple]]:
    tables = [t for (t,) in query(path, "select table_name from information_schema.tables"
                                        " where table_schema = 'marts' order by 1")]
    return {t: sorted(query(path, f'select {mart_columns(path, t)} from marts."{t}"'), key=repr)
            for t in tables if t not in DESCRIBE_THE_LOAD}


def build_as_of(path: Path, moment: datetime, zone: str, target: Path) -> dict[str, list[tuple]]:
    # Unit tests pin their own vars and the UTC default; they run in every other build. The
    # rule that quota owners were still on the team reads the CRM's records as loaded (a gone
    # rep's last record), which a cut shortens while is_active stays as it is now: left out.
    summary = build([*dbt_vars(as_of=f"{moment:%Y-%m-%d %H:%M:%S}", reporting_timezone=zone),
                     "--exclude", "test_type:unit", "assert_quota_owners_exist_and_reps_are_active"],
                    database=path, target_path=target)
    assert summary.success, summary.failures
    # every mart says the moment it read the CRM at, on the reporting time zone's clock
    wall_clock = moment.replace(microsecond=0, tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    assert {as_of for stamps in build_stamps(path).values() for _, as_of in stamps} == {wall_clock}
    return marts(path)


def a_closing_moment(raw: Path) -> datetime:
    """The moment a won deal entered Closed Won, in the middle of the history: a change at
    exactly as_of has happened."""
    moments = [m for (m,) in query(raw, "select created_date from raw.opportunity_history"
                                        " where stage_name = 'Closed Won' order by created_date, id")]
    assert moments
    return moments[len(moments) // 2]


@pytest.mark.parametrize("moment, zone", [
    pytest.param(datetime(2026, 4, 15, 13, 30), "UTC", id="mid-month"),
    # 03:30 UTC on April 1st is still March 31st in New York: March's month-end is not over.
    pytest.param(datetime(2026, 4, 1, 3, 30), "America/New_York", id="month-end-new-york"),
    pytest.param(None, "UTC", id="the-moment-a-deal-closed"),
])
def test_a_past_as_of_equals_a_build_on_the_crm_as_it_stood(
        demo_warehouse: Path, tmp_path: Path, moment: datetime | None, zone: str) -> None:
    moment = moment or a_closing_moment(demo_warehouse)
    full = tmp_path / "full.duckdb"
    shutil.copy(demo_warehouse, full)
    cut = tmp_path / "cut.duckdb"
    cut_raw_tables(demo_warehouse, cut, moment, zone)

    # The cut is not the full data: deals, history and activities came later.
    for table in ("opportunity", "opportunity_history", "task"):
        [(later,)] = query(demo_warehouse, f'select count(*) from raw."{table}"')
        [(then,)] = query(cut, f'select count(*) from raw."{table}"')
        assert then < later, table

    from_full = build_as_of(full, moment, zone, tmp_path / "t_full")
    from_cut = build_as_of(cut, moment, zone, tmp_path / "t_cut")
    assert set(from_full) == set(from_cut)
    assert {"fct_opportunities", "pipeline_snapshot", "rep_win_rate_monthly", "quota_attainment", "rep_ltv",
            "rep_activity_monthly", "stage_durations", "dim_reps", "dim_accounts"} <= set(from_full)
    differing = {t for t in from_full if from_full[t] != from_cut[t]}
    assert not differing, {t: (len(from_full[t]), len(from_cut[t])) for t in differing}

    # And the past as_of did look back: deals closed later are open in it.
    [(open_then,)] = query(full, "select count(*) from marts.fct_opportunities where not is_closed")
    [(open_now,)] = query(demo_warehouse, "select count(*) from raw.opportunity where not is_closed"
                                          f" and created_date <= timestamp '{moment:%Y-%m-%d %H:%M:%S}'")
    assert open_then > open_now
