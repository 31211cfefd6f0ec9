"""The demo generator: deterministic, shaped like the contract, realistic where the metrics
look, and, in dirty mode, faulty exactly where its manifest says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest

from salesperf.contract import ID_PREFIXES, RAW_TABLES, RAW_TABLES_BY_NAME
from salesperf.demo import MANIFEST_TABLE, STAGES, DemoConfig, GenerationSummary, generate

END = dt.date(2026, 6, 1)
CLEAN = DemoConfig(seed=11, reps=16, months=12, end_date=END)
DIRTY = DemoConfig(seed=5, reps=16, months=9, end_date=END, dirty=True)
# Canonical stage order; "won" reaches every open stage.
STAGE_ORDER = "case stage_name " + " ".join(f"when '{s}' then {i + 1}" for i, s in enumerate(STAGES)) + " end"
ID_COLUMNS = {
    "id": None, "owner_id": "user", "manager_id": "user", "user_id": "user", "user_role_id": "user_role",
    "parent_role_id": "user_role", "account_id": "account", "opportunity_id": "opportunity",
    "product_2_id": "product_2", "converted_opportunity_id": "opportunity", "converted_account_id": "account",
}


def _connect(config: DemoConfig) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    generate(config, con, "raw")
    return con


@pytest.fixture(scope="module")
def clean_run() -> Iterator[tuple[duckdb.DuckDBPyConnection, GenerationSummary]]:
    con = duckdb.connect()
    summary = generate(CLEAN, con, "raw")
    yield con, summary
    con.close()


@pytest.fixture(scope="module")
def clean(clean_run: tuple[duckdb.DuckDBPyConnection, GenerationSummary]) -> duckdb.DuckDBPyConnection:
    return clean_run[0]


@pytest.fixture(scope="module")
def dirty() -> Iterator[duckdb.DuckDBPyConnection]:
    con = _connect(DIRTY)
    yield con
    con.close()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def table_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """An ordered hash of every table's full contents."""
    order = {name.name: "t._source_row" for name in RAW_TABLES} | {MANIFEST_TABLE: "table_name, source_row, fault"}
    return {name: one(con, f"select md5(coalesce(string_agg(cast(t as varchar), chr(10) order by {by}), ''))"
                           f' from raw."{name}" as t')
            for name, by in order.items()}


# --------------------------------------------------------------------------- determinism, shape


@pytest.mark.parametrize("dirty", [False, True], ids=["clean", "dirty"])
def test_same_config_gives_identical_tables_and_another_seed_does_not(dirty: bool) -> None:
    small = DemoConfig(seed=3, reps=6, months=4, end_date=END, dirty=dirty)
    first = table_hashes(_connect(small))
    assert table_hashes(_connect(small)) == first
    other = table_hashes(_connect(DemoConfig(seed=4, reps=6, months=4, end_date=END, dirty=dirty)))
    differing = {name for name, digest in other.items() if digest != first[name]}
    assert {"opportunity", "opportunity_history", "task", "lead", "quota"} <= differing
    assert (MANIFEST_TABLE in differing) == dirty


def test_every_contract_table_has_exactly_its_columns_then_the_load_columns(
        clean: duckdb.DuckDBPyConnection, dirty: duckdb.DuckDBPyConnection) -> None:
    for con in (clean, dirty):
        for table in RAW_TABLES:
            columns = [r[0] for r in rows(con, f"select column_name from information_schema.columns where"
                                               f" table_schema = 'raw' and table_name = '{table.name}'"
                                               f" order by ordinal_position")]
            assert columns == [*table.columns, "_loaded_at", "_source_row"], table.name
            n, distinct, low, high = rows(con, f'select count(*), count(distinct _source_row), min(_source_row),'
                                               f' max(_source_row) from raw."{table.name}"')[0]
            assert n > 0 and distinct == n and low == 1 and high == n, table.name


def test_ids_are_18_characters_with_the_object_prefix(clean: duckdb.DuckDBPyConnection) -> None:
    for table in RAW_TABLES:
        for column, target in ID_COLUMNS.items():
            if column not in table.columns:
                continue
            prefix = ID_PREFIXES[target or table.name]
            bad = one(clean, f'select count(*) from raw."{table.name}" where {column} is not null'
                             f" and (length({column}) <> 18 or left({column}, 3) <> '{prefix}')")
            assert bad == 0, (table.name, column)
    assert one(clean, "select count(*) from raw.task where who_id is not null"
                      " and (length(who_id) <> 18 or left(who_id, 3) not in ('00Q', '003'))") == 0
    assert one(clean, "select count(*) from raw.event where what_id is not null"
                      " and (length(what_id) <> 18 or left(what_id, 3) not in ('006', '001'))") == 0
    for table in RAW_TABLES:
        if "id" in table.columns:
            assert one(clean, f'select count(*) - count(distinct id) from raw."{table.name}"') == 0, table.name


def test_clean_mode_types_values_and_has_no_faults(clean: duckdb.DuckDBPyConnection) -> None:
    types = dict(rows(clean, "select column_name, data_type from information_schema.columns"
                             " where table_schema = 'raw' and table_name = 'opportunity'"))
    assert types["amount"].startswith("DECIMAL") and types["is_won"] == "BOOLEAN"
    assert types["created_date"] == "TIMESTAMP" and types["close_date"] == "DATE"
    assert one(clean, f"select count(*) from raw.{MANIFEST_TABLE}") == 0
    for table in RAW_TABLES:
        if "is_deleted" in table.columns:
            assert one(clean, f'select count(*) from raw."{table.name}" where is_deleted') == 0


# --------------------------------------------------------------------------- the org


def test_org_has_a_vp_teams_of_five_to_nine_and_a_role_hierarchy(clean: duckdb.DuckDBPyConnection) -> None:
    assert one(clean, "select count(*) from raw.user where title = 'VP Sales' and manager_id is null") == 1
    team_sizes = [r[0] for r in rows(clean, """
        select count(*) from raw.user as r join raw.user as m on r.manager_id = m.id
        where m.title = 'Sales Manager' and r.is_active group by m.id""")]
    assert team_sizes and all(5 <= size <= 9 for size in team_sizes)
    # reps carry their team role, whose parent is their manager's role, whose parent is the VP's
    assert one(clean, """
        select count(*) from raw.user as r
        join raw.user as m on r.manager_id = m.id
        join raw.user_role as team on r.user_role_id = team.id
        join raw.user_role as mr on m.user_role_id = mr.id
        join raw.user as vp on m.manager_id = vp.id
        where m.title = 'Sales Manager'
          and (team.parent_role_id <> mr.id or mr.parent_role_id <> vp.user_role_id)""") == 0
    assert one(clean, "select count(distinct division) from raw.user") >= 2


@pytest.mark.parametrize("reps", [10, 23])
def test_teams_have_five_to_nine_reps_whatever_the_headcount(reps: int) -> None:
    con = _connect(DemoConfig(seed=1, reps=reps, months=2, end_date=END))
    sizes = [r[0] for r in rows(con, "select count(*) from raw.user where is_active and title not in"
                                     " ('VP Sales', 'Sales Manager') group by manager_id")]
    assert sum(sizes) == reps and all(5 <= size <= 9 for size in sizes)


