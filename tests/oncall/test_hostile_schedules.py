"""Schedules built to break the date arithmetic or the HTTP headers: a first handoff at
the end of the calendar, a rotation of millions of days, query windows at year 9999, and
names with line breaks or quotes. The API refuses what it can; what reaches the database
anyway (raw SQL) never makes a page answer 500."""

import re
import string
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import unquote

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from icalendar import Calendar
from rest_framework.test import APIClient

from incidents import services
from oncall import services as oncall_services
from oncall.models import Schedule, ScheduleLayer
from oncall.rotation import Layer, Restriction, ScheduleSpec, final_shifts, oncall_at
from tests.factories import ServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MAX = datetime.max.replace(tzinfo=UTC)
MIN = datetime.min.replace(tzinfo=UTC)


def api(role):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[role]))
    return client


def store(model, pk, **values):
    """Write ``values`` with raw SQL, around the model's validation (a hand edit)."""
    for column, value in values.items():
        field = model._meta.get_field(column)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {model._meta.db_table} SET {field.column} = %s WHERE id = %s",
                [field.get_db_prep_value(value, connection), pk],
            )
            assert cursor.rowcount == 1


def api_layer(**overrides):
    return {
        "name": "daily",
        "rotation_length": "1 00:00:00",
        "handoff_date": "2026-03-02",
        "handoff_time": "09:00",
        "members": [UserFactory(username="ana").pk],
        **overrides,
    }


def post_schedule(client, *, name="primary", time_zone="America/New_York", **layer):
    return client.post(
        "/api/schedules",
        {
            "name": name,
            "team": TeamFactory().pk,
            "time_zone": time_zone,
            "layers": [api_layer(**layer)],
        },
        format="json",
    )


# --- the API refuses what would break the arithmetic ---------------------------------


@pytest.mark.parametrize(
    "handoff_date", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01", "5000-06-01"]
)
def test_api_refuses_a_handoff_date_outside_2000_to_2100(handoff_date):
    response = post_schedule(api("Manager"), handoff_date=handoff_date, handoff_time="23:00")

    assert response.status_code == 400, response.content
    layers = response.json()["error"]["fields"]["layers"]
    errors = layers["0"] if isinstance(layers, dict) else layers[0]
    assert errors == {"handoff_date": ["The first handoff must be between 2000 and 2100."]}
    assert not Schedule.objects.exists()


@pytest.mark.parametrize("handoff_date", ["2000-01-01", "2100-12-31"])
def test_api_accepts_the_handoff_date_bounds(handoff_date):
    assert post_schedule(api("Manager"), handoff_date=handoff_date).status_code == 201


def test_the_model_refuses_a_far_handoff_date_for_services_and_admin():
    layer = ScheduleLayer(
        name="x",
        rotation_length=timedelta(days=1),
        handoff_date=date(9999, 12, 31),
        handoff_time=time(23),
    )
    with pytest.raises(ValidationError) as error:
        layer.clean_fields(exclude=["schedule"])
    assert error.value.message_dict == {
        "handoff_date": ["The first handoff must be between 2000 and 2100."]
    }


# --- rows written around the validation ----------------------------------------------

# (time zone, layer columns) that the API refuses but raw SQL can store.
HOSTILE_ROWS = [
    pytest.param(
        ("America/New_York", {"handoff_date": date(9999, 12, 31), "handoff_time": time(23)}),
        id="handoff-9999-12-31-23h-new-york",
    ),
    pytest.param(
        ("Asia/Tokyo", {"handoff_date": date(1, 1, 1), "handoff_time": time(0)}),
        id="handoff-0001-01-01-tokyo",
    ),
    pytest.param(
        (
            "America/New_York",
            # The first turn would end after year 9999.
            {"handoff_date": date(2026, 5, 1), "rotation_length": timedelta(days=2_950_000)},
        ),
        id="rotation-2.9-million-days",
    ),
    pytest.param(
        (
            "Pacific/Kiritimati",
            {
                "handoff_date": date(9999, 12, 30),
                "rotation_length": timedelta(days=2_900_000),
                "restrictions": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "22:00", "end": "06:00"}],
            },
        ),
        id="restricted-at-the-end-of-time",
    ),
    pytest.param(
        (
            "Etc/GMT+12",
            {
                "handoff_date": date(1, 1, 1),
                "handoff_time": time(0),
                "rotation_length": timedelta(hours=1),
                "restrictions": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "09:00", "end": "17:00"}],
            },
        ),
        id="restricted-hourly-from-year-1",
    ),
]


