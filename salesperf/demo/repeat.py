"""Repeat business: customers won in the year before the history starts, and the
renewals and upsells that follow every win, generation by generation."""

from __future__ import annotations

import numpy as np

from salesperf.demo.accounts import Accounts, account_attributes, record_wins
from salesperf.demo.arrays import concat_dicts
from salesperf.demo.calendar import Calendar, advance
from salesperf.demo.config import DemoConfig
from salesperf.demo.constants import DAY, HOUR, NEW, RENEWAL, UPSELL
from salesperf.demo.lead_sources import CONVERTED_MIX, LEAD_SOURCES
from salesperf.demo.org import REP, Org, occupant_at
from salesperf.demo.stages import WON, simulate_stages

# Customers won this long before the history renew during it, or just before it and are
# still negotiating when it starts.
PREHISTORY_DAYS = 485


def prehistory_customers(config: DemoConfig, cal: Calendar, org: Org, rng: np.random.Generator,
                          accounts: Accounts) -> dict[str, np.ndarray]:
    """Customers won in the 16 months before history starts. Their first deal is outside the
    data, but their renewals and upsells fall inside it, so that even a short history
    has existing business from day one. Appended to `accounts`; returns renewal seeds."""
    reps = np.flatnonzero((org.kind == REP) & ~org.is_sdr & (org.hire_ts < cal.start_ts - 60 * DAY)
                          & (org.depart_ts > cal.start_ts))
    per_rep = rng.poisson(config.opportunities_per_rep_month * 0.78 * 0.22 * PREHISTORY_DAYS / 30.4
                          * org.opp_rate[reps])
    owner = np.repeat(reps, per_rep)
    n = len(owner)
    # Won (and created) while the owner was already there.
    tenure = cal.start_ts - org.hire_ts[owner]
    won = cal.start_ts - (rng.uniform(20 * DAY, np.minimum(PREHISTORY_DAYS * DAY, tenure - 30 * DAY))).astype(np.int64)
    created = won - (rng.uniform(30 * DAY, np.minimum(400 * DAY, won - org.hire_ts[owner]))).astype(np.int64)
    source = rng.choice(len(LEAD_SOURCES), n, p=CONVERTED_MIX)
    extra = account_attributes(org, rng, owner, created, source, has_deals=np.ones(n, dtype=bool))
    extra.first_win = won
    first = accounts.n
    for name in ("created", "owner", "owner_base", "region", "industry", "country", "employees",
                 "revenue_cents", "source", "type", "first_win", "last_modified", "name_word",
                 "name_suffix", "name_legal", "has_deals"):
        setattr(accounts, name, np.concatenate([getattr(accounts, name), getattr(extra, name)]))
    accounts.n += n
    return dict(account=first + np.arange(n), win_ts=won, kind=np.full(n, NEW))


def repeat_business(config: DemoConfig, cal: Calendar, org: Org, rng: np.random.Generator,
                     accounts: Accounts, generations: list[dict], pre_seeds: dict[str, np.ndarray]) -> None:
    """Renewals about a year after each win (most are won) and upsells a few months
    after a new-business win, owned by whoever holds the account then. One loop pass per
    generation: renewals of renewals come in the next pass. Like new business, those
    created before the history are kept only if still open at its start."""
    # A minority of accounts is handed to another rep of the same team.
    reassign = rng.random(accounts.n) < 0.07
    team = org.team[accounts.owner_base]
    # Only reps hired before history starts take accounts over, so every later owner
    # of the seat is employed whenever the account needs one.
    reps = np.flatnonzero(org.kind == REP)
    candidates = reps[(org.hire_ts[reps] < cal.start_ts) & ~org.is_sdr[reps]]
    if len(candidates):
        pick = candidates[rng.integers(0, len(candidates), accounts.n)]
        ok = reassign & (org.team[pick] == team) & (pick != accounts.owner_base)
        accounts.owner_base = np.where(ok, pick, accounts.owner_base)

    def wins_of(gen: dict) -> dict[str, np.ndarray]:
        won = gen["paths"].stage == WON
        return dict(account=gen["account"][won], win_ts=gen["paths"].last_ts[won], kind=gen["kind"][won])

    seeds = concat_dicts([wins_of(generations[0]), pre_seeds])
    while len(seeds["account"]):
        n = len(seeds["account"])
        region = accounts.region[seeds["account"]]
        renew_created = advance(cal, seeds["win_ts"], 365 - rng.uniform(45, 90, n), region)
        upsell = (seeds["kind"] == NEW) & (rng.random(n) < 0.35)
        upsell_created = advance(cal, seeds["win_ts"], rng.uniform(60, 330, n), region)
        # Multi-year contracts (about one in five) have no renewal deal within a year.
        renew = rng.random(n) < 0.8
        kind = np.concatenate([np.full(int(renew.sum()), RENEWAL), np.full(int(upsell.sum()), UPSELL)])
        account = np.concatenate([seeds["account"][renew], seeds["account"][upsell]])
        created = np.concatenate([renew_created[renew], upsell_created[upsell]])
        keep = (created >= cal.warm_ts) & (created < cal.end_ts - DAY)
        kind, account, created = kind[keep], account[keep], created[keep]
        if not len(kind):
            break
        creator = occupant_at(org, accounts.owner_base[account], created)
        created = np.maximum(created, org.hire_ts[creator] + HOUR)
        keep = created < np.minimum(cal.end_ts, org.depart_ts[creator])
        kind, account, created, creator = kind[keep], account[keep], created[keep], creator[keep]
        # Renewals are mostly won; upsells about as often as strong new business.
        boost = np.where(kind == RENEWAL, 2.4, 0.6)
        paths = simulate_stages(cal, rng, created, org.region[creator], org.skill[creator] + boost,
                                 org.speed[creator] * np.where(kind == RENEWAL, 0.6, 0.8),
                                 np.zeros(len(kind), dtype=bool))
        gen = dict(kind=kind, creator=creator, created=created, account=account,
                   lead_source=np.full(len(kind), -1), from_lead=np.zeros(len(kind), dtype=bool),
                   paths=paths)
        record_wins(accounts, account, paths)
        seeds = wins_of(gen)
        seeds = {k: v[seeds["kind"] == RENEWAL] for k, v in seeds.items()}
        # Deals created before the history are in it only if still open when it starts
        # (those closed earlier still renew a year later).
        in_data = (created >= cal.start_ts) | ~paths.closed_before(cal.start_ts)
        generations.append({**{k: v[in_data] for k, v in gen.items() if k != "paths"},
                            "paths": paths.subset(in_data)})
