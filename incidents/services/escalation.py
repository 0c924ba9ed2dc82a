"""Escalation: when an incident triggers, page the policy's steps in order until someone
acknowledges.

The policy is snapshotted onto the incident when it triggers; a beat task advances
due escalations. Every page is a ``Notification`` row written in the same transaction
as the step (the outbox); the send task is enqueued once the transaction commits, and a
sweeper re-enqueues rows still pending, so a broker outage delays a page but never
loses one. The unique constraint on notifications means a step never pages anyone twice.
"""

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Conflict
from core.models import DeliveryStatus
from core.outbox import outbox_enqueue, outbox_kind
from core.services import model_create, model_delete, model_update
from incidents.actors import Actor
from incidents.models import (
    EscalationPolicy,
    EscalationStep,
    Incident,
    IncidentStatus,
    Notification,
    ServiceEscalationRule,
    TimelineEntry,
    TimelineKind,
)
from incidents.models.escalation import validate_step_targets
from oncall import selectors as oncall_selectors
from oncall.models import ContactMethod

logger = logging.getLogger(__name__)

BATCH = 100


def escalation_policy_for(service, severity) -> EscalationPolicy | None:
    """The service's rule for ``severity``, else its default rule (no severity)."""
    rules = {
        rule.severity: rule.policy
        for rule in ServiceEscalationRule.objects.select_related("policy").filter(
            Q(severity=severity) | Q(severity=""), service=service
        )
    }
    return rules.get(severity) or rules.get("")


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
    _page([incident], at, None, fields=_ESCALATION_FIELDS)


@transaction.atomic
def escalation_advance(*, incident: Incident, at: datetime | None = None, by=None) -> Incident:
    """Page the next level now (or the first again, on a repeat). A no-op for an incident
    that is not triggered or has no escalation."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status != IncidentStatus.TRIGGERED or not isinstance(incident.escalation, dict):
        return incident
    if not incident.escalation.get("steps"):
        return incident
    _advance([incident], at or timezone.now(), by)
    return incident


class CannotEscalate(Conflict):
    code = "cannot_escalate"


@transaction.atomic
def incident_escalate(
    *, incident: Incident, by, note: str = "", at: datetime | None = None
) -> Incident:
    """A responder's "Escalate now": page the next level at once, whatever the incident's
    open status. A triggered incident's timer then runs from that level; an acknowledged
    or mitigated one stays as it is (someone is on it and asked for help), so its
    escalation pages nobody further by itself. An incident whose escalation never started
    (its service had no policy then) starts one at the first level.

    Raises ``CannotEscalate`` for a resolved or closed incident, a service without a
    policy, or an escalation that has paged its last level."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    at = at or timezone.now()
    if incident.status not in (
        IncidentStatus.TRIGGERED,
        IncidentStatus.ACKNOWLEDGED,
        IncidentStatus.MITIGATED,
    ):
        raise CannotEscalate(
            f"{incident.reference} is {incident.status}: only an open incident is escalated.",
            fields={"status": incident.status},
        )
    actor = Actor.of(by)
    _timeline_many(
        [(incident, _noted(f"Escalated by {actor.name}", note), {"note": note} if note else {})],
        at,
        by,
    )
    snapshot = incident.escalation
    if not (isinstance(snapshot, dict) and snapshot.get("steps")):
        policy = escalation_policy_for(incident.service, incident.severity)
        if policy is None or not policy.steps.exists():
            raise CannotEscalate(
                f"{incident.service} has no escalation policy for {incident.severity}: "
                "there is nobody to escalate to.",
                fields={"service": incident.service_id},
            )
        escalation_start(incident=incident, at=at)
    elif not _snapshot_readable(snapshot):
        raise CannotEscalate(
            "This incident's stored escalation cannot be read; page the responders by hand."
        )
    else:
        steps = snapshot["steps"]
        last = incident.escalation_level + 1 >= len(steps)
        if last and incident.escalation_repeat >= snapshot.get("repeat", 0):
            raise CannotEscalate(
                f"Level {incident.escalation_level + 1} is the last level of "
                f"{snapshot.get('name', 'the policy')}: there is nobody further to page.",
                fields={"level": incident.escalation_level + 1},
            )
        _advance([incident], at, by)
    if incident.status != IncidentStatus.TRIGGERED and incident.escalation_next_at:
        incident.escalation_next_at = None
        incident.save(update_fields=["escalation_next_at"])
    return incident


def _noted(message: str, note: str) -> str:
    return f"{message}: {note}" if note else message


