"""The read paths of the incident, alert and action-item lists and of an incident's
detail: built from rows, they answer byte for byte what the declared serializers and
DRF's own JSON renderer answer, cost the same queries for 1 row as for 50, and keep
their filters, search, ordering and pagination."""

import json
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import renderers
from rest_framework import serializers as drf
from rest_framework.test import APIClient

from incidents import selectors, services
from incidents.api.serializers import (
    ActionItemSerializer,
    AlertSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
)
from incidents.ingest.types import AlertGroup, IncomingAlert
from incidents.models import ActionItem, Alert, Incident
from incidents.services.alerts import alerts_ingest
from incidents.services.reviews import action_item_create, action_item_update, review_open
from tests.factories import ServiceFactory, TeamFactory, UserFactory, make_integration

pytestmark = pytest.mark.django_db

User = get_user_model()

ODD_LABELS = [
    {},
    {"alertname": "Ünïcode ✓", "instance": "web-1:9100", "empty": ""},
    {"line\u2028separator": "para\u2029graph", "quote": 'say "hi"\n', "slash": "a\\b"},
    {"nested": {"deep": [1, 2.5, None, True]}, "number": 10**15, "null": None},
    {"emoji": "🔥", "html": "<script>alert(1)</script>", "control": "\x01\x1f"},
]


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def viewer():
    user = UserFactory(username="viewer", roles=["Viewer"])
    client = client_for(user)
    client.user = user
    return client


def stock_json(data) -> bytes:
    """What DRF's own JSON renderer writes for ``data``."""
    return renderers.JSONRenderer().render(data)


def page(results, count=None) -> dict:
    return {"count": len(results) if count is None else count, "next": None, "previous": None}


def declared(serializer_class, instance) -> dict:
    """The declared serializer's output through DRF's field machinery, not through a
    hand-written ``to_representation``; assignees in user id order, as the read path
    lists them (the declared serializer takes whatever order the prefetch gives)."""
    data = drf.ModelSerializer.to_representation(serializer_class(instance), instance)
    if "assignees" in data:
        data["assignees"] = sorted(data["assignees"], key=lambda user: user["id"])
    return data


def varied_incidents():
    """Incidents covering what a row can hold: no commander, no or many assignees,
    names with and without first and last names, every status, a dedup key, each
    severity."""
    team = TeamFactory(name="Team ✓", slug="team-odd")
    service = ServiceFactory(name="Checkout «prod»", slug="checkout", team=team)
    people = [
        UserFactory(username="alice", first_name="Alice", last_name="Liddell"),
        UserFactory(username="bob", first_name="Bob", last_name=""),
        UserFactory(username="carol", first_name="", last_name="Ng"),
        UserFactory(username="dåve", first_name="", last_name=""),
        UserFactory(username="eve", first_name="Ève", last_name="O'Hara"),
    ]
    start = timezone.now().replace(microsecond=123456) - timedelta(hours=5)
    bare = services.incident_create(service=service, title="bare", by=None, at=start)
    crowded = services.incident_create(
        service=ServiceFactory(),
        title='crowded "quoted" \u2028 title',
        severity="SEV1",
        dedup_key="group/1",
        commander=people[0],
        assignees=list(reversed(people)),
        by=people[0],
        at=start + timedelta(minutes=1),
    )
    acknowledged = services.incident_create(
        service=service,
        title="acknowledged",
        severity="SEV2",
        commander=people[3],
        by=None,
        at=start + timedelta(minutes=2),
    )
    services.incident_acknowledge(
        incident=acknowledged, by=people[1], at=start + timedelta(minutes=2, seconds=7.5)
    )
    resolved = services.incident_create(
        service=service, title="resolved", severity="SEV4", by=None, at=start
    )
    services.incident_acknowledge(incident=resolved, by=people[2], at=start + timedelta(seconds=1))
    services.incident_mitigate(incident=resolved, by=people[2], at=start + timedelta(seconds=2))
    services.incident_resolve(incident=resolved, by=people[4], at=start + timedelta(hours=1))
    closed = services.incident_create(
        service=service, title="closed", assignees=people[2:3], by=None, at=start
    )
    services.incident_resolve(incident=closed, by=None, at=start + timedelta(minutes=3))
    services.incident_close(incident=closed, by=people[0], at=start + timedelta(minutes=4))
    return [bare, crowded, acknowledged, resolved, closed], people


