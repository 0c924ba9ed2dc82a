"""What the incident page shows a responder besides the incident's own fields: where its
escalation stands, who was paged at each level and how, who would be paged next and
when, and the service's on-call people now. Reads only, in a constant number of queries
whatever the number of pages or levels.

Levels are numbered from 1 here, as people read them (the stored ``escalation_level``
is the step's index).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents.models import Incident, IncidentStatus, Notification
from incidents.services.escalation import escalation_policy_for
from oncall import selectors as oncall_selectors
from oncall.models import Schedule


@dataclass
class Page:
    user: str
    method: str
    address: str
    status: str
    at: datetime
    sent_at: datetime | None
    attempts: int
    error: str
    repeat: int


@dataclass
class Level:
    number: int
    delay: timedelta
    users: list[str]
    schedules: list[tuple[str, str | None]]  # (schedule, who is on call in it now)
    pages: list[Page] = field(default_factory=list)
    current: bool = False


@dataclass
class EscalationPanel:
    policy: str | None
    state: str  # running, held, finished, stopped, none
    summary: str
    levels: list[Level]
    level: int | None = None  # the current level, from 1
    repeat: int = 0
    next_at: datetime | None = None
    next_label: str = ""
    can_escalate: bool = False


def escalation_panel(incident: Incident, *, now: datetime | None = None) -> EscalationPanel:
    now = now or timezone.now()
    snapshot = incident.escalation if isinstance(incident.escalation, dict) else {}
    steps = snapshot.get("steps") if isinstance(snapshot.get("steps"), list) else []
    if not steps:
        return _no_escalation(incident)
    try:
        levels = _levels(incident, steps, now)
    except (KeyError, TypeError, ValueError):
        return EscalationPanel(
            policy=snapshot.get("name"),
            state="stopped",
            summary="Escalation stopped: its stored policy cannot be read. Page people by hand.",
            levels=[],
        )
    current = incident.escalation_level
    if 0 <= current < len(levels):
        levels[current].current = True
    panel = EscalationPanel(
        policy=snapshot.get("name"),
        state="running",
        summary="",
        levels=levels,
        level=current + 1,
        repeat=incident.escalation_repeat,
        next_at=incident.escalation_next_at,
    )
    repeats_left = incident.escalation_repeat < snapshot.get("repeat", 0)
    has_next = current + 1 < len(levels) or repeats_left
    panel.can_escalate = incident.is_open and has_next
    if current + 1 < len(levels):
        panel.next_label = f"level {current + 2}"
    elif repeats_left:
        panel.next_label = f"level 1 again (repeat {incident.escalation_repeat + 1})"
    if incident.status != IncidentStatus.TRIGGERED:
        panel.state = "held" if incident.is_open else "finished"
        panel.summary = (
            f"{incident.get_status_display()}: nobody further is paged unless you escalate."
            if incident.is_open
            else f"{incident.get_status_display()}: the escalation is over."
        )
        panel.next_at = None
    elif incident.escalation_next_at is None:
        panel.state = "finished"
        panel.summary = "Every level was paged and nobody acknowledged."
    elif has_next:
        panel.summary = f"Unless someone acknowledges, {panel.next_label} is paged next."
    else:
        panel.summary = "This is the last level: the escalation ends when its delay is up."
    return panel


def _no_escalation(incident: Incident) -> EscalationPanel:
    policy = escalation_policy_for(incident.service, incident.severity)
    if policy is None:
        summary = (
            f"{incident.service} has no escalation policy for {incident.severity}: "
            "nobody was paged. Add one under Service escalation rules."
        )
    else:
        summary = (
            f"Nobody was paged when it triggered. Escalate now pages level 1 of {policy.name}."
        )
    return EscalationPanel(
        policy=policy.name if policy else None,
        state="none",
        summary=summary,
        levels=[],
        can_escalate=incident.is_open and policy is not None,
    )


def _levels(incident: Incident, steps: list, now: datetime) -> list[Level]:
    user_ids = {pk for step in steps for pk in step["users"]}
    schedule_ids = {pk for step in steps for pk in step["schedules"]}
    schedules = dict(Schedule.objects.filter(pk__in=schedule_ids).values_list("pk", "name"))
    on_call = oncall_selectors.oncall_user_ids(schedule_ids, now)
    names = dict(
        get_user_model()
        .objects.filter(pk__in=user_ids | {u for u in on_call.values() if u})
        .values_list("pk", "username")
    )
    levels = [
        Level(
            number=index + 1,
            delay=timedelta(seconds=step["delay"]),
            users=[names.get(pk, f"user {pk}") for pk in step["users"]],
            schedules=[
                (schedules.get(pk, f"schedule {pk}"), names.get(on_call.get(pk)))
                for pk in step["schedules"]
            ],
        )
        for index, step in enumerate(steps)
    ]
    pages = (
        Notification.objects.filter(incident=incident, round=incident.escalation_round)
        .select_related("user", "contact_method")
        .order_by("created_at", "id")
    )
    for page in pages:
        if 0 <= page.level < len(levels):
            levels[page.level].pages.append(
                Page(
                    user=page.user.get_username(),
                    method=page.contact_method.get_kind_display().split(" (")[0],
                    address=page.contact_method.address,
                    status=page.status,
                    at=page.created_at,
                    sent_at=page.sent_at,
                    attempts=page.attempts,
                    error=page.last_error,
                    repeat=page.repeat,
                )
            )
    return levels


ALERTS_SCANNED = 200
ALERTS_SHOWN = 20
TIMELINE_SHOWN = 300


@dataclass
class AlertRow:
    fingerprint: str
    status: str
    severity: str
    summary: str
    labels: list[tuple[str, str]]
    runbook_url: str
    source_url: str
    received_at: datetime
    deliveries: int


def incident_alerts(incident: Incident) -> tuple[list[AlertRow], int]:
    """The incident's alerts, one row per fingerprint at its latest delivery (newest
    first), and how many deliveries there were in all. Reads at most ALERTS_SCANNED rows:
    a storm of thousands does not slow the page."""
    rows = list(incident.alerts.defer("raw").order_by("-received_at", "-id")[:ALERTS_SCANNED])
    total = incident.alerts.count() if len(rows) == ALERTS_SCANNED else len(rows)
    latest: dict[str, AlertRow] = {}
    for alert in rows:
        row = latest.get(alert.fingerprint)
        if row is not None:
            row.deliveries += 1
            continue
        labels = alert.labels if isinstance(alert.labels, dict) else {}
        annotations = alert.annotations if isinstance(alert.annotations, dict) else {}
        latest[alert.fingerprint] = AlertRow(
            fingerprint=alert.fingerprint,
            status=alert.status,
            severity=alert.severity,
            summary=alert.summary,
            labels=sorted((str(k), str(v)) for k, v in labels.items()),
            runbook_url=str(annotations.get("runbook_url") or ""),
            source_url=alert.source_url,
            received_at=alert.received_at,
            deliveries=1,
        )
    return list(latest.values())[:ALERTS_SHOWN], total


def incident_timeline_stream(incident: Incident):
    """The timeline newest first, as the page shows it, and how many entries there are."""
    entries = list(incident.timeline.order_by("-created_at", "-id")[:TIMELINE_SHOWN])
    total = incident.timeline.count() if len(entries) == TIMELINE_SHOWN else len(entries)
    return entries, total


def incident_for_page():
    """Incidents with what the page's header and forms read, in one query (plus the
    assignees)."""
    return Incident.objects.select_related("service__team", "commander").prefetch_related(
        "assignees"
    )
