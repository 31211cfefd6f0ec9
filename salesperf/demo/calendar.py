"""The calendar of the history: its window (with the months before it in which the
pipeline it opens with was built), months, working days and fiscal quarters, each
region's UTC offsets (daylight-saving rules computed here, not read from tzdata), and
the office-hours clock that places every timed event inside someone's working week."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from salesperf.demo.config import DemoConfig
from salesperf.demo.constants import DAY, EPOCH, HOUR, REGIONS

# Deal flow bunches at the end of fiscal quarters: the weight of each month of a quarter.
QUARTER_SEASON = np.array([0.92, 1.0, 1.12])
# Standard UTC offset and daylight-saving rule of each region's main office.
REGION_TZ = ((-5 * HOUR, "us"), (1 * HOUR, "eu"), (-8 * HOUR, "us"), (8 * HOUR, None))
# Months before the history in which the deals open at its start were created.
WARM_MONTHS = 9
# Office hours, local: from 8:00, ten hours Monday to Thursday, eight on Friday, none at
# weekends. The office-hours clock counts only these seconds.
OPEN = 8 * HOUR
DAY_HOURS = np.array([10, 10, 10, 10, 8, 0, 0]) * HOUR
WEEK_BEFORE = np.concatenate([[0], np.cumsum(DAY_HOURS)[:-1]])  # office seconds of the week before each day
WEEK = int(DAY_HOURS.sum())
OFFICE_PER_DAY = WEEK / 7  # office seconds per calendar day, on average


@dataclass(frozen=True)
class Calendar:
    start_day: int  # first day of history (days since 1970-01-01)
    end_day: int  # end_date: nothing happens on or after its 00:00 UTC
    month_days: np.ndarray  # first day of each history month, plus the next boundary
    warm_month_days: np.ndarray  # first day of each month before the history, plus start_day
    base_day: int  # first day covered by `offsets` and `month_starts`
    offsets: np.ndarray  # UTC offset in seconds, per region and day
    month_starts: np.ndarray  # first day of every month from base_day's on
    base_month_index: int  # year * 12 + month - 1 of base_day's month
    first_month_index: int  # year * 12 + month - 1 of the first history month
    fiscal_year_start_month: int

    @property
    def start_ts(self) -> int:
        return self.start_day * DAY

    @property
    def end_ts(self) -> int:
        return self.end_day * DAY

    @property
    def warm_ts(self) -> int:
        return int(self.warm_month_days[0]) * DAY

    @property
    def n_months(self) -> int:
        return len(self.month_days) - 1

    def working_between(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Working days (Monday to Friday) in [lo, hi)."""
        return np.maximum(_working_before(hi) - _working_before(lo), 0)

    def offset(self, region: np.ndarray, day: np.ndarray) -> np.ndarray:
        index = np.clip(day - self.base_day, 0, self.offsets.shape[1] - 1)
        return self.offsets[region, index]

    def month_end(self, day: np.ndarray) -> np.ndarray:
        """First day of the month after the one `day` is in."""
        return self.month_starts[np.searchsorted(self.month_starts, day, side="right")]

    def quarter_end_month(self, day: np.ndarray) -> np.ndarray:
        """Whether `day` is in the last month of a fiscal quarter."""
        index = np.searchsorted(self.month_starts, day, side="right") - 1
        month = (self.base_month_index + index) % 12 + 1
        return (month - self.fiscal_year_start_month) % 3 == 2


def day_number(date: dt.date) -> int:
    return (date - EPOCH).days


def add_months(date: dt.date, months: int) -> dt.date:
    index = date.year * 12 + date.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def quarter_season(calendar_month: np.ndarray, fiscal_year_start_month: int) -> np.ndarray:
    """The seasonal weight of a calendar month (1-12) by its place in its fiscal quarter."""
    return QUARTER_SEASON[(calendar_month - fiscal_year_start_month) % 3]


