"""Demo CRM data: a synthetic sales org written as the raw tables of the contract.

The generator models a sales organisation (a VP, regional teams of reps with managers,
hiring and attrition) and simulates what its CRM records: leads, accounts, opportunities
moving through the Salesforce standard stages with their field history, products on
deals, calls, emails, meetings and demos, quotas from a planning tool, and what each
user costs. Every metric of ../shared/spec/metrics.md has something to measure on it,
and reps differ through hidden traits so that the metrics separate good from weak.

Everything is vectorized with numpy (loops run over stages, generations and months,
never over rows), handed to DuckDB as Arrow tables, and string ids are built in SQL.
With `dirty=True` the tables are landed as text with the faults real loads bring, and
`_demo_injected_faults` names every affected row (see `_FaultInjector`).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesperf.contract import ID_PREFIXES, RAW_TABLES, RAW_TABLES_BY_NAME
from salesperf.settings import LOADED_AT_COLUMN, SOURCE_ROW_COLUMN

MANIFEST_TABLE = "_demo_injected_faults"

DAY = 86_400
HOUR = 3_600
NEVER = np.int64(2**62)  # departure time of a user who has not left
EPOCH = dt.date(1970, 1, 1)


# --------------------------------------------------------------------------- interface


def _today_utc() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


@dataclass(frozen=True)
class DemoConfig:
    """What to generate. The same config always gives the same tables, row for row."""

    seed: int = 42
    reps: int = 40  # quota-carrying reps (managers and a VP come on top)
    months: int = 24  # months of history before end_date's month
    end_date: dt.date = field(default_factory=_today_utc)  # data stops at its 00:00 UTC
    opportunities_per_rep_month: float = 12.0
    dirty: bool = False
    dirty_rate: float = 0.002  # share of each table's rows hit by each applicable fault
    fiscal_year_start_month: int = 1

    def __post_init__(self) -> None:
        if self.reps < 1 or self.months < 1:
            raise ValueError("reps and months must be at least 1")
        if self.opportunities_per_rep_month <= 0:
            raise ValueError("opportunities_per_rep_month must be positive")
        if not 0 < self.dirty_rate <= 0.05:
            raise ValueError("dirty_rate must be in (0, 0.05]: each row takes at most one fault")
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise ValueError("fiscal_year_start_month must be 1 to 12")


@dataclass(frozen=True)
class GenerationSummary:
    config: DemoConfig
    row_counts: dict[str, int]  # raw table -> rows written, plus the fault manifest
    seconds: float


def generate(
    config: DemoConfig,
    con: duckdb.DuckDBPyConnection,
    schema: str = "raw",
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write every raw table of the contract (and the fault manifest) into `schema`."""
    with _reuse_freed_memory():
        return _generate(config, con, schema, progress)


def _generate(config: DemoConfig, con: duckdb.DuckDBPyConnection, schema: str,
              progress: Callable[[str], None] | None) -> GenerationSummary:
    started = time.perf_counter()
    say = progress or (lambda line: None)
    cal = _calendar(config)
    org = _build_org(config, cal, _rng(config, 1))
    say(f"org: {org.n_users:,} users in {org.n_teams} teams, {int((org.kind == REP).sum()):,} reps over time")
    grid = _rep_month_grid(cal, org)
    deals, leads = _opportunities(config, cal, org, grid)
    say(f"opportunities: {deals.n:,} rows, history: {len(deals.h_opp):,} rows, "
        f"line items: {len(deals.li_opp):,} rows")
    say(f"leads: {len(leads.created):,} rows, accounts: {deals.accounts.n:,} rows")
    later: dict = {}  # inputs of the remaining tables, filled in while the first ones are written
    build = _tables(cal, org, deals, leads, later)
    with _Writer(con, schema, config, _rng(config, 10), say) as writer:
        for name in ("user", "user_role", "product_2", "account", "opportunity", "opportunity_history",
                     "opportunity_line_item", "lead"):
            writer.submit(build[name])
        later["acts"] = acts = _activities(cal, org, deals, leads, _rng(config, 7))
        say(f"tasks: {len(acts.t_ts):,} rows, events: {len(acts.e_start):,} rows")
        writer.submit(build["task"])
        writer.submit(build["event"])
        later["quotas"] = _quotas(config, cal, org, grid, deals, acts)
        later["costs"] = _rep_costs(cal, org, _rng(config, 9))
        writer.submit(build["quota"])
        writer.submit(build["rep_cost"])
        row_counts = writer.finish()
    return GenerationSummary(config, row_counts, time.perf_counter() - started)


@contextlib.contextmanager
def _reuse_freed_memory() -> Iterator[None]:
    """Keep memory freed by numpy in the process while generating, and give it back after.

    glibc hands every large array its own fresh pages (mmap) and returns them when the
    array is freed. Generation creates and drops many arrays of millions of rows, and on
    virtual machines that report free pages to the host each fresh page costs a host
    fault: measured, that alone makes a million-deal run half again as slow. Serving
    large blocks from the heap and not trimming it until the end avoids the churn; the
    defaults are restored and the heap trimmed afterwards. Elsewhere this is a no-op.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    m_trim_threshold, m_mmap_max = -1, -4
    libc.mallopt(m_mmap_max, 0)
    libc.mallopt(m_trim_threshold, 2**31 - 1)
    try:
        yield
    finally:
        libc.mallopt(m_mmap_max, 65536)
        libc.mallopt(m_trim_threshold, 128 * 1024)
        libc.malloc_trim(0)


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def _rng(config: DemoConfig, stream: int) -> np.random.Generator:
    """One independent random stream per component, so a change in one part of the
    model leaves the draws of every other part (and so their data) unchanged."""
    return np.random.default_rng([config.seed, stream])


# --------------------------------------------------------------------------- catalogues

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

OPP_TYPES = ("New Business", "Existing Business - Renewal", "Existing Business - Upsell")
NEW, RENEWAL, UPSELL = 0, 1, 2
OPP_TYPE_LABEL = ("New Business", "Renewal", "Upsell")

LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Employee Referral",
                "External Referral", "Purchased List", "Trade Show", "Word of mouth", "Other")
OTHER_SOURCE = 8
# Lead -> opportunity conversion by source (referrals convert best) and the mix of
# sources among converted leads; unconverted leads are drawn so that the rates hold.
LEAD_CONVERSION = np.array([0.25, 0.35, 0.50, 0.55, 0.45, 0.10, 0.20, 0.40, 0.20])
CONVERTED_MIX = np.array([0.30, 0.10, 0.12, 0.06, 0.06, 0.04, 0.12, 0.10, 0.10])
REFERRAL_BOOST = np.array([0.0, 0.0, 0.3, 0.4, 0.25, -0.2, 0.0, 0.2, 0.0])  # win logit
LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Not Converted",
                 "Closed - Converted")

REGIONS = ("North America East", "EMEA", "North America West", "APAC")
# Standard UTC offset and daylight-saving rule of each region's main office.
REGION_TZ = ((-5 * HOUR, "us"), (1 * HOUR, "eu"), (-8 * HOUR, "us"), (8 * HOUR, None))
REGION_COUNTRIES = (
    (("United States", 0.8), ("Canada", 0.2)),
    (("United Kingdom", 0.3), ("Germany", 0.25), ("France", 0.15), ("Netherlands", 0.1),
     ("Spain", 0.08), ("Sweden", 0.07), ("Switzerland", 0.05)),
    (("United States", 0.85), ("Canada", 0.1), ("Mexico", 0.05)),
    (("Australia", 0.35), ("Singapore", 0.2), ("Japan", 0.2), ("India", 0.15),
     ("New Zealand", 0.1)),
)
COUNTRIES = tuple(sorted({c for region in REGION_COUNTRIES for c, _ in region}))

TITLES = ("VP Sales", "Sales Manager", "Sales Development Rep", "Account Executive",
          "Senior Account Executive")
VP, MANAGER, REP = 0, 1, 2
# Deal size and activity volume by title: senior reps sell bigger deals, SDRs make more
# calls. Quotas are split with the same weights, as a planning team would.
TITLE_DEAL_SIZE = np.array([1.0, 1.0, 0.75, 1.0, 1.3])
TITLE_VOLUME = np.array([1.0, 1.0, 1.25, 1.0, 0.95])
# Monthly loaded cost (salary, taxes, benefits) by title, in dollars.
TITLE_MONTHLY_COST = np.array([32_000, 21_000, 8_200, 12_800, 16_500])

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

# name, family, list price, standard unit cost (dollars), active, quantity model
PRODUCTS = (
    ("Platform License", "Software", 1_200, 95, True, "seats"),
    ("Analytics Add-on", "Software", 420, 40, True, "seats"),
    ("API Access Pack", "Software", 3_000, 250, True, "few"),
    ("Mobile Add-on", "Software", 180, 15, True, "seats"),
    ("Legacy Suite License", "Software", 900, 110, False, "seats"),
    ("Implementation Services", "Services", 1_800, 1_250, True, "days"),
    ("Training Day", "Services", 1_500, 950, True, "few"),
    ("Custom Integration", "Services", 2_400, 1_700, True, "days"),
    ("Premium Onboarding", "Services", 9_500, 6_800, False, "one"),
    ("Edge Appliance", "Hardware", 6_500, 4_300, True, "few"),
    ("Sensor Kit", "Hardware", 850, 540, True, "units"),
    ("Rack Server X1", "Hardware", 14_000, 10_200, False, "few"),
    ("Standard Support", "Support", 2_400, 700, True, "one"),
    ("Premium Support", "Support", 6_000, 1_900, True, "one"),
    ("Enterprise Support 24x7", "Support", 12_000, 3_800, True, "one"),
)
# Relative chance of each product on a deal of each type (new, renewal, upsell).
PRODUCT_WEIGHTS = np.array([
    [30, 0, 4, 3, 6, 5, 4, 3, 2, 4, 3, 2, 3, 2, 1],
    [20, 4, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 8, 5, 2],
    [0, 6, 4, 5, 0, 2, 4, 3, 0, 2, 3, 0, 0, 3, 2],
], dtype=float)
LINES_PER_DEAL = np.array([[0.30, 0.35, 0.22, 0.13], [0.5, 0.5, 0, 0], [0.7, 0.3, 0, 0]])

TASK_TYPES = ("Call", "Email", "Other")
TASK_SUBTYPES = ("Call", "Email", "Task")
TASK_STATUSES = ("Completed", "Not Started", "Open")
CALL_TYPES = ("Outbound", "Inbound")
DISPOSITIONS = ("Connected", "Left Voicemail", "No Answer", "Busy", "Wrong Number", "Gatekeeper")
NOT_CONNECTED_MIX = np.array([0.0, 0.36, 0.33, 0.07, 0.04, 0.20])
# Call length by disposition: lognormal median seconds and spread.
CALL_SECONDS = np.array([[420, 0.7], [35, 0.4], [20, 0.3], [6, 0.3], [25, 0.4], [70, 0.5]])
TASK_SUBJECTS = (
    "Call", "Follow-up call", "Discovery call", "Pricing call", "Check-in call", "Cold call",
    "Email: Introduction", "Email: Follow-up", "Email: Proposal", "Email: Case study",
    "Email: Renewal reminder", "Update forecast", "Prepare account plan", "Expense report",
    "Send contract for signature", "Log partner feedback",
)
OPP_CALL_SUBJECTS, OPP_EMAIL_SUBJECTS = (1, 2, 3), (7, 8, 9)
LEAD_CALL_SUBJECTS, LEAD_EMAIL_SUBJECTS = (0, 5), (6, 7)
CHECKIN_CALL_SUBJECTS, CHECKIN_EMAIL_SUBJECTS = (4,), (10,)
ADMIN_SUBJECTS = (11, 12, 13, 14, 15)
EVENT_TYPES = ("Meeting", "Demo")
EVENT_SUBJECTS = ("Discovery meeting", "Stakeholder meeting", "Product demo",
                  "Technical deep-dive demo", "Customer check-in", "Quarterly business review")
QUOTA_TYPES = ("revenue", "gross_profit", "units", "calls", "emails", "meetings", "demos")
PERIOD_TYPES = ("month", "quarter", "year")
SCOPES = ("rep", "team")


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class _Calendar:
    start_day: int  # first day of history (days since 1970-01-01)
    end_day: int  # end_date: nothing happens on or after its 00:00 UTC
    month_days: np.ndarray  # first day of each history month, plus the next boundary
    base_day: int  # first day covered by `offsets`
    offsets: np.ndarray  # UTC offset in seconds, per region and day
    working: np.ndarray  # days in [start_day, end_day) that are Monday to Friday
    working_cum: np.ndarray  # working days in [start_day, start_day + i)
    first_month_index: int  # year * 12 + month - 1 of the first history month

    @property
    def start_ts(self) -> int:
        return self.start_day * DAY

    @property
    def end_ts(self) -> int:
        return self.end_day * DAY

    @property
    def n_months(self) -> int:
        return len(self.month_days) - 1

    def working_between(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Working days in [lo, hi), clipped to the history window."""
        span = self.end_day - self.start_day
        lo = np.clip(lo - self.start_day, 0, span)
        hi = np.clip(hi - self.start_day, 0, span)
        return np.maximum(self.working_cum[hi] - self.working_cum[lo], 0)

    def offset(self, region: np.ndarray, day: np.ndarray) -> np.ndarray:
        index = np.clip(day - self.base_day, 0, self.offsets.shape[1] - 1)
        return self.offsets[region, index]


