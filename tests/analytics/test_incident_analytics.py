"""Incident analytics against figures computed here from the test's own table of
incidents, alerts and pages: response times by group, alert noise (per incident, the
noisiest names, flapping groups), on-call load in each person's own time zone, a
query count that does not grow with the data, and the API's 400s."""

import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from analytics.incident_analytics import incident_analytics, out_of_hours
from core.models import DeliveryStatus
from incidents import services
from incidents.models import Alert, Notification
from oncall import services as oncall_services
from tests.factories import (
    ServiceFactory,
    TeamFactory,
    UserFactory,
    make_integration,
    open_incident,
)

pytestmark = pytest.mark.django_db

D0 = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday in winter: London on GMT, New York on EST
START, END = D0, D0 + timedelta(days=7)
H = timedelta(hours=1)
URL = "/api/analytics/incidents"

# (service, hours after D0, seconds to acknowledge, seconds to resolve, severity)
INCIDENTS = [
    ("api", 1, 60, 600, "SEV1"),
    ("api", 24, 180, 3000, "SEV2"),
    ("web", 48, 120, None, "SEV3"),
    ("web", 72, None, None, "SEV3"),
    ("web", 96, 600, 9000, "SEV1"),
]
OUTSIDE = ("api", -1, 1, 2, "SEV1")  # triggered before the window


def make_incident(services_by_slug, row):
    slug, hours, ack, resolve, severity = row
    at = D0 + hours * H
    incident = open_incident(services_by_slug[slug], at=at, severity=severity)
    if ack is not None:
        services.incident_acknowledge(incident=incident, by=None, at=at + timedelta(seconds=ack))
    if resolve is not None:
        services.incident_resolve(incident=incident, by=None, at=at + timedelta(seconds=resolve))
    return incident


@pytest.fixture
def world():
    team_a, team_b = TeamFactory(slug="a"), TeamFactory(slug="b")
    by_slug = {
        "api": ServiceFactory(slug="api", name="API", team=team_a),
        "web": ServiceFactory(slug="web", name="Web", team=team_b),
    }
    incidents = [make_incident(by_slug, row) for row in INCIDENTS]
    outside = make_incident(by_slug, OUTSIDE)
    hooks = {slug: make_integration(service=service)[0] for slug, service in by_slug.items()}
    return {"services": by_slug, "incidents": incidents, "outside": outside, "hooks": hooks}


def times(rows, index):
    return [row[index] for row in rows if row[index] is not None]


def expected_times(rows) -> dict:
    mtta, mttr = times(rows, 2), times(rows, 3)

    def stats(values):
        if not values:
            return None, None, None
        return (
            statistics.fmean(values),
            statistics.median(values),
            float(np.percentile(values, 90)),  # linear, as percentile_cont
        )

    return {
        "incidents": len(rows),
        "acknowledged": len(mtta),
        "resolved": len(mttr),
        **dict(zip(("mtta_mean", "mtta_median", "mtta_p90"), stats(mtta), strict=True)),
        **dict(zip(("mttr_mean", "mttr_median", "mttr_p90"), stats(mttr), strict=True)),
    }


def assert_times(row, expected):
    for key, value in expected.items():
        assert row[key] == (None if value is None else pytest.approx(value)), key


# --- response times ---------------------------------------------------------------------


def test_overall_response_times(world):
    [row] = incident_analytics(start=START, end=END)["response_times"]

    assert_times(row, expected_times(INCIDENTS))


@pytest.mark.parametrize(
    ("group_by", "key", "of"), [("severity", "severity", 4), ("service", "service__slug", 0)]
)
def test_response_times_by_group(world, group_by, key, of):
    rows = incident_analytics(start=START, end=END, group_by=group_by)["response_times"]

    groups = defaultdict(list)
    for incident in INCIDENTS:
        groups[incident[of]].append(incident)
    assert [row[key] for row in rows] == sorted(groups)
    for row in rows:
        assert_times(row, expected_times(groups[row[key]]))


