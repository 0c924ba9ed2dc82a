from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Service, Team
from incidents import services
from incidents.models import Incident, IncidentSeverity, TimelineEntry
from tests.factories import ServiceFactory, TeamFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db


def client_for(*roles, **user_fields):
    user = UserFactory(roles=list(roles), **user_fields)
    client = APIClient()
    client.force_authenticate(user)
    client.user = user
    return client


@pytest.fixture
def viewer():
    return client_for("Viewer")


@pytest.fixture
def responder():
    return client_for("Responder")


@pytest.fixture
def manager():
    return client_for("Manager")


def error(response):
    return response.json()["error"]


# --- reading ------------------------------------------------------------------


def test_the_list_is_paginated_newest_first(viewer):
    service = ServiceFactory()
    now = timezone.now()
    older = open_incident(service, at=now - timedelta(hours=2))
    newer = open_incident(service, at=now - timedelta(hours=1))

    body = viewer.get("/api/incidents").json()

    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    row = body["results"][0]
    assert row["reference"] == newer.reference
    assert row["service"] == {"id": service.pk, "slug": service.slug, "name": service.name}
    assert row["team"]["slug"] == service.team.slug
    assert row["allowed_actions"] == ["acknowledge", "resolve"]
    assert row["severity_name"] == "medium"


def test_the_list_costs_the_same_queries_for_1_and_50_incidents(
    viewer, django_assert_max_num_queries, django_assert_num_queries
):
    people = [UserFactory() for _ in range(3)]

    def make(n):
        for i in range(n):
            service = ServiceFactory(team=TeamFactory())
            open_incident(service, title=f"i{i}", commander=people[0], assignees=people)

    make(1)
    viewer.get("/api/incidents")  # the user's permissions are cached from here on
    with django_assert_max_num_queries(3) as one:  # count, page, assignees
        assert viewer.get("/api/incidents").json()["count"] == 1
    make(49)
    with django_assert_num_queries(len(one.captured_queries)):
        body = viewer.get("/api/incidents?page_size=50").json()
    assert len(body["results"]) == 50
    assert all(len(row["assignees"]) == 3 for row in body["results"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=triggered", {"checkout-down"}),
        ("status=acknowledged&status=resolved", {"search-slow", "db-full"}),
        ("severity=SEV1", {"checkout-down"}),
        ("service=checkout", {"checkout-down"}),
        ("team=data", {"db-full"}),
        ("open=true", {"checkout-down", "search-slow"}),
        ("open=false", {"db-full"}),
        ("q=slow", {"search-slow"}),
        ("assignee=alice", {"search-slow"}),
        ("assignee=me", {"db-full"}),
    ],
)
def test_filters(viewer, query, expected):
    alice = UserFactory(username="alice")
    shop = TeamFactory(slug="shop")
    checkout = ServiceFactory(slug="checkout", team=shop)
    search = ServiceFactory(slug="search", team=shop)
    db = ServiceFactory(slug="warehouse", team=TeamFactory(slug="data"))
    open_incident(checkout, title="checkout-down", severity=IncidentSeverity.SEV1)
    slow = open_incident(search, title="search-slow", assignees=[alice])
    services.incident_acknowledge(incident=slow, by=alice)
    full = open_incident(db, title="db-full", assignees=[viewer.user])
    services.incident_resolve(incident=full, by=alice)

    body = viewer.get(f"/api/incidents?{query}").json()

    assert {row["title"] for row in body["results"]} == expected


