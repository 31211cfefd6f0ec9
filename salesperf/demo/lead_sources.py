"""The lead-source catalogue: the sources, how well each converts, their mix among
converted leads and how much a referral helps the deal win."""

from __future__ import annotations

import numpy as np

LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Employee Referral",
                "External Referral", "Purchased List", "Trade Show", "Word of mouth", "Other")
OTHER_SOURCE = 8
# Lead -> opportunity conversion by source (referrals convert best) and the mix of
# sources among converted leads; unconverted leads are drawn so that the rates hold.
LEAD_CONVERSION = np.array([0.25, 0.35, 0.50, 0.55, 0.45, 0.10, 0.20, 0.40, 0.20])
CONVERTED_MIX = np.array([0.30, 0.10, 0.12, 0.06, 0.06, 0.04, 0.12, 0.10, 0.10])
REFERRAL_BOOST = np.array([0.0, 0.0, 0.3, 0.4, 0.25, -0.2, 0.0, 0.2, 0.0])  # win logit