@pytest.fixture
def hostile(request):
    """A schedule the on-call step of a service's policy pages, then its layer stored as
    ``request.param`` says, around the validation."""
    time_zone, columns = request.param
    ana, ben = UserFactory(username="ana", roles=["Responder"]), UserFactory(username="ben")
    oncall_services.contact_method_create(user=ben, kind="email", address="ben@example.com")
    team = TeamFactory()
    schedule = oncall_services.schedule_create(
        name="hostile",
        team=team,
        time_zone="UTC",
        layers=[
            {
                "name": "daily",
                "rotation_length": timedelta(days=1),
                "handoff_date": date(2026, 1, 1),
                "handoff_time": time(0),
                "members": [ben],
            }
        ],
    )
    store(Schedule, schedule.pk, time_zone=time_zone)
    store(ScheduleLayer, schedule.layers.get().pk, **columns)
    service = ServiceFactory(team=team)
    policy = services.policy_save(
        name="hostile policy",
        team=team,
        steps=[
            {"delay": timedelta(minutes=5), "users": [ana]},
            {"delay": timedelta(minutes=5), "schedules": [schedule]},
        ],
    )
    services.escalation_rule_set(service=service, policy=policy)
    feed = oncall_services.calendar_feed_get_or_create(user=ben)
    return {"schedule": schedule, "service": service, "ana": ana, "feed": feed}


def not_500(response, *allowed):
    assert response.status_code < 500, response.content[:500]
    if allowed:
        assert response.status_code in allowed, response.content[:500]
    return response


@pytest.mark.parametrize("hostile", HOSTILE_ROWS, indirect=True)
def test_a_hostile_stored_schedule_answers_everywhere(hostile):
    pk = hostile["schedule"].pk
    viewer = api("Viewer")
    responder = APIClient()
    responder.force_authenticate(hostile["ana"])
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))

    with time_machine.travel(T0, tick=False):
        not_500(viewer.get("/api/incidents/oncall"), 200)
        not_500(viewer.get("/api/schedules"), 200)
        not_500(viewer.get(f"/api/schedules/{pk}"), 200)
        not_500(viewer.get(f"/api/schedules/{pk}/oncall"), 200)
        not_500(viewer.get(f"/api/schedules/{pk}/shifts", {"gaps": "true"}), 200)
        ical = not_500(viewer.get(f"/api/schedules/{pk}/ical"), 200)
        feed = not_500(Client().get(f"/calendar/{hostile['feed'].token}.ics"), 200)
        not_500(admin.get("/admin/oncall/schedule/"), 200)
        not_500(admin.get(f"/admin/oncall/schedule/{pk}/change/"), 200)
        created = not_500(
            responder.post(
                "/api/incidents",
                {"service": hostile["service"].pk, "title": "down", "severity": "SEV2"},
                format="json",
            ),
            201,
        )
        incident = created.json()["id"]
        not_500(responder.post(f"/api/incidents/{incident}/escalate"), 200)
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        services.escalations_advance_due()

    for body in (ical.content, feed.content):
        assert Calendar.from_ical(body).get("x-wr-calname")


def test_a_stored_one_second_rotation_is_refused_quickly_not_looped_over():
    """The arithmetic refuses a window of more than MAX_TURNS turns (a ValueError, which
    breaks only this schedule) instead of computing a million one-second shifts."""
    created = post_schedule(api("Manager"), time_zone="UTC", handoff_date="2026-01-01")
    pk = created.json()["id"]
    store(ScheduleLayer, ScheduleLayer.objects.get().pk, rotation_length=timedelta(seconds=1))
    viewer = api("Viewer")

    with time_machine.travel(T0, tick=False):
        shifts = viewer.get(f"/api/schedules/{pk}/shifts")
        ical = viewer.get(f"/api/schedules/{pk}/ical")
        oncall = viewer.get(f"/api/schedules/{pk}/oncall")
        overview = viewer.get("/api/incidents/oncall")

    for response in (shifts, ical):
        assert response.status_code == 409, response.content
        assert response.json()["error"]["fields"] == {"schedule": pk}
    assert oncall.status_code == 200
    assert oncall.json()["user"]["username"] == "ana"  # one instant is one turn
    assert overview.status_code == 200


# --- query windows at the end of the calendar ------------------------------------------


@pytest.fixture
def tokyo():
    """A valid schedule in a zone ahead of UTC (its wall time passes year 9999 first)."""
    response = post_schedule(api("Manager"), time_zone="Asia/Tokyo")
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.mark.parametrize(
    "query",
    [
        {"start": "9999-12-31T00:00:00Z"},
        {"start": "9999-12-31T00:00:00Z", "gaps": "true"},
        {"start": "9999-12-30T00:00:00Z", "end": "9999-12-31T23:59:59.999999Z"},
        {"start": "0001-01-01T00:00:00Z", "end": "0001-01-02T00:00:00Z", "gaps": "true"},
        {"end": "9999-12-31T23:59:59Z"},
    ],
)
def test_shift_windows_at_the_end_of_the_calendar_answer(tokyo, query):
    response = not_500(api("Viewer").get(f"/api/schedules/{tokyo}/shifts", query), 200, 400)
    if response.status_code == 400:
        assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    ("at", "username"),
    [
        # A daily rotation from 2026 with one member goes on to the end of the calendar.
        ("9999-12-31T23:59:59Z", "ana"),
        ("9999-12-31T23:59:59.999999Z", "ana"),
        ("0001-01-01T00:00:00Z", None),
    ],
)
def test_oncall_at_the_end_of_the_calendar_answers(tokyo, at, username):
    response = not_500(api("Viewer").get(f"/api/schedules/{tokyo}/oncall", {"at": at}), 200)

    user = response.json()["user"]
    assert (user and user["username"]) == username


