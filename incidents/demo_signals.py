"""The alerts behind the demo history's alert-sourced incidents, as each integration's
sender would have delivered them.

History cannot run through ``alerts_ingest``: it stamps what it writes with the present.
So each sender's payload is built as the sender writes it, parsed by the ingest code
(fingerprints and group keys as it computes them), and stored by the ingest store with
the time it arrived, each delivery with the timeline entry ingestion writes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max

from incidents.actors import Actor
from incidents.ingest import alertmanager, grafana, pagerduty, store, webhook
from incidents.ingest.types import RESOLVED, AlertGroup
from incidents.models import (
    Alert,
    Incident,
    Integration,
    TimelineKind,
)
from incidents.models.incidents import OPEN_STATUSES
from incidents.services.alerts import dedup_key_for, severity_for
from incidents.services.integrations import integration_mark_received

# What goes wrong (the incident's title after the service's name): the alert rule that
# fires for it, its Prometheus job, and how many instances fire at most at once.
ALERT_RULES = {
    "Elevated 5xx rate": ("HighErrorRate", "http", 3),
    "p99 latency above SLO": ("HighLatencyP99", "http", 2),
    "Error budget burning fast": ("ErrorBudgetBurnFast", "slo", 1),
    "Queue backlog growing": ("QueueBacklogGrowing", "worker", 2),
    "Database connection pool exhausted": ("DBConnectionPoolExhausted", "postgres", 4),
    "Certificate expiring": ("CertificateExpiringSoon", "blackbox", 1),
    "Pods crash-looping after deploy": ("KubePodCrashLooping", "kube-state-metrics", 6),
    "Third-party dependency timing out": ("UpstreamTimeouts", "http", 3),
    "Disk usage above 90%": ("NodeDiskAlmostFull", "node", 1),
    "Memory leak suspected": ("ProcessMemoryGrowing", "process", 2),
    "Cache hit ratio dropped": ("CacheHitRatioLow", "redis", 1),
}
# The severity each sender writes for an incident's severity (the integrations' default
# mapping reads them back as the same SEV).
SEVERITY_WORDS = {
    "alertmanager": {"SEV1": "critical", "SEV2": "error", "SEV3": "warning", "SEV4": "info"},
    "pagerduty": {"SEV1": "critical", "SEV2": "error", "SEV3": "warning", "SEV4": "info"},
    "webhook": {"SEV1": "critical", "SEV2": "high", "SEV3": "medium", "SEV4": "low"},
}
SEVERITY_WORDS["grafana"] = SEVERITY_WORDS["alertmanager"]
PARSERS = {
    "alertmanager": alertmanager.parse,
    "grafana": grafana.parse,
    "pagerduty": lambda payload: [pagerduty.parse_event(payload)],
    "webhook": webhook.parse,
}
DECISIONS = {
    "opened": "opened this incident",
    "joined": "grouped into this open incident (same group)",
    "joined-closed": "filed with this incident (its group's latest; no incident is open)",
}


def _time(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class AlertSignal:
    """The alerts behind one alert-sourced incident: which integration sent them, and
    the firing deliveries as the ingest code parsed them."""

    integration: Integration
    rule: str
    severity: str
    instances: tuple[str, ...]
    started_at: datetime
    firing: tuple[tuple[datetime, AlertGroup], ...]

    @property
    def actor(self) -> Actor:
        return Actor.integration(self.integration.name)

    @property
    def group(self) -> AlertGroup:
        return self.firing[0][1]

    @property
    def dedup_key(self) -> str:
        return dedup_key_for(self.group.key)


def alert_signal(rng, *, integrations, service, rule, severity, at) -> AlertSignal:
    """The firing alerts that open an incident on ``service`` at ``at``. A rule whose
    group already has an open incident would join it, not open one: the next rule fires."""
    integration = rng.choice(integrations)
    rules = list(ALERT_RULES)
    for shift in range(len(rules)):
        candidate = rules[(rules.index(rule) + shift) % len(rules)]
        signal = _signal(rng, integration, service, candidate, severity, at)
        if not Incident.objects.filter(
            service=service, dedup_key=signal.dedup_key, status__in=OPEN_STATUSES
        ).exists():
            return signal
    raise RuntimeError(f"every alert rule of {service.slug} has an open incident")


def _signal(rng, integration, service, rule, severity, at) -> AlertSignal:
    most = ALERT_RULES[rule][2]
    count = rng.randint(1, most)
    hosts = rng.sample(range(1, 13), count)
    instances = tuple(f"{service.slug}-{n}.prod.internal:9100" for n in sorted(hosts))
    started_at = at - timedelta(seconds=rng.randint(60, 300))  # the rule's "for" and group_wait
    draft = AlertSignal(integration, rule, severity, instances, started_at, firing=())
    if integration.kind == "pagerduty":
        # One trigger event per alert, the later ones a little after the first.
        times = [at + timedelta(seconds=30 * i + rng.randint(0, 20)) for i in range(count)]
        times[0] = at
        payloads = [(t, _pagerduty(draft, service, "trigger", i, t)) for i, t in enumerate(times)]
    else:
        payloads = [(at, _payload(draft, service, firing=True, at=at))]
    firing = tuple(
        (when, group) for when, payload in payloads for group in PARSERS[integration.kind](payload)
    )
    return AlertSignal(integration, rule, severity, instances, started_at, firing)


def resolved_groups(signal: AlertSignal, service, at) -> list[AlertGroup]:
    if signal.integration.kind == "pagerduty":
        return PARSERS["pagerduty"](_pagerduty(signal, service, "resolve", 0, at))
    return PARSERS[signal.integration.kind](_payload(signal, service, firing=False, at=at))


def _labels(signal, service, instance) -> dict:
    alertname, job, _ = ALERT_RULES[signal.rule]
    return {
        "alertname": alertname,
        "severity": SEVERITY_WORDS[signal.integration.kind][signal.severity],
        "job": job,
        "instance": instance,
        "service": service.slug,
        "env": "prod",
    }


def _payload(signal, service, *, firing, at) -> dict:
    """An Alertmanager (webhook v4), Grafana or generic webhook body for the group."""
    kind, title = signal.integration.kind, f"{service.name}: {signal.rule}"
    alertname = ALERT_RULES[signal.rule][0]
    description = f"{alertname} on {len(signal.instances)} instance(s) of {service.name}."
    status = "firing" if firing else "resolved"
    ended = _time(at - timedelta(seconds=60)) if not firing else "0001-01-01T00:00:00Z"
    if kind == "webhook":
        return {
            "alerts": [
                {
                    "title": title,
                    "status": status,
                    "dedup_key": f"{service.slug}/{alertname}",
                    "severity": SEVERITY_WORDS[kind][signal.severity],
                    "summary": description,
                    "labels": _labels(signal, service, instance),
                    "links": [{"href": f"https://airflow.example.com/{alertname}", "text": "DAG"}],
                    "starts_at": _time(signal.started_at),
                }
                for instance in signal.instances
            ]
        }
    alerts = [
        {
            "status": status,
            "labels": _labels(signal, service, instance),
            "annotations": {"summary": title, "runbook_url": service.runbook_url},
            "startsAt": _time(signal.started_at),
            "endsAt": ended,
            "generatorURL": f"https://prometheus.example.com/graph?g0.expr={alertname}",
        }
        for instance in signal.instances
    ]
    common = _labels(signal, service, signal.instances[0])
    if len(signal.instances) > 1:
        del common["instance"]
    group_labels = {"alertname": alertname, "service": service.slug}
    group_key = "{}:{" + ", ".join(f'{k}="{v}"' for k, v in group_labels.items()) + "}"
    payload = {
        "version": "4",
        "receiver": "vigil",
        "status": status,
        "groupKey": group_key,
        "groupLabels": group_labels,
        "commonLabels": common,
        "commonAnnotations": {"summary": title, "description": description},
        "externalURL": "https://alertmanager.example.com",
        "alerts": alerts,
    }
    if kind == "grafana":
        folder = {"grafana_folder": service.name}
        payload["groupKey"] = '{}/{__grafana_autogenerated__="true"}:' + group_key[3:]
        payload["commonLabels"] |= folder
        for alert in alerts:
            alert["labels"] |= folder
            alert["generatorURL"] = f"https://grafana.example.com/alerting/grafana/{alertname}"
        payload["title"] = f"[{status.upper()}:{len(alerts)}] {title}"
        payload["message"] = description
    return payload


def _pagerduty(signal, service, action, index, at) -> dict:
    alertname, job, _ = ALERT_RULES[signal.rule]
    event = {"event_action": action, "dedup_key": f"{service.slug}/{alertname}"}
    if action == "trigger":
        event["payload"] = {
            "summary": f"{service.name}: {signal.rule}",
            "source": signal.instances[index],
            "severity": SEVERITY_WORDS["pagerduty"][signal.severity],
            "component": service.slug,
            "group": job,
            "class": alertname,
            "timestamp": _time(at),
        }
    return event


def alerts_store(
    signal: AlertSignal, incident: Incident, deliveries, *, decision: str | None = None
) -> None:
    """Store ``deliveries`` ((received at, group) pairs) for ``incident`` as ingestion
    stores them, each with its timeline entry. The first firing delivery opened the
    incident; later ones joined it while open, or were filed with it once resolved."""
    integration, actor = signal.integration, signal.actor
    for index, (at, group) in enumerate(deliveries):
        why = decision or ("opened" if index == 0 else "joined")
        firing = sum(1 for alert in group.alerts if alert.status != RESOLVED)
        named = ", ".join(f"{a.summary or a.fingerprint} ({a.status})" for a in group.alerts[:5])
        more = len(group.alerts) - 5
        rows = [
            {
                "integration_id": integration.pk,
                "incident_id": incident.pk,
                "fingerprint": alert.fingerprint,
                "group_key": group.key,
                "status": alert.status,
                "summary": alert.summary,
                "severity": severity_for(integration, alert.severity_value),
                "labels": alert.labels,
                "annotations": alert.annotations,
                "starts_at": alert.starts_at,
                "ends_at": alert.ends_at,
                "source_url": alert.source_url,
                "raw": alert.raw,
                "received_at": at,
            }
            for alert in group.alerts
        ]
        timeline = {
            "incident_id": incident.pk,
            "kind": TimelineKind.ALERT,
            "actor_name": actor.name,
            "message": (
                f"{len(group.alerts)} alert(s) from {integration.name}: {firing} firing, "
                f"{len(group.alerts) - firing} resolved; {DECISIONS[why]}. {named}"
                + (f" and {more} more" if more > 0 else "")
            ),
            "data": {
                "integration": integration.pk,
                "group_key": group.key,
                "decision": why,
                "firing": firing,
                "resolved": len(group.alerts) - firing,
                "fingerprints": [a.fingerprint for a in group.alerts],
            },
            "at": at,
        }
        store.alerts_insert(rows, timeline=timeline)


def integrations_mark_received(integrations) -> None:
    """Each integration last received when its latest alert arrived."""
    latest = dict(
        Alert.objects.filter(integration__in=integrations)
        .values("integration")
        .annotate(at=Max("received_at"))
        .values_list("integration", "at")
    )
    for integration in integrations:
        if integration.pk in latest:
            integration_mark_received(integration=integration, now=latest[integration.pk])