def test_leavers_own_nothing_created_after_they_left(clean: duckdb.DuckDBPyConnection) -> None:
    assert one(clean, "select count(*) from raw.user where not is_active") >= 1
    for table in ("opportunity", "lead", "task", "event", "account"):
        assert one(clean, f"""
            select count(*) from raw."{table}" as t join raw.user as u on t.owner_id = u.id
            where not u.is_active and t.created_date > u.last_modified_date""") == 0, table


# --------------------------------------------------------------------------- pipeline


def test_fewer_deals_reach_each_later_stage(clean: duckdb.DuckDBPyConnection) -> None:
    reached = rows(clean, f"""
        with deepest as (
            select opportunity_id,
                max(case when stage_name = 'Closed Won' then 8 when stage_name = 'Closed Lost' then 0
                    else {STAGE_ORDER} end) as deepest
            from raw.opportunity_history group by 1
        )
        select s.i, count(*) filter (where deepest >= s.i)
        from deepest, range(1, 9) as s(i) group by 1 order by 1""")
    counts = [n for _, n in reached]
    assert all(a > b for a, b in zip(counts, counts[1:], strict=False)), counts


def test_win_rate_is_realistic_and_differs_by_rep(clean: duckdb.DuckDBPyConnection) -> None:
    overall = one(clean, "select avg(is_won::int) from raw.opportunity where is_closed")
    assert 0.2 <= overall <= 0.35
    by_rep = [r[0] for r in rows(clean, """
        select avg(is_won::int) from raw.opportunity where is_closed
        group by owner_id having count(*) >= 30""")]
    assert len(by_rep) >= 8 and max(by_rep) - min(by_rep) >= 0.1


def test_history_has_skips_reopens_ties_and_ends_in_the_current_stage(clean: duckdb.DuckDBPyConnection) -> None:
    moves = rows(clean, f"""
        with ordered as (
            select opportunity_id, stage_name, {STAGE_ORDER} as s,
                lag({STAGE_ORDER}) over (partition by opportunity_id order by created_date, id) as p
            from raw.opportunity_history
        )
        select count(*) filter (where p < 9 and s <= 9 and s > p),
            count(*) filter (where p < 9 and s <= 9 and s > p + 1),
            count(*) filter (where p >= 9 and s < 9),
            count(*) filter (where s = p)
        from ordered""")[0]
    forward, skips, reopens, same_stage = moves
    assert 0.1 <= skips / forward <= 0.3
    assert reopens >= 3 and same_stage >= 10
    closed = one(clean, "select count(*) from raw.opportunity where is_closed")
    assert 0.01 <= reopens / closed <= 0.05
    assert one(clean, """select count(*) from (select opportunity_id, created_date from raw.opportunity_history
                         group by all having count(*) > 1)""") >= 3
    assert one(clean, """
        with last as (
            select opportunity_id, arg_max(stage_name, (created_date, id)) as stage,
                   arg_max(amount, (created_date, id)) as amount, arg_max(close_date, (created_date, id)) as close
            from raw.opportunity_history group by 1
        )
        select count(*) from raw.opportunity as o left join last on last.opportunity_id = o.id
        where last.stage is distinct from o.stage_name or last.amount <> o.amount or last.close <> o.close_date
        """) == 0
    assert one(clean, """select count(*) from raw.opportunity as o join raw.opportunity_history as h
                         on h.opportunity_id = o.id and h.created_date < o.created_date""") == 0


def test_stalled_open_deals_same_day_closes_and_amount_changes_exist(clean: duckdb.DuckDBPyConnection) -> None:
    stalled = one(clean, f"""
        with current_stay as (
            select opportunity_id, max(created_date) as entered from raw.opportunity_history group by 1
        )
        select count(*) from raw.opportunity as o join current_stay as c on c.opportunity_id = o.id
        where not o.is_closed and c.entered < timestamp '{END}' - interval 60 day""")
    assert stalled >= 5
    assert one(clean, "select count(*) from raw.opportunity where not is_closed and close_date >= "
                      f"date '{END}'") >= 10
    assert one(clean, "select count(*) from raw.opportunity where is_closed"
                      " and close_date = cast(created_date as date)") >= 2
    assert one(clean, """select count(distinct opportunity_id) from (select opportunity_id, amount,
                         lag(amount) over (partition by opportunity_id order by created_date, id) as before
                         from raw.opportunity_history) where amount <> before""") >= 50
    assert rows(clean, "select type, count(*) > 0 from raw.opportunity group by 1 order by 1") == [
        ("Existing Business - Renewal", True), ("Existing Business - Upsell", True), ("New Business", True)]


def test_amount_is_the_sum_of_line_items_and_flags_agree_with_stage(clean: duckdb.DuckDBPyConnection) -> None:
    assert one(clean, """
        select count(*) from raw.opportunity as o
        left join (select opportunity_id, sum(total_price) as total, count(*) as n
                   from raw.opportunity_line_item group by 1) as li on li.opportunity_id = o.id
        where li.total is distinct from o.amount or li.n not between 1 and 4""") == 0
    assert one(clean, "select count(*) from raw.opportunity_line_item"
                      " where total_price <> quantity * unit_price") == 0
    assert one(clean, """select count(*) from raw.opportunity_line_item as li join raw.product_2 as p
                         on p.id = li.product_2_id where li.unit_price > 0 and p.unit_cost_c >= li.unit_price
                         and p.family <> 'Services' and li.currency_iso_code = 'USD'""") == 0
    assert one(clean, """select count(*) from raw.opportunity where is_won <> (stage_name = 'Closed Won')
                         or is_closed <> (stage_name in ('Closed Won', 'Closed Lost'))
                         or (is_won and not amount > 0)""") == 0
    assert one(clean, """select count(*) from raw.opportunity where forecast_category <> case
                         when stage_name = 'Closed Won' then 'Closed' when stage_name = 'Closed Lost' then 'Omitted'
                         when stage_name in ('Proposal/Price Quote', 'Negotiation/Review') then 'Commit'
                         when stage_name in ('Value Proposition', 'Id. Decision Makers', 'Perception Analysis')
                         then 'Best Case' else 'Pipeline' end""") == 0


def test_nothing_happens_at_or_after_end_date(clean: duckdb.DuckDBPyConnection) -> None:
    end = f"timestamp '{END}'"
    checks = {
        "user": ["created_date", "last_modified_date"], "account": ["created_date", "last_modified_date"],
        "opportunity": ["created_date", "last_modified_date"], "opportunity_history": ["created_date"],
        "opportunity_line_item": ["last_modified_date"], "product_2": ["last_modified_date"],
        "task": ["created_date", "last_modified_date", "activity_date"],
        "event": ["created_date", "start_date_time", "end_date_time", "last_modified_date"],
        "lead": ["created_date", "last_modified_date", "converted_date"], "quota": ["last_modified_date"],
        "rep_cost": ["month_start"],
    }
    for table, columns in checks.items():
        for column in columns:
            assert one(clean, f'select count(*) from raw."{table}" where {column} >= {end}') == 0, (table, column)
    assert one(clean, f"select count(*) from raw.opportunity where is_closed and close_date >= {end}") == 0
    for table in ("user", "account", "opportunity", "task", "event", "lead"):
        assert one(clean, f'select count(*) from raw."{table}" where last_modified_date < created_date') == 0, table
    assert one(clean, "select count(*) from raw.event where end_date_time <> start_date_time"
                      " + to_minutes(duration_in_minutes) or created_date > start_date_time") == 0


