import pytest
from django.db import IntegrityError, transaction
from prometheus_client import REGISTRY

from core.errors import InvalidInput
from incidents import services
from incidents.models import Incident, IncidentSeverity, IncidentStatus, TimelineEntry
from tests.factories import ServiceFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def responder():
    return UserFactory(roles=["Responder"])


def entries(incident):
    return list(incident.timeline.order_by("id").values_list("kind", "message"))


def test_create_numbers_incidents_in_order_and_records_who_opened_it(responder):
    first = open_incident(by=responder, title="Checkout down", severity=IncidentSeverity.SEV1)
    second = open_incident(by=responder)

    assert second.number == first.number + 1
    assert first.reference == f"INC-{first.number}"
    assert first.triggered_by == responder
    assert entries(first) == [
        ("created", f"{first.reference} opened (SEV1) by {responder.username}: Checkout down")
    ]


def test_a_failed_create_gives_its_number_back(responder):
    service = ServiceFactory()
    first = open_incident(service, by=responder, dedup_key="k")
    with pytest.raises(services.DuplicateOpenIncident):
        open_incident(service, by=responder, dedup_key="k")

    assert open_incident(service, by=responder).number == first.number + 1


def test_a_second_open_incident_with_the_same_dedup_key_is_refused_with_the_first(responder):
    service = ServiceFactory()
    first = open_incident(service, by=responder, dedup_key="disk-full")

    with pytest.raises(services.DuplicateOpenIncident) as duplicate:
        open_incident(service, by=responder, dedup_key="disk-full")

    assert duplicate.value.existing == first
    assert duplicate.value.http_status == 409
    assert Incident.objects.count() == 1


def test_the_same_dedup_key_opens_again_once_the_first_is_resolved(responder):
    service = ServiceFactory()
    first = open_incident(service, by=responder, dedup_key="disk-full")
    services.incident_resolve(incident=first, by=responder)

    second = open_incident(service, by=responder, dedup_key="disk-full")

    assert second.pk != first.pk


def test_the_same_dedup_key_on_another_service_is_another_incident(responder):
    open_incident(ServiceFactory(), by=responder, dedup_key="k")
    open_incident(ServiceFactory(), by=responder, dedup_key="k")

    assert Incident.objects.count() == 2


def test_reopening_is_refused_while_another_incident_holds_the_dedup_key(responder):
    service = ServiceFactory()
    first = open_incident(service, by=responder, dedup_key="k")
    services.incident_resolve(incident=first, by=responder)
    second = open_incident(service, by=responder, dedup_key="k")

    with pytest.raises(services.DuplicateOpenIncident) as duplicate:
        services.incident_reopen(incident=first, by=responder)

    assert duplicate.value.existing == second
    first.refresh_from_db()
    assert first.status == IncidentStatus.RESOLVED


def test_change_severity_records_the_change_and_repeating_it_does_nothing(responder):
    incident = open_incident(by=responder, severity=IncidentSeverity.SEV3)

    services.incident_change_severity(
        incident=incident, severity=IncidentSeverity.SEV1, by=responder
    )
    services.incident_change_severity(
        incident=incident, severity=IncidentSeverity.SEV1, by=responder
    )

    incident.refresh_from_db()
    assert incident.severity == IncidentSeverity.SEV1
    assert entries(incident)[1:] == [
        ("severity_changed", f"Severity changed from SEV3 to SEV1 by {responder.username}")
    ]


def test_assign_sets_assignees_and_commander_once(responder):
    incident = open_incident(by=responder)
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")

    services.incident_assign(
        incident=incident, by=responder, assignees=[bob, alice], commander=alice
    )
    services.incident_assign(
        incident=incident, by=responder, assignees=[alice, bob], commander=alice
    )

    incident.refresh_from_db()
    assert set(incident.assignees.all()) == {alice, bob}
    assert incident.commander == alice
    assert entries(incident)[1:] == [
        ("assigned", f"{responder.username} set assignees: alice, bob; commander: alice")
    ]


def test_assign_can_clear_the_commander_and_leave_assignees(responder):
    alice = UserFactory(username="alice")
    incident = open_incident(by=responder, commander=alice, assignees=[alice])

    services.incident_assign(incident=incident, by=responder, commander=None)

    incident.refresh_from_db()
    assert incident.commander is None
    assert list(incident.assignees.all()) == [alice]


def test_update_changes_title_and_summary_and_notes_what_changed(responder):
    incident = open_incident(by=responder, title="Old")

    services.incident_update(incident=incident, by=responder, title="New", summary="Details")
    services.incident_update(incident=incident, by=responder, title="New")

    incident.refresh_from_db()
    assert (incident.title, incident.summary) == ("New", "Details")
    last = incident.timeline.last()
    assert (last.kind, last.data) == (
        "updated",
        {"from": {"title": "Old", "summary": ""}, "to": {"title": "New", "summary": "Details"}},
    )
    assert incident.timeline.count() == 2


def test_notes_are_appended_and_blank_ones_refused(responder):
    incident = open_incident(by=responder)

    services.incident_add_note(incident=incident, by=responder, text="  Looking at the logs ")
    with pytest.raises(InvalidInput):
        services.incident_add_note(incident=incident, by=responder, text="   ")

    assert entries(incident)[1:] == [("note", "Looking at the logs")]


def acknowledged_count():
    labels = {"from_status": "triggered", "to_status": "acknowledged"}
    return REGISTRY.get_sample_value("incident_state_changes_total", labels) or 0


def test_state_changes_are_counted_once_the_transaction_commits(
    responder, django_capture_on_commit_callbacks
):
    incident = open_incident(by=responder)
    before = acknowledged_count()

    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.incident_acknowledge(incident=incident, by=responder)
    counted_before_commit = acknowledged_count()
    for callback in pending:
        callback()

    assert counted_before_commit == before
    assert acknowledged_count() == before + 1


def test_a_failing_service_call_leaves_no_timeline_entry(responder):
    incident = open_incident(by=responder)
    count = TimelineEntry.objects.count()

    with pytest.raises(IntegrityError), transaction.atomic():
        # Acknowledged before it was triggered: the database refuses the row.
        services.incident_acknowledge(
            incident=incident, by=responder, at=incident.triggered_at.replace(year=2000)
        )

    assert TimelineEntry.objects.count() == count
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
