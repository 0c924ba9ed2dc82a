"""The admin edits a layer's rotation as a number and a unit and its restrictions as
rows of weekdays and times, stores the model's values, and shows them back the same way;
the schedule list costs the same queries however many schedules it shows."""

import re
from datetime import date, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oncall import selectors, services
from oncall.admin_widgets import duration_text, restrictions_text
from oncall.models import ScheduleLayer
from tests.admin_forms import admin_errors, admin_post
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

LAYER_ADD = "/admin/oncall/schedulelayer/add/"
WORK_HOURS = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}


def layer_fields(prefix="", *, rotation=("1", "weeks"), rows=()):
    fields = {
        "name": "primary",
        "priority": "1",
        "rotation_length_amount": rotation[0],
        "rotation_length_unit": rotation[1],
        "handoff_date": "2026-03-02",
        "handoff_time": "09:00",
    }
    for index, row in enumerate([*rows, {}, {}]):  # the page's blank rows come along
        fields[f"restrictions-{index}-days"] = [str(day) for day in row.get("days", [])]
        fields[f"restrictions-{index}-start"] = row.get("start", "")
        fields[f"restrictions-{index}-end"] = row.get("end", "")
    return {f"{prefix}{name}": value for name, value in fields.items()}


def make_schedule(name="primary", *, rotation=timedelta(days=7), restrictions=(), team=None):
    return services.schedule_create(
        name=name,
        team=team or TeamFactory(),
        layers=[
            {
                "name": "weekly",
                "rotation_length": rotation,
                "handoff_date": date(2024, 1, 1),
                "handoff_time": time(9),
                "restrictions": list(restrictions),
                "members": [
                    UserFactory(username=f"{name}-ana"),
                    UserFactory(username=f"{name}-bo"),
                ],
            }
        ],
    )


def selected(html, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)" selected>', select)


def checked_days(html, name):
    return sorted(
        int(value)
        for value in re.findall(
            rf'<input type="checkbox" name="{name}" value="(\d)"[^>]* checked>', html
        )
    )


def input_value(html, name):
    return re.search(rf'<input type="[a-z]+" name="{name}" value="([^"]*)"', html).group(1)


def test_a_layer_is_added_with_twelve_hours_and_working_hours(admin_client):
    schedule = make_schedule()
    data = {
        "schedule": str(schedule.pk),
        **layer_fields(rotation=("12", "hours"), rows=[WORK_HOURS]),
    }

    response = admin_post(admin_client, LAYER_ADD, data)

    assert response.status_code == 302
    layer = ScheduleLayer.objects.get(schedule=schedule, name="primary")
    assert layer.rotation_length == timedelta(hours=12)
    assert layer.restrictions == [WORK_HOURS]


def test_a_schedule_is_added_with_a_one_week_layer_and_two_windows(admin_client):
    weekend = {"days": [6, 5], "start": "9:30", "end": "02:00"}
    data = {
        "name": "follow the sun",
        "team": str(TeamFactory().pk),
        "time_zone": "Europe/London",
        "description": "",
        "layers-TOTAL_FORMS": "1",
        **layer_fields("layers-0-", rotation=("1", "weeks"), rows=[WORK_HOURS, weekend]),
    }

    response = admin_post(admin_client, "/admin/oncall/schedule/add/", data)

    assert response.status_code == 302
    layer = ScheduleLayer.objects.get()
    assert layer.rotation_length == timedelta(weeks=1)
    assert layer.restrictions == [WORK_HOURS, {"days": [5, 6], "start": "09:30", "end": "02:00"}]