# --------------------------------------------------------------------------- activities and leads


def test_activity_volume_mix_and_references(clean: duckdb.DuckDBPyConnection) -> None:
    per_deal = one(clean, "select ((select count(*) from raw.task where left(what_id, 3) = '006')"
                          " + (select count(*) from raw.event where left(what_id, 3) = '006'))"
                          " / (select count(*) from raw.opportunity)")
    assert 4 <= per_deal <= 12
    calls = one(clean, "select count(*) from raw.task where type = 'Call'")
    meetings = one(clean, "select count(*) from raw.event where type = 'Meeting'")
    assert calls > 4 * meetings > 0 and one(clean, "select count(*) from raw.event where type = 'Demo'") > 0
    for table in ("task", "event"):
        for column, prefix, target in (("what_id", "006", "opportunity"), ("who_id", "00Q", "lead"),
                                       ("what_id", "001", "account"), ("account_id", "001", "account")):
            assert one(clean, f"""select count(*) from raw."{table}" as a where left(a.{column}, 3) = '{prefix}'
                                 and not exists (select 1 from raw."{target}" as t where t.id = a.{column})""") == 0
    assert one(clean, """select count(*) from raw.task where type = 'Call' and (task_subtype <> 'Call'
                         or call_type is null or call_disposition is null
                         or call_duration_in_seconds is null)""") == 0
    assert one(clean, "select count(*) from raw.task where type <> 'Call' and call_type is not null") == 0
    meeting_first = one(clean, """with firsts as (
        select what_id, min(start_date_time) filter (where type = 'Meeting') as meeting,
               min(start_date_time) filter (where type = 'Demo') as demo
        from raw.event where left(what_id, 3) = '006' group by 1)
        select avg((meeting < demo)::int) from firsts where demo is not null""")
    assert meeting_first >= 0.95
    won_after_meeting = one(clean, """select avg((exists (select 1 from raw.event as e where e.what_id = o.id
                                      and e.type = 'Meeting' and e.start_date_time < o.last_modified_date))::int)
                                      from raw.opportunity as o where o.is_won and o.type = 'New Business'
                                      and o.created_date >= (select min(month_start) from raw.rep_cost)""")
    assert won_after_meeting >= 0.85
    connected = one(clean, "select median(call_duration_in_seconds) from raw.task"
                           " where call_disposition = 'Connected'")
    voicemail = one(clean, "select median(call_duration_in_seconds) from raw.task"
                           " where call_disposition = 'Left Voicemail'")
    assert connected > 3 * voicemail


def test_activities_sit_inside_the_deal_and_mostly_in_local_office_hours(clean: duckdb.DuckDBPyConnection) -> None:
    assert one(clean, """select count(*) from raw.task as t join raw.opportunity as o on o.id = t.what_id
                         where t.created_date < o.created_date
                            or (o.is_closed and cast(t.created_date as date) > o.close_date)""") == 0
    assert one(clean, """select count(*) from raw.event as e join raw.opportunity as o on o.id = e.what_id
                         where e.start_date_time < o.created_date
                            or (o.is_closed and cast(e.start_date_time as date) > o.close_date)""") == 0
    offsets = {"North America East": -5, "EMEA": 1, "North America West": -8, "APAC": 8}
    local = "case u.division " + " ".join(f"when '{d}' then {h}" for d, h in offsets.items()) + " end"
    in_hours = one(clean, f"""
        select avg(case when hour(t.created_date + to_hours({local})) between 7 and 18
                         and isodow(t.created_date + to_hours({local})) <= 5 then 1.0 else 0 end)
        from raw.task as t join raw.user as u on u.id = t.owner_id where t.type = 'Call'""")
    assert in_hours >= 0.85  # daylight saving shifts some by an hour; a few are logged after hours


def test_follow_ups_depend_on_the_rep_and_go_with_winning(clean: duckdb.DuckDBPyConnection) -> None:
    follow_ups = """
        with touches as (
            select what_id, count(*) as n from (
                select what_id from raw.task where type in ('Call', 'Email') and left(what_id, 3) = '006'
                union all select what_id from raw.event where left(what_id, 3) = '006') group by 1
        )
        select o.owner_id, o.is_won, greatest(coalesce(t.n, 0) - 1, 0) as follow_ups
        from raw.opportunity as o left join touches as t on t.what_id = o.id where o.is_closed"""
    won, lost = rows(clean, f"select avg(follow_ups) filter (where is_won), avg(follow_ups) filter (where not is_won)"
                            f" from ({follow_ups})")[0]
    assert won > 1.5 * lost
    by_rep = [r[0] for r in rows(clean, f"select avg(follow_ups) from ({follow_ups}) group by owner_id"
                                        " having count(*) >= 30")]
    assert max(by_rep) > 2.5 * min(by_rep)
    gave_up = one(clean, f"select avg((follow_ups <= 1)::int) from ({follow_ups}) where not is_won")
    assert gave_up >= 0.3
    connect = rows(clean, """select u.title = 'Sales Development Rep', avg((call_disposition = 'Connected')::int)
                             from raw.task as t join raw.user as u on u.id = t.owner_id where call_type = 'Outbound'
                             group by t.owner_id, u.title having count(*) >= 100""")
    ae = [rate for sdr, rate in connect if not sdr]
    sdr = [rate for is_sdr, rate in connect if is_sdr]
    assert 0.1 <= min(ae) and max(ae) <= 0.4 and max(ae) - min(ae) >= 0.08
    assert sdr and 0.05 <= min(sdr) and max(sdr) < sum(ae) / len(ae)  # cold calls connect less


def test_leads_convert_by_source_into_same_day_deals(clean: duckdb.DuckDBPyConnection) -> None:
    rate = dict(rows(clean, "select lead_source, avg(is_converted::int) from raw.lead group by 1"))
    assert min(rate["Employee Referral"], rate["Partner Referral"]) > max(rate["Web"], rate["Purchased List"])
    assert one(clean, """
        select count(*) from raw.lead as l join raw.opportunity as o on o.id = l.converted_opportunity_id
        left join (select opportunity_id, arg_min(old_value, (created_date, id)) as first_owner
                   from raw.opportunity_field_history where field = 'Owner' and old_value like '005%'
                   group by 1) as f on f.opportunity_id = o.id
        where l.converted_date <> cast(o.created_date as date) or l.lead_source <> o.lead_source
           or l.owner_id <> coalesce(f.first_owner, o.owner_id) or o.type <> 'New Business'
           or l.converted_account_id <> o.account_id or l.status <> 'Closed - Converted'""") == 0
    assert one(clean, "select count(*) from raw.lead"
                      " where is_converted <> (converted_opportunity_id is not null)") == 0
    statuses = {r[0] for r in rows(clean, "select distinct status from raw.lead")}
    assert statuses == {"Open - Not Contacted", "Working - Contacted", "Closed - Not Converted", "Closed - Converted"}
    outbound = one(clean, "select count(*) from raw.opportunity as o where type = 'New Business' and not exists"
                          " (select 1 from raw.lead as l where l.converted_opportunity_id = o.id)")
    assert outbound > 0
    response = [r[0] for r in rows(clean, """
        with first_touch as (select who_id, min(created_date) as at from raw.task
                             where left(who_id, 3) = '00Q' group by 1)
        select median(date_diff('minute', l.created_date, f.at)) from raw.lead as l
        join first_touch as f on f.who_id = l.id group by l.owner_id having count(*) >= 20""")]
    assert min(response) < 60 and max(response) > 600


