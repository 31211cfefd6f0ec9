"""The calendar of the history: its window, months and working days, each region's UTC
offsets (daylight-saving rules computed here, not read from tzdata), and placing times
inside local office hours."""

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


@dataclass(frozen=True)
class Calendar:
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


def build_calendar(config: DemoConfig) -> Calendar:
    """The history window, its months and working days, and each region's UTC offsets."""
    end_month = dt.date(config.end_date.year, config.end_date.month, 1)
    start = add_months(end_month, -config.months)
    n_months = config.months + (config.end_date != end_month)
    month_days = np.array([day_number(add_months(start, i)) for i in range(n_months + 1)])
    start_day, end_day = day_number(start), day_number(config.end_date)
    days = np.arange(start_day, end_day)
    working = days[weekday_of(days) < 5]
    working_cum = np.concatenate([[0], np.cumsum(weekday_of(days) < 5)])
    base_day = start_day - 8 * 366
    offsets = _utc_offsets(base_day, end_day + 3 * 366)
    return Calendar(start_day, end_day, month_days, base_day, offsets, working, working_cum,
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
    return day_number(first) + (6 - first.weekday()) % 7 + 7 * (n - 1)


def _last_sunday(year: int, month: int) -> int:
    last = add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)
    return day_number(last) - (last.weekday() - 6) % 7


def next_working_day(day: np.ndarray) -> np.ndarray:
    weekday = weekday_of(day)
    return day + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))


def business_ts(cal: Calendar, day: np.ndarray, region: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """A time on `day` inside local office hours (8:00-18:00), in UTC seconds."""
    seconds = 8 * HOUR + (rng.random(len(day)) * 10 * HOUR).astype(np.int64)
    return day * DAY + seconds - cal.offset(region, day)


def snap(cal: Calendar, ts: np.ndarray, region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Move a time to the next local office hour: evenings, nights and weekends roll over
    to the next working morning, so that people appear to work their own hours."""
    offset = cal.offset(region, ts // DAY)
    local = ts + offset
    day, second = local // DAY, local % DAY
    weekend = weekday_of(day) >= 5
    late = second >= 18 * HOUR
    early = second < 8 * HOUR
    morning = 8 * HOUR + (rng.random(len(ts)) * 2 * HOUR).astype(np.int64)
    new_day = np.where(weekend | late, next_working_day(day + late), day)
    new_second = np.where(weekend | late | early, morning, second)
    return new_day * DAY + new_second - cal.offset(region, new_day)


def snap_before(cal: Calendar, ts: np.ndarray, limit: np.ndarray, region: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """`snap`, unless that would carry the time past `limit` (a close, a conversion):
    then the time stays where it was, outside office hours for once."""
    snapped = snap(cal, ts, region, rng)
    return np.where(snapped < limit, snapped, ts)
