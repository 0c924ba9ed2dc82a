"""The response_times_worse rule: the mean MTTA or MTTR of the last 30 days against the
30 before, per incident; a significant rise is a finding (critical over 50%), a rise
that is not significant, or a fall, is not."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from incidents import services
from insights.rules import response_times
from tests.factories import ServiceFactory, open_incident

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 28, 10, 0, tzinfo=UTC)


def incident(service, at, *, ack, resolve):
    created = open_incident(service, at=at)
    services.incident_acknowledge(incident=created, by=None, at=at + timedelta(seconds=ack))
    services.incident_resolve(incident=created, by=None, at=at + timedelta(seconds=resolve))


def incidents(service, *, days_ago, acks, resolves):
    for index, (ack, resolve) in enumerate(zip(acks, resolves, strict=True)):
        incident(service, NOW - timedelta(days=days_ago, hours=index), ack=ack, resolve=resolve)


def test_a_significant_rise_of_mttr_is_critical_and_a_steady_mtta_says_nothing():
    service = ServiceFactory()
    acks = [60, 120, 90, 60, 120, 90]
    # Before: 600-660 s; after: 1200-1260 s (+100%), well apart.
    incidents(service, days_ago=45, acks=acks, resolves=[600, 630, 660, 600, 630, 660])
    incidents(service, days_ago=10, acks=acks, resolves=[1200, 1230, 1260, 1200, 1230, 1260])

    [finding] = response_times.find(NOW)

    assert finding.subject == "metric:vigil_mttr_seconds"
    assert finding.severity == "critical"
    assert finding.title == "MTTR rose 95% over the last 30 days (10.5 -> 20.5 min)"
    assert finding.figures["change_percent"] == 95.2  # 630 -> 1230 s
    assert finding.figures["mean_minutes_before"] == 10.5
    assert finding.figures["mean_minutes_after"] == 20.5
    assert finding.figures["incidents_before"] == 6
    assert finding.figures["incidents_after"] == 6
    assert finding.figures["welch_p"] < 0.05
    assert finding.service_id is None
    (_, compare), (_, incidents_url) = finding.evidence
    url = urlsplit(compare)
    assert url.path == "/api/analytics/compare"
    assert parse_qs(url.query) == {
        "metric": ["vigil_mttr_seconds"],
        "a_start": [(NOW - timedelta(days=60)).isoformat()],
        "a_end": [(NOW - timedelta(days=30)).isoformat()],
        "b_start": [(NOW - timedelta(days=30)).isoformat()],
        "b_end": [NOW.isoformat()],
    }
    assert incidents_url == "/api/analytics/incidents"


def test_a_significant_rise_under_half_is_a_warning():
    service = ServiceFactory()
    resolves = [3600] * 6
    incidents(service, days_ago=45, acks=[100, 110, 120, 100, 110, 120], resolves=resolves)
    incidents(service, days_ago=10, acks=[130, 140, 150, 130, 140, 150], resolves=resolves)

    [finding] = response_times.find(NOW)

    assert finding.subject == "metric:vigil_mtta_seconds"
    assert finding.severity == "warning"
    assert finding.figures["change_percent"] == 27.3  # 110 -> 140 s
    assert finding.figures["mean_minutes_before"] == 1.8
    assert finding.figures["mean_minutes_after"] == 2.3


def test_a_fall_or_a_noisy_rise_is_no_finding():
    service = ServiceFactory()
    # MTTA falls significantly; MTTR rises 10% but within the noise.
    incidents(
        service,
        days_ago=45,
        acks=[600, 630, 660, 600, 630, 660],
        resolves=[1000, 5000, 2000, 8000, 3000, 1000],
    )
    incidents(
        service,
        days_ago=10,
        acks=[60, 63, 66, 60, 63, 66],
        resolves=[1100, 5500, 2200, 8800, 3300, 1100],
    )

    assert response_times.find(NOW) == []


def test_no_incidents_no_finding():
    assert response_times.find(NOW) == []
