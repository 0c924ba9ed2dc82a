"""Every move between statuses: allowed ones change the incident and leave one timeline
entry; refused ones raise 409-type errors and change nothing; repeats are no-ops."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.lifecycle import TRANSITIONS, InvalidTransition
from incidents.models import Incident, IncidentStatus, TimelineEntry
from tests.factories import UserFactory, open_incident

pytestmark = pytest.mark.django_db

MOVE = {
    IncidentStatus.ACKNOWLEDGED: services.incident_acknowledge,
    IncidentStatus.MITIGATED: services.incident_mitigate,
    IncidentStatus.RESOLVED: services.incident_resolve,
    IncidentStatus.CLOSED: services.incident_close,
    IncidentStatus.TRIGGERED: services.incident_reopen,
}
# How to bring a fresh incident to each status.
PATH = {
    IncidentStatus.TRIGGERED: [],
    IncidentStatus.ACKNOWLEDGED: [IncidentStatus.ACKNOWLEDGED],
    IncidentStatus.MITIGATED: [IncidentStatus.ACKNOWLEDGED, IncidentStatus.MITIGATED],
    IncidentStatus.RESOLVED: [IncidentStatus.RESOLVED],
    IncidentStatus.CLOSED: [IncidentStatus.RESOLVED, IncidentStatus.CLOSED],
}


@pytest.fixture
def responder():
    return UserFactory(roles=["Responder"])


def incident_in(status, by):
    incident = open_incident(by=by)
    for step in PATH[status]:
        incident = MOVE[step](incident=incident, by=by)
    assert incident.status == status
    return incident


def snapshot(incident):
    incident = Incident.objects.get(pk=incident.pk)
    fields = {f.attname: getattr(incident, f.attname) for f in Incident._meta.concrete_fields}
    return fields, TimelineEntry.objects.filter(incident=incident).count()


ALLOWED = [(current, target) for current, targets in TRANSITIONS.items() for target in targets]
REFUSED = [
    (current, target)
    for current in IncidentStatus.values
    for target in MOVE
    if target != current and target not in TRANSITIONS[current]
]


def test_the_table_of_moves_is_the_documented_one():
    assert sorted(ALLOWED) == sorted(
        [
            ("triggered", "acknowledged"),
            ("triggered", "resolved"),
            ("acknowledged", "mitigated"),
            ("acknowledged", "resolved"),
            ("mitigated", "resolved"),
            ("resolved", "closed"),
            ("resolved", "triggered"),
        ]
    )


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_an_allowed_move_changes_status_and_writes_one_timeline_entry(current, target, responder):
    incident = incident_in(current, responder)
    _, entries_before = snapshot(incident)

    moved = MOVE[target](incident=incident, by=responder)

    stored = Incident.objects.get(pk=incident.pk)
    assert moved.status == stored.status == target
    entries = TimelineEntry.objects.filter(incident=incident).order_by("-id")
    # Acknowledging also assigns the acknowledger (test_responding.py), an entry of its own.
    assigned = 1 if target == "acknowledged" else 0
    assert entries.count() == entries_before + 1 + assigned
    latest = entries.exclude(kind="assigned").first()
    assert latest.actor_user == responder
    assert latest.actor_name == responder.username
    assert latest.data["from"] == current
    assert latest.data["to"] == target


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_a_refused_move_raises_names_the_allowed_moves_and_changes_nothing(
    current, target, responder
):
    incident = incident_in(current, responder)
    before = snapshot(incident)

    with pytest.raises(InvalidTransition) as refused:
        MOVE[target](incident=incident, by=responder)

    assert refused.value.http_status == 409
    assert refused.value.code == "invalid_transition"
    assert refused.value.fields["status"] == current
    assert refused.value.fields["allowed"] == [
        {
            "acknowledged": "acknowledge",
            "mitigated": "mitigate",
            "resolved": "resolve",
            "closed": "close",
            "triggered": "reopen",
        }[t]
        for t in TRANSITIONS[current]
    ]
    assert snapshot(incident) == before


@pytest.mark.parametrize("status", [s for s in IncidentStatus.values if s in MOVE])
def test_repeating_a_move_to_the_current_status_is_a_no_op(status, responder):
    incident = incident_in(status, responder)
    before = snapshot(incident)

    MOVE[status](incident=incident, by=responder)

    assert snapshot(incident) == before


def test_timestamps_and_actors_follow_the_lifecycle(responder):
    start = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    incident = open_incident(by=responder, at=start)
    other = UserFactory(roles=["Responder"])

    services.incident_acknowledge(incident=incident, by=responder, at=start + timedelta(minutes=4))
    services.incident_mitigate(incident=incident, by=other, at=start + timedelta(minutes=30))
    services.incident_resolve(
        incident=incident, by=other, at=start + timedelta(minutes=50), note="bad config reverted"
    )
    services.incident_close(incident=incident, by=responder, at=start + timedelta(hours=1))

    incident.refresh_from_db()
    assert incident.triggered_by == responder
    assert (incident.acknowledged_at, incident.acknowledged_by) == (
        start + timedelta(minutes=4),
        responder,
    )
    assert (incident.mitigated_at, incident.mitigated_by) == (start + timedelta(minutes=30), other)
    assert (incident.resolved_at, incident.resolved_by) == (start + timedelta(minutes=50), other)
    assert incident.resolution_note == "bad config reverted"
    assert incident.closed_at == start + timedelta(hours=1)
    assert incident.time_to_acknowledge == timedelta(minutes=4)
    assert incident.time_to_resolve == timedelta(minutes=50)
    assert list(incident.timeline.values_list("kind", flat=True)) == [
        "created",
        "acknowledged",
        "assigned",  # the acknowledger
        "mitigated",
        "resolved",
        "closed",
    ]


def test_reopening_clears_the_last_round_and_keeps_it_on_the_timeline(responder):
    incident = incident_in(IncidentStatus.RESOLVED, responder)

    services.incident_reopen(incident=incident, by=responder, reason="errors are back")

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
    assert incident.acknowledged_at is incident.resolved_at is incident.resolved_by is None
    assert incident.resolution_note == ""
    reopened = incident.timeline.last()
    assert (reopened.kind, reopened.data["reason"]) == ("reopened", "errors are back")
    assert incident.timeline.filter(kind="resolved").exists()


def test_a_system_actor_is_named_on_the_timeline():
    incident = open_incident(by=None)

    entry = incident.timeline.get()
    assert (entry.actor_user, entry.actor_name) == (None, "system")
