"""Point sets shared by the clustering tests."""

from __future__ import annotations

import numpy as np


def stacked_events(seed: int = 12, n: int = 20_000) -> np.ndarray:
    """Events drawn (Zipf-like) from 2 500 snap points, 1 500 of them around 15 centres."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 20_000, (15, 2))
    sites = np.r_[
        (centres[rng.integers(0, 15, 1500)] + rng.normal(0, 150, (1500, 2))).round(),
        rng.uniform(0, 20_000, (1000, 2)).round(),
    ]
    w = 1.0 / np.arange(1, len(sites) + 1) ** 0.8
    return sites[rng.choice(len(sites), n, p=w / w.sum())]  # type: ignore[no-any-return]
