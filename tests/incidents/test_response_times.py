"""MTTA and MTTR against values worked out by hand."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents import services
from incidents.models import IncidentSeverity
from incidents.response_times import incident_response_times
from tests.factories import ServiceFactory, TeamFactory, open_incident

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def incident(service, *, day=0, ack=None, resolve=None, severity=IncidentSeverity.SEV3):
    start = T0 + timedelta(days=day)
    created = open_incident(service, at=start, severity=severity)
    if ack is not None:
        services.incident_acknowledge(incident=created, by=None, at=start + timedelta(minutes=ack))
    if resolve is not None:
        services.incident_resolve(incident=created, by=None, at=start + timedelta(minutes=resolve))
    return created


@pytest.fixture
def history():
    """Two teams, three services. Minutes to acknowledge / resolve:

    api (team a):    1/10, 2/20, 3/30, 10/100      SEV1, SEV1, SEV2, SEV2
    web (team a):    4/40, never acknowledged       SEV3, SEV3
    db  (team b):    5/-- (still open), 6/60 next week  SEV3, SEV4
    """
    team_a, team_b = TeamFactory(slug="a"), TeamFactory(slug="b")
    api = ServiceFactory(slug="api", name="API", team=team_a)
    web = ServiceFactory(slug="web", name="Web", team=team_a)
    db = ServiceFactory(slug="db", name="DB", team=team_b)
    incident(api, ack=1, resolve=10, severity=IncidentSeverity.SEV1)
    incident(api, ack=2, resolve=20, severity=IncidentSeverity.SEV1, day=1)
    incident(api, ack=3, resolve=30, severity=IncidentSeverity.SEV2, day=2)
    incident(api, ack=10, resolve=100, severity=IncidentSeverity.SEV2, day=3)
    incident(web, ack=4, resolve=40, day=1)
    incident(web, day=2)
    incident(db, ack=5, day=3)
    incident(db, ack=6, resolve=60, severity=IncidentSeverity.SEV4, day=7)


def minutes(row, key):
    return None if row[key] is None else round(row[key] / 60, 6)


def test_overall(history):
    [row] = incident_response_times()

    assert (row["incidents"], row["acknowledged"], row["resolved"]) == (8, 7, 6)
    # Acknowledge: 1, 2, 3, 4, 5, 6, 10 -> mean 31/7, median 4, p90 at rank 5.4 -> 6 + 0.4*4
    assert minutes(row, "mtta_mean") == round(31 / 7, 6)
    assert minutes(row, "mtta_median") == 4
    assert minutes(row, "mtta_p90") == 7.6
    # Resolve: 10, 20, 30, 40, 60, 100 -> mean 260/6, median 35, p90 at rank 4.5 -> 80
    assert minutes(row, "mttr_mean") == round(260 / 6, 6)
    assert minutes(row, "mttr_median") == 35
    assert minutes(row, "mttr_p90") == 80


def test_by_service(history):
    rows = {row["service__slug"]: row for row in incident_response_times(group_by="service")}

    assert set(rows) == {"api", "web", "db"}
    assert minutes(rows["api"], "mtta_mean") == 4  # (1+2+3+10)/4
    assert minutes(rows["api"], "mtta_median") == 2.5
    assert minutes(rows["api"], "mttr_median") == 25
    assert minutes(rows["api"], "mttr_p90") == 79  # rank 2.7 of 10,20,30,100 -> 30 + 0.7*70
    assert rows["web"]["incidents"] == 2
    assert minutes(rows["web"], "mtta_mean") == 4
    assert minutes(rows["db"], "mttr_mean") == 60
    assert rows["db"]["service__name"] == "DB"


def test_by_team(history):
    rows = {row["service__team__slug"]: row for row in incident_response_times(group_by="team")}

    assert rows["a"]["incidents"] == 6
    assert minutes(rows["a"], "mttr_mean") == 40  # (10+20+30+100+40)/5
    assert minutes(rows["b"], "mtta_mean") == 5.5


def test_by_severity(history):
    rows = {row["severity"]: row for row in incident_response_times(group_by="severity")}

    assert minutes(rows["SEV1"], "mtta_mean") == 1.5
    assert minutes(rows["SEV2"], "mttr_mean") == 65
    assert rows["SEV3"]["incidents"] == 3
    assert rows["SEV3"]["resolved"] == 1
    assert minutes(rows["SEV4"], "mttr_median") == 60


def test_by_week_and_within_a_window(history):
    rows = incident_response_times(group_by="period", period="week")

    assert [(row["period"], row["incidents"]) for row in rows] == [
        (T0.replace(hour=0), 7),
        (T0.replace(hour=0) + timedelta(days=7), 1),
    ]
    [first_week] = incident_response_times(since=T0, until=T0 + timedelta(days=7))
    assert first_week["incidents"] == 7


def test_no_incidents_gives_empty_figures():
    [row] = incident_response_times()

    assert row["incidents"] == 0
    assert row["mtta_mean"] is row["mttr_p90"] is None