def test_accounts_are_customers_exactly_when_they_have_won(clean: duckdb.DuckDBPyConnection) -> None:
    start = one(clean, "select min(month_start) from raw.rep_cost")  # the first month of history
    assert one(clean, """select count(*) from raw.account as a where type = 'Prospect' and exists
                         (select 1 from raw.opportunity as o where o.account_id = a.id and o.is_won)""") == 0
    assert one(clean, f"""select count(*) from raw.account as a where type like 'Customer%'
                         and created_date >= timestamp '{start}'
                         and not exists
                         (select 1 from raw.opportunity as o where o.account_id = a.id and o.is_won)""") == 0
    assert one(clean, "select count(*) from raw.account where type = 'Customer - Channel'") > 0
    handed_over = one(clean, """
        with first_win as (select account_id, arg_min(owner_id, (close_date, id)) as acquirer
                           from raw.opportunity where is_won group by 1)
        select avg((a.owner_id <> f.acquirer)::int)
        from raw.account as a join first_win as f on f.account_id = a.id""")
    assert 0.02 <= handed_over <= 0.4


# --------------------------------------------------------------------------- owners, currencies, calendar

OFFICE_TZ = ("case u.division when 'North America East' then 'America/New_York' when 'EMEA' then 'Europe/Paris'"
             " when 'North America West' then 'America/Los_Angeles' else 'Asia/Singapore' end")
HISTORY_START = "(select min(month_start) from raw.rep_cost)"  # rep costs start with the history
FIRST_OWNER = """(select opportunity_id, arg_min(old_value, (created_date, id)) as first_owner
                  from raw.opportunity_field_history where field = 'Owner' and old_value like '005%' group by 1)"""


def test_owner_changes_come_in_pairs_and_nobody_works_before_their_hire(clean: duckdb.DuckDBPyConnection) -> None:
    # Two rows per change at one instant: user ids, then the same users' names.
    assert one(clean, """
        select count(*) from (
            select opportunity_id, created_date, count(*) as n,
                   any_value(old_value) filter (where old_value like '005%') as old_id,
                   any_value(new_value) filter (where new_value like '005%') as new_id,
                   any_value(old_value) filter (where old_value not like '005%') as old_name,
                   any_value(new_value) filter (where new_value not like '005%') as new_name
            from raw.opportunity_field_history where field = 'Owner' group by all) as c
        left join raw.user as o on o.id = c.old_id left join raw.user as n on n.id = c.new_id
        where c.n <> 2 or o.name is distinct from c.old_name or n.name is distinct from c.new_name""") == 0
    # The deal passes to someone at their desk; the creator was hired before creating it.
    assert one(clean, """select count(*) from raw.opportunity_field_history as h
                         join raw.user as u on u.id = h.new_value
                         where h.field = 'Owner' and (u.created_date >= h.created_date
                            or (not u.is_active and u.last_modified_date <= h.created_date))""") == 0
    assert one(clean, f"""select count(*) from raw.opportunity as o
                          left join {FIRST_OWNER} as f on f.opportunity_id = o.id
                          join raw.user as u on u.id = coalesce(f.first_owner, o.owner_id)
                          where u.created_date >= o.created_date""") == 0
    # The current owner is the last one, and the one who closed a closed deal.
    assert one(clean, """select count(*) from raw.opportunity as o join (
                             select opportunity_id, arg_max(new_value, (created_date, id)) as last_owner
                             from raw.opportunity_field_history where field = 'Owner' and new_value like '005%'
                             group by 1) as l on l.opportunity_id = o.id where l.last_owner <> o.owner_id""") == 0
    assert one(clean, """select count(*) from raw.opportunity as o join raw.user as u on u.id = o.owner_id
                         where o.is_closed and (u.created_date > o.last_modified_date
                            or u.title = 'Sales Development Rep')""") == 0
    for table, at in (("task", "created_date"), ("event", "created_date"), ("lead", "created_date")):
        assert one(clean, f"""select count(*) from raw."{table}" as t join raw.user as u on u.id = t.owner_id
                              where t.{at} < u.created_date""") == 0, table
    # SDRs hand their deals to AEs, leavers' open deals go to the successor, a few move.
    kinds = dict(rows(clean, """
        select case when o.title = 'Sales Development Rep' and n.title <> 'Sales Development Rep' then 'hand-off'
                    when not o.is_active and o.last_modified_date < h.created_date + interval 1 day then 'departure'
                    else 'territory move' end, count(*)
        from raw.opportunity_field_history as h join raw.user as o on o.id = h.old_value
        join raw.user as n on n.id = h.new_value where h.field = 'Owner' group by 1"""))
    assert kinds["hand-off"] > kinds["territory move"] > 0 and kinds["departure"] > 0
    moved = kinds["territory move"] / one(clean, "select count(*) from raw.opportunity")
    assert 0.01 <= moved <= 0.06
    sdr_created = one(clean, f"""select avg((u.title = 'Sales Development Rep')::int) from raw.opportunity as o
                                 left join {FIRST_OWNER} as f on f.opportunity_id = o.id
                                 join raw.user as u on u.id = coalesce(f.first_owner, o.owner_id)
                                 where o.type = 'New Business'""")
    assert 0.15 <= sdr_created <= 0.6
    assert one(clean, "select count(distinct field) from raw.opportunity_field_history") == 3


