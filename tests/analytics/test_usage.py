"""Usage analytics: real requests counted in memory by the traffic middleware, written
once a minute with adding upserts (never once per request), and read back by
GET /api/analytics/usage: routes with latency percentiles, error rates and queries per
request, active users per day and week, feature use by channel; the worker memory task
and what its series says of itself (bytes, lower is better)."""

import re
import socket
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.db import OperationalError, ProgrammingError, connection
from django.db.models import Sum
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import ResolverMatch, resolve
from rest_framework.test import APIClient

from analytics import services, usage
from analytics.models import ActiveUser, FeatureUse, MetricSample, MetricSeries, RouteUsage
from analytics.services.usage import WORKER_MEMORY_SERIES
from analytics.tasks import worker_memory_record
from core import traffic
from incidents import services as incident_services
from incidents.services.notifications import respond_token
from tests.factories import ServiceFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC)
URL = "/api/analytics/usage"


@pytest.fixture
def counter(settings):
    """Usage counting on, the process's counter emptied, and a clock 5 s into a minute: no
    flush is due until a test moves the clock on, so what reaches the database is what a
    test flushes."""
    settings.USAGE_ANALYTICS = True
    with time_machine.travel(MONDAY, tick=True):
        usage.usage.reset()
        yield usage.usage
        usage.usage.reset()


def failing(table: str, error: type[Exception]):
    """The database refusing every statement on ``table``, as a broken or unreachable one
    would (the database is the only thing replaced: the product's code runs as it is)."""

    def execute(run, sql, params, many, context):
        if table in sql:
            raise error(f"{table}: refused for the test")
        return run(sql, params, many, context)

    return execute


def api_client(*roles):
    client = APIClient()
    client.user = UserFactory(roles=list(roles))
    client.force_authenticate(client.user)
    return client


def admin_client(*roles):
    client = Client()
    client.user = UserFactory(roles=list(roles))
    client.force_login(client.user)
    return client


def report(**window):
    window.setdefault("start", MONDAY - timedelta(days=7))
    window.setdefault("end", MONDAY + timedelta(days=7))
    return usage.usage_report(**window)


def by_route(result):
    return {(row["route"], row["method"]): row for row in result["routes"]}


def usage_tables_touched(queries) -> list[str]:
    tables = (RouteUsage, ActiveUser, FeatureUse)
    names = [model._meta.db_table for model in tables]
    return [q["sql"] for q in queries if any(name in q["sql"] for name in names)]


def stored_requests() -> int:
    # Summed over the rows: two requests may fall in different latency bands.
    return RouteUsage.objects.aggregate(n=Sum("requests"))["n"] or 0


def record(path, *, seconds, status=200, method="get", user=None):
    """Hand the recorder one answer with a chosen latency, as the middleware would."""
    request = getattr(RequestFactory(), method)(path)
    request.resolver_match = resolve(path)
    if user is not None:
        request.user = user
    usage.usage_record(request, HttpResponse(status=status), seconds, 2)


# --- counting requests ------------------------------------------------------------------


def test_requests_are_counted_per_route_and_method_and_written_only_by_the_flush(counter):
    manager = api_client("Manager")
    first, second = open_incident(), open_incident()

    for _ in range(3):
        assert manager.get("/api/incidents").status_code == 200
    assert manager.get(f"/api/incidents/{first.pk}").status_code == 200
    assert manager.get(f"/api/incidents/{second.pk}/").status_code == 200
    assert manager.get("/api/incidents/999999").status_code == 404
    assert manager.delete(f"/api/incidents/{first.pk}").status_code == 405
    assert manager.get("/api/no-such-thing").status_code == 404
    # Not counted: the probes, Prometheus' scrape, static files, the site root.
    for path in ("/healthz", "/metrics", "/static/admin/css/base.css", "/"):
        Client().get(path)

    assert not RouteUsage.objects.exists()  # nothing written per request
    assert counter.flush() == 8

    routes = by_route(report())
    assert {key: row["requests"] for key, row in routes.items()} == {
        ("api/incidents", "GET"): 3,
        ("api/incidents/<pk>", "GET"): 3,
        ("api/incidents/<pk>", "DELETE"): 1,
        (usage.UNMATCHED, "GET"): 1,
    }
    detail = routes[("api/incidents/<pk>", "GET")]
    assert detail["client_error_rate"] == pytest.approx(1 / 3)
    assert detail["error_rate"] == 0
    assert routes[("api/incidents/<pk>", "DELETE")]["client_error_rate"] == 1
    assert report()["routes"][0]["requests"] == 3  # most requested first


