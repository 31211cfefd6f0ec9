"""Rep costs: what each user costs per month employed (pay by title and person,
expenses), prorated in the months someone joins or leaves."""

from __future__ import annotations

import numpy as np

from salesperf.demo.calendar import Calendar
from salesperf.demo.org import Org

# Monthly loaded cost (salary, taxes, benefits) by title, in dollars.
TITLE_MONTHLY_COST = np.array([32_000, 21_000, 8_200, 12_800, 16_500])


def build_rep_costs(cal: Calendar, org: Org, rng: np.random.Generator) -> dict[str, np.ndarray]:
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
