"""Leads: the converted leads behind lead-sourced deals, the leads of the same sources
that did not convert, and the touches that worked them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from salesperf.demo.calendar import Calendar, advance, after_office, between, business_ts, next_working_day
from salesperf.demo.constants import DAY
from salesperf.demo.deals import Deals, LeadOrigins
from salesperf.demo.lead_sources import LEAD_CONVERSION
from salesperf.demo.org import Org

LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Not Converted",
                 "Closed - Converted")


@dataclass
class Leads:
    owner: np.ndarray
    source: np.ndarray
    created: np.ndarray
    status: np.ndarray
    converted_deal: np.ndarray  # deal index, -1 when not converted
    last_modified: np.ndarray
    touches_lead: np.ndarray  # lead index of each lead activity
    touches_ts: np.ndarray
    account: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # converted into


def build_leads(cal: Calendar, org: Org, rng: np.random.Generator, deals: Deals, origins: LeadOrigins) -> Leads:
    """Converted leads behind lead-sourced deals, plus the leads of the same sources
    that did not convert, drawn so that each source converts at LEAD_CONVERSION.
    The first touch comes after the rep's own response delay. `rng` continues the
    stream that drew the origins."""
    first_touch, lead_created = origins.first_touch, origins.lead_created
    source, from_lead = origins.source, origins.from_lead
    conv = np.flatnonzero(from_lead)
    conv_deal = deals.new_index[conv]
    conv_owner = deals.creator[conv_deal]
    conv_source = source[conv]
    n_conv = len(conv)

    siblings = rng.poisson((1 - LEAD_CONVERSION[conv_source]) / LEAD_CONVERSION[conv_source])
    owner = np.repeat(conv_owner, siblings)
    src = np.repeat(conv_source, siblings)
    m = len(owner)
    lo = np.maximum(org.hire_ts[owner], cal.start_ts) // DAY
    hi = np.minimum(org.depart_ts[owner], cal.end_ts) // DAY  # exclusive
    day = np.repeat(lead_created[conv] // DAY, siblings) + rng.integers(-25, 26, m)
    day = np.clip(next_working_day(day), lo, np.maximum(hi - 1, lo))
    any_hour = day * DAY + rng.integers(0, DAY, m)
    created = np.where(src == 0, any_hour, business_ts(cal, day, org.region[owner], rng))
    created = np.clip(created, np.maximum(org.hire_ts[owner], cal.start_ts),
                      np.minimum(org.depart_ts[owner], cal.end_ts) - 1)

    delay = (rng.lognormal(np.log(org.response_minutes[owner]), 0.8) * 60).astype(np.int64)
    first = after_office(cal, created, delay, org.region[owner])
    first = np.where(first - created > 2 * delay + 4 * DAY, created + delay, first)
    neglected = rng.random(m) < 0.05
    touched = ~neglected & (first < cal.end_ts)
    attempts = np.where(touched, np.minimum(rng.poisson(0.2 * org.persistence[owner]), 5), 0)
    extra_lead = np.repeat(np.arange(m), attempts)
    extra_ts = advance(cal, first[extra_lead], rng.uniform(0.1, 21, len(extra_lead)), org.region[owner[extra_lead]])
    extra_ok = extra_ts < cal.end_ts
    extra_lead, extra_ts = extra_lead[extra_ok], extra_ts[extra_ok]
    last_touch = np.where(touched, first, -1)
    np.maximum.at(last_touch, extra_lead, extra_ts)
    stale = touched & (cal.end_ts - last_touch > 30 * DAY)
    status = np.where(~touched, 0, np.where(stale, 2, 1))
    last_modified = np.where(~touched, created,
                             np.where(stale, last_touch + rng.integers(DAY, 30 * DAY, m), last_touch))

    # Converted leads: touched first, sometimes again, then converted into the deal.
    conv_created = lead_created[conv]
    conversion = deals.created[conv_deal]
    more = rng.poisson(0.6, n_conv)
    more_lead = np.repeat(np.arange(n_conv), more)
    more_ts = between(cal, first_touch[conv][more_lead], conversion[more_lead], org.region[conv_owner[more_lead]],
                      rng.random(len(more_lead)))

    all_created = np.concatenate([conv_created, created])
    order = np.argsort(all_created, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    leads = Leads(
        owner=np.concatenate([conv_owner, owner])[order],
        source=np.concatenate([conv_source, src])[order],
        created=all_created[order],
        status=np.concatenate([np.full(n_conv, 3), status])[order],
        converted_deal=np.concatenate([conv_deal, np.full(m, -1)])[order],
        last_modified=np.concatenate([conversion, last_modified])[order],
        touches_lead=rank[np.concatenate([np.arange(n_conv), more_lead, n_conv + np.flatnonzero(touched),
                                          n_conv + extra_lead])],
        touches_ts=np.concatenate([first_touch[conv], more_ts, first[touched], extra_ts]),
    )
    leads.account = np.where(leads.converted_deal >= 0, deals.account[np.maximum(leads.converted_deal, 0)], -1)
    return leads
