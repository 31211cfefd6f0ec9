"""Constants shared by several modules of the generator: time units, the "never"
sentinel, the sales regions and the kinds of deal."""

from __future__ import annotations

import datetime as dt

import numpy as np

DAY = 86_400
HOUR = 3_600
NEVER = np.int64(2**62)  # departure time of a user who has not left
EPOCH = dt.date(1970, 1, 1)

REGIONS = ("North America East", "EMEA", "North America West", "APAC")

OPP_TYPES = ("New Business", "Existing Business - Renewal", "Existing Business - Upsell")
NEW, RENEWAL, UPSELL = 0, 1, 2
OPP_TYPE_LABEL = ("New Business", "Renewal", "Upsell")
