"""The pages of the demo's incident history, as its escalations sent them.

The escalation beat stamps what it writes with the present, so history cannot run
through it: each page is written as the outbox row the escalation wrote and a worker
then marked sent, with the escalation's timeline entries at their times. Nothing is
sent today: no row is left pending for a worker or the sweep.
"""

import random
from datetime import timedelta

from core.models import DeliveryStatus
from incidents.actors import Actor
from incidents.models import (
    Incident,
    IncidentStatus,
    Notification,
    TimelineEntry,
    TimelineKind,
)
from incidents.services.escalation import escalation_policy_for, policy_snapshot
from oncall import selectors as oncall_selectors
from oncall.models import ContactMethod


def pages_record(*, services, now, seed: int, stdout) -> None:
    """The pages of the history's escalations, as the escalation beat sent them: from
    each incident's trigger, one level after another at the policy's delays until it
    was acknowledged (or the policy ran out), to whoever was on call at that moment, by
    each of their contact methods; written as sent a few seconds later. An incident
    still triggered is left at its current level, its next one due as the beat would
    have it."""
    if Notification.objects.filter(incident__service__in=services).exists():
        stdout.write("  pages: kept")
        return
    incidents = list(
        Incident.objects.filter(
            service__in=services, escalation={}, triggered_at__gte=now - timedelta(days=90)
        )
        .select_related("service")
        .order_by("triggered_at", "id")
    )
    rng = random.Random(seed)
    pager = _Pager(now)
    for incident in incidents:
        pager.escalate(incident, rng)
    Notification.objects.bulk_create([page for page, _ in pager.pages])
    entries = pager.entries + [
        TimelineEntry(
            incident=page.incident,
            kind=TimelineKind.NOTIFICATION,
            message=f"Paged {method.user.get_username()} by {method.kind} ({method.address})",
            actor_name=Actor.of(None).name,
            data={"notification": page.pk, "attempt": 1, "ok": True, "method": method.kind},
            created_at=page.sent_at,
        )
        for page, method in pager.pages
    ]
    TimelineEntry.objects.bulk_create(entries)
    escalated = [incident for incident in incidents if incident.escalation]
    Incident.objects.bulk_update(
        escalated, ["escalation", "escalation_level", "escalation_repeat", "escalation_next_at"]
    )
    waiting = sum(1 for incident in escalated if incident.escalation_next_at)
    stdout.write(
        f"  pages: {len(pager.pages)} sent for {len(escalated)} incidents "
        f"({waiting} still escalating)"
    )


class _Pager:
    """Walks escalations through time, collecting the pages and timeline entries."""

    def __init__(self, now):
        self.now = now
        self.policies = {}
        self.snapshots = {}
        self.schedules = {}
        self.methods = {}
        for method in ContactMethod.objects.filter(enabled=True).select_related("user"):
            self.methods.setdefault(method.user_id, []).append(method)
        self.pages: list[tuple[Notification, ContactMethod]] = []
        self.entries: list[TimelineEntry] = []

    def snapshot(self, incident) -> dict | None:
        key = (incident.service_id, incident.severity)
        if key not in self.policies:
            self.policies[key] = escalation_policy_for(incident.service, incident.severity)
        policy = self.policies[key]
        if policy is None:
            return None
        if policy.pk not in self.snapshots:
            self.snapshots[policy.pk] = policy_snapshot(policy)
        return self.snapshots[policy.pk]

    def on_call(self, schedule_id, at):
        if schedule_id not in self.schedules:
            self.schedules[schedule_id] = oncall_selectors.schedule_list().get(pk=schedule_id)
        return oncall_selectors.oncall_user_id(self.schedules[schedule_id], at)

    def escalate(self, incident, rng) -> None:
        snapshot = self.snapshot(incident)
        if not snapshot or not snapshot["steps"]:
            return
        # The escalation stops when someone acknowledges (or resolves straight away).
        stop = incident.acknowledged_at or incident.resolved_at or self.now
        steps, level, repeat, at = snapshot["steps"], 0, 0, incident.triggered_at
        while True:
            self.page(incident, steps[level], level, repeat, at, rng)
            due = at + timedelta(seconds=steps[level]["delay"])
            if due >= stop:
                next_at = due if incident.status == IncidentStatus.TRIGGERED else None
                break
            if level + 1 < len(steps):
                level += 1
            elif repeat < snapshot.get("repeat", 0):
                level, repeat = 0, repeat + 1
            else:
                next_at = None
                self.entry(
                    incident,
                    due,
                    "Escalation finished: every step was paged and nobody acknowledged.",
                    {"level": level, "repeat": repeat},
                )
                break
            at = due
        incident.escalation = snapshot
        incident.escalation_level, incident.escalation_repeat = level, repeat
        incident.escalation_next_at = next_at

    def page(self, incident, step, level, repeat, at, rng) -> None:
        on_call = [self.on_call(schedule, at) for schedule in step["schedules"]]
        users = list(dict.fromkeys([*step["users"], *(u for u in on_call if u is not None)]))
        sent_at = at + timedelta(seconds=rng.uniform(2, 20))
        for user in users:
            for method in self.methods.get(user, ()):
                page = Notification(
                    incident=incident,
                    round=0,
                    level=level,
                    repeat=repeat,
                    user_id=user,
                    contact_method=method,
                    status=DeliveryStatus.SENT,
                    attempts=1,
                    created_at=at,
                    sent_at=sent_at,
                )
                self.pages.append((page, method))
        names = sorted({m.user.get_username() for u in users for m in self.methods.get(u, ())})
        unreachable = [u for u in users if u not in self.methods]
        self.entry(
            incident,
            at,
            f"Escalation level {level + 1}"
            + (f" (repeat {repeat})" if repeat else "")
            + f": paging {', '.join(names) or 'nobody'}"
            + (
                f"; {len(unreachable)} on-call user(s) have no contact method"
                if unreachable
                else ""
            ),
            {"level": level, "repeat": repeat, "users": users, "unreachable": unreachable},
        )

    def entry(self, incident, at, message, data) -> None:
        self.entries.append(
            TimelineEntry(
                incident=incident,
                kind=TimelineKind.ESCALATION,
                message=message,
                data=data,
                actor_name=Actor.of(None).name,
                created_at=at,
            )
        )
