"""Reads of the metric store, shaped for the statistics: a series' samples in a time
range as two numpy arrays (Unix seconds, values), stored or built in."""

from datetime import datetime

import numpy as np
from django.db.models import QuerySet

from analytics import builtin
from analytics.models import Anomaly, Benchmark, MetricSample, MetricSeries, labels_key
from core.db import EpochSeconds


class UnknownMetric(LookupError):
    """No stored series and no built-in metric by that name and labels."""


def series_list() -> QuerySet[MetricSeries]:
    return MetricSeries.objects.all()


def series_find(name: str, labels: dict | None = None) -> MetricSeries | None:
    return MetricSeries.objects.filter(name=name, labels_key=labels_key(labels or {})).first()


def series_points(
    series_id: int, start: datetime | None = None, end: datetime | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One series' samples with start <= timestamp < end, oldest first: one query, read
    straight into float arrays (no model instances, no datetime objects)."""
    samples = MetricSample.objects.filter(series_id=series_id)
    if start is not None:
        samples = samples.filter(timestamp__gte=start)
    if end is not None:
        samples = samples.filter(timestamp__lt=end)
    rows = list(
        samples.order_by("timestamp")
        .annotate(at=EpochSeconds("timestamp"))
        .values_list("at", "value")
    )
    if not rows:
        return np.empty(0), np.empty(0)
    points = np.array(rows, dtype=np.float64)
    return points[:, 0], points[:, 1]


def metric_points(
    name: str, labels: dict | None, start: datetime | None, end: datetime | None
) -> tuple[np.ndarray, np.ndarray]:
    """The samples of a built-in metric (``vigil_...``) or of a stored series."""
    if name in builtin.BUILTIN:
        return builtin.builtin_points(name, labels or {}, start, end)
    series = series_find(name, labels)
    if series is None:
        raise UnknownMetric(f"No series {name} with labels {labels or {}}.")
    return series_points(series.pk, start, end)


def anomaly_list() -> QuerySet[Anomaly]:
    return Anomaly.objects.select_related("series", "acknowledged_by")


def benchmark_list() -> QuerySet[Benchmark]:
    return Benchmark.objects.all()


def benchmark_for(metric: str) -> Benchmark | None:
    """The benchmark judging ``metric``, if any (the first by name)."""
    return Benchmark.objects.filter(metric=metric).order_by("name").first()


def usage_by_day(*, start: datetime, end: datetime) -> list[dict]:
    """Requests, 4xx, 5xx and database queries per UTC day, summed over the hourly usage
    rows that ``usage.usage_report`` counts for [start, end) (every overlapping hour
    whole), so the days add up to its totals. Days without requests are absent. One
    query."""
    from datetime import UTC

    from django.db.models import Sum
    from django.db.models.functions import TruncDate

    from analytics.models import RouteUsage

    hour_start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    rows = (
        RouteUsage.objects.filter(hour__gte=hour_start, hour__lt=end)
        .annotate(day=TruncDate("hour", tzinfo=UTC))
        .values("day")
        .annotate(
            requests=Sum("requests"),
            client_errors=Sum("client_errors"),
            server_errors=Sum("server_errors"),
            queries=Sum("queries"),
        )
        .order_by("day")
    )
    return [dict(row) for row in rows]


def metric_exists(name: str, labels: dict | None = None) -> bool:
    """A built-in metric by that name, or a stored series by that name and labels."""
    return name in builtin.BUILTIN or series_find(name, labels) is not None
