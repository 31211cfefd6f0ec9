"""dim_dates against Python's own calendar, with a fiscal year starting in April."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from salesperf.dbt_build import build
from tests.python.helpers import query


def test_dim_dates_agrees_with_python_for_an_april_fiscal_year(tmp_path: Path) -> None:
    path = tmp_path / "calendar.duckdb"
    summary = build(
        [
            "--select", "holidays", "dim_dates",
            "--vars", "{as_of: '2026-06-01 00:00:00', fiscal_year_start_month: 4, calendar_start_date: '2025-01-01'}",
        ],
        database=path,
        target_path=tmp_path / "target",
    )
    assert summary.success, "\n".join(summary.lines())
    rows = query(
        path,
        "select date_day, week_start, month_start, fiscal_quarter_start, fiscal_year_start,"
        " iso_day_of_week, fiscal_quarter, fiscal_year, is_working_day from marts.dim_dates order by 1",
    )
    holidays = {date(y, 1, 1) for y in (2025, 2026, 2027, 2028)} | {date(y, 12, 25) for y in (2025, 2026, 2027, 2028)}
    day = date(2025, 1, 1)
    for row in rows:
        assert row[0] == day
        months_into_fy = (day.month - 4) % 12
        fy_start = date(day.year if day.month >= 4 else day.year - 1, 4, 1)
        quarter = months_into_fy // 3 + 1
        q_month = (fy_start.month - 1 + (quarter - 1) * 3) % 12 + 1
        q_start = date(fy_start.year + (1 if q_month < fy_start.month else 0), q_month, 1)
        expected = (
            day,
            day - timedelta(days=day.weekday()),
            day.replace(day=1),
            q_start,
            fy_start,
            day.isoweekday(),
            quarter,
            fy_start.year,
            day.weekday() < 5 and day not in holidays,
        )
        assert row == expected, (row, expected)
        day += timedelta(days=1)
    assert day == date(2028, 6, 1)  # the calendar ends the day before two years past as_of
    # December 2026: 23 weekdays, Christmas on a Friday.
    working = query(
        path,
        "select count(*) from marts.dim_dates where month_start = date '2026-12-01' and is_working_day",
    )
    assert working[0][0] == 22