@pytest.mark.parametrize(
    ("rotation", "message"),
    [
        (("twelve", "hours"), "Enter a whole number of hours, days or weeks"),
        (("1.5", "days"), "Enter a whole number of hours, days or weeks"),
        (("1", "fortnights"), "Enter a whole number of hours, days or weeks"),
        (("", "days"), "This field is required."),
        (("400", "days"), "A rotation lasts from one hour to 366 days."),
    ],
)
def test_a_bad_rotation_is_a_form_error_and_nothing_is_stored(admin_client, rotation, message):
    schedule = make_schedule()
    data = {"schedule": str(schedule.pk), **layer_fields(rotation=rotation)}

    errors = admin_errors(admin_post(admin_client, LAYER_ADD, data))

    [error] = errors["rotation_length"]
    assert error.startswith(message)
    assert ScheduleLayer.objects.count() == 1


def test_a_half_filled_window_is_a_form_error_and_nothing_is_stored(admin_client):
    schedule = make_schedule()
    data = {
        "schedule": str(schedule.pk),
        **layer_fields(rows=[{"days": [0], "start": "09:00", "end": ""}]),
    }

    errors = admin_errors(admin_post(admin_client, LAYER_ADD, data))

    assert errors["restrictions"] == [
        "restriction 1: end must be a time of day as HH:MM, e.g. 09:00."
    ]
    assert ScheduleLayer.objects.count() == 1


def test_the_change_page_shows_the_stored_rotation_and_windows(admin_client):
    layer = make_schedule(rotation=timedelta(weeks=2), restrictions=[WORK_HOURS]).layers.get()

    html = admin_client.get(f"/admin/oncall/schedulelayer/{layer.pk}/change/").content.decode()

    assert input_value(html, "rotation_length_amount") == "2"
    assert selected(html, "rotation_length_unit") == ["weeks"]
    assert checked_days(html, "restrictions-0-days") == [0, 1, 2, 3, 4]
    assert input_value(html, "restrictions-0-start") == "09:00"
    assert input_value(html, "restrictions-0-end") == "17:00"
    assert checked_days(html, "restrictions-1-days") == []  # a blank row to add one
    assert input_value(html, "restrictions-1-start") == ""


def test_a_rotation_in_minutes_is_shown_exactly_and_kept_when_the_page_is_saved(admin_client):
    layer = make_schedule(rotation=timedelta(minutes=90)).layers.get()
    url = f"/admin/oncall/schedulelayer/{layer.pk}/change/"
    html = admin_client.get(url).content.decode()
    assert (
        input_value(html, "rotation_length_amount"),
        selected(html, "rotation_length_unit"),
    ) == (
        "90",
        ["minutes"],
    )
    data = {"schedule": str(layer.schedule_id), **layer_fields(rotation=("90", "minutes"))}
    data["name"] = "renamed"
    for index, member in enumerate(layer.members.order_by("position")):
        data[f"members-{index}-id"] = str(member.pk)
        data[f"members-{index}-layer"] = str(layer.pk)
        data[f"members-{index}-position"] = str(member.position)
        data[f"members-{index}-user"] = str(member.user_id)

    response = admin_post(admin_client, url, data)

    assert response.status_code == 302
    layer.refresh_from_db()
    assert (layer.name, layer.rotation_length, layer.restrictions) == (
        "renamed",
        timedelta(minutes=90),
        [],
    )


def test_clearing_a_window_on_the_schedule_page_removes_it(admin_client):
    schedule = make_schedule(
        restrictions=[WORK_HOURS, {"days": [5], "start": "10:00", "end": "12:00"}]
    )
    layer = schedule.layers.get()
    url = f"/admin/oncall/schedule/{schedule.pk}/change/"
    data = {
        "name": schedule.name,
        "team": str(schedule.team_id),
        "time_zone": schedule.time_zone,
        "description": "",
        "layers-0-id": str(layer.pk),
        "layers-0-schedule": str(schedule.pk),
        **layer_fields("layers-0-", rotation=("3", "days"), rows=[{}, WORK_HOURS]),
    }
    data["layers-0-name"] = layer.name

    response = admin_post(admin_client, url, data)

    assert response.status_code == 302
    layer.refresh_from_db()
    assert (layer.rotation_length, layer.restrictions) == (timedelta(days=3), [WORK_HOURS])


