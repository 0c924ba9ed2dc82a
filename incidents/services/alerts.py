"""Alerts in, incidents out: store each delivered alert and decide, per group, which
incident it belongs to.

A whole delivery is one transaction, so a sender is answered 2xx only once everything
is committed, and a failure leaves nothing behind. The queries do not grow with the
number of alerts: one bulk insert per group and one grouping decision per group.
"""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from incidents import metrics
from incidents.actors import Actor
from incidents.ingest import store
from incidents.ingest.pagerduty import ChangeEventData
from incidents.ingest.types import RESOLVED, AlertGroup
from incidents.models import (
    Alert,
    ChangeEvent,
    Incident,
    IncidentSeverity,
    IncidentSource,
    IncidentStatus,
    Integration,
)
from incidents.models.timeline import TimelineKind
from incidents.services.incidents import (
    DuplicateOpenIncident,
    incident_acknowledge,
    incident_change_severity,
    incident_create,
    incident_resolve,
)
from incidents.services.integrations import integration_mark_received

MAX_NAMED_IN_TIMELINE = 5
MAX_FINGERPRINTS_IN_TIMELINE = 50
# The columns a sender's text goes to: longer text is cut to fit, never refused (an
# alert refused for a long title would be lost, or retried for ever).
INCIDENT_TITLE_LENGTH = Incident._meta.get_field("title").max_length
FINGERPRINT_LENGTH = Alert._meta.get_field("fingerprint").max_length
SOURCE_URL_LENGTH = Alert._meta.get_field("source_url").max_length


@dataclass(frozen=True)
class GroupOutcome:
    key: str
    dedup_key: str
    incident: Incident | None
    decision: str  # opened, joined, joined-closed, unmatched
    alerts: int


def dedup_key_for(group_key: str) -> str:
    """The incident's dedup key for a sender's group key (long keys are hashed to fit)."""
    if len(group_key) <= 255:
        return group_key
    return "sha256:" + hashlib.sha256(group_key.encode()).hexdigest()


def severity_for(integration: Integration, value: str) -> str:
    mapping = integration.severity_mapping or {}
    values = {str(k).lower(): v for k, v in (mapping.get("values") or {}).items()}
    severity = values.get((value or "").lower()) or mapping.get("default") or IncidentSeverity.SEV3
    return severity if severity in IncidentSeverity.values else IncidentSeverity.SEV3


@transaction.atomic
def alerts_ingest(*, integration: Integration, groups: list[AlertGroup]) -> list[GroupOutcome]:
    actor = Actor.integration(integration.name)
    now = timezone.now()
    outcomes = [_ingest_group(integration, group, actor, now) for group in groups]
    integration_mark_received(integration=integration, now=now)
    transaction.on_commit(lambda: metrics.count_alerts(integration.kind, groups))
    return outcomes


