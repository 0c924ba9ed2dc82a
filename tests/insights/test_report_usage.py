"""The usage report on a fixed week and a day of usage counts, written as the web
processes write them (``usage_counts_add``): its figures against numbers worked out by
hand, against GET /api/analytics/usage for the same period, through the report service,
and as text in its PDF."""

import io
import os
from datetime import UTC, date, datetime

import pypdf
import pytest
from rest_framework.test import APIClient

from analytics import services as analytics_services
from insights import services
from insights.models import ReportStatus
from insights.reports.document import Period
from insights.reports.kinds import usage
from insights.reports.render import report_html, report_pdf
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
END = datetime(2026, 11, 10, tzinfo=UTC)  # eight days: two ISO weeks
PERIOD = Period(START, END)


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def counted():
    """Usage of the platform, in and around the period. Latency bands: 1 is 5-10 ms,
    2 is 10-25, 4 is 50-100, 5 is 100-250, 6 is 250-500."""
    ana, ben, cleo = (UserFactory(username=name) for name in ("ana", "ben", "cleo"))
    analytics_services.usage_counts_add(
        routes={
            # (hour, route, method, band): (requests, 4xx, 5xx, queries)
            (at(2, 10), "api/incidents", "GET", 2): (8, 0, 0, 40),
            (at(2, 10), "api/incidents", "GET", 4): (2, 1, 0, 10),
            (at(3, 14), "api/incidents/<pk>/acknowledge", "POST", 5): (4, 0, 1, 48),
            (at(4, 9), "admin/incidents/incident/", "GET", 6): (5, 0, 0, 100),
            (at(9, 23), "v2/enqueue", "POST", 1): (6, 0, 0, 6),
            # Outside: the hour before the period and the hour at its end.
            (at(1, 23), "api/incidents", "GET", 2): (100, 0, 0, 100),
            (at(10, 0), "api/incidents", "GET", 2): (50, 0, 50, 50),
        },
        active={
            (date(2026, 11, 2), ana.pk),
            (date(2026, 11, 2), ben.pk),
            (date(2026, 11, 3), ana.pk),
            (date(2026, 11, 6), ana.pk),
            (date(2026, 11, 6), cleo.pk),
            (date(2026, 11, 9), ben.pk),
            (date(2026, 11, 1), cleo.pk),  # outside
            (date(2026, 11, 10), cleo.pk),  # outside
        },
        features={
            (date(2026, 11, 2), "acknowledge", "api"): 3,
            (date(2026, 11, 3), "acknowledge", "email_link"): 2,
            (date(2026, 11, 4), "resolve", "admin"): 1,
            (date(2026, 11, 9), "export", "admin"): 1,
            (date(2026, 11, 1), "resolve", "api"): 9,  # outside
        },
    )


def test_the_figures_are_the_hand_counted_ones(counted):
    figures = usage.build(PERIOD, {}).figures

    totals = figures["totals"]
    assert totals["requests"] == 8 + 2 + 4 + 5 + 6
    assert totals["error_rate"] == pytest.approx(1 / 25)
    assert totals["client_error_rate"] == pytest.approx(1 / 25)
    assert totals["queries_per_request"] == pytest.approx((40 + 10 + 48 + 100 + 6) / 25)
    # Cumulative band counts 6, 14, 16, 20, 25: the median (12.5th) is in 10-25 ms, 6.5
    # of its 8 along; the 95th (23.75th) in 250-500 ms, 3.75 of its 5 along.
    assert totals["p50_ms"] == pytest.approx(10 + 15 * 6.5 / 8)
    assert totals["p95_ms"] == pytest.approx(250 + 250 * 3.75 / 5)
    assert totals["active_users"] == 3
    assert totals["feature_uses"] == 3 + 2 + 1 + 1

    assert figures["days"] == 8
    assert figures["requests_per_day"] == [
        {"day": "2026-11-02", "requests": 10},
        {"day": "2026-11-03", "requests": 4},
        {"day": "2026-11-04", "requests": 5},
        {"day": "2026-11-09", "requests": 6},
    ]
    users = figures["active_users"]
    assert users["per_day"] == [
        {"day": "2026-11-02", "users": 2},
        {"day": "2026-11-03", "users": 1},
        {"day": "2026-11-06", "users": 2},
        {"day": "2026-11-09", "users": 1},
    ]
    assert users["per_week"] == [
        {"week": "2026-11-02", "users": 3},
        {"week": "2026-11-09", "users": 1},
    ]
    assert users["mean_per_day"] == pytest.approx(6 / 8)
    assert users["busiest_day"] == {"day": "2026-11-06", "users": 2}  # the later of two ties

    assert figures["features"] == [
        {"feature": "acknowledge", "channel": "api", "count": 3},
        {"feature": "acknowledge", "channel": "email_link", "count": 2},
        {"feature": "export", "channel": "admin", "count": 1},
        {"feature": "resolve", "channel": "admin", "count": 1},
    ]
    assert figures["areas"] == [
        {"area": "API", "requests": 14},
        {"area": "Event ingestion (PagerDuty API)", "requests": 6},
        {"area": "Admin", "requests": 5},
    ]
    routes = {(row["route"], row["method"]): row for row in figures["routes"]}
    assert list(routes) == [
        ("api/incidents", "GET"),
        ("v2/enqueue", "POST"),
        ("admin/incidents/incident/", "GET"),
        ("api/incidents/<pk>/acknowledge", "POST"),
    ]
    listed = routes[("api/incidents", "GET")]
    assert listed["requests"] == 10
    assert listed["p95_ms"] == pytest.approx(50 + 50 * 1.5 / 2)  # 9.5th of 8 + 2
    assert listed["client_error_rate"] == pytest.approx(0.1)
    assert routes[("api/incidents/<pk>/acknowledge", "POST")]["error_rate"] == 1 / 4
    assert figures["routes_count"] == 4


