"""The performance report on a fixed week of usage counts (written as the web processes
write them), worker memory samples and the platform's own SLOs: its figures against
numbers worked out by hand, against GET /api/analytics/usage and
GET /api/slos/<id>/status for the same period, through the report service, and as text
in its PDF."""

import io
import os
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from rest_framework.test import APIClient

from analytics import services as analytics_services
from analytics.services.benchmarks import MIB
from insights import services
from insights.models import ReportStatus
from insights.reports.document import Period
from insights.reports.kinds import performance
from insights.reports.render import report_html, report_pdf
from observability.models import SLO
from observability.platform import AVAILABILITY, LATENCY, platform_slos_install
from observability.services import slo_minutes_add
from observability.slo_math import unix_minute
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _pango_missing() -> bool:
    try:
        import weasyprint  # noqa: F401  (loads Pango when imported)
    except OSError:
        return True
    return False


PANGO_MISSING = _pango_missing()
if PANGO_MISSING and os.environ.get("CI"):
    raise RuntimeError("CI must install Pango for WeasyPrint (see .ci/run)")
needs_pango = pytest.mark.skipif(PANGO_MISSING, reason="Pango is not installed")

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
END = datetime(2026, 11, 9, tzinfo=UTC)
PERIOD = Period(START, END)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


@pytest.fixture
def traffic():
    """Latency bands: 1 is 5-10 ms, 2 is 10-25, 3 is 25-50, 4 is 50-100, 6 is 250-500,
    7 is 500-1000, 9 is 2500-5000. Only the routes under api/ make the built-in latency
    and queries metrics; every route makes the usage figures."""
    analytics_services.usage_counts_add(
        routes={
            # (hour, route, method, band): (requests, 4xx, 5xx, queries)
            (at(2, 10), "api/incidents", "GET", 2): (18, 0, 0, 90),
            (at(2, 10), "api/incidents", "GET", 7): (2, 0, 1, 10),
            (at(2, 11), "api/incidents/<pk>", "GET", 3): (10, 1, 0, 30),
            (at(3, 10), "api/incidents", "GET", 4): (10, 0, 0, 50),
            (at(3, 10), "admin/incidents/incident/", "GET", 6): (12, 0, 0, 240),
            (at(4, 9), "v2/enqueue", "POST", 1): (30, 0, 2, 30),
            (at(4, 9), "api/analytics/trends", "GET", 9): (3, 0, 0, 12),
            # Outside: the hour before the period and the hour at its end.
            (at(1, 23), "api/incidents", "GET", 9): (500, 0, 500, 5000),
            (at(9, 0), "api/incidents", "GET", 9): (500, 0, 500, 5000),
        },
        active=set(),
        features={},
    )


@pytest.fixture
def memory():
    def sample(host, when, mib):
        return {
            "metric": "vigil_worker_memory_bytes",
            "labels": {"host": host},
            "timestamp": when.isoformat(),
            "value": mib * MIB,
        }

    analytics_services.samples_record(
        rows=[
            sample("worker-a", at(3, 0), 300),
            sample("worker-a", at(8, 12), 320),
            sample("worker-b", at(5, 0), 200),
            sample("worker-b", at(8, 11), 250),
            sample("worker-a", at(9, 0), 900),  # at the end: outside
            sample("worker-b", at(1, 0), 1000),  # before the start
        ]
    )


@pytest.fixture
def platform_slos(settings):
    """The platform's two SLOs with a day of traffic before the end: 2 of 1,000 answers
    5xx and 5 of 1,000 slower than 500 ms."""
    settings.PLATFORM_SLOS = True
    platform_slos_install()
    # Installed; the API calls the tests make are not to count as the platform's traffic.
    settings.PLATFORM_SLOS = False
    slos = {slo.name: slo for slo in SLO.objects.filter(service__slug="vigil")}
    minute = unix_minute(END - timedelta(days=1))
    slo_minutes_add(slo_id=slos[AVAILABILITY].pk, per_minute={minute: (998, 1000)})
    slo_minutes_add(slo_id=slos[LATENCY].pk, per_minute={minute: (995, 1000)})
    return slos


