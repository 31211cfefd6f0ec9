"""When a demo run's rows are loaded: the timestamps its landed rows carry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Loads:
    """The nightly load right after the data cut-off; a dirty load also has rows from
    the night before and from a second run later the same night."""

    main: dt.datetime
    earlier: dt.datetime
    later: dt.datetime

    @classmethod
    def after(cls, end_date: dt.date) -> Loads:
        main = dt.datetime(end_date.year, end_date.month, end_date.day, 1)
        return cls(main, main - dt.timedelta(days=1), main + dt.timedelta(hours=1))
