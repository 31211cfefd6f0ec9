"""Quotas: top-down monthly targets per rep and team, set from what the org achieved,
with quarters and years that add up exactly."""

from __future__ import annotations

import datetime as dt

import numpy as np

from salesperf.demo.activities import Activities
from salesperf.demo.calendar import Calendar, day_number, quarter_season
from salesperf.demo.config import DemoConfig, random_stream
from salesperf.demo.constants import DAY
from salesperf.demo.deals import Deals
from salesperf.demo.org import REP, TITLE_DEAL_SIZE, TITLE_VOLUME, Org, RepMonths, ramp_factor
from salesperf.demo.products import PRODUCTS

QUOTA_TYPES = ("revenue", "gross_profit", "units", "calls", "emails", "meetings", "demos")
PERIOD_TYPES = ("month", "quarter", "year")
SCOPES = ("rep", "team")


def month_of(cal: Calendar, day: np.ndarray) -> np.ndarray:
    """History month index of a day number."""
    return np.searchsorted(cal.month_days, day, side="right") - 1


def build_quotas(config: DemoConfig, cal: Calendar, org: Org, grid: RepMonths, deals: Deals,
            acts: Activities) -> dict[str, np.ndarray]:
    """Top-down quotas from the history months through the end of the current fiscal
    year. A per-rep monthly target is set from what a fully ramped rep achieved on
    average (so the better reps beat it and the weaker ones miss it), scaled by ramp-up
    and season; each team's target is split across its reps active at the month start by
    largest remainder, so rep quotas sum exactly to the team's; quarters and the team's
    year are sums of their months, so they agree exactly too."""
    rng = random_stream(config, 8)
    reps = np.flatnonzero(org.kind == REP)
    n_users = org.n_users
    first_index = cal.first_month_index
    end = config.end_date
    fy_offset = (end.month - config.fiscal_year_start_month) % 12
    fy_end_index = end.year * 12 + end.month - 1 - fy_offset + 11
    month_index = np.arange(first_index, fy_end_index + 1)
    month_day = np.array([day_number(dt.date(int(i) // 12, int(i) % 12 + 1, 1)) for i in month_index])
    n_q = len(month_index)
    calendar_month = month_index % 12 + 1
    quarter_start = month_index - (calendar_month - config.fiscal_year_start_month) % 3
    year_start = month_index - (calendar_month - config.fiscal_year_start_month) % 12

    actual = _monthly_actuals(cal, org, deals, acts)  # (type, user, history month)
    # What one unit of planning weight delivered per month over the history, by title:
    # an SDR's revenue target is none, an SDR's calls target is an SDR's calls.
    n_titles = len(TITLE_DEAL_SIZE)
    month_working = cal.working_between(cal.month_days[:-1], cal.month_days[1:])
    employed = grid.ramp * grid.working_days / month_working[grid.month]
    title_weight = np.where(np.arange(len(QUOTA_TYPES))[:, None] < 3, TITLE_DEAL_SIZE, TITLE_VOLUME)
    capacity = title_weight * np.bincount(org.title[grid.rep], employed, minlength=n_titles)[None, :]
    achieved = np.stack([np.bincount(org.title, actual[t].sum(axis=1), minlength=n_titles)
                         for t in range(len(QUOTA_TYPES))])
    base = achieved / np.maximum(capacity, 1e-9)  # (type, title)

    # Rep x quota month pairs where the rep is employed at the month start.
    rep, q = (a.ravel() for a in np.meshgrid(reps, np.arange(n_q), indexing="ij"))
    start_ts = month_day[q] * DAY
    active = (org.hire_ts[rep] <= start_ts) & (org.depart_ts[rep] > start_ts)
    rep, q = rep[active], q[active]
    ramp = ramp_factor(month_day[q] - org.hire_day()[rep])
    title = org.title[rep]
    season = quarter_season(calendar_month[q], config.fiscal_year_start_month)
    team = org.team[rep]
    group = team * n_q + q
    n_groups = org.n_teams * n_q
    managers = org.team_manager

    out: dict[str, list[np.ndarray]] = {k: [] for k in ("owner", "scope", "period", "start", "type", "value")}

    def emit(owner: np.ndarray, scope: int, period: int, start_day: np.ndarray, qtype: int,
             value: np.ndarray) -> None:
        out["owner"].append(owner)
        out["scope"].append(np.full(len(owner), scope))
        out["period"].append(np.full(len(owner), period))
        out["start"].append(start_day)
        out["type"].append(np.full(len(owner), qtype))
        out["value"].append(value)

    for qtype in range(len(QUOTA_TYPES)):
        money = qtype < 2
        # Planning weight: ramp-up times what the title is expected to deliver.
        weight = ramp * title_weight[qtype, title] * base[qtype, title]
        weight_sum = np.bincount(group, weight, minlength=n_groups)
        # Set so that a typical rep is about on target (results are skewed: the mean rep
        # beats the median one); rounded to whole dollars or whole counts.
        stretch = 0.93 * rng.lognormal(0, 0.03, n_groups)
        target = weight * season * stretch[group] / (100 if money else 1)
        team_total = np.round(np.bincount(group, target, minlength=n_groups)).astype(np.int64)
        share = _largest_remainder(team_total, group, weight, np.maximum(weight_sum, 1e-12), rep)
        unit = 100  # stored as cents: dollars for money, whole counts otherwise
        carries = weight > 0  # a title that does not deliver this type has no target for it
        emit(rep[carries], 0, 0, month_day[q][carries], qtype, share[carries] * unit)
        has_reps = np.flatnonzero(weight_sum > 0)
        emit(managers[has_reps // n_q], 1, 0, month_day[has_reps % n_q], qtype, team_total[has_reps] * unit)

        # Quarters: reps employed at the quarter start, their months of that quarter.
        valid_quarter = quarter_start[q] >= first_index
        quarter_q = np.searchsorted(month_index, quarter_start[q])
        in_quarter = carries & valid_quarter & (org.hire_ts[rep] <= month_day[quarter_q] * DAY) & (
            org.depart_ts[rep] > month_day[quarter_q] * DAY)
        key = rep[in_quarter] * n_q + quarter_q[in_quarter]
        keys, inverse = np.unique(key, return_inverse=True)
        rep_quarter = np.bincount(inverse, share[in_quarter]).astype(np.int64)
        emit(keys // n_q, 0, 1, month_day[keys % n_q], qtype, rep_quarter * unit)
        team_key = org.team[keys // n_q] * n_q + keys % n_q
        team_keys, team_inverse = np.unique(team_key, return_inverse=True)
        emit(managers[team_keys // n_q], 1, 1, month_day[team_keys % n_q], qtype,
             np.bincount(team_inverse, rep_quarter).astype(np.int64) * unit)
        if qtype == 0:
            year_q = np.searchsorted(month_index, year_start[has_reps % n_q])
            ok = year_start[has_reps % n_q] >= first_index
            year_key = (has_reps // n_q)[ok] * n_q + year_q[ok]
            year_keys, year_inverse = np.unique(year_key, return_inverse=True)
            emit(managers[year_keys // n_q], 1, 2, month_day[year_keys % n_q], qtype,
                 np.bincount(year_inverse, team_total[has_reps][ok]).astype(np.int64) * unit)

    quotas = {k: np.concatenate(v) for k, v in out.items()}
    order = np.lexsort((quotas["type"], quotas["owner"], quotas["scope"], quotas["period"], quotas["start"]))
    quotas = {k: v[order] for k, v in quotas.items()}
    n = len(order)
    planned = quotas["start"] * DAY - rng.integers(5 * DAY, 40 * DAY, n)
    quotas["last_modified"] = np.minimum(planned, cal.end_ts - rng.integers(DAY, 5 * DAY, n))
    return quotas


def _largest_remainder(total: np.ndarray, group: np.ndarray, weight: np.ndarray,
                       weight_sum: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Split each group's integer total over its members in proportion to `weight`,
    rounding so that the shares add up to the total exactly (Hamilton's method)."""
    raw = total[group] * weight / weight_sum[group]
    floor = np.floor(raw).astype(np.int64)
    missing = total - np.bincount(group, floor, minlength=len(total)).astype(np.int64)
    order = np.lexsort((tiebreak, -(raw - floor), group))
    sorted_group = group[order]
    group_first = np.searchsorted(sorted_group, sorted_group)
    rank = np.arange(len(order)) - group_first
    bonus = np.zeros(len(order), dtype=np.int64)
    bonus[order] = rank < missing[sorted_group]
    return floor + bonus


def _monthly_actuals(cal: Calendar, org: Org, deals: Deals, acts: Activities) -> np.ndarray:
    """What each user achieved per history month, per quota type, as the marts count it:
    won deals by close month (credited to the owner at the close, in US dollars),
    activities by the month they happened."""
    cells = org.n_users * cal.n_months

    def total(user: np.ndarray, month: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(user.astype(np.int64) * cal.n_months + month, weight, minlength=cells)

    won = deals.is_won & (deals.close_day >= cal.start_day)
    month = month_of(cal, deals.close_day)
    # Revenue in the corporate currency, at the rate of the close date.
    usd = deals.rates.to_usd(deals.amount, deals.currency, deals.close_day)
    cost = np.array([p[3] for p in PRODUCTS]) * 100
    line_won = won[deals.li_opp]
    line_usd = deals.rates.to_usd(deals.li_total_cents, deals.currency[deals.li_opp], deals.close_day[deals.li_opp])
    profit = line_usd - deals.li_quantity * cost[deals.li_product]
    line_owner = deals.close_owner[deals.li_opp][line_won]
    line_month = month[deals.li_opp][line_won]
    task, event = acts.task, acts.event
    task_month = month_of(cal, task["ts"] // DAY)
    event_month = month_of(cal, event["start"] // DAY)
    sums = [
        total(deals.close_owner[won], month[won], usd[won]),
        total(line_owner, line_month, profit[line_won].astype(np.float64)),
        total(line_owner, line_month, deals.li_quantity[line_won].astype(np.float64)),
    ]
    for code in (0, 1):  # calls, emails
        mask = task["type"] == code
        sums.append(total(task["owner"][mask], task_month[mask]))
    for code in (0, 1):  # meetings, demos
        mask = event["type"] == code
        sums.append(total(event["owner"][mask], event_month[mask]))
    return np.stack(sums).reshape(len(QUOTA_TYPES), org.n_users, cal.n_months)
