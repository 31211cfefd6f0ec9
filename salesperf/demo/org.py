"""The sales org: a VP, regional teams of reps with managers, seats filled by chains of
reps through hiring and attrition, every rep's hidden traits, and the grid of months
each rep was employed in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesperf.demo.calendar import Calendar, business_ts, next_working_day
from salesperf.demo.config import DemoConfig
from salesperf.demo.constants import DAY, HOUR, NEVER, REGIONS

TITLES = ("VP Sales", "Sales Manager", "Sales Development Rep", "Account Executive",
          "Senior Account Executive")
VP, MANAGER, REP = 0, 1, 2
# Deal size and activity volume by title: senior reps sell bigger deals, SDRs make more
# calls. Quotas are split with the same weights, as a planning team would.
TITLE_DEAL_SIZE = np.array([1.0, 1.0, 0.75, 1.0, 1.3])
TITLE_VOLUME = np.array([1.0, 1.0, 1.25, 1.0, 0.95])

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
    # some join during it (the team growing), so ramp-up is visible in the data.
    early = rng.random(config.reps) < 0.85
    hire = np.where(early, cal.start_day - rng.integers(30, 5 * 365, config.reps),
                    cal.start_day + rng.integers(0, max(1, int(0.35 * history_days)), config.reps))
    seat = np.arange(config.reps)
    rep_hire, rep_seat, rep_depart, predecessor = [], [], [], []
    previous = np.full(config.reps, -1)
    while len(seat):
        hire = next_working_day(hire)
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
        hire = np.maximum(depart[leaving] - rng.integers(0, 22, len(seat)), hire[leaving] + 1)
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

    # Seniority sets the title, pay and deal size; SDRs work more leads, smaller deals.
    seniority = rng.choice(3, n_users, p=[0.2, 0.5, 0.3])
    title = np.where(kind == REP, 2 + seniority, kind)
    senior = title == 4
    junior = title == 2
    hire_ts = business_ts(cal, hire_day, region, rng)
    depart_ts = np.where(depart_day >= NEVER // DAY, NEVER,
                         depart_day * DAY + 17 * HOUR - cal.offset(region, depart_day))
    # An active user's record was last edited some time after hiring; a leaver's record
    # on the day of deactivation.
    edited = hire_ts + (rng.random(n_users) * (cal.end_ts - 1 - hire_ts)).astype(np.int64)
    last_modified = np.where(depart_ts < NEVER, depart_ts, edited)

    return Org(
        n_teams=n_teams, kind=kind, team=team, region=region, title=title, role=role,
        manager=manager, hire_ts=hire_ts, depart_ts=depart_ts, successor=successor,
        first_name=rng.integers(0, len(FIRST_NAMES), n_users),
        last_name=rng.integers(0, len(LAST_NAMES), n_users),
        last_modified=last_modified,
        volume=rng.lognormal(0, 0.2, n_users) * TITLE_VOLUME[title],
        opp_rate=rng.lognormal(0, 0.15, n_users),
        connect=rng.uniform(0.15, 0.35, n_users),
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


def ramp_factor(days_since_hire: np.ndarray) -> np.ndarray:
    """New reps ramp up linearly over about three months."""
    return np.clip(days_since_hire / 91.0, 0.2, 1.0)


@dataclass
class RepMonths:
    """One row per rep and history month with working days employed."""

    rep: np.ndarray
    month: np.ndarray
    lo_day: np.ndarray  # first employed day in the month
    hi_day: np.ndarray  # first day after
    working_days: np.ndarray
    ramp: np.ndarray


def rep_month_grid(cal: Calendar, org: Org) -> RepMonths:
    """Every month each rep was employed in: the unit that deal and to-do volumes and
    quota capacity are drawn per."""
    reps = np.flatnonzero(org.kind == REP)
    months = np.arange(cal.n_months)
    rep, month = (a.ravel() for a in np.meshgrid(reps, months, indexing="ij"))
    lo = np.maximum(org.hire_day()[rep], cal.month_days[month])
    hi = np.minimum(np.minimum(org.depart_day()[rep], cal.month_days[month + 1]), cal.end_day)
    working_days = cal.working_between(lo, hi)
    keep = working_days > 0
    rep, month, lo, hi, working_days = rep[keep], month[keep], lo[keep], hi[keep], working_days[keep]
    middle = (cal.month_days[month] + cal.month_days[month + 1]) // 2
    return RepMonths(rep, month, lo, hi, working_days, ramp_factor(middle - org.hire_day()[rep]))
