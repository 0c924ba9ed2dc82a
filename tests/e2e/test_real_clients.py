"""Real clients against the live test server, over HTTP: PagerDuty's own Python client
(pdpyras) works an incident through the Events v2 endpoint, icalendar reads the on-call
feeds a calendar app subscribes to, and pypdf reads a report fetched with an API token."""

import io
import warnings
from datetime import UTC, date, datetime, time, timedelta

import pypdf
import pytest
import requests
from django.utils import timezone
from icalendar import Calendar

from core.services import api_token_create
from incidents.models import Incident, IncidentStatus
from insights import services as insights_services
from tests.factories import (
    ServiceFactory,
    TeamFactory,
    UserFactory,
    make_integration,
    open_incident,
)
from tests.insights.test_reports import needs_pango

with warnings.catch_warnings():
    # pdpyras says on import that it is deprecated in favour of the "pagerduty" package;
    # both speak the same Events API v2, and pdpyras is the one clients still run.
    warnings.simplefilter("ignore", UserWarning)
    import pdpyras

pytestmark = pytest.mark.django_db(transaction=True)


class Api:
    """An API client as scripts use it: requests with a personal API token."""

    def __init__(self, base_url, user):
        self.base_url = base_url
        self.session = requests.Session()
        secret = api_token_create(user=user, name="script").secret
        self.session.headers["Authorization"] = f"Bearer {secret}"

    def get(self, path, **params):
        response = self.session.get(f"{self.base_url}{path}", params=params, timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response

    def post(self, path, body):
        return self.session.post(f"{self.base_url}{path}", json=body, timeout=30)


def test_pdpyras_triggers_acknowledges_and_resolves_an_incident(live_server):
    _, routing_key = make_integration("pagerduty", service=ServiceFactory(name="Queue"))
    api = Api(live_server.url, UserFactory(roles=["Viewer"]))
    session = pdpyras.EventsAPISession(routing_key)
    session.url = live_server.url  # instead of https://events.pagerduty.com

    def seen(dedup_key):
        """The incident as the API shows it, and as stored."""
        [row] = api.get("/api/incidents", dedup_key=dedup_key).json()["results"]
        return row["status"], Incident.objects.get(pk=row["id"]).status

    dedup_key = session.trigger(
        "Queue backlog above 10k", "worker-3", severity="error", custom_details={"depth": 12034}
    )
    assert seen(dedup_key) == (IncidentStatus.TRIGGERED, IncidentStatus.TRIGGERED)
    incident = Incident.objects.get(dedup_key=dedup_key)
    assert (incident.title, incident.severity, incident.service.name) == (
        "Queue backlog above 10k",
        "SEV2",
        "Queue",
    )

    assert session.acknowledge(dedup_key) == dedup_key
    assert seen(dedup_key) == (IncidentStatus.ACKNOWLEDGED, IncidentStatus.ACKNOWLEDGED)

    assert session.resolve(dedup_key) == dedup_key
    assert seen(dedup_key) == (IncidentStatus.RESOLVED, IncidentStatus.RESOLVED)

    # The same key after the resolve opens a new incident, as PagerDuty does.
    assert session.trigger("Queue backlog above 10k", "worker-3", dedup_key=dedup_key)
    statuses = Incident.objects.filter(dedup_key=dedup_key).values_list("status", flat=True)
    assert sorted(statuses) == [IncidentStatus.RESOLVED, IncidentStatus.TRIGGERED]


def events(body: bytes) -> list[tuple[str, datetime, datetime]]:
    """(who, start, end) of each event in an iCalendar feed, by start."""
    rows = []
    for event in Calendar.from_ical(body).walk("VEVENT"):
        who = str(event["SUMMARY"]).removeprefix("On call: ").split(" (", 1)[0]
        rows.append((who, event.decoded("DTSTART"), event.decoded("DTEND")))
    return sorted(rows, key=lambda row: row[1])


def test_icalendar_reads_the_schedule_feed_and_a_subscribed_feed(live_server):
    ana, ben = (UserFactory(username=name, roles=["Responder"]) for name in ("ana", "ben"))
    manager = Api(live_server.url, UserFactory(roles=["Manager"]))
    created = manager.post(
        "/api/schedules",
        {
            "name": "Payments primary",
            "team": TeamFactory(name="Payments").pk,
            "time_zone": "UTC",
            "layers": [
                {
                    "name": "daily",
                    "priority": 1,
                    "rotation_length": "1 00:00:00",
                    "handoff_date": "2026-01-05",
                    "handoff_time": "09:00",
                    "members": [ana.pk, ben.pk],
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    schedule = created.json()["id"]
    # Ben covers the afternoon of the day after tomorrow, whoever the rotation says.
    day = timezone.now().date() + timedelta(days=2)
    cover_start = datetime.combine(day, time(12), tzinfo=UTC)
    cover_end = cover_start + timedelta(hours=6)
    override = manager.post(
        f"/api/schedules/{schedule}/overrides",
        {"user": ben.pk, "start": cover_start.isoformat(), "end": cover_end.isoformat()},
    )
    assert override.status_code == 201, override.text

    viewer = Api(live_server.url, UserFactory(roles=["Viewer"]))
    feed = viewer.get(f"/api/schedules/{schedule}/ical")

    assert feed.headers["Content-Type"].startswith("text/calendar")
    assert Calendar.from_ical(feed.content)["X-WR-CALNAME"] == "On call: Payments primary"
    shown = events(feed.content)
    assert len(shown) > 60  # the past week and the next 60 days, a shift a day

    def shifts_over_the_window_of(rows, username=None):
        """The schedule's shifts from the API over the window a feed covered (each feed
        counts its window from the moment it is fetched)."""
        shifts = manager.get(
            f"/api/schedules/{schedule}/shifts",
            start=rows[0][1].isoformat(),
            end=rows[-1][2].isoformat(),
        ).json()
        when = datetime.fromisoformat
        return [
            (row["username"], when(row["start"]), when(row["end"]))
            for row in shifts
            if username in (None, row["username"])
        ]

    assert shown == shifts_over_the_window_of(shown)
    # Whole days between handoffs take turns; the override splits one of them.
    assert ("ben", cover_start, cover_end) in shown
    whole_days = [row for row in shown[1:-1] if row[2] - row[1] == timedelta(days=1)]
    assert len(whole_days) > 55
    for who, start, _ in whole_days:
        assert start.time() == time(9)
        days_since_first_handoff = (start.date() - date(2026, 1, 5)).days
        assert who == ("ana", "ben")[days_since_first_handoff % 2]

    # Ana subscribes to her own feed: a secret address, fetched with no credentials.
    url = Api(live_server.url, ana).get("/api/me/calendar").json()["url"]
    assert url.startswith(f"{live_server.url}/calendar/")
    assert url.endswith(".ics")
    subscribed = requests.get(url, timeout=30)
    assert subscribed.status_code == 200
    assert Calendar.from_ical(subscribed.content)["X-WR-CALNAME"] == "On call: ana"
    mine = events(subscribed.content)
    assert mine == shifts_over_the_window_of(mine, "ana")
    assert {row[0] for row in mine} == {"ana"}
    assert len(mine) > 30


@needs_pango
def test_pypdf_reads_a_report_fetched_with_an_api_token(live_server):
    checkout = ServiceFactory(name="Checkout", team=TeamFactory(name="Payments"))
    for title in ("Checkout down", "Card declines"):
        open_incident(checkout, title=title, severity="SEV1")
    api = Api(live_server.url, UserFactory(roles=["Responder"]))
    today = timezone.localdate()
    start = datetime.combine(today - timedelta(days=6), time(), tzinfo=UTC)
    week = timedelta(days=7)

    asked = api.post(
        "/api/insights/reports/generate",
        {"kind": "incidents", "start": start.isoformat(), "end": (start + week).isoformat()},
    )

    assert asked.status_code == 202, asked.text
    report = asked.json()
    insights_services.report_generate(report["id"])  # what the reports worker runs
    done = api.get(report["url"]).json()
    assert done["status"] == "done", done["error"]
    pdf = api.get(done["links"]["pdf"])
    assert pdf.headers["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    words = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Incidents report" in words
    assert "2 incidents triggered, 0 acknowledged and 0 resolved" in words, words[:2000]
    assert "SEV1\N{EN DASH}SEV2 2 of 2 incidents" in words
    assert "Checkout 2 0 new" in words