def test_the_traffic_and_endpoints_are_the_hand_counted_ones(traffic):
    figures = performance.build(PERIOD, {}).figures

    assert figures["traffic"] == {
        "requests": 85,
        # Cumulative bands 30, 48, 58, 68, 80, 82, 85: the 80.75th answer is in
        # 500-1000 ms, 0.75 of its 2 along; the 42.5th in 10-25 ms, 12.5 of its 18.
        "p95_ms": pytest.approx(500 + 500 * 0.75 / 2),
        "p50_ms": pytest.approx(10 + 15 * 12.5 / 18),
        "error_rate": pytest.approx(3 / 85),
        "client_error_rate": pytest.approx(1 / 85),
        "queries_per_request": pytest.approx(462 / 85),
    }
    endpoints = figures["endpoints"]
    assert endpoints["count"] == 5

    def names(rows):
        return [(row["method"], row["route"]) for row in rows]

    assert names(endpoints["busiest"]) == [
        ("GET", "api/incidents"),
        ("POST", "v2/enqueue"),  # as many requests: by route
        ("GET", "admin/incidents/incident/"),
        ("GET", "api/incidents/<pk>"),
        ("GET", "api/analytics/trends"),
    ]
    # Three requests are too few to count among the slowest.
    assert names(endpoints["slowest"]) == [
        ("GET", "api/incidents"),
        ("GET", "admin/incidents/incident/"),
        ("GET", "api/incidents/<pk>"),
        ("POST", "v2/enqueue"),
    ]
    assert [row["p95_ms"] for row in endpoints["slowest"]] == [
        pytest.approx(500 + 500 * 0.5 / 2),  # 28.5th of 18 + 10 + 2
        pytest.approx(250 + 250 * 11.4 / 12),
        pytest.approx(25 + 25 * 9.5 / 10),
        pytest.approx(5 + 5 * 28.5 / 30),
    ]
    assert [(row["route"], row["server_errors"]) for row in endpoints["erroring"]] == [
        ("v2/enqueue", 2),
        ("api/incidents", 1),
    ]
    assert endpoints["erroring_count"] == 2


def test_latency_and_queries_are_judged_against_their_benchmarks(traffic):
    content = performance.build(PERIOD, {})
    latency, queries, memory = content.figures["benchmarks"]

    # Hourly API p95s: 750 (Nov 2 10:00), 48.75 (11:00), 97.5 (Nov 3; the admin's
    # requests are not the API's), 4875 (Nov 4, the three slow trends).
    assert latency["metric"] == "vigil_api_latency_p95_ms"
    assert latency["samples"] == 4
    assert latency["value"] == pytest.approx((750 + 48.75 + 97.5 + 4875) / 4)
    assert (latency["baseline"], latency["target"], latency["status"]) == (500, 200, "below")
    # Hourly API queries per request: 100/20, 30/10, 50/10, 12/3.
    assert queries["value"] == pytest.approx((5 + 3 + 5 + 4) / 4)
    assert (queries["baseline"], queries["target"], queries["status"]) == (20, 10, "exceeds")
    assert memory["samples"] == 0
    assert (memory["value"], memory["status"]) == (None, None)
    assert content.context["latency_chart"].startswith("data:image/svg+xml;base64,")
    assert content.context["queries_chart"].startswith("data:image/svg+xml;base64,")
    assert content.context["memory_chart"] is None
    assert content.figures["queue_backlog"]["recorded"] is False


def test_daily_latency_is_the_mean_of_the_hours(traffic):
    days = [at(day, 0) for day in range(2, 9)]
    times, values = performance._builtin(performance.LATENCY, PERIOD)

    assert performance._daily(times, values, days) == [
        pytest.approx((750 + 48.75) / 2),
        pytest.approx(97.5),
        pytest.approx(4875),
        None,
        None,
        None,
        None,
    ]


def test_worker_memory_per_host_and_its_latest_sample(memory):
    content = performance.build(PERIOD, {})
    figures = content.figures

    assert figures["workers"] == [
        {
            "host": "worker-a",
            "labels": {"host": "worker-a"},
            "samples": 2,
            "latest": 320 * MIB,
            "latest_at": at(8, 12).isoformat(),
            "peak": 320 * MIB,
            "mean": 310 * MIB,
        },
        {
            "host": "worker-b",
            "labels": {"host": "worker-b"},
            "samples": 2,
            "latest": 250 * MIB,
            "latest_at": at(8, 11).isoformat(),
            "peak": 250 * MIB,
            "mean": 225 * MIB,
        },
    ]
    judged = figures["benchmarks"][2]
    assert judged["statistic"] == "latest"
    assert judged["samples"] == 4
    assert (judged["value"], judged["at"]) == (320 * MIB, at(8, 12).isoformat())
    assert judged["status"] == "meets"  # over the 256 MiB target, under the 512 baseline
    assert content.context["memory_chart"].startswith("data:image/svg+xml;base64,")


