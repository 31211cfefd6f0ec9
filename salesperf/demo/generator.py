"""A generation run: build the org, deals, leads, activities, quotas and costs from a
config, in a fixed order, and write every raw table as it becomes ready."""

from __future__ import annotations

import time
from collections.abc import Callable

import duckdb

from salesperf.demo.activities import _activities
from salesperf.demo.calendar import _calendar
from salesperf.demo.config import DemoConfig, GenerationSummary, _rng
from salesperf.demo.costs import _rep_costs
from salesperf.demo.deals import _opportunities
from salesperf.demo.memory import _reuse_freed_memory
from salesperf.demo.org import REP, _build_org, _rep_month_grid
from salesperf.demo.quotas import _quotas
from salesperf.demo.tables import _tables
from salesperf.demo.writer import _Writer


def generate(
    config: DemoConfig,
    con: duckdb.DuckDBPyConnection,
    schema: str = "raw",
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write every raw table of the contract (and the fault manifest) into `schema`."""
    with _reuse_freed_memory():
        return _generate(config, con, schema, progress)


def _generate(config: DemoConfig, con: duckdb.DuckDBPyConnection, schema: str,
              progress: Callable[[str], None] | None) -> GenerationSummary:
    started = time.perf_counter()
    say = progress or (lambda line: None)
    cal = _calendar(config)
    org = _build_org(config, cal, _rng(config, 1))
    say(f"org: {org.n_users:,} users in {org.n_teams} teams, {int((org.kind == REP).sum()):,} reps over time")
    grid = _rep_month_grid(cal, org)
    deals, leads = _opportunities(config, cal, org, grid)
    say(f"opportunities: {deals.n:,} rows, history: {len(deals.h_opp):,} rows, "
        f"line items: {len(deals.li_opp):,} rows")
    say(f"leads: {len(leads.created):,} rows, accounts: {deals.accounts.n:,} rows")
    later: dict = {}  # inputs of the remaining tables, filled in while the first ones are written
    build = _tables(cal, org, deals, leads, later)
    with _Writer(con, schema, config, _rng(config, 10), say) as writer:
        for name in ("user", "user_role", "product_2", "account", "opportunity", "opportunity_history",
                     "opportunity_line_item", "lead"):
            writer.submit(build[name])
        later["acts"] = acts = _activities(cal, org, deals, leads, _rng(config, 7))
        say(f"tasks: {len(acts.t_ts):,} rows, events: {len(acts.e_start):,} rows")
        writer.submit(build["task"])
        writer.submit(build["event"])
        later["quotas"] = _quotas(config, cal, org, grid, deals, acts)
        later["costs"] = _rep_costs(cal, org, _rng(config, 9))
        writer.submit(build["quota"])
        writer.submit(build["rep_cost"])
        writer.submit(build["opportunity_field_history"])
        writer.submit(build["dated_conversion_rate"])
        row_counts = writer.finish()
    return GenerationSummary(config, row_counts, time.perf_counter() - started)
