"""Burn-rate alerts open incidents through the incidents services, once per SLO and
severity, and resolve them when nothing burns; an unreadable source pages no one."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from incidents.models import Incident
from observability import services
from observability.models import SLOEvaluation
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 28, 10, 0, tzinfo=UTC)


def traffic(slo, *, start, end, bad_per_minute=0, per_minute=1000):
    minutes = int((end - start).total_seconds() // 60)
    events = [
        {
            "timestamp": start + timedelta(minutes=m + 1),
            "good": per_minute - bad_per_minute,
            "total": per_minute,
        }
        for m in range(minutes)
    ]
    for chunk in range(0, len(events), 10_000):
        services.slo_events_record(slo=slo, events=events[chunk : chunk + 10_000], now=end)


@pytest.fixture
def slo():
    return services.slo_create(
        service=ServiceFactory(name="Checkout"),
        name="Availability",
        target="99.9",
        page_severity="SEV1",
        runbook_url="https://runbooks.example/checkout",
    )


def test_a_fast_burn_opens_one_page_incident_and_it_resolves_when_the_burn_stops(slo):
    traffic(slo, start=NOW - timedelta(days=3), end=NOW - timedelta(hours=1))
    traffic(slo, start=NOW - timedelta(hours=1), end=NOW, bad_per_minute=20)  # 2%: burn 20

    services.slo_evaluations_run(at=NOW)
    services.slo_evaluations_run(at=NOW + timedelta(minutes=1))

    incident = Incident.objects.get()
    assert incident.source == "slo"
    assert incident.severity == "SEV1"
    assert incident.dedup_key == f"slo:{slo.pk}:page"
    assert "20.0x over 1h" in incident.summary
    assert f"/admin/observability/slo/{slo.pk}/change/" in incident.summary
    assert "https://runbooks.example/checkout" in incident.summary
    assert incident.status == "triggered"

    # An hour of clean traffic later, neither page row burns.
    traffic(slo, start=NOW, end=NOW + timedelta(hours=7))
    services.slo_evaluations_run(at=NOW + timedelta(hours=7))

    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert Incident.objects.count() == 1
    assert SLOEvaluation.objects.filter(slo=slo, page=True).count() == 2


def test_alerting_off_opens_nothing_but_still_records(slo):
    services.slo_update(slo=slo, alerting=False)
    traffic(slo, start=NOW - timedelta(hours=2), end=NOW, bad_per_minute=20)

    services.slo_evaluations_run(at=NOW)

    assert not Incident.objects.exists()
    assert SLOEvaluation.objects.get().page is True


def test_a_slow_burn_opens_a_ticket_at_the_ticket_severity(slo):
    traffic(slo, start=NOW - timedelta(days=2), end=NOW, bad_per_minute=4)  # burn 4

    services.slo_evaluations_run(at=NOW)

    incident = Incident.objects.get()
    assert incident.dedup_key == f"slo:{slo.pk}:ticket"
    assert incident.severity == "SEV4"


@pytest.fixture
def prometheus_error_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(
                {"status": "error", "errorType": "bad_data", "error": "parse error at char 4"}
            ).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("where", ["unreachable", "error"])
def test_an_unreadable_prometheus_makes_the_slo_unknown_and_pages_no_one(
    where, prometheus_error_server
):
    url = "http://127.0.0.1:1" if where == "unreachable" else prometheus_error_server
    slo = services.slo_create(
        service=ServiceFactory(),
        name="Latency",
        target="99",
        source="prometheus",
        prometheus_url=url,
        good_query='sum(increase(http_requests_total{code!~"5.."}[{{window}}]))',
        total_query="sum(increase(http_requests_total[{{window}}]))",
    )

    services.slo_evaluations_run(at=NOW)

    evaluation = SLOEvaluation.objects.get(slo=slo)
    assert evaluation.state == "unknown"
    expected = "unreachable" if where == "unreachable" else "parse error at char 4"
    assert expected in evaluation.reason
    assert not Incident.objects.exists()