def test_a_server_error_counts_in_the_error_rate(counter):
    manager = api_client("Manager")
    manager.raise_request_exception = False
    manager.get("/api/incidents")
    with connection.execute_wrapper(failing("incidents_incident", ProgrammingError)):
        assert manager.get("/api/incidents").status_code == 500
    counter.flush()

    row = by_route(report())[("api/incidents", "GET")]
    assert (row["requests"], row["error_rate"], row["client_error_rate"]) == (2, 0.5, 0)


def test_queries_per_request_are_measured_and_a_request_writes_no_usage_row(counter):
    manager = api_client("Manager")
    open_incident()
    manager.get("/api/incidents")  # warm caches (content types, permissions)
    counter.take()

    with CaptureQueriesContext(connection) as made:
        assert manager.get("/api/incidents").status_code == 200

    assert usage_tables_touched(made.captured_queries) == []
    assert len(made) > 0
    counter.flush()
    row = by_route(report())[("api/incidents", "GET")]
    assert row["queries_per_request"] == len(made)


def test_the_flush_happens_in_the_first_request_of_a_new_minute(counter):
    manager = api_client("Manager")
    manager.get("/api/incidents")
    assert not RouteUsage.objects.exists()

    with (
        time_machine.travel(MONDAY + timedelta(minutes=1), tick=False),
        CaptureQueriesContext(connection) as made,
    ):
        manager.get("/api/incidents")

    assert usage_tables_touched(made.captured_queries)  # this one request wrote
    assert stored_requests() == 2  # both


def test_latency_percentiles_come_from_the_summed_bands(counter):
    # 6 answers in 3 ms (band 0-5 ms), 3 in 40 ms (25-50 ms), 1 in 700 ms (500-1000 ms).
    for seconds in [0.003] * 6 + [0.040] * 3 + [0.700]:
        record("/api/incidents", seconds=seconds)
    record("/api/incidents", seconds=0.003, status=503, method="post")
    counter.flush()

    row = by_route(report())[("api/incidents", "GET")]
    # By hand, interpolating inside the band that holds the rank (as histogram_quantile):
    # p50: rank 5 of 10, in band 0-5 ms holding 6: 0 + 5 * 5/6.
    assert row["p50_ms"] == pytest.approx(5 * 5 / 6)
    # p95: rank 9.5; 9 answers are at most 50 ms; the last band 500-1000 ms holds 1:
    # 500 + 500 * 0.5/1.
    assert row["p95_ms"] == pytest.approx(750)
    assert row["queries_per_request"] == 2
    post = by_route(report())[("api/incidents", "POST")]
    assert (post["requests"], post["error_rate"]) == (1, 1)
    totals = report()["totals"]
    assert (totals["requests"], totals["error_rate"]) == (11, pytest.approx(1 / 11))


def test_an_unknown_method_and_an_unresolved_path_stay_bounded(counter):
    request = RequestFactory().generic("BREW", "/api/incidents/42/whatever")
    usage.usage_record(request, HttpResponse(status=405), 0.001, 0)
    counter.flush()

    assert by_route(report())[(usage.UNMATCHED, "OTHER")]["requests"] == 1


@pytest.mark.parametrize(
    ("pattern", "route"),
    [
        ("api/incidents/(?P<pk>[^/.]+)/acknowledge/?$", "api/incidents/<pk>/acknowledge"),
        ("api/incidents/?\\.(?P<format>[a-z0-9]+)/?$", "api/incidents.<format>"),
        (
            "admin/incidents/incident/<path:object_id>/change/",
            "admin/incidents/incident/<object_id>/change/",
        ),
        ("respond/<str:token>", "respond/<token>"),
    ],
)
def test_a_route_is_the_url_pattern_without_ids(pattern, route):
    assert usage.route_name(pattern) == route


