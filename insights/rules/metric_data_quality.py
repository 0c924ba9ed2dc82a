"""Stored metric series whose data cannot be trusted: stale (nothing arrived for several
of its usual sampling intervals) or gappy (many of its expected points missing over the
last week). Trends, benchmarks and anomaly detection read these series as they are."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db.models import Count, F, Min, Q, Window
from django.db.models.functions import RowNumber

from analytics import selectors
from analytics.models import MetricSample
from core.db import EpochSeconds
from insights.engine import Finding, Rule

MAX_SERIES = 200
RECENT_SAMPLES = 100  # the median sampling interval is read over these
STALE_INTERVALS = 3
STALE_FLOOR = timedelta(hours=1)
GAP_WINDOW = timedelta(days=7)
GAP_RATIO = 0.10  # more than this share of the expected points missing
MIN_EXPECTED = 10  # fewer expected points than this: too little to call it gappy


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _evidence(series) -> tuple[tuple[str, str], ...]:
    return (
        ("Series", f"/admin/analytics/metricseries/{series.pk}/change/"),
        ("API", f"/api/metrics/series/{series.pk}"),
    )


def find(now: datetime) -> list[Finding]:
    series_by_id = {
        s.pk: s
        for s in selectors.series_list()
        .exclude(name__startswith="vigil_")
        .order_by("pk")[:MAX_SERIES]
    }
    if not series_by_id:
        return []
    ids = list(series_by_id)
    # The last RECENT_SAMPLES timestamps of every series, in one query.
    recent = (
        MetricSample.objects.filter(series_id__in=ids)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("series_id")], order_by=F("timestamp").desc())
        )
        .filter(rank__lte=RECENT_SAMPLES)
        .annotate(at=EpochSeconds("timestamp"))
        .values_list("series_id", "at")
    )
    times = defaultdict(list)
    for series_id, at in recent:
        times[series_id].append(at)
    # Each series' first sample ever, and its samples since a week ago, in one query.
    week_ago = now - GAP_WINDOW
    totals = {
        row["series_id"]: row
        for row in MetricSample.objects.filter(series_id__in=ids)
        .values("series_id")
        .annotate(first=Min("timestamp"), in_week=Count("pk", filter=Q(timestamp__gte=week_ago)))
        .order_by()
    }
    findings = []
    for series_id, series in series_by_id.items():
        stamps = np.sort(np.array(times.get(series_id, ()), dtype=np.float64))
        if stamps.size == 0:
            continue  # never reported: nothing to judge yet
        latest = float(stamps[-1])
        interval = float(np.median(np.diff(stamps))) if stamps.size >= 2 else None
        limit = max(STALE_INTERVALS * (interval or 0.0), STALE_FLOOR.total_seconds())
        age = now.timestamp() - latest
        if age > limit:
            findings.append(
                Finding(
                    subject=f"stale:{series_id}",
                    title=f"No new samples of {series} for {age / 3600:.1f} hours",
                    severity="warning",
                    recommendation=(
                        f"Its latest sample is from {_iso(latest)}"
                        + (
                            f"; it usually reports every {interval / 60:.0f} minutes"
                            if interval
                            else ""
                        )
                        + ". Check the system or metric source "
                        "that posts it: trends, benchmarks and anomaly detection on it are "
                        "blind until it reports again (or delete the series if it was retired)."
                    ),
                    evidence=_evidence(series),
                    service_id=series.service_id,
                    figures={
                        "latest": _iso(latest),
                        "age_hours": round(age / 3600, 2),
                        "median_interval_seconds": interval,
                        "stale_after_seconds": limit,
                    },
                )
            )
        if not interval:
            continue
        row = totals.get(series_id)
        start = max(week_ago.timestamp(), row["first"].timestamp())
        if latest < start:
            continue
        expected = int((latest - start) // interval) + 1
        actual = row["in_week"]
        missing = max(expected - actual, 0)
        if expected < MIN_EXPECTED or missing <= GAP_RATIO * expected:
            continue
        findings.append(
            Finding(
                subject=f"gaps:{series_id}",
                title=f"{series} is missing {missing / expected:.0%} of its points this week",
                severity="info",
                recommendation=(
                    f"{missing} of {expected} points expected at its usual "
                    f"{interval / 60:.0f}-minute interval are missing. Look for failing pushes "
                    "or pulls (a metric source's last error, the sender's logs); statistics "
                    "over a gappy series are less reliable."
                ),
                evidence=_evidence(series),
                service_id=series.service_id,
                figures={
                    "expected": expected,
                    "present": actual,
                    "missing": missing,
                    "missing_ratio": round(missing / expected, 3),
                    "median_interval_seconds": interval,
                },
            )
        )
    return findings


RULE = Rule(
    "metric_data_quality",
    "Stored metric series that went stale or miss many of their expected points.",
    find,
)
