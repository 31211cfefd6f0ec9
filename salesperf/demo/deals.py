"""Opportunities: new business from leads and outbound work (with the pipeline already in
flight when the history starts), then renewals and upsells, then owners, currencies,
products, amounts and field history, assembled into one deal table (`Deals`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesperf.demo.accounts import Accounts, finish_accounts, new_accounts
from salesperf.demo.calendar import Calendar, advance, between, quarter_season
from salesperf.demo.config import DemoConfig, random_stream
from salesperf.demo.constants import DAY, NEVER, NEW
from salesperf.demo.currency import CURRENCY_OF_COUNTRY, LEVEL, Rates, build_rates, estimate_step
from salesperf.demo.history import add_change_rows, history_values
from salesperf.demo.lead_sources import CONVERTED_MIX, LEAD_SOURCES, OTHER_SOURCE, REFERRAL_BOOST
from salesperf.demo.org import Org, RepMonths
from salesperf.demo.owners import Ownership, build_ownership, sdr_handoffs
from salesperf.demo.products import PRODUCTS, line_items
from salesperf.demo.repeat import prehistory_customers, repeat_business
from salesperf.demo.stages import WON, Paths, simulate_stages


@dataclass
class Deals:
    n: int
    kind: np.ndarray
    creator: np.ndarray
    owner: np.ndarray  # current owner
    close_owner: np.ndarray  # owner when the deal closed (open deals: the current owner)
    ownership: Ownership
    region: np.ndarray
    account: np.ndarray
    currency: np.ndarray  # index into CURRENCIES, the account's country's
    created: np.ndarray
    lead_source: np.ndarray  # -1 = null
    from_lead: np.ndarray
    stage: np.ndarray
    close_ts: np.ndarray  # time of the last stage row (the close for closed deals)
    close_day: np.ndarray  # close_date: actual for closed deals, expected for open ones
    last_modified: np.ndarray
    amount: np.ndarray  # cents in the deal's currency, = sum of line items
    probability: np.ndarray
    reopened: np.ndarray
    # history, sorted by deal then time
    h_opp: np.ndarray
    h_ts: np.ndarray
    h_stage: np.ndarray
    h_amount: np.ndarray
    h_close_day: np.ndarray
    h_probability: np.ndarray
    # line items, sorted by deal
    li_opp: np.ndarray
    li_product: np.ndarray
    li_quantity: np.ndarray
    li_unit_cents: np.ndarray
    li_total_cents: np.ndarray
    li_last_modified: np.ndarray
    accounts: Accounts
    rates: Rates
    products_deactivated: np.ndarray  # per product: deactivation time, NEVER if active
    new_index: np.ndarray  # deal index of each first-generation (new business) deal
    logged: np.ndarray  # False for the few deals whose rep never logs an activity on them

    @property
    def is_closed(self) -> np.ndarray:
        return self.stage >= WON

    @property
    def is_won(self) -> np.ndarray:
        return self.stage == WON

    def owner_at(self, deal: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return self.ownership.owner_at(self.creator, deal, ts)


@dataclass
class LeadOrigins:
    """For each new-business deal: whether a converted lead is behind it, that lead's
    source, when it was created and when the rep first touched it."""

    from_lead: np.ndarray
    source: np.ndarray
    lead_created: np.ndarray
    first_touch: np.ndarray


def _season(cal: Calendar, config: DemoConfig, month: np.ndarray) -> np.ndarray:
    """Deal flow bunches at the end of fiscal quarters (month = history month index)."""
    return quarter_season((cal.first_month_index + month) % 12 + 1, config.fiscal_year_start_month)


def _new_business(config: DemoConfig, cal: Calendar, org: Org, grid: RepMonths,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Creator and creation time of the new-business deals of each rep month, spread
    over the rep's office hours while employed."""
    # New business is about four fifths of all deals once renewals and upsells come in.
    new_rate = config.opportunities_per_rep_month * 0.78
    expected = (new_rate * grid.working_days / 21.0 * grid.ramp * org.opp_rate[grid.rep]
                * _season(cal, config, grid.month))
    row = np.repeat(np.arange(len(grid.rep)), rng.poisson(expected))
    creator = grid.rep[row]
    lo, hi = grid.window(org)
    created = between(cal, lo[row], hi[row], org.region[creator], rng.random(len(row)))
    return creator, created