# --- the rotation maths on its own: any window, any layer ------------------------------

ZONES = ["UTC", "Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT+12", "America/New_York"]
instants = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)
).map(lambda d: d.replace(tzinfo=UTC))
walls = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59))
rotations = st.sampled_from(
    [timedelta(hours=1), timedelta(days=1), timedelta(days=366), timedelta(days=2_900_000)]
)
restrictions = st.sampled_from(
    [
        (),
        (Restriction((0, 1, 2, 3, 4, 5, 6), time(22), time(6)),),
        (Restriction((0,), time(9), time(17)),),
    ]
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    handoff=walls,
    rotation=rotations,
    restricted=restrictions,
    start=instants,
    length=st.sampled_from([timedelta(microseconds=1), timedelta(hours=5), timedelta(days=20)]),
)
def test_the_rotation_maths_never_overflows(zone, handoff, rotation, restricted, start, length):
    spec = ScheduleSpec(zone, layers=(Layer(1, 1, (1, 2), rotation, handoff, restricted),))
    end = MAX if MAX - start < length else start + length

    shifts = final_shifts(spec, start, end, gaps=True)
    oncall_at(spec, start)

    if start < end:
        assert shifts[0].start == start
        assert shifts[-1].end == end
    for shift in shifts:
        assert start <= shift.start < shift.end <= end


def test_oncall_at_the_last_instant_and_windows_ending_there():
    spec = ScheduleSpec(
        "Asia/Tokyo", layers=(Layer(1, 1, (7,), timedelta(days=1), datetime(2026, 1, 1)),)
    )

    assert oncall_at(spec, MAX) == 7
    assert oncall_at(spec, MIN) is None
    assert final_shifts(spec, MAX - timedelta(hours=1), MAX)[-1].end == MAX


# --- names with line breaks and quotes ---------------------------------------------------


@pytest.mark.parametrize("name", ["evil\r\nX-Injected: 1", "line\nbreak", "tab\there", "nul\x00"])
def test_api_refuses_control_characters_in_a_schedule_name(name):
    response = post_schedule(api("Manager"), name=name)

    assert response.status_code == 400, response.content
    assert "name" in response.json()["error"]["fields"]
    assert not Schedule.objects.exists()


HOSTILE_NAMES = [
    pytest.param("evil\r\nX-Injected: 1", id="crlf"),
    pytest.param('a"; filename="evil.exe', id="quote"),
    pytest.param("Astreinte \u00e9t\u00e9 \u2603", id="non-ascii"),
    pytest.param("semi;colon,comma\\back", id="ical-specials"),
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_ical_feeds_survive_any_stored_name(name):
    created = post_schedule(api("Manager"), name="plain", handoff_date="2026-01-01")
    pk = created.json()["id"]
    store(Schedule, pk, name=name)
    ana = get_user_model().objects.get(username="ana")
    store(get_user_model(), ana.pk, username=f"ana{name}"[:150])
    feed = oncall_services.calendar_feed_get_or_create(user=ana)

    with time_machine.travel(T0, tick=False):
        responses = [
            api("Viewer").get(f"/api/schedules/{pk}/ical"),
            Client().get(f"/calendar/{feed.token}.ics"),
        ]

    shown = re.sub(r"[\x00-\x1f]+", " ", name)  # a line break shows as a space
    for response in responses:
        assert response.status_code == 200, response.content[:300]
        disposition = response["Content-Disposition"]
        assert set(disposition) <= set(map(chr, range(0x20, 0x7F)))  # no CR/LF, ASCII
        assert disposition.count('"') == 2, disposition  # one quoted filename, ours
        assert disposition.startswith('inline; filename="')
        ascii_part, encoded = disposition.split("; filename*=UTF-8''")
        assert "evil" not in ascii_part
        assert set(encoded) <= set(string.ascii_letters + string.digits + "%-._~")
        assert unquote(encoded).endswith(".ics")
        calendar = Calendar.from_ical(response.content)
        # An X- property is parsed as it was written: undo the TEXT escaping by hand.
        assert shown in re.sub(r"\\(.)", r"\1", str(calendar["x-wr-calname"]))
        summaries = [str(event["summary"]) for event in calendar.walk("VEVENT")]
        assert summaries
        assert all(shown in summary for summary in summaries)
        assert all(b"\r" not in line for line in response.content.split(b"\r\n"))
        assert all(b"\n" not in line for line in response.content.split(b"\r\n"))
    assert responses[0]["Content-Disposition"].startswith(f'inline; filename="schedule-{pk}.ics"')