def ingest(service, key, alerts, *, resolved=False):
    name = f"am {key} {Alert.objects.count()}"
    integration, _ = make_integration("alertmanager", service=service, name=name)
    [outcome] = alerts_ingest(
        integration=integration,
        groups=[AlertGroup(key=key, title=f"Group {key}", alerts=alerts, resolved=resolved)],
    )
    return outcome.incident


def odd_alerts(prefix, *, status="firing", runbook=None):
    now = timezone.now().replace(microsecond=654321)
    return [
        IncomingAlert(
            fingerprint=f"{prefix}-{n}",
            status=status,
            summary=f"alert {n} ✓" if n % 2 else "",
            severity_value="critical" if n % 2 else "warning",
            labels=labels,
            annotations={"runbook_url": runbook or f"https://runbooks.example.com/{n}", **labels}
            if n % 2
            else {},
            starts_at=now - timedelta(minutes=n) if n % 3 else None,
            ends_at=now if n == 4 else None,
            source_url="https://prometheus.example.com/graph?g0.expr=up" if n else "",
        )
        for n, labels in enumerate(ODD_LABELS)
    ]


# --- the same answer as the declared serializers -----------------------------------


def test_the_incident_list_answers_the_declared_serializers_output(viewer):
    varied_incidents()
    incidents = selectors.incident_list().order_by("-triggered_at", "-id")
    expected = [declared(IncidentSerializer, incident) for incident in incidents]

    response = viewer.get("/api/incidents?page_size=50")

    assert response.content == stock_json({**page(expected), "results": expected})
    assert [row["assignees"] for row in expected if row["title"].startswith("crowded")] == [
        [
            {"id": user.pk, "username": user.username, "name": user.get_full_name()}
            for user in User.objects.filter(
                username__in=["alice", "bob", "carol", "dåve", "eve"]
            ).order_by("id")
        ]
    ]


def test_the_incident_detail_answers_the_declared_serializers_output(viewer):
    incidents, people = varied_incidents()
    service = ServiceFactory(runbook_url="https://runbooks.example.com/service")
    incident = ingest(service, "g1", odd_alerts("a", runbook="javascript:alert(1)"))
    ingest(service, "g1", odd_alerts("b"))
    services.incident_assign(incident=incident, by=people[0], assignees=people, commander=people[1])
    services.incident_acknowledge(incident=incident, by=people[2])
    services.incident_add_note(incident=incident, by=people[3], text="Looking ✓ \u2029")
    services.incident_resolve(incident=incident, by=people[4], note="fixed")
    for target in [*incidents, incident]:
        instance = selectors.incident_detail().get(pk=target.pk)
        expected = declared(IncidentDetailSerializer, instance)

        response = viewer.get(f"/api/incidents/{target.pk}")

        assert response.content == stock_json(expected), target.title
        assert list(response.json()) == IncidentDetailSerializer.Meta.fields
    detail = viewer.get(f"/api/incidents/{incident.pk}").json()
    assert len(detail["recent_alerts"]) == 10
    assert detail["resolved_by"] == people[4].username
    # the newest alert first: the second delivery's last alert
    assert detail["runbook_urls"][0] == "https://runbooks.example.com/3"
    assert "javascript:alert(1)" not in detail["runbook_urls"]


