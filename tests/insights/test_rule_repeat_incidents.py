"""The repeat_incidents rule on crafted incidents: three or more in 30 days on one
service with the same dedup key or title are a finding (critical at five); two, an
empty dedup key, another service or an incident before the window are not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services as incident_services
from insights.rules import repeat_incidents
from tests.factories import ServiceFactory, open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


def incidents(service, now, *, count, title="Elevated error rate", dedup_key="", days_ago=1):
    """``count`` incidents a day apart, each resolved before the next opens."""
    made = []
    for i in range(count):
        at = now - timedelta(days=days_ago + i)
        incident = open_incident(service, title=title, dedup_key=dedup_key, at=at)
        incident_services.incident_resolve(incident=incident, by=None, at=at + timedelta(hours=1))
        made.append(incident)
    return made


def test_three_with_one_dedup_key_warn_and_the_same_title_is_not_told_twice(now):
    service = ServiceFactory(slug="checkout", name="Checkout")
    incidents(service, now, count=3, title="Payments down", dedup_key="payments-5xx")

    [finding] = repeat_incidents.find(now)

    assert finding.subject == "repeat:checkout:payments-5xx"
    assert finding.severity == "warning"
    assert finding.service_id == service.pk
    assert finding.title == ("3 incidents in 30 days on Checkout with the dedup key “payments-5xx”")
    assert finding.figures["incidents"] == 3
    assert finding.figures["key_kind"] == "dedup_key"
    assert "problem review" in finding.recommendation
    assert finding.evidence == (
        ("Incidents of the service", f"/admin/incidents/incident/?service__id__exact={service.pk}"),
        ("API", "/api/incidents/?service=checkout"),
    )


def test_five_with_the_same_title_and_different_keys_are_critical(now):
    service = ServiceFactory(slug="search", name="Search")
    for i in range(5):
        incidents(service, now, count=1, title="Index lagging", dedup_key=f"k{i}", days_ago=1 + i)

    [finding] = repeat_incidents.find(now)

    assert finding.subject == "repeat:search:Index lagging"
    assert finding.severity == "critical"
    assert finding.figures["incidents"] == 5
    assert finding.figures["key_kind"] == "title"


def test_what_is_not_a_repeat(now):
    api, web = ServiceFactory(slug="api"), ServiceFactory(slug="web")
    incidents(api, now, count=2, title="Twice", dedup_key="twice")  # only two
    incidents(api, now, count=1, title="Split", dedup_key="split")  # two services
    incidents(web, now, count=2, title="Split", dedup_key="split")
    incidents(api, now, count=2, title="Old", dedup_key="old")  # the third is too old
    incidents(api, now, count=1, title="Old", dedup_key="old", days_ago=31)
    for i in range(3):  # an empty dedup key, different titles: not the same problem
        incidents(api, now, count=1, title=f"Different {i}")

    assert repeat_incidents.find(now) == []


def test_an_empty_dedup_key_with_the_same_title_is_a_repeat_by_title(now):
    service = ServiceFactory(slug="api")
    incidents(service, now, count=3, title="Disk full")

    [finding] = repeat_incidents.find(now)

    assert finding.subject == "repeat:api:Disk full"
    assert finding.severity == "warning"
    assert finding.figures["key_kind"] == "title"
