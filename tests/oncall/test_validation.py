"""A bad schedule layer, time zone, rotation length or contact address is refused with a
clear error wherever it can be entered (API, admin, services), and nothing is written."""

from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from oncall import services
from oncall.models import ContactMethod, LayerMember, Schedule, ScheduleLayer
from tests.admin_forms import admin_errors, admin_post
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

# (stored value, a fragment of the error it gets)
BAD_RESTRICTIONS = [
    pytest.param({"start": "9am"}, "A list of", id="object-not-list"),
    pytest.param("9am", "A list of", id="string-not-list"),
    pytest.param(5, "A list of", id="number-not-list"),
    pytest.param(
        [{"days": [0], "start": "9am", "end": "17:00"}],
        "restriction 1: start must be a time of day as HH:MM",
        id="bad-start",
    ),
    pytest.param([{"start": "9am"}], "restriction 1: days must be a non-empty list", id="no-days"),
    pytest.param(
        [{"days": [7], "start": "09:00", "end": "17:00"}], "restriction 1: days must be", id="day-7"
    ),
    pytest.param(
        [{"days": [0], "start": "09:00", "end": "17:00", "tz": "UTC"}],
        "restriction 1: unknown key(s) tz",
        id="unknown-key",
    ),
]
BAD_TIME_ZONES = ["Mars/Olympus", "London", "europe/london"]
# (API/admin text, value) outside one hour..366 days
BAD_ROTATIONS = [
    pytest.param("00:59:00", timedelta(minutes=59), id="59-minutes"),
    pytest.param("366 00:00:01", timedelta(days=366, seconds=1), id="366-days-and-a-second"),
    pytest.param("00:00:00", timedelta(0), id="zero"),
    pytest.param("-1 00:00:00", timedelta(days=-1), id="negative"),
]
ROTATION_ERROR = "A rotation lasts from one hour to 366 days."


def nothing_written():
    return (
        Schedule.objects.count(),
        ScheduleLayer.objects.count(),
        LayerMember.objects.count(),
    ) == (0, 0, 0)


# --- API --------------------------------------------------------------------------


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


def api_layer(**overrides):
    return {
        "name": "daily",
        "priority": 1,
        "rotation_length": "1 00:00:00",
        "handoff_date": "2026-03-02",
        "handoff_time": "09:00",
        "restrictions": [],
        "members": [UserFactory(username="ana").pk],
        **overrides,
    }


def post_schedule(client, *, time_zone="Europe/London", **layer):
    return client.post(
        "/api/schedules",
        {
            "name": "primary",
            "team": TeamFactory().pk,
            "time_zone": time_zone,
            "layers": [api_layer(**layer)],
        },
        format="json",
    )


def first_layer_errors(fields) -> dict:
    """The errors of the first layer written (DRF keys a list's errors by index)."""
    layers = fields["layers"]
    return layers["0"] if isinstance(layers, dict) else layers[0]


def validation_error(response) -> dict:
    """The fields of a 400 in the API's error shape."""
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"]
    return error["fields"]


def test_api_control_a_valid_schedule_with_a_restricted_layer_is_created(manager):
    restrictions = [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]
    response = post_schedule(manager, restrictions=restrictions)

    assert response.status_code == 201, response.json()
    assert response.json()["layers"][0]["restrictions"] == restrictions
    assert ScheduleLayer.objects.get().restrictions == restrictions


@pytest.mark.parametrize(("restrictions", "message"), BAD_RESTRICTIONS)
def test_api_refuses_bad_restrictions(manager, restrictions, message):
    fields = validation_error(post_schedule(manager, restrictions=restrictions))

    layer_errors = first_layer_errors(fields)
    assert list(fields) == ["layers"]
    assert any(message in error for error in layer_errors["restrictions"]), layer_errors
    assert nothing_written()


@pytest.mark.parametrize("time_zone", BAD_TIME_ZONES)
def test_api_refuses_a_bad_time_zone(manager, time_zone):
    fields = validation_error(post_schedule(manager, time_zone=time_zone))

    assert fields["time_zone"] == [f"{time_zone!r} is not an IANA time zone (e.g. Europe/London)."]
    assert nothing_written()


@pytest.mark.parametrize(("text", "value"), BAD_ROTATIONS)
def test_api_refuses_a_rotation_outside_an_hour_to_366_days(manager, text, value):
    fields = validation_error(post_schedule(manager, rotation_length=text))

    assert list(fields) == ["layers"]
    assert first_layer_errors(fields) == {"rotation_length": [ROTATION_ERROR]}
    assert nothing_written()


