"""Every change to incidents goes through these functions.

Each runs in one transaction holding the incident's row lock, does nothing when
nothing would change, writes one timeline entry per change, and leaves side effects
(metrics now; notifications later) to ``transaction.on_commit``.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Service
from core.errors import Conflict, InvalidInput
from core.services import sequence_next
from incidents import metrics
from incidents.actors import Actor
from incidents.lifecycle import needs_transition
from incidents.models import (
    Incident,
    IncidentSeverity,
    IncidentSource,
    IncidentStatus,
    TimelineEntry,
    TimelineKind,
)
from incidents.models.incidents import OPEN_STATUSES
from incidents.services.escalation import escalation_start
from incidents.services.events import incident_event_publish
from incidents.services.reviews import review_open_on_resolve
from incidents.services.timeline import timeline_record

INCIDENT_SEQUENCE = "incident"
_UNCHANGED = object()


class DuplicateOpenIncident(Conflict):
    code = "duplicate_open_incident"

    def __init__(self, existing: Incident):
        super().__init__(
            f"{existing.reference} is already open for this service and dedup key.",
            fields={"incident": existing.pk, "number": existing.reference},
        )
        self.existing = existing


@transaction.atomic
def incident_create(
    *,
    service: Service,
    title: str,
    severity: str = IncidentSeverity.SEV3,
    summary: str = "",
    source: str = IncidentSource.MANUAL,
    dedup_key: str = "",
    commander=None,
    assignees: Iterable = (),
    by=None,
    at: datetime | None = None,
) -> Incident:
    """Open an incident. With a ``dedup_key`` that already has an open incident on this
    service, raise ``DuplicateOpenIncident`` carrying it (the database decides, so two
    concurrent calls cannot both open one)."""
    actor = Actor.of(by)
    at = at or timezone.now()
    incident = Incident(
        number=sequence_next(name=INCIDENT_SEQUENCE),
        service=service,
        title=title,
        summary=summary,
        severity=severity,
        source=source,
        dedup_key=dedup_key,
        commander=commander,
        triggered_at=at,
        triggered_by=actor.user,
    )
    _validate(incident, ("title", "summary", "severity", "source", "dedup_key"))
    try:
        with transaction.atomic():
            incident.save()
    except IntegrityError:
        existing = _open_duplicate(service, dedup_key)
        if existing is None:
            raise
        raise DuplicateOpenIncident(existing) from None
    assignees = list(assignees)
    if assignees:
        incident.assignees.set(assignees)
    timeline_record(
        incident=incident,
        kind=TimelineKind.CREATED,
        message=f"{incident.reference} opened ({severity}) by {actor.name}: {title}",
        by=actor,
        data={"severity": severity, "source": source, "dedup_key": dedup_key},
        at=at,
    )
    _on_commit_count(None, IncidentStatus.TRIGGERED)
    escalation_start(incident=incident, at=at)
    incident_event_publish(incident=incident, event="triggered")
    return incident


def _validate(incident: Incident, fields) -> None:
    """The model's rules for ``fields`` (lengths, choices). Relations and the open-incident
    constraint are the database's to check: no query on the ingestion path."""
    incident.clean_fields(
        exclude=[f.name for f in Incident._meta.concrete_fields if f.name not in fields]
    )


def _open_duplicate(service, dedup_key) -> Incident | None:
    if not dedup_key:
        return None
    return Incident.objects.filter(
        service=service, dedup_key=dedup_key, status__in=OPEN_STATUSES
    ).first()


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _on_commit_count(from_status, to_status):
    transaction.on_commit(lambda: metrics.count_state_change(from_status, to_status))


def _move(incident, *, target, by, at, kind, message, changes=None, data=None) -> Incident:
    """Move a locked ``incident`` to ``target`` (already checked), with its timeline entry.
    Leaving ``triggered`` stops the escalation; coming back to it starts a new one."""
    previous = incident.status
    incident.status = target
    if target != IncidentStatus.TRIGGERED:
        incident.escalation_next_at = None
    for field, value in (changes or {}).items():
        setattr(incident, field, value)
    incident.save()
    timeline_record(
        incident=incident,
        kind=kind,
        message=message,
        by=by,
        data={"from": previous, "to": target, **(data or {})},
        at=at,
    )
    _on_commit_count(previous, target)
    if target == IncidentStatus.TRIGGERED:
        escalation_start(incident=incident, at=at)
    incident_event_publish(incident=incident, event=target, data={"from": previous})
    return incident


