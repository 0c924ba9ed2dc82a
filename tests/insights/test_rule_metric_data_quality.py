"""metric_data_quality: stale series (no sample for max(3 median intervals, 1 hour)) and
gappy ones (over 10% of a week's expected points missing); built-in names ignored."""

from datetime import UTC, datetime, timedelta

import pytest

from analytics.models import MetricSample, MetricSeries
from insights.rules import metric_data_quality

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def series_with(name, stamps):
    series = MetricSeries.objects.create(name=name)
    MetricSample.objects.bulk_create(
        MetricSample(series=series, timestamp=at, value=1.0) for at in stamps
    )
    return series


def every(step, *, count, last):
    return [last - i * step for i in range(count)][::-1]


def by_subject(findings):
    return {f.subject: f for f in findings}


def test_a_healthy_series_says_nothing():
    series_with("orders", every(timedelta(minutes=5), count=200, last=NOW - timedelta(minutes=2)))
    assert metric_data_quality.find(NOW) == []


def test_a_series_silent_for_more_than_three_intervals_is_stale():
    # Hourly samples: stale after 3 hours, the last one 4 hours ago.
    last = NOW - timedelta(hours=4)
    series = series_with("signups", every(timedelta(hours=1), count=50, last=last))

    found = by_subject(metric_data_quality.find(NOW))

    finding = found[f"stale:{series.pk}"]
    assert finding.severity == "warning"
    assert finding.figures == {
        "latest": last.isoformat(),
        "age_hours": 4.0,
        "median_interval_seconds": 3600.0,
        "stale_after_seconds": 3 * 3600.0,
    }
    assert (
        "Series",
        f"/admin/analytics/metricseries/{series.pk}/change/",
    ) in finding.evidence
    assert f"gaps:{series.pk}" not in found  # regular until it stopped


def test_the_stale_limit_is_at_least_an_hour():
    # Every minute, last sample 50 minutes ago: 3 intervals passed, but not an hour.
    series_with("fast", every(timedelta(minutes=1), count=120, last=NOW - timedelta(minutes=50)))
    assert metric_data_quality.find(NOW) == []
    series = series_with(
        "fast_stopped", every(timedelta(minutes=1), count=120, last=NOW - timedelta(minutes=61))
    )
    assert [f.subject for f in metric_data_quality.find(NOW)] == [f"stale:{series.pk}"]


def test_a_series_missing_over_ten_percent_of_its_points_is_gappy():
    step = timedelta(hours=1)
    stamps = every(step, count=7 * 24, last=NOW - timedelta(minutes=30))
    first = stamps[0]
    # Drop 20 of the 168 hourly points (12%), away from the last 100 samples' median.
    kept = [t for i, t in enumerate(stamps) if not (10 <= i < 30)]
    series = series_with("payments", kept)

    [finding] = metric_data_quality.find(NOW)

    assert first >= NOW - timedelta(days=7)
    assert finding.subject == f"gaps:{series.pk}"
    assert finding.severity == "info"
    assert finding.figures == {
        "expected": 168,
        "present": 148,
        "missing": 20,
        "missing_ratio": round(20 / 168, 3),
        "median_interval_seconds": 3600.0,
    }


def test_ten_percent_missing_or_less_is_not_gappy():
    stamps = every(timedelta(hours=1), count=7 * 24, last=NOW - timedelta(minutes=30))
    kept = [t for i, t in enumerate(stamps) if not (10 <= i < 26)]  # 16 of 168: 9.5%
    series_with("payments", kept)
    assert metric_data_quality.find(NOW) == []


def test_builtin_names_and_empty_series_are_ignored():
    series_with("vigil_incidents_open", [NOW - timedelta(days=3), NOW - timedelta(days=2)])
    MetricSeries.objects.create(name="never_reported")
    assert metric_data_quality.find(NOW) == []


def test_a_handful_of_series_costs_a_constant_number_of_queries(django_assert_num_queries):
    for n in range(5):
        series_with(f"s{n}", every(timedelta(hours=1), count=30, last=NOW - timedelta(hours=5)))
    with django_assert_num_queries(3):
        assert len(metric_data_quality.find(NOW)) == 5
