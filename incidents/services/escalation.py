"""Escalation: when an incident triggers, page the policy's steps in order until someone
acknowledges.

The policy is snapshotted onto the incident when it triggers; a beat task advances
due escalations. Every page is a ``Notification`` row written in the same transaction
as the step (the outbox); the send task is enqueued once the transaction commits, and a
sweeper re-enqueues rows still pending, so a broker outage delays a page but never
loses one. The unique constraint on notifications means a step never pages anyone twice.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidents import oncall, selectors
from incidents.models import (
    ContactMethod,
    EscalationPolicy,
    Incident,
    Notification,
    Schedule,
    ServiceEscalationRule,
    Status,
    TimelineKind,
)
from incidents.services.timeline import timeline_record

BATCH = 100


def escalation_policy_for(service, severity) -> EscalationPolicy | None:
    rule = (
        ServiceEscalationRule.objects.select_related("policy")
        .filter(service=service, severity=severity)
        .first()
    )
    return rule.policy if rule else service.escalation_policy


def policy_snapshot(policy: EscalationPolicy) -> dict:
    steps = policy.steps.prefetch_related("users", "schedules").order_by("position")
    return {
        "policy": policy.pk,
        "name": policy.name,
        "repeat": policy.repeat,
        "steps": [
            {
                "delay": step.delay.total_seconds(),
                "users": [user.pk for user in step.users.all()],
                "schedules": [schedule.pk for schedule in step.schedules.all()],
            }
            for step in steps
        ],
    }


def escalation_start(*, incident: Incident, at: datetime) -> None:
    """Snapshot the service's policy for the incident's severity and page the first step.
    Called holding the incident's row lock, from incident_create and incident_reopen."""
    policy = escalation_policy_for(incident.service, incident.severity)
    if policy is None:
        return
    snapshot = policy_snapshot(policy)
    if not snapshot["steps"]:
        return
    if incident.escalation:  # a reopen: a new round, paging everyone again
        incident.escalation_round += 1
    incident.escalation = snapshot
    incident.escalation_level = 0
    incident.escalation_repeat = 0
    _page_level(incident, at)


def escalation_stop(*, incident: Incident) -> None:
    """Acknowledged or resolved: nothing more is due (called holding the row lock)."""
    if incident.escalation_next_at is not None:
        incident.escalation_next_at = None
        incident.save(update_fields=["escalation_next_at"])


@transaction.atomic
def escalation_advance(*, incident: Incident, at: datetime | None = None, by=None) -> Incident:
    """Page the next level now (or the first again, on a repeat). A no-op for an incident
    that is not triggered or has no escalation."""
    incident = Incident.objects.select_for_update().select_related("service").get(pk=incident.pk)
    if incident.status != Status.TRIGGERED or not incident.escalation.get("steps"):
        return incident
    _next_level(incident, at or timezone.now(), by)
    return incident


def escalations_advance_due(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Advance every escalation that is due, a batch at a time. Two workers running it
    at once take different incidents (SKIP LOCKED), so nobody is paged twice."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Incident.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("service")
            .filter(status=Status.TRIGGERED, escalation_next_at__lte=now)
            .order_by("escalation_next_at")[:limit]
        )
        for incident in due:
            _next_level(incident, now, None)
    return len(due)


def _next_level(incident, at, by):
    steps = incident.escalation["steps"]
    if incident.escalation_level + 1 < len(steps):
        incident.escalation_level += 1
    elif incident.escalation_repeat < incident.escalation.get("repeat", 0):
        incident.escalation_repeat += 1
        incident.escalation_level = 0
    else:
        incident.escalation_next_at = None
        incident.save(update_fields=["escalation_next_at"])
        timeline_record(
            incident=incident,
            kind=TimelineKind.ESCALATION,
            by=by,
            at=at,
            message="Escalation finished: every step was paged and nobody acknowledged.",
            data={"level": incident.escalation_level, "repeat": incident.escalation_repeat},
        )
        return
    _page_level(incident, at, by)


def _page_level(incident, at, by=None):
    step = incident.escalation["steps"][incident.escalation_level]
    users = _targets(step, at)
    methods = list(
        ContactMethod.objects.filter(user_id__in=users, enabled=True).select_related("user")
    )
    Notification.objects.bulk_create(
        [
            Notification(
                incident=incident,
                round=incident.escalation_round,
                level=incident.escalation_level,
                repeat=incident.escalation_repeat,
                user_id=method.user_id,
                contact_method=method,
            )
            for method in methods
        ],
        ignore_conflicts=True,
    )
    incident.escalation_next_at = at + timedelta(seconds=step["delay"])
    incident.save(
        update_fields=[
            "escalation",
            "escalation_round",
            "escalation_level",
            "escalation_repeat",
            "escalation_next_at",
        ]
    )
    names = sorted({method.user.get_username() for method in methods})
    unreachable = sorted(set(users) - {method.user_id for method in methods})
    timeline_record(
        incident=incident,
        kind=TimelineKind.ESCALATION,
        by=by,
        at=at,
        message=(
            f"Escalation level {incident.escalation_level + 1}"
            + (f" (repeat {incident.escalation_repeat})" if incident.escalation_repeat else "")
            + f": paging {', '.join(names) or 'nobody'}"
            + (
                f"; {len(unreachable)} on-call user(s) have no contact method"
                if unreachable
                else ""
            )
        ),
        data={
            "level": incident.escalation_level,
            "repeat": incident.escalation_repeat,
            "users": users,
            "unreachable": unreachable,
        },
    )
    # ignore_conflicts leaves no ids on the objects: read back this step's pending pages.
    ids = list(
        Notification.objects.filter(
            incident=incident,
            round=incident.escalation_round,
            level=incident.escalation_level,
            repeat=incident.escalation_repeat,
            status="pending",
        ).values_list("pk", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))


def _targets(step, at) -> list[int]:
    users = list(step["users"])
    schedules = selectors.schedule_list().filter(pk__in=step["schedules"])
    for schedule in schedules:
        user = oncall.oncall_at(selectors.schedule_spec(schedule, overrides_from=at), at)
        if user is not None:
            users.append(user)
    return list(dict.fromkeys(users))


def _enqueue(ids):
    from incidents.tasks import notification_send

    for notification_id in ids:
        notification_send.delay(notification_id)


__all__ = [
    "Schedule",
    "escalation_advance",
    "escalation_start",
    "escalation_stop",
    "escalations_advance_due",
]


@transaction.atomic
def policy_save(
    *, policy: EscalationPolicy | None = None, steps=None, **fields
) -> EscalationPolicy:
    """Create or change a policy; ``steps`` (dicts: delay, users, schedules), when given,
    replaces every step. Running escalations keep the snapshot they started with."""
    from incidents.models import EscalationStep

    if policy is None:
        policy = EscalationPolicy.objects.create(**fields)
    else:
        for name, value in fields.items():
            setattr(policy, name, value)
        policy.save()
    if steps is not None:
        policy.steps.all().delete()
        for position, spec in enumerate(steps):
            step = EscalationStep.objects.create(
                policy=policy, position=position, delay=spec["delay"]
            )
            step.users.set(spec.get("users", []))
            step.schedules.set(spec.get("schedules", []))
    return policy
