"""What to generate (`DemoConfig`), what was generated (`GenerationSummary`), and the
independent random stream each component of the model draws from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np


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
    realism: dict[str, object] = field(default_factory=dict)  # see realism.realism_figures


def random_stream(config: DemoConfig, stream: int) -> np.random.Generator:
    """One independent random stream per component, so a change in one part of the
    model leaves the draws of every other part (and so their data) unchanged."""
    return np.random.default_rng([config.seed, stream])