@pytest.mark.parametrize("text", ["01:00:00", "366 00:00:00"])
def test_api_accepts_the_rotation_bounds(manager, text):
    assert post_schedule(manager, rotation_length=text).status_code == 201


def test_api_patch_with_a_bad_layer_keeps_the_layers_it_had(manager):
    created = post_schedule(manager).json()
    [before] = ScheduleLayer.objects.values_list("pk", "restrictions")

    response = manager.patch(
        f"/api/schedules/{created['id']}",
        {"layers": [api_layer(restrictions=[{"days": [0], "start": "9am", "end": "17:00"}])]},
        format="json",
    )

    assert "restrictions" in first_layer_errors(validation_error(response))
    assert list(ScheduleLayer.objects.values_list("pk", "restrictions")) == [before]


# --- admin ------------------------------------------------------------------------


# The admin's fields as people fill them in: a number and a unit for the rotation, and
# rows of weekday checkboxes and a time window for the restrictions.
BAD_ADMIN_RESTRICTIONS = [
    pytest.param(
        {"days": ["0"], "start": "9am", "end": "17:00"},
        "restriction 1: start must be a time of day as HH:MM",
        id="bad-start",
    ),
    pytest.param(
        {"days": ["0"], "start": "09:00", "end": ""},
        "restriction 1: end must be a time of day as HH:MM",
        id="no-end",
    ),
    pytest.param(
        {"start": "09:00", "end": "17:00"},
        "restriction 1: days must be a non-empty list",
        id="no-days",
    ),
    pytest.param(
        {"days": ["7"], "start": "09:00", "end": "17:00"}, "restriction 1: days must be", id="day-7"
    ),
    pytest.param(
        {"days": ["x"], "start": "09:00", "end": "17:00"}, "restriction 1: days must be", id="day-x"
    ),
]
BAD_ADMIN_ROTATIONS = [
    pytest.param(("59", "minutes"), id="59-minutes"),
    pytest.param(("367", "days"), id="367-days"),
    pytest.param(("53", "weeks"), id="53-weeks"),
    pytest.param(("0", "hours"), id="zero"),
    pytest.param(("-1", "days"), id="negative"),
]


def admin_layer(prefix="", *, rotation=("1", "days"), restrictions=(), **overrides):
    values = {
        "name": "daily",
        "priority": "1",
        "rotation_length_amount": rotation[0],
        "rotation_length_unit": rotation[1],
        "handoff_date": "2026-03-02",
        "handoff_time": "09:00",
        **overrides,
    }
    rows = [*restrictions, {}]  # and a row left blank, as the page has
    for index, row in enumerate(rows):
        values[f"restrictions-{index}-days"] = list(row.get("days", []))
        values[f"restrictions-{index}-start"] = row.get("start", "")
        values[f"restrictions-{index}-end"] = row.get("end", "")
    return {f"{prefix}{name}": value for name, value in values.items()}


def schedule_add_data(*, time_zone="UTC", **layer):
    return {
        "name": "primary",
        "team": str(TeamFactory().pk),
        "time_zone": time_zone,
        "description": "",
        "layers-TOTAL_FORMS": "1",
        **admin_layer("layers-0-", **layer),
    }


SCHEDULE_ADD = "/admin/oncall/schedule/add/"
LAYER_ADD = "/admin/oncall/schedulelayer/add/"


def test_admin_control_a_valid_schedule_with_an_inline_layer_is_saved(admin_client):
    response = admin_post(
        admin_client,
        SCHEDULE_ADD,
        schedule_add_data(restrictions=[{"days": ["5", "6"], "start": "10:00", "end": "18:00"}]),
    )

    assert response.status_code == 302
    assert ScheduleLayer.objects.get().restrictions == [
        {"days": [5, 6], "start": "10:00", "end": "18:00"}
    ]


@pytest.mark.parametrize(("row", "message"), BAD_ADMIN_RESTRICTIONS)
def test_admin_schedule_form_refuses_an_inline_layer_with_bad_restrictions(
    admin_client, row, message
):
    response = admin_post(admin_client, SCHEDULE_ADD, schedule_add_data(restrictions=[row]))

    errors = admin_errors(response)
    assert any(message in error for error in errors["layers-0-restrictions"]), errors
    assert nothing_written()


@pytest.mark.parametrize("rotation", BAD_ADMIN_ROTATIONS)
def test_admin_schedule_form_refuses_an_inline_layer_with_a_bad_rotation(admin_client, rotation):
    response = admin_post(admin_client, SCHEDULE_ADD, schedule_add_data(rotation=rotation))

    assert admin_errors(response)["layers-0-rotation_length"] == [ROTATION_ERROR]
    assert nothing_written()


