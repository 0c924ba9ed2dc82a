"""Incident events told to other tools through outgoing webhooks."""

from webhooks.services import webhook_event_publish

INCIDENT_EVENTS = {
    "triggered": "An incident opened (or reopened).",
    "acknowledged": "Someone is on it.",
    "mitigated": "The impact is contained.",
    "resolved": "The incident is over.",
    "closed": "Follow-up finished.",
    "severity_changed": "The incident's severity changed.",
}


def incident_event_publish(*, incident, event: str, data: dict | None = None) -> None:
    """Record ``event`` for the webhooks that want it, in the caller's transaction."""
    webhook_event_publish(
        event=event,
        subject=f"incident:{incident.pk}",
        service_id=incident.service_id,
        payload={
            "incident": {
                "id": incident.pk,
                "reference": incident.reference,
                "title": incident.title,
                "status": incident.status,
                "severity": incident.severity,
                "service_id": incident.service_id,
            },
            **({"data": data} if data else {}),
        },
    )
