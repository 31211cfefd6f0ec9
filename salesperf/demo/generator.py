"""A generation run: build the org, deals, leads, activities, quotas and costs from a
config, in a fixed order, and write every raw table as soon as its inputs are ready."""

from __future__ import annotations

import time
from collections.abc import Callable

import duckdb

from salesperf.demo import tables
from salesperf.demo.activities import build_activities
from salesperf.demo.calendar import build_calendar
from salesperf.demo.config import DemoConfig, GenerationSummary, random_stream
from salesperf.demo.costs import build_rep_costs
from salesperf.demo.deals import build_deals
from salesperf.demo.leads import build_leads
from salesperf.demo.memory import reuse_freed_memory
from salesperf.demo.org import REP, build_org, rep_month_grid
from salesperf.demo.quotas import build_quotas
from salesperf.demo.realism import realism_figures
from salesperf.demo.writer import Writer


def generate(
    config: DemoConfig,
    con: duckdb.DuckDBPyConnection,
    schema: str = "raw",
    progress: Callable[[str], None] | None = None,
    on_table: Callable[[str, int], None] | None = None,
) -> GenerationSummary:
    """Write every raw table of the contract (and the fault manifest) into `schema`.
    `progress` gets a line per stage and table; `on_table` each raw table's name and rows
    as soon as it is written (from the writer's thread on a clean load)."""
    with reuse_freed_memory():
        return _generate(config, con, schema, progress, on_table)


def _generate(config: DemoConfig, con: duckdb.DuckDBPyConnection, schema: str,
              progress: Callable[[str], None] | None,
              on_table: Callable[[str, int], None] | None) -> GenerationSummary:
    """The stages in order, each taking the results of earlier ones as arguments:
    calendar -> org -> rep months (of the history and of the months before it) -> deals
    (with their accounts, owners over time and exchange rates) -> leads -> activities ->
    quotas -> costs -> realism figures. Each table is handed to the writer as soon as its inputs exist, so
    the writer thread lands the deal tables while the activities are generated."""
    started = time.perf_counter()
    say = progress or (lambda line: None)
    cal = build_calendar(config)
    org = build_org(config, cal, random_stream(config, 1))
    say(f"org: {org.n_users:,} users in {org.n_teams} teams, {int((org.kind == REP).sum()):,} reps over time")
    grid = rep_month_grid(cal, org)
    warm_grid = rep_month_grid(cal, org, before_history=True)
    lead_rng = random_stream(config, 3)
    deals, origins = build_deals(config, cal, org, grid, warm_grid, lead_rng)
    leads = build_leads(cal, org, lead_rng, deals, origins)
    say(f"opportunities: {deals.n:,} rows, history: {len(deals.h_opp):,} rows, "
        f"line items: {len(deals.li_opp):,} rows")
    say(f"leads: {len(leads.created):,} rows, accounts: {deals.accounts.n:,} rows")
    ids = tables.Ids(org, deals)
    with Writer(con, schema, config, random_stream(config, 10), say, on_table) as writer:
        writer.submit(lambda: tables.user_table(org, ids))
        writer.submit(lambda: tables.user_role_table(org))
        writer.submit(lambda: tables.product_2_table(cal, deals))
        writer.submit(lambda: tables.account_table(deals.accounts, ids))
        writer.submit(lambda: tables.opportunity_table(deals, leads, ids))
        writer.submit(lambda: tables.opportunity_history_table(deals, ids))
        writer.submit(lambda: tables.opportunity_line_item_table(deals, ids))
        writer.submit(lambda: tables.lead_table(leads, deals, ids))
        writer.submit(lambda: tables.opportunity_field_history_table(cal, org, deals))
        writer.submit(lambda: tables.dated_conversion_rate_table(deals.rates))
        acts = build_activities(cal, org, grid, deals, leads, random_stream(config, 7))
        say(f"tasks: {len(acts.t_ts):,} rows, events: {len(acts.e_start):,} rows")
        writer.submit(lambda: tables.task_table(cal, acts, ids))
        writer.submit(lambda: tables.event_table(acts, ids))
        quotas = build_quotas(config, cal, org, grid, deals, acts)
        costs = build_rep_costs(cal, org, random_stream(config, 9))
        writer.submit(lambda: tables.quota_table(quotas, ids))
        writer.submit(lambda: tables.rep_cost_table(costs, ids))
        figures = realism_figures(cal, org, grid, deals, acts, quotas)
        row_counts = writer.finish()
    return GenerationSummary(config, row_counts, time.perf_counter() - started, figures)