def test_the_alert_list_answers_the_declared_serializers_output(viewer):
    service = ServiceFactory()
    ingest(service, "g1", odd_alerts("a"))
    # Resolved news for a group that never opened an incident: an alert with none.
    ingest(service, "lonely", odd_alerts("r", status="resolved"), resolved=True)
    assert Alert.objects.filter(incident=None).count() == len(ODD_LABELS)
    alerts = selectors.alert_list().order_by("-received_at", "-id")
    expected = [declared(AlertSerializer, alert) for alert in alerts]

    response = viewer.get("/api/alerts?page_size=50")

    assert response.content == stock_json({**page(expected), "results": expected})
    assert {row["incident_reference"] for row in response.json()["results"]} == {
        None,
        Incident.objects.get().reference,
    }


def test_the_action_item_list_answers_the_declared_serializers_output(viewer):
    incidents, people = varied_incidents()
    today = timezone.localdate()
    for n, incident in enumerate(incidents[:3]):
        review = review_open(incident=incident, by=people[0])
        action_item_create(review=review, by=people[0], title=f"no owner, no date {n}")
        action_item_create(
            review=review,
            by=people[1],
            title=f"overdue «{n}»",
            owner=people[n],
            due_date=today - timedelta(days=1),
            priority="P1",
            ticket_url="https://tracker.example.com/T-1",
        )
        done = action_item_create(
            review=review,
            by=people[1],
            title=f"done but was due {n}",
            description="Line one\nline two \u2028",
            owner=people[4],
            due_date=date(2020, 2, 29),
            priority="P3",
        )
        action_item_update(item=done, by=people[1], status="done")
        action_item_create(
            review=review, by=people[2], title=f"due today {n}", due_date=today, status="wont_do"
        )
    items = selectors.action_item_list().order_by("due_date", "priority", "id")
    expected = [declared(ActionItemSerializer, item) for item in items]

    response = viewer.get("/api/action-items?page_size=50")

    assert response.content == stock_json({**page(expected), "results": expected})
    assert sum(row["overdue"] for row in response.json()["results"]) == 3


def test_times_are_in_the_viewers_time_zone_as_the_declared_serializers_write_them(viewer):
    incidents, _ = varied_incidents()
    viewer.cookies["tz"] = "Asia/Kolkata"
    with timezone.override("Asia/Kolkata"):
        incidents = selectors.incident_list()
        expected = [declared(IncidentSerializer, incident) for incident in incidents]
        detail = declared(
            IncidentDetailSerializer,
            selectors.incident_detail().get(pk=incidents[0].pk),
        )

    rows = viewer.get("/api/incidents").json()["results"]

    assert rows == json.loads(stock_json(expected))
    assert rows[0]["triggered_at"].endswith("+05:30")
    assert viewer.get(f"/api/incidents/{incidents[0].pk}").json() == json.loads(stock_json(detail))


def test_pretty_printed_and_browsable_answers_still_come_from_drf(viewer):
    varied_incidents()
    incidents = selectors.incident_list()
    expected = [declared(IncidentSerializer, incident) for incident in incidents]

    pretty = viewer.get("/api/incidents", HTTP_ACCEPT="application/json; indent=4")
    html = viewer.get("/api/incidents", HTTP_ACCEPT="text/html")

    assert pretty.content == renderers.JSONRenderer().render(
        {**page(expected), "results": expected}, "application/json; indent=4"
    )
    assert html.status_code == 200
    assert html["Content-Type"].startswith("text/html")
    assert "crowded" in html.content.decode()
    for path in [f"/api/incidents/{incidents[0].pk}", "/api/alerts", "/api/action-items"]:
        assert viewer.get(path, HTTP_ACCEPT="text/html").status_code == 200, path


# --- constant queries ---------------------------------------------------------------


