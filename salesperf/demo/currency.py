"""Currencies: the corporate currency (USD), each country's currency, the local price
book of each currency, and the dated exchange rates (one per currency and month,
drifting month by month around a realistic level), as Salesforce advanced currency
management keeps them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from salesperf.demo.accounts import COUNTRIES
from salesperf.demo.calendar import Calendar, day_number

CURRENCIES = ("USD", "EUR", "GBP", "SEK", "CHF", "CAD", "MXN", "AUD", "SGD", "JPY", "INR", "NZD")
USD = 0
# Units of each currency per US dollar: the level rates drift around, and the factor
# the local price books were set with.
LEVEL = np.array([1.0, 0.92, 0.79, 10.5, 0.88, 1.36, 17.2, 1.52, 1.35, 150.0, 83.0, 1.65])
COUNTRY_CURRENCY = {
    "United States": "USD", "Canada": "CAD", "Mexico": "MXN", "United Kingdom": "GBP", "Germany": "EUR",
    "France": "EUR", "Netherlands": "EUR", "Spain": "EUR", "Sweden": "SEK", "Switzerland": "CHF",
    "Australia": "AUD", "Singapore": "SGD", "Japan": "JPY", "India": "INR", "New Zealand": "NZD",
}
CURRENCY_OF_COUNTRY = np.array([CURRENCIES.index(COUNTRY_CURRENCY[c]) for c in COUNTRIES])
# Rates exist from this many months before the first deal, and the last one of each
# currency runs until Salesforce's open end.
RATE_LEAD_MONTHS = 3
OPEN_END_DAY = day_number(dt.date(9999, 12, 31))
# Monthly drift: each month moves a random step, pulled back towards the level.
DRIFT_SD, PULL = 0.018, 0.12


def estimate_step(currency: np.ndarray) -> np.ndarray:
    """A round step for quick amount estimates in each currency, in cents: what $500
    is worth, to one significant figure."""
    value = 500 * LEVEL[currency]
    magnitude = 10 ** np.floor(np.log10(value))
    return (np.round(value / magnitude) * magnitude * 100).astype(np.int64)


@dataclass
class Rates:
    """Units of each currency per US dollar, by month: `rate[currency, month]` is valid
    from `month_days[month]` to the next month's first day (the last month: for ever)."""

    month_days: np.ndarray
    rate: np.ndarray

    def at(self, currency: np.ndarray, day: np.ndarray) -> np.ndarray:
        month = np.clip(np.searchsorted(self.month_days, day, side="right") - 1, 0, len(self.month_days) - 1)
        return self.rate[currency, month]

    def to_usd(self, cents: np.ndarray, currency: np.ndarray, day: np.ndarray) -> np.ndarray:
        return cents / self.at(currency, day)


def build_rates(cal: Calendar, first_day: int, rng: np.random.Generator) -> Rates:
    """One rate per currency and month from a few months before `first_day` (the first
    deal) through end_date's month: a mean-reverting random walk around LEVEL."""
    first = np.searchsorted(cal.month_starts, first_day, side="right") - 1 - RATE_LEAD_MONTHS
    last = np.searchsorted(cal.month_starts, cal.end_day, side="right") - 1
    month_days = cal.month_starts[first: last + 1]
    n = len(month_days)
    deviation = np.empty((len(CURRENCIES), n))
    deviation[:, 0] = rng.normal(0, 0.04, len(CURRENCIES))
    steps = rng.normal(0, DRIFT_SD, (len(CURRENCIES), n))
    for month in range(1, n):
        deviation[:, month] = deviation[:, month - 1] * (1 - PULL) + steps[:, month]
    rate = np.round(LEVEL[:, None] * np.exp(deviation), 6)
    rate[USD] = 1.0
    return Rates(month_days, rate)
