"""Small numpy helpers shared by the generators."""

from __future__ import annotations

import numpy as np


def concat_dicts(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
