"""The oncall_load rule on crafted pages: a person with more than twice the mean pages
per paged person, and one with more than 30% of their pages out of hours, are findings;
exactly twice, exactly 30%, fewer than five pages, or the only person paged are not."""

from datetime import UTC, datetime, timedelta

import pytest

from core.models import DeliveryStatus
from incidents.models import Notification
from insights.rules import oncall_load
from oncall import services as oncall_services
from tests.factories import ServiceFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
DAY, NIGHT = 12, 23  # UTC hours: in and out of 08:00-20:00 on the site's UTC clock


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def incident():
    return open_incident(ServiceFactory(), at=NOW - timedelta(days=20))


def page(incident, user, *, day=0, night=0):
    """``day`` pages at noon and ``night`` at 23:00 UTC, one a day in the last 30 days;
    plus a failed page and one before the window, neither of which counts."""
    method = oncall_services.contact_method_create(
        user=user, kind="email", address=f"{user.username}@example.com"
    )
    hours = [DAY] * day + [NIGHT] * night
    times = [(NOW - timedelta(days=1 + i)).replace(hour=hour) for i, hour in enumerate(hours)]
    rows = [
        Notification(
            incident=incident,
            level=level,
            user=user,
            contact_method=method,
            status=DeliveryStatus.SENT,
            created_at=at,
            sent_at=at,
        )
        for level, at in enumerate(times)
    ]
    rows.append(
        Notification(
            incident=incident,
            level=len(rows),
            user=user,
            contact_method=method,
            status=DeliveryStatus.FAILED,
            created_at=NOW - timedelta(days=2),
        )
    )
    old = NOW - timedelta(days=31)
    rows.append(
        Notification(
            incident=incident,
            level=len(rows),
            user=user,
            contact_method=method,
            status=DeliveryStatus.SENT,
            created_at=old,
            sent_at=old,
        )
    )
    Notification.objects.bulk_create(rows)


def people(*names):
    return [UserFactory(username=name) for name in names]


def test_more_than_twice_the_mean_is_a_load_finding(incident):
    alice, bob, carol, dave = people("alice", "bob", "carol", "dave")
    page(incident, alice, day=10)
    for other in (bob, carol, dave):
        page(incident, other, day=2)

    [finding] = oncall_load.find(NOW)

    assert finding.subject == f"load:{alice.pk}"
    assert finding.severity == "warning"
    assert finding.title == "alice took 10 pages in 30 days, 2.5x the mean of 4.0"
    assert finding.figures == {"pages": 10, "mean_pages": 4.0, "people_paged": 4, "share": 0.625}
    assert "Rebalance the rotation" in finding.recommendation
    assert ("Their pages", "/admin/incidents/notification/?q=alice") in finding.evidence


def test_exactly_twice_the_mean_or_the_only_one_paged_is_not(incident):
    alice, bob, carol = people("alice", "bob", "carol")
    page(incident, alice, day=6)  # mean 3: exactly twice
    page(incident, bob, day=2)
    page(incident, carol, day=1)
    assert oncall_load.find(NOW) == []


def test_the_only_person_paged_carries_no_comparison(incident):
    [alice] = people("alice")
    page(incident, alice, day=20)
    assert oncall_load.find(NOW) == []


def test_more_than_thirty_percent_out_of_hours_is_a_nights_finding(incident):
    erin, frank, gina = people("erin", "frank", "gina")
    page(incident, erin, day=6, night=4)  # 40%
    page(incident, frank, day=7, night=3)  # exactly 30%: not more
    page(incident, gina, night=4)  # all at night, but under five pages

    [finding] = oncall_load.find(NOW)

    assert finding.subject == f"nights:{erin.pk}"
    assert finding.severity == "warning"
    assert finding.title == "4 of erin's 10 pages in 30 days came out of hours"
    assert finding.figures == {
        "pages": 10,
        "pages_out_of_hours": 4,
        "out_of_hours_share": 0.4,
        "time_zone": "UTC",
    }
    assert "follow-the-sun" in finding.recommendation


def test_no_pages_no_finding():
    assert oncall_load.find(NOW) == []