def test_each_list_costs_the_same_queries_for_1_and_50_rows(
    viewer, django_assert_num_queries, django_assert_max_num_queries
):
    people = [UserFactory() for _ in range(4)]

    def grow(n):
        for _ in range(n):
            key = f"k{Incident.objects.count()}"
            service = ServiceFactory(team=TeamFactory())
            incident = services.incident_create(
                service=service,
                title="grown",
                dedup_key=key,
                commander=people[0],
                assignees=people,
                by=None,
            )
            ingest(service, key, odd_alerts(key)[1:2])  # joins the incident
            review = review_open(incident=incident, by=people[0])
            action_item_create(review=review, by=people[1], title="follow up", owner=people[1])

    grow(1)
    paths = ["/api/incidents", "/api/alerts", "/api/action-items"]
    for path in paths:
        viewer.get(path)  # the user's permissions are cached from here on
    counts = {}
    for path in paths:
        with django_assert_max_num_queries(3) as one:  # count, page, and the assignees
            assert viewer.get(path).json()["count"] == 1
        counts[path] = len(one.captured_queries)
    grow(49)
    for path in paths:
        with django_assert_num_queries(counts[path]):
            assert len(viewer.get(f"{path}?page_size=50").json()["results"]) == 50


def test_the_detail_costs_the_same_queries_for_1_and_many_alerts_entries_and_people(
    viewer, django_assert_num_queries, django_assert_max_num_queries
):
    people = [UserFactory() for _ in range(6)]
    service = ServiceFactory()
    small = ingest(service, "small", odd_alerts("s")[:1])
    large = ingest(service, "large", odd_alerts("l"))
    for n in range(10):
        ingest(service, "large", odd_alerts(f"l{n}"))
    services.incident_assign(incident=large, by=people[0], assignees=people, commander=people[1])
    services.incident_acknowledge(incident=large, by=people[2])
    services.incident_mitigate(incident=large, by=people[3])
    services.incident_resolve(incident=large, by=people[4])
    services.incident_close(incident=large, by=people[5])
    for n in range(20):
        services.incident_add_note(incident=large, by=people[n % 6], text=f"note {n}")
    viewer.get(f"/api/incidents/{small.pk}")
    # The incident, its assignees, who moved it (none here: no query), its timeline,
    # its latest alerts.
    with django_assert_max_num_queries(5):
        viewer.get(f"/api/incidents/{small.pk}")
    with django_assert_num_queries(5):
        body = viewer.get(f"/api/incidents/{large.pk}").json()
    assert len(body["recent_alerts"]) == selectors.RECENT_ALERTS
    assert len(body["assignees"]) == 6
    assert len(body["timeline"]) > 30


# --- filters, search, ordering and pagination ---------------------------------------


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_incident_filters_search_ordering_and_pages_still_apply(viewer):
    incidents, _ = varied_incidents()
    bare, crowded, acknowledged, resolved, closed = incidents
    services.incident_assign(incident=bare, by=None, assignees=[viewer.user])

    assert ids(viewer.get("/api/incidents?status=acknowledged")) == [acknowledged.pk]
    assert set(ids(viewer.get("/api/incidents?open=false"))) == {resolved.pk, closed.pk}
    assert ids(viewer.get(f"/api/incidents?q={crowded.reference}")) == [crowded.pk]
    assert ids(viewer.get("/api/incidents?q=acknow")) == [acknowledged.pk]
    assert ids(viewer.get("/api/incidents?assignee=me")) == [bare.pk]
    assert ids(viewer.get("/api/incidents?assignee=alice")) == [crowded.pk]
    assert set(ids(viewer.get("/api/incidents?severity=SEV1&severity=SEV4"))) == {
        crowded.pk,
        resolved.pk,
    }
    assert ids(viewer.get("/api/incidents?ordering=number")) == [
        incident.pk for incident in sorted(incidents, key=lambda i: i.number)
    ]
    assert viewer.get("/api/incidents?status=planet").status_code == 400

    first = viewer.get("/api/incidents?page_size=2&ordering=number").json()
    second = viewer.get(first["next"]).json()
    assert first["count"] == second["count"] == 5
    assert [row["number"] for row in first["results"] + second["results"]] == sorted(
        incident.number for incident in incidents
    )[:4]
    assert second["previous"].endswith("ordering=number&page_size=2")
    assert viewer.get("/api/incidents?page=9").status_code == 404


