"""The business series at a glance: each one's latest value, its change against a day
and a week before, and the direction of its last week. Two queries for any number of
series: the values by correlated subqueries on the (series, timestamp) index, the
week's hourly means in one grouped query."""

from collections import defaultdict
from datetime import timedelta

import numpy as np
from django.db.models import Avg, OuterRef, Subquery
from django.db.models.functions import Floor, Substr
from django.utils import timezone

from analytics.models import MetricSample, MetricSeries
from analytics.stats.trend import fit_trend
from core.db import EpochSeconds

# Series the platform records about itself; the rest are the business's.
PLATFORM_PREFIX = "vigil_"
TREND_WINDOW = timedelta(days=7)
HOUR = 3600


def _value_at_or_before(offset: timedelta | None):
    samples = MetricSample.objects.filter(series=OuterRef("pk"))
    if offset is not None:
        samples = samples.filter(timestamp__lte=OuterRef("latest_at") - offset)
    return samples.order_by("-timestamp")


def _change(latest: float | None, before: float | None) -> float | None:
    if latest is None or before is None or before == 0:
        return None
    return (latest - before) / abs(before) * 100


def business_series(*, now=None) -> list[dict]:
    now = now or timezone.now()
    latest = _value_at_or_before(None)
    series_list = list(
        # Not startswith: SQLite's LIKE ignores case, and Vigil_revenue is the business's.
        MetricSeries.objects.annotate(prefix=Substr("name", 1, len(PLATFORM_PREFIX)))
        .exclude(prefix=PLATFORM_PREFIX)
        .annotate(latest_at=Subquery(latest.values("timestamp")[:1]))
        .annotate(
            latest_value=Subquery(latest.values("value")[:1]),
            day_before=Subquery(_value_at_or_before(timedelta(days=1)).values("value")[:1]),
            week_before=Subquery(_value_at_or_before(timedelta(days=7)).values("value")[:1]),
        )
        .order_by("name", "labels_key")
    )
    hourly = defaultdict(list)
    for row in (
        MetricSample.objects.filter(
            series__in=[series.pk for series in series_list],
            timestamp__gte=now - TREND_WINDOW,
            timestamp__lt=now,
        )
        .annotate(hour=Floor(EpochSeconds("timestamp") / HOUR))
        .values("series_id", "hour")
        .annotate(mean=Avg("value"))
        .order_by("series_id", "hour")
        .values_list("series_id", "hour", "mean")
    ):
        hourly[row[0]].append((row[1] * HOUR, row[2]))
    rows = []
    for series in series_list:
        points = np.array(hourly.get(series.pk, []), dtype=np.float64).reshape(-1, 2)
        trend = fit_trend(points[:, 0], points[:, 1])
        rows.append(
            {
                "id": series.pk,
                "metric": series.name,
                "labels": series.labels,
                "unit": series.unit,
                "description": series.description,
                "higher_is_better": series.higher_is_better,
                "latest_at": series.latest_at,
                "latest_value": series.latest_value,
                "previous_day_value": series.day_before,
                "change_day_percent": _change(series.latest_value, series.day_before),
                "previous_week_value": series.week_before,
                "change_week_percent": _change(series.latest_value, series.week_before),
                "trend": trend.direction,
                "trend_slope_per_day": trend.slope_per_day,
                "trend_good": None
                if trend.direction == "stable"
                else (trend.direction == "increasing") == series.higher_is_better,
            }
        )
    return rows
