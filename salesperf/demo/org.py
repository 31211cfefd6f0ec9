"""The sales org: a VP, regional teams of reps with managers, seats (a few for sales
development reps, the rest for account executives) filled by chains of reps through
hiring and attrition, every rep's hidden traits, who is at a desk when, and the grid
of months each rep was employed in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesperf.demo.calendar import Calendar, business_ts, next_working_day, previous_working_day
from salesperf.demo.config import DemoConfig
from salesperf.demo.constants import DAY, HOUR, NEVER, REGIONS

TITLES = ("VP Sales", "Sales Manager", "Sales Development Rep", "Account Executive",
          "Senior Account Executive")
VP, MANAGER, REP = 0, 1, 2
SDR_TITLE = 2
# Sales development reps (SDRs) prospect, qualify and hand deals over; account
# executives (AEs) close. About one seat in five of a team of five or more is an SDR's.
SDR_SHARE = 0.2
SENIOR_AE_SHARE = 0.4
# Deal size, activity volume and new-business deals sourced by title: senior AEs sell
# bigger deals, SDRs source about a third of new business (averaging 1 over seats).
TITLE_DEAL_SIZE = np.array([1.0, 1.0, 1.0, 1.0, 1.3])
TITLE_VOLUME = np.array([1.0, 1.0, 1.0, 1.0, 0.95])
TITLE_SOURCING = np.array([1.0, 1.0, 2.2, 0.8, 0.72])

FIRST_NAMES = ("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
               "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph",
               "Jessica", "Thomas", "Sarah", "Carlos", "Karen", "Daniel", "Lisa", "Matthew",
               "Nancy", "Anthony", "Sofia", "Mark", "Priya", "Wei", "Aisha", "Lukas", "Emma",
               "Hiroshi", "Chloe", "Mateo", "Olivia", "Raj", "Ingrid", "Kwame", "Yuki")
LAST_NAMES = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
              "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas",
              "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
              "Harris", "Clark", "Lewis", "Walker", "Young", "Allen", "King", "Schmidt",
              "Dubois", "Rossi", "Tanaka", "Chen", "Patel", "Nguyen", "Kowalski", "Larsen",
              "Okafor")


@dataclass
class Org:
    n_teams: int
    kind: np.ndarray  # VP, MANAGER or REP
    team: np.ndarray  # -1 for the VP
    region: np.ndarray
    title: np.ndarray
    role: np.ndarray  # index into the role table
    manager: np.ndarray  # user index of the manager, -1 for the VP
    hire_ts: np.ndarray
    depart_ts: np.ndarray  # NEVER for users still active at end_date
    successor: np.ndarray  # user taking over a departed rep's seat, -1 if none
    handover_ts: np.ndarray  # when a leaver's open deals pass to the successor, NEVER if not leaving
    seat: np.ndarray  # seat of a rep, -1 for the VP and managers
    seat_first: np.ndarray  # per seat: its first rep
    seat_team: np.ndarray
    seat_sdr: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    last_modified: np.ndarray
    # Hidden rep traits, drawn once per rep; they make reps differ in every metric.
    volume: np.ndarray  # activity volume multiplier
    opp_rate: np.ndarray  # deal creation multiplier
    connect: np.ndarray  # share of outbound calls that reach someone
    persistence: np.ndarray  # follow-ups per 30 days on an open deal
    response_minutes: np.ndarray  # median minutes to the first touch of a new lead
    skill: np.ndarray  # logit added to every stage advance
    speed: np.ndarray  # multiplier on days in stage
    deal_size: np.ndarray  # multiplier on quantities
    discount: np.ndarray  # habitual discount off list price
    cost_factor: np.ndarray  # personal pay relative to the title's average

    @property
    def n_users(self) -> int:
        return len(self.kind)

    @property
    def team_manager(self) -> np.ndarray:
        managers = np.flatnonzero(self.kind == MANAGER)
        return managers[np.argsort(self.team[managers], kind="stable")]

    def hire_day(self) -> np.ndarray:
        return self.hire_ts // DAY

    def depart_day(self) -> np.ndarray:
        return np.where(self.depart_ts >= NEVER, NEVER // DAY, self.depart_ts // DAY)

    def names(self) -> list[str]:
        """Each user's full name, as the CRM shows it."""
        return [f"{FIRST_NAMES[f]} {LAST_NAMES[last]}" for f, last in zip(self.first_name, self.last_name, strict=True)]

    @property
    def is_sdr(self) -> np.ndarray:
        return self.title == SDR_TITLE

    def employed(self, user: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return (self.hire_ts[user] < ts) & (self.depart_ts[user] > ts)


def build_org(config: DemoConfig, cal: Calendar, rng: np.random.Generator) -> Org:
    """Seats in teams, each filled by a chain of reps: ~10 % leave per year and a
    successor is hired up to three weeks before the leaver goes (a handover), so the
    active headcount stays close to `reps` and open deals always have an owner."""
    # About seven reps per team, and between five and nine wherever the headcount allows.
    n_teams = min(max(1, config.reps // 5), max(1, -(-config.reps // 9), round(config.reps / 7)))
    seat_team = np.arange(config.reps) % n_teams
    history_days = cal.end_day - cal.start_day
    yearly_leave_rate = -np.log(0.9)

    # Reps: generation 0 fills every seat; most were hired before history starts,
    # some join during it (the team growing), so ramp-up is visible in the data. A
    # successor starts before the leaver's last day, for a handover.
    early = rng.random(config.reps) < 0.85
    hire = np.where(early, cal.start_day - rng.integers(30, 5 * 365, config.reps),
                    cal.start_day + rng.integers(0, max(1, int(0.35 * history_days)), config.reps))
    hire = next_working_day(hire)
    seat = np.arange(config.reps)
    rep_hire, rep_seat, rep_depart, predecessor = [], [], [], []
    previous = np.full(config.reps, -1)
    while len(seat):
        tenure = rng.exponential(365 / yearly_leave_rate, len(seat)).astype(np.int64) + 20
        depart = next_working_day(np.maximum(hire, cal.start_day) + tenure)
        depart = np.where(depart >= cal.end_day, NEVER // DAY, depart)
        rep_hire.append(hire)
        rep_seat.append(seat)
        rep_depart.append(depart)
        predecessor.append(previous)
        leaving = depart < cal.end_day
        first_new = sum(len(h) for h in rep_hire) - len(seat)
        previous = first_new + np.flatnonzero(leaving)
        seat = seat[leaving]
        hire = np.maximum(previous_working_day(depart[leaving] - rng.integers(1, 22, len(seat))), hire[leaving] + 1)
    rep_hire_day = np.concatenate(rep_hire)
    rep_seat_all = np.concatenate(rep_seat)
    rep_depart_day = np.concatenate(rep_depart)
    rep_predecessor = np.concatenate(predecessor)
    n_reps = len(rep_hire_day)

    n_users = 1 + n_teams + n_reps
    kind = np.concatenate([[VP], np.full(n_teams, MANAGER), np.full(n_reps, REP)])
    team = np.concatenate([[-1], np.arange(n_teams), seat_team[rep_seat_all]])
    region = np.where(team >= 0, team % len(REGIONS), 0)
    manager = np.concatenate([[-1], np.zeros(n_teams, dtype=np.int64), 1 + team[1 + n_teams:]])
    role = np.concatenate([[0], 1 + 2 * np.arange(n_teams), 2 + 2 * team[1 + n_teams:]])
    hire_day = np.concatenate([[cal.start_day - 6 * 365],
                               cal.start_day - rng.integers(365, 6 * 365, n_teams), rep_hire_day])
    depart_day = np.concatenate([[NEVER // DAY], np.full(n_teams, NEVER // DAY), rep_depart_day])
    successor = np.full(n_users, -1)
    has_predecessor = rep_predecessor >= 0
    successor[1 + n_teams + rep_predecessor[has_predecessor]] = 1 + n_teams + np.flatnonzero(has_predecessor)

    # A seat is an SDR's or an AE's for good; among AEs, seniority sets pay and deal size.
    team_size = np.bincount(seat_team, minlength=n_teams)
    n_sdr = np.where(team_size >= 3, (team_size * SDR_SHARE + 0.5).astype(np.int64), 0)
    seat_sdr = np.arange(config.reps) // n_teams < n_sdr[seat_team]
    rep_title = np.where(seat_sdr[rep_seat_all], SDR_TITLE, 3 + (rng.random(n_reps) < SENIOR_AE_SHARE))
    title = np.concatenate([kind[: 1 + n_teams], rep_title])
    senior = title == 4
    junior = title == SDR_TITLE
    hire_ts = business_ts(cal, hire_day, region, rng)
    depart_ts = np.where(depart_day >= NEVER // DAY, NEVER,
                         depart_day * DAY + 17 * HOUR - cal.offset(region, depart_day))
    # A leaver's open deals are handed over in one go on the last afternoon, once the
    # successor has started.
    leaver = np.flatnonzero((successor >= 0) & (depart_ts < NEVER))
    handover_ts = np.full(n_users, NEVER)
    handover_ts[leaver] = np.maximum(depart_ts[leaver] - rng.integers(HOUR, 6 * HOUR, len(leaver)),
                                     hire_ts[successor[leaver]] + HOUR)
    user_seat = np.concatenate([np.full(1 + n_teams, -1), rep_seat_all])
    seat_first = 1 + n_teams + np.arange(config.reps)  # generation 0 fills the seats in order
    sdr_rep = seat_sdr[np.maximum(user_seat, 0)] & (user_seat >= 0)
    # An active user's record was last edited some time after hiring; a leaver's record
    # on the day of deactivation.
    edited = hire_ts + (rng.random(n_users) * (cal.end_ts - 1 - hire_ts)).astype(np.int64)
    last_modified = np.where(depart_ts < NEVER, depart_ts, edited)

    return Org(
        n_teams=n_teams, kind=kind, team=team, region=region, title=title, role=role,
        manager=manager, hire_ts=hire_ts, depart_ts=depart_ts, successor=successor,
        handover_ts=handover_ts, seat=user_seat, seat_first=seat_first, seat_team=seat_team, seat_sdr=seat_sdr,
        first_name=rng.integers(0, len(FIRST_NAMES), n_users),
        last_name=rng.integers(0, len(LAST_NAMES), n_users),
        last_modified=last_modified,
        volume=rng.lognormal(0, 0.2, n_users) * TITLE_VOLUME[title],
        opp_rate=rng.lognormal(0, 0.15, n_users) * TITLE_SOURCING[title],
        # An SDR's cold calls reach someone less often than an AE's calls to people who expect them.
        connect=np.where(sdr_rep, rng.uniform(0.06, 0.10, n_users), rng.uniform(0.12, 0.22, n_users)),
        persistence=np.exp(rng.uniform(np.log(0.5), np.log(6.0), n_users)),
        response_minutes=np.exp(rng.uniform(np.log(5), np.log(2 * 1440), n_users)),
        skill=rng.normal(0, 0.22, n_users) + 0.1 * senior - 0.1 * junior,
        speed=rng.lognormal(0, 0.2, n_users),
        deal_size=rng.lognormal(0, 0.2, n_users) * TITLE_DEAL_SIZE[title],
        discount=rng.uniform(0.02, 0.2, n_users),
        cost_factor=rng.lognormal(0, 0.08, n_users),
    )


def occupant_at(org: Org, user: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Who holds `user`'s seat at `ts`: a leaver's open work and accounts pass to the
    successor, so nothing is owned by a deactivated user after they left."""
    user = user.copy()
    while True:
        moved = org.depart_ts[user] <= ts
        if not moved.any():
            return user
        user[moved] = org.successor[user[moved]]


def pick_colleague(org: Org, rng: np.random.Generator, user: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """An AE other than `user` at their desk at `ts`: from `user`'s team if one is, else
    from the region, else from anywhere; -1 where nobody is. Tries random AE seats (a
    seat's holder at `ts` is whoever the chain of hires puts there) a few times per level."""
    out = np.full(len(user), -1)
    ae_seats = np.flatnonzero(~org.seat_sdr)
    levels = ((org.seat_team[ae_seats], org.team[user]),
              (org.seat_team[ae_seats] % len(REGIONS), org.region[user]),
              (np.zeros(len(ae_seats), dtype=np.int64), np.zeros(len(user), dtype=np.int64)))
    for pool, group in levels:
        todo = np.flatnonzero(out < 0)
        for _ in range(12):
            if not len(todo) or not len(ae_seats):
                break
            chosen = _random_member(rng, pool, group[todo])
            found = chosen >= 0
            candidate = np.full(len(todo), -1)
            candidate[found] = occupant_at(org, org.seat_first[ae_seats[chosen[found]]], ts[todo][found])
            ok = found & (candidate != user[todo])
            ok[ok] = org.employed(candidate[ok], ts[todo][ok])
            out[todo[ok]] = candidate[ok]
            todo = todo[~ok]
    return out


def _random_member(rng: np.random.Generator, pool: np.ndarray, group: np.ndarray) -> np.ndarray:
    """For each `group` value, the position in `pool` of a random member with that value
    (-1 where the group has none)."""
    order = np.argsort(pool, kind="stable")
    first = np.searchsorted(pool[order], group, side="left")
    last = np.searchsorted(pool[order], group, side="right")
    size = last - first
    pick = first + (rng.random(len(group)) * np.maximum(size, 1)).astype(np.int64)
    return np.where(size > 0, order[np.minimum(pick, len(pool) - 1)], -1)


def ramp_factor(days_since_hire: np.ndarray) -> np.ndarray:
    """New reps ramp up linearly over about three months."""
    return np.clip(days_since_hire / 91.0, 0.2, 1.0)


@dataclass
class RepMonths:
    """One row per rep and month with working days employed."""

    rep: np.ndarray
    month: np.ndarray  # history month index (negative: a month before the history)
    lo_day: np.ndarray  # first employed day in the month
    hi_day: np.ndarray  # first day after
    working_days: np.ndarray
    ramp: np.ndarray

    def window(self, org: Org) -> tuple[np.ndarray, np.ndarray]:
        """The employed time span of each row, from the hire to the departure."""
        return (np.maximum(self.lo_day * DAY, org.hire_ts[self.rep] + 60),
                np.minimum(self.hi_day * DAY, org.depart_ts[self.rep]))


def rep_month_grid(cal: Calendar, org: Org, before_history: bool = False) -> RepMonths:
    """Every history month each rep was employed in (or, `before_history`, every month of
    the warm start): the unit that deal and to-do volumes and quota capacity are drawn per."""
    bounds = cal.warm_month_days if before_history else cal.month_days
    first_month = 1 - len(bounds) if before_history else 0
    reps = np.flatnonzero(org.kind == REP)
    months = np.arange(len(bounds) - 1)
    rep, month = (a.ravel() for a in np.meshgrid(reps, months, indexing="ij"))
    lo = np.maximum(org.hire_day()[rep], bounds[month])
    hi = np.minimum(np.minimum(org.depart_day()[rep], bounds[month + 1]), cal.end_day)
    working_days = cal.working_between(lo, hi)
    keep = working_days > 0
    rep, month, lo, hi, working_days = rep[keep], month[keep], lo[keep], hi[keep], working_days[keep]
    middle = (bounds[month] + bounds[month + 1]) // 2
    return RepMonths(rep, month + first_month, lo, hi, working_days, ramp_factor(middle - org.hire_day()[rep]))
