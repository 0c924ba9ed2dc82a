"""Incident metrics on /metrics."""

from django.db.models import Count
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

STATE_CHANGES = Counter(
    "incident_state_changes",
    "Incident status changes, by the status moved from and to.",
    ["from_status", "to_status"],
)


ALERTS_RECEIVED = Counter(
    "alerts_received",
    "Alerts accepted from integrations, by integration kind and alert status.",
    ["kind", "status"],
)


def count_alerts(kind: str, groups) -> None:
    for group in groups:
        for alert in group.alerts:
            ALERTS_RECEIVED.labels(kind=kind, status=alert.status).inc()


def count_state_change(from_status: str | None, to_status: str) -> None:
    STATE_CHANGES.labels(from_status=from_status or "none", to_status=to_status).inc()


class OpenIncidentsCollector(Collector):
    """``incidents_open{service,severity}``, counted in the database at scrape time, so
    every web process reports the same truth."""

    def collect(self):
        from incidents.models import Incident
        from incidents.models.incidents import OPEN_STATUSES

        gauge = GaugeMetricFamily(
            "incidents_open",
            "Open incidents (triggered, acknowledged or mitigated).",
            labels=["service", "severity"],
        )
        rows = (
            Incident.objects.filter(status__in=OPEN_STATUSES)
            .values("service__slug", "severity")
            .annotate(count=Count("id"))
            .order_by("service__slug", "severity")
        )
        for row in rows:
            gauge.add_metric([row["service__slug"], row["severity"]], row["count"])
        yield gauge