def test_amounts_are_in_the_account_currency_and_rates_cover_the_history(clean: duckdb.DuckDBPyConnection) -> None:
    usd_countries = one(clean, """select count(*) from raw.opportunity as o join raw.account as a on a.id = o.account_id
                                  where (a.billing_country = 'United States') <> (o.currency_iso_code = 'USD')""")
    assert usd_countries == 0
    assert one(clean, """select count(distinct a.billing_country) from raw.opportunity as o
                         join raw.account as a on a.id = o.account_id
                         where o.currency_iso_code = 'EUR'""") >= 2
    for table in ("opportunity_history", "opportunity_line_item"):
        assert one(clean, f"""select count(*) from raw."{table}" as c
                              join raw.opportunity as o on o.id = c.opportunity_id
                              where c.currency_iso_code is distinct from o.currency_iso_code""") == 0, table
    # One rate per currency and month, chained, from before the first deal through end_date's month.
    assert one(clean, """select count(*) from raw.dated_conversion_rate as r where day(start_date) <> 1
                         or next_start_date <> coalesce((select min(n.start_date) from raw.dated_conversion_rate as n
                                                         where n.iso_code = r.iso_code and n.start_date > r.start_date),
                                                        date '9999-12-31')""") == 0
    first, last, months = rows(clean, "select min(start_date), max(start_date), count(distinct start_date)"
                                      " from raw.dated_conversion_rate")[0]
    assert first <= one(clean, "select min(cast(created_date as date)) from raw.opportunity")
    assert last == dt.date(2026, 6, 1)
    assert one(clean, "select count(distinct iso_code) from raw.dated_conversion_rate") == one(
        clean, "select count(*) from raw.dated_conversion_rate") / months
    assert one(clean, "select count(*) from raw.dated_conversion_rate where iso_code = 'USD'"
                      " and conversion_rate <> 1") == 0
    uncovered = """select count(*) from raw.{table} as o where not exists (
                       select 1 from raw.dated_conversion_rate as r where r.iso_code = o.currency_iso_code
                       and o.close_date >= r.start_date and o.close_date < r.next_start_date)"""
    assert one(clean, uncovered.format(table="opportunity")) == 0
    assert one(clean, uncovered.format(table="opportunity_history")) == 0
    # Rates drift a little every month around their level.
    steps = rows(clean, """select iso_code, max(abs(conversion_rate / previous - 1)),
                                  max(conversion_rate) / min(conversion_rate)
                           from (select *, lag(conversion_rate) over (partition by iso_code order by start_date)
                                           as previous
                                 from raw.dated_conversion_rate) where iso_code <> 'USD' group by 1""")
    assert len(steps) >= 8 and all(0 < step < 0.1 and 1.01 < spread < 1.5 for _, step, spread in steps), steps
    # Local prices: converted at the rate of the close, a product costs about the same everywhere.
    prices = dict(rows(clean, """
        select li.currency_iso_code = 'USD', avg(li.unit_price / r.conversion_rate)
        from raw.opportunity_line_item as li join raw.opportunity as o on o.id = li.opportunity_id
        join raw.product_2 as p on p.id = li.product_2_id and p.name = 'Platform License'
        join raw.dated_conversion_rate as r on r.iso_code = li.currency_iso_code
         and o.close_date >= r.start_date and o.close_date < r.next_start_date group by 1"""))
    assert 0.85 <= prices[False] / prices[True] <= 1.15
    # ... so a yen price is about 150 dollar prices: each currency's prices follow its rate.
    levels = rows(clean, """
        with prices as (select li.currency_iso_code, avg(li.unit_price) as price from raw.opportunity_line_item as li
                        join raw.product_2 as p on p.id = li.product_2_id where p.name = 'Platform License' group by 1),
        rates as (select iso_code as currency_iso_code, avg(conversion_rate) as rate
                  from raw.dated_conversion_rate group by 1)
        select currency_iso_code, price / rate / (select price from prices where currency_iso_code = 'USD')
        from prices join rates using (currency_iso_code)""")
    assert len(levels) >= 5 and all(0.8 <= level <= 1.25 for _, level in levels), levels
    assert one(clean, "select count(*) from raw.opportunity where amount <> round(amount, 2)") == 0


def test_work_spreads_over_the_week_inside_office_hours_and_closes_push_at_month_end(
        clean: duckdb.DuckDBPyConnection) -> None:
    tasks = dict(rows(clean, "select isodow(created_date), count(*) / sum(count(*)) over () from raw.task group by 1"))
    closes = dict(rows(clean, "select isodow(close_date), count(*) / sum(count(*)) over ()"
                              " from raw.opportunity where is_closed group by 1"))
    for spread in (tasks, closes):
        assert all(0.13 <= spread.get(day, 0) <= 0.25 for day in range(1, 6)), spread
        assert spread.get(6, 0) + spread.get(7, 0) < 0.01 and spread[5] < spread[2], spread
    assert one(clean, f"""
        with e as (select timezone({OFFICE_TZ}, e.start_date_time at time zone 'UTC') as starts,
                          timezone({OFFICE_TZ}, e.end_date_time at time zone 'UTC') as ends
                   from raw.event as e join raw.user as u on u.id = e.owner_id)
        select count(*) from e where isodow(starts) > 5 or hour(starts) < 8
           or ends > date_trunc('day', starts) + interval 18 hour or minute(starts) % 15 <> 0""") == 0
    last_week = dict(rows(clean, """select month(close_date) % 3 = 0, avg((close_date > last_day(close_date) - 7)::int)
                                    from raw.opportunity where is_closed group by 1"""))
    assert 0.3 <= last_week[False] < last_week[True] <= 0.7  # a week is a quarter of a month


def test_the_org_performs_like_published_benchmarks_by_its_tables_and_its_summary(
        clean_run: tuple[duckdb.DuckDBPyConnection, GenerationSummary]) -> None:
    """SDRs dial 40-60 times a working day and AEs call 10-20 times; about one
    conversation in seven books a meeting and about a third of meetings turn into a
    new-business win. Computed from the raw tables, and the run's own summary agrees."""
    con, summary = clean_run
    figures = summary.realism
    calls = dict(rows(con, f"""
        with days as (select cast(d as date) as day from range({HISTORY_START}, date '{END}', interval 1 day) as t (d)
                      where isodow(d) <= 5),
        reps as (select id, case title when 'Sales Development Rep' then 'SDR' else 'AE' end as role,
                        cast(created_date as date) as hired,
                        case when not is_active then cast(last_modified_date as date) end as left_on
                 from raw.user
                 where title in ('Sales Development Rep', 'Account Executive', 'Senior Account Executive')),
        employed as (select r.id, r.role, count(*) as working_days from reps as r join days
                     on days.day >= r.hired and (r.left_on is null or days.day < r.left_on) group by all),
        calls as (select owner_id, count(*) as calls from raw.task where type = 'Call' group by 1)
        select role, sum(coalesce(calls, 0)) / sum(working_days) from employed
        left join calls on calls.owner_id = employed.id group by 1"""))
    assert 40 <= calls["SDR"] <= 60 and 10 <= calls["AE"] <= 20, calls
    conversations = one(con, "select count(*) from raw.task where call_type = 'Outbound'"
                             " and call_disposition = 'Connected'")
    meetings = one(con, "select count(*) from raw.event where type = 'Meeting'")
    wins = one(con, f"select count(*) from raw.opportunity where is_won and type = 'New Business'"
                    f" and close_date >= {HISTORY_START}")
    assert 0.10 <= meetings / conversations <= 0.20
    assert 0.25 <= wins / meetings <= 0.45
    # The summary says the same.
    assert abs(figures["calls_per_working_day"]["SDR"] - calls["SDR"]) < 0.02 * calls["SDR"]
    assert abs(figures["calls_per_working_day"]["AE"] - calls["AE"]) < 0.02 * calls["AE"]
    assert abs(figures["call_to_meeting_rate"] - meetings / conversations) < 0.002
    assert abs(figures["meeting_to_win_rate"] - wins / meetings) < 0.002
    tasks = dict(rows(con, "select dayname(created_date)[:3], count(*) / sum(count(*)) over ()"
                           " from raw.task group by 1"))
    assert all(abs(share - tasks.get(day, 0)) < 0.002 for day, share in figures["tasks_by_weekday"].items())
    assert figures["tasks_by_weekday"]["Mon"] < 0.25 and figures["closes_by_weekday"]["Mon"] < 0.25
    assert 0.3 <= figures["closes_in_last_week_of_month"] <= 0.6
    owner_changes = one(con, "select count(*) / 2 from raw.opportunity_field_history where field = 'Owner'")
    assert sum(figures["owner_changes"].values()) == owner_changes
    assert figures["deals_by_currency"] == dict(rows(con, "select currency_iso_code, count(*) from raw.opportunity"
                                                          " group by 1 order by 2 desc, 1"))


