"""Each quota rule fires on data that breaks it, with a message that names the owner, the
period and by how much the numbers miss."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from salesperf.dbt_build import WITHOUT_UNIT_TESTS, BuildSummary, build, dbt_vars
from salesperf.demo import generate
from salesperf.warehouse import connect
from tests.python.helpers import SMALL_DEMO, SMALL_DEMO_AS_OF, query

QUOTA_RULES = [
    "assert_one_live_quota_per_owner_period_and_type",
    "assert_quota_owners_exist_and_reps_are_active",
    "assert_quota_periods_start_on_their_first_day",
    "assert_quota_targets_are_set_and_not_negative",
    "assert_rep_monthly_quotas_add_up_to_the_quarter",
    "assert_top_down_team_quotas_equal_their_reps_quotas",
]


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def add_quota(con, source_id: str, new_id: str, **changes: object) -> None:
    """A copy of one quota row under a new id, with some columns changed."""
    columns = [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'raw'"
        " and table_name = 'quota' order by ordinal_position"
    ).fetchall()]
    changes = {"id": new_id, "_source_row": con.execute("select max(_source_row) + 1 from raw.quota").fetchone()[0],
               **changes}
    select = ", ".join("?" if c in changes else c for c in columns)
    values = [changes[c] for c in columns if c in changes]
    con.execute(f"insert into raw.quota select {select} from raw.quota where id = ?", [*values, source_id])


@pytest.fixture(scope="module")
def broken_quotas(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, BuildSummary]:
    """The small demo with quotas broken one rule at a time, built once."""
    path = tmp_path_factory.mktemp("broken_quotas") / "broken.duckdb"
    with connect(path) as con:
        generate(SMALL_DEMO, con, "raw")

        def one(sql: str, *params: object) -> tuple:
            return con.execute(sql, list(params)).fetchone()

        year_quotas = [r[0] for r in con.execute(
            "select id from raw.quota where scope = 'team' and period_type = 'year' order by id"
        ).fetchall()]
        team_quarter = one("select min(id) from raw.quota where scope = 'team' and period_type = 'quarter'"
                           " and quota_type = 'emails'")[0]
        team_month_id, team_owner, team_month, team_target = one(
            "select id, owner_id, period_start, target_value from raw.quota where scope = 'team'"
            " and period_type = 'month' and quota_type = 'revenue' order by id limit 1"
        )
        # a rep quarter quota whose team has a quarter quota of the same type (top-down)
        rep_quarter_id, rep_id, quarter_start, quarter_target = one(
            "select q.id, q.owner_id, q.period_start, q.target_value from raw.quota q"
            " where q.scope = 'rep' and q.period_type = 'quarter' and q.quota_type = 'meetings'"
            " order by q.id limit 1"
        )
        late_rep = one(
            "select id from raw.user where is_active and title not like '%Manager%'"
            " and title not like 'VP%' order by created_date desc limit 1"
        )[0]
        gone_rep = one("select min(id) from raw.user where not is_active")[0]
        some_rep_quota = one("select min(id) from raw.quota where scope = 'rep' and period_type = 'month'")[0]

        con.execute("update raw.quota set target_value = -5 where id = ?", [year_quotas[0]])
        con.execute("update raw.quota set target_value = null where id = ?", [year_quotas[1]])
        add_quota(con, team_month_id, "a0QDUPLICATE00001")
        con.execute("update raw.quota set period_start = date '2026-01-15' where id = ?", [team_quarter])
        # a team quota: a rep quota's owner would also enter the rep marts as an unknown rep
        add_quota(con, some_rep_quota, "a0QUNKNOWNOWNER01", owner_id="005000000000009999", scope="team",
                  period_type="year", period_start="2026-01-01", quota_type="calls")
        add_quota(con, some_rep_quota, "a0QBEFOREHIRE0001", owner_id=late_rep,
                  period_type="year", period_start="2025-01-01", quota_type="revenue")
        add_quota(con, some_rep_quota, "a0QAFTERLEAVING01", owner_id=gone_rep,
                  period_type="year", period_start="2027-01-01", quota_type="revenue")
        # the same rep left in the first days of the month after their last record (their
        # user record, deactivated then, was last edited on its third day): a quota for that
        # month is no fault. Its target of zero leaves the team's and the quarter's sums alone.
        (last_record,) = one(
            "select max(last_day) from ("
            " select cast(activity_date as date) as last_day from raw.task where owner_id = $1"
            " union all select cast(start_date_time as date) from raw.event where owner_id = $1"
            " union all select case when is_closed then cast(close_date as date)"
            " else cast(created_date as date) end from raw.opportunity where owner_id = $1"
            " union all select cast(created_date as date) from raw.lead where owner_id = $1) as records",
            gone_rep,
        )
        month_after = date(last_record.year + last_record.month // 12, last_record.month % 12 + 1, 1)
        con.execute("update raw.user set last_modified_date = ? where id = ?",
                    [f"{month_after.replace(day=3)} 10:00:00", gone_rep])
        add_quota(con, some_rep_quota, "a0QLEFTINPERIOD01", owner_id=gone_rep, period_type="month",
                  period_start=month_after, quota_type="calls", target_value=0)
        con.execute("update raw.quota set target_value = target_value * 2 where id = ?", [team_month_id])
        con.execute("update raw.quota set target_value = target_value + 1000 where id = ?", [rep_quarter_id])

        managers = dict(con.execute("select id, manager_id from raw.user").fetchall())
        team_rep_sum = one(
            "select sum(target_value) from raw.quota where scope = 'rep' and period_type = 'month'"
            " and quota_type = 'revenue' and period_start = ? and owner_id in (select id from raw.user"
            " where manager_id = ?)", team_month, team_owner,
        )[0]
        monthly_sum = one(
            "select sum(target_value) from raw.quota where scope = 'rep' and period_type = 'month'"
            " and quota_type = 'meetings' and owner_id = ? and period_start >= ?"
            " and period_start < ? + interval 3 month", rep_id, quarter_start, quarter_start,
        )[0]
        broken = {
            "year_quotas": year_quotas, "team_quarter": team_quarter, "team_month_id": team_month_id,
            "team_owner": team_owner, "team_target": team_target * 2, "team_rep_sum": team_rep_sum,
            "rep_quarter_id": rep_quarter_id, "quarter_target": quarter_target + 1000, "monthly_sum": monthly_sum,
            "rep_manager": managers[rep_id], "quarter_start": quarter_start, "late_rep": late_rep,
            "gone_rep": gone_rep,
        }
    summary = build(
        [*WITHOUT_UNIT_TESTS, *dbt_vars(as_of=SMALL_DEMO_AS_OF)],
        database=path,
        target_path=tmp_path_factory.mktemp("broken_quota_target"),
    )
    return path, broken, summary


def failing(path: Path, test: str) -> dict[str, str]:
    return dict(query(path, f"select quota_id, problem from dbt_test__audit.{test}"))


def test_every_quota_rule_fails_the_build(broken_quotas: tuple[Path, dict, BuildSummary]) -> None:
    path, _, summary = broken_quotas
    assert not summary.success
    failed = sorted({line.split(":")[0].split(".")[2] for line in summary.failures})
    assert failed == QUOTA_RULES
    # broken quotas hold back only what is built on them; the activity marts still build
    built = {name for (name,) in query(path, "select table_name from information_schema.tables where table_schema = 'marts'")}
    assert "rep_activity_monthly" in built and "quota_attainment" in built
    assert "rep_combined_quota" not in built and "rep_scorecard_monthly" not in built


def test_targets_must_be_set_and_not_negative(broken_quotas: tuple[Path, dict, BuildSummary]) -> None:
    path, broken, _ = broken_quotas
    negative, missing = broken["year_quotas"]
    assert failing(path, "assert_quota_targets_are_set_and_not_negative") == {
        negative: "the target is negative: -5.00",
        missing: "the quota has no target",
    }


def test_one_live_quota_per_owner_period_and_type(broken_quotas: tuple[Path, dict, BuildSummary]) -> None:
    path, broken, _ = broken_quotas
    rows = query(path, "select owner_id, quota_ids, problem from dbt_test__audit.assert_one_live_quota_per_owner_period_and_type")
    ids = sorted([broken["team_month_id"], "a0QDUPLICATE00001"])
    assert rows == [(broken["team_owner"], ", ".join(ids),
                     f"2 live quotas for one owner, scope, period and type: {', '.join(ids)}")]


def test_periods_start_on_their_first_day(broken_quotas: tuple[Path, dict, BuildSummary]) -> None:
    path, broken, _ = broken_quotas
    assert failing(path, "assert_quota_periods_start_on_their_first_day") == {
        broken["team_quarter"]: "a quarter quota must start on 2026-01-01",
    }


def test_owners_exist_and_reps_are_active(broken_quotas: tuple[Path, dict, BuildSummary]) -> None:
    path, broken, _ = broken_quotas
    rows = failing(path, "assert_quota_owners_exist_and_reps_are_active")
    assert rows.pop("a0QUNKNOWNOWNER01") == "the owner is not a CRM user"
    ((hire,),) = query(path, f"select hire_date from marts.dim_reps where rep_id = '{broken['late_rep']}'")
    assert hire > date(2025, 1, 1)
    assert rows.pop("a0QBEFOREHIRE0001") == f"the rep was hired on {hire}, after the period began"
    assert rows.pop("a0QAFTERLEAVING01").startswith("the rep is no longer active and was last seen in the month of ")
    # not the quota of the month the rep left in (a0QLEFTINPERIOD01)
    assert rows == {}


def test_top_down_team_quotas_equal_their_reps(broken_quotas: tuple[Path, dict, BuildSummary]) -> None:
    path, broken, _ = broken_quotas
    rows = {r[0]: r[1:] for r in query(
        path,
        "select quota_id, owner_id, period_type, quota_type, problem"
        " from dbt_test__audit.assert_top_down_team_quotas_equal_their_reps_quotas",
    )}
    short = broken["team_target"] - broken["team_rep_sum"]
    assert rows.pop(broken["team_month_id"]) == (
        broken["team_owner"], "month", "revenue",
        f"the rep quotas sum to {money(broken['team_rep_sum'])}, short of the team quota of"
        f" {money(broken['team_target'])} by {money(short)}",
    )
    # the rep's raised quarter quota now over-allocates the manager's team quarter quota
    ((owner, period, quota_type, problem),) = rows.values()
    assert (owner, period, quota_type) == (broken["rep_manager"], "quarter", "meetings")
    assert problem.endswith(" by 1000.00") and ", over the team quota of " in problem


def test_monthly_quotas_add_up_to_the_quarter(broken_quotas: tuple[Path, dict, BuildSummary]) -> None:
    path, broken, _ = broken_quotas
    assert failing(path, "assert_rep_monthly_quotas_add_up_to_the_quarter") == {
        broken["rep_quarter_id"]: f"the monthly quotas sum to {money(broken['monthly_sum'])}, short of the"
        f" quarterly quota of {money(broken['quarter_target'])} by 1000.00",
    }