def test_the_layer_list_reads_as_people_write(admin_client):
    make_schedule("a", rotation=timedelta(weeks=1), restrictions=[WORK_HOURS])
    make_schedule("b", rotation=timedelta(hours=12))

    html = admin_client.get("/admin/oncall/schedulelayer/").content.decode()

    assert '<td class="field-rotation">1 week</td>' in html
    assert '<td class="field-rotation">12 h</td>' in html
    assert '<td class="field-restricted_to">Mon\u2013Fri 09:00\u201317:00</td>' in html
    assert '<td class="field-restricted_to">always</td>' in html


def test_a_view_only_user_sees_the_layer_readably(client):
    layer = make_schedule(rotation=timedelta(days=3), restrictions=[WORK_HOURS]).layers.get()
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_schedulelayer"))
    client.force_login(viewer)

    html = client.get(f"/admin/oncall/schedulelayer/{layer.pk}/change/").content.decode()

    assert "3 days" in html
    assert "Mon\u2013Fri 09:00\u201317:00" in html
    assert "rotation_length_amount" not in html


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(weeks=1), "1 week"),
        (timedelta(weeks=3), "3 weeks"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=10), "10 days"),
        (timedelta(hours=12), "12 h"),
        (timedelta(hours=36), "36 h"),
        (timedelta(minutes=90), "90 min"),
        (None, "—"),
    ],
)
def test_duration_text(value, text):
    assert duration_text(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ([], "always"),
        ([WORK_HOURS], "Mon\u2013Fri 09:00\u201317:00"),
        ([{"days": [5, 6], "start": "10:00:00", "end": "14:00"}], "Sat, Sun 10:00\u201314:00"),
        (
            [{"days": [0, 2, 3, 4, 6], "start": "22:00", "end": "06:00"}],
            "Mon, Wed\u2013Fri, Sun 22:00\u201306:00 (overnight)",
        ),
        (
            [{"days": list(range(7)), "start": "07:00", "end": "19:00"}],
            "every day 07:00\u201319:00",
        ),
        ({"start": "9am"}, "unreadable: {'start': '9am'}"),
    ],
)
def test_restrictions_text(value, text):
    assert restrictions_text(value) == text


# --- the schedule list ----------------------------------------------------------


def changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/oncall/schedule/")
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_schedule_list_costs_the_same_queries_for_two_and_six_schedules(admin_client):
    team = TeamFactory()
    for name in ("s1", "s2"):
        make_schedule(name, team=team)
    with_two = changelist_queries(admin_client)
    for name in ("s3", "s4", "s5", "s6"):
        schedule = make_schedule(name, team=team, restrictions=[WORK_HOURS])
        services.override_create(
            schedule=schedule,
            user=UserFactory(),
            start=schedule.created_at - timedelta(days=1),
            end=schedule.created_at + timedelta(days=1),
        )

    with_six = changelist_queries(admin_client)

    assert with_six == with_two


def test_the_schedule_list_names_who_is_on_call_now_overrides_included(admin_client):
    quiet = make_schedule("quiet", restrictions=[])
    covered = make_schedule("covered")
    cover = UserFactory(username="cover")
    services.override_create(
        schedule=covered,
        user=cover,
        start=covered.created_at - timedelta(hours=1),
        end=covered.created_at + timedelta(days=1),
    )
    quiet_now = selectors.oncall_user_id(selectors.schedule_list().get(pk=quiet.pk), timezone.now())

    html = admin_client.get("/admin/oncall/schedule/").content.decode()

    # Listed by name: "covered", then "quiet".
    on_call = re.findall(r'<td class="field-on_call_now">([^<]*)</td>', html)
    assert on_call == ["cover", get_user_model().objects.get(pk=quiet_now).username]