def test_the_history_opens_with_a_pipeline_in_flight(clean_run: tuple[duckdb.DuckDBPyConnection,
                                                                      GenerationSummary]) -> None:
    con, summary = clean_run
    start = one(con, f"select {HISTORY_START}")
    in_flight = one(con, f"""select count(*) from raw.opportunity where created_date < timestamp '{start}'
                             and (not is_closed or close_date >= date '{start}')""")
    later = one(con, f"""select count(*) from raw.opportunity
                         where created_date < timestamp '{start}' + interval 6 month
                         and (not is_closed or close_date >= date '{start}' + interval 6 month)""")
    assert in_flight >= 0.6 * later
    assert one(con, f"select count(*) from raw.opportunity_history where created_date < timestamp '{start}'") > 0
    assert one(con, f"""select count(*) from raw.opportunity where created_date < timestamp '{start}'
                        and is_closed and close_date < date '{start}'""") == 0
    attainment = rows(con, f"""
        with won as (select date_trunc('month', o.close_date) as month, sum(o.amount / r.conversion_rate) as revenue
                     from raw.opportunity as o join raw.dated_conversion_rate as r on r.iso_code = o.currency_iso_code
                      and o.close_date >= r.start_date and o.close_date < r.next_start_date
                     where o.is_won group by 1),
        target as (select period_start as month, sum(target_value) as target from raw.quota where scope = 'rep'
                   and period_type = 'month' and quota_type = 'revenue' and period_start < date '{END}' group by 1)
        select sum(revenue) filter (where month < date '{start}' + interval 3 month)
                   / sum(target) filter (where month < date '{start}' + interval 3 month),
               sum(revenue) filter (where month >= date '{start}' + interval 3 month)
                   / sum(target) filter (where month >= date '{start}' + interval 3 month)
        from target join won using (month)""")[0]
    assert attainment[0] >= 0.65 * attainment[1] and 0.7 <= attainment[1] <= 1.4, attainment
    assert abs(summary.realism["revenue_attainment"]["first_months"] - attainment[0]) < 0.01
    assert one(con, "select min(month_start) from raw.rep_cost") == start


# --------------------------------------------------------------------------- quotas and costs


def test_quotas_add_up_exactly_and_go_to_active_reps_only(clean: duckdb.DuckDBPyConnection) -> None:
    assert one(clean, "select count(*) from raw.quota where target_value < 0 or target_value is null") == 0
    assert one(clean, """select count(*) from (select owner_id, scope, period_type, period_start, quota_type
                         from raw.quota group by all having count(*) > 1)""") == 0
    assert {r[0] for r in rows(clean, "select distinct quota_type from raw.quota")} == {
        "revenue", "gross_profit", "units", "calls", "emails", "meetings", "demos"}
    assert rows(clean, "select distinct period_type from raw.quota where scope = 'team' and quota_type = 'revenue'"
                       " order by 1") == [("month",), ("quarter",), ("year",)]
    assert one(clean, """
        select count(*) from raw.quota as t
        join (select u.manager_id, q.period_type, q.period_start, q.quota_type, sum(q.target_value) as total
              from raw.quota as q join raw.user as u on u.id = q.owner_id where q.scope = 'rep' group by all) as r
          on r.manager_id = t.owner_id and r.period_type = t.period_type and r.period_start = t.period_start
         and r.quota_type = t.quota_type
        where t.scope = 'team' and t.target_value <> r.total""") == 0
    assert one(clean, """select count(*) from raw.quota as t where scope = 'team' and period_type <> 'year'
                         and not exists (select 1 from raw.quota as r join raw.user as u on u.id = r.owner_id
                         where r.scope = 'rep' and u.manager_id = t.owner_id
                           and r.period_start = t.period_start)""") == 0
    quarters = rows(clean, """
        select count(*), count(*) filter (where q.target_value <> m.total),
               count(*) filter (where m.months <> 3 and (u.is_active
                                   or u.last_modified_date > q.period_start + interval 3 month))
        from raw.quota as q join raw.user as u on u.id = q.owner_id
        join (select owner_id, quota_type, date_trunc('quarter', period_start) as quarter, sum(target_value) as total,
                     count(*) as months
              from raw.quota where scope = 'rep' and period_type = 'month' group by all) as m
          on m.owner_id = q.owner_id and m.quota_type = q.quota_type and m.quarter = q.period_start
        where q.scope = 'rep' and q.period_type = 'quarter'""")[0]
    assert quarters[0] > 50 and quarters[1] == 0 and quarters[2] == 0
    assert one(clean, """select count(*) from raw.quota as q join raw.user as u on u.id = q.owner_id
                         where q.scope = 'rep' and (u.created_date > q.period_start
                            or (not u.is_active and u.last_modified_date <= q.period_start))""") == 0
    assert one(clean, "select max(period_start) from raw.quota") >= dt.date(2026, 12, 1)
    assert one(clean, "select count(*) from raw.quota where quota_type not in ('revenue', 'gross_profit')"
                      " and target_value <> round(target_value)") == 0
    typical = dict(rows(clean, """select quota_type, median(target_value) from raw.quota
                                  where scope = 'rep' and period_type = 'month' group by 1"""))
    assert typical["calls"] > typical["emails"] > typical["meetings"] > typical["demos"] >= 1
    assert typical["revenue"] > typical["gross_profit"] > 1000 and typical["units"] >= 5
    assert one(clean, "select count(*) from raw.quota where day(period_start) <> 1"
                      " or (period_type = 'quarter' and month(period_start) % 3 <> 1)"
                      " or (period_type = 'year' and month(period_start) <> 1)") == 0


def test_fiscal_year_start_moves_quarters_and_years() -> None:
    con = _connect(DemoConfig(seed=2, reps=6, months=8, end_date=END, fiscal_year_start_month=2))
    assert rows(con, "select distinct month(period_start) from raw.quota where period_type = 'year'") == [(2,)]
    assert one(con, "select count(*) from raw.quota where period_type = 'quarter'"
                    " and month(period_start) not in (2, 5, 8, 11)") == 0