def test_response_times_by_team_and_by_day(world):
    by_team = incident_analytics(start=START, end=END, group_by="team")["response_times"]
    by_day = incident_analytics(start=START, end=END, group_by="period", period="day")

    assert [(r["service__team__slug"], r["incidents"]) for r in by_team] == [("a", 2), ("b", 3)]
    assert [(r["period"], r["incidents"]) for r in by_day["response_times"]] == [
        (D0 + timedelta(days=day), 1) for day in range(5)
    ]


# --- alert noise ------------------------------------------------------------------------

# (service, incident index or None, hours after D0, status, alertname, summary, group)
ALERTS = [
    *[("api", 0, 1, "firing", "HighErrorRate", "", "g-errors")] * 5,
    *[("api", 0, 2, "resolved", "HighErrorRate", "", "g-errors")] * 2,
    ("api", 1, 24, "firing", "HighLatency", "", "g-latency"),
    ("web", 4, 96, "firing", "DiskFull", "", "g-disk"),
    ("web", 4, 96, "firing", "", "Queue backlog", "g-disk"),
    ("web", 4, 97, "firing", "HighErrorRate", "", "g-disk"),
    ("web", None, 100, "firing", "", "", "g-orphan"),  # named by its fingerprint
    ("api", None, -3, "firing", "HighErrorRate", "", "g-old"),  # before the window
]
# Deliveries of two groups: (hours after D0, firing?) - repeat firing notices are not new fires.
FLAPPY = [(10, True), (11, True), (12, False), (13, True), (14, False), (15, True)]
FLAPPY += [(16, False), (17, True), (18, True)]  # fired again 3 times
TWICE = [(20, True), (21, False), (22, True), (23, False), (24, True)]  # only twice


def store_alerts(world):
    rows = []
    for index, (slug, incident, hours, status, name, summary, group) in enumerate(ALERTS):
        target = None if incident is None else world["incidents"][incident]
        rows.append(
            Alert(
                integration=world["hooks"][slug],
                incident=target,
                fingerprint=f"fp-{index}",
                group_key=group,
                status=status,
                summary=summary,
                severity="SEV3",
                labels={"alertname": name} if name else {},
                received_at=D0 + hours * H,
            )
        )
    for slug, group, deliveries in (("api", "g-flappy", FLAPPY), ("web", "g-twice", TWICE)):
        for hours, firing in deliveries:
            rows.append(
                Alert(
                    integration=world["hooks"][slug],
                    fingerprint=f"{group}-{hours}",
                    group_key=group,
                    status="firing" if firing else "resolved",
                    summary="Flaps",
                    severity="SEV3",
                    labels={"alertname": "Flappy"},
                    received_at=D0 + hours * H,
                )
            )
    Alert.objects.bulk_create(rows)


def test_alerts_per_incident_over_the_incidents_that_have_alerts(world):
    store_alerts(world)
    per_incident = Counter(
        row[1] for row in ALERTS if row[1] is not None and row[3] == "firing"
    )  # incident index -> firing alerts

    summary = incident_analytics(start=START, end=END)["alert_noise"]["alerts_per_incident"]

    counts = list(per_incident.values())  # 5, 1, 3
    assert summary == {
        "incidents": len(counts),
        "mean": pytest.approx(statistics.fmean(counts)),
        "median": statistics.median(counts),
        "max": max(counts),
    }


def test_the_noisiest_alert_names_with_the_incidents_they_touched(world):
    store_alerts(world)
    fired = [row for row in ALERTS if row[3] == "firing" and row[2] >= 0]
    fired_names = [(row[4] or row[5] or f"fp-{ALERTS.index(row)}", row[1]) for row in fired] + [
        ("Flappy", None)
    ] * sum(f for _, f in FLAPPY + TWICE)
    counts = Counter(name for name, _ in fired_names)
    touched = {name: {i for n, i in fired_names if n == name and i is not None} for name in counts}

    noisiest = incident_analytics(start=START, end=END)["alert_noise"]["noisiest_alerts"]

    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert [(row["name"], row["alerts"]) for row in noisiest] == expected
    for row in noisiest:
        assert row["incidents"] == len(touched[row["name"]])
    assert noisiest[0] == {"name": "Flappy", "alerts": 9, "incidents": 0}
    assert {"name": "HighErrorRate", "alerts": 6, "incidents": 2} in noisiest


