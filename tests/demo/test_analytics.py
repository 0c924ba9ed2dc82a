"""The analytics demo's usage figures and worker memory (analytics/demo*.py): written as
the usage middleware and the worker would have written them, believable, and written once."""

from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from analytics import services
from analytics.demo_memory import HOSTS, MIB
from analytics.models import ActiveUser, FeatureUse, MetricSample, MetricSeries, RouteUsage
from analytics.services.usage import WORKER_MEMORY_SERIES
from analytics.usage import usage_report

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = {
    "vera.viewer", "rory.responder", "mina.manager", "ana.ops", "ben.sre", "priya.lead",
    "carl.pay", "dana.pay", "omar.lead", "eve.web", "fin.search", "gus.data", "hana.data",
    "ceo", "cto",
}  # fmt: skip


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def stored() -> dict:
    """Everything the demo's usage and memory hold, to compare two runs."""
    return {
        "rows": RouteUsage.objects.count(),
        "requests": RouteUsage.objects.aggregate(n=Sum("requests"))["n"],
        "active": ActiveUser.objects.count(),
        "uses": FeatureUse.objects.aggregate(n=Sum("count"))["n"],
        "memory": MetricSample.objects.filter(series__name=services.WORKER_MEMORY_METRIC).count(),
    }


def memory_mib(host: str) -> tuple[np.ndarray, np.ndarray]:
    samples = MetricSample.objects.filter(
        series__name=services.WORKER_MEMORY_METRIC, series__labels__host=host
    ).order_by("timestamp")
    times, values = zip(*samples.values_list("timestamp", "value"), strict=True)
    return np.array([t.timestamp() for t in times]), np.array(values) / MIB


def test_usage_is_counted_as_the_middleware_counts_it(demo):
    # Route keys, methods and latency bands as the middleware writes them.
    routes = set(RouteUsage.objects.values_list("route", "method").distinct())
    assert {
        ("api/incidents", "GET"),
        ("api/incidents/<pk>/acknowledge", "POST"),
        ("api/integrations/alertmanager", "POST"),
        ("v2/enqueue", "POST"),
        ("admin/incidents/incident/<object_id>/lifecycle/<action>/", "POST"),
        ("respond/<token>", "POST"),
        ("api/reviews/<pk>/export", "GET"),
    } <= routes
    assert not RouteUsage.objects.filter(route__contains="?").exists()
    first_hour = RouteUsage.objects.order_by("hour").first().hour
    assert timezone.now() - first_hour < timedelta(days=30, hours=1)
    assert set(ActiveUser.objects.values_list("user__username", flat=True)) <= DEMO_USERNAMES
    assert "usage [3/3] feature uses" in demo.output


def test_usage_reads_back_like_a_busy_platforms_busier_on_weekdays_and_in_working_hours(demo):
    # The last seven days.
    end = timezone.now()
    week = usage_report(start=end - timedelta(days=7), end=end)
    totals = week["totals"]
    assert totals["requests"] > 20_000
    assert 80 <= totals["p95_ms"] <= 400
    assert 0 < totals["error_rate"] < 0.005
    assert 0 < totals["client_error_rate"] < 0.05
    assert 5 <= totals["queries_per_request"] <= 15
    assert 8 <= totals["active_users"] <= 15
    incident_list = next(r for r in week["routes"] if r["route"] == "api/incidents")
    assert 300 <= incident_list["p95_ms"] <= 450
    month = usage_report(start=end - timedelta(days=30), end=end)
    assert {row["feature"] for row in month["features"]} == {
        "acknowledge", "resolve", "export", "report"
    }  # fmt: skip
    assert {row["channel"] for row in month["features"]} == {"api", "admin", "email_link"}

    # Busier on weekdays and in working hours.
    per_day = {
        row["day"]: row["users"]
        for row in month["active_users"]["per_day"]
        if row["day"] < end.date()
    }
    weekdays = [users for day, users in per_day.items() if day.weekday() < 5]
    weekends = [users for day, users in per_day.items() if day.weekday() >= 5]
    assert np.mean(weekdays) > 2 * np.mean(weekends)
    by_hour = dict(
        RouteUsage.objects.filter(route="api/incidents")
        .values_list("hour")
        .annotate(n=Sum("requests"))
    )
    local = ZoneInfo(settings.TIME_ZONE)
    midday = [n for hour, n in by_hour.items() if hour.astimezone(local).hour == 13]
    night = [n for hour, n in by_hour.items() if hour.astimezone(local).hour == 3]
    assert np.mean(midday) > 5 * np.mean(night)


def test_worker_memory_every_five_minutes_for_30_days_worker_2_creeping_up(demo):
    series = MetricSeries.objects.filter(name=services.WORKER_MEMORY_METRIC)
    assert {s.labels["host"] for s in series} == set(HOSTS)
    # Described as the worker describes its own: bytes, lower is better (a deploy's
    # restart is good news, not a page).
    assert {(s.unit, s.higher_is_better, s.description) for s in series} == {
        ("bytes", False, WORKER_MEMORY_SERIES["description"])
    }
    for host in HOSTS:
        times, mib = memory_mib(host)
        assert len(times) == 30 * 24 * 12
        assert set(np.diff(times)) == {300.0}
        assert mib.min() > 150
        assert mib.max() < 350
    _, steady = memory_mib("worker-1")
    _, leaking = memory_mib("worker-2")
    day = 24 * 12
    assert 180 < np.median(steady) < 260
    assert leaking[-day:].mean() - leaking[-7 * day : -6 * day].mean() > 30
    assert abs(steady[-day:].mean() - steady[-7 * day : -6 * day].mean()) < 20
    assert "worker memory [2/2] worker-2" in demo.output


def test_seeding_again_writes_no_usage_and_no_memory(demo):
    before = stored()

    again = seed()

    assert stored() == before
    assert "usage counts: kept" in again
    assert "worker memory: kept" in again
