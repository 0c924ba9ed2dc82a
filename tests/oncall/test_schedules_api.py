from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from icalendar import Calendar
from rest_framework.test import APIClient

from oncall.models import Schedule, ScheduleOverride
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def api(role, user=None):
    client = APIClient()
    client.user = user or UserFactory(roles=[role])
    client.force_authenticate(client.user)
    return client


@pytest.fixture
def people():
    return [UserFactory(username=name) for name in ("ana", "ben", "cy")]


@pytest.fixture
def weekly(people):
    """A London schedule: weekly rotation handing off Mondays 09:00 local."""
    manager = api("Manager")
    response = manager.post(
        "/api/schedules",
        {
            "name": "Platform primary",
            "team": TeamFactory().pk,
            "time_zone": "Europe/London",
            "layers": [
                {
                    "name": "weekly",
                    "priority": 1,
                    "rotation_length": "7 00:00:00",
                    "handoff_date": "2026-03-02",
                    "handoff_time": "09:00",
                    "members": [p.pk for p in people],
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_manager_creates_a_schedule_with_layers(weekly, people):
    assert weekly["layers"][0]["members"] == [p.pk for p in people]
    assert weekly["layers"][0]["handoff_time"] == "09:00"
    assert Schedule.objects.get().time_zone == "Europe/London"


def test_oncall_at_follows_the_rotation_and_dst(weekly, people):
    viewer = api("Viewer")

    def who(at):
        return viewer.get(f"/api/schedules/{weekly['id']}/oncall", {"at": at}).json()["user"]

    assert who("2026-03-02T10:00:00Z")["username"] == "ana"
    assert who("2026-03-09T08:30:00Z")["username"] == "ana"  # 08:30 GMT, before the handoff
    assert who("2026-03-09T09:00:00Z")["username"] == "ben"
    # 30 March is after the clocks went forward: 09:00 BST is 08:00 UTC.
    assert who("2026-03-30T07:59:00Z")["username"] == "ana"
    assert who("2026-03-30T08:00:00Z")["username"] == "ben"
    assert who("2026-01-01T00:00:00Z") is None


def test_shifts_between_two_times_and_gaps(weekly):
    viewer = api("Viewer")

    shifts = viewer.get(
        f"/api/schedules/{weekly['id']}/shifts",
        {"start": "2026-02-27T00:00:00Z", "end": "2026-03-17T00:00:00Z", "gaps": "true"},
    ).json()

    assert [(s["username"], s["start"], s["source"]) for s in shifts] == [
        (None, "2026-02-27T00:00:00Z", "gap"),
        ("ana", "2026-03-02T09:00:00Z", f"layer:{weekly['layers'][0]['id']}"),
        ("ben", "2026-03-09T09:00:00Z", f"layer:{weekly['layers'][0]['id']}"),
        ("cy", "2026-03-16T09:00:00Z", f"layer:{weekly['layers'][0]['id']}"),
    ]
    too_long = viewer.get(
        f"/api/schedules/{weekly['id']}/shifts",
        {"start": "2026-01-01T00:00:00Z", "end": "2028-01-01T00:00:00Z"},
    )
    assert too_long.status_code == 400


def test_a_responder_adds_and_removes_an_override(weekly, people):
    responder = api("Responder")
    url = f"/api/schedules/{weekly['id']}/overrides"

    created = responder.post(
        url,
        {
            "user": people[2].pk,
            "start": "2026-03-03T00:00:00Z",
            "end": "2026-03-04T00:00:00Z",
            "reason": "ana at a wedding",
        },
        format="json",
    )
    who = responder.get(f"/api/schedules/{weekly['id']}/oncall", {"at": "2026-03-03T12:00:00Z"})

    assert created.status_code == 201, created.json()
    assert who.json()["user"]["username"] == "cy"
    assert responder.delete(f"{url}/{created.json()['id']}").status_code == 204
    assert not ScheduleOverride.objects.exists()


def test_an_override_must_end_after_it_starts(weekly, people):
    response = api("Responder").post(
        f"/api/schedules/{weekly['id']}/overrides",
        {"user": people[0].pk, "start": "2026-03-04T00:00:00Z", "end": "2026-03-03T00:00:00Z"},
        format="json",
    )

    assert response.status_code == 400


def test_viewers_and_responders_cannot_change_schedules(weekly):
    for role in ("Viewer", "Responder"):
        client = api(role)
        assert (
            client.patch(f"/api/schedules/{weekly['id']}", {"name": "x"}, format="json").status_code
            == 403
        )
    assert (
        api("Viewer")
        .post(f"/api/schedules/{weekly['id']}/overrides", {}, format="json")
        .status_code
        == 403
    )


def test_a_manager_replaces_the_layers(weekly, people):
    response = api("Manager").patch(
        f"/api/schedules/{weekly['id']}",
        {
            "layers": [
                {
                    "name": "daily",
                    "rotation_length": "1 00:00:00",
                    "handoff_date": "2026-03-02",
                    "handoff_time": "08:00",
                    "members": [people[1].pk],
                    "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}],
                }
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert [layer["name"] for layer in response.json()["layers"]] == ["daily"]


def test_bad_layers_are_400(weekly):
    response = api("Manager").patch(
        f"/api/schedules/{weekly['id']}",
        {
            "time_zone": "Mars/Olympus",
            "layers": [
                {
                    "name": "x",
                    "rotation_length": "00:10:00",
                    "handoff_date": "2026-03-02",
                    "handoff_time": "08:00",
                    "members": [],
                    "restrictions": [{"days": [9]}],
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "time_zone" in fields
    assert "layers" in fields


def test_the_schedule_list_costs_constant_queries(weekly, django_assert_num_queries):
    viewer = api("Viewer")
    viewer.get("/api/schedules")
    with django_assert_num_queries(6):  # count, page, layers, members, users, overrides
        viewer.get("/api/schedules")
    for i in range(10):
        api("Manager").post(
            "/api/schedules", {**weekly, "name": f"copy {i}", "team": weekly["team"]}, format="json"
        )
    with django_assert_num_queries(6):
        assert viewer.get("/api/schedules").json()["count"] == 11


def test_the_schedule_ical_feed_is_valid_rfc5545(weekly):
    now = timezone.now()  # a feed covers the past week and the next 60 days
    response = api("Viewer").get(f"/api/schedules/{weekly['id']}/ical")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert events, "the rotation has shifts in the feed's window"
    for event in events:
        assert event["SUMMARY"].startswith("On call: ")
        assert event.decoded("DTEND") > event.decoded("DTSTART")
        assert event.decoded("DTSTART") < now + timedelta(days=61)
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_a_users_secret_calendar_url_works_without_signing_in_and_can_be_rotated(weekly, people):
    ana = api("Viewer", user=people[0])

    url = ana.get("/api/me/calendar").json()["url"]
    path = url.split("testserver", 1)[1]
    feed = Client().get(path)

    assert feed.status_code == 200
    events = list(Calendar.from_ical(feed.content).walk("VEVENT"))
    assert events
    assert all("ana" in str(e["SUMMARY"]) for e in events)

    new_url = ana.post("/api/me/calendar").json()["url"]
    assert new_url != url
    assert Client().get(path).status_code == 404
    assert Client().get("/calendar/not-a-token.ics").status_code == 404


def test_the_admin_schedule_page_shows_the_next_14_days(weekly):
    admin = get_user_model().objects.create_superuser("root", "r@example.com", "pw")
    client = Client()
    client.force_login(admin)

    html = client.get(f"/admin/oncall/schedule/{weekly['id']}/change/").content.decode()
    listing = client.get("/admin/oncall/schedule/").content.decode()

    assert "the next 14 days" in html.lower()
    assert "Europe/London" in html
    assert any(name in html for name in ("ana", "ben", "cy"))
    assert "Platform primary" in listing


def test_datetimes_in_the_future_are_listed_with_their_source(weekly):
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    shifts = (
        api("Viewer")
        .get(
            f"/api/schedules/{weekly['id']}/shifts",
            {"start": start.isoformat(), "end": (start + timedelta(days=1)).isoformat()},
        )
        .json()
    )

    assert shifts == [
        {
            "user": shifts[0]["user"],
            "username": "ana",
            "start": "2026-03-02T09:00:00Z",
            "end": "2026-03-03T09:00:00Z",
            "source": f"layer:{weekly['layers'][0]['id']}",
        }
    ]