def test_a_group_that_fired_again_three_times_flaps(world):
    store_alerts(world)

    flapping = incident_analytics(start=START, end=END)["alert_noise"]["flapping_groups"]

    assert flapping == [
        {
            "service": "api",
            "group_key": "g-flappy",
            "fired": 4,
            "resolved": 3,
            "fired_again": 3,
            "alerts": sum(f for _, f in FLAPPY),
            "incidents": 0,
        }
    ]


# --- on-call load -----------------------------------------------------------------------


def test_out_of_hours_is_read_on_the_persons_own_clock():
    nine_pm = datetime(2026, 1, 6, 21, tzinfo=UTC)
    assert out_of_hours(nine_pm, ZoneInfo("Europe/London")) is True  # 21:00 GMT
    assert out_of_hours(nine_pm, ZoneInfo("America/New_York")) is False  # 16:00 EST
    early = datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    assert out_of_hours(early, ZoneInfo("Europe/London")) is False  # 08:30 BST
    assert out_of_hours(early.replace(month=1), ZoneInfo("Europe/London")) is True  # 07:30 GMT
    assert out_of_hours(datetime(2026, 1, 6, 8, tzinfo=UTC), ZoneInfo("UTC")) is False
    assert out_of_hours(datetime(2026, 1, 6, 20, tzinfo=UTC), ZoneInfo("UTC")) is True


def schedule(team, zone, *, members=(), name=None):
    return oncall_services.schedule_create(
        name=name or zone,
        team=team,
        time_zone=zone,
        layers=[
            {
                "name": "Primary",
                "rotation_length": timedelta(days=7),
                "handoff_date": date(2026, 1, 1),
                "handoff_time": time(9),
                "members": list(members),
            }
        ],
    )


def store_pages(incident, pages):
    """``pages``: (user, sent or created at, status)."""
    methods = {}
    rows = []
    for level, (user, at, status) in enumerate(pages):
        if user.pk not in methods:
            methods[user.pk] = oncall_services.contact_method_create(
                user=user, kind="email", address=f"{user.username}@example.com"
            )
        rows.append(
            Notification(
                incident=incident,
                level=level,
                user=user,
                contact_method=methods[user.pk],
                status=status,
                created_at=at - timedelta(seconds=2),
                sent_at=at if status == DeliveryStatus.SENT else None,
            )
        )
    Notification.objects.bulk_create(rows)


def test_pages_per_person_and_out_of_hours_in_their_own_time_zone(world, settings):
    settings.TIME_ZONE = "UTC"
    team = TeamFactory(slug="oncall")
    alice, bob, carol, dave = (UserFactory(username=n) for n in ("alice", "bob", "carol", "dave"))
    london = schedule(team, "Europe/London", members=[alice])
    schedule(team, "America/New_York", members=[bob])
    oncall_services.override_create(
        schedule=london, user=dave, start=D0, end=D0 + timedelta(days=1)
    )
    day = datetime(2026, 1, 6, tzinfo=UTC)
    sent = DeliveryStatus.SENT
    pages = [
        (alice, day + 21 * H, sent),  # 21:00 GMT: out
        (alice, day + 36 * H, sent),  # 12:00 GMT: in
        (alice, day + 55.5 * H, sent),  # 07:30 GMT: out
        (alice, day + 40 * H, DeliveryStatus.FAILED),  # not a page sent
        (alice, day + 41 * H, DeliveryStatus.PENDING),
        (bob, day + 21 * H, sent),  # 16:00 EST: in
        (bob, day + 27 * H, sent),  # 22:00 EST: out
        (carol, day + 20 * H, sent),  # no schedule: the site's UTC, 20:00 is out
        (carol, day + 8 * H, sent),  # 08:00 UTC: in
        (dave, day + 7.5 * H, sent),  # an override on London: 07:30 GMT, out
        (alice, START - H, sent),  # before the window
    ]
    store_pages(world["incidents"][0], pages)
    in_window = [p for p in pages if p[2] == sent and START <= p[1] < END]
    zones = {"alice": "Europe/London", "bob": "America/New_York", "carol": "UTC"}
    zones["dave"] = "Europe/London"

    load = incident_analytics(start=START, end=END)["oncall_load"]

    expected = []
    for user in (alice, bob, carol, dave):
        mine = [at for who, at, _ in in_window if who == user]
        local = [at.astimezone(ZoneInfo(zones[user.username])).time() for at in mine]
        expected.append(
            {
                "user": user.pk,
                "username": user.username,
                "time_zone": zones[user.username],
                "pages": len(mine),
                "pages_out_of_hours": sum(not time(8) <= t < time(20) for t in local),
                "share": pytest.approx(len(mine) / len(in_window)),
            }
        )
    expected.sort(key=lambda row: (-row["pages"], row["username"]))
    assert load == expected
    assert [row["pages_out_of_hours"] for row in load] == [2, 1, 1, 1]