# --- active users -----------------------------------------------------------------------


def test_active_users_per_day_and_per_iso_week(counter):
    ana, bob = api_client("Viewer"), api_client("Viewer")
    sunday = MONDAY - timedelta(days=1)
    for day, clients in (
        (sunday, [ana, ana]),
        (MONDAY, [ana, bob]),
        (MONDAY + timedelta(days=1), [bob]),
    ):
        with time_machine.travel(day, tick=False):
            for client in clients:
                assert client.get("/api/incidents").status_code == 200
    Client().get("/api/incidents")  # anonymous: a request, not a user
    counter.flush()

    active = report()["active_users"]
    assert active["per_day"] == [
        {"day": date(2026, 11, 22), "users": 1},
        {"day": date(2026, 11, 23), "users": 2},
        {"day": date(2026, 11, 24), "users": 1},
    ]
    assert active["per_week"] == [
        {"week": date(2026, 11, 16), "users": 1},
        {"week": date(2026, 11, 23), "users": 2},  # distinct over the week, not 3
    ]
    assert report()["totals"]["active_users"] == 2
    assert ActiveUser.objects.count() == 4


# --- feature use ------------------------------------------------------------------------


def respond_link(incident, user, action):
    return f"/respond/{respond_token(incident_id=incident.pk, action=action, user_id=user.pk)}"


def press_the_button(client, url):
    page = client.get(url)
    confirm = re.search(r'name="confirm" value="([^"]+)"', page.content.decode())
    return client.post(url, {"confirm": unescape(confirm.group(1))})


def test_acknowledge_and_resolve_are_counted_by_channel(counter):
    service = ServiceFactory()
    by_api, in_admin, bulk, by_link = (open_incident(service) for _ in range(4))
    api, admin = api_client("Responder"), admin_client("Responder")

    assert api.post(f"/api/incidents/{by_api.pk}/acknowledge").status_code == 200
    assert api.post(f"/api/incidents/{by_api.pk}/resolve", {"note": "ok"}).status_code == 200
    assert api.post(f"/api/incidents/{by_api.pk}/acknowledge").status_code == 409  # refused

    lifecycle = f"/admin/incidents/incident/{in_admin.pk}/lifecycle"
    assert admin.post(f"{lifecycle}/acknowledge/").status_code == 302
    admin.post(f"{lifecycle}/note/", {"lifecycle_note": "looking"})  # not a feature here
    admin.post("/admin/incidents/incident/", {"action": "resolve_selected", "index": 0})  # none
    assert (
        admin.post(
            "/admin/incidents/incident/",
            {"action": "resolve_selected", "_selected_action": [bulk.pk, in_admin.pk], "index": 0},
        ).status_code
        == 302
    )
    assert admin.post(f"{lifecycle}/acknowledge/").status_code == 302  # refused: resolved
    in_admin.refresh_from_db()
    assert in_admin.status == "resolved"

    url = respond_link(by_link, UserFactory(roles=["Responder"]), "acknowledge")
    assert press_the_button(Client(), url).status_code == 200
    assert Client().post(url).status_code >= 400  # used already: not a use

    counter.flush()
    assert report()["features"] == [
        {"feature": "acknowledge", "channel": "admin", "count": 1},
        {"feature": "acknowledge", "channel": "api", "count": 1},
        {"feature": "acknowledge", "channel": "email_link", "count": 1},
        {"feature": "resolve", "channel": "admin", "count": 1},
        {"feature": "resolve", "channel": "api", "count": 1},
    ]


