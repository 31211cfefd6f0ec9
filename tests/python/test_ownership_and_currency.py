"""Owner changes and currencies, end to end: the small demo with a few deals moved into
OpportunityFieldHistory's two rows per owner change and into euros with dated rates, built,
and the marts checked against values worked out here from the rows this test wrote."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from salesperf.dbt_build import WITHOUT_UNIT_TESTS, BuildSummary, build, dbt_vars
from salesperf.warehouse import connect
from tests.python.helpers import SMALL_DEMO_AS_OF, query
from tests.python.independent import in_corporate_currency

AS_OF = datetime.fromisoformat(SMALL_DEMO_AS_OF)
VARS = dbt_vars(as_of=SMALL_DEMO_AS_OF)


def euro_rate(month: date) -> Decimal:
    """Euros per dollar in a month: a rate that moves every month."""
    return Decimal("0.80") + Decimal(month.month) / Decimal(100) + Decimal(month.year - 2025) / Decimal(10)


def in_dollars(amount: Decimal, day: date) -> Decimal:
    return in_corporate_currency(amount, euro_rate(day.replace(day=1)))


def write_euro_rates(con, first: date, last: date, skip: date | None = None) -> None:
    """Replace the demo's euro rates with ones this test knows."""
    con.execute("delete from raw.dated_conversion_rate where iso_code = 'EUR'")
    row = con.execute("select coalesce(max(_source_row), 0) from raw.dated_conversion_rate").fetchone()[0]
    month, n = first.replace(day=1), 0
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        if month != skip:
            n += 1
            con.execute("insert into raw.dated_conversion_rate by name select ? as id, 'EUR' as iso_code,"
                        " ? as start_date, ? as next_start_date, ? as conversion_rate, ? as _source_row",
                        [f"04wEUR{n:012d}", month, following, euro_rate(month), row + n])
        month = following


