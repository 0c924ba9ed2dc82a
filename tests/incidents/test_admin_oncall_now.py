import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import IncidentSeverity
from incidents.services.escalation import policy_save
from oncall import services as oncall_services
from tests.factories import ServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/admin/incidents/escalationpolicy/oncall-now/"
# A Wednesday in British Summer Time: 13:00 in London.
NOW = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def london(settings):
    settings.TIME_ZONE = "Europe/London"


@pytest.fixture
def people():
    return [UserFactory(username=name) for name in ("ana", "ben", "cy")]


@pytest.fixture
def viewer():
    return client_for(UserFactory(username="vera", roles=["Viewer"]))


def weekly(name, members, team=None):
    """Weekly turns handing over on Mondays 09:00 London, from Monday 2 March 2026."""
    return oncall_services.schedule_create(
        name=name,
        team=team or TeamFactory(),
        time_zone="Europe/London",
        layers=[
            {
                "name": "weekly",
                "priority": 1,
                "rotation_length": timedelta(days=7),
                "handoff_date": date(2026, 3, 2),
                "handoff_time": time(9, 0),
                "members": members,
            }
        ],
    )


def get_page(client):
    with time_machine.travel(NOW, tick=False):
        return client.get(PAGE)


def test_the_page_shows_who_is_on_call_until_when_and_who_is_next(viewer, people):
    ana, ben, cy = people
    # 13 weeks after the first handover: ben's turn (Mon 1 to Mon 8 June), then cy's.
    primary = weekly("Platform primary", [ana, ben, cy])
    policy_save(
        name="Checkout",
        team=primary.team,
        steps=[
            {"delay": timedelta(minutes=5), "users": [ana]},
            {"delay": timedelta(minutes=10), "schedules": [primary]},
        ],
    )

    response = get_page(viewer)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Wed 03 Jun 2026 13:00 BST" in html
    [row] = response.context["schedules"]
    assert row["name"] == "Platform primary"
    assert row["user"]["username"] == "ben"
    assert row["until"] == "Mon 08 Jun 2026 09:00 BST"
    assert row["next"] == "cy"
    assert row["next_from"] == "Mon 08 Jun 2026 09:00 BST"
    [policy] = response.context["policies"]
    assert policy["name"] == "Checkout"
    assert [
        (lv["level"], lv["delay_text"], [u["username"] for u in lv["users"]])
        for lv in policy["levels"]
    ] == [
        (1, "5 min", ["ana"]),
        (2, "10 min", ["ben"]),
    ]
    assert "<td>5 min</td>" in html
    assert "Mon 08 Jun 2026 09:00 BST" in html
    assert ">cy<" in html


def test_an_override_puts_its_user_on_call_until_it_ends(viewer, people):
    ana, ben, cy = people
    primary = weekly("Platform primary", [ana, ben, cy])
    oncall_services.override_create(
        schedule=primary, user=ana, start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=2)
    )

    [row] = get_page(viewer).context["schedules"]

    assert row["user"]["username"] == "ana"
    assert row["until"] == "Wed 03 Jun 2026 15:00 BST"
    assert row["next"] == "ben"


def test_a_non_staff_user_or_staff_without_view_permission_gets_403(people):
    outsider = UserFactory(username="outsider", is_staff=False, roles=["Viewer"])
    staff_without_roles = UserFactory(username="bare")

    assert get_page(client_for(outsider)).status_code == 403
    assert get_page(client_for(staff_without_roles)).status_code == 403
    assert Client().get(PAGE).status_code == 302  # anonymous: to the admin login


def test_the_page_costs_the_same_queries_for_2_and_6_schedules(viewer, people):
    team = TeamFactory()
    counter = itertools.count()

    def add_schedules(count):
        for _ in range(count):
            schedule = weekly(f"s{next(counter)}", people, team)
            policy_save(
                name=f"p-{schedule.name}",
                team=team,
                steps=[
                    {"delay": timedelta(0), "users": [people[0]]},
                    {"delay": timedelta(minutes=5), "schedules": [schedule]},
                ],
            )

    add_schedules(2)
    get_page(viewer)
    with CaptureQueriesContext(connection) as two:
        response = get_page(viewer)
    assert len(response.context["schedules"]) == 2

    add_schedules(4)
    with CaptureQueriesContext(connection) as six:
        response = get_page(viewer)

    assert len(response.context["schedules"]) == 6
    assert len(six.captured_queries) == len(two.captured_queries)


def test_the_policy_and_schedule_lists_link_to_the_page(viewer):
    for url in ("/admin/incidents/escalationpolicy/", "/admin/oncall/schedule/"):
        html = viewer.get(url).content.decode()
        assert f'href="{PAGE}"' in html, url


def test_the_policy_page_lists_the_services_that_use_it(viewer, people):
    team = TeamFactory()
    policy = policy_save(
        name="Checkout", team=team, steps=[{"delay": timedelta(0), "users": [people[0]]}]
    )
    other = policy_save(
        name="Other", team=team, steps=[{"delay": timedelta(0), "users": [people[1]]}]
    )
    shop = ServiceFactory(name="Shop")
    cart = ServiceFactory(name="Cart")
    services.escalation_rule_set(service=shop, policy=policy)
    services.escalation_rule_set(service=shop, policy=policy, severity=IncidentSeverity.SEV1)
    services.escalation_rule_set(service=cart, policy=policy, severity=IncidentSeverity.SEV1)
    services.escalation_rule_set(service=ServiceFactory(name="Billing"), policy=other)

    html = viewer.get(f"/admin/incidents/escalationpolicy/{policy.pk}/change/").content.decode()

    sev1 = IncidentSeverity.SEV1
    assert f'<a href="/admin/catalog/service/{shop.pk}/change/">Shop</a> (default, {sev1})' in html
    assert f'<a href="/admin/catalog/service/{cart.pk}/change/">Cart</a> ({sev1})' in html
    assert "Billing" not in html


def test_the_policy_list_counts_services_in_constant_queries(viewer, people):
    team = TeamFactory()

    def add_policy(name, service_count):
        policy = policy_save(
            name=name, team=team, steps=[{"delay": timedelta(0), "users": [people[0]]}]
        )
        for _ in range(service_count):
            services.escalation_rule_set(service=ServiceFactory(), policy=policy)

    add_policy("a-two", 2)
    add_policy("b-none", 0)
    viewer.get("/admin/incidents/escalationpolicy/")
    with CaptureQueriesContext(connection) as few:
        html = viewer.get("/admin/incidents/escalationpolicy/").content.decode()
    assert '<td class="field-service_count">2 services</td>' in html
    assert '<td class="field-service_count">0 services</td>' in html

    for index in range(5):
        add_policy(f"c-{index}", 1)
    with CaptureQueriesContext(connection) as many:
        html = viewer.get("/admin/incidents/escalationpolicy/").content.decode()

    assert html.count('<td class="field-service_count">1 service</td>') == 5
    assert len(many.captured_queries) == len(few.captured_queries)