def test_review_exports_are_counted_from_the_admin_and_the_api(counter):
    responder = UserFactory(roles=["Responder"])
    incident = open_incident(severity="SEV1")
    incident_services.incident_acknowledge(incident=incident, by=responder)
    incident_services.incident_resolve(incident=incident, by=responder, note="rolled back")
    review = incident.review
    client = admin_client("Viewer")
    export = f"/api/reviews/{review.pk}/export?format=md"

    from_admin = client.get(
        export, HTTP_REFERER=f"http://testserver/admin/incidents/postincidentreview/{review.pk}/"
    )
    assert from_admin.status_code == 200
    assert api_client("Viewer").get(export).status_code == 200
    assert api_client("Viewer").get(export).status_code == 200
    assert client.get(f"/api/reviews/{review.pk}/export?format=doc").status_code == 400
    counter.flush()

    assert report()["features"] == [
        {"feature": "export", "channel": "api", "count": 2},
        {"feature": "export", "channel": "admin", "count": 1},
    ]
    assert report()["totals"]["feature_uses"] == 3


def test_generating_a_report_is_counted_once_the_route_exists():
    request = RequestFactory().post("/api/insights/reports/generate")
    request.resolver_match = ResolverMatch(
        lambda r: None, (), {}, url_name="report-generate", route="api/insights/reports/generate"
    )

    assert usage.feature_of(request, HttpResponse(status=201)) == ("report", "api")
    assert usage.feature_of(request, HttpResponse(status=400)) is None


# --- the writes -------------------------------------------------------------------------


def test_two_processes_flushes_add_up():
    hour = datetime(2026, 11, 23, 10, tzinfo=UTC)
    user = UserFactory()
    day = hour.date()
    web_1 = {"routes": {(hour, "api/incidents", "GET", 3): (5, 1, 0, 20)}}
    web_2 = {"routes": {(hour, "api/incidents", "GET", 3): (2, 0, 1, 8)}}

    services.usage_counts_add(
        **web_1, active={(day, user.pk)}, features={(day, "acknowledge", "api"): 2}
    )
    services.usage_counts_add(
        **web_2, active={(day, user.pk)}, features={(day, "acknowledge", "api"): 1}
    )

    row = RouteUsage.objects.get()
    assert (row.requests, row.client_errors, row.server_errors, row.queries) == (7, 1, 1, 28)
    assert (row.hour, row.latency_band) == (hour, 3)
    assert ActiveUser.objects.get().user == user
    assert FeatureUse.objects.get().count == 3


def test_a_failed_flush_keeps_the_counts_and_never_breaks_the_answer(counter):
    manager = api_client("Manager")
    manager.get("/api/incidents")
    with (
        time_machine.travel(MONDAY + timedelta(minutes=1), tick=False),
        connection.execute_wrapper(failing("analytics_routeusage", OperationalError)),
    ):
        assert manager.get("/api/incidents").status_code == 200
    assert not RouteUsage.objects.exists()

    counter.flush()
    assert stored_requests() == 2


def test_a_failing_recorder_never_breaks_the_answer(counter):
    def broken(request, response, seconds, queries):
        raise RuntimeError("bug")

    traffic.register(broken)
    try:
        assert api_client("Viewer").get("/api/incidents").status_code == 200
    finally:
        traffic.unregister(broken)
    assert counter.flush() == 1  # the recorders after it still ran


def test_prune_deletes_only_what_is_older_than_the_retention(settings):
    settings.USAGE_RETENTION_DAYS = 30
    now = datetime(2026, 11, 23, tzinfo=UTC)
    user = UserFactory()
    for age in (31, 29):
        at = now - timedelta(days=age)
        services.usage_counts_add(
            routes={(at, "api/incidents", "GET", 0): (1, 0, 0, 1)},
            active={(at.date(), user.pk)},
            features={(at.date(), "export", "api"): 1},
        )

    assert services.usage_prune(now=now, batch=1) == 3
    assert RouteUsage.objects.get().hour == now - timedelta(days=29)
    assert ActiveUser.objects.get().day == (now - timedelta(days=29)).date()
    assert FeatureUse.objects.get().day == (now - timedelta(days=29)).date()


# --- the API ----------------------------------------------------------------------------


