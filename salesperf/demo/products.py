"""Products: the catalogue, and the line items of every deal (1-4 products, quantities
and discounted prices in integer cents)."""

from __future__ import annotations

import numpy as np

from salesperf.demo.constants import RENEWAL
from salesperf.demo.org import Org

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


def line_items(org: Org, rng: np.random.Generator, kind: np.ndarray, seller: np.ndarray,
               created: np.ndarray, employees: np.ndarray, deactivated: np.ndarray,
               price_level: np.ndarray) -> dict[str, np.ndarray]:
    """1-4 distinct products per deal (weighted sampling without replacement by
    exponential keys), quantities scaled by company size and the seller's deal size, and
    the seller's habitual discount, priced from the deal currency's price book
    (`price_level`: units per US dollar, in whole units). Money is in integer cents so
    sums are exact."""
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
    size = (employees[opp] / 400) ** 0.3 * org.deal_size[seller[opp]]
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
    discount = np.clip(org.discount[seller[opp]] + rng.normal(0, 0.04, m), 0, 0.35)
    discount *= np.where(support, 0.3, 1.0) * np.where(kind[opp] == RENEWAL, 0.5, 1.0)
    list_dollars = np.array([p[2] for p in PRODUCTS])[product]
    # Goods and licences are never sold below cost (services sometimes are, to win a deal).
    floor = 1 - 1.05 * np.array([p[3] for p in PRODUCTS])[product] / list_dollars
    discount = np.where(np.array([p[1] == "Services" for p in PRODUCTS])[product], discount,
                        np.minimum(discount, floor))
    unit = np.round(list_dollars * (1 - discount) * price_level[opp]).astype(np.int64) * 100
    return dict(opp=opp, product=product, quantity=quantity, unit=unit, total=quantity * unit)