def escalations_advance_due(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Advance every escalation that is due, a batch at a time, in a constant number of
    queries per batch. Two workers running it at once take different incidents (SKIP
    LOCKED), so nobody is paged twice."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Incident.objects.select_for_update(skip_locked=True)
            .filter(status=IncidentStatus.TRIGGERED, escalation_next_at__lte=now)
            .order_by("escalation_next_at")[:limit]
        )
        _advance(due, now, None)
    return len(due)


# What advancing a level changes (the snapshot and the round change only at the start).
_LEVEL_FIELDS = ["escalation_level", "escalation_repeat", "escalation_next_at"]
_ESCALATION_FIELDS = ["escalation", "escalation_round", *_LEVEL_FIELDS]


def _snapshot_readable(snapshot) -> bool:
    """Whether a stored policy snapshot has the shape ``policy_snapshot`` writes. Only a
    row written around the services can fail this; it must not stop the others."""
    try:
        steps = snapshot["steps"]
        return bool(steps) and all(
            isinstance(step["delay"], int | float)
            and all(isinstance(u, int) for u in step["users"])
            and all(isinstance(s, int) for s in step["schedules"])
            for step in steps
        )
    except (KeyError, TypeError):
        return False


def _advance(incidents, at, by):
    """Move each (locked) incident to its next level, or finish its escalation."""
    to_page, finished, unreadable = [], [], []
    for incident in incidents:
        if not _snapshot_readable(incident.escalation):
            incident.escalation_next_at = None
            unreadable.append(incident)
            continue
        steps = incident.escalation["steps"]
        if incident.escalation_level + 1 < len(steps):
            incident.escalation_level += 1
            to_page.append(incident)
        elif incident.escalation_repeat < incident.escalation.get("repeat", 0):
            incident.escalation_repeat += 1
            incident.escalation_level = 0
            to_page.append(incident)
        else:
            incident.escalation_next_at = None
            finished.append(incident)
    if finished or unreadable:
        Incident.objects.bulk_update([*finished, *unreadable], ["escalation_next_at"])
        _timeline_many(
            [
                (
                    incident,
                    "Escalation finished: every step was paged and nobody acknowledged.",
                    {"level": incident.escalation_level, "repeat": incident.escalation_repeat},
                )
                for incident in finished
            ]
            + [
                (
                    incident,
                    "Escalation stopped: its stored policy snapshot cannot be read. "
                    "Page the responders by hand.",
                    {"unreadable": True},
                )
                for incident in unreadable
            ],
            at,
            by,
        )
        for incident in unreadable:
            logger.error("incident %s: unreadable escalation snapshot; stopped", incident.pk)
    _page(to_page, at, by)


def _page(incidents, at, by, fields=_LEVEL_FIELDS):
    """Page each incident's current level: Notification rows (the outbox), the next due
    time, a timeline entry each; the sends are enqueued after commit."""
    if not incidents:
        return
    steps = {i.pk: i.escalation["steps"][i.escalation_level] for i in incidents}
    on_call = _on_call({sid for step in steps.values() for sid in step["schedules"]}, at)
    targets = {
        pk: list(
            dict.fromkeys(
                [
                    *step["users"],
                    *(on_call[sid] for sid in step["schedules"] if on_call.get(sid) is not None),
                ]
            )
        )
        for pk, step in steps.items()
    }
    methods = {}
    for method in ContactMethod.objects.filter(
        user_id__in={user for users in targets.values() for user in users}, enabled=True
    ).select_related("user"):
        methods.setdefault(method.user_id, []).append(method)
    Notification.objects.bulk_create(
        [
            Notification(
                incident=incident,
                round=incident.escalation_round,
                level=incident.escalation_level,
                repeat=incident.escalation_repeat,
                user_id=user,
                contact_method=method,
            )
            for incident in incidents
            for user in targets[incident.pk]
            for method in methods.get(user, ())
        ],
        ignore_conflicts=True,
    )
    for incident in incidents:
        incident.escalation_next_at = at + timedelta(seconds=steps[incident.pk]["delay"])
    Incident.objects.bulk_update(incidents, fields)

    entries = []
    for incident in incidents:
        users = targets[incident.pk]
        names = sorted({m.user.get_username() for u in users for m in methods.get(u, ())})
        unreachable = [u for u in users if u not in methods]
        message = (
            f"Escalation level {incident.escalation_level + 1}"
            + (f" (repeat {incident.escalation_repeat})" if incident.escalation_repeat else "")
            + f": paging {', '.join(names) or 'nobody'}"
            + (
                f"; {len(unreachable)} on-call user(s) have no contact method"
                if unreachable
                else ""
            )
        )
        entries.append(
            (
                incident,
                message,
                {
                    "level": incident.escalation_level,
                    "repeat": incident.escalation_repeat,
                    "users": users,
                    "unreachable": unreachable,
                },
            )
        )
    _timeline_many(entries, at, by)

    # ignore_conflicts leaves no ids on the objects: read back the pages still pending.
    wanted = {
        (i.pk, i.escalation_round, i.escalation_level, i.escalation_repeat) for i in incidents
    }
    ids = [
        pk
        for pk, *key in Notification.objects.filter(
            incident__in=incidents, status=DeliveryStatus.PENDING
        ).values_list("pk", "incident_id", "round", "level", "repeat")
        if tuple(key) in wanted
    ]
    outbox_enqueue(kind=outbox_kind(Notification), ids=ids)