def weekday_of(day: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)."""
    return (day + 3) % 7


def _working_before(day: np.ndarray) -> np.ndarray:
    """Working days from Monday 1969-12-29 up to (not including) `day`."""
    since_monday = np.asarray(day) + 3
    return since_monday // 7 * 5 + np.minimum(since_monday % 7, 5)


def build_calendar(config: DemoConfig) -> Calendar:
    """The history window, its months, the warm-start months before it, and each
    region's UTC offsets."""
    end_month = dt.date(config.end_date.year, config.end_date.month, 1)
    start = add_months(end_month, -config.months)
    n_months = config.months + (config.end_date != end_month)
    month_days = np.array([day_number(add_months(start, i)) for i in range(n_months + 1)])
    warm_month_days = np.array([day_number(add_months(start, i)) for i in range(-WARM_MONTHS, 1)])
    start_day, end_day = day_number(start), day_number(config.end_date)
    base = add_months(start, -8 * 12)
    base_day = day_number(base)
    offsets = _utc_offsets(base_day, end_day + 3 * 366)
    month_starts = np.array([day_number(add_months(base, i)) for i in range(12 * 8 + config.months + 12 * 4)])
    return Calendar(start_day, end_day, month_days, warm_month_days, base_day, offsets, month_starts,
                    base.year * 12 + base.month - 1, start.year * 12 + start.month - 1,
                    config.fiscal_year_start_month)


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
    return day_number(first) + (6 - first.weekday()) % 7 + 7 * (n - 1)


def _last_sunday(year: int, month: int) -> int:
    last = add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)
    return day_number(last) - (last.weekday() - 6) % 7


def next_working_day(day: np.ndarray) -> np.ndarray:
    weekday = weekday_of(day)
    return day + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))


def previous_working_day(day: np.ndarray) -> np.ndarray:
    weekday = weekday_of(day)
    return day - np.where(weekday == 5, 1, np.where(weekday == 6, 2, 0))


def business_ts(cal: Calendar, day: np.ndarray, region: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """A time on working day `day` inside local office hours, in UTC seconds."""
    seconds = OPEN + (rng.random(len(day)) * DAY_HOURS[weekday_of(day)]).astype(np.int64)
    return day * DAY + seconds - cal.offset(region, day)


# ---- the office-hours clock: time counted in office seconds only, so that durations
# drawn in days land evenly over the working week instead of piling up on Monday mornings.

def to_office(cal: Calendar, ts: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Office seconds since the first Monday of the epoch up to `ts` in the region's
    local time (a time outside office hours counts as the next opening)."""
    local = ts + cal.offset(region, ts // DAY)
    day = local // DAY
    weekday = weekday_of(day)
    return (day + 3) // 7 * WEEK + WEEK_BEFORE[weekday] + np.clip(local - day * DAY - OPEN, 0, DAY_HOURS[weekday])


def from_office(cal: Calendar, office: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The UTC time at which the region's office clock shows `office` seconds."""
    week, rest = np.divmod(office, WEEK)
    weekday = np.searchsorted(WEEK_BEFORE[1:6], rest, side="right")
    day = week * 7 - 3 + weekday
    return day * DAY + OPEN + rest - WEEK_BEFORE[weekday] - cal.offset(region, day)


def after_office(cal: Calendar, ts: np.ndarray, seconds: np.ndarray, region: np.ndarray) -> np.ndarray:
    """`seconds` of office time after `ts` (before it, if negative)."""
    return from_office(cal, to_office(cal, ts, region) + np.asarray(seconds).astype(np.int64), region)


def advance(cal: Calendar, ts: np.ndarray, days: np.ndarray, region: np.ndarray) -> np.ndarray:
    """`days` calendar days after `ts` (before it, if negative), counted on the office
    clock: a week is still a week, but the time lands inside office hours, evenly over
    the working days."""
    return after_office(cal, ts, np.asarray(days) * OFFICE_PER_DAY, region)


def between(cal: Calendar, lo: np.ndarray, hi: np.ndarray, region: np.ndarray,
            share: np.ndarray) -> np.ndarray:
    """The office time `share` (0 to 1) of the way from `lo` to `hi`, so that uniform
    shares spread evenly over the office hours in between. Where there are none, `lo`."""
    first, last = to_office(cal, lo, region), to_office(cal, hi, region)
    placed = from_office(cal, first + (share * np.maximum(last - first, 0)).astype(np.int64), region)
    return np.where((last > first) & (placed < hi), np.maximum(placed, lo), lo)


def spread(cal: Calendar, lo: np.ndarray, hi: np.ndarray, region: np.ndarray, row: np.ndarray,
           share: np.ndarray) -> np.ndarray:
    """`between` for many times in few windows: time i lies `share[i]` of the way through
    window `row[i]`. Windows must hold some office hours."""
    first = to_office(cal, lo, region)
    length = to_office(cal, hi, region) - first
    return from_office(cal, first[row] + (share * length[row]).astype(np.int64), region[row])