def test_search_by_reference_and_date_range(viewer):
    now = timezone.now()
    old = open_incident(title="old", at=now - timedelta(days=10))
    new = open_incident(title="new", at=now - timedelta(hours=1))

    by_ref = viewer.get(f"/api/incidents?q={new.reference}").json()["results"]
    since = (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    recent = viewer.get("/api/incidents", {"triggered_after": since}).json()["results"]
    before = viewer.get("/api/incidents", {"triggered_before": since}).json()["results"]

    assert [r["id"] for r in by_ref] == [new.pk]
    assert [r["id"] for r in recent] == [new.pk]
    assert [r["id"] for r in before] == [old.pk]


def test_ordering(viewer):
    sev3 = open_incident(severity=IncidentSeverity.SEV3)
    sev1 = open_incident(severity=IncidentSeverity.SEV1)

    rows = viewer.get("/api/incidents?ordering=severity").json()["results"]

    assert [r["id"] for r in rows] == [sev1.pk, sev3.pk]


def test_a_bad_filter_value_is_a_400(viewer):
    response = viewer.get("/api/incidents?status=exploded")

    assert response.status_code == 400
    assert "status" in error(response)["fields"]


def test_retrieve_includes_the_timeline(viewer, responder):
    incident = open_incident(by=responder.user)
    services.incident_acknowledge(incident=incident, by=responder.user)

    body = viewer.get(f"/api/incidents/{incident.pk}").json()

    assert body["acknowledged_by"] == responder.user.username
    assert [e["kind"] for e in body["timeline"]] == ["created", "acknowledged", "assigned"]
    assert body["timeline"][1]["actor"] == responder.user.username
    timeline = viewer.get(f"/api/incidents/{incident.pk}/timeline").json()
    assert [e["kind"] for e in timeline] == ["created", "acknowledged", "assigned"]


def test_an_unknown_incident_is_a_json_404(viewer):
    assert error(viewer.get("/api/incidents/999999"))["code"] == "not_found"


# --- working incidents --------------------------------------------------------


def test_a_responder_opens_an_incident_by_hand(responder):
    service = ServiceFactory()

    response = responder.post(
        "/api/incidents",
        {
            "service": service.pk,
            "title": "Checkout failing",
            "severity": "SEV1",
            "assignees": [responder.user.pk],
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "triggered"
    assert body["source"] == "manual"
    assert body["triggered_by"] == responder.user.username
    assert [a["id"] for a in body["assignees"]] == [responder.user.pk]
    assert body["timeline"][0]["kind"] == "created"


def test_create_with_missing_fields_is_400_and_writes_nothing(responder):
    response = responder.post("/api/incidents", {"severity": "SEV9"})

    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"service", "title", "severity"}
    assert not Incident.objects.exists()


def test_create_with_an_open_dedup_key_is_409_naming_the_open_one(responder):
    service = ServiceFactory()
    first = open_incident(service, dedup_key="k")

    response = responder.post(
        "/api/incidents", {"service": service.pk, "title": "x", "dedup_key": "k"}
    )

    assert response.status_code == 409
    assert error(response)["code"] == "duplicate_open_incident"
    assert error(response)["fields"]["number"] == first.reference
    assert Incident.objects.count() == 1


@pytest.mark.parametrize("slash", ["", "/"])
def test_the_lifecycle_through_the_api(responder, slash):
    incident = open_incident()
    base = f"/api/incidents/{incident.pk}"

    for action, status in [
        ("acknowledge", "acknowledged"),
        ("mitigate", "mitigated"),
        ("resolve", "resolved"),
        ("reopen", "triggered"),
        ("resolve", "resolved"),
        ("close", "closed"),
    ]:
        response = responder.post(f"{base}/{action}{slash}", {})
        assert response.status_code == 200, (action, response.json())
        assert response.json()["status"] == status

    assert response.json()["allowed_actions"] == []


def test_resolve_takes_an_optional_note(responder):
    incident = open_incident()

    body = responder.post(f"/api/incidents/{incident.pk}/resolve", {"note": "rolled back"}).json()

    assert body["resolution_note"] == "rolled back"
    assert body["timeline"][-1]["message"].endswith(": rolled back")


def test_a_refused_transition_is_409_with_the_allowed_moves_and_changes_nothing(responder):
    incident = open_incident()
    services.incident_resolve(incident=incident, by=None)
    services.incident_close(incident=incident, by=None)
    entries = TimelineEntry.objects.count()

    response = responder.post(f"/api/incidents/{incident.pk}/acknowledge")

    assert response.status_code == 409
    assert error(response) == {
        "code": "invalid_transition",
        "message": "Cannot acknowledge an incident that is closed; it allows no further changes.",
        "fields": {"status": "closed", "allowed": []},
    }
    assert TimelineEntry.objects.count() == entries


def test_repeating_an_action_is_200_and_changes_nothing(responder):
    incident = open_incident()
    responder.post(f"/api/incidents/{incident.pk}/acknowledge")

    response = responder.post(f"/api/incidents/{incident.pk}/acknowledge")

    assert response.status_code == 200
    assert incident.timeline.filter(kind="acknowledged").count() == 1


def test_patch_changes_title_summary_and_severity(responder):
    incident = open_incident(title="old", severity=IncidentSeverity.SEV3)

    response = responder.patch(
        f"/api/incidents/{incident.pk}", {"title": "new", "summary": "s", "severity": "SEV2"}
    )

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["severity"]) == ("new", "SEV2")
    assert [e["kind"] for e in response.json()["timeline"]] == [
        "created",
        "updated",
        "severity_changed",
    ]


def test_patch_cannot_change_status(responder):
    incident = open_incident()

    responder.patch(f"/api/incidents/{incident.pk}", {"status": "closed"})

    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_assign_and_notes(responder):
    incident = open_incident()
    alice = UserFactory(username="alice")

    assigned = responder.post(
        f"/api/incidents/{incident.pk}/assign", {"assignees": [alice.pk], "commander": alice.pk}
    )
    note = responder.post(f"/api/incidents/{incident.pk}/notes", {"text": "Paged the DBA"})
    empty = responder.post(f"/api/incidents/{incident.pk}/assign", {})

    assert assigned.status_code == 200
    assert assigned.json()["commander"]["username"] == "alice"
    assert note.status_code == 201
    assert note.json()["kind"] == "note"
    assert note.json()["actor"] == responder.user.username
    assert empty.status_code == 400


def test_timeline_entries_cannot_be_changed_through_the_api(responder):
    incident = open_incident()
    entry = incident.timeline.get()

    for method in ("put", "patch", "delete"):
        response = getattr(responder, method)(f"/api/incidents/{incident.pk}/timeline", {})
        assert response.status_code == 405
    assert responder.get(f"/api/incidents/{incident.pk}/timeline/{entry.pk}").status_code == 404
    assert TimelineEntry.objects.get(pk=entry.pk).message == entry.message


# --- roles --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "read", "work", "create", "configure"),
    [
        ("Viewer", 200, 403, 403, 403),
        ("Responder", 200, 200, 201, 403),
        ("Manager", 200, 200, 201, 201),
    ],
)
def test_role_permissions(role, read, work, create, configure):
    client = client_for(role)
    team = TeamFactory()
    incident = open_incident(ServiceFactory(team=team))

    assert client.get("/api/incidents").status_code == read
    assert client.get("/api/services").status_code == read
    assert client.post(f"/api/incidents/{incident.pk}/acknowledge").status_code == work
    assert (
        client.post("/api/incidents", {"service": incident.service_id, "title": "t"}).status_code
        == create
    )
    assert (
        client.post(
            "/api/services", {"name": "New", "slug": f"new-{role.lower()}", "team": team.pk}
        ).status_code
        == configure
    )