def test_the_figures_are_what_the_usage_api_answers(traffic, manager):
    figures = performance.build(PERIOD, {}).figures

    answer = manager.get(
        "/api/analytics/usage", {"start": START.isoformat(), "end": END.isoformat()}
    )

    assert answer.status_code == 200, answer.content
    api = answer.json()
    assert figures["traffic"] == {key: api["totals"][key] for key in figures["traffic"]}
    assert figures["endpoints"]["busiest"] == api["routes"][: performance.TOP_ENDPOINTS]
    assert figures["endpoints"]["count"] == len(api["routes"])
    for row in figures["endpoints"]["slowest"]:
        assert row in api["routes"]
    for row in figures["endpoints"]["erroring"]:
        listed = {key: value for key, value in row.items() if key != "server_errors"}
        assert listed in api["routes"]


def test_the_platform_slos_are_their_status_at_the_end(platform_slos, manager):
    rows = {row["name"]: row for row in performance.build(PERIOD, {}).figures["slos"]}

    assert list(rows) == [AVAILABILITY, LATENCY]
    availability, latency = rows[AVAILABILITY], rows[LATENCY]
    assert availability["sli"] == pytest.approx(0.998)
    # 2 bad answers against a budget of 0.1% of 1,000: twice the budget spent.
    assert availability["budget_remaining"] == pytest.approx(1 - 2 / 1)
    assert availability["state"] == "breached"
    assert latency["sli"] == pytest.approx(0.995)
    assert latency["budget_remaining"] == pytest.approx(1 - 5 / 10)
    for name, slo in platform_slos.items():
        answer = manager.get(f"/api/slos/{slo.pk}/status", {"at": END.isoformat()})
        assert answer.status_code == 200, answer.content
        api = answer.json()
        mine = rows[name]
        assert (mine["sli"], mine["budget_remaining"], mine["state"]) == (
            api["sli"],
            api["error_budget"]["remaining_ratio"],
            api["state"],
        )
        assert (mine["burn_rate_1h"], mine["burn_rate_1d"]) == (
            api["burn_rates"]["1h"],
            api["burn_rates"]["1d"],
        )


def test_an_slo_of_another_service_is_not_the_platforms(platform_slos):
    from observability.services import slo_create
    from tests.factories import ServiceFactory

    slo_create(service=ServiceFactory(name="Checkout"), name="Checkout availability", target="99")

    names = [row["name"] for row in performance.build(PERIOD, {}).figures["slos"]]

    assert names == [AVAILABILITY, LATENCY]


def test_the_report_service_stores_the_same_figures(traffic, memory):
    report = services.report_request(kind="performance", start=START, end=END, origin="command")

    report = services.report_generate(report.pk)

    assert report.status == ReportStatus.DONE, report.error
    assert report.title == "Performance report"
    assert report.figures == performance.build(PERIOD, {}).figures


def test_a_quiet_period_says_what_is_missing():
    content = performance.build(PERIOD, {})

    html = report_html("performance", PERIOD, content)

    assert content.figures["traffic"]["requests"] == 0
    assert content.figures["workers"] == content.figures["slos"] == []
    assert "No API requests were counted in this period." in html
    assert "No worker memory samples in this period" in html
    assert "Not recorded." in html


@needs_pango
def test_the_pdf_shows_the_figures(traffic, memory, platform_slos):
    content = performance.build(PERIOD, {})

    pdf = pypdf.PdfReader(io.BytesIO(report_pdf(report_html("performance", PERIOD, content))))

    # Words as read, whatever line a table cell broke them onto.
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert 1 <= len(pdf.pages) <= 4
    for expected in (
        "Performance report",
        "687.5 ms",  # p95 of every request
        "1443 ms",  # the API's typical hourly p95
        "below baseline",
        "4.25 queries",
        "target met",
        "320 MiB",
        "worker-b",
        "api/analytics/trends",
        "Not recorded.",
        "API availability",
        "99.800%",
        "breached",
    ):
        assert expected in text, expected
