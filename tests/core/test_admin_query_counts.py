"""The admin's everyday pages cost the same number of queries with a few rows as with
several times more: no query per row, per inline form or per related object.

Each test builds a small world through the services (people with contact methods,
schedules, policies whose steps page them, services with integrations, incidents opened
by alerts and the pages they sent, reviews with action items, SLOs), counts one render
of the page, makes the world four times bigger, and counts again. The schedule and the
policy whose change pages are counted grow too: more layers, overrides, steps, and
services that use the policy."""

from dataclasses import dataclass, field
from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.ingest.types import AlertGroup, IncomingAlert
from incidents.services import escalation_rule_set, policy_save
from incidents.services.alerts import alerts_ingest
from incidents.services.escalation import step_create
from incidents.services.reviews import action_item_create, review_open
from observability.services import slo_create
from oncall.services import contact_method_create, layer_create, override_create, schedule_create
from tests.factories import ServiceFactory, TeamFactory, UserFactory, make_integration

pytestmark = pytest.mark.django_db

SMALL, BIG = 2, 8


@dataclass
class World:
    team: object
    schedule: object = None
    policy: object = None
    size: int = 0
    steps: int = 0
    people: list = field(default_factory=list)


def _person():
    user = UserFactory()
    contact_method_create(user=user, kind="email", address=f"{user.username}@example.com")
    return user


def _layer(user, name="layer"):
    return {
        "name": name,
        "rotation_length": timedelta(days=1),
        "members": [user],
        "handoff_date": date(2026, 1, 1),
        "handoff_time": time(9),
    }


def _world() -> World:
    team = TeamFactory()
    first = _person()
    world = World(team=team, people=[first])
    world.schedule = schedule_create(name="Primary", team=team, layers=[_layer(first)])
    world.policy = policy_save(
        name="Default",
        team=team,
        steps=[{"delay": timedelta(minutes=5), "users": [first], "schedules": [world.schedule]}],
    )
    world.steps = 1
    return world


def _grow(world: World, to: int) -> None:
    """Add rows until the world has ``to`` of each."""
    now = timezone.now()
    while world.size < to:
        n = world.size
        user = _person()
        world.people.append(user)
        service = ServiceFactory(team=world.team)
        schedule = schedule_create(name=f"Schedule {n}", team=world.team, layers=[_layer(user)])
        # The counted schedule and policy grow as well.
        layer_create(schedule=world.schedule, **_layer(user, name=f"layer {n}"))
        override_create(
            schedule=world.schedule,
            user=user,
            start=now + timedelta(days=n + 1),
            end=now + timedelta(days=n + 1, hours=4),
        )
        step_create(
            policy=world.policy,
            position=world.steps,
            delay=timedelta(minutes=10),
            users=[user, world.people[0]],
            schedules=[schedule, world.schedule],
        )
        world.steps += 1
        policy_save(
            name=f"Policy {n}",
            team=world.team,
            steps=[{"delay": timedelta(minutes=5), "users": [user], "schedules": [schedule]}],
        )
        escalation_rule_set(service=service, policy=world.policy)
        integration, _ = make_integration("alertmanager", service=service)
        [outcome] = alerts_ingest(
            integration=integration,
            groups=[
                AlertGroup(
                    key=f"g{n}",
                    title=f"Checkout errors {n}",
                    alerts=[
                        IncomingAlert(
                            fingerprint=f"f{n}-{i}",
                            status="firing",
                            summary=f"alert {i}",
                            severity_value="critical",
                        )
                        for i in range(2)
                    ],
                )
            ],
        )
        review = review_open(incident=outcome.incident, by=user, facilitator=user)
        action_item_create(review=review, by=user, title=f"Fix {n}", owner=user)
        slo_create(service=service, name=f"Availability {n}", target="99.9")
        world.size += 1


@pytest.fixture
def admin(settings):
    # The usage recorder writes its counts in the first request of each minute,
    # whichever page that is: those queries are the minute's, not the page's.
    settings.USAGE_ANALYTICS = False
    settings.PLATFORM_SLOS = False
    user = UserFactory(username="root", is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def _queries(client, url: str) -> int:
    client.get(url)  # the first render of a process fills its caches (content types)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


PAGES = {
    "schedule list": lambda w: "/admin/oncall/schedule/",
    "escalation policy list": lambda w: "/admin/incidents/escalationpolicy/",
    "escalation policy change page": (
        lambda w: f"/admin/incidents/escalationpolicy/{w.policy.pk}/change/"
    ),
    "on call now": lambda w: "/admin/incidents/escalationpolicy/oncall-now/",
    "notification list": lambda w: "/admin/incidents/notification/",
    "alert list": lambda w: "/admin/incidents/alert/",
    "integration list": lambda w: "/admin/incidents/integration/",
    "service list": lambda w: "/admin/catalog/service/",
    "review list": lambda w: "/admin/incidents/postincidentreview/",
    "action item list": lambda w: "/admin/incidents/actionitem/",
    "SLO list": lambda w: "/admin/observability/slo/",
}


def _growth(client, pages: dict) -> dict:
    """{page: (queries with SMALL rows, with BIG)} for the pages whose count grew."""
    world = _world()
    _grow(world, SMALL)
    small = {name: _queries(client, url_of(world)) for name, url_of in pages.items()}
    _grow(world, BIG)
    big = {name: _queries(client, url_of(world)) for name, url_of in pages.items()}
    client.world = world
    return {name: (small[name], big[name]) for name in pages if big[name] != small[name]}


def test_the_admin_pages_cost_the_same_queries_with_four_times_the_rows(admin):
    # One world for every page: building it is most of the test's time.
    assert _growth(admin, PAGES) == {}

    # Like is compared with like: the bigger pages show every row they gained.
    world = admin.world
    html = admin.get(f"/admin/incidents/escalationpolicy/{world.policy.pk}/change/")
    html = html.content.decode()
    assert html.count('name="steps-') >= BIG + 1
    # Every step shows whom it pages, chosen, by name, read with the other steps.
    for person in world.people:
        assert f'<option value="{person.pk}" selected>{person.username}</option>' in html
    assert html.count(f'<option value="{world.schedule.pk}" selected>Primary</option>') == BIG + 1
    notifications = admin.get("/admin/incidents/notification/").content.decode()
    # Each incident paged the policy's first step: its one person, by email.
    first = world.people[0]
    assert notifications.count(f"email: {first.username}@example.com") == BIG


def test_the_incident_list_costs_the_same_queries_with_four_times_the_rows(admin):
    pages = {"incident list": lambda w: "/admin/incidents/incident/"}

    assert _growth(admin, pages) == {}
    html = admin.get("/admin/incidents/incident/").content.decode()
    assert html.count('class="action-select"') == BIG


def test_the_schedule_change_page_costs_the_same_queries_with_four_times_the_rows(admin):
    pages = {"schedule change page": lambda w: f"/admin/oncall/schedule/{w.schedule.pk}/change/"}

    assert _growth(admin, pages) == {}