@pytest.mark.parametrize("time_zone", BAD_TIME_ZONES)
def test_admin_schedule_form_refuses_a_bad_time_zone(admin_client, time_zone):
    response = admin_post(admin_client, SCHEDULE_ADD, schedule_add_data(time_zone=time_zone))

    assert admin_errors(response)["time_zone"] == [
        f"{time_zone!r} is not an IANA time zone (e.g. Europe/London)."
    ]
    assert nothing_written()


def test_admin_schedule_change_form_refuses_a_new_bad_layer_and_keeps_the_schedule(
    admin_client,
):
    schedule = services.schedule_create(name="primary", team=TeamFactory(), time_zone="UTC")
    url = f"/admin/oncall/schedule/{schedule.pk}/change/"
    data = {
        "name": "renamed",
        "team": str(schedule.team_id),
        "time_zone": "Europe/Paris",
        "description": "",
        "layers-TOTAL_FORMS": "1",
        **admin_layer("layers-0-", restrictions=[{"start": "9am"}]),
    }

    errors = admin_errors(admin_post(admin_client, url, data))

    assert "layers-0-restrictions" in errors
    schedule.refresh_from_db()
    assert (schedule.name, schedule.time_zone) == ("primary", "UTC")
    assert ScheduleLayer.objects.count() == 0


def test_admin_control_a_valid_layer_is_added_on_its_own_page(admin_client):
    schedule = services.schedule_create(name="primary", team=TeamFactory())
    data = {"schedule": str(schedule.pk), **admin_layer()}

    response = admin_post(admin_client, LAYER_ADD, data)

    assert response.status_code == 302
    assert ScheduleLayer.objects.filter(schedule=schedule).count() == 1


@pytest.mark.parametrize(("row", "message"), BAD_ADMIN_RESTRICTIONS)
def test_admin_layer_form_refuses_bad_restrictions(admin_client, row, message):
    schedule = services.schedule_create(name="primary", team=TeamFactory())
    data = {"schedule": str(schedule.pk), **admin_layer(restrictions=[row])}

    errors = admin_errors(admin_post(admin_client, LAYER_ADD, data))

    assert any(message in error for error in errors["restrictions"]), errors
    assert ScheduleLayer.objects.count() == 0


@pytest.mark.parametrize("rotation", BAD_ADMIN_ROTATIONS)
def test_admin_layer_form_refuses_a_bad_rotation(admin_client, rotation):
    schedule = services.schedule_create(name="primary", team=TeamFactory())
    data = {"schedule": str(schedule.pk), **admin_layer(rotation=rotation)}

    assert admin_errors(admin_post(admin_client, LAYER_ADD, data))["rotation_length"] == [
        ROTATION_ERROR
    ]
    assert ScheduleLayer.objects.count() == 0


# --- services ---------------------------------------------------------------------


def service_layer(**overrides):
    return {
        "name": "daily",
        "priority": 1,
        "rotation_length": timedelta(days=1),
        "handoff_date": date(2026, 3, 2),
        "handoff_time": time(9),
        "restrictions": [],
        "members": [UserFactory(username="ana")],
        **overrides,
    }


@pytest.mark.parametrize(("restrictions", "message"), BAD_RESTRICTIONS)
def test_schedule_create_refuses_bad_restrictions(restrictions, message):
    with pytest.raises(ValidationError) as refused:
        services.schedule_create(
            name="primary", team=TeamFactory(), layers=[service_layer(restrictions=restrictions)]
        )

    assert any(message in error for error in refused.value.message_dict["restrictions"])
    assert nothing_written()


@pytest.mark.parametrize("time_zone", BAD_TIME_ZONES)
def test_schedule_create_refuses_a_bad_time_zone(time_zone):
    with pytest.raises(ValidationError) as refused:
        services.schedule_create(
            name="primary", team=TeamFactory(), time_zone=time_zone, layers=[service_layer()]
        )

    assert "time_zone" in refused.value.message_dict
    assert nothing_written()


@pytest.mark.parametrize(("text", "value"), BAD_ROTATIONS)
def test_schedule_create_refuses_a_bad_rotation(text, value):
    with pytest.raises(ValidationError) as refused:
        services.schedule_create(
            name="primary", team=TeamFactory(), layers=[service_layer(rotation_length=value)]
        )

    assert refused.value.message_dict["rotation_length"] == [ROTATION_ERROR]
    assert nothing_written()