def test_the_detail_still_answers_404_for_a_filter_it_does_not_match(viewer):
    incidents, _ = varied_incidents()

    assert viewer.get(f"/api/incidents/{incidents[0].pk}?status=triggered").status_code == 200
    assert viewer.get(f"/api/incidents/{incidents[0].pk}?status=closed").status_code == 404
    assert viewer.get("/api/incidents/999999").status_code == 404


def test_alert_filters_ordering_and_pages_still_apply(viewer):
    service = ServiceFactory()
    incident = ingest(service, "g1", odd_alerts("a"))
    ingest(service, "lonely", odd_alerts("r", status="resolved"), resolved=True)
    mine = Alert.objects.filter(incident=incident).order_by("-received_at", "-id")

    assert ids(viewer.get(f"/api/alerts?incident={incident.pk}")) == [a.pk for a in mine]
    assert ids(viewer.get("/api/alerts?status=resolved&fingerprint=r-2")) == [
        Alert.objects.get(fingerprint="r-2").pk
    ]
    oldest_first = ids(viewer.get("/api/alerts?ordering=received_at"))
    assert set(oldest_first[: len(ODD_LABELS)]) == {alert.pk for alert in mine}
    paged = viewer.get("/api/alerts?page_size=3&page=2").json()
    assert paged["count"] == 10
    assert len(paged["results"]) == 3
    assert viewer.get("/api/alerts?incident=x").status_code == 400


def test_action_item_filters_ordering_and_pages_still_apply(viewer):
    incidents, people = varied_incidents()
    today = timezone.localdate()
    review = review_open(incident=incidents[0], by=None)
    other = review_open(incident=incidents[1], by=None)
    mine = action_item_create(
        review=review, by=None, title="mine", owner=viewer.user, due_date=today - timedelta(2)
    )
    late = action_item_create(
        review=other, by=None, title="late", owner=people[0], due_date=today - timedelta(1)
    )
    later = action_item_create(review=other, by=None, title="later", priority="P1")

    assert ids(viewer.get("/api/action-items?owner=me")) == [mine.pk]
    assert ids(viewer.get("/api/action-items?overdue=true")) == [mine.pk, late.pk]
    assert ids(viewer.get("/api/action-items?overdue=false")) == [later.pk]
    assert set(ids(viewer.get(f"/api/action-items?review={other.pk}"))) == {late.pk, later.pk}
    assert ids(viewer.get("/api/action-items?ordering=priority"))[0] == later.pk
    assert set(ids(viewer.get(f"/api/action-items?service={incidents[1].service.slug}"))) == {
        late.pk,
        later.pk,
    }
    paged = viewer.get("/api/action-items?ordering=created_at&page_size=1&page=3").json()
    assert paged["count"] == 3
    assert ids_of(paged) == [later.pk]
    assert paged["next"] is None
    assert viewer.get("/api/action-items?overdue=maybe").status_code == 400
    assert ActionItem.objects.count() == 3


def ids_of(body):
    return [row["id"] for row in body["results"]]


def test_a_request_naming_no_filter_lists_everything_and_a_named_one_still_filters(viewer):
    incidents, _ = varied_incidents()
    everything = {incident.pk for incident in incidents}

    assert set(ids(viewer.get("/api/incidents"))) == everything
    assert set(ids(viewer.get("/api/incidents?planet=mars&page_size=50"))) == everything
    assert viewer.get("/api/incidents?status=").status_code == 400  # as it always was
    assert ids(viewer.get("/api/incidents?status=closed")) == [incidents[-1].pk]
    assert viewer.get("/api/incidents?triggered_after=yesterday").status_code == 400
    assert viewer.get("/api/alerts?severity=SEV1").json()["count"] == 0