def test_a_user_without_a_role_can_read_nothing():
    client = client_for()

    response = client.get("/api/incidents")

    assert response.status_code == 403
    assert error(response)["code"] == "permission_denied"


def test_nobody_but_a_superuser_deletes_an_incident(manager):
    incident = open_incident()

    assert manager.delete(f"/api/incidents/{incident.pk}").status_code == 405
    assert Incident.objects.filter(pk=incident.pk).exists()


# --- services and teams -------------------------------------------------------


def test_a_manager_manages_teams_and_services(manager):
    member = UserFactory()
    team = manager.post("/api/teams", {"name": "SRE", "slug": "sre", "members": [member.pk]})
    assert team.status_code == 201, team.json()
    service = manager.post(
        "/api/services",
        {
            "name": "Billing",
            "slug": "billing",
            "team": team.json()["id"],
            "tier": 1,
            "runbook_url": "https://runbooks.example.com/billing",
        },
    )
    assert service.status_code == 201, service.json()
    assert service.json()["open_incidents"] == 0

    changed = manager.patch(f"/api/services/{service.json()['id']}", {"tier": 2})
    assert changed.json()["tier"] == 2

    refused = manager.delete(f"/api/teams/{team.json()['id']}")
    assert refused.status_code == 409
    assert error(refused)["fields"]["services"] == ["billing"]

    assert manager.delete(f"/api/services/{service.json()['id']}").status_code == 204
    assert manager.delete(f"/api/teams/{team.json()['id']}").status_code == 204
    assert not Team.objects.filter(slug="sre").exists()


def test_a_service_with_incidents_cannot_be_deleted(manager):
    incident = open_incident()

    response = manager.delete(f"/api/services/{incident.service_id}")

    assert response.status_code == 409
    assert Service.objects.filter(pk=incident.service_id).exists()


def test_service_and_team_lists_cost_constant_queries(viewer, django_assert_num_queries):
    ServiceFactory(team=TeamFactory())
    viewer.get("/api/services")  # the user's permissions are cached from here on
    with django_assert_num_queries(2):  # count, page
        viewer.get("/api/services")
    with django_assert_num_queries(3):  # count, page, members
        viewer.get("/api/teams")
    for _ in range(30):
        team = TeamFactory()
        team.members.add(UserFactory())
        ServiceFactory(team=team)
    with django_assert_num_queries(2):
        assert viewer.get("/api/services").json()["count"] == 31
    with django_assert_num_queries(3):
        assert viewer.get("/api/teams").json()["count"] == 31


# --- response times -----------------------------------------------------------


def test_response_times_endpoint(viewer):
    start = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    incident = open_incident(ServiceFactory(slug="api"), at=start)
    services.incident_acknowledge(incident=incident, by=None, at=start + timedelta(minutes=2))
    services.incident_resolve(incident=incident, by=None, at=start + timedelta(minutes=30))

    rows = viewer.get("/api/incidents/response-times?group_by=service").json()
    bad = viewer.get("/api/incidents/response-times?group_by=planet")

    assert rows == [
        {
            "service__slug": "api",
            "service__name": incident.service.name,
            "incidents": 1,
            "acknowledged": 1,
            "resolved": 1,
            "mtta_mean": 120.0,
            "mtta_median": 120.0,
            "mtta_p90": 120.0,
            "mttr_mean": 1800.0,
            "mttr_median": 1800.0,
            "mttr_p90": 1800.0,
        }
    ]
    assert bad.status_code == 400


def test_the_fast_list_representation_matches_the_declared_fields():
    from rest_framework import serializers as drf

    from incidents.api.serializers import IncidentSerializer
    from incidents.selectors import incident_list

    alice = UserFactory(username="alice", first_name="Alice", last_name="Liddell")
    incident = open_incident(commander=alice, assignees=[alice, UserFactory()])
    services.incident_acknowledge(incident=incident, by=None)
    incident = incident_list().get(pk=incident.pk)
    serializer = IncidentSerializer(incident)

    generic = drf.ModelSerializer.to_representation(serializer, incident)

    assert serializer.data == generic
    assert list(serializer.data) == IncidentSerializer.Meta.fields
