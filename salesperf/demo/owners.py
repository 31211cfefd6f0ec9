"""Who owns each deal when: the rep who created it, the hand-off from a sales
development rep to an account executive once the deal is qualified, the handover of a
leaver's open deals to the successor in the seat, and the occasional territory move
between AEs of a team. Every change is one Owner change of the CRM's field history."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesperf.demo.calendar import Calendar, between
from salesperf.demo.constants import DAY, NEVER
from salesperf.demo.org import Org, occupant_at, pick_colleague
from salesperf.demo.stages import Paths

HANDOFF, DEPARTURE, TERRITORY = 0, 1, 2
OWNER_CHANGE_REASONS = ("hand-off", "departure", "territory move")
TERRITORY_MOVE_P = 0.035  # deals moved to another AE of the team while open
QUALIFYING = 2  # stages below this one are the SDR's: Prospecting, Qualification


@dataclass
class Ownership:
    """Owner changes, sorted by deal then time."""

    deal: np.ndarray
    ts: np.ndarray
    old: np.ndarray
    new: np.ndarray
    reason: np.ndarray

    def owner_at(self, creator: np.ndarray, deal: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Owner of each `deal` at `ts` (a change at exactly `ts` has happened)."""
        if not len(self.deal):
            return creator[deal]
        pos = np.searchsorted(_key(self.deal, self.ts), _key(deal, ts), side="right") - 1
        safe = np.maximum(pos, 0)
        changed = (pos >= 0) & (self.deal[safe] == deal)
        return np.where(changed, self.new[safe], creator[deal])

    def renumbered(self, rank: np.ndarray) -> Ownership:
        """The same changes with deals renumbered by `rank`, sorted again."""
        deal = rank[self.deal]
        order = np.lexsort((self.ts, deal))
        return Ownership(deal[order], self.ts[order], self.old[order], self.new[order], self.reason[order])

    @staticmethod
    def concat(parts: list[tuple[Ownership, int]]) -> Ownership:
        """Join the changes of deal tables appended one after the other (offsets given)."""
        return Ownership(*(np.concatenate([getattr(p, k) + (offset if k == "deal" else 0) for p, offset in parts])
                           for k in ("deal", "ts", "old", "new", "reason")))


def _key(deal: np.ndarray, ts: np.ndarray) -> np.ndarray:
    return deal.astype(np.int64) * (1 << 33) + ts


def sdr_handoffs(cal: Calendar, org: Org, rng: np.random.Generator, creator: np.ndarray,
                 paths: Paths) -> tuple[np.ndarray, np.ndarray]:
    """When an SDR's deal leaves qualifying (moves past Qualification, or is closed from
    it), it goes to an AE of the team shortly before: time and AE per deal (NEVER / -1
    where there is no hand-off)."""
    n = len(creator)
    leave = np.full(n, NEVER)
    past = paths.row_stage >= QUALIFYING
    np.minimum.at(leave, paths.row_deal[past], paths.row_ts[past])
    before = ~past & (paths.row_ts <= leave[paths.row_deal])
    last_qualifying = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_qualifying, paths.row_deal[before], paths.row_ts[before])
    todo = np.flatnonzero(org.is_sdr[creator] & (leave < NEVER))
    lo = last_qualifying[todo] + (leave[todo] - last_qualifying[todo]) // 2
    at = between(cal, lo, leave[todo], org.region[creator[todo]], rng.random(len(todo)))
    ts = np.full(n, NEVER)
    to = np.full(n, -1)
    holder = occupant_at(org, creator[todo], at)
    ts[todo] = at
    to[todo] = pick_colleague(org, rng, holder, at)
    ts[to < 0] = NEVER
    return ts, to


def build_ownership(cal: Calendar, org: Org, rng: np.random.Generator, creator: np.ndarray,
                    created: np.ndarray, open_until: np.ndarray, handoff_ts: np.ndarray,
                    handoff_to: np.ndarray) -> Ownership:
    """Walk each deal's owners forward in time from its creator until it closes (or the
    data ends): the hand-off, the current owner leaving, or a territory move, whichever
    comes first, one round per change."""
    n = len(creator)
    owner = creator.copy()
    since = created.copy()
    open_until = open_until.copy()
    handoff = handoff_ts.copy()
    window = open_until - created
    moved = (rng.random(n) < TERRITORY_MOVE_P) & (window > 4 * DAY)
    territory = np.where(moved, between(cal, created + window // 10, open_until, org.region[creator],
                                        rng.random(n)), NEVER)
    parts: list[tuple[np.ndarray, ...]] = []
    while True:
        leaving = org.depart_ts[owner] < open_until
        departure = np.where(leaving, np.maximum(org.handover_ts[owner], since + 1), NEVER)
        at = np.minimum(np.minimum(handoff, departure), territory)
        active = np.flatnonzero(at < open_until)
        if not len(active):
            break
        t = at[active]
        old = owner[active]
        reason = np.where(handoff[active] == t, HANDOFF, np.where(departure[active] == t, DEPARTURE, TERRITORY))
        new = np.where(reason == HANDOFF, handoff_to[active], org.successor[old])
        move = np.flatnonzero(reason == TERRITORY)
        new[move] = np.where(org.is_sdr[old[move]], -1, pick_colleague(org, rng, old[move], t[move]))
        done = (new >= 0) & (new != old)
        parts.append((active[done], t[done], old[done], new[done], reason[done]))
        owner[active[done]] = new[done]
        since[active] = t
        handoff[active[reason == HANDOFF]] = NEVER
        territory[active[reason == TERRITORY]] = NEVER
        stuck = active[(reason == DEPARTURE) & ~done]  # nobody to take over: stays with the leaver
        open_until[stuck] = t[(reason == DEPARTURE) & ~done]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Ownership(empty, empty, empty, empty, empty)
    deal, ts, old, new, reason = (np.concatenate(c) for c in zip(*parts, strict=True))
    order = np.lexsort((ts, deal))
    return Ownership(deal[order], ts[order], old[order], new[order], reason[order])