@pytest.mark.parametrize("value", [timedelta(hours=1), timedelta(days=366)])
def test_schedule_create_accepts_the_rotation_bounds(value):
    schedule = services.schedule_create(
        name="primary", team=TeamFactory(), layers=[service_layer(rotation_length=value)]
    )

    assert schedule.layers.get().rotation_length == value


def test_schedule_update_with_a_bad_layer_keeps_every_layer_it_had():
    schedule = services.schedule_create(
        name="primary", team=TeamFactory(), layers=[service_layer()]
    )
    before = list(ScheduleLayer.objects.values_list("pk", "name", "restrictions"))

    with pytest.raises(ValidationError):
        services.schedule_update(
            schedule=schedule,
            time_zone="Europe/Paris",
            layers=[service_layer(name="new", restrictions=[{"start": "9am"}])],
        )

    assert list(ScheduleLayer.objects.values_list("pk", "name", "restrictions")) == before
    assert LayerMember.objects.count() == 1
    schedule.refresh_from_db()
    assert schedule.time_zone == "UTC"


def test_layer_update_refuses_bad_restrictions_and_keeps_the_stored_ones():
    schedule = services.schedule_create(
        name="primary", team=TeamFactory(), layers=[service_layer()]
    )
    layer = schedule.layers.get()

    with pytest.raises(ValidationError):
        services.layer_update(layer=layer, restrictions={"start": "9am"})

    assert ScheduleLayer.objects.get().restrictions == []


# --- contact methods --------------------------------------------------------------

BAD_ADDRESSES = [
    pytest.param("email", "not-an-address", "Not a valid email address.", id="email"),
    pytest.param("email", "https://example.com/hook", "Not a valid email address.", id="url"),
    pytest.param("webhook", "ftp://x", "Not a valid http(s) URL.", id="ftp"),
    pytest.param("webhook", "not a url", "Not a valid http(s) URL.", id="text"),
    pytest.param("webhook", "ana@example.com", "Not a valid http(s) URL.", id="email-as-url"),
]


def test_api_control_a_valid_contact_method_is_created():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Responder"]))

    response = client.post(
        "/api/contact-methods",
        {"kind": "webhook", "address": "https://hooks.example.com/ana"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert ContactMethod.objects.count() == 1


@pytest.mark.parametrize(("kind", "address", "message"), BAD_ADDRESSES)
def test_api_refuses_a_bad_contact_address(kind, address, message):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Responder"]))

    response = client.post(
        "/api/contact-methods", {"kind": kind, "address": address}, format="json"
    )

    assert validation_error(response) == {"address": [message]}
    assert ContactMethod.objects.count() == 0


def test_api_refuses_changing_the_kind_so_the_address_no_longer_fits():
    user = UserFactory(roles=["Responder"])
    method = services.contact_method_create(
        user=user, kind="webhook", address="https://hooks.example.com/ana"
    )
    client = APIClient()
    client.force_authenticate(user)

    response = client.patch(f"/api/contact-methods/{method.pk}", {"kind": "email"}, format="json")

    assert validation_error(response) == {"address": ["Not a valid email address."]}
    method.refresh_from_db()
    assert method.kind == "webhook"


def test_admin_control_a_valid_contact_method_is_saved(admin_client):
    user = UserFactory(username="ana")
    data = {"user": str(user.pk), "kind": "email", "address": "ana@example.com", "enabled": "on"}

    assert admin_post(admin_client, "/admin/oncall/contactmethod/add/", data).status_code == 302
    assert ContactMethod.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(("kind", "address", "message"), BAD_ADDRESSES)
def test_admin_refuses_a_bad_contact_address(admin_client, kind, address, message):
    user = UserFactory(username="ana")
    data = {"user": str(user.pk), "kind": kind, "address": address, "enabled": "on"}

    response = admin_post(admin_client, "/admin/oncall/contactmethod/add/", data)

    assert admin_errors(response) == {"address": [message]}
    assert ContactMethod.objects.count() == 0


@pytest.mark.parametrize(("kind", "address", "message"), BAD_ADDRESSES)
def test_contact_method_create_refuses_a_bad_address(kind, address, message):
    with pytest.raises(ValidationError) as refused:
        services.contact_method_create(user=UserFactory(), kind=kind, address=address)

    assert refused.value.message_dict == {"address": [message]}
    assert ContactMethod.objects.count() == 0


def test_contact_method_update_refuses_a_bad_address():
    method = services.contact_method_create(
        user=UserFactory(), kind="email", address="ana@example.com"
    )

    with pytest.raises(ValidationError):
        services.contact_method_update(method=method, address="not-an-address")

    assert ContactMethod.objects.get().address == "ana@example.com"