def test_revenue_quota_attainment_spreads_around_target(clean: duckdb.DuckDBPyConnection) -> None:
    attainment = [r[0] for r in rows(clean, """
        with won as (select o.owner_id, sum(o.amount / r.conversion_rate) as revenue from raw.opportunity as o
                     join raw.dated_conversion_rate as r on r.iso_code = o.currency_iso_code
                      and o.close_date >= r.start_date and o.close_date < r.next_start_date
                     where o.is_won and o.close_date >= date '2025-10-01' and o.close_date < date '2026-04-01'
                     group by 1),
        target as (select owner_id, sum(target_value) as target from raw.quota
                   where scope = 'rep' and period_type = 'quarter' and quota_type = 'revenue'
                     and period_start in (date '2025-10-01', date '2026-01-01') group by 1 having count(*) = 2)
        select coalesce(revenue, 0) / target from target left join won using (owner_id)""")]
    assert len(attainment) >= 8
    assert min(attainment) < 0.9 and max(attainment) > 1.1
    assert 0.7 <= sorted(attainment)[len(attainment) // 2] <= 1.3


def test_rep_cost_is_one_row_per_user_and_month_employed(clean: duckdb.DuckDBPyConnection) -> None:
    assert one(clean, "select count(*) from (select user_id, month_start from raw.rep_cost group by all"
                      " having count(*) > 1)") == 0
    assert one(clean, "select count(*) from raw.user as u where not exists"
                      " (select 1 from raw.rep_cost as c where c.user_id = u.id)") == 0
    costs = dict(rows(clean, """select u.title, median(c.loaded_cost) from raw.rep_cost as c
                                join raw.user as u on u.id = c.user_id group by 1"""))
    assert costs["Sales Development Rep"] < costs["Account Executive"] < costs["Senior Account Executive"]
    assert costs["Senior Account Executive"] < costs["VP Sales"]


# --------------------------------------------------------------------------- dirty mode


def _manifest(dirty: duckdb.DuckDBPyConnection, table: str, fault: str) -> str:
    return (f"(select m.source_row, m.record_id, m.detail from raw.{MANIFEST_TABLE} as m"
            f" where m.table_name = '{table}' and m.fault = '{fault}')")


def test_dirty_tables_are_text_and_well_formed_outside_the_faults(dirty: duckdb.DuckDBPyConnection) -> None:
    types = {r[0] for r in rows(dirty, """select data_type from information_schema.columns
        where table_schema = 'raw' and table_name not like '\\_%' escape '\\'
          and column_name not in ('_loaded_at', '_source_row')""")}
    assert types == {"VARCHAR"}
    assert one(dirty, """select count(*) from raw.opportunity where created_date is not null
                         and not regexp_full_match(created_date, '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d')""") == 0
    # Every non-canonical boolean and every deletion is listed.
    for table in RAW_TABLES:
        booleans = [c for c in table.columns if c.startswith("is_")]
        if not booleans:
            continue
        odd = " or ".join(f"{c} not in ('true', 'false')" for c in booleans)
        listed = one(dirty, f"select count(*) from {_manifest(dirty, table.name, 'boolean_text')}")
        assert one(dirty, f'select count(*) from raw."{table.name}" where {odd}') == listed, table.name
        if "is_deleted" in booleans:
            deleted = one(dirty, f"""select count(*) from raw."{table.name}" where is_deleted in
                                    ('true', 'TRUE', '1', 't', 'yes')""")
            assert deleted == one(dirty, f"select count(*) from {_manifest(dirty, table.name, 'soft_deleted')}")


def test_every_listed_row_exists_and_shows_its_fault(dirty: duckdb.DuckDBPyConnection) -> None:
    catalogue = ", ".join(f"'{s}'" for s in STAGES)
    normal = "lower(regexp_replace(trim(stage_name), '\\s+', ' ', 'g'))"
    shows = {
        "soft_deleted": "is_deleted = 'true'",
        "empty_string": None,  # per table below
        "stage_name_format": f"stage_name not in ({catalogue}) and {normal} in (select lower(unnest([{catalogue}])))",
        "unknown_stage": f"{normal} not in (select lower(unnest([{catalogue}])))",
        "amount_as_text": "not regexp_full_match(AMOUNT, '\\d+\\.\\d\\d') and try_cast(trim(AMOUNT) as double) > 0",
        "non_numeric_amount": "try_cast(amount as double) is null",
        "negative_amount": "try_cast(amount as double) < 0",
        "missing_id": "coalesce(ID, '') = ''",
        "activity_no_owner": "coalesce(owner_id, '') = ''",
        "unknown_period_type": "period_type not in ('month', 'quarter', 'year')",
        "currency_code_format": "currency_iso_code <> upper(trim(currency_iso_code)) and upper(trim(currency_iso_code))"
                                " in (select iso_code from raw.dated_conversion_rate)",
        "empty_currency": "currency_iso_code = ''",
        "rate_as_text": "not regexp_full_match(conversion_rate, '\\d+\\.\\d{6}')"
                        " and try_cast(trim(conversion_rate) as double) > 0",
        "orphan_history": "opportunity_id not in (select id from raw.opportunity where id is not null)",
        "orphan_line_item": "opportunity_id not in (select id from raw.opportunity where id is not null)",
    }
    listed = rows(dirty, f"select table_name, fault, count(*) from raw.{MANIFEST_TABLE} group by all")
    assert {f for _, f, _ in listed} >= {
        "duplicate_stale", "duplicate_tie", "soft_deleted", "parent_deleted", "boolean_text", "empty_string",
        "stage_name_format", "history_timestamp_tie", "amount_as_text", "missing_id", "unknown_stage",
        "non_numeric_amount", "negative_amount", "orphan_history", "orphan_line_item", "activity_no_owner",
        "unknown_period_type", "currency_code_format", "empty_currency", "rate_as_text", "duplicate_reloaded"}
    assert {t for t, _, _ in listed} >= {"opportunity_field_history", "dated_conversion_rate"}
    for table, fault, count in listed:
        found = one(dirty, f'select count(*) from raw."{table}" as t join {_manifest(dirty, table, fault)} as m'
                           f" on m.source_row = t._source_row")
        assert found == count, (table, fault)
        condition = shows.get(fault)
        if fault == "empty_string":
            nullable = {"user": ["division", "manager_id"], "user_role": ["parent_role_id"],
                        "account": ["industry", "account_source"], "opportunity": ["lead_source"],
                        "task": ["who_id", "what_id", "account_id", "type", "call_type", "call_disposition"],
                        "event": ["who_id"], "lead": ["converted_opportunity_id", "converted_account_id"]}[table]
            condition = " or ".join(f"{c} = ''" for c in nullable)
        if fault == "boolean_text":
            condition = " or ".join(f"{c} not in ('true', 'false')" for c in
                                    RAW_TABLES_BY_NAME[table].columns if c.startswith("is_"))
        if fault == "duplicate_reloaded":
            condition = f'exists (select 1 from raw."{table}" as o where o.id = t.id and o._loaded_at > t._loaded_at)'
        if fault in ("parent_deleted", "parent_quarantined"):
            parent = ("o.is_deleted = 'true'" if fault == "parent_deleted" else
                      f"o._source_row in (select source_row from raw.{MANIFEST_TABLE}"
                      f" where table_name = 'opportunity'"
                      f" and fault in ('unknown_stage', 'non_numeric_amount', 'negative_amount'))")
            condition = f"opportunity_id in (select o.id from raw.opportunity as o where {parent})"
        if condition is None:
            continue
        condition = condition.replace("AMOUNT", "total_price" if table == "opportunity_line_item" else "amount")
        condition = condition.replace("ID", "user_id" if table == "rep_cost" else "id")
        shown = one(dirty, f'select count(*) from raw."{table}" as t join {_manifest(dirty, table, fault)} as m'
                           f" on m.source_row = t._source_row where {condition}")
        assert shown == count, (table, fault)


def test_duplicates_lose_to_the_version_named_in_the_manifest(dirty: duckdb.DuckDBPyConnection) -> None:
    for table in ("account", "opportunity", "task", "lead", "quota", "opportunity_line_item", "user"):
        for fault in ("duplicate_stale", "duplicate_tie"):
            bad = one(dirty, f"""
                select count(*) from {_manifest(dirty, table, fault)} as m
                join raw."{table}" as extra on extra._source_row = m.source_row
                join raw."{table}" as winner
                  on winner._source_row = cast(regexp_extract(m.detail, 'source_row (\\d+)', 1) as bigint)
                where winner.id <> extra.id
                   or (to_json(extra) = to_json(winner))
                   or not (winner.last_modified_date > extra.last_modified_date
                           or (winner.last_modified_date = extra.last_modified_date
                               and (winner._loaded_at, winner._source_row) > (extra._loaded_at, extra._source_row)))
                   or ('{fault}' = 'duplicate_stale' and not extra._loaded_at > winner._loaded_at)
                   or ('{fault}' = 'duplicate_tie' and extra.last_modified_date <> winner.last_modified_date)""")
            assert bad == 0, (table, fault)
            assert one(dirty, f"select count(*) from {_manifest(dirty, table, fault)}") >= 1, (table, fault)


def test_dependants_of_deleted_deals_and_timestamp_ties_are_listed(dirty: duckdb.DuckDBPyConnection) -> None:
    for table in ("opportunity_history", "opportunity_line_item", "opportunity_field_history"):
        live_children = one(dirty, f"""
            select count(*) from raw."{table}" as c join raw.opportunity as o on o.id = c.opportunity_id
            where o.is_deleted = 'true' and c._source_row not in
                (select source_row from {_manifest(dirty, table, 'parent_deleted')})""")
        assert live_children == 0
        if table != "opportunity_field_history":  # few deleted deals changed owner
            assert one(dirty, f"select count(*) from {_manifest(dirty, table, 'parent_deleted')}") >= 1
    assert one(dirty, f"""
        select count(*) from {_manifest(dirty, 'opportunity_history', 'history_timestamp_tie')} as m
        join raw.opportunity_history as h on h._source_row = m.source_row
        where not exists (select 1 from raw.opportunity_history as o where o.opportunity_id = h.opportunity_id
                          and o.created_date = h.created_date and o._source_row <> h._source_row)""") == 0


def test_fault_rates_follow_dirty_rate_and_quarantine_stays_under_one_percent(
        dirty: duckdb.DuckDBPyConnection) -> None:
    quarantine = ("missing_id", "unknown_stage", "non_numeric_amount", "negative_amount", "orphan_history",
                  "orphan_line_item", "activity_no_owner", "unknown_period_type")
    shares = rows(dirty, f"""
        select m.table_name, count(*) filter (where fault in {quarantine}) / any_value(n.n)
        from raw.{MANIFEST_TABLE} as m
        join (select 'task' as t, count(*) as n from raw.task union all
              select 'opportunity', count(*) from raw.opportunity union all
              select 'opportunity_history', count(*) from raw.opportunity_history union all
              select 'opportunity_line_item', count(*) from raw.opportunity_line_item union all
              select 'lead', count(*) from raw.lead union all select 'quota', count(*) from raw.quota union all
              select 'event', count(*) from raw.event union all select 'account', count(*) from raw.account
             ) as n on n.t = m.table_name
        group by 1""")
    assert len(shares) == 8 and all(share < 0.01 for _, share in shares), shares
    for table in ("task", "opportunity_history", "quota", "lead"):
        n = one(dirty, f'select count(*) from raw."{table}" where _source_row not in (select source_row from'
                       f" raw.{MANIFEST_TABLE} where table_name = '{table}' and fault not like 'parent%')")
        for fault, count in rows(dirty, f"select fault, count(*) from raw.{MANIFEST_TABLE}"
                                        f" where table_name = '{table}' and fault not like 'parent%' group by 1"):
            expected = DIRTY.dirty_rate * n
            assert 0.5 * expected <= count <= 1.5 * expected + 1, (table, fault, count, expected)


def test_cleaning_the_dirty_load_gives_consistent_live_data(dirty: duckdb.DuckDBPyConnection) -> None:
    """What staging will do (dedupe on last_modified_date then load order, drop deletions and
    unusable rows) leaves data that keeps the rules the marts rely on."""
    def live(table: str) -> str:
        deleted = "" if table == "user" else "and lower(is_deleted) in ('false', 'f', '0', 'no')"
        return f"""(select * from raw."{table}" where coalesce(id, '') <> ''
                    qualify row_number() over (partition by id order by last_modified_date desc,
                                               _loaded_at desc, _source_row desc) = 1 {deleted})"""
    quota = f"(select * from {live('quota')} where period_type in ('month', 'quarter', 'year'))"
    assert one(dirty, f"""select count(*) from (select owner_id, scope, period_type, period_start, quota_type
                          from {quota} group by all having count(*) > 1)""") == 0
    assert one(dirty, f"""
        select count(*) from {quota} as t
        join (select u.manager_id, q.period_type, q.period_start, q.quota_type,
                     sum(cast(q.target_value as decimal(18, 2))) as total
              from {quota} as q join {live('user')} as u on u.id = q.owner_id where q.scope = 'rep' group by all) as r
          on r.manager_id = t.owner_id and r.period_type = t.period_type and r.period_start = t.period_start
         and r.quota_type = t.quota_type
        where t.scope = 'team' and cast(t.target_value as decimal(18, 2)) <> r.total""") == 0
    # Each owner change still has its id row and its name row at one instant.
    field_history = f"""(select * from raw.opportunity_field_history where coalesce(id, '') <> ''
                         qualify row_number() over (partition by id order by _loaded_at desc, _source_row desc) = 1
                         and lower(is_deleted) in ('false', 'f', '0', 'no'))"""
    assert one(dirty, f"""select count(*) from (select opportunity_id, created_date, count(*) as n,
                                 count(*) filter (where new_value like '005%') as by_id
                          from {field_history} where field = 'Owner' group by all) where n <> 2 or by_id <> 1""") == 0
    assert one(dirty, f"""
        select count(*) from {live('opportunity')} as o
        join (select opportunity_id, sum(cast(trim(total_price) as double)) as total
              from {live('opportunity_line_item')} group by 1) as li on li.opportunity_id = o.id
        where try_cast(o.amount as double) > 0 and abs(li.total - cast(o.amount as double)) > 0.005""") == 0