def test_the_feature_table_lists_every_feature_and_channel(counted):
    context = usage.build(PERIOD, {}).context

    assert context["channel_labels"] == ["API", "Admin", "Email link"]
    assert [(row["feature"], row["counts"], row["total"]) for row in context["feature_rows"]] == [
        ("acknowledge", [3, 0, 2], 5),
        ("resolve", [0, 1, 0], 1),
        ("export", [0, 1, 0], 1),
        ("report", [0, 0, 0], 0),
    ]
    assert context["requests_chart"].startswith("data:image/svg+xml;base64,")
    assert context["users_chart"].startswith("data:image/svg+xml;base64,")


def test_the_figures_are_what_the_usage_api_answers(counted, manager):
    figures = usage.build(PERIOD, {}).figures

    answer = manager.get(
        "/api/analytics/usage", {"start": START.isoformat(), "end": END.isoformat()}
    )

    assert answer.status_code == 200, answer.content
    api = answer.json()
    assert figures["totals"] == api["totals"]
    assert figures["routes"] == api["routes"][: usage.TOP_ROUTES]
    assert figures["features"] == api["features"]
    assert figures["active_users"]["per_day"] == api["active_users"]["per_day"]
    assert figures["active_users"]["per_week"] == api["active_users"]["per_week"]
    assert sum(row["requests"] for row in figures["requests_per_day"]) == api["totals"]["requests"]


def test_the_report_service_stores_the_same_figures(counted):
    report = services.report_request(kind="usage", start=START, end=END, origin="command")

    report = services.report_generate(report.pk)

    assert report.status == ReportStatus.DONE, report.error
    assert report.title == "Usage report"
    assert report.figures == usage.build(PERIOD, {}).figures


def test_a_period_without_usage_reads_as_empty():
    figures = usage.build(PERIOD, {}).figures

    assert figures["totals"]["requests"] == 0
    assert figures["totals"]["p95_ms"] is None
    assert figures["requests_per_day"] == figures["routes"] == figures["areas"] == []
    assert figures["active_users"]["mean_per_day"] == 0
    assert figures["active_users"]["busiest_day"] is None
    html = report_html("usage", PERIOD, usage.build(PERIOD, {}))
    assert "No requests were counted in this period." in html
    assert "Nobody signed in or used an API token in this period." in html


@needs_pango
def test_the_pdf_shows_the_figures(counted):
    content = usage.build(PERIOD, {})

    pdf = pypdf.PdfReader(io.BytesIO(report_pdf(report_html("usage", PERIOD, content))))

    # Words as read, whatever line a table cell broke them onto.
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert 1 <= len(pdf.pages) <= 3
    for expected in (
        "Usage report",
        "2 Nov 2026 \u2013 9 Nov 2026",
        "Requests per day",
        "25",
        "437.5 ms",
        "api/incidents/<pk>/acknowledge",
        "Event ingestion (PagerDuty API)",
        "2026-11-09",
        "Email link",
        "Review export",
    ):
        assert expected in text, expected