def _step(incident, target, by, at, message, *, changes=None, data=None) -> Incident:
    """A forward move (acknowledge, mitigate, resolve, close): lock, check, stamp
    ``<status>_at``/``<status>_by``, record. A no-op when the incident is already there.
    ``message`` turns the actor's name into the timeline message."""
    incident = _locked(incident)
    if not needs_transition(incident.status, target):
        return incident
    actor, at = Actor.of(by), at or timezone.now()
    return _move(
        incident,
        target=target,
        by=actor,
        at=at,
        kind=target,  # the timeline kinds of these moves are named after the statuses
        message=message(actor.name),
        changes={f"{target}_at": at, f"{target}_by": actor.user, **(changes or {})},
        data=data,
    )


def _noted(message: str, note: str) -> str:
    return f"{message}: {note}" if note else message


def _note_data(note: str) -> dict | None:
    return {"note": note} if note else None


@transaction.atomic
def incident_acknowledge(
    *, incident: Incident, by, note: str = "", at: datetime | None = None
) -> Incident:
    """Acknowledge, with an optional ``note`` on the same timeline entry. A person who
    acknowledges (not the system or an integration) becomes an assignee, as in
    PagerDuty: whoever said "I'm on it" is on it."""
    incident = _locked(incident)
    previous = incident.status
    incident = _step(
        incident,
        IncidentStatus.ACKNOWLEDGED,
        by,
        at,
        lambda actor: _noted(f"Acknowledged by {actor}", note),
        data=_note_data(note),
    )
    actor = Actor.of(by)
    if incident.status != previous and actor.user is not None:
        _assignee_add(incident, actor, at=incident.acknowledged_at)
    return incident


def _assignee_add(incident: Incident, actor: Actor, *, at: datetime) -> None:
    """Add ``actor``'s user to the (locked) incident's assignees, recorded as
    ``incident_assign`` records it; nothing when they are assigned already."""
    current = list(incident.assignees.all())
    if any(user.pk == actor.user.pk for user in current):
        return
    incident.assignees.add(actor.user)
    names = sorted(user.get_username() for user in [*current, actor.user])
    timeline_record(
        incident=incident,
        kind=TimelineKind.ASSIGNED,
        message=f"{actor.name} set assignees: {', '.join(names)} (by acknowledging)",
        by=actor,
        data={"assignees": names, "added": actor.name, "via": "acknowledge"},
        at=at,
    )


@transaction.atomic
def incident_mitigate(
    *, incident: Incident, by, note: str = "", at: datetime | None = None
) -> Incident:
    return _step(
        incident,
        IncidentStatus.MITIGATED,
        by,
        at,
        lambda actor: _noted(f"Mitigated by {actor}: impact has stopped", note),
        data=_note_data(note),
    )


@transaction.atomic
def incident_resolve(
    *, incident: Incident, by, note: str = "", at: datetime | None = None
) -> Incident:
    """Resolve; an incident of a reviewed severity gets its draft review (once)."""
    incident = _locked(incident)
    previous = incident.status
    incident = _step(
        incident,
        IncidentStatus.RESOLVED,
        by,
        at,
        lambda actor: _noted(f"Resolved by {actor}", note),
        changes={"resolution_note": note},
        data=_note_data(note),
    )
    if incident.status == IncidentStatus.RESOLVED and previous != IncidentStatus.RESOLVED:
        review_open_on_resolve(incident=incident, by=by)
    return incident


@transaction.atomic
def incident_close(
    *, incident: Incident, by, note: str = "", at: datetime | None = None
) -> Incident:
    return _step(
        incident,
        IncidentStatus.CLOSED,
        by,
        at,
        lambda actor: _noted(f"Closed by {actor}", note),
        data=_note_data(note),
    )