def build_deals(config: DemoConfig, cal: Calendar, org: Org, grid: RepMonths, warm_grid: RepMonths,
                lead_rng: np.random.Generator) -> tuple[Deals, LeadOrigins]:
    """New business from leads and outbound work, then renewals and upsells generation
    by generation, then owners, products, amounts and field history; and the leads
    behind the lead-sourced deals (drawn from `lead_rng`, which the leads stage
    continues). The history opens with a pipeline in flight: new business created in
    the months before it (`warm_grid`) that was still open when it started."""
    rng = random_stream(config, 2)
    creator, created = (np.concatenate(pair) for pair in zip(
        _new_business(config, cal, org, warm_grid, rng), _new_business(config, cal, org, grid, rng), strict=True))
    order = np.argsort(created, kind="stable")
    creator, created = creator[order], created[order]
    n_new = len(created)

    # A share of new deals come from a lead the rep converted that day.
    source = lead_rng.choice(len(LEAD_SOURCES), n_new, p=CONVERTED_MIX)
    qualify_days = lead_rng.lognormal(np.log(4), 0.9, n_new) + 0.05
    first_touch = advance(cal, created, -qualify_days, org.region[creator])
    delay = (lead_rng.lognormal(np.log(org.response_minutes[creator]), 0.8) * 60).astype(np.int64)
    lead_created = first_touch - delay
    from_lead = (lead_rng.random(n_new) < 0.58) & (lead_created >= np.maximum(cal.start_ts, org.hire_ts[creator]))
    lead_source = np.where(from_lead, source, OTHER_SOURCE)

    quick = rng.random(n_new) < 0.012
    boost = np.where(from_lead, REFERRAL_BOOST[lead_source], -0.1)
    skill = org.skill[creator] + 0.12 * np.log(org.persistence[creator] / 1.7) + boost
    paths = simulate_stages(cal, rng, created, org.region[creator], skill, org.speed[creator], quick)
    # Of the deals created before the history, only those still open at its start are in it.
    keep = (created >= cal.start_ts) | ~paths.closed_before(cal.start_ts)
    paths = paths.subset(keep)
    creator, created, lead_source, from_lead = creator[keep], created[keep], lead_source[keep], from_lead[keep]
    origins = LeadOrigins(from_lead, source[keep], lead_created[keep], first_touch[keep])
    n_new = len(created)

    owner_rng = random_stream(config, 5)
    handoff_ts, handoff_to = sdr_handoffs(cal, org, owner_rng, creator, paths)
    new_owners = build_ownership(cal, org, owner_rng, creator, created, _open_until(cal, paths),
                                 handoff_ts, handoff_to)
    accounts_rng = random_stream(config, 4)
    account, accounts = new_accounts(cal, org, accounts_rng, creator, created, lead_source, from_lead, paths)
    # A won account belongs to the AE who won it (from then on, to whoever holds the seat).
    won = np.flatnonzero(paths.stage == WON)
    won = won[np.argsort(-paths.last_ts[won], kind="stable")]  # the first win is written last
    accounts.owner_base[account[won]] = new_owners.owner_at(creator, won, paths.last_ts[won])
    generations = [dict(kind=np.full(n_new, NEW), creator=creator, created=created,
                        account=account, lead_source=lead_source, from_lead=from_lead, paths=paths)]
    pre_seeds = prehistory_customers(config, cal, org, accounts_rng, accounts)
    repeat_business(config, cal, org, rng, accounts, generations, pre_seeds)
    owners = [(new_owners, 0)]
    offset = n_new
    for gen in generations[1:]:
        none = np.full(len(gen["kind"]), NEVER)
        owners.append((build_ownership(cal, org, owner_rng, gen["creator"], gen["created"],
                                       _open_until(cal, gen["paths"]), none, np.full(len(none), -1)), offset))
        offset += len(none)
    rates = build_rates(cal, int(created.min() // DAY) if n_new else cal.start_day, random_stream(config, 6))
    deals = _assemble(cal, org, rng, generations, Ownership.concat(owners), accounts, rates)
    return deals, origins


def _open_until(cal: Calendar, paths: Paths) -> np.ndarray:
    """Until when a deal is open: its (last) close, or the end of the data."""
    return np.where(paths.stage >= WON, paths.last_ts, cal.end_ts)


def _assemble(cal: Calendar, org: Org, rng: np.random.Generator, generations: list[dict],
              ownership: Ownership, accounts: Accounts, rates: Rates) -> Deals:
    """Join the generations into one deal table ordered by creation time (Salesforce ids
    grow with time), add amount and close-date change rows to the stage history, draw
    the products, priced in the account's currency, and derive every amount from them."""
    sizes = [len(g["kind"]) for g in generations]
    first = np.concatenate([[0], np.cumsum(sizes)])
    cat = {k: np.concatenate([g[k] for g in generations])
           for k in ("kind", "creator", "created", "account", "lead_source", "from_lead")}
    stage = np.concatenate([g["paths"].stage for g in generations])
    last_ts = np.concatenate([g["paths"].last_ts for g in generations])
    reopened = np.concatenate([g["paths"].reopened for g in generations])
    row_deal = np.concatenate([g["paths"].row_deal + first[i] for i, g in enumerate(generations)])
    row_ts = np.concatenate([g["paths"].row_ts for g in generations])
    row_stage = np.concatenate([g["paths"].row_stage for g in generations])

    order = np.argsort(cat["created"], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    cat = {k: v[order] for k, v in cat.items()}
    stage, last_ts, reopened = stage[order], last_ts[order], reopened[order]
    row_deal = rank[row_deal]
    ownership = ownership.renumbered(rank)
    n = len(order)
    closed = stage >= WON
    creator = cat["creator"]
    every = np.arange(n)
    owner = ownership.owner_at(creator, every, np.full(n, cal.end_ts))
    close_owner = ownership.owner_at(creator, every, np.where(closed, last_ts, cal.end_ts))
    currency = CURRENCY_OF_COUNTRY[accounts.country[cat["account"]]]

    rows = np.argsort(row_deal, kind="stable")  # rows of a deal stay in step order
    row_deal, row_ts, row_stage = row_deal[rows], row_ts[rows], row_stage[rows]
    row_deal, row_ts, row_stage, is_change = add_change_rows(cal, rng, org.region[creator],
                                                             row_deal, row_ts, row_stage)
    products_deactivated = np.where(
        [p[4] for p in PRODUCTS], NEVER,
        cal.start_ts + (rng.uniform(0.3, 0.7, len(PRODUCTS)) * (cal.end_ts - cal.start_ts)).astype(np.int64))
    lines = line_items(org, rng, cat["kind"], close_owner, cat["created"],
                       accounts.employees[cat["account"]], products_deactivated, LEVEL[currency])
    amount = np.add.reduceat(lines["total"], np.searchsorted(lines["opp"], np.arange(n)))
    history = history_values(cal, rng, cat["kind"], cat["created"], amount, estimate_step(currency), row_deal,
                             row_ts, row_stage, is_change)
    last_row = np.concatenate([np.flatnonzero(row_deal[1:] != row_deal[:-1]), [len(row_deal) - 1]])
    first_row = np.concatenate([[0], last_row[:-1] + 1])
    revised_at = history.pop("revised_at")
    lines["last_modified"] = np.where(revised_at[lines["opp"]] >= 0,
                                      row_ts[np.maximum(revised_at, 0)][lines["opp"]],
                                      cat["created"][lines["opp"]])
    finish_accounts(cal, org, rng, accounts)
    deals = Deals(
        n=n, kind=cat["kind"], creator=creator, owner=owner, close_owner=close_owner, ownership=ownership,
        region=org.region[creator], account=cat["account"], currency=currency, created=cat["created"],
        lead_source=cat["lead_source"], from_lead=cat["from_lead"], stage=stage, close_ts=last_ts,
        close_day=history["close_day"][last_row], last_modified=np.maximum(row_ts[last_row], _last_change(
            ownership, n)), amount=amount, probability=history["probability"][last_row], reopened=reopened,
        h_opp=row_deal, h_ts=row_ts, h_stage=row_stage, h_amount=history["amount"],
        h_close_day=history["close_day"], h_probability=history["probability"],
        li_opp=lines["opp"], li_product=lines["product"], li_quantity=lines["quantity"],
        li_unit_cents=lines["unit"], li_total_cents=lines["total"],
        li_last_modified=lines["last_modified"], accounts=accounts, rates=rates,
        products_deactivated=products_deactivated, new_index=rank[: sizes[0]],
        # A few deals never get an activity logged: reps who work outside the CRM.
        logged=rng.random(n) >= 0.04)
    assert np.array_equal(row_stage[last_row], stage) and np.array_equal(row_ts[first_row], cat["created"])
    return deals


def _last_change(ownership: Ownership, n: int) -> np.ndarray:
    """Time of each deal's last owner change (0 where none)."""
    last = np.zeros(n, dtype=np.int64)
    np.maximum.at(last, ownership.deal, ownership.ts)
    return last