@pytest.fixture(scope="module")
def changed_demo(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demo with: a won deal handed from its creator to another rep before it closed
    (id row and name row), a deal whose owner was hired after it was created and no
    history says who held it, and a won and an open deal in euros."""
    path = tmp_path_factory.mktemp("changed") / "changed.duckdb"
    shutil.copy(demo_warehouse, path)
    with connect(path) as con:
        hires = dict(con.execute("select id, created_date from raw.user").fetchall())
        names = dict(con.execute("select id, name from raw.user").fetchall())
        # deals in dollars whose owner never changed: this test writes their only changes
        unchanged = ("o.id not in (select opportunity_id from raw.opportunity_field_history)"
                     " and o.currency_iso_code = 'USD'")
        won = con.execute(
            "select o.id, o.owner_id, o.created_date, h.created_date from raw.opportunity o"
            " join raw.opportunity_history h on h.opportunity_id = o.id and h.stage_name = 'Closed Won'"
            f" where o.is_won and o.close_date < date '2026-05-01' and {unchanged} order by o.id limit 2"
        ).fetchall()
        (handed, creator, created, won_at), (euro_won, *_) = won
        handed_at = created + (won_at - created) / 2
        successor = next(u for u, hired in sorted(hires.items())
                         if u != creator and u.startswith("005") and hired < created
                         and con.execute("select count(*) from raw.opportunity where owner_id = ?", [u]).fetchone()[0])
        # Salesforce's two rows for one change; the name row gets the larger id, so that an
        # id-blind reading would take it as the newer owner.
        row = con.execute("select coalesce(max(_source_row), 0) from raw.opportunity_field_history").fetchone()[0]
        con.execute("insert into raw.opportunity_field_history by name"
                    " select * from (values (?, ?, 'Owner', ?, ?, ?, false, ?), (?, ?, 'Owner', ?, ?, ?, false, ?))"
                    " as t(id, opportunity_id, field, old_value, new_value, created_date, is_deleted, _source_row)",
                    ["017A00000000000001", handed, creator, successor, handed_at, row + 1,
                     "017A00000000000002", handed, names[creator], names[successor], handed_at, row + 2])
        con.execute("update raw.opportunity set owner_id = ? where id = ?", [successor, handed])

        latest_hire, late_rep = max((hired, u) for u, hired in hires.items()
                                    if con.execute("select count(*) from raw.opportunity where owner_id = ?",
                                                   [u]).fetchone()[0])
        inherited = con.execute(
            f"select o.id from raw.opportunity o where o.created_date < ? and o.id not in (?, ?) and {unchanged}"
            " order by o.created_date, o.id limit 1", [latest_hire, handed, euro_won]).fetchone()[0]
        con.execute("update raw.opportunity set owner_id = ? where id = ?", [late_rep, inherited])

        euro_open = con.execute(f"select o.id from raw.opportunity o where not o.is_closed and {unchanged}"
                                " and o.id != ? order by o.id limit 1", [inherited]).fetchone()[0]
        for deal in (euro_won, euro_open):
            for table, column in (("opportunity", "id"), ("opportunity_history", "opportunity_id"),
                                  ("opportunity_line_item", "opportunity_id")):
                con.execute(f"update raw.{table} set currency_iso_code = 'EUR' where {column} = ?", [deal])
        write_euro_rates(con, date(2025, 1, 1), date(2026, 12, 1))
        deals = {oid: (amount, close_day) for oid, amount, close_day in con.execute(
            "select id, amount, close_date from raw.opportunity where id in (?, ?)", [euro_won, euro_open]).fetchall()}
        line_totals = dict(con.execute("select opportunity_id, sum(total_price) from raw.opportunity_line_item"
                                       " where opportunity_id = ? group by 1", [euro_won]).fetchall())
    summary = build([*WITHOUT_UNIT_TESTS, *VARS], database=path, target_path=tmp_path_factory.mktemp("changed_target"))
    return {"path": path, "summary": summary, "handed": handed, "creator": creator, "successor": successor,
            "inherited": inherited, "late_rep": late_rep, "euro_won": euro_won, "euro_open": euro_open,
            "deals": deals, "line_totals": line_totals}


def test_the_build_passes_every_rule(changed_demo: dict) -> None:
    summary: BuildSummary = changed_demo["summary"]
    assert summary.success, summary.failures


def test_a_handed_over_deal_is_its_creators_creation_and_its_new_owners_win(changed_demo: dict) -> None:
    [(rep, creating, closing)] = query(changed_demo["path"], "select rep_id, creating_rep_id, closing_rep_id"
                                       f" from marts.fct_opportunities where opportunity_id = '{changed_demo['handed']}'")
    assert (rep, creating, closing) == (changed_demo["successor"], changed_demo["creator"], changed_demo["successor"])
    # the name row named no owner: no rep is called after a person's name
    assert query(changed_demo["path"], "select rep_id from marts.dim_reps where rep_id like '% %'") == []


def test_a_deal_from_before_its_owners_hire_is_unassigned(changed_demo: dict) -> None:
    path = changed_demo["path"]
    [(creating, rep)] = query(path, "select creating_rep_id, rep_id from marts.fct_opportunities"
                                    f" where opportunity_id = '{changed_demo['inherited']}'")
    assert creating == "unassigned" and rep == changed_demo["late_rep"]
    [(created,)] = query(path, "select sum(opportunities_created) from marts.rep_activity_monthly"
                               " where rep_id = 'unassigned'")
    assert created >= 1
    [(reps,)] = query(path, "select count(*) from marts.dim_reps where rep_id = 'unassigned' and not is_crm_user")
    assert reps == 1


def test_euro_deals_are_in_dollars_at_the_rate_of_the_day_they_are_read(changed_demo: dict) -> None:
    path = changed_demo["path"]
    won_amount, close_day = changed_demo["deals"][changed_demo["euro_won"]]
    open_amount, _ = changed_demo["deals"][changed_demo["euro_open"]]
    facts = {oid: (amount, in_currency, currency, gross_profit) for oid, amount, in_currency, currency, gross_profit in
             query(path, "select opportunity_id, amount, amount_in_currency, currency_code, gross_profit"
                         " from marts.fct_opportunities where currency_code = 'EUR'")}
    assert facts[changed_demo["euro_won"]][:3] == (in_dollars(won_amount, close_day), won_amount, "EUR")
    assert facts[changed_demo["euro_open"]][:3] == (in_dollars(open_amount, AS_OF.date()), open_amount, "EUR")
    assert euro_rate(close_day) != euro_rate(AS_OF.date())
    # gross profit takes the line items' prices in dollars at the same rate
    costs = query(path, "select li.quantity, p.unit_cost_c from raw.opportunity_line_item li"
                        " join raw.product_2 p on p.id = li.product_2_id"
                        f" where li.opportunity_id = '{changed_demo['euro_won']}'")
    if costs:
        prices = query(path, "select total_price from raw.opportunity_line_item"
                             f" where opportunity_id = '{changed_demo['euro_won']}'")
        expected = sum(in_dollars(price, close_day) for (price,) in prices) - sum(
            Decimal(q) * Decimal(c) for q, c in costs)
        assert facts[changed_demo["euro_won"]][3] == expected
    # each month-end position of the open deal is converted at that month-end's rate
    for snapshot_date, amount, in_currency in query(
            path, "select snapshot_date, amount, amount_in_currency from intermediate.int_pipeline_month_end_positions"
                  f" where opportunity_id = '{changed_demo['euro_open']}'"):
        assert amount == in_dollars(in_currency, snapshot_date), snapshot_date


def test_a_missing_rate_fails_the_build_naming_currency_and_day(changed_demo: dict, tmp_path: Path) -> None:
    path = tmp_path / "no_rate.duckdb"
    shutil.copy(changed_demo["path"], path)
    _, close_day = changed_demo["deals"][changed_demo["euro_won"]]
    with connect(path) as con:
        con.execute("delete from raw.dated_conversion_rate")
        write_euro_rates(con, date(2025, 1, 1), date(2026, 12, 1), skip=close_day.replace(day=1))
    summary = build([*WITHOUT_UNIT_TESTS, *VARS], database=path, target_path=tmp_path / "target")
    assert not summary.success
    assert any("assert_money_has_a_conversion_rate" in failure for failure in summary.failures), summary.failures
    rows = query(path, "select currency_code, rate_date, read_by, problem"
                       " from dbt_test__audit.assert_money_has_a_conversion_rate")
    assert ("EUR", close_day, "fct_opportunities", f"no conversion rate for EUR on {close_day}") in rows
    # the deal is not counted 1:1 meanwhile
    [(amount,)] = query(path, "select amount from marts.fct_opportunities"
                              f" where opportunity_id = '{changed_demo['euro_won']}'")
    assert amount is None
