"""slow_endpoints: routes with at least 100 requests in the last 7 days whose p95 is over
the "API latency p95" benchmark's target (500 ms without one)."""

from datetime import UTC, datetime, timedelta

import pytest

from analytics.models import Benchmark, RouteUsage
from analytics.stats.latency import band_of
from insights.rules import slow_endpoints

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR = NOW - timedelta(hours=3)


def usage(route, *, fast, slow, slow_ms=2000, method="GET", hour=HOUR):
    for ms, n in ((20, fast), (slow_ms, slow)):
        if n:
            RouteUsage.objects.create(
                hour=hour,
                route=route,
                method=method,
                latency_band=band_of(ms),
                requests=n,
                queries=n * 4,
            )


def test_a_slow_route_is_found_against_the_default_target():
    Benchmark.objects.filter(name="API latency p95").delete()  # seeded by a migration
    usage("/api/incidents", fast=90, slow=10)  # p95 in the 1000-2500 ms band
    usage("/api/services", fast=100, slow=0)  # fast
    usage("/api/teams", fast=50, slow=30)  # slow, but 80 requests only
    usage("/api/old", fast=0, slow=200, hour=NOW - timedelta(days=9))  # outside the week

    [finding] = slow_endpoints.find(NOW)

    assert finding.subject == "route:GET /api/incidents"
    assert finding.severity == "warning"
    assert finding.figures == {
        "p95_ms": 1750.0,  # rank 95 of 100, halfway into the 1000-2500 band
        "target_ms": 500.0,
        "requests": 100,
        "queries_per_request": 4.0,
    }


def test_the_benchmark_target_is_the_threshold():
    # The migration seeds it (target 200 ms); a team can change it.
    Benchmark.objects.update_or_create(
        name="API latency p95",
        defaults={"metric": "vigil_api_latency_p95_ms", "baseline": 5000, "target": 3000},
    )
    usage("/api/incidents", fast=90, slow=10)  # 1750 ms: under 3000, over the seeded 200
    usage("/api/search", fast=90, slow=10, slow_ms=4000, method="POST")  # 3750 ms: over

    [finding] = slow_endpoints.find(NOW)

    assert finding.subject == "route:POST /api/search"
    assert finding.figures["target_ms"] == 3000
    assert finding.figures["p95_ms"] == 3750.0
    assert any("/admin/analytics/benchmark/" in url for _, url in finding.evidence)
