"""Benchmarks: where a number stands against its yardsticks, now and in the windows before.

A benchmark's value over a window is its ``statistic`` (mean, median, p95, latest or
sum) of the metric's samples in that window. Its status says how that value compares,
"good" meaning higher when ``higher_is_better`` and lower otherwise:

* ``exceeds``: at least as good as the target (the target reached; equal counts);
* ``meets``: at least as good as the baseline, not as good as the target;
* ``below``: worse than the baseline;
* ``None``: no value (no samples in the window, or no such series).

These are ``analytics.models.BenchmarkStatus``.
"""

from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from analytics.models import Benchmark, BenchmarkStatus, MetricSample, MetricSeries
from analytics.selectors import UnknownMetric, metric_points
from core.db import EpochSeconds

HISTORY_WINDOWS = 8

STATISTICS = {
    "mean": np.mean,
    "median": np.median,
    "p95": lambda values: np.percentile(values, 95),
    "latest": lambda values: values[-1],  # samples come oldest first
    "sum": np.sum,
}


def _at_least_as_good(value: float, threshold: float, higher_is_better: bool) -> bool:
    return value >= threshold if higher_is_better else value <= threshold


def benchmark_status(
    value: float | None, *, baseline: float, target: float, higher_is_better: bool
) -> str | None:
    """The status of ``value`` against the yardsticks (see the module docstring)."""
    if value is None:
        return None
    if _at_least_as_good(value, target, higher_is_better):
        return BenchmarkStatus.EXCEEDS.value
    if _at_least_as_good(value, baseline, higher_is_better):
        return BenchmarkStatus.MEETS.value
    return BenchmarkStatus.BELOW.value


def statistic_of(name: str, values: np.ndarray) -> float | None:
    """``name`` of ``values``; None for no values (an empty sum is no data, not zero)."""
    if values.size == 0:
        return None
    return float(STATISTICS[name](values))


def _matching_series_points(name: str, labels: dict, start: datetime, end: datetime):
    """The samples of every stored series ``name`` whose labels include ``labels``, in
    time order (two queries). Worker memory is stored per host
    (``vigil_worker_memory_bytes{host=...}``); a benchmark of it without a host label
    judges every worker's samples."""
    wanted = labels.items()
    ids = [
        series.pk
        for series in MetricSeries.objects.filter(name=name).only("pk", "labels")
        if wanted <= (series.labels or {}).items()
    ]
    rows = list(
        MetricSample.objects.filter(series_id__in=ids, timestamp__gte=start, timestamp__lt=end)
        .order_by("timestamp", "series_id")
        .annotate(at=EpochSeconds("timestamp"))
        .values_list("at", "value")
    )
    if not rows:
        return np.empty(0), np.empty(0)
    points = np.array(rows, dtype=np.float64)
    return points[:, 0], points[:, 1]


def _points(benchmark: Benchmark, start: datetime, end: datetime):
    """The samples: of the built-in metric, of the stored series with exactly these
    labels, else of the stored series that carry these labels among others; none when
    there is no such series (yet) or the labels do not fit a built-in metric."""
    try:
        return metric_points(benchmark.metric, benchmark.labels, start, end)
    except UnknownMetric:
        return _matching_series_points(benchmark.metric, benchmark.labels or {}, start, end)
    except ValueError:
        return np.empty(0), np.empty(0)


def benchmark_evaluate(benchmark: Benchmark, *, now: datetime | None = None) -> dict:
    """``{"current", "status", "history"}``: the statistic over the last ``window_days``
    and its status, and the same for each of the 8 windows before it (oldest first,
    ``{start, end, value, status}``). One read of the metric over all nine windows,
    split here, so a benchmark costs what one ``metric_points`` costs."""
    now = now or timezone.now()
    window = timedelta(days=benchmark.window_days)
    edges = [now - (HISTORY_WINDOWS + 1 - i) * window for i in range(HISTORY_WINDOWS + 2)]
    times, values = _points(benchmark, edges[0], now)
    cuts = np.searchsorted(times, [edge.timestamp() for edge in edges], side="left")
    windows = []
    for i in range(HISTORY_WINDOWS + 1):
        value = statistic_of(benchmark.statistic, values[cuts[i] : cuts[i + 1]])
        windows.append(
            {
                "start": edges[i],
                "end": edges[i + 1],
                "value": value,
                "status": benchmark_status(
                    value,
                    baseline=benchmark.baseline,
                    target=benchmark.target,
                    higher_is_better=benchmark.higher_is_better,
                ),
            }
        )
    current = windows.pop()
    return {"current": current["value"], "status": current["status"], "history": windows}
