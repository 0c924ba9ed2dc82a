"""The dashboard's "On call now" heading opens the On call now page (every schedule and
policy level), for staff who may see both; others get no link."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["Viewer", "Responder", "Manager"])
def test_the_on_call_heading_opens_the_on_call_now_page(role):
    client = Client()
    client.force_login(UserFactory(roles=[role]))

    html = client.get("/admin/").content.decode()
    page = client.get("/admin/incidents/escalationpolicy/oncall-now/")

    assert 'href="/admin/incidents/escalationpolicy/oncall-now/">On call now</a>' in html
    assert page.status_code == 200


def test_staff_who_may_not_see_schedules_get_no_link():
    client = Client()
    client.force_login(UserFactory(username="no-role"))

    html = client.get("/admin/").content.decode()

    assert "oncall-now" not in html