def _on_call(schedule_ids, at) -> dict[int, int | None]:
    # A schedule that cannot be evaluated answers nobody: its own step pages no one
    # from it, and the rest of the batch escalates as usual.
    return oncall_selectors.oncall_user_ids(schedule_ids, at)


def _timeline_many(entries, at, by):
    actor = Actor.of(by)
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            incident=incident,
            kind=TimelineKind.ESCALATION,
            message=message,
            data=data,
            actor_user=actor.user,
            actor_name=actor.name,
            created_at=at,
        )
        for incident, message, data in entries
    )


def _steps_valid(steps) -> list[dict]:
    """The steps as plain dicts, refused (ValidationError) if one pages nobody."""
    steps = [dict(step) for step in steps]
    errors = []
    for n, step in enumerate(steps, start=1):
        try:
            validate_step_targets(step.get("users"), step.get("schedules"))
        except ValidationError as exc:
            errors.extend(f"step {n}: {message}" for message in exc.messages)
    if errors:
        raise ValidationError({"steps": errors})
    return steps


@transaction.atomic
def policy_save(
    *, policy: EscalationPolicy | None = None, steps=None, **fields
) -> EscalationPolicy:
    """Create or change a policy; ``steps`` (dicts: delay, users, schedules), when given,
    replaces every step. Running escalations keep the snapshot they started with."""
    if policy is None:
        policy = model_create(EscalationPolicy, **fields)
    else:
        model_update(instance=policy, fields=fields)
    if steps is not None:
        steps = _steps_valid(steps)
        policy.steps.all().delete()
        for position, spec in enumerate(steps):
            step_create(policy=policy, position=position, **spec)
    return policy


@transaction.atomic
def policy_delete(*, policy: EscalationPolicy) -> None:
    """Refused while a service's rule names the policy. Incidents escalating under it
    keep their snapshot, so they go on paging."""
    model_delete(instance=policy, refusal=f"Policy {policy.name} cannot be deleted.")


@transaction.atomic
def step_create(*, policy, position, delay, users=(), schedules=()) -> EscalationStep:
    validate_step_targets(users, schedules)
    step = model_create(EscalationStep, policy=policy, position=position, delay=delay)
    step.users.set(users)
    step.schedules.set(schedules)
    return step


@transaction.atomic
def step_update(*, step: EscalationStep, users=None, schedules=None, **fields) -> EscalationStep:
    validate_step_targets(
        step.users.all() if users is None else users,
        step.schedules.all() if schedules is None else schedules,
    )
    model_update(instance=step, fields=fields)
    if users is not None:
        step.users.set(users)
    if schedules is not None:
        step.schedules.set(schedules)
    return step


@transaction.atomic
def step_delete(*, step: EscalationStep) -> None:
    step.delete()


@transaction.atomic
def escalation_rule_set(*, service, policy, severity: str = "") -> ServiceEscalationRule | None:
    """``policy`` pages for ``service``'s incidents of ``severity`` (empty: the default);
    no policy removes the rule."""
    rule = ServiceEscalationRule.objects.filter(service=service, severity=severity).first()
    if policy is None:
        if rule is not None:
            rule.delete()
        return None
    if rule is None:
        return model_create(
            ServiceEscalationRule, service=service, severity=severity, policy=policy
        )
    model_update(instance=rule, fields={"policy": policy})
    return rule


@transaction.atomic
def escalation_rule_update(*, rule: ServiceEscalationRule, **fields) -> ServiceEscalationRule:
    model_update(instance=rule, fields=fields)
    return rule


@transaction.atomic
def escalation_rule_delete(*, rule: ServiceEscalationRule) -> None:
    rule.delete()
