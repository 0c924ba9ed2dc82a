"""Latency kept as counts per band (a histogram), so processes and hours add up and
percentiles are still answerable without one row per request."""

import bisect
from collections.abc import Sequence

# Band i holds answers of at most LATENCY_BANDS_MS[i] ms (and more than the band
# before); the last band, index len(LATENCY_BANDS_MS), holds everything slower.
LATENCY_BANDS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
BANDS = len(LATENCY_BANDS_MS) + 1


def band_of(milliseconds: float) -> int:
    return bisect.bisect_left(LATENCY_BANDS_MS, milliseconds)


def band_percentile(counts: Sequence[int], q: float) -> float | None:
    """The q-quantile (0..1) in ms, interpolated linearly inside its band, as Prometheus'
    ``histogram_quantile`` does; answers in the open last band report its lower bound."""
    total = sum(counts)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for band, count in enumerate(counts):
        if count and seen + count >= rank:
            lower = LATENCY_BANDS_MS[band - 1] if band else 0.0
            if band == len(LATENCY_BANDS_MS):
                return float(lower)
            upper = LATENCY_BANDS_MS[band]
            return lower + (upper - lower) * (rank - seen) / count
        seen += count
    return float(LATENCY_BANDS_MS[-1])
