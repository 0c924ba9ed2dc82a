"""Times that are valid ISO-8601 but that PostgreSQL refuses (an offset of +20:38, the
year 1139) are a 400 naming the parameter, never a 500, on every analytics read."""

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TIMES = ["2026-06-25T15:32:36+20:38", "1139-06-25T15:32:36+02:00", "2026-06-25T15:32:36-15:00"]


@pytest.fixture
def viewer():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Viewer"]))
    return client


@pytest.mark.parametrize("at", TIMES)
@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/production/anomalies?since={at}", "since"),
        ("/api/incidents/?triggered_after={at}", "triggered_after"),
        ("/api/analytics/trends?metric=vigil_incidents&start={at}", "start"),
        (
            "/api/analytics/compare?metric=vigil_incidents&a_start={at}"
            "&a_end=2026-07-01&b_start=2026-07-01&b_end=2026-08-01",
            "a_start",
        ),
    ],
)
def test_a_time_postgresql_refuses_is_a_400(viewer, path, parameter, at):
    answer = viewer.get(path.format(at=at.replace("+", "%2B")))

    assert answer.status_code == 400, answer.content
    assert parameter in answer.json()["error"]["fields"]


def test_an_offset_in_range_is_read_as_the_same_moment(viewer):
    answer = viewer.get("/api/production/anomalies?since=2026-06-25T15:32:36%2B14:00")

    assert answer.status_code == 200