def _day_number(date: dt.date) -> int:
    return (date - EPOCH).days


def _add_months(date: dt.date, months: int) -> dt.date:
    index = date.year * 12 + date.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _weekday(day: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)."""
    return (day + 3) % 7


def _calendar(config: DemoConfig) -> _Calendar:
    """The history window, its months and working days, and each region's UTC offsets."""
    end_month = dt.date(config.end_date.year, config.end_date.month, 1)
    start = _add_months(end_month, -config.months)
    n_months = config.months + (config.end_date != end_month)
    month_days = np.array([_day_number(_add_months(start, i)) for i in range(n_months + 1)])
    start_day, end_day = _day_number(start), _day_number(config.end_date)
    days = np.arange(start_day, end_day)
    working = days[_weekday(days) < 5]
    working_cum = np.concatenate([[0], np.cumsum(_weekday(days) < 5)])
    base_day = start_day - 8 * 366
    offsets = _utc_offsets(base_day, end_day + 3 * 366)
    return _Calendar(start_day, end_day, month_days, base_day, offsets, working, working_cum,
                     start.year * 12 + start.month - 1)


def _utc_offsets(first_day: int, last_day: int) -> np.ndarray:
    """UTC offset of each region on each day, with its daylight-saving rule computed
    here rather than read from the system's time zone database, so that the output does
    not depend on the machine's tzdata version."""
    days = np.arange(first_day, last_day)
    offsets = np.empty((len(REGIONS), len(days)), dtype=np.int64)
    first_year = (EPOCH + dt.timedelta(days=int(first_day))).year
    last_year = (EPOCH + dt.timedelta(days=int(last_day))).year
    for region, (standard, rule) in enumerate(REGION_TZ):
        summer = np.zeros(len(days), dtype=bool)
        for year in range(first_year, last_year + 1):
            if rule == "us":  # second Sunday of March to first Sunday of November
                begin, end = _nth_sunday(year, 3, 2), _nth_sunday(year, 11, 1)
            elif rule == "eu":  # last Sunday of March to last Sunday of October
                begin, end = _last_sunday(year, 3), _last_sunday(year, 10)
            else:
                continue
            summer |= (days >= begin) & (days < end)
        offsets[region] = standard + summer * HOUR
    return offsets


def _nth_sunday(year: int, month: int, n: int) -> int:
    first = dt.date(year, month, 1)
    return _day_number(first) + (6 - first.weekday()) % 7 + 7 * (n - 1)


def _last_sunday(year: int, month: int) -> int:
    last = _add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)
    return _day_number(last) - (last.weekday() - 6) % 7


def _next_working_day(day: np.ndarray) -> np.ndarray:
    weekday = _weekday(day)
    return day + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))


