"""Accounts: the companies deals are sold to, with their attributes, first wins, type
and current owner."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesperf.demo.calendar import Calendar
from salesperf.demo.constants import NEVER
from salesperf.demo.lead_sources import OTHER_SOURCE
from salesperf.demo.org import Org, occupant_at
from salesperf.demo.stages import LOST, WON, Paths

REGION_COUNTRIES = (
    (("United States", 0.8), ("Canada", 0.2)),
    (("United Kingdom", 0.3), ("Germany", 0.25), ("France", 0.15), ("Netherlands", 0.1),
     ("Spain", 0.08), ("Sweden", 0.07), ("Switzerland", 0.05)),
    (("United States", 0.85), ("Canada", 0.1), ("Mexico", 0.05)),
    (("Australia", 0.35), ("Singapore", 0.2), ("Japan", 0.2), ("India", 0.15),
     ("New Zealand", 0.1)),
)
COUNTRIES = tuple(sorted({c for region in REGION_COUNTRIES for c, _ in region}))

ACCOUNT_WORDS = ("Acme", "Apex", "Atlas", "Aurora", "Beacon", "Blue", "Bright", "Cedar",
                 "Cobalt", "Crest", "Delta", "Echo", "Ever", "Falcon", "Frontier", "Granite",
                 "Harbor", "Helix", "Horizon", "Iron", "Juniper", "Keystone", "Lumen", "Maple",
                 "Meridian", "Nimbus", "Nova", "Oak", "Orion", "Pinnacle", "Polar", "Quantum",
                 "Redwood", "Sierra", "Silver", "Summit", "Terra", "Vertex", "Willow", "Zenith")
ACCOUNT_SUFFIXES = ("", "tech", "soft", "works", "logic", "labs", "systems", "data", "wave",
                    "point", "line", "bridge", "field", "stone", "gate", "cloud", "net",
                    "scale", "path", "forge")
ACCOUNT_LEGAL = ("Inc", "LLC", "Ltd", "GmbH", "Group", "Corp", "Holdings", "Partners", "AG",
                 "Co")
INDUSTRIES = ("Technology", "Financial Services", "Healthcare", "Manufacturing", "Retail",
              "Education", "Government", "Media", "Energy", "Transportation",
              "Telecommunications", "Consulting")
ACCOUNT_TYPES = ("Prospect", "Customer - Direct", "Customer - Channel")


@dataclass
class Accounts:
    n: int
    created: np.ndarray
    owner: np.ndarray  # current owner (user index)
    owner_base: np.ndarray  # the rep whose seat owns the account over time
    region: np.ndarray
    industry: np.ndarray  # -1 = unknown
    country: np.ndarray
    employees: np.ndarray
    revenue_cents: np.ndarray
    source: np.ndarray  # lead source code, -1 = unknown
    type: np.ndarray
    first_win: np.ndarray  # first won deal's close time, NEVER if none
    last_modified: np.ndarray
    name_word: np.ndarray
    name_suffix: np.ndarray
    name_legal: np.ndarray
    has_deals: np.ndarray


def new_accounts(cal: Calendar, org: Org, rng: np.random.Generator, creator: np.ndarray,
                  created: np.ndarray, lead_source: np.ndarray, from_lead: np.ndarray,
                  paths: Paths) -> tuple[np.ndarray, Accounts]:
    """One account per new deal, except that a rep sometimes tries again at a company
    where an earlier deal was lost; plus prospect accounts that never got a deal."""
    n = len(created)
    order = np.lexsort((created, creator))
    c, t = creator[order], created[order]
    previous_lost = np.zeros(n, dtype=bool)
    same = np.zeros(n, dtype=bool)
    same[1:] = c[1:] == c[:-1]
    prev = order[np.maximum(np.arange(n) - 1, 0)]
    previous_lost[1:] = (paths.stage[prev[1:]] == LOST) & (paths.last_ts[prev[1:]] < t[1:])
    reuse = same & previous_lost & (rng.random(n) < 0.25) & ~from_lead[order]
    account_sorted = np.cumsum(~reuse) - 1
    account = np.empty(n, dtype=np.int64)
    account[order] = account_sorted
    n_deal_accounts = int(account_sorted[-1]) + 1 if n else 0
    first_deal = np.full(n_deal_accounts, n, dtype=np.int64)
    np.minimum.at(first_deal, account, np.arange(n))
    # Prospect accounts without deals: bought lists, event contacts.
    n_prospects = max(1, n_deal_accounts // 12)
    prospect_owner = rng.choice(creator, n_prospects) if n else np.zeros(n_prospects, dtype=np.int64)
    lo = np.maximum(org.hire_ts[prospect_owner], cal.start_ts)
    hi = np.minimum(org.depart_ts[prospect_owner], cal.end_ts)
    prospect_created = lo + (rng.random(n_prospects) * np.maximum(hi - lo, 1)).astype(np.int64)
    owner_base = np.concatenate([creator[first_deal], prospect_owner])
    acc_created = np.concatenate([created[first_deal], prospect_created])
    source = np.concatenate([lead_source[first_deal],
                             rng.choice([5, 6, OTHER_SOURCE], n_prospects)])
    accounts = account_attributes(org, rng, owner_base, acc_created, source,
                                   has_deals=np.arange(len(owner_base)) < n_deal_accounts)
    # Wins of the first generation set first_win; later generations extend it.
    record_wins(accounts, account, paths)
    return account, accounts


def account_attributes(org: Org, rng: np.random.Generator, owner_base: np.ndarray,
                        created: np.ndarray, source: np.ndarray, has_deals: np.ndarray) -> Accounts:
    n = len(owner_base)
    region = org.region[owner_base]
    country = np.empty(n, dtype=np.int64)
    for r, countries in enumerate(REGION_COUNTRIES):
        mask = region == r
        names, weights = zip(*countries, strict=True)
        codes = np.array([COUNTRIES.index(c) for c in names])
        country[mask] = codes[rng.choice(len(codes), int(mask.sum()), p=np.array(weights) / sum(weights))]
    employees = np.clip(rng.lognormal(np.log(400), 1.5, n), 5, 250_000).astype(np.int64)
    revenue_dollars = np.round(employees * rng.lognormal(np.log(180_000), 0.5, n), -3)
    industry = rng.integers(0, len(INDUSTRIES), n)
    industry = np.where(rng.random(n) < 0.04, -1, industry)  # left blank by the rep
    source = np.where(rng.random(n) < 0.05, -1, source)
    return Accounts(
        n=n, created=created, owner=owner_base.copy(), owner_base=owner_base, region=region,
        industry=industry, country=country, employees=employees,
        revenue_cents=(revenue_dollars * 100).astype(np.int64), source=source,
        type=np.zeros(n, dtype=np.int64), first_win=np.full(n, NEVER, dtype=np.int64),
        last_modified=created.copy(), name_word=rng.integers(0, len(ACCOUNT_WORDS), n),
        name_suffix=rng.integers(0, len(ACCOUNT_SUFFIXES), n),
        name_legal=rng.integers(0, len(ACCOUNT_LEGAL), n), has_deals=has_deals)


def record_wins(accounts: Accounts, account: np.ndarray, paths: Paths) -> None:
    """Keep each account's first won close time: it makes the account a customer."""
    won = paths.stage == WON
    np.minimum.at(accounts.first_win, account[won], paths.last_ts[won])


def finish_accounts(cal: Calendar, org: Org, rng: np.random.Generator, accounts: Accounts) -> None:
    """Type, current owner and last edit once every win is known."""
    customer = accounts.first_win < cal.end_ts
    channel = (accounts.source == 2) | (rng.random(accounts.n) < 0.12)
    accounts.type = np.where(customer, np.where(channel, 2, 1), 0)
    accounts.owner = occupant_at(org, accounts.owner_base, np.full(accounts.n, cal.end_ts - 1))
    touched = np.maximum(accounts.created, np.where(customer, accounts.first_win, accounts.created))
    later = rng.random(accounts.n) < 0.5
    accounts.last_modified = touched + (later * rng.random(accounts.n) * 0.5
                                        * np.maximum(cal.end_ts - 1 - touched, 0)).astype(np.int64)
