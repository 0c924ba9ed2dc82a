"""Benchmarks: status in both directions and at the boundaries, current and history
worked out from the test's own samples (from one read of the metric), the defaults
installed once, and the API and admin writing through the services."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import connections
from rest_framework.test import APIClient

from analytics import services
from analytics.admin.benchmarks import BenchmarkAdmin
from analytics.apps import benchmarks_install_after_migrate
from analytics.benchmarks import HISTORY_WINDOWS, benchmark_evaluate, benchmark_status
from analytics.models import Benchmark
from analytics.services.benchmarks import DEFAULT_BENCHMARKS, MIB
from incidents import services as incident_services
from tests.factories import ServiceFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db

D0 = datetime(2026, 1, 5, tzinfo=UTC)
DAY = timedelta(days=1)
URL = "/api/analytics/benchmarks"


def client_for(*roles, **user_fields):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=list(roles), **user_fields))
    return client


def record(metric, points, labels=None):
    services.samples_record(
        rows=[
            {"metric": metric, "labels": labels or {}, "timestamp": at.isoformat(), "value": v}
            for at, v in points
        ]
    )


def benchmark(**fields):
    fields = {
        "name": "Orders",
        "metric": "orders_completed",
        "baseline": 10.0,
        "target": 20.0,
        "higher_is_better": True,
        "window_days": 1,
        **fields,
    }
    return services.benchmark_create(**fields)


# --- status -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (150.0, "exceeds"),
        (200.0, "exceeds"),  # the target itself is reached
        (200.5, "meets"),
        (500.0, "meets"),  # the baseline itself is met
        (500.5, "below"),
        (None, None),
    ],
)
def test_status_when_lower_is_better(value, status):
    assert benchmark_status(value, baseline=500, target=200, higher_is_better=False) == status


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (1.0, "exceeds"),
        (0.999, "exceeds"),
        (0.9989, "meets"),
        (0.99, "meets"),
        (0.9899, "below"),
        (0.0, "below"),
        (None, None),
    ],
)
def test_status_when_higher_is_better(value, status):
    assert benchmark_status(value, baseline=0.99, target=0.999, higher_is_better=True) == status


def test_a_target_equal_to_the_baseline_is_exceeded_or_missed():
    assert benchmark_status(5, baseline=5, target=5, higher_is_better=False) == "exceeds"
    assert benchmark_status(6, baseline=5, target=5, higher_is_better=False) == "below"


# --- current and history ------------------------------------------------------------------

NOW = D0 + 9 * DAY
# Window i is [D0 + i days, D0 + (i + 1) days); the 9th (i = 8) is the current one.
SAMPLES = {
    0: [12.0, 8.0, 10.0],
    1: [30.0],
    2: [5.0, 6.0],
    # 3: nothing
    4: [20.0, 25.0, 15.0, 10.0],
    5: [9.0],
    6: [18.0, 22.0],
    7: [19.0, 21.0, 1.0],
    8: [40.0, 2.0, 11.0],
}


@pytest.fixture
def orders():
    points = []
    for window, values in SAMPLES.items():
        start = D0 + window * DAY
        # The first sample of each window sits exactly on its start: it belongs to it.
        points += [(start + timedelta(hours=3 * i), v) for i, v in enumerate(values)]
    points.append((NOW, 1000.0))  # at the end of the current window: outside it
    points.append((D0 - timedelta(seconds=1), 1000.0))  # before the first window
    record("orders_completed", points)


def by_hand(statistic, values):
    if not values:
        return None
    ordered = sorted(values)
    if statistic == "mean":
        return sum(values) / len(values)
    if statistic == "median":
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    if statistic == "p95":
        rank = 0.95 * (len(ordered) - 1)
        low = int(rank)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    if statistic == "latest":
        return values[-1]
    return sum(values)


def status_by_hand(value):
    if value is None:
        return None
    return "exceeds" if value >= 20 else "meets" if value >= 10 else "below"


@pytest.mark.parametrize("statistic", ["mean", "median", "p95", "latest", "sum"])
def test_current_and_the_eight_windows_before_from_one_read(
    statistic, orders, django_assert_num_queries
):
    orders_benchmark = benchmark(statistic=statistic)

    # A stored series: find it, read its samples. Once, for all nine windows.
    with django_assert_num_queries(2):
        result = benchmark_evaluate(orders_benchmark, now=NOW)

    expected = [by_hand(statistic, SAMPLES.get(window, [])) for window in range(9)]
    assert result["current"] == pytest.approx(expected[8])
    assert result["status"] == status_by_hand(expected[8])
    assert len(result["history"]) == HISTORY_WINDOWS
    for window, row in enumerate(result["history"]):
        assert row["start"] == D0 + window * DAY
        assert row["end"] == D0 + (window + 1) * DAY
        if expected[window] is None:
            assert row["value"] is None
        else:
            assert row["value"] == pytest.approx(expected[window])
        assert row["status"] == status_by_hand(expected[window])


def test_a_builtin_metric_judged_by_the_median_of_its_incidents():
    service = ServiceFactory()
    # MTTR in minutes: 20, 50, 80 this window (median 50); 300 in the window before.
    for at, minutes in [
        (NOW - timedelta(days=1, hours=1), 300),
        (NOW - timedelta(hours=20), 20),
        (NOW - timedelta(hours=10), 80),
        (NOW - timedelta(hours=5), 50),
    ]:
        incident = open_incident(service, at=at)
        incident_services.incident_resolve(
            incident=incident, by=None, at=at + timedelta(minutes=minutes)
        )
    mttr = benchmark(
        name="Quick MTTR",
        metric="vigil_mttr_seconds",
        statistic="median",
        baseline=3600,
        target=1800,
        higher_is_better=False,
    )

    result = benchmark_evaluate(mttr, now=NOW)

    assert result["current"] == 50 * 60
    assert result["status"] == "meets"  # 50 min: within 1 h, not within 30 min
    assert result["history"][-1]["value"] == 300 * 60
    assert result["history"][-1]["status"] == "below"
    assert [row["value"] for row in result["history"][:-1]] == [None] * 7


def test_no_data_and_no_series_are_no_status():
    missing = benchmark(metric="never_posted")
    empty_window = benchmark(name="Old orders")
    record("orders_completed", [(NOW - 30 * DAY, 50.0)])

    for result in (benchmark_evaluate(missing, now=NOW), benchmark_evaluate(empty_window, now=NOW)):
        assert (result["current"], result["status"]) == (None, None)
        assert {row["value"] for row in result["history"]} == {None}


def test_worker_memory_judges_the_latest_sample_of_any_host():
    record("vigil_worker_memory_bytes", [(NOW - 3 * DAY, 900.0 * MIB)], labels={"host": "a"})
    record("vigil_worker_memory_bytes", [(NOW - DAY, 300.0 * MIB)], labels={"host": "b"})
    record("vigil_worker_memory_bytes", [(NOW - 2 * DAY, 100.0 * MIB)], labels={"host": "a"})
    memory = Benchmark.objects.get(name="Worker memory")
    host_a = benchmark(
        name="Worker a",
        metric="vigil_worker_memory_bytes",
        labels={"host": "a"},
        statistic="latest",
        window_days=7,
        baseline=512.0 * MIB,
        target=256.0 * MIB,
        higher_is_better=False,
    )

    assert benchmark_evaluate(memory, now=NOW)["current"] == 300.0 * MIB
    assert benchmark_evaluate(memory, now=NOW)["status"] == "meets"
    assert benchmark_evaluate(host_a, now=NOW)["current"] == 100.0 * MIB
    assert benchmark_evaluate(host_a, now=NOW)["status"] == "exceeds"


# --- the defaults -------------------------------------------------------------------------


def test_migrate_installed_the_seven_defaults_once():
    """The test database was built by migrate, whose post_migrate installed them."""
    stored = {b.name: b for b in Benchmark.objects.all()}
    assert set(stored) == {fields["name"] for fields in DEFAULT_BENCHMARKS}
    assert len(stored) == 7
    expected = {
        "API latency p95": ("vigil_api_latency_p95_ms", "mean", 500, 200, False),
        "Database queries per request": ("vigil_queries_per_request", "mean", 20, 10, False),
        "Worker memory": ("vigil_worker_memory_bytes", "latest", 512 * MIB, 256 * MIB, False),
        "MTTA": ("vigil_mtta_seconds", "median", 900, 300, False),
        "MTTR": ("vigil_mttr_seconds", "median", 4 * 3600, 3600, False),
        "Alert-to-incident ratio": ("vigil_alerts_per_incident", "mean", 10, 3, False),
        "Page delivery success": ("vigil_page_delivery_ratio", "mean", 0.99, 0.999, True),
    }
    for name, row in expected.items():
        b = stored[name]
        assert (b.metric, b.statistic, b.baseline, b.target, b.higher_is_better) == row


def test_installing_again_changes_nothing_and_restores_a_missing_default():
    mttr = Benchmark.objects.get(name="MTTR")
    services.benchmark_update(benchmark=mttr, target=1200.0)

    assert services.benchmarks_install_defaults() == []
    benchmarks_install_after_migrate(sender=apps.get_app_config("analytics"))
    services.benchmark_delete(benchmark=Benchmark.objects.get(name="MTTA"))
    assert services.benchmarks_install_defaults() == ["MTTA"]

    assert Benchmark.objects.count() == 7
    assert Benchmark.objects.get(name="MTTR").target == 1200.0  # an edit is kept


def test_no_install_while_the_table_does_not_exist():
    Benchmark.objects.all().delete()
    table = Benchmark._meta.db_table
    with connections["default"].cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
        try:
            benchmarks_install_after_migrate(sender=apps.get_app_config("analytics"))
        finally:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")

    assert not Benchmark.objects.exists()


# --- services -------------------------------------------------------------------------------


def test_the_services_validate_the_row():
    with pytest.raises(ValidationError) as worse:
        benchmark(target=5.0)  # higher is better: a target under the baseline is worse
    assert "target" in worse.value.message_dict
    with pytest.raises(ValidationError) as label:
        benchmark(metric="vigil_incidents", labels={"team": "a"}, baseline=5, target=1)
    assert "team" in label.value.message_dict["labels"][0]
    with pytest.raises(ValidationError):
        benchmark(statistic="mode")
    created = benchmark()
    with pytest.raises(ValidationError):
        services.benchmark_update(benchmark=created, labels={"x-y": "1"})
    assert not Benchmark.objects.filter(name="Orders", labels={"x-y": "1"}).exists()


# --- API --------------------------------------------------------------------------------------


def test_everyone_reads_the_figures_at_a_constant_cost_per_benchmark(
    orders, django_assert_max_num_queries
):
    benchmark()
    viewer = client_for("Viewer")
    count = Benchmark.objects.count()

    # Auth and page (a few), then at most three reads per benchmark.
    with django_assert_max_num_queries(4 + 3 * count):
        response = viewer.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == count == 8
    row = next(r for r in body["results"] if r["name"] == "Orders")
    assert set(row) >= {"current", "status", "history", "baseline", "target", "metric"}
    assert len(row["history"]) == HISTORY_WINDOWS
    mttr = next(r for r in body["results"] if r["name"] == "MTTR")
    assert (mttr["current"], mttr["status"]) == (None, None)


def test_managers_write_through_the_services_and_viewers_cannot():
    manager, viewer = client_for("Manager"), client_for("Viewer")
    body = {
        "name": "Checkout latency",
        "metric": "checkout_ms",
        "baseline": 800,
        "target": 300,
        "statistic": "p95",
        "unit": "ms",
    }

    assert viewer.post(URL, body, format="json").status_code == 403
    created = manager.post(URL, body, format="json")

    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["current"], data["status"], data["higher_is_better"]) == (None, None, False)
    assert len(data["history"]) == HISTORY_WINDOWS
    pk = data["id"]
    assert viewer.patch(f"{URL}/{pk}", {"target": 250}, format="json").status_code == 403
    patched = manager.patch(f"{URL}/{pk}", {"target": 250}, format="json")
    assert patched.status_code == 200
    assert Benchmark.objects.get(pk=pk).target == 250
    assert viewer.delete(f"{URL}/{pk}").status_code == 403
    assert manager.delete(f"{URL}/{pk}/").status_code == 204
    assert not Benchmark.objects.filter(pk=pk).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"baseline": 300, "target": 800}, "target"),  # worse, lower being better
        ({"metric": "vigil_incidents", "labels": {"team": "a"}}, "labels"),
        ({"metric": "9bad"}, "metric"),
        ({"statistic": "mode"}, "statistic"),
        ({"window_days": 0}, "window_days"),
        ({"name": "MTTR"}, "name"),  # taken by a default
    ],
)
def test_bad_benchmarks_are_400_naming_the_field(body, field):
    manager = client_for("Manager")
    good = {"name": "New", "metric": "checkout_ms", "baseline": 800, "target": 300}

    response = manager.post(URL, {**good, **body}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["fields"]


def test_anonymous_is_401():
    assert APIClient().get(URL).status_code == 401


# --- admin -----------------------------------------------------------------------------------


def test_the_admin_lists_current_and_status_and_adds_through_the_service(client, orders):
    benchmark()
    client.force_login(UserFactory(is_superuser=True))

    listing = client.get("/admin/analytics/benchmark/")
    added = client.post(
        "/admin/analytics/benchmark/add/",
        {
            "name": "Admin made",
            "metric": "orders_completed",
            "labels": "{}",
            "statistic": "mean",
            "window_days": 7,
            "baseline": 1,
            "target": 2,
            "higher_is_better": "on",
        },
    )

    assert listing.status_code == 200
    html = listing.content.decode()
    assert "no data" in html  # the defaults, on an empty database
    assert "Orders" in html
    assert added.status_code == 302
    assert Benchmark.objects.get(name="Admin made").higher_is_better is True


def test_the_current_value_in_the_admin_is_the_evaluated_one(orders):
    orders_benchmark = benchmark(window_days=400)
    model_admin = BenchmarkAdmin(Benchmark, admin.site)
    everything = [v for values in SAMPLES.values() for v in values] + [1000.0, 1000.0]

    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        shown = model_admin.current(orders_benchmark)

    assert shown == f"{float(np.mean(everything)):.4g}"
    assert model_admin.status(orders_benchmark) == "exceeds"