@transaction.atomic
def incident_reopen(
    *, incident: Incident, by, reason: str = "", at: datetime | None = None
) -> Incident:
    """Back to triggered. The acknowledge/mitigate/resolve times of the last round are
    cleared (they stay on the timeline), so the incident is worked again from the start.
    The one-open-incident rule applies: reopening while another incident with the same
    dedup key is open raises ``DuplicateOpenIncident``."""
    incident = _locked(incident)
    if not needs_transition(incident.status, IncidentStatus.TRIGGERED):
        return incident
    actor, at = Actor.of(by), at or timezone.now()
    cleared = {
        f"{step}_{suffix}": None
        for step in ("acknowledged", "mitigated", "resolved")
        for suffix in ("at", "by")
    }
    try:
        with transaction.atomic():
            return _move(
                incident,
                target=IncidentStatus.TRIGGERED,
                by=actor,
                at=at,
                kind=TimelineKind.REOPENED,
                message=_noted(f"Reopened by {actor.name}", reason),
                changes={**cleared, "resolution_note": ""},
                data={"reason": reason} if reason else None,
            )
    except IntegrityError:
        existing = _open_duplicate(incident.service, incident.dedup_key)
        if existing is None:
            raise
        raise DuplicateOpenIncident(existing) from None


@transaction.atomic
def incident_change_severity(
    *, incident: Incident, severity: str, by, at: datetime | None = None
) -> Incident:
    incident = _locked(incident)
    if incident.severity == severity:
        return incident
    actor, previous = Actor.of(by), incident.severity
    incident.severity = severity
    incident.save(update_fields=["severity", "updated_at"])
    timeline_record(
        incident=incident,
        kind=TimelineKind.SEVERITY_CHANGED,
        message=f"Severity changed from {previous} to {severity} by {actor.name}",
        by=actor,
        data={"from": previous, "to": severity},
        at=at,
    )
    incident_event_publish(incident=incident, event="severity_changed", data={"from": previous})
    return incident


@transaction.atomic
def incident_update(
    *, incident: Incident, by, title: str | None = None, summary: str | None = None
) -> Incident:
    """Change the title and/or summary."""
    incident = _locked(incident)
    changes = {
        field: value
        for field, value in (("title", title), ("summary", summary))
        if value is not None and getattr(incident, field) != value
    }
    if not changes:
        return incident
    actor = Actor.of(by)
    previous = {field: getattr(incident, field) for field in changes}
    for field, value in changes.items():
        setattr(incident, field, value)
    _validate(incident, changes)
    incident.save(update_fields=[*changes, "updated_at"])
    timeline_record(
        incident=incident,
        kind=TimelineKind.UPDATED,
        message=f"{' and '.join(changes).capitalize()} changed by {actor.name}",
        by=actor,
        data={"from": previous, "to": changes},
    )
    return incident


@transaction.atomic
def incident_assign(
    *, incident: Incident, by, assignees: Iterable | None = None, commander=_UNCHANGED
) -> Incident:
    """Set the assignees (the whole list) and/or the commander; ``None`` assignees or an
    omitted commander leave that part as it is."""
    incident = _locked(incident)
    actor = Actor.of(by)
    data, parts = {}, []
    if assignees is not None:
        wanted = {user.pk: user for user in assignees}
        current = set(incident.assignees.values_list("pk", flat=True))
        if set(wanted) != current:
            incident.assignees.set(wanted.values())
            names = sorted(user.get_username() for user in wanted.values())
            data["assignees"] = names
            parts.append(f"assignees: {', '.join(names) or 'nobody'}")
    if commander is not _UNCHANGED and incident.commander_id != getattr(commander, "pk", None):
        incident.commander = commander
        incident.save(update_fields=["commander", "updated_at"])
        name = commander.get_username() if commander else None
        data["commander"] = name
        parts.append(f"commander: {name or 'nobody'}")
    if parts:
        timeline_record(
            incident=incident,
            kind=TimelineKind.ASSIGNED,
            message=f"{actor.name} set {'; '.join(parts)}",
            by=actor,
            data=data,
        )
    return incident


@transaction.atomic
def incident_add_note(
    *, incident: Incident, by, text: str, at: datetime | None = None
) -> TimelineEntry:
    text = text.strip()
    if not text:
        raise InvalidInput("A note needs some text.", fields={"text": ["May not be blank."]})
    return timeline_record(
        incident=_locked(incident), kind=TimelineKind.NOTE, message=text, by=by, at=at
    )


# Each lifecycle verb and its service, for the admin's buttons and the one-click links.
INCIDENT_ACTIONS = {
    "acknowledge": incident_acknowledge,
    "mitigate": incident_mitigate,
    "resolve": incident_resolve,
    "close": incident_close,
    "reopen": incident_reopen,
}
