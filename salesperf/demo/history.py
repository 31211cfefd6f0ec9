"""Opportunity field history: rows that change the amount or close date without a stage
change, and the amount, expected close date and probability on every history row."""

from __future__ import annotations

import numpy as np

from salesperf.demo.calendar import Calendar, between
from salesperf.demo.constants import DAY, NEW, RENEWAL
from salesperf.demo.stages import STAGE_PROBABILITY, WON


def add_change_rows(cal: Calendar, rng: np.random.Generator, region: np.ndarray,
                     deal: np.ndarray, ts: np.ndarray, stage: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """History rows that keep the stage but change the amount or push the close date:
    the longer a deal sits in a stage, the likelier the rep touches these fields."""
    n = len(deal)
    has_next = np.zeros(n, dtype=bool)
    has_next[:-1] = deal[1:] == deal[:-1]
    next_ts = np.where(has_next, np.roll(ts, -1), cal.end_ts)
    stay_days = (next_ts - ts) / DAY
    chance = np.clip(0.06 + stay_days / 120, 0, 0.5)
    pick = (stage < WON) & (stay_days > 1) & (rng.random(n) < chance)
    idx = np.flatnonzero(pick)
    change_ts = between(cal, ts[idx], next_ts[idx], region[deal[idx]], rng.random(len(idx)))
    ok = (change_ts > ts[idx]) & (change_ts < next_ts[idx]) & (change_ts < cal.end_ts)
    idx, change_ts = idx[ok], change_ts[ok]
    all_deal = np.concatenate([deal, deal[idx]])
    all_ts = np.concatenate([ts, change_ts])
    key = all_deal.astype(np.int64) * (1 << 32) + (all_ts - cal.start_ts)
    order = np.argsort(key, kind="stable")
    is_change = np.concatenate([np.zeros(n, dtype=bool), np.ones(len(idx), dtype=bool)])
    return all_deal[order], all_ts[order], np.concatenate([stage, stage[idx]])[order], is_change[order]


def history_values(cal: Calendar, rng: np.random.Generator, kind: np.ndarray, created: np.ndarray,
                   amount: np.ndarray, step: np.ndarray, deal: np.ndarray, ts: np.ndarray, stage: np.ndarray,
                   is_change: np.ndarray) -> dict[str, np.ndarray]:
    """Amount, expected close date and probability on every history row.

    Many deals start from a rough estimate (a round figure: `step` cents in the deal's
    currency) and switch to the quoted amount at one
    change; the expected close date moves out as the deal takes longer; a closed row
    carries the actual close day; reps override the stage's default probability now
    and then. The last row always equals the deal's current fields.
    """
    n_rows, n = len(deal), len(kind)
    first_row = np.searchsorted(deal, np.arange(n))
    row_count = np.diff(np.concatenate([first_row, [n_rows]]))
    position = np.arange(n_rows) - first_row[deal]
    revise = (row_count >= 2) & (rng.random(n) < np.where(kind == RENEWAL, 0.2, 0.45))
    revise_position = 1 + (rng.random(n) * np.maximum(row_count - 1, 1)).astype(np.int64)
    estimate = np.maximum(np.round(amount * rng.uniform(0.6, 1.4, n) / step) * step, step)
    estimate = np.where(revise, estimate, amount).astype(np.int64)
    row_amount = np.where(revise[deal] & (position < revise_position[deal]), estimate[deal], amount[deal])
    revised_at = np.where(revise, first_row + revise_position, -1)

    created_day = created // DAY
    cycle = np.select([kind == NEW, kind == RENEWAL],
                      [rng.lognormal(np.log(70), 0.5, n), rng.uniform(45, 90, n)],
                      rng.lognormal(np.log(50), 0.5, n))
    expected = created_day + cycle.astype(np.int64)
    row_day = ts // DAY
    remaining = ((8 - np.minimum(stage, 7)) * 6 * rng.lognormal(0, 0.4, n_rows)).astype(np.int64)
    push = np.where(is_change, rng.integers(14, 46, n_rows), 0)
    open_close = np.maximum(expected[deal], row_day + remaining) + push
    close_day = np.where(stage >= WON, row_day, open_close)

    probability = STAGE_PROBABILITY[stage].astype(np.float64)
    override = (stage < WON) & (rng.random(n_rows) < 0.03)
    probability = np.where(override, np.clip(probability + rng.choice([-10, -5, 5, 10], n_rows), 5, 95),
                           probability)
    return dict(amount=row_amount, close_day=close_day, probability=probability,
                revised_at=revised_at)