def _ingest_group(integration, group: AlertGroup, actor, now) -> GroupOutcome:
    dedup_key = dedup_key_for(group.key)
    severities = [severity_for(integration, alert.severity_value) for alert in group.alerts]
    firing_severities = [
        s for s, alert in zip(severities, group.alerts, strict=True) if alert.status != RESOLVED
    ]
    worst = min(firing_severities or severities)  # "SEV1" < "SEV2" < ...

    incident = store.open_incident_locked(integration.service_id, dedup_key)
    decision = "joined"
    if incident is None and group.firing:
        try:
            incident = incident_create(
                service=integration.service,
                title=(group.title.strip() or "Alert")[:INCIDENT_TITLE_LENGTH],
                summary=group.description,
                severity=worst,
                source=IncidentSource.ALERT,
                dedup_key=dedup_key,
                by=actor,
                at=now,
            )
            decision = "opened"
        except DuplicateOpenIncident:
            # Another delivery of this group opened it a moment ago: join it.
            incident = store.open_incident_locked(integration.service_id, dedup_key)
    elif incident is None:
        # Resolved or acknowledged news for a group with no open incident: file it
        # with the group's latest incident, if there ever was one.
        incident = (
            Incident.objects.filter(service_id=integration.service_id, dedup_key=dedup_key)
            .order_by("-triggered_at", "-id")
            .first()
        )
        decision = "joined-closed" if incident else "unmatched"

    incident_id = incident.pk if incident is not None else None
    timeline = _timeline_entry(incident, integration, group, decision, actor, now)
    store.alerts_insert(
        [
            {
                "integration_id": integration.pk,
                "incident_id": incident_id,
                "fingerprint": alert.fingerprint[:FINGERPRINT_LENGTH],
                "group_key": group.key,
                "status": alert.status,
                "summary": alert.summary,
                "severity": severity,
                "labels": alert.labels,
                "annotations": alert.annotations,
                "starts_at": alert.starts_at,
                "ends_at": alert.ends_at,
                "source_url": alert.source_url[:SOURCE_URL_LENGTH],
                "raw": alert.raw,
                "received_at": now,
            }
            for alert, severity in zip(group.alerts, severities, strict=True)
        ],
        timeline=timeline,
    )
    if incident is not None:
        incident = _follow_the_group(incident, integration, group, worst, actor, decision)
    return GroupOutcome(group.key, dedup_key, incident, decision, len(group.alerts))


def _timeline_entry(incident, integration, group, decision, actor, now) -> dict | None:
    """The timeline entry for this delivery: every alert and the grouping decision,
    summarised when many arrive at once."""
    if incident is None:
        return None
    firing = sum(1 for alert in group.alerts if alert.status != RESOLVED)
    resolved = len(group.alerts) - firing
    named = ", ".join(
        f"{alert.summary or alert.fingerprint} ({alert.status})"
        for alert in group.alerts[:MAX_NAMED_IN_TIMELINE]
    )
    more = len(group.alerts) - MAX_NAMED_IN_TIMELINE
    why = {
        "opened": "opened this incident",
        "joined": "grouped into this open incident (same group)",
        "joined-closed": "filed with this incident (its group's latest; no incident is open)",
    }[decision]
    return {
        "incident_id": incident.pk,
        "kind": TimelineKind.ALERT,
        "actor_name": actor.name,
        "message": (
            f"{len(group.alerts)} alert(s) from {integration.name}: {firing} firing, "
            f"{resolved} resolved; {why}. {named}" + (f" and {more} more" if more > 0 else "")
        ),
        "data": {
            "integration": integration.pk,
            "group_key": group.key,
            "decision": decision,
            "firing": firing,
            "resolved": resolved,
            "fingerprints": [a.fingerprint for a in group.alerts][:MAX_FINGERPRINTS_IN_TIMELINE],
        },
        "at": now,
    }


def _follow_the_group(incident, integration, group, worst, actor, decision):
    """What the group's state means for its open incident."""
    if not incident.is_open:
        return incident
    if group.resolved:
        if integration.auto_resolve:
            return incident_resolve(
                incident=incident,
                by=actor,
                note=f"every alert of the group resolved ({integration.name})",
            )
        return incident
    if group.acknowledge:
        # Only a triggered incident can be acknowledged; later ones are further along.
        if incident.status == IncidentStatus.TRIGGERED:
            return incident_acknowledge(incident=incident, by=actor)
        return incident
    if decision == "joined" and worst < incident.severity:
        # A worse alert joined: raise the severity (never lowered automatically).
        return incident_change_severity(incident=incident, severity=worst, by=actor)
    return incident


@transaction.atomic
def change_event_record(*, integration: Integration, change: ChangeEventData) -> ChangeEvent:
    event = ChangeEvent.objects.create(
        service=integration.service,
        integration=integration,
        summary=change.summary,
        source=change.source,
        happened_at=change.happened_at,
        custom_details=change.custom_details,
        links=change.links,
    )
    integration_mark_received(integration=integration)
    return event
