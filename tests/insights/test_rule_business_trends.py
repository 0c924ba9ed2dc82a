"""The business_trends rule: a significant week-long trend the bad way is a warning; a
week-on-week move of more than 20% the bad way without one is info; good news, small
moves and too little data say nothing."""

from datetime import UTC, datetime, timedelta

import pytest

from analytics import services
from analytics.selectors import series_find
from insights.rules import business_trends

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 28, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def record(metric, points, *, labels=None, higher_is_better=True):
    """``points``: (hours before NOW, value)."""
    services.samples_record(
        rows=[
            {
                "metric": metric,
                "labels": labels or {},
                "timestamp": (NOW - hours * HOUR).isoformat(),
                "value": value,
            }
            for hours, value in points
        ]
    )
    series = series_find(metric, labels or {})
    if not higher_is_better:
        services.series_update(series=series, higher_is_better=False)
    return series


def by_subject(findings):
    return {finding.subject: finding for finding in findings}


def test_a_bad_trend_is_a_warning_and_a_bad_jump_without_one_is_info():
    # Hourly for 8 days, one less every hour: decreasing, and higher is better.
    orders = record("orders", [(192 - k, 1000 - k) for k in range(192)])
    # One point a week ago and one now (too few for a trend): +30%, lower is better.
    errors = record("error_rate", [(193, 10), (1, 13)], higher_is_better=False)
    # -25%, higher is better, with labels.
    revenue = record("revenue", [(200, 400), (1, 300)], labels={"region": "eu"})

    found = by_subject(business_trends.find(NOW))

    assert set(found) == {f"series:{s.pk}" for s in (orders, errors, revenue)}
    trend = found[f"series:{orders.pk}"]
    assert trend.severity == "warning"
    assert trend.title == "orders is decreasing over the last week (higher is better)"
    assert trend.figures == {
        "trend": "decreasing",
        "trend_slope_per_day": -24.0,
        "change_week_percent": -17.2,  # 977 -> 809: not a 20% jump, the trend says it
        "latest_value": 809.0,
        "previous_week_value": 977.0,
        "higher_is_better": True,
    }
    assert trend.evidence == (
        ("Series", f"/admin/analytics/metricseries/{orders.pk}/change/"),
        ("Trend", "/api/analytics/trends?metric=orders"),
    )
    jump = found[f"series:{errors.pk}"]
    assert jump.severity == "info"
    assert jump.title == "error_rate moved +30% in a week (lower is better)"
    assert jump.figures == {
        "trend": "stable",
        "trend_slope_per_day": None,
        "change_week_percent": 30.0,
        "latest_value": 13.0,
        "previous_week_value": 10.0,
        "higher_is_better": False,
    }
    labelled = found[f"series:{revenue.pk}"]
    assert labelled.severity == "info"
    assert labelled.title == "revenue{region=eu} moved -25% in a week (higher is better)"
    assert labelled.figures["change_week_percent"] == -25.0
    assert labelled.evidence[1] == (
        "Trend",
        "/api/analytics/trends?metric=revenue&labels=region%3Deu",
    )
    assert all(finding.recommendation for finding in found.values())


def test_good_news_small_moves_and_platform_series_say_nothing():
    record("signups", [(192 - k, 100 + k) for k in range(192)])  # rising, higher is better
    record("latency_ms", [(193, 200), (1, 100)], higher_is_better=False)  # halved: good
    record("checkouts", [(193, 100), (1, 85)])  # -15%: under the threshold
    record("refunds", [(193, 100), (1, 120)], higher_is_better=False)  # +20%: not more
    record("vigil_internal", [(193, 100), (1, 10)])  # the platform's own, not business
    record("fresh", [(1, 5)])  # nothing a week before

    assert business_trends.find(NOW) == []
