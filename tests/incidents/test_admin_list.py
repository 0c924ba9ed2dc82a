"""The incident changelist starts where work is (issue 14): open incidents by default,
most severe first; long titles wrap; times carry their zone."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.admin.common import duration_text, local_time
from incidents.models import Incident, IncidentSeverity
from tests.factories import ServiceFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db

LIST = "/admin/incidents/incident/"
OPEN = "status__in=triggered,acknowledged,mitigated"


@pytest.fixture
def responder():
    client = Client()
    client.force_login(UserFactory(roles=["Responder"]))
    return client


def closed_incident(**kwargs):
    incident = open_incident(**kwargs)
    incident = services.incident_resolve(incident=incident, by=None)
    return services.incident_close(incident=incident, by=None)


def references(html):
    return re.findall(r"INC-\d+", html)


def test_the_bare_list_shows_only_open_incidents_most_severe_first_then_newest(responder):
    service = ServiceFactory()
    old_sev2 = open_incident(service, title="old sev2", severity=IncidentSeverity.SEV2)
    sev1 = open_incident(service, title="sev1", severity=IncidentSeverity.SEV1)
    new_sev2 = open_incident(service, title="new sev2", severity=IncidentSeverity.SEV2)
    Incident.objects.filter(pk=old_sev2.pk).update(triggered_at=timezone.now() - timedelta(hours=3))
    done = closed_incident(service=service, title="done", severity=IncidentSeverity.SEV1)

    response = responder.get(LIST)

    assert response.status_code == 200
    shown = list(dict.fromkeys(references(response.content.decode())))
    assert shown == [sev1.reference, new_sev2.reference, old_sev2.reference]
    assert done.reference not in shown
    assert response.context["cl"].result_count == 3


def test_the_status_filter_offers_open_each_status_and_all_with_open_selected(responder):
    open_incident()

    html = responder.get(LIST).content.decode()

    assert re.search(
        r'<li class="selected">\s*<a href="\?status__in=triggered%2Cacknowledged%2Cmitigated">'
        r"Open</a>",
        html,
    )
    for choice in ("Triggered", "Acknowledged", "Mitigated", "Resolved", "Closed"):
        assert f">{choice}</a>" in html
    assert '<a href="?status__in=all">All</a>' in html


def test_all_shows_closed_incidents_too(responder):
    live = open_incident(title="live")
    done = closed_incident(title="done")

    response = responder.get(f"{LIST}?status__in=all")

    assert response.status_code == 200
    html = response.content.decode()
    assert live.reference in html
    assert done.reference in html
    # Open ones still come first.
    assert html.index(live.reference) < html.index(done.reference)


def test_one_status_shows_only_that_status(responder):
    open_incident(title="live")
    done = closed_incident(title="done")

    html = responder.get(f"{LIST}?status__in=closed").content.decode()

    assert set(references(html)) == {done.reference}


def test_other_filters_without_a_status_are_not_narrowed_to_open(responder):
    service = ServiceFactory()
    live = open_incident(service)
    done = closed_incident(service=service)

    html = responder.get(f"{LIST}?service__id__exact={service.pk}").content.decode()

    assert {live.reference, done.reference} <= set(references(html))


def test_the_dashboards_filtered_link_works(responder):
    sev1 = open_incident(severity=IncidentSeverity.SEV1)
    sev2 = open_incident(severity=IncidentSeverity.SEV2)
    closed_sev1 = closed_incident(severity=IncidentSeverity.SEV1)

    response = responder.get(f"{LIST}?{OPEN}&severity__exact=SEV1")

    assert response.status_code == 200  # not a redirect to ?e=1
    assert set(references(response.content.decode())) == {sev1.reference}
    assert sev2.reference not in response.content.decode()
    assert closed_sev1.reference not in response.content.decode()


def test_an_unknown_status_is_refused_as_a_bad_filter(responder):
    response = responder.get(f"{LIST}?status__in=bogus")

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_select_all_from_the_default_view_acts_only_on_open_incidents(responder):
    live = open_incident()
    done = closed_incident()

    response = responder.post(
        LIST,
        {"action": "resolve_selected", "select_across": "1", "_selected_action": [live.pk]},
        follow=True,
    )

    live.refresh_from_db()
    assert live.status == "resolved"
    html = response.content.decode()
    assert "Resolved 1 incident(s)." in html
    assert "Not resolved" not in html  # the closed one was never tried
    assert done.reference not in html


def test_the_css_is_linked_and_wraps_the_title_column(responder):
    open_incident(title="x" * 200)  # the longest a title may be, unbroken

    html = responder.get(LIST).content.decode()

    assert 'href="/static/incidents/incident_list.css"' in html
    assert "x" * 200 in html
    css = Path(finders.find("incidents/incident_list.css")).read_text()
    rule = re.search(r"#result_list \.field-title \{([^}]*)\}", css).group(1)
    assert "overflow-wrap: anywhere;" in rule
    assert "word-break: break-word;" in rule
    assert "max-width:" in rule


def test_times_carry_the_zone_abbreviation(responder, settings):
    settings.TIME_ZONE = "Europe/London"
    winter = open_incident(title="winter")
    summer = open_incident(title="summer")
    now = timezone.now()
    Incident.objects.filter(pk=winter.pk).update(
        triggered_at=datetime(now.year, 1, 15, 9, 5, tzinfo=UTC)
    )
    Incident.objects.filter(pk=summer.pk).update(
        triggered_at=datetime(now.year, 7, 15, 9, 5, tzinfo=UTC)
    )

    html = responder.get(LIST).content.decode()

    assert "15 Jan 09:05 GMT" in html
    assert "15 Jul 10:05 BST" in html  # summer time, an hour ahead of UTC
    assert re.search(r"\d+ \w{3} \d\d:\d\d (GMT|BST)", html)  # the updated column


def test_local_time_shows_the_year_only_when_it_is_not_this_one(settings):
    settings.TIME_ZONE = "Europe/London"
    now = datetime(2025, 11, 27, 15, 0, tzinfo=UTC)

    assert local_time(datetime(2025, 11, 27, 14, 5, tzinfo=UTC), now=now) == "27 Nov 14:05 GMT"
    assert local_time(datetime(2024, 6, 1, 8, 0, tzinfo=UTC), now=now) == "1 Jun 2024 09:00 BST"
    assert local_time(None) == "—"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "< 1 min"),
        (59, "< 1 min"),
        (60, "1 min"),
        (2 * 3600 + 14 * 60 + 30, "2 h 14 min"),
        (3 * 3600, "3 h"),
        (3 * 86400 + 4 * 3600 + 59 * 60, "3 d 4 h"),
        (2 * 86400 + 5 * 60, "2 d"),
        (-5, "< 1 min"),
    ],
)
def test_duration_text(seconds, text):
    assert duration_text(seconds) == text


def test_age_is_a_human_duration(responder):
    incident = open_incident()
    Incident.objects.filter(pk=incident.pk).update(
        triggered_at=timezone.now() - timedelta(hours=2, minutes=14, seconds=10)
    )

    html = responder.get(LIST).content.decode()

    assert re.search(r'class="help incident-age">2 h 1[45] min ago<', html)


def test_the_list_costs_the_same_queries_for_3_and_30_incidents(responder):
    people = [UserFactory() for _ in range(2)]
    for _ in range(3):
        open_incident(assignees=people, commander=people[0])
    closed_incident()
    with CaptureQueriesContext(connection) as three:
        responder.get(LIST)
    for _ in range(27):
        open_incident(assignees=people, commander=people[0])

    with CaptureQueriesContext(connection) as thirty:
        html = responder.get(LIST).content.decode()

    assert html.count('class="action-select"') == 30
    assert len(thirty.captured_queries) == len(three.captured_queries)
