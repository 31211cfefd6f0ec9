"""Opportunity stages: the Salesforce standard stages with their probabilities and
forecast categories, and the simulation that walks deals through them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesperf.demo.calendar import Calendar, advance, between
from salesperf.demo.constants import DAY, HOUR

STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
          "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
          "Negotiation/Review", "Closed Won", "Closed Lost")
WON, LOST = 8, 9
STAGE_PROBABILITY = np.array([10, 10, 20, 50, 60, 70, 75, 90, 100, 0])
FORECAST = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")
STAGE_FORECAST = np.array([0, 0, 0, 1, 1, 1, 2, 2, 3, 4])
# Mean days a deal spends in each open stage: later stages take longer (legal, budget).
STAGE_DAYS = np.array([5.0, 7.0, 9.0, 11.0, 14.0, 17.0, 21.0, 28.0])
# Chance (as a logit) that a deal leaves each open stage forwards rather than being lost;
# early stages lose most deals. Tuned so that 20-35 % of closed deals are won.
ADVANCE_P = np.array([0.71, 0.81, 0.86, 0.88, 0.89, 0.90, 0.88, 0.80])
ADVANCE_LOGIT = np.log(ADVANCE_P / (1 - ADVANCE_P))
STALL_P = np.array([0.03, 0.04, 0.05, 0.05, 0.05, 0.06, 0.06, 0.07])
LOSS_LINGER = 1.8  # days-in-stage multiplier before a deal is marked lost
SKIP_P = 0.21  # share of forward moves that jump over one or more stages
SAME_INSTANT_P = 0.02  # stage entered and left in one save: two history rows, one timestamp
REOPEN_P = {LOST: 0.035, WON: 0.006}
PUSH_P = {WON: 0.32, LOST: 0.12}  # chance a close is pushed into the last week of its month
QUARTER_PUSH = 1.6  # ... multiplied at the end of a fiscal quarter


@dataclass
class Paths:
    """Stage rows of simulated deals (in step order) and each deal's final state."""

    row_deal: np.ndarray
    row_ts: np.ndarray
    row_stage: np.ndarray
    stage: np.ndarray  # current stage
    last_ts: np.ndarray  # time of the last stage row
    reopened: np.ndarray

    def subset(self, keep: np.ndarray) -> Paths:
        """The paths of the deals where `keep` is true, renumbered in order."""
        number = np.cumsum(keep) - 1
        rows = keep[self.row_deal]
        return Paths(number[self.row_deal[rows]], self.row_ts[rows], self.row_stage[rows], self.stage[keep],
                     self.last_ts[keep], self.reopened[keep])

    def closed_before(self, ts: int) -> np.ndarray:
        """Per deal: whether it was closed at some time before `ts`."""
        closed = np.zeros(len(self.stage), dtype=bool)
        closed[self.row_deal[(self.row_stage >= WON) & (self.row_ts < ts)]] = True
        return closed


def simulate_stages(cal: Calendar, rng: np.random.Generator, created: np.ndarray,
                     region: np.ndarray, skill: np.ndarray, speed: np.ndarray,
                     quick: np.ndarray) -> Paths:
    """Walk every deal through the stages at once, one transition per loop pass.

    At each stage a deal advances (sometimes skipping stages), is lost, or stalls (sits
    for months, then is mostly lost). Days in stage are lognormal around STAGE_DAYS,
    scaled by the rep's speed; `skill` shifts the advance odds. A few closed deals are
    reopened once. A transition that would fall on or after end_date does not happen, so
    the deal is still open in its stage at the end of the data.
    """
    n = len(created)
    stage = np.zeros(n, dtype=np.int64)
    t = created.copy()
    last_open = np.zeros(n, dtype=np.int64)
    reopened = np.zeros(n, dtype=bool)
    pending = np.zeros(n, dtype=bool)  # closed, and will be reopened
    alive = np.ones(n, dtype=bool)
    rows_deal, rows_ts, rows_stage = [np.arange(n)], [created.copy()], [stage.copy()]
    for step in range(1, 40):
        idx = np.flatnonzero(alive)
        if not len(idx):
            break
        m = len(idx)
        s = stage[idx]
        open_s = np.minimum(s, 7)
        is_pending = pending[idx]
        p_advance = 1 / (1 + np.exp(-(ADVANCE_LOGIT[open_s] + skill[idx])))
        stalled = ~is_pending & (rng.random(m) < STALL_P[open_s])
        forward = np.where(stalled, rng.random(m) < 0.2, rng.random(m) < p_advance)
        skip = (rng.random(m) < SKIP_P) * (1 + (rng.random(m) < 0.25))
        nxt = np.where(forward, s + 1 + skip, LOST)
        nxt = np.where(forward & (nxt > 7), WON, nxt)
        nxt = np.where(is_pending, np.where(s == WON, 7, last_open[idx]), nxt)

        mean_days = STAGE_DAYS[open_s] * speed[idx]
        dwell = rng.lognormal(np.log(mean_days) - 0.32, 0.8)
        # A deal that is going to be lost lingers before anyone marks it lost.
        dwell = np.where(forward, dwell, dwell * LOSS_LINGER)
        dwell = np.where(stalled, rng.lognormal(np.log(150) - 0.125, 0.5, m), dwell)
        dwell = np.where(is_pending, rng.uniform(7, 60, m), dwell)
        t_new = advance(cal, t[idx], dwell, region[idx])
        t_new = np.maximum(t_new, t[idx] + 60 + rng.integers(0, 900, m))
        same_instant = ~is_pending & forward & (rng.random(m) < SAME_INSTANT_P)
        t_new = np.where(same_instant, t[idx], t_new)
        if step == 1:
            # Deals created and closed the same day: a quick order or a lost cause.
            q = quick[idx]
            nxt = np.where(q, np.where(rng.random(m) < 0.4, WON, LOST), nxt)
            quick_ts = t[idx] + rng.integers(600, 4 * HOUR, m)
            quick_ts = np.where(quick_ts // DAY == t[idx] // DAY, quick_ts, t[idx] + 60)
            t_new = np.where(q, quick_ts, t_new)
        else:
            q = np.zeros(m, dtype=bool)
        # The month-end push: many deals are closed in the last week of a month, more
        # still at the end of a fiscal quarter.
        closing_now = ~is_pending & ~q & (nxt >= WON)
        month_end = cal.month_end(t_new // DAY) * DAY
        push_p = np.where(nxt == WON, PUSH_P[WON], PUSH_P[LOST]) * np.where(
            cal.quarter_end_month(t_new // DAY), QUARTER_PUSH, 1.0)
        pushed = between(cal, np.maximum(t_new, month_end - 7 * DAY), month_end, region[idx], rng.random(m))
        t_new = np.where(closing_now & (rng.random(m) < push_p), pushed, t_new)

        happened = t_new < cal.end_ts
        done = idx[happened]
        rows_deal.append(done)
        rows_ts.append(t_new[happened])
        rows_stage.append(nxt[happened])
        closing = happened & (nxt >= WON) & ~is_pending
        last_open[idx[closing]] = s[closing]
        reopened[idx[happened & is_pending]] = True
        reopen = closing & ~reopened[idx] & (rng.random(m) < np.where(nxt == WON, REOPEN_P[WON], REOPEN_P[LOST]))
        t[done] = t_new[happened]
        stage[done] = nxt[happened]
        pending[idx] = reopen
        alive[idx] = happened & ((nxt < WON) | reopen)
    return Paths(np.concatenate(rows_deal), np.concatenate(rows_ts), np.concatenate(rows_stage),
                  stage, t, reopened)