def _business_ts(cal: _Calendar, day: np.ndarray, region: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """A time on `day` inside local office hours (8:00-18:00), in UTC seconds."""
    seconds = 8 * HOUR + (rng.random(len(day)) * 10 * HOUR).astype(np.int64)
    return day * DAY + seconds - cal.offset(region, day)


def _snap(cal: _Calendar, ts: np.ndarray, region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Move a time to the next local office hour: evenings, nights and weekends roll over
    to the next working morning, so that people appear to work their own hours."""
    offset = cal.offset(region, ts // DAY)
    local = ts + offset
    day, second = local // DAY, local % DAY
    weekend = _weekday(day) >= 5
    late = second >= 18 * HOUR
    early = second < 8 * HOUR
    morning = 8 * HOUR + (rng.random(len(ts)) * 2 * HOUR).astype(np.int64)
    new_day = np.where(weekend | late, _next_working_day(day + late), day)
    new_second = np.where(weekend | late | early, morning, second)
    return new_day * DAY + new_second - cal.offset(region, new_day)


def _snap_before(cal: _Calendar, ts: np.ndarray, limit: np.ndarray, region: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """`_snap`, unless that would carry the time past `limit` (a close, a conversion):
    then the time stays where it was, outside office hours for once."""
    snapped = _snap(cal, ts, region, rng)
    return np.where(snapped < limit, snapped, ts)


# --------------------------------------------------------------------------- org


@dataclass
class _Org:
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


def _build_org(config: DemoConfig, cal: _Calendar, rng: np.random.Generator) -> _Org:
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
        hire = _next_working_day(hire)
        tenure = rng.exponential(365 / yearly_leave_rate, len(seat)).astype(np.int64) + 20
        depart = _next_working_day(np.maximum(hire, cal.start_day) + tenure)
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
    hire_ts = _business_ts(cal, hire_day, region, rng)
    depart_ts = np.where(depart_day >= NEVER // DAY, NEVER,
                         depart_day * DAY + 17 * HOUR - cal.offset(region, depart_day))
    # An active user's record was last edited some time after hiring; a leaver's record
    # on the day of deactivation.
    edited = hire_ts + (rng.random(n_users) * (cal.end_ts - 1 - hire_ts)).astype(np.int64)
    last_modified = np.where(depart_ts < NEVER, depart_ts, edited)

    return _Org(
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


def _occupant_at(org: _Org, user: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Who holds `user`'s seat at `ts`: a leaver's open work and accounts pass to the
    successor, so nothing is owned by a deactivated user after they left."""
    user = user.copy()
    while True:
        moved = org.depart_ts[user] <= ts
        if not moved.any():
            return user
        user[moved] = org.successor[user[moved]]


def _ramp(days_since_hire: np.ndarray) -> np.ndarray:
    """New reps ramp up linearly over about three months."""
    return np.clip(days_since_hire / 91.0, 0.2, 1.0)


@dataclass
class _RepMonths:
    """One row per rep and history month with working days employed."""

    rep: np.ndarray
    month: np.ndarray
    lo_day: np.ndarray  # first employed day in the month
    hi_day: np.ndarray  # first day after
    working_days: np.ndarray
    ramp: np.ndarray


def _rep_month_grid(cal: _Calendar, org: _Org) -> _RepMonths:
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
    return _RepMonths(rep, month, lo, hi, working_days, _ramp(middle - org.hire_day()[rep]))


# --------------------------------------------------------------------------- deals


@dataclass
class _Paths:
    """Stage rows of simulated deals (in step order) and each deal's final state."""

    row_deal: np.ndarray
    row_ts: np.ndarray
    row_stage: np.ndarray
    stage: np.ndarray  # current stage
    last_ts: np.ndarray  # time of the last stage row
    reopened: np.ndarray


def _simulate_stages(cal: _Calendar, rng: np.random.Generator, created: np.ndarray,
                     region: np.ndarray, skill: np.ndarray, speed: np.ndarray,
                     quick: np.ndarray) -> _Paths:
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
        advance = np.where(stalled, rng.random(m) < 0.2, rng.random(m) < p_advance)
        skip = (rng.random(m) < SKIP_P) * (1 + (rng.random(m) < 0.25))
        nxt = np.where(advance, s + 1 + skip, LOST)
        nxt = np.where(advance & (nxt > 7), WON, nxt)
        nxt = np.where(is_pending, np.where(s == WON, 7, last_open[idx]), nxt)

        mean_days = STAGE_DAYS[open_s] * speed[idx]
        dwell = rng.lognormal(np.log(mean_days) - 0.32, 0.8)
        # A deal that is going to be lost lingers before anyone marks it lost.
        dwell = np.where(advance, dwell, dwell * LOSS_LINGER)
        dwell = np.where(stalled, rng.lognormal(np.log(150) - 0.125, 0.5, m), dwell)
        dwell = np.where(is_pending, rng.uniform(7, 60, m), dwell)
        t_new = _snap(cal, t[idx] + (dwell * DAY).astype(np.int64), region[idx], rng)
        t_new = np.maximum(t_new, t[idx] + 60 + rng.integers(0, 900, m))
        same_instant = ~is_pending & advance & (rng.random(m) < SAME_INSTANT_P)
        t_new = np.where(same_instant, t[idx], t_new)
        if step == 1:
            # Deals created and closed the same day: a quick order or a lost cause.
            q = quick[idx]
            nxt = np.where(q, np.where(rng.random(m) < 0.4, WON, LOST), nxt)
            quick_ts = t[idx] + rng.integers(600, 4 * HOUR, m)
            quick_ts = np.where(quick_ts // DAY == t[idx] // DAY, quick_ts, t[idx] + 60)
            t_new = np.where(q, quick_ts, t_new)

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
    return _Paths(np.concatenate(rows_deal), np.concatenate(rows_ts), np.concatenate(rows_stage),
                  stage, t, reopened)


@dataclass
class _Leads:
    owner: np.ndarray
    source: np.ndarray
    created: np.ndarray
    status: np.ndarray
    converted_deal: np.ndarray  # deal index, -1 when not converted
    last_modified: np.ndarray
    touches_lead: np.ndarray  # lead index of each lead activity
    touches_ts: np.ndarray
    account: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # converted into


@dataclass
class _Accounts:
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


@dataclass
class _Deals:
    n: int
    kind: np.ndarray
    creator: np.ndarray
    owner: np.ndarray
    region: np.ndarray
    account: np.ndarray
    created: np.ndarray
    lead_source: np.ndarray  # -1 = null
    from_lead: np.ndarray
    stage: np.ndarray
    close_ts: np.ndarray  # time of the last stage row (the close for closed deals)
    close_day: np.ndarray  # close_date: actual for closed deals, expected for open ones
    last_modified: np.ndarray
    amount: np.ndarray  # cents, = sum of line items
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
    accounts: _Accounts
    products_deactivated: np.ndarray  # per product: deactivation time, NEVER if active
    new_index: np.ndarray  # deal index of each first-generation (new business) deal
    logged: np.ndarray  # False for the few deals whose rep never logs an activity on them

    @property
    def is_closed(self) -> np.ndarray:
        return self.stage >= WON

    @property
    def is_won(self) -> np.ndarray:
        return self.stage == WON


def _season(cal: _Calendar, config: DemoConfig, month: np.ndarray) -> np.ndarray:
    """Deal flow bunches at the end of fiscal quarters (month = history month index)."""
    calendar_month = (cal.first_month_index + month) % 12 + 1
    position = (calendar_month - config.fiscal_year_start_month) % 3
    return np.array([0.92, 1.0, 1.12])[position]


def _opportunities(config: DemoConfig, cal: _Calendar, org: _Org, grid: _RepMonths) -> tuple[_Deals, _Leads]:
    """New business from leads and outbound work, then renewals and upsells generation
    by generation, then products, amounts and field history."""
    rng = _rng(config, 2)
    # New business is about four fifths of all deals once renewals and upsells come in.
    new_rate = config.opportunities_per_rep_month * 0.78
    expected = (new_rate * grid.working_days / 21.0 * grid.ramp * org.opp_rate[grid.rep]
                * _season(cal, config, grid.month))
    count = rng.poisson(expected)
    creator = np.repeat(grid.rep, count)
    lo = np.repeat(grid.lo_day, count)
    hi = np.repeat(grid.hi_day, count)
    first = cal.working_cum[lo - cal.start_day]
    last = cal.working_cum[hi - cal.start_day]
    day = cal.working[first + (rng.random(len(creator)) * (last - first)).astype(np.int64)]
    created = np.minimum(_business_ts(cal, day, org.region[creator], rng),
                         cal.end_ts - 1 - rng.integers(0, HOUR, len(day)))
    created = np.minimum(created, org.depart_ts[creator] - 1)
    order = np.argsort(created, kind="stable")
    creator, created = creator[order], created[order]
    n_new = len(created)

    # A share of new deals come from a lead the rep converted that day.
    lead_rng = _rng(config, 3)
    source = lead_rng.choice(len(LEAD_SOURCES), n_new, p=CONVERTED_MIX)
    qualify_days = lead_rng.lognormal(np.log(4), 0.9, n_new) + 0.05
    first_touch = _snap_before(cal, created - (qualify_days * DAY).astype(np.int64), created,
                               org.region[creator], lead_rng)
    delay = (lead_rng.lognormal(np.log(org.response_minutes[creator]), 0.8) * 60).astype(np.int64)
    lead_created = first_touch - delay
    from_lead = (lead_rng.random(n_new) < 0.58) & (lead_created >= np.maximum(cal.start_ts, org.hire_ts[creator]))
    lead_source = np.where(from_lead, source, OTHER_SOURCE)

    quick = rng.random(n_new) < 0.012
    boost = np.where(from_lead, REFERRAL_BOOST[lead_source], -0.1)
    skill = org.skill[creator] + 0.12 * np.log(org.persistence[creator] / 1.7) + boost
    paths = _simulate_stages(cal, rng, created, org.region[creator], skill, org.speed[creator], quick)

    accounts_rng = _rng(config, 4)
    account, accounts = _new_accounts(cal, org, accounts_rng, creator, created, lead_source, from_lead, paths)
    generations = [dict(kind=np.full(n_new, NEW), creator=creator, created=created,
                        account=account, lead_source=lead_source, from_lead=from_lead, paths=paths)]
    pre_seeds = _prehistory_customers(config, cal, org, accounts_rng, accounts)
    _repeat_business(config, cal, org, rng, accounts, generations, pre_seeds)

    deals = _assemble(config, cal, org, rng, generations, accounts)
    return deals, _leads(cal, org, lead_rng, deals, first_touch, lead_created, source, from_lead)


def _new_accounts(cal: _Calendar, org: _Org, rng: np.random.Generator, creator: np.ndarray,
                  created: np.ndarray, lead_source: np.ndarray, from_lead: np.ndarray,
                  paths: _Paths) -> tuple[np.ndarray, _Accounts]:
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
    accounts = _account_attributes(org, rng, owner_base, acc_created, source,
                                   has_deals=np.arange(len(owner_base)) < n_deal_accounts)
    # Wins of the first generation set first_win; later generations extend it.
    _record_wins(accounts, account, paths)
    return account, accounts


def _account_attributes(org: _Org, rng: np.random.Generator, owner_base: np.ndarray,
                        created: np.ndarray, source: np.ndarray, has_deals: np.ndarray) -> _Accounts:
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
    return _Accounts(
        n=n, created=created, owner=owner_base.copy(), owner_base=owner_base, region=region,
        industry=industry, country=country, employees=employees,
        revenue_cents=(revenue_dollars * 100).astype(np.int64), source=source,
        type=np.zeros(n, dtype=np.int64), first_win=np.full(n, NEVER, dtype=np.int64),
        last_modified=created.copy(), name_word=rng.integers(0, len(ACCOUNT_WORDS), n),
        name_suffix=rng.integers(0, len(ACCOUNT_SUFFIXES), n),
        name_legal=rng.integers(0, len(ACCOUNT_LEGAL), n), has_deals=has_deals)


def _record_wins(accounts: _Accounts, account: np.ndarray, paths: _Paths) -> None:
    """Keep each account's first won close time: it makes the account a customer."""
    won = paths.stage == WON
    np.minimum.at(accounts.first_win, account[won], paths.last_ts[won])


def _prehistory_customers(config: DemoConfig, cal: _Calendar, org: _Org, rng: np.random.Generator,
                          accounts: _Accounts) -> dict[str, np.ndarray]:
    """Customers won in the year before history starts. Their first deal is outside the
    data, but their renewals and upsells fall inside it, so that even a short history
    has existing business from day one. Appended to `accounts`; returns renewal seeds."""
    reps = np.flatnonzero((org.kind == REP) & (org.hire_ts < cal.start_ts) & (org.depart_ts > cal.start_ts))
    per_rep = rng.poisson(config.opportunities_per_rep_month * 0.78 * 0.22 * 12 * org.opp_rate[reps])
    owner = np.repeat(reps, per_rep)
    n = len(owner)
    won = cal.start_ts - rng.integers(20 * DAY, 365 * DAY, n)
    created = won - rng.integers(30 * DAY, 400 * DAY, n)
    source = rng.choice(len(LEAD_SOURCES), n, p=CONVERTED_MIX)
    extra = _account_attributes(org, rng, owner, created, source, has_deals=np.ones(n, dtype=bool))
    extra.first_win = won
    first = accounts.n
    for name in ("created", "owner", "owner_base", "region", "industry", "country", "employees",
                 "revenue_cents", "source", "type", "first_win", "last_modified", "name_word",
                 "name_suffix", "name_legal", "has_deals"):
        setattr(accounts, name, np.concatenate([getattr(accounts, name), getattr(extra, name)]))
    accounts.n += n
    return dict(account=first + np.arange(n), win_ts=won, kind=np.full(n, NEW))


def _repeat_business(config: DemoConfig, cal: _Calendar, org: _Org, rng: np.random.Generator,
                     accounts: _Accounts, generations: list[dict], pre_seeds: dict[str, np.ndarray]) -> None:
    """Renewals about a year after each win (most are won) and upsells a few months
    after a new-business win, owned by whoever holds the account then. One loop pass per
    generation: renewals of renewals come in the next pass."""
    # A minority of accounts is handed to another rep of the same team.
    reassign = rng.random(accounts.n) < 0.07
    team = org.team[accounts.owner_base]
    # Only reps hired before history starts take accounts over, so every later owner
    # of the seat is employed whenever the account needs one.
    reps = np.flatnonzero(org.kind == REP)
    candidates = reps[org.hire_ts[reps] < cal.start_ts]
    if len(candidates):
        pick = candidates[rng.integers(0, len(candidates), accounts.n)]
        ok = reassign & (org.team[pick] == team) & (pick != accounts.owner_base)
        accounts.owner_base = np.where(ok, pick, accounts.owner_base)

    def wins_of(gen: dict) -> dict[str, np.ndarray]:
        won = gen["paths"].stage == WON
        return dict(account=gen["account"][won], win_ts=gen["paths"].last_ts[won], kind=gen["kind"][won])

    seeds = _concat_dicts([wins_of(generations[0]), pre_seeds])
    while len(seeds["account"]):
        n = len(seeds["account"])
        renew_created = seeds["win_ts"] + ((365 - rng.uniform(45, 90, n)) * DAY).astype(np.int64)
        upsell = (seeds["kind"] == NEW) & (rng.random(n) < 0.35)
        upsell_created = seeds["win_ts"] + (rng.uniform(60, 330, n) * DAY).astype(np.int64)
        # Multi-year contracts (about one in five) have no renewal deal within a year.
        renew = rng.random(n) < 0.8
        kind = np.concatenate([np.full(int(renew.sum()), RENEWAL), np.full(int(upsell.sum()), UPSELL)])
        account = np.concatenate([seeds["account"][renew], seeds["account"][upsell]])
        created = np.concatenate([renew_created[renew], upsell_created[upsell]])
        keep = (created >= cal.start_ts) & (created < cal.end_ts - DAY)
        kind, account, created = kind[keep], account[keep], created[keep]
        if not len(kind):
            break
        creator = _occupant_at(org, accounts.owner_base[account], created)
        created = _snap(cal, created, org.region[creator], rng)
        creator = _occupant_at(org, accounts.owner_base[account], created)
        created = np.maximum(created, org.hire_ts[creator] + HOUR)
        keep = created < np.minimum(cal.end_ts, org.depart_ts[creator])
        kind, account, created, creator = kind[keep], account[keep], created[keep], creator[keep]
        # Renewals are mostly won; upsells about as often as strong new business.
        boost = np.where(kind == RENEWAL, 2.4, 0.6)
        paths = _simulate_stages(cal, rng, created, org.region[creator], org.skill[creator] + boost,
                                 org.speed[creator] * np.where(kind == RENEWAL, 0.6, 0.8),
                                 np.zeros(len(kind), dtype=bool))
        gen = dict(kind=kind, creator=creator, created=created, account=account,
                   lead_source=np.full(len(kind), -1), from_lead=np.zeros(len(kind), dtype=bool),
                   paths=paths)
        generations.append(gen)
        _record_wins(accounts, account, paths)
        seeds = wins_of(gen)
        seeds = {k: v[seeds["kind"] == RENEWAL] for k, v in seeds.items()}


def _concat_dicts(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _assemble(config: DemoConfig, cal: _Calendar, org: _Org, rng: np.random.Generator,
              generations: list[dict], accounts: _Accounts) -> _Deals:
    """Join the generations into one deal table ordered by creation time (Salesforce ids
    grow with time), add amount and close-date change rows to the stage history, draw
    the products and derive every amount from them."""
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
    n = len(order)
    closed = stage >= WON
    creator = cat["creator"]
    # The owner is whoever holds the seat when the deal closed, or now if it is open.
    owner = _occupant_at(org, creator, np.where(closed, last_ts, cal.end_ts - 1))

    rows = np.argsort(row_deal, kind="stable")  # rows of a deal stay in step order
    row_deal, row_ts, row_stage = row_deal[rows], row_ts[rows], row_stage[rows]
    row_deal, row_ts, row_stage, is_change = _add_change_rows(cal, rng, org.region[creator],
                                                              row_deal, row_ts, row_stage)
    products_deactivated = np.where(
        [p[4] for p in PRODUCTS], NEVER,
        cal.start_ts + (rng.uniform(0.3, 0.7, len(PRODUCTS)) * (cal.end_ts - cal.start_ts)).astype(np.int64))
    lines = _line_items(org, rng, cat["kind"], creator, cat["created"],
                        accounts.employees[cat["account"]], products_deactivated)
    amount = np.add.reduceat(lines["total"], np.searchsorted(lines["opp"], np.arange(n)))
    history = _history_values(cal, rng, cat["kind"], cat["created"], amount, row_deal, row_ts,
                              row_stage, is_change)
    last_row = np.concatenate([np.flatnonzero(row_deal[1:] != row_deal[:-1]), [len(row_deal) - 1]])
    first_row = np.concatenate([[0], last_row[:-1] + 1])
    revised_at = history.pop("revised_at")
    lines["last_modified"] = np.where(revised_at[lines["opp"]] >= 0,
                                      row_ts[np.maximum(revised_at, 0)][lines["opp"]],
                                      cat["created"][lines["opp"]])
    _finish_accounts(cal, org, rng, accounts)
    deals = _Deals(
        n=n, kind=cat["kind"], creator=creator, owner=owner, region=org.region[creator],
        account=cat["account"], created=cat["created"], lead_source=cat["lead_source"],
        from_lead=cat["from_lead"], stage=stage, close_ts=last_ts,
        close_day=history["close_day"][last_row], last_modified=row_ts[last_row],
        amount=amount, probability=history["probability"][last_row], reopened=reopened,
        h_opp=row_deal, h_ts=row_ts, h_stage=row_stage, h_amount=history["amount"],
        h_close_day=history["close_day"], h_probability=history["probability"],
        li_opp=lines["opp"], li_product=lines["product"], li_quantity=lines["quantity"],
        li_unit_cents=lines["unit"], li_total_cents=lines["total"],
        li_last_modified=lines["last_modified"], accounts=accounts,
        products_deactivated=products_deactivated, new_index=rank[: sizes[0]],
        # A few deals never get an activity logged: reps who work outside the CRM.
        logged=rng.random(n) >= 0.04)
    assert np.array_equal(row_stage[last_row], stage) and np.array_equal(row_ts[first_row], cat["created"])
    return deals


def _add_change_rows(cal: _Calendar, rng: np.random.Generator, region: np.ndarray,
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
    change_ts = ts[idx] + (rng.random(len(idx)) * (next_ts[idx] - ts[idx])).astype(np.int64)
    change_ts = _snap(cal, change_ts, region[deal[idx]], rng)
    ok = (change_ts > ts[idx]) & (change_ts < next_ts[idx]) & (change_ts < cal.end_ts)
    idx, change_ts = idx[ok], change_ts[ok]
    all_deal = np.concatenate([deal, deal[idx]])
    all_ts = np.concatenate([ts, change_ts])
    key = all_deal.astype(np.int64) * (1 << 32) + (all_ts - cal.start_ts)
    order = np.argsort(key, kind="stable")
    is_change = np.concatenate([np.zeros(n, dtype=bool), np.ones(len(idx), dtype=bool)])
    return all_deal[order], all_ts[order], np.concatenate([stage, stage[idx]])[order], is_change[order]


def _line_items(org: _Org, rng: np.random.Generator, kind: np.ndarray, creator: np.ndarray,
                created: np.ndarray, employees: np.ndarray, deactivated: np.ndarray) -> dict[str, np.ndarray]:
    """1-4 distinct products per deal (weighted sampling without replacement by
    exponential keys), quantities scaled by company size and the rep's deal size, and
    the rep's habitual discount. Money is in integer cents so sums are exact."""
    n, n_products = len(kind), len(PRODUCTS)
    weights = PRODUCT_WEIGHTS[kind] * (created[:, None] < deactivated[None, :])
    with np.errstate(divide="ignore"):
        keys = rng.exponential(size=(n, n_products)) / weights
    top = np.argsort(keys, axis=1)[:, :4]
    cumulative = LINES_PER_DEAL[kind].cumsum(axis=1)
    n_lines = 1 + (rng.random(n)[:, None] > cumulative).sum(axis=1)
    n_lines = np.minimum(n_lines, (weights > 0).sum(axis=1))
    take = np.arange(4)[None, :] < n_lines[:, None]
    opp = np.repeat(np.arange(n), n_lines)
    product = top[take]
    m = len(opp)
    size = (employees[opp] / 400) ** 0.3 * org.deal_size[creator[opp]]
    model = np.array([p[5] for p in PRODUCTS])[product]
    quantity = np.select(
        [model == "seats", model == "few", model == "days", model == "units"],
        [rng.lognormal(np.log(22 * size), 0.5), rng.lognormal(np.log(2 * np.sqrt(size)), 0.5),
         rng.lognormal(np.log(8 * np.sqrt(size)), 0.5), rng.lognormal(np.log(15 * size), 0.6)],
        1.0)
    limits = np.select([model == "seats", model == "few", model == "days", model == "units"],
                       [3000, 20, 120, 500], 1)
    quantity = np.clip(np.round(quantity), 1, limits).astype(np.int64)
    support = np.array([p[1] == "Support" for p in PRODUCTS])[product]
    discount = np.clip(org.discount[creator[opp]] + rng.normal(0, 0.04, m), 0, 0.35)
    discount *= np.where(support, 0.3, 1.0) * np.where(kind[opp] == RENEWAL, 0.5, 1.0)
    list_dollars = np.array([p[2] for p in PRODUCTS])[product]
    unit = np.round(list_dollars * (1 - discount)).astype(np.int64) * 100
    return dict(opp=opp, product=product, quantity=quantity, unit=unit, total=quantity * unit)


def _history_values(cal: _Calendar, rng: np.random.Generator, kind: np.ndarray, created: np.ndarray,
                    amount: np.ndarray, deal: np.ndarray, ts: np.ndarray, stage: np.ndarray,
                    is_change: np.ndarray) -> dict[str, np.ndarray]:
    """Amount, expected close date and probability on every history row.

    Many deals start from a rough estimate and switch to the quoted amount at one
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
    estimate = np.maximum(np.round(amount * rng.uniform(0.6, 1.4, n) / 50_000) * 50_000, 50_000)
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


def _finish_accounts(cal: _Calendar, org: _Org, rng: np.random.Generator, accounts: _Accounts) -> None:
    """Type, current owner and last edit once every win is known."""
    customer = accounts.first_win < cal.end_ts
    channel = (accounts.source == 2) | (rng.random(accounts.n) < 0.12)
    accounts.type = np.where(customer, np.where(channel, 2, 1), 0)
    accounts.owner = _occupant_at(org, accounts.owner_base, np.full(accounts.n, cal.end_ts - 1))
    touched = np.maximum(accounts.created, np.where(customer, accounts.first_win, accounts.created))
    later = rng.random(accounts.n) < 0.5
    accounts.last_modified = touched + (later * rng.random(accounts.n) * 0.5
                                        * np.maximum(cal.end_ts - 1 - touched, 0)).astype(np.int64)


def _leads(cal: _Calendar, org: _Org, rng: np.random.Generator, deals: _Deals, first_touch: np.ndarray,
           lead_created: np.ndarray, source: np.ndarray, from_lead: np.ndarray) -> _Leads:
    """Converted leads behind lead-sourced deals, plus the leads of the same sources
    that did not convert, drawn so that each source converts at LEAD_CONVERSION.
    The first touch comes after the rep's own response delay."""
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
    day = np.clip(day, lo, np.maximum(hi - 1, lo))
    any_hour = day * DAY + rng.integers(0, DAY, m)
    created = np.where(src == 0, any_hour, _business_ts(cal, day, org.region[owner], rng))
    created = np.clip(created, np.maximum(org.hire_ts[owner], cal.start_ts),
                      np.minimum(org.depart_ts[owner], cal.end_ts) - 1)

    delay = (rng.lognormal(np.log(org.response_minutes[owner]), 0.8) * 60).astype(np.int64)
    first = _snap(cal, created + delay, org.region[owner], rng)
    first = np.where(first - created > 2 * delay + 4 * DAY, created + delay, first)
    neglected = rng.random(m) < 0.05
    touched = ~neglected & (first < cal.end_ts)
    attempts = np.where(touched, np.minimum(rng.poisson(0.2 * org.persistence[owner]), 5), 0)
    extra_lead = np.repeat(np.arange(m), attempts)
    extra_ts = _snap(cal, first[extra_lead] + (rng.uniform(0.1, 21, len(extra_lead)) * DAY).astype(np.int64),
                     org.region[owner[extra_lead]], rng)
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
    more_ts = first_touch[conv][more_lead] + (rng.random(len(more_lead)) * (
        conversion[more_lead] - first_touch[conv][more_lead])).astype(np.int64)
    more_ts = _snap_before(cal, more_ts, conversion[more_lead], org.region[conv_owner[more_lead]], rng)

    all_created = np.concatenate([conv_created, created])
    order = np.argsort(all_created, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    leads = _Leads(
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


# --------------------------------------------------------------------------- activities


@dataclass
class _Activities:
    """Tasks (calls, emails, to-dos) and events (meetings, demos) as parallel arrays.
    who/what kinds: 0 none, 1 lead / opportunity, 2 contact / account."""

    task: dict[str, np.ndarray]
    event: dict[str, np.ndarray]

    @property
    def t_ts(self) -> np.ndarray:
        return self.task["ts"]

    @property
    def e_start(self) -> np.ndarray:
        return self.event["start"]


def _contact(rng: np.random.Generator, accounts: _Accounts, account: np.ndarray) -> np.ndarray:
    """A contact of the account: up to five per company, numbered from the account so
    that their 003 ids are stable without a contact table."""
    per_account = 1 + np.minimum(accounts.employees[account] // 150, 4)
    return account * 5 + 1 + (rng.random(len(account)) * per_account).astype(np.int64)


def _activities(cal: _Calendar, org: _Org, deals: _Deals, leads: _Leads, rng: np.random.Generator) -> _Activities:
    """Every call, email, meeting and demo, attributed to whoever held the seat then."""
    parts_task, parts_event = [], []
    opp_task, opp_event = _deal_activities(cal, org, deals, rng)
    parts_task.append(opp_task)
    parts_event.append(opp_event)
    parts_task.append(_lead_activities(cal, org, leads, rng))
    check_task, check_event = _checkins(cal, org, deals.accounts, rng)
    parts_task.append(check_task)
    parts_event.append(check_event)
    parts_task.append(_admin_tasks(cal, org, rng))
    task = _concat_dicts(parts_task)
    event = _concat_dicts(parts_event)
    _call_details(org, rng, task)
    return _Activities(task, event)


def _task_part(owner: np.ndarray, ts: np.ndarray, is_call: np.ndarray, subject: np.ndarray,
               who_kind: int | np.ndarray, who: np.ndarray, what_kind: int, what: np.ndarray,
               account: np.ndarray, lead_call: bool) -> dict[str, np.ndarray]:
    """Task columns in compact types: these arrays run to millions of rows."""
    n = len(ts)
    kind = np.where(is_call, 0, 1).astype(np.int8)
    return dict(owner=owner.astype(np.int32), ts=ts, type=kind, subtype=kind.copy(),
                subject=subject.astype(np.int8), who_kind=np.broadcast_to(who_kind, n).astype(np.int8),
                who=who.astype(np.int32), what_kind=np.full(n, what_kind, dtype=np.int8),
                what=what.astype(np.int32), account=account.astype(np.int32),
                status=np.zeros(n, dtype=np.int8), due_day=(ts // DAY).astype(np.int32),
                lead_call=np.full(n, lead_call))


def _pick(rng: np.random.Generator, choices: tuple[int, ...], n: int) -> np.ndarray:
    return np.array(choices)[rng.integers(0, len(choices), n)]


def _deal_activities(cal: _Calendar, org: _Org, deals: _Deals, rng: np.random.Generator
                     ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A first touch when the deal is created, then follow-ups whose number depends on
    the rep's persistence, the deal's length and its outcome (won deals got more
    attention), and meetings and demos around the entry into the middle stages."""
    n = deals.n
    upper = np.where(deals.is_closed, deals.close_ts, cal.end_ts)
    creator, region = deals.creator, deals.region
    logs = deals.logged
    first_ts = deals.created + rng.integers(0, 2 * HOUR, n)
    first_ts = np.where(first_ts < upper, first_ts, deals.created)
    window = (upper - deals.created) / DAY
    outcome = np.where(deals.is_won, 1.35, np.where(deals.stage == LOST, 0.7, 1.0))
    lam = org.persistence[creator] * np.clip(window / 30, 0.15, 5) * outcome * np.sqrt(org.volume[creator])
    follow = np.where(logs, rng.poisson(lam), 0)
    deal = np.concatenate([np.flatnonzero(logs), np.repeat(np.arange(n), follow)])
    n_first = int(logs.sum())
    span = upper[deal] - deals.created[deal]
    ts = deals.created[deal] + (rng.uniform(0.02, 1, len(deal)) * span).astype(np.int64)
    ts = _snap_before(cal, ts, upper[deal], region[deal], rng)
    ts[:n_first] = first_ts[logs]
    is_call = rng.random(len(deal)) < 0.62
    subject = np.where(is_call, _pick(rng, OPP_CALL_SUBJECTS, len(deal)),
                       _pick(rng, OPP_EMAIL_SUBJECTS, len(deal)))
    subject[:n_first] = np.where(is_call[:n_first], 2, 6)
    account = deals.account[deal]
    with_contact = rng.random(len(deal)) < 0.85
    task = _task_part(_occupant_at(org, creator[deal], ts), ts, is_call, subject,
                      np.where(with_contact, 2, 0), np.where(with_contact, _contact(rng, deals.accounts, account), 0),
                      1, deal, account, False)

    # Meetings and demos: before entering Needs Analysis / Id. Decision Makers (meetings)
    # and Value Proposition / Perception Analysis (demos), so meetings come first.
    h_opp, h_stage = deals.h_opp, deals.h_stage
    entry = np.ones(len(h_opp), dtype=bool)
    entry[1:] = (h_opp[1:] != h_opp[:-1]) | (h_stage[1:] != h_stage[:-1])
    wanted = np.isin(h_stage, (2, 3, 4)) | ((h_stage == 5) & (rng.random(len(h_opp)) < 0.35))
    rows = np.flatnonzero(entry & wanted & logs[h_opp])
    e_deal = h_opp[rows]
    is_demo = np.isin(h_stage[rows], (3, 5))
    start = deals.h_ts[rows] - (rng.uniform(0, 2, len(rows)) * DAY).astype(np.int64)
    start = _snap_before(cal, start, deals.h_ts[rows], region[e_deal], rng)
    start = np.maximum(start, deals.created[e_deal] + HOUR)
    minutes = np.where(is_demo, rng.choice([60, 90], len(rows)), rng.choice([30, 45, 60], len(rows)))
    keep = start + minutes * 60 < np.minimum(upper[e_deal], cal.end_ts)
    rows, e_deal, is_demo, start, minutes = rows[keep], e_deal[keep], is_demo[keep], start[keep], minutes[keep]
    subject = np.where(is_demo, np.where(h_stage[rows] == 3, 2, 3), np.where(h_stage[rows] == 2, 0, 1))

    # A deal that skipped Needs Analysis still had a discovery meeting before its first demo.
    first_meeting = np.full(n, NEVER)
    first_demo = np.full(n, NEVER)
    np.minimum.at(first_meeting, e_deal[~is_demo], start[~is_demo])
    np.minimum.at(first_demo, e_deal[is_demo], start[is_demo])
    need = np.flatnonzero((first_demo < NEVER) & (first_meeting > first_demo))
    extra = first_demo[need] - (rng.uniform(1, 5, len(need)) * DAY).astype(np.int64)
    extra = _snap_before(cal, extra, first_demo[need] - HOUR, region[need], rng)
    extra = np.maximum(extra, deals.created[need] + HOUR)
    fits = extra + HOUR <= first_demo[need]
    need, extra = need[fits], extra[fits]
    e_deal = np.concatenate([e_deal, need])
    start = np.concatenate([start, extra])
    minutes = np.concatenate([minutes, rng.choice([30, 45, 60], len(need))])
    is_demo = np.concatenate([is_demo, np.zeros(len(need), dtype=bool)])
    subject = np.concatenate([subject, np.zeros(len(need), dtype=np.int64)])
    account = deals.account[e_deal]
    event = _event_part(rng, _occupant_at(org, creator[e_deal], start), start, minutes, is_demo, subject,
                        _contact(rng, deals.accounts, account), 1, e_deal, account, deals.created[e_deal])
    return task, event


def _event_part(rng: np.random.Generator, owner: np.ndarray, start: np.ndarray, minutes: np.ndarray,
                is_demo: np.ndarray, subject: np.ndarray, who: np.ndarray, what_kind: int,
                what: np.ndarray, account: np.ndarray, not_before: np.ndarray) -> dict[str, np.ndarray]:
    """Events are booked a few days ahead and edited once they are over."""
    n = len(start)
    created = np.maximum(start - (rng.uniform(1 / 24, 7, n) * DAY).astype(np.int64), not_before)
    created = np.minimum(created, start)
    end = start + minutes * 60
    return dict(owner=owner, start=start, minutes=minutes, type=is_demo.astype(np.int64),
                subject=subject, who_kind=np.full(n, 2), who=who, what_kind=np.full(n, what_kind),
                what=what, account=account, created=created, last_modified=end)


def _lead_activities(cal: _Calendar, org: _Org, leads: _Leads, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Calls and emails to leads (who_id = the lead, no what_id), by whoever holds the
    lead owner's seat at the time."""
    lead = leads.touches_lead
    ts = leads.touches_ts
    n = len(lead)
    is_call = rng.random(n) < 0.7
    subject = np.where(is_call, _pick(rng, LEAD_CALL_SUBJECTS, n), _pick(rng, LEAD_EMAIL_SUBJECTS, n))
    return _task_part(_occupant_at(org, leads.owner[lead], ts), ts, is_call, subject, 1, lead, 0,
                      np.zeros(n, dtype=np.int64), np.full(n, -1), True)


def _checkins(cal: _Calendar, org: _Org, accounts: _Accounts, rng: np.random.Generator
              ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Customer check-ins logged on the account (no deal): calls, emails and meetings."""
    customers = np.flatnonzero(accounts.first_win < cal.end_ts)
    since = np.maximum(accounts.first_win[customers], cal.start_ts)
    count = rng.poisson(0.25 * (cal.end_ts - since) / (30 * DAY))
    account = np.repeat(customers, count)
    lo = np.repeat(since, count)
    ts = lo + (rng.random(len(account)) * (cal.end_ts - lo)).astype(np.int64)
    ts = _snap_before(cal, ts, np.full(len(ts), cal.end_ts), accounts.region[account], rng)
    owner = _occupant_at(org, accounts.owner_base[account], ts)
    kind = rng.choice(3, len(account), p=[0.55, 0.15, 0.30])  # call, email, meeting
    contact = _contact(rng, accounts, account)
    t = kind < 2
    task = _task_part(owner[t], ts[t], kind[t] == 0, np.where(kind[t] == 0, CHECKIN_CALL_SUBJECTS[0],
                                                             CHECKIN_EMAIL_SUBJECTS[0]),
                      2, contact[t], 2, account[t], account[t], False)
    e = ~t
    minutes = rng.choice([30, 60], int(e.sum()))
    keep = ts[e] + minutes * 60 < cal.end_ts
    idx = np.flatnonzero(e)[keep]
    subject = np.where(rng.random(len(idx)) < 0.7, 4, 5)
    event = _event_part(rng, owner[idx], ts[idx], minutes[keep], np.zeros(len(idx), dtype=bool), subject,
                        contact[idx], 2, account[idx], account[idx], np.maximum(accounts.first_win[account[idx]],
                                                                               accounts.created[account[idx]]))
    return task, event


def _admin_tasks(cal: _Calendar, org: _Org, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Non-sales to-dos (forecast updates, expense reports), some still open."""
    grid = _rep_month_grid(cal, org)
    count = rng.poisson(3.0 * org.volume[grid.rep] * grid.working_days / 21)
    rep = np.repeat(grid.rep, count)
    first = cal.working_cum[np.repeat(grid.lo_day, count) - cal.start_day]
    last = cal.working_cum[np.repeat(grid.hi_day, count) - cal.start_day]
    day = cal.working[first + (rng.random(len(rep)) * (last - first)).astype(np.int64)]
    ts = np.minimum(_business_ts(cal, day, org.region[rep], rng), np.minimum(org.depart_ts[rep], cal.end_ts) - 1)
    n = len(rep)
    part = _task_part(rep, ts, np.zeros(n, dtype=bool), _pick(rng, ADMIN_SUBJECTS, n), 0,
                      np.zeros(n, dtype=np.int64), 0, np.zeros(n, dtype=np.int64), np.full(n, -1), False)
    part["type"] = np.where(rng.random(n) < 0.7, 2, -1).astype(np.int8)  # "Other", or left empty
    part["subtype"] = np.full(n, 2, dtype=np.int8)
    part["status"] = rng.choice(3, n, p=[0.88, 0.08, 0.04]).astype(np.int8)
    part["due_day"] = np.where(part["status"] == 0, ts // DAY,
                               np.minimum(ts // DAY + rng.integers(0, 6, n), cal.end_day - 1)).astype(np.int32)
    return part


def _call_details(org: _Org, rng: np.random.Generator, task: dict[str, np.ndarray]) -> None:
    """Direction, disposition and length of every call: inbound calls always connect;
    outbound ones reach someone at the rep's connect rate (a little less on new leads)."""
    n = len(task["ts"])
    calls = np.flatnonzero(task["type"] == 0)
    m = len(calls)
    lead_call = task["lead_call"][calls]
    inbound = ~lead_call & (rng.random(m) < 0.12)
    connect = org.connect[task["owner"][calls]] * np.where(lead_call, 0.85, 1.0)
    other = np.searchsorted(np.cumsum(NOT_CONNECTED_MIX)[:-1], rng.random(m), side="right")
    disposition = np.where(inbound | (rng.random(m) < connect), 0, other)
    seconds = np.exp(rng.normal(np.log(CALL_SECONDS[disposition, 0]), CALL_SECONDS[disposition, 1]))
    task["call_type"] = np.full(n, -1, dtype=np.int8)
    task["call_type"][calls] = inbound
    task["disposition"] = np.full(n, -1, dtype=np.int8)
    task["disposition"][calls] = disposition
    task["duration"] = np.full(n, -1, dtype=np.int32)
    task["duration"][calls] = np.maximum(seconds, 1)
    # A few emails are drafted but not yet sent.
    email = np.flatnonzero(task["type"] == 1)
    task["status"][email[rng.random(len(email)) < 0.02]] = 1
    task["last_modified"] = task["ts"] + np.maximum(task["duration"], 0)


# --------------------------------------------------------------------------- quotas, costs


def _month_of(cal: _Calendar, day: np.ndarray) -> np.ndarray:
    """History month index of a day number."""
    return np.searchsorted(cal.month_days, day, side="right") - 1


def _quotas(config: DemoConfig, cal: _Calendar, org: _Org, grid: _RepMonths, deals: _Deals,
            acts: _Activities) -> dict[str, np.ndarray]:
    """Top-down quotas from the history months through the end of the current fiscal
    year. A per-rep monthly target is set from what a fully ramped rep achieved on
    average (so the better reps beat it and the weaker ones miss it), scaled by ramp-up
    and season; each team's target is split across its reps active at the month start by
    largest remainder, so rep quotas sum exactly to the team's; quarters and the team's
    year are sums of their months, so they agree exactly too."""
    rng = _rng(config, 8)
    reps = np.flatnonzero(org.kind == REP)
    n_users = org.n_users
    first_index = cal.first_month_index
    end = config.end_date
    fy_offset = (end.month - config.fiscal_year_start_month) % 12
    fy_end_index = end.year * 12 + end.month - 1 - fy_offset + 11
    month_index = np.arange(first_index, fy_end_index + 1)
    month_day = np.array([_day_number(dt.date(int(i) // 12, int(i) % 12 + 1, 1)) for i in month_index])
    n_q = len(month_index)
    calendar_month = month_index % 12 + 1
    quarter_start = month_index - (calendar_month - config.fiscal_year_start_month) % 3
    year_start = month_index - (calendar_month - config.fiscal_year_start_month) % 12

    actual = _monthly_actuals(cal, org, deals, acts)  # (type, user, history month)
    # What one unit of planning weight delivered per month over the history.
    month_working = cal.working_between(cal.month_days[:-1], cal.month_days[1:])
    employed = grid.ramp * grid.working_days / month_working[grid.month]
    capacity = np.array([(employed * TITLE_DEAL_SIZE[org.title[grid.rep]]).sum(),
                         (employed * TITLE_VOLUME[org.title[grid.rep]]).sum()])
    base = actual.sum(axis=(1, 2)) / np.maximum(np.where(np.arange(len(QUOTA_TYPES)) < 3, capacity[0], capacity[1]),
                                                1e-9)

    # Rep x quota month pairs where the rep is employed at the month start.
    rep, q = (a.ravel() for a in np.meshgrid(reps, np.arange(n_q), indexing="ij"))
    start_ts = month_day[q] * DAY
    active = (org.hire_ts[rep] <= start_ts) & (org.depart_ts[rep] > start_ts)
    rep, q = rep[active], q[active]
    ramp = _ramp(month_day[q] - org.hire_day()[rep])
    # Planning weights: ramp-up times what the title is expected to deliver.
    weights = {True: ramp * TITLE_DEAL_SIZE[org.title[rep]], False: ramp * TITLE_VOLUME[org.title[rep]]}
    season = np.array([0.92, 1.0, 1.12])[(calendar_month[q] - config.fiscal_year_start_month) % 3]
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
        weight = weights[qtype < 3]
        weight_sum = np.bincount(group, weight, minlength=n_groups)
        # Set so that a typical rep is about on target (results are skewed: the mean rep
        # beats the median one); rounded to whole dollars or whole counts.
        stretch = 0.93 * rng.lognormal(0, 0.03, n_groups)
        target = base[qtype] * weight * season * stretch[group] / (100 if money else 1)
        team_total = np.round(np.bincount(group, target, minlength=n_groups)).astype(np.int64)
        share = _largest_remainder(team_total, group, weight, weight_sum, rep)
        unit = 100  # stored as cents: dollars for money, whole counts otherwise
        emit(rep, 0, 0, month_day[q], qtype, share * unit)
        has_reps = np.flatnonzero(weight_sum > 0)
        emit(managers[has_reps // n_q], 1, 0, month_day[has_reps % n_q], qtype, team_total[has_reps] * unit)

        # Quarters: reps employed at the quarter start, their months of that quarter.
        valid_quarter = quarter_start[q] >= first_index
        quarter_q = np.searchsorted(month_index, quarter_start[q])
        in_quarter = valid_quarter & (org.hire_ts[rep] <= month_day[quarter_q] * DAY) & (
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


def _monthly_actuals(cal: _Calendar, org: _Org, deals: _Deals, acts: _Activities) -> np.ndarray:
    """What each user achieved per history month, per quota type, as the marts count it:
    won deals by close month, activities by the month they happened."""
    cells = org.n_users * cal.n_months

    def total(user: np.ndarray, month: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(user.astype(np.int64) * cal.n_months + month, weight, minlength=cells)

    won = deals.is_won
    month = _month_of(cal, deals.close_day)
    cost = np.array([p[3] for p in PRODUCTS]) * 100
    line_won = won[deals.li_opp]
    profit = deals.li_total_cents - deals.li_quantity * cost[deals.li_product]
    line_owner, line_month = deals.owner[deals.li_opp][line_won], month[deals.li_opp][line_won]
    task, event = acts.task, acts.event
    task_month = _month_of(cal, task["ts"] // DAY)
    event_month = _month_of(cal, event["start"] // DAY)
    sums = [
        total(deals.owner[won], month[won], deals.amount[won].astype(np.float64)),
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


def _rep_costs(cal: _Calendar, org: _Org, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Loaded cost per user and month employed: pay by title and person, a little noise
    month to month, expenses; prorated in the months someone joins or leaves."""
    user, month = (a.ravel() for a in np.meshgrid(np.arange(org.n_users), np.arange(cal.n_months), indexing="ij"))
    lo = np.maximum(org.hire_day()[user], cal.month_days[month])
    hi = np.minimum(np.minimum(org.depart_day()[user], cal.month_days[month + 1]), cal.end_day)
    days = hi - lo
    keep = days > 0
    user, month, days = user[keep], month[keep], days[keep]
    month_length = (cal.month_days[month + 1] - cal.month_days[month])
    n = len(user)
    pay = TITLE_MONTHLY_COST[org.title[user]] * org.cost_factor[user] * (1 + rng.normal(0, 0.03, n))
    expenses = rng.lognormal(np.log(700), 0.5, n)
    cents = np.round((pay + expenses) * days / month_length * 100).astype(np.int64)
    return dict(user=user, month_day=cal.month_days[month], cents=cents)


# --------------------------------------------------------------------------- tables


@dataclass
class _Table:
    """One raw table: Arrow columns (numbers and codes) and, per contract column, the SQL
    expression that turns them into the landed value (ids and names are built in SQL)."""

    name: str
    data: pa.Table
    columns: dict[str, str]
    meta: dict[str, np.ndarray] = field(default_factory=dict)  # row flags the fault injector needs


def _ids(name: str, column: str, nullable: bool = False) -> str:
    """18-character Salesforce-style id: the object's key prefix, then the number."""
    # Adding 10^15 and dropping the leading 1 zero-pads faster than printf or lpad.
    expression = f"'{ID_PREFIXES[name]}' || substr(cast({column} + 1000000000000000 as varchar), 2)"
    return f"case when {column} > 0 then {expression} end" if nullable else expression


def _id_strings(name: str, count: int) -> pa.Array:
    """The ids of records 1..count, built once and shared by every column referring to them."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, count + 1)), pa.string()), 15, "0")
    return pc.binary_join_element_wise(ID_PREFIXES[name], digits, "")


def _ts(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds to an Arrow timestamp; negative means null."""
    micros = np.where(seconds >= 0, seconds * 1_000_000, np.iinfo(np.int64).min)
    return pa.array(micros.astype(np.int64).view("datetime64[us]"))


def _date(days: np.ndarray) -> pa.Array:
    days = np.asarray(days)
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=days == np.iinfo(np.int64).min)


def _money(cents: np.ndarray) -> pa.Array:
    """Integer cents as an exact decimal(18, 2), built straight from the 128-bit words."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words)])


def _codes(codes: np.ndarray, labels: tuple[str, ...]) -> pa.Array:
    """Low-cardinality text as a dictionary array; a negative code is null."""
    codes = np.asarray(codes)
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int16), mask=codes < 0), pa.array(labels))


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based position of each value in stable sorted order: ids that grow with time."""
    order = np.argsort(values, kind="stable")
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(1, len(values) + 1)
    return rank


def _tables(cal: _Calendar, org: _Org, deals: _Deals, leads: _Leads, later: dict) -> dict[str, Callable[[], _Table]]:
    """A builder per raw table. Each is called just before its table is written, so only
    one large table is held in Arrow form at a time; the activity, quota and cost tables
    read their inputs from `later` (acts, quotas, costs), which is filled in meanwhile."""
    accounts = deals.accounts
    account_number = _ranks(accounts.created)
    dash = np.int64(-1)
    counts = {"user": org.n_users, "user_role": 1 + 2 * org.n_teams, "account": accounts.n,
              "opportunity": deals.n, "product_2": len(PRODUCTS)}
    strings: dict[str, pa.Array] = {}

    def id_strings(name: str) -> pa.Array:
        if name not in strings:
            strings[name] = _id_strings(name, counts[name])
        return strings[name]

    def ref(name: str, number: np.ndarray) -> pa.Array:
        """A reference column as a dictionary over the target's ids (0 or less: null):
        much cheaper than formatting millions of repeated ids row by row."""
        return pa.DictionaryArray.from_arrays(pa.array((number - 1).astype(np.int32), mask=number <= 0),
                                              id_strings(name))

    def what_ref(kind: np.ndarray, number: np.ndarray) -> pa.Array:
        """what_id: an opportunity (kind 1) or an account (kind 2), numbered from 1."""
        if "what" not in strings:
            strings["what"] = pa.concat_arrays([id_strings("opportunity"), id_strings("account")])
        index = np.where(kind == 1, number - 1, deals.n + number - 1).astype(np.int32)
        return pa.DictionaryArray.from_arrays(pa.array(index, mask=kind == 0), strings["what"])

    def account_ref(index: np.ndarray) -> np.ndarray:
        return np.where(index >= 0, account_number[np.maximum(index, 0)], dash)

    account_name = ("cast(word as varchar) || cast(suffix as varchar) || ' ' || cast(legal as varchar)")

    def user() -> _Table:
        n = org.n_users
        data = pa.table({
            "n": np.arange(1, n + 1), "first": _codes(org.first_name, FIRST_NAMES),
            "last": _codes(org.last_name, LAST_NAMES), "title": _codes(org.title, TITLES),
            "division": _codes(np.where(org.kind == VP, -1, org.region), REGIONS),
            "role": ref("user_role", org.role + 1), "manager": ref("user", org.manager + 1),
            "active": org.depart_ts >= NEVER,
            "created": _ts(org.hire_ts), "modified": _ts(org.last_modified),
        })
        return _Table("user", data, {
            "id": _ids("user", "n"),
            "name": "cast(first as varchar) || ' ' || cast(last as varchar)",
            "email": "lower(cast(first as varchar) || '.' || replace(cast(last as varchar), ' ', '')) "
                     "|| '.' || cast(n as varchar) || '@example.com'",
            "title": "cast(title as varchar)", "division": "cast(division as varchar)",
            "user_role_id": "cast(role as varchar)", "manager_id": "cast(manager as varchar)",
            "is_active": "active", "created_date": "created", "last_modified_date": "modified",
        })

    def user_role() -> _Table:
        teams = np.arange(org.n_teams)
        labels = [f"{REGIONS[t % len(REGIONS)]} {t // len(REGIONS) + 1}" for t in teams]
        names = ["VP Sales"] + [name for label in labels
                                for name in (f"Sales Manager, {label}", f"Sales Team, {label}")]
        parent = np.concatenate([[0], np.stack([np.ones(org.n_teams), 2 + 2 * teams], axis=1).ravel()])
        data = pa.table({"n": np.arange(1, len(names) + 1), "name": pa.array(names),
                         "parent": parent.astype(np.int64)})
        return _Table("user_role", data, {
            "id": _ids("user_role", "n"), "name": "name", "parent_role_id": _ids("user_role", "parent", True)})

    def account() -> _Table:
        order = np.argsort(account_number)
        a = accounts
        data = pa.table({
            "n": account_number[order], "word": _codes(a.name_word[order], ACCOUNT_WORDS),
            "suffix": _codes(a.name_suffix[order], ACCOUNT_SUFFIXES),
            "legal": _codes(a.name_legal[order], ACCOUNT_LEGAL),
            "industry": _codes(a.industry[order], INDUSTRIES), "type": _codes(a.type[order], ACCOUNT_TYPES),
            "country": _codes(a.country[order], COUNTRIES), "revenue": _money(a.revenue_cents[order]),
            "employees": a.employees[order].astype(np.int32), "owner": ref("user", a.owner[order] + 1),
            "source": _codes(a.source[order], LEAD_SOURCES), "created": _ts(a.created[order]),
            "modified": _ts(a.last_modified[order]),
        })
        meta = {"quiet": ~a.has_deals[order]}  # no deals, no activities: safe to delete
        return _Table("account", data, meta=meta, columns={
            "id": _ids("account", "n"), "name": account_name, "industry": "cast(industry as varchar)",
            "type": "cast(type as varchar)", "billing_country": "cast(country as varchar)",
            "annual_revenue": "revenue", "number_of_employees": "employees",
            "owner_id": "cast(owner as varchar)", "account_source": "cast(source as varchar)",
            "created_date": "created", "is_deleted": "false", "last_modified_date": "modified",
        })

    def opportunity() -> _Table:
        d, a = deals, deals.account
        data = pa.table({
            "n": np.arange(1, d.n + 1), "word": _codes(accounts.name_word[a], ACCOUNT_WORDS),
            "suffix": _codes(accounts.name_suffix[a], ACCOUNT_SUFFIXES),
            "legal": _codes(accounts.name_legal[a], ACCOUNT_LEGAL),
            "label": _codes(d.kind, OPP_TYPE_LABEL), "account": ref("account", account_ref(a)),
            "owner": ref("user", d.owner + 1),
            "stage": _codes(d.stage, STAGES), "amount": _money(d.amount), "probability": d.probability,
            "close": _date(d.close_day), "created": _ts(d.created), "closed": d.is_closed, "won": d.is_won,
            "type": _codes(d.kind, OPP_TYPES), "source": _codes(d.lead_source, LEAD_SOURCES),
            "forecast": _codes(STAGE_FORECAST[d.stage], FORECAST), "modified": _ts(d.last_modified),
        })
        converted = np.zeros(d.n, dtype=bool)
        converted[leads.converted_deal[leads.converted_deal >= 0]] = True
        meta = {"quiet": ~d.logged & ~d.is_won & ~converted, "not_won": ~d.is_won}
        return _Table("opportunity", data, meta=meta, columns={
            "id": _ids("opportunity", "n"),
            "name": f"{account_name} || ' - ' || cast(label as varchar) || ' ' || cast(year(created) as varchar)",
            "account_id": "cast(account as varchar)", "owner_id": "cast(owner as varchar)",
            "stage_name": "cast(stage as varchar)", "amount": "amount", "probability": "probability",
            "close_date": "close", "created_date": "created", "is_closed": "closed", "is_won": "won",
            "type": "cast(type as varchar)", "lead_source": "cast(source as varchar)",
            "forecast_category": "cast(forecast as varchar)", "is_deleted": "false",
            "last_modified_date": "modified",
        })

    def opportunity_history() -> _Table:
        d = deals
        data = pa.table({
            "n": np.arange(1, len(d.h_opp) + 1), "opp": ref("opportunity", d.h_opp + 1), "created": _ts(d.h_ts),
            "stage": _codes(d.h_stage, STAGES), "amount": _money(d.h_amount), "probability": d.h_probability,
            "close": _date(d.h_close_day), "forecast": _codes(STAGE_FORECAST[d.h_stage], FORECAST),
        })
        later = np.ones(len(d.h_opp), dtype=bool)  # the next row of the deal is strictly later
        later[:-1] = (d.h_opp[1:] != d.h_opp[:-1]) | (d.h_ts[1:] > d.h_ts[:-1])
        return _Table("opportunity_history", data, meta={"tie_ok": later}, columns={
            "id": _ids("opportunity_history", "n"), "opportunity_id": "cast(opp as varchar)",
            "created_date": "created", "stage_name": "cast(stage as varchar)", "amount": "amount",
            "probability": "probability", "close_date": "close",
            "forecast_category": "cast(forecast as varchar)", "is_deleted": "false",
        })

    def opportunity_line_item() -> _Table:
        d = deals
        data = pa.table({
            "n": np.arange(1, len(d.li_opp) + 1), "opp": ref("opportunity", d.li_opp + 1),
            "product": ref("product_2", d.li_product + 1),
            "quantity": _money(d.li_quantity * 100), "unit": _money(d.li_unit_cents),
            "total": _money(d.li_total_cents), "modified": _ts(d.li_last_modified),
        })
        return _Table("opportunity_line_item", data, {
            "id": _ids("opportunity_line_item", "n"), "opportunity_id": "cast(opp as varchar)",
            "product_2_id": "cast(product as varchar)", "quantity": "quantity", "unit_price": "unit",
            "total_price": "total", "is_deleted": "false", "last_modified_date": "modified",
        })

    def product_2() -> _Table:
        n = len(PRODUCTS)
        active = deals.products_deactivated >= NEVER
        modified = np.where(active, cal.start_ts - (np.arange(n) * 7 + 30) * DAY, deals.products_deactivated)
        data = pa.table({
            "n": np.arange(1, n + 1), "name": pa.array([p[0] for p in PRODUCTS]),
            "family": pa.array([p[1] for p in PRODUCTS]), "active": active,
            "cost": _money(np.array([p[3] for p in PRODUCTS]) * 100), "modified": _ts(modified),
        })
        return _Table("product_2", data, {
            "id": _ids("product_2", "n"), "name": "name", "family": "family", "is_active": "active",
            "unit_cost_c": "cost", "is_deleted": "false", "last_modified_date": "modified",
        })

    def task() -> _Table:
        t = later["acts"].task
        what = np.where(t["what_kind"] == 2, account_ref(np.where(t["what_kind"] == 2, t["what"], -1)), t["what"] + 1)
        data = pa.table({
            "n": np.arange(1, len(t["ts"]) + 1), "owner": ref("user", t["owner"] + 1),
            "who_kind": t["who_kind"], "who": np.where(t["who_kind"] == 1, t["who"] + 1, t["who"]),
            "what": what_ref(t["what_kind"], what), "account": ref("account", account_ref(t["account"])),
            "subject": _codes(t["subject"], TASK_SUBJECTS), "type": _codes(t["type"], TASK_TYPES),
            "subtype": _codes(t["subtype"], TASK_SUBTYPES), "status": _codes(t["status"], TASK_STATUSES),
            "day": _date(t["due_day"]), "created": _ts(t["ts"]), "call_type": _codes(t["call_type"], CALL_TYPES),
            "disposition": _codes(t["disposition"], DISPOSITIONS),
            "duration": pa.array(t["duration"], mask=t["duration"] < 0),
            "modified": _ts(np.minimum(t["last_modified"], cal.end_ts - 1)),
        })
        return _Table("task", data, {
            "id": _ids("task", "n"), "owner_id": "cast(owner as varchar)", "who_id": _who_sql(),
            "what_id": "cast(what as varchar)", "account_id": "cast(account as varchar)",
            "subject": "cast(subject as varchar)", "type": "cast(type as varchar)",
            "task_subtype": "cast(subtype as varchar)", "status": "cast(status as varchar)",
            "activity_date": "day", "created_date": "created", "call_type": "cast(call_type as varchar)",
            "call_disposition": "cast(disposition as varchar)", "call_duration_in_seconds": "duration",
            "is_deleted": "false", "last_modified_date": "modified",
        })

    def event() -> _Table:
        e = later["acts"].event
        what = np.where(e["what_kind"] == 2, account_ref(np.where(e["what_kind"] == 2, e["what"], -1)), e["what"] + 1)
        data = pa.table({
            "n": np.arange(1, len(e["start"]) + 1), "owner": ref("user", e["owner"] + 1),
            "who_kind": e["who_kind"].astype(np.int8), "who": e["who"],
            "what": what_ref(e["what_kind"], what), "account": ref("account", account_ref(e["account"])),
            "subject": _codes(e["subject"], EVENT_SUBJECTS), "type": _codes(e["type"], EVENT_TYPES),
            "start": _ts(e["start"]), "end": _ts(e["start"] + e["minutes"] * 60),
            "minutes": e["minutes"].astype(np.int32), "created": _ts(e["created"]),
            "modified": _ts(e["last_modified"]),
        })
        return _Table("event", data, {
            "id": _ids("event", "n"), "owner_id": "cast(owner as varchar)", "who_id": _who_sql(),
            "what_id": "cast(what as varchar)", "account_id": "cast(account as varchar)",
            "subject": "cast(subject as varchar)", "type": "cast(type as varchar)",
            "start_date_time": "start", "end_date_time": "\"end\"", "duration_in_minutes": "minutes",
            "created_date": "created", "is_deleted": "false", "last_modified_date": "modified",
        })

    def lead() -> _Table:
        converted = leads.converted_deal >= 0
        conversion = np.where(converted, deals.created[np.maximum(leads.converted_deal, 0)], -1)
        data = pa.table({
            "n": np.arange(1, len(leads.created) + 1), "owner": ref("user", leads.owner + 1),
            "status": _codes(leads.status, LEAD_STATUSES), "source": _codes(leads.source, LEAD_SOURCES),
            "created": _ts(leads.created), "converted": converted,
            "converted_day": _date(np.where(converted, conversion // DAY, np.iinfo(np.int64).min)),
            "opp": ref("opportunity", leads.converted_deal + 1),
            "account": ref("account", account_ref(leads.account)),
            "modified": _ts(leads.last_modified),
        })
        return _Table("lead", data, meta={"quiet": leads.status == 0}, columns={
            "id": _ids("lead", "n"), "owner_id": "cast(owner as varchar)", "status": "cast(status as varchar)",
            "lead_source": "cast(source as varchar)", "created_date": "created", "is_converted": "converted",
            "converted_date": "converted_day", "converted_opportunity_id": "cast(opp as varchar)",
            "converted_account_id": "cast(account as varchar)", "is_deleted": "false",
            "last_modified_date": "modified",
        })

    def quota() -> _Table:
        quotas = later["quotas"]
        data = pa.table({
            "n": np.arange(1, len(quotas["owner"]) + 1), "owner": ref("user", quotas["owner"] + 1),
            "scope": _codes(quotas["scope"], SCOPES), "period": _codes(quotas["period"], PERIOD_TYPES),
            "start": _date(quotas["start"]), "type": _codes(quotas["type"], QUOTA_TYPES),
            "target": _money(quotas["value"]), "modified": _ts(quotas["last_modified"]),
        })
        return _Table("quota", data, {
            "id": _ids("quota", "n"), "owner_id": "cast(owner as varchar)", "scope": "cast(scope as varchar)",
            "period_type": "cast(period as varchar)", "period_start": "start",
            "quota_type": "cast(type as varchar)", "target_value": "target", "method": "'top_down'",
            "is_deleted": "false", "last_modified_date": "modified",
        })

    def rep_cost() -> _Table:
        costs = later["costs"]
        data = pa.table({"user": ref("user", costs["user"] + 1), "month": _date(costs["month_day"]),
                         "cost": _money(costs["cents"])})
        return _Table("rep_cost", data, {
            "user_id": "cast(\"user\" as varchar)", "month_start": "month", "loaded_cost": "cost"})

    builders = [user, user_role, product_2, account, opportunity, opportunity_history, opportunity_line_item,
                lead, task, event, quota, rep_cost]
    return {b.__name__: b for b in builders}


def _who_sql() -> str:
    return (f"case who_kind when 1 then {_ids('lead', 'who')} when 2 then {_ids('contact', 'who')} end")


# --------------------------------------------------------------------------- writing


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class _Writer:
    """Writes the tables into DuckDB, typed (clean) or as landed text with faults (dirty).

    A clean load is written by one background thread on its own cursor while the main
    thread generates the next tables: DuckDB and numpy both release the GIL, so on two
    cores the writing of the deal tables overlaps the generation of activities. Tables
    are written one at a time in submission order, so the result does not depend on
    timing. A dirty load is written in place, in order, on the caller's connection.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: str, config: DemoConfig,
                 rng: np.random.Generator, say: Callable[[str], None]):
        self.schema = schema
        self.config = config
        self.say = say
        self.counts: dict[str, int] = {}
        # The nightly load right after the data cut-off; a dirty load also has rows from
        # the night before and from a second run later the same night.
        self.main_load = dt.datetime(config.end_date.year, config.end_date.month, config.end_date.day, 1)
        self.earlier_load = self.main_load - dt.timedelta(days=1)
        self.later_load = self.main_load + dt.timedelta(hours=1)
        self.executor = None if config.dirty else ThreadPoolExecutor(1, thread_name_prefix="salesperf-demo-writer")
        self.con = con if config.dirty else con.cursor()
        self.injector = _FaultInjector(self, rng) if config.dirty else None
        self.pending: list[Future] = []
        con.execute(f"create schema if not exists {_quote(schema)}")

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.con.close()

    def name(self, table: str) -> str:
        return f"{_quote(self.schema)}.{_quote(table)}"

    def submit(self, build: Callable[[], _Table]) -> None:
        if self.executor is None:
            self.write(build)
        else:
            self.pending.append(self.executor.submit(self.write, build))

    def write(self, build: Callable[[], _Table]) -> None:
        table = build()
        assert list(table.columns) == list(RAW_TABLES_BY_NAME[table.name].columns), table.name
        if self.injector is None:
            self.write_clean(table)
        else:
            self.injector.write(table)
        self.counts[table.name] = self.scalar(f"select count(*) from {self.name(table.name)}")
        self.say(f"{table.name}: {self.counts[table.name]:,} rows")

    def finish(self) -> dict[str, int]:
        """Wait for every table, then write the fault manifest (empty for a clean load)."""
        for future in self.pending:
            future.result()
        manifest = self.injector.manifest() if self.injector else _empty_manifest()
        self.replace(MANIFEST_TABLE, manifest, "select * from _demo_src")
        self.counts[MANIFEST_TABLE] = manifest.num_rows
        if manifest.num_rows:
            self.say(f"{MANIFEST_TABLE}: {manifest.num_rows:,} faulty rows listed")
        assert set(self.counts) == {t.name for t in RAW_TABLES} | {MANIFEST_TABLE}
        return self.counts

    def scalar(self, sql: str) -> int:
        return self.con.execute(sql).fetchall()[0][0]

    def replace(self, table: str, data: pa.Table, select: str) -> None:
        self.con.register("_demo_src", data)
        try:
            self.con.execute(f"create or replace table {self.name(table)} as {select}")
        finally:
            self.con.unregister("_demo_src")

    def select(self, table: _Table, as_text: bool) -> str:
        """The contract columns in contract order, then the load metadata."""
        parts = [f"cast({expr} as varchar)" if as_text else expr for expr in table.columns.values()]
        columns = ", ".join(f"{p} as {_quote(c)}" for p, c in zip(parts, table.columns, strict=True))
        return columns

    def write_clean(self, table: _Table) -> None:
        data = table.data.append_column("_row", pa.array(np.arange(1, table.data.num_rows + 1)))
        self.replace(table.name, data,
                     f"select {self.select(table, False)}, timestamp '{self.main_load}'"
                     f" as {_quote(LOADED_AT_COLUMN)}, _row as {_quote(SOURCE_ROW_COLUMN)} from _demo_src")


def _empty_manifest() -> pa.Table:
    return pa.table({"table_name": pa.array([], pa.string()), "source_row": pa.array([], pa.int64()),
                     "record_id": pa.array([], pa.string()), "fault": pa.array([], pa.string()),
                     "detail": pa.array([], pa.string())})


# --------------------------------------------------------------------------- dirty loads

BOOLEAN_COLUMNS = ("is_active", "is_deleted", "is_closed", "is_won", "is_converted")
TRUE_SPELLINGS = ("TRUE", "1", "t", "yes")
FALSE_SPELLINGS = ("FALSE", "0", "f", "no")
# Nullable text columns where a load may write '' instead of null.
NULLABLE_TEXT = {
    "user": ("division", "manager_id"), "user_role": ("parent_role_id",),
    "account": ("industry", "account_source"), "opportunity": ("lead_source",),
    "task": ("who_id", "what_id", "account_id", "type", "call_type", "call_disposition"),
    "event": ("who_id",), "lead": ("converted_opportunity_id", "converted_account_id"),
}
AMOUNT_COLUMNS = {"opportunity": "amount", "opportunity_history": "amount",
                  "opportunity_line_item": "total_price"}
# How an older or conflicting version of a record differs from the current one.
STALE_CHANGES = {
    "user": {"email": "replace(t.email, '@example.com', '@old.example.com')", "is_active": "'true'"},
    "account": {"type": "'Prospect'", "annual_revenue": "cast(cast(round(cast(t.annual_revenue as double) * 0.9, -3)"
                                                        " as decimal(18, 2)) as varchar)"},
    "opportunity": {
        "stage_name": "case when t.stage_name = 'Prospecting' then 'Qualification' else 'Prospecting' end",
        "probability": "'10.0'", "forecast_category": "'Pipeline'", "is_closed": "'false'", "is_won": "'false'",
        "amount": "cast(cast(round(cast(t.amount as decimal(18, 2)) * 0.9, 0) as decimal(18, 2)) as varchar)"},
    "opportunity_line_item": {
        "quantity": "cast(cast(t.quantity as decimal(18, 2)) + 1 as varchar)",
        "total_price": "cast(cast((cast(t.quantity as decimal(18, 2)) + 1) * cast(t.unit_price as decimal(18, 2))"
                       " as decimal(18, 2)) as varchar)"},
    "product_2": {"unit_cost_c": "cast(cast(round(cast(t.unit_cost_c as decimal(18, 2)) * 0.95, 2)"
                                 " as decimal(18, 2)) as varchar)"},
    "task": {"status": "case when t.status = 'Completed' then 'Not Started' else 'Completed' end"},
    "event": {"subject": "t.subject || ' (tentative)'"},
    "lead": {"status": "case when t.status = 'Open - Not Contacted' then 'Working - Contacted'"
                       " else 'Open - Not Contacted' end",
             "is_converted": "'false'", "converted_date": "null", "converted_opportunity_id": "null",
             "converted_account_id": "null"},
    "quota": {"target_value": "cast(cast(round(cast(t.target_value as decimal(18, 2)) * 0.9 + 1, 0)"
                              " as decimal(18, 2)) as varchar)"},
}
STAGE_FORMATS = ("lower(t.stage_name)", "upper(t.stage_name) || ' '", "'  ' || t.stage_name",
                 "case when contains(t.stage_name, ' ') then replace(t.stage_name, ' ', '  ')"
                 " else t.stage_name || ' ' end")
QUARANTINE_FAULTS = ("missing_id", "unknown_stage", "non_numeric_amount", "negative_amount",
                     "orphan_history", "orphan_line_item", "activity_no_owner", "unknown_period_type")


def _text_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


@dataclass
class _Op:
    """One fault applied to a set of rows: in place, or as extra rows copied from them."""

    fault: str
    rows: np.ndarray  # original row numbers (0-based, in load order)
    sets: dict[str, str]  # column -> SQL over the row (t.*) and per-row parameters (x.*)
    detail: str  # may name {winner} (source_row that must win) and {record} (the record id)
    params: dict[str, np.ndarray] = field(default_factory=dict)
    placement: str | None = None  # None: in place; earlier / before / after / later: extra row
    winner: bool = False  # the original row wins over the extra one
    own_id: bool = False  # the extra row has a new id of its own (else: the original's id)


class _FaultInjector:
    """Lands each table as text and injects the faults of a real load, listing them.

    Rows are addressed by a position key while faults are applied: the original rows at
    10 k + 5, extra rows just before (+4) or after (+6) the row they copy, or in an
    earlier (negative) or later (beyond the end) load. `_source_row` is the rank of that
    key, so every listed row can be found by its source_row after the table is written.
    Each original row takes part in at most one fault, so the faults never mask each other.
    """

    def __init__(self, writer: _Writer, rng: np.random.Generator):
        self.writer = writer
        self.con = writer.con
        self.rng = rng
        self.rate = writer.config.dirty_rate
        self.manifest_parts: list[pa.Table] = []
        self.faulted_opportunities: dict[str, np.ndarray] = {}  # parent fault -> opportunity numbers
        self.n_opportunities = 0

    # ---- counts and choices

    def count(self, n: int, fault: str, n_quarantine: int) -> int:
        """Rows to hit: the rate, at least one; for a fault that makes rows unusable, at
        least one only where the table is large enough to keep those under 1 %."""
        if fault not in QUARANTINE_FAULTS:
            return max(1, round(self.rate * n))
        floor = int(self.rate * n)
        return floor if floor >= 1 else int(n * 0.01 > n_quarantine)

    def choose(self, candidates: np.ndarray, k: int, used: np.ndarray) -> np.ndarray:
        free = candidates[~used[candidates]]
        if k <= 0 or not len(free):
            return np.zeros(0, dtype=np.int64)
        rows = np.sort(self.rng.choice(free, min(k, len(free)), replace=False))
        used[rows] = True
        return rows

    def where(self, condition: str) -> np.ndarray:
        """Original rows of the landing table meeting a SQL condition."""
        rows = self.con.execute(f"select (_pos - 5) // 10 from _demo_w where _pos % 10 = 5 and ({condition})"
                                " order by _pos").fetchnumpy()
        return next(iter(rows.values())).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)

    # ---- writing one table

    def write(self, table: _Table) -> None:
        n = table.data.num_rows
        columns = list(table.columns)
        data = table.data.append_column("_pos", pa.array(np.arange(n, dtype=np.int64) * 10 + 5))
        select = self.writer.select(table, True)
        self.con.register("_demo_src", data)
        try:
            self.con.execute(f"create or replace temp table _demo_w as select {select}, timestamp"
                             f" '{self.writer.main_load}' as {_quote(LOADED_AT_COLUMN)}, _pos from _demo_src")
        finally:
            self.con.unregister("_demo_src")
        ops = self.plan(table, n)
        self.apply(ops, columns, n)
        manifest = self.manifest_rows(table.name, ops, n)
        record = "user_id || '/' || month_start" if table.name == "rep_cost" else "id"
        self.con.register("_demo_m", manifest)
        try:
            self.manifest_parts.append(self.con.sql(f"""
                with numbered as (
                    select _pos, row_number() over (order by _pos) as sr, {record} as rid from _demo_w
                )
                select '{table.name}' as table_name, a.sr as source_row, r.rid as record_id, m.fault,
                    replace(replace(m.detail, '{{winner}}', coalesce(cast(w.sr as varchar), '')),
                            '{{record}}', coalesce(r.rid, '')) as detail
                from _demo_m as m
                join numbered as a on a._pos = m.pos
                join numbered as r on r._pos = m.record_pos
                left join numbered as w on w._pos = m.winner_pos
                order by a.sr, m.fault
            """).to_arrow_table())
        finally:
            self.con.unregister("_demo_m")
        names = ", ".join(_quote(c) for c in columns)
        self.con.execute(
            f"create or replace table {self.writer.name(table.name)} as select {names}, {_quote(LOADED_AT_COLUMN)},"
            f" row_number() over (order by _pos) as {_quote(SOURCE_ROW_COLUMN)} from _demo_w order by _pos")
        self.con.execute("drop table _demo_w")
        if table.name == "opportunity":
            self.n_opportunities = n

    def positions(self, ops: list[_Op], n: int) -> list[np.ndarray]:
        """The position key of each op's rows (see the class docstring)."""
        earlier = sum(len(op.rows) for op in ops if op.placement == "earlier")
        next_earlier, next_later = -earlier, 10 * n + 10
        out = []
        for op in ops:
            base = op.rows * 10
            if op.placement == "earlier":
                out.append(np.arange(next_earlier, next_earlier + len(op.rows)))
                next_earlier += len(op.rows)
            elif op.placement == "later":
                out.append(np.arange(next_later, next_later + len(op.rows)))
                next_later += len(op.rows)
            else:
                out.append(base + {None: 5, "before": 4, "after": 6}[op.placement])
        return out

    def apply(self, ops: list[_Op], columns: list[str], n: int) -> None:
        loads = {"earlier": self.writer.earlier_load, "later": self.writer.later_load}
        for op, pos in zip(ops, self.positions(ops, n), strict=True):
            if not len(op.rows):
                continue
            x = pa.table({"pos": op.rows * 10 + 5, "new_pos": pos, **op.params})
            self.con.register("_demo_x", x)
            try:
                if op.placement is None:
                    sets = ", ".join(f"{_quote(c)} = {e}" for c, e in op.sets.items())
                    self.con.execute(f"update _demo_w as t set {sets} from _demo_x as x where t._pos = x.pos")
                else:
                    values = ", ".join(op.sets.get(c, f"t.{_quote(c)}") for c in columns)
                    loaded = (f"timestamp '{loads[op.placement]}'" if op.placement in loads
                              else f"t.{_quote(LOADED_AT_COLUMN)}")
                    self.con.execute(f"insert into _demo_w select {values}, {loaded}, x.new_pos"
                                     " from _demo_w as t join _demo_x as x on t._pos = x.pos")
            finally:
                self.con.unregister("_demo_x")

    def manifest_rows(self, name: str, ops: list[_Op], n: int) -> pa.Table:
        parts = []
        for op, pos in zip(ops, self.positions(ops, n), strict=True):
            original = op.rows * 10 + 5
            parts.append(pa.table({
                "pos": pos, "fault": pa.array([op.fault] * len(pos), pa.string()),
                "detail": pa.array([op.detail] * len(pos), pa.string()),
                "record_pos": pos if (op.own_id or op.placement is None) else original,
                "winner_pos": original if op.winner else np.full(len(pos), -1),
            }))
        parts.append(self.parent_rows(name))
        return pa.concat_tables(parts) if parts else _empty_positions()

    def parent_rows(self, name: str) -> pa.Table:
        """History and line items of deleted or quarantined deals: still live themselves,
        they must be taken out through their parent."""
        if name not in ("opportunity_history", "opportunity_line_item") or not self.faulted_opportunities:
            return _empty_positions()
        parts = []
        for fault, numbers in self.faulted_opportunities.items():
            if not len(numbers):
                continue
            self.con.register("_demo_p", pa.table({"n": numbers}))
            try:
                pos = self.con.execute(f"select _pos from _demo_w where opportunity_id in"
                                       f" (select {_ids('opportunity', 'n')} from _demo_p) order by _pos"
                                       ).fetchnumpy()["_pos"].astype(np.int64)
            finally:
                self.con.unregister("_demo_p")
            reason = "deleted" if fault == "parent_deleted" else "quarantined"
            parts.append(pa.table({
                "pos": pos, "fault": pa.array([fault] * len(pos), pa.string()),
                "detail": pa.array([f"its opportunity is {reason}"] * len(pos), pa.string()),
                "record_pos": pos, "winner_pos": np.full(len(pos), -1)}))
        return pa.concat_tables(parts) if parts else _empty_positions()

    def manifest(self) -> pa.Table:
        if not self.manifest_parts:
            return _empty_manifest()
        return pa.concat_tables([p.cast(_empty_manifest().schema) for p in self.manifest_parts])

    # ---- which faults hit which rows

    def plan(self, table: _Table, n: int) -> list[_Op]:
        name, columns, meta = table.name, table.columns, table.meta
        rng = self.rng
        used = np.zeros(n, dtype=bool)
        everything = np.arange(n)
        quarantine = {"opportunity": 4, "opportunity_history": 3, "opportunity_line_item": 2,
                      "task": 2, "event": 2, "quota": 2}.get(name, 1)
        ops: list[_Op] = []

        def k(fault: str) -> int:
            return self.count(n, fault, quarantine)

        def new_ids(rows: np.ndarray) -> dict[str, np.ndarray]:
            start = n + 1 + sum(len(op.rows) for op in ops if op.own_id)
            return {"new_n": np.arange(start, start + len(rows))}

        id_column = "user_id" if name == "rep_cost" else "id"
        new_id = {"id": _ids(name, "x.new_n")} if name in ID_PREFIXES else {}

        # Opportunity faults that take the record out hit deals no live activity points
        # at (duplicates entered by mistake), so that only their history and line items
        # depend on them.
        if name == "opportunity":
            pool = np.flatnonzero(meta["quiet"])
            rest = np.flatnonzero(meta["not_won"])

            def pick(fault: str) -> np.ndarray:
                rows = self.choose(pool, k(fault), used)
                return np.sort(np.concatenate([rows, self.choose(rest, k(fault) - len(rows), used)]))

            deleted = pick("soft_deleted")
            picks = {fault: pick(fault) for fault in ("unknown_stage", "non_numeric_amount", "negative_amount")}
            ops.append(_Op("soft_deleted", deleted, {"is_deleted": "'true'"}, "deleted in the CRM"))
            ops.append(_Op("unknown_stage", picks["unknown_stage"],
                           {"stage_name": "x.stage"}, "stage not in the catalogue",
                           {"stage": rng.choice(["Discovery", "Closed - Duplicate"], len(picks["unknown_stage"]))}))
            ops.append(_Op("non_numeric_amount", picks["non_numeric_amount"], {"amount": "x.amount"},
                           "amount is not a number",
                           {"amount": rng.choice(["TBD", "n/a", "$1,2OO"], len(picks["non_numeric_amount"]))}))
            ops.append(_Op("negative_amount", picks["negative_amount"], {"amount": "'-' || t.amount"},
                           "amount is negative"))
            self.faulted_opportunities = {
                "parent_deleted": deleted + 1,
                "parent_quarantined": np.concatenate([picks[f] for f in picks]) + 1}
        elif name in ("account", "lead"):
            ops.append(_Op("soft_deleted", self.choose(np.flatnonzero(meta["quiet"]), k("soft_deleted"), used),
                           {"is_deleted": "'true'"}, "deleted in the CRM"))
        elif name in ("task", "event"):
            ops.append(_Op("soft_deleted", self.choose(everything, k("soft_deleted"), used),
                           {"is_deleted": "'true'"}, "deleted in the CRM"))
            rows = self.choose(everything, k("activity_no_owner"), used)
            ops.append(_Op("activity_no_owner", rows, {"owner_id": "x.owner"}, "owner_id missing",
                           {"owner": pa.array(np.where(rng.random(len(rows)) < 0.5, "", None), pa.string())}))
        elif name in ("quota", "product_2", "opportunity_line_item"):
            # Deleted records that never counted: a quota entered twice, a product created by
            # mistake, a product taken off a deal.
            rows = self.choose(everything, k("soft_deleted"), used)
            change = {"quota": {"target_value": STALE_CHANGES["quota"]["target_value"]},
                      "product_2": {"name": "t.name || ' (duplicate)'"}}.get(name, {})
            ops.append(_Op("soft_deleted", rows, {**new_id, "is_deleted": "'true'", **change},
                           "deleted record, loaded with its deletion flag", new_ids(rows), "after", own_id=True))

        if name in STALE_CHANGES:
            has_created = "created_date" in columns
            stale_rows = self.where("cast(last_modified_date as timestamp) >= cast(created_date as timestamp)"
                                    " + interval 2 minute") if has_created else everything
            stale_rows = self.choose(stale_rows, k("duplicate_stale"), used)
            if has_created:
                lmd = ("strftime(cast(t.created_date as timestamp) + to_seconds(cast((epoch(cast(t.last_modified_date"
                       " as timestamp)) - epoch(cast(t.created_date as timestamp))) * x.frac as bigint)),"
                       " '%Y-%m-%d %H:%M:%S')")
            else:
                lmd = ("strftime(cast(t.last_modified_date as timestamp) - to_seconds(cast(x.frac * 2592000 + 3600"
                       " as bigint)), '%Y-%m-%d %H:%M:%S')")
            ops.append(_Op("duplicate_stale", stale_rows, {**STALE_CHANGES[name], "last_modified_date": lmd},
                           "older version (earlier last_modified_date) loaded after the current one;"
                           " source_row {winner} must win",
                           {"frac": rng.uniform(0.05, 0.95, len(stale_rows))}, "later", winner=True))
            earlier = self.where(f"last_modified_date < '{self.writer.earlier_load}'")
            tie = self.choose(earlier, (k("duplicate_tie") + 1) // 2, used)
            ops.append(_Op("duplicate_tie", tie, STALE_CHANGES[name],
                           "same last_modified_date as source_row {winner}, which was loaded later and must win",
                           placement="earlier", winner=True))
            tie = self.choose(everything, k("duplicate_tie") // 2, used)
            ops.append(_Op("duplicate_tie", tie, STALE_CHANGES[name],
                           "same last_modified_date and load as source_row {winner}, which comes later in the"
                           " load and must win", placement="before", winner=True))

        booleans = [c for c in columns if c in BOOLEAN_COLUMNS]
        if booleans:
            rows = self.choose(everything, k("boolean_text"), used)
            params = {}
            sets = {}
            for i, c in enumerate(booleans):
                params[f"t{i}"] = rng.integers(1, 5, len(rows))
                params[f"f{i}"] = rng.integers(1, 5, len(rows))
                sets[c] = (f"case when t.{_quote(c)} = 'true' then {_text_list(TRUE_SPELLINGS)}[x.t{i}]"
                           f" else {_text_list(FALSE_SPELLINGS)}[x.f{i}] end")
            ops.append(_Op("boolean_text", rows, sets, "booleans spelled other than true/false", params))

        if name in NULLABLE_TEXT:
            nullable = NULLABLE_TEXT[name]
            rows = self.where(" or ".join(f"{_quote(c)} is null" for c in nullable))
            rows = self.choose(rows, k("empty_string"), used)
            ops.append(_Op("empty_string", rows, {c: f"coalesce(t.{_quote(c)}, '')" for c in nullable},
                           "empty string written for null"))

        if name in ("opportunity", "opportunity_history"):
            rows = self.choose(everything, k("stage_name_format"), used)
            ops.append(_Op("stage_name_format", rows,
                           {"stage_name": f"[{', '.join(STAGE_FORMATS)}][x.v]"},
                           "stage name with stray spaces or other case", {"v": rng.integers(1, 5, len(rows))}))

        if name in AMOUNT_COLUMNS:
            c = AMOUNT_COLUMNS[name]
            rows = self.choose(everything, k("amount_as_text"), used)
            cents = f"cast(replace(t.{c}, '.', '') as bigint)"
            digits = f"cast({cents} as varchar)"
            mantissa = f"regexp_replace({digits}, '0+$', '')"
            scientific = (f"left({mantissa}, 1) || case when length({mantissa}) > 1 then '.' || substr({mantissa}, 2)"
                          f" else '' end || 'e' || cast(length({digits}) - 3 as varchar)")
            padded = f"' ' || case when t.{c} like '%.00' then left(t.{c}, length(t.{c}) - 3) else t.{c} end || ' '"
            ops.append(_Op("amount_as_text", rows, {c: f"[{padded}, {scientific}, t.{c} || '0'][x.v]"},
                           "amount written as formatted text (still numeric)", {"v": rng.integers(1, 4, len(rows))}))

        if name == "opportunity_history":
            rows = self.choose(np.flatnonzero(meta["tie_ok"]), k("history_timestamp_tie"), used)
            ops.append(_Op("history_timestamp_tie", rows, new_id,
                           "logged at the same instant as the previous row of its opportunity",
                           new_ids(rows), "after", own_id=True))
            rows = self.choose(everything, k("unknown_stage"), used)
            ops.append(_Op("unknown_stage", rows, {**new_id, "stage_name": "x.stage"},
                           "stage not in the catalogue",
                           {**new_ids(rows), "stage": rng.choice(["Discovery", "Closed - Duplicate"], len(rows))},
                           "after", own_id=True))

        if name in ("opportunity_history", "opportunity_line_item"):
            fault = "orphan_history" if name == "opportunity_history" else "orphan_line_item"
            rows = self.choose(everything, k(fault), used)
            params = {**new_ids(rows), "orphan": self.n_opportunities + 1000 + np.arange(len(rows))}
            ops.append(_Op(fault, rows, {**new_id, "opportunity_id": _ids("opportunity", "x.orphan")},
                           "opportunity_id names no opportunity", params, "after", own_id=True))

        if name == "quota":
            rows = self.choose(everything, k("unknown_period_type"), used)
            ops.append(_Op("unknown_period_type", rows, {**new_id, "period_type": "x.period"},
                           "period_type not month, quarter or year",
                           {**new_ids(rows), "period": rng.choice(["week", "semester"], len(rows))},
                           "after", own_id=True))

        rows = self.choose(everything, k("missing_id"), used)
        ops.append(_Op("missing_id", rows, {id_column: "x.blank"},
                       f"{id_column} missing; the row repeats record {{record}}",
                       {"blank": pa.array(np.where(rng.random(len(rows)) < 0.5, "", None), pa.string())}, "after"))
        return [op for op in ops if len(op.rows)]


def _empty_positions() -> pa.Table:
    return pa.table({"pos": pa.array([], pa.int64()), "fault": pa.array([], pa.string()),
                     "detail": pa.array([], pa.string()), "record_pos": pa.array([], pa.int64()),
                     "winner_pos": pa.array([], pa.int64())})
