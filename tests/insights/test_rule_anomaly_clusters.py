"""anomaly_clusters: three or more unacknowledged anomalous points on a series within
24 hours in the last 7 days; critical when one of them is high or critical."""

from datetime import UTC, datetime, timedelta

import pytest

from analytics.models import Anomaly, MetricSeries
from insights.rules import anomaly_clusters
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def anomaly(series, hours_ago, *, severity="low", method="rolling_z", acknowledged=False):
    at = NOW - timedelta(hours=hours_ago)
    return Anomaly.objects.create(
        series=series,
        timestamp=at,
        value=10,
        expected=1,
        score=5,
        method=method,
        severity=severity,
        detected_at=at,
        acknowledged_at=NOW if acknowledged else None,
    )


def test_three_within_a_day_make_a_warning():
    service = ServiceFactory()
    series = MetricSeries.objects.create(name="orders", service=service)
    for hours in (30, 20, 10):
        anomaly(series, hours)
    anomaly(series, 100)  # alone, days earlier

    [finding] = anomaly_clusters.find(NOW)

    assert finding.subject == f"anomalies:{series.pk}"
    assert finding.severity == "warning"
    assert finding.service_id == service.pk
    assert finding.figures == {
        "most_in_24h": 3,
        "densest_from": (NOW - timedelta(hours=30)).isoformat(),
        "clustered_points": 3,
        "unacknowledged_7d": 4,
        "serious_severities": [],
    }
    assert finding.evidence == (
        ("Anomalies", f"/admin/analytics/anomaly/?series__id__exact={series.pk}"),
        ("API", "/api/production/anomalies?metric=orders&acknowledged=false"),
    )


def test_a_high_one_in_the_cluster_makes_it_critical():
    series = MetricSeries.objects.create(name="orders")
    anomaly(series, 5, severity="high")
    anomaly(series, 4, method="robust_z")
    anomaly(series, 3, method="isolation_forest", severity="medium")

    [finding] = anomaly_clusters.find(NOW)

    assert finding.severity == "critical"
    assert finding.figures["serious_severities"] == ["high"]


def test_spread_out_acknowledged_old_or_same_point_anomalies_do_not_cluster():
    spread = MetricSeries.objects.create(name="spread")
    for hours in (1, 25, 49):  # never three within 24 hours
        anomaly(spread, hours)
    acked = MetricSeries.objects.create(name="acked")
    anomaly(acked, 1)
    anomaly(acked, 2)
    anomaly(acked, 3, acknowledged=True)
    old = MetricSeries.objects.create(name="old")
    for hours in (8 * 24, 8 * 24 + 1, 8 * 24 + 2):
        anomaly(old, hours, severity="critical")
    same_point = MetricSeries.objects.create(name="same_point")
    for method in ("rolling_z", "robust_z", "isolation_forest"):
        anomaly(same_point, 2, method=method)  # one point, three detectors

    assert anomaly_clusters.find(NOW) == []