def test_the_api_reports_the_last_seven_days_by_default(counter):
    viewer = api_client("Viewer")
    viewer.get("/api/incidents")
    counter.flush()

    response = viewer.get(f"{URL}?start=&end=")  # empty: the defaults

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"start", "end", "routes", "active_users", "features", "totals"}
    assert body["routes"][0]["route"] == "api/incidents"
    assert body["active_users"]["per_day"] == [{"day": "2026-11-23", "users": 1}]
    end = datetime.fromisoformat(body["end"])
    assert end - datetime.fromisoformat(body["start"]) == timedelta(days=7)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=yesterday", "start"),
        ("end=2026-13-40", "end"),
        ("start=2026-11-20T00:00:00Z&end=2026-11-19T00:00:00Z", "end"),
        ("start=2025-01-01T00:00:00Z&end=2026-11-01T00:00:00Z", "end"),  # over 400 days
        ("end=0001-01-03T00:00:00Z", "end"),
    ],
)
def test_the_api_refuses_bad_dates_with_a_400(query, field):
    response = api_client("Viewer").get(f"{URL}?{query}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_the_api_needs_a_signed_in_user():
    assert APIClient().get(URL).status_code == 401


def test_the_report_costs_the_same_queries_however_much_it_holds(django_assert_num_queries):
    def fill(n):
        users = [UserFactory() for _ in range(n)]
        for i in range(n):
            hour = MONDAY.replace(minute=0, second=0) - timedelta(hours=i)
            services.usage_counts_add(
                routes={(hour, f"api/route-{i}", "GET", i % 12): (i + 1, 0, 0, 3)},
                active={(hour.date(), users[i].pk)},
                features={(hour.date(), f"feature-{i}", "api"): 1},
            )

    fill(1)
    with django_assert_num_queries(5):
        small = report()
    fill(50)
    with django_assert_num_queries(5):
        large = report()
    assert len(small["routes"]) == 1
    assert len(large["routes"]) == 50


# --- worker memory ----------------------------------------------------------------------


def test_the_worker_memory_task_stores_a_sample():
    worker_memory_record.apply()

    sample = MetricSample.objects.select_related("series").get()
    assert sample.series.name == "vigil_worker_memory_bytes"
    assert set(sample.series.labels) == {"host"}
    assert sample.value > 1024 * 1024  # a Python process holds megabytes


def memory_row(at: datetime, value: float = 2e8) -> dict:
    return {
        "metric": services.WORKER_MEMORY_METRIC,
        "labels": {"host": socket.gethostname()[:200]},
        "timestamp": at.isoformat(),
        "value": value,
    }


def test_the_worker_memory_series_is_in_bytes_and_lower_is_better():
    services.worker_memory_record(now=MONDAY)

    series = MetricSeries.objects.get()
    assert series.name == services.WORKER_MEMORY_METRIC
    assert series.labels == {"host": socket.gethostname()[:200]}
    assert (series.unit, series.higher_is_better) == ("bytes", False)
    assert series.description == WORKER_MEMORY_SERIES["description"]


def test_a_memory_series_left_at_the_defaults_is_set_and_an_operators_choice_kept():
    # Recorded before the series described itself: the defaults (higher is better).
    services.samples_record(rows=[memory_row(MONDAY)])
    series = MetricSeries.objects.get()
    assert (series.unit, series.higher_is_better, series.description) == ("", True, "")
    services.series_update(series=series, description="RSS; Platform team watches it.")

    services.worker_memory_record(now=MONDAY + timedelta(minutes=5))

    series.refresh_from_db()
    assert (series.unit, series.higher_is_better) == ("bytes", False)
    assert series.description == "RSS; Platform team watches it."
    assert series.samples.count() == 2


def test_recording_memory_again_costs_one_query_more_than_storing_the_sample():
    # Every 5 minutes per worker: once the series is described, one read and no write.
    services.worker_memory_record(now=MONDAY)
    series = MetricSeries.objects.get()
    updated_at = series.updated_at
    with CaptureQueriesContext(connection) as sample_only:
        services.samples_record(rows=[memory_row(MONDAY + timedelta(minutes=5))])

    with CaptureQueriesContext(connection) as recording:
        services.worker_memory_record(now=MONDAY + timedelta(minutes=10))

    assert len(recording) == len(sample_only) + 1, [q["sql"] for q in recording]
    series.refresh_from_db()
    assert series.updated_at == updated_at
    assert series.samples.count() == 3
