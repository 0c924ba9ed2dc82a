"""The noisy_alerts rule on crafted alerts: a flapping group and an alert name with many
alerts per incident are findings; a group that fired again only twice, a name with few
alerts per incident, alerts without an incident and alerts before the week are not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Alert
from insights.rules import noisy_alerts
from tests.factories import ServiceFactory, make_integration, open_incident

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


def alert(hook, at, *, name, group, status="firing", incident=None, n=0):
    return Alert(
        integration=hook,
        incident=incident,
        fingerprint=f"{group}-{name}-{at.timestamp()}-{n}",
        group_key=group,
        status=status,
        severity="SEV3",
        labels={"alertname": name},
        received_at=at,
    )


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def api():
    service = ServiceFactory(slug="api", name="API")
    return service, make_integration(service=service)[0]


def test_a_group_that_fired_again_three_times_is_a_finding_twice_is_not(api, now):
    service, hook = api
    t0 = now - 2 * timedelta(days=1)
    rows = []
    # firing, resolved, x4 firing -> fired again 3 times
    for i, firing in enumerate([True, False, True, False, True, False, True]):
        rows.append(
            alert(
                hook,
                t0 + i * H,
                name="Flappy",
                group="g-flappy",
                status="firing" if firing else "resolved",
            )
        )
    for i, firing in enumerate([True, False, True, False, True]):  # fired again twice
        rows.append(
            alert(
                hook,
                t0 + i * H,
                name="Calm",
                group="g-twice",
                status="firing" if firing else "resolved",
            )
        )
    Alert.objects.bulk_create(rows)

    [finding] = noisy_alerts.find(now)

    assert finding.subject == "flapping:api:g-flappy"
    assert finding.severity == "warning"
    assert finding.service_id == service.pk
    assert finding.figures == {
        "fired": 4,
        "resolved": 3,
        "fired_again": 3,
        "alerts": 4,
        "incidents": 0,
    }
    assert "for:" in finding.recommendation
    assert ("Alerts of the group", "/admin/incidents/alert/?q=g-flappy") in finding.evidence


def test_an_alert_name_with_ten_alerts_per_incident_is_a_finding(api, now):
    service, hook = api
    t0 = now - timedelta(days=3)
    noisy = open_incident(service, title="noisy", at=t0)
    quiet = open_incident(service, title="quiet", at=t0)
    rows = [
        alert(hook, t0 + i * H, name="DiskFull", group="g-disk", incident=noisy, n=i)
        for i in range(12)
    ]
    # 9 alerts on one incident: under the threshold
    rows += [
        alert(hook, t0 + i * H, name="HighLatency", group="g-lat", incident=quiet, n=i)
        for i in range(9)
    ]
    # 15 alerts without an incident: no incident to count per (flapping would say it)
    rows += [alert(hook, t0 + i * H, name="Orphan", group="g-orphan", n=i) for i in range(15)]
    # 30 alerts before the week
    old = now - timedelta(days=8)
    rows += [
        alert(hook, old + i * H, name="Old", group="g-old", incident=noisy, n=i) for i in range(30)
    ]
    Alert.objects.bulk_create(rows)

    [finding] = noisy_alerts.find(now)

    assert finding.subject == "alert:DiskFull"
    assert finding.severity == "warning"
    assert finding.title == "DiskFull fired 12 times for 1 incident this week"
    assert finding.figures == {"alerts": 12, "incidents": 1, "alerts_per_incident": 12.0}
    assert "inhibit" in finding.recommendation
    assert finding.service_id is None


def test_twenty_alerts_over_two_incidents_is_noisy_nineteen_is_not(api, now):
    service, hook = api
    t0 = now - timedelta(days=1)
    a, b = (open_incident(service, title=t, at=t0) for t in ("a", "b"))
    rows = [
        alert(hook, t0, name="Twenty", group="g20", incident=(a, b)[i % 2], n=i) for i in range(20)
    ]
    rows += [
        alert(hook, t0, name="Nineteen", group="g19", incident=(a, b)[i % 2], n=i)
        for i in range(19)
    ]
    Alert.objects.bulk_create(rows)

    assert [(f.subject, f.figures["alerts_per_incident"]) for f in noisy_alerts.find(now)] == [
        ("alert:Twenty", 10.0)
    ]


def test_no_alerts_no_finding(api, now):
    assert noisy_alerts.find(now) == []