# --- cost -------------------------------------------------------------------------------


def grow(world, n):
    """``n`` more incidents, each with alerts of a flapping group and pages."""
    user = UserFactory()
    london = TeamFactory()
    schedule(london, "Europe/London", members=[user], name=f"s-{user.pk}")
    for i in range(n):
        incident = make_incident(world["services"], ("api", 100 + i, 30, 90, "SEV2"))
        Alert.objects.bulk_create(
            Alert(
                integration=world["hooks"]["api"],
                incident=incident,
                fingerprint=f"grow-{user.pk}-{i}-{k}",
                group_key=f"grow-{user.pk}-{i}",
                status="firing" if k % 2 == 0 else "resolved",
                severity="SEV2",
                labels={"alertname": f"Grow{i}"},
                received_at=D0 + (100 + i) * H + k * timedelta(minutes=1),
            )
            for k in range(7)
        )
        store_pages(incident, [(user, D0 + (100 + i) * H, DeliveryStatus.SENT)])


@pytest.mark.parametrize("group_by", [None, "service", "period"])
def test_the_query_count_does_not_grow_with_the_data(world, group_by):
    grow(world, 1)
    with CaptureQueriesContext(connection) as one:
        small = incident_analytics(start=START, end=END, group_by=group_by)
    grow(world, 19)
    with CaptureQueriesContext(connection) as twenty:
        large = incident_analytics(start=START, end=END, group_by=group_by)

    assert len(one) == len(twenty) <= 5
    assert (
        len(large["alert_noise"]["flapping_groups"])
        == 20
        > len(small["alert_noise"]["flapping_groups"])
    )
    assert sum(row["pages"] for row in large["oncall_load"]) == 20


# --- API --------------------------------------------------------------------------------


def test_the_api_answers_the_report(world, viewer_client):
    store_alerts(world)

    response = viewer_client.get(
        URL, {"start": "2026-01-05T00:00:00Z", "end": "2026-01-12", "group_by": "severity"}
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {
        "start",
        "end",
        "group_by",
        "period",
        "response_times",
        "alert_noise",
        "oncall_load",
    }
    assert (body["start"], body["end"]) == ("2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z")
    assert (body["group_by"], body["period"]) == ("severity", "week")
    assert [row["severity"] for row in body["response_times"]] == ["SEV1", "SEV2", "SEV3"]
    assert body["alert_noise"]["alerts_per_incident"]["max"] == 5
    assert body["alert_noise"]["flapping_groups"][0]["group_key"] == "g-flappy"
    assert body["oncall_load"] == []


def test_the_api_defaults_to_the_last_30_days(world, viewer_client):
    response = viewer_client.get(f"{URL}/")

    assert response.status_code == 200
    body = response.json()
    start = datetime.fromisoformat(body["start"])
    end = datetime.fromisoformat(body["end"])
    assert end - start == timedelta(days=30)
    assert body["group_by"] is None
    assert len(body["response_times"]) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "owner"}, "group_by"),
        ({"period": "year"}, "period"),
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-13-01"}, "end"),
        ({"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "start"),
        ({"start": "2020-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "start"),
    ],
)
def test_bad_parameters_are_400_naming_them(viewer_client, params, field):
    response = viewer_client.get(URL, params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_who_may_read_it():
    assert APIClient().get(URL).status_code == 401
    nobody = APIClient()
    nobody.force_authenticate(UserFactory())  # signed in, but in no role
    assert nobody.get(URL).status_code == 403
