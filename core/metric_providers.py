"""Built-in metrics that an app above analytics computes from its own data.

analytics and observability may not import each other, yet the SLO compliance series
lives in observability and is read through analytics (trends, comparisons, benchmarks).
So observability registers a provider here from its ``ready()``, and analytics looks the
registry up when a metric is asked for: neither app names the other.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

# (labels, start, end) -> (Unix seconds ascending, values), both float64 arrays.
PointsFunction = Callable[[dict, datetime, datetime], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class MetricMeta:
    """What a built-in metric is: the same fields as ``analytics.builtin.BuiltinMetric``."""

    name: str
    description: str
    unit: str
    higher_is_better: bool
    labels: tuple[str, ...] = ()


_providers: dict[str, tuple[MetricMeta, PointsFunction]] = {}


def register(metric: MetricMeta, fn: PointsFunction) -> None:
    """Offer ``metric``; registering a name again replaces it (``ready()`` may run twice
    in a test process that builds the app registry again)."""
    _providers[metric.name] = (metric, fn)


def providers() -> dict[str, tuple[MetricMeta, PointsFunction]]:
    """Every registered metric by name: (meta, function). A copy: callers cannot change it."""
    return dict(_providers)
