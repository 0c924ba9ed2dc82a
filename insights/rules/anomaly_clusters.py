"""Series with anomalies piling up unacknowledged: three or more flagged points within a
day, in the last week, that nobody has looked at. One anomaly may be noise; a cluster is
usually something real, or a detector that needs tuning."""

from collections import defaultdict
from datetime import datetime, timedelta
from urllib.parse import quote

from analytics import selectors
from insights.engine import Finding, Rule

LOOKBACK = timedelta(days=7)
CLUSTER_SPAN = timedelta(hours=24)
CLUSTER_SIZE = 3
SERIOUS = {"high", "critical"}


def find(now: datetime) -> list[Finding]:
    anomalies = (
        selectors.anomaly_list()
        .filter(acknowledged_at__isnull=True, timestamp__gte=now - LOOKBACK, timestamp__lte=now)
        .order_by("series_id", "timestamp")
    )
    by_series = defaultdict(list)
    for anomaly in anomalies:
        by_series[anomaly.series_id].append(anomaly)
    findings = []
    for series_id, found in sorted(by_series.items()):
        # Several methods flagging the same point are one anomalous point.
        points = sorted({a.timestamp for a in found})
        clustered, densest, first = set(), 0, None
        for i, start in enumerate(points):
            window = [t for t in points[i:] if t < start + CLUSTER_SPAN]
            if len(window) >= CLUSTER_SIZE:
                clustered.update(window)
                if len(window) > densest:
                    densest, first = len(window), start
        if not clustered:
            continue
        members = [a for a in found if a.timestamp in clustered]
        series = members[0].series
        serious = sorted({a.severity for a in members} & SERIOUS)
        findings.append(
            Finding(
                subject=f"anomalies:{series_id}",
                title=(f"{densest} unacknowledged anomalies within 24 hours on {series}"),
                severity="critical" if serious else "warning",
                recommendation=(
                    "Look at the series around "
                    f"{first.isoformat()}: open an incident if something is wrong, "
                    "acknowledge the anomalies if it was expected, or tune the detection "
                    "if they are noise."
                ),
                evidence=(
                    (
                        "Anomalies",
                        f"/admin/analytics/anomaly/?series__id__exact={series_id}",
                    ),
                    (
                        "API",
                        f"/api/production/anomalies?metric={quote(series.name)}&acknowledged=false",
                    ),
                ),
                service_id=series.service_id,
                figures={
                    "most_in_24h": densest,
                    "densest_from": first.isoformat(),
                    "clustered_points": len(clustered),
                    "unacknowledged_7d": len(points),
                    "serious_severities": serious,
                },
            )
        )
    return findings


RULE = Rule(
    "anomaly_clusters",
    "Series with three or more unacknowledged anomalies within 24 hours in the last week.",
    find,
)
