"""The executive dashboard on the admin's index page and ``GET /api/admin/status``: its
figures on crafted data, who may read them, the links each user gets (and that every one
opens), a query count that does not grow with the incidents, the cache, and that
reading it writes nothing."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import Anomaly, MetricSeries
from incidents import services as incident_services
from insights.dashboard import (
    change_text,
    compliance_text,
    dashboard_figures,
    dashboard_figures_cached,
    duration_text,
)
from insights.models import Insight
from observability import services as slo_services
from observability.slo_math import Status
from oncall import services as oncall_services
from tests.factories import ServiceFactory, TeamFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 17, 12, 0, tzinfo=UTC)  # a Wednesday
DASHBOARD = re.compile(r'<section id="vigil-dashboard".*?</section>', re.S)


@pytest.fixture(autouse=True)
def _no_cached_figures():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def manager():
    return UserFactory(username="mia", first_name="Mia", last_name="Moss", roles=["Manager"])


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def dashboard_html(client) -> str:
    response = client.get("/admin/")
    assert response.status_code == 200
    return DASHBOARD.search(response.content.decode()).group(0)


# --- crafted data ---------------------------------------------------------------------------


def worked(service, *, severity="SEV3", at, ack_after=None, resolve_after=None, by=None):
    """An incident triggered at ``at``, acknowledged and resolved that much later."""
    by = by or UserFactory(username="resolver")
    incident = open_incident(service, severity=severity, at=at)
    if ack_after is not None:
        incident = incident_services.incident_acknowledge(
            incident=incident, by=by, at=at + ack_after
        )
    if resolve_after is not None:
        incident = incident_services.incident_resolve(
            incident=incident, by=by, at=at + resolve_after
        )
    return incident


def an_slo(name, *, target="99.9", service=None):
    return slo_services.slo_create(
        service=service or ServiceFactory(name=f"{name} service"), name=name, target=target
    )


def evaluated(slo, *, state, sli, remaining, at=NOW):
    return slo_services.slo_evaluation_store(
        slo=slo,
        status=Status(
            at=at,
            state=state,
            reason=None,
            sli=sli,
            good=sli * 100_000,
            total=100_000,
            remaining_ratio=remaining,
            remaining_events=None,
            exhausted_at=None,
        ),
    )


def insight(title, severity, *, last_seen, status="open", service=None):
    # Insights are written by the rules' generation; a crafted row stands for one.
    return Insight.objects.create(
        rule="crafted",
        fingerprint=title.ljust(64, "x")[:64],
        content_hash="0" * 64,
        title=title,
        severity=severity,
        recommendation="Do something.",
        service=service,
        status=status,
        first_seen=last_seen - timedelta(days=1),
        last_seen=last_seen,
    )


def anomaly(series, *, at, severity="medium", acknowledged=False, value=10.0, method="rolling_z"):
    # Anomalies are written by the scans; a crafted row stands for one.
    return Anomaly.objects.create(
        series=series,
        timestamp=at,
        value=value,
        expected=2.5,
        score=6,
        method=method,
        severity=severity,
        detected_at=at,
        acknowledged_at=at if acknowledged else None,
    )


def a_schedule(name, users, team=None):
    return oncall_services.schedule_create(
        name=name,
        team=team or TeamFactory(),
        time_zone="UTC",
        layers=[
            {
                "name": "primary",
                "rotation_length": timedelta(days=7),
                "handoff_date": date(2026, 1, 5),
                "handoff_time": time(9),
                "members": users,
            }
        ],
    )


def everything():
    """One of each thing the dashboard links to."""
    service = ServiceFactory(name="Checkout")
    open_incident(service, severity="SEV1", title="Payments failing")
    slo = an_slo("Availability", service=service)
    evaluated(slo, state="met", sli=0.9995, remaining=0.5, at=timezone.now())
    ana = UserFactory(username="ana", first_name="Ana", last_name="Ortega")
    schedule = a_schedule("Checkout primary", [ana], team=service.team)
    incident_services.policy_save(
        name="Checkout",
        team=service.team,
        steps=[{"delay": timedelta(minutes=5), "schedules": [schedule]}],
    )
    insight("Checkout burns its budget", "critical", last_seen=timezone.now(), service=service)
    anomaly(MetricSeries.objects.create(name="orders"), at=timezone.now() - timedelta(hours=1))
    return {"service": service, "slo": slo, "schedule": schedule}


# --- figures ------------------------------------------------------------------------------


def test_open_incidents_are_counted_by_severity():
    service = ServiceFactory()
    for severity in ("SEV1", "SEV1", "SEV3"):
        open_incident(service, severity=severity, at=NOW - timedelta(hours=1))
    acknowledged = open_incident(service, severity="SEV2", at=NOW - timedelta(hours=2))
    incident_services.incident_acknowledge(incident=acknowledged, by=UserFactory())
    worked(service, severity="SEV1", at=NOW - timedelta(days=1), resolve_after=timedelta(hours=1))

    figures = dashboard_figures(NOW)["open_incidents"]

    assert figures == {
        "total": 4,
        "by_severity": [
            {"severity": "SEV1", "label": "critical", "count": 2},
            {"severity": "SEV2", "label": "high", "count": 1},
            {"severity": "SEV3", "label": "medium", "count": 1},
            {"severity": "SEV4", "label": "low", "count": 0},
        ],
    }


def test_mtta_and_mttr_of_the_last_30_days_are_compared_with_the_30_before():
    service = ServiceFactory()
    minutes, hours = timedelta(minutes=1), timedelta(hours=1)
    # The last 30 days: acknowledged after 4 and 6 minutes, resolved after 1 and 2 hours.
    worked(service, at=NOW - timedelta(days=10), ack_after=4 * minutes, resolve_after=hours)
    worked(service, at=NOW - timedelta(days=5), ack_after=6 * minutes, resolve_after=2 * hours)
    open_incident(service, at=NOW - timedelta(hours=1))  # counted, not yet timed
    # The 30 days before: 10 minutes and 3 hours.
    worked(service, at=NOW - timedelta(days=40), ack_after=10 * minutes, resolve_after=3 * hours)
    # Before both windows: not counted.
    worked(service, at=NOW - timedelta(days=70), ack_after=9 * hours, resolve_after=20 * hours)

    figures = dashboard_figures(NOW)["response_times"]

    assert figures["days"] == 30
    assert figures["current_start"] == (NOW - timedelta(days=30)).isoformat()
    mtta, mttr, incidents = figures["rows"]
    assert mtta == {
        "key": "mtta",
        "label": "MTTA",
        "current": pytest.approx(300),
        "previous": pytest.approx(600),
        "current_display": "5 min",
        "previous_display": "10 min",
        "change_percent": -50.0,
        "change_display": "\u221250%",
        "trend": "better",
    }
    assert (mttr["current"], mttr["previous"]) == (pytest.approx(5400), pytest.approx(10800))
    assert (mttr["current_display"], mttr["previous_display"]) == ("1 h 30 min", "3 h")
    assert (mttr["change_display"], mttr["trend"]) == ("\u221250%", "better")
    assert incidents == {
        "key": "incidents",
        "label": "Incidents",
        "current": 3,
        "previous": 1,
        "current_display": "3",
        "previous_display": "1",
        "change_percent": 200.0,
        "change_display": "+200%",
        "trend": "worse",
    }


def test_no_incidents_before_means_no_change_to_show():
    worked(ServiceFactory(), at=NOW - timedelta(days=1), ack_after=timedelta(seconds=45))

    mtta, mttr, _ = dashboard_figures(NOW)["response_times"]["rows"]

    assert (mtta["current_display"], mtta["previous_display"]) == ("45 s", "—")
    assert (mtta["change_percent"], mtta["change_display"], mtta["trend"]) == (None, "—", "none")
    assert (mttr["current"], mttr["current_display"]) == (None, "—")


def test_slo_rows_show_compliance_objective_and_the_budget_left():
    healthy = an_slo("Availability", target="99.9")
    evaluated(healthy, state="met", sli=0.99953, remaining=0.625)
    spent = an_slo("Latency", target="99.95")
    evaluated(spent, state="breached", sli=0.9991, remaining=-0.8)
    evaluated(spent, state="at_risk", sli=0.9996, remaining=0.2, at=NOW - timedelta(hours=1))
    new = an_slo("Search", target="99")

    rows = {row["name"]: row for row in dashboard_figures(NOW)["slos"]}

    assert rows["Availability"] == {
        "id": healthy.pk,
        "name": "Availability",
        "service": "Availability service",
        "service_id": healthy.service_id,
        "state": "met",
        "state_label": "Met",
        "objective_percent": 99.9,
        "objective_display": "99.9%",
        "compliance_percent": 99.953,
        "compliance_display": "99.953%",
        "budget_remaining_percent": 62.5,
        "budget_display": "62.5% left",
        "budget_bar": 62.5,
        "evaluated_at": NOW.isoformat(),
    }
    latest = rows["Latency"]  # its newest evaluation counts
    assert (latest["state"], latest["compliance_display"], latest["objective_display"]) == (
        "breached",
        "99.91%",
        "99.95%",
    )
    assert (latest["budget_display"], latest["budget_bar"]) == ("budget exhausted", 0.0)
    assert latest["budget_remaining_percent"] == -80.0
    never = rows["Search"]
    assert (never["state"], never["compliance_display"], never["budget_display"]) == (
        "unknown",
        "—",
        "no data",
    )
    assert (never["budget_bar"], never["evaluated_at"], never["objective_display"]) == (
        0.0,
        None,
        "99%",
    )
    assert new.pk == never["id"]


def test_who_is_on_call_per_schedule_and_policy_level():
    team = TeamFactory()
    ana = UserFactory(username="ana", first_name="Ana", last_name="Ortega")
    omar = UserFactory(username="omar")
    primary = a_schedule("Primary", [ana], team=team)
    empty = oncall_services.schedule_create(name="Empty", team=team, time_zone="UTC")
    policy = incident_services.policy_save(
        name="Checkout",
        team=team,
        steps=[
            {"delay": timedelta(minutes=5), "schedules": [primary]},
            {"delay": timedelta(minutes=10), "users": [omar], "schedules": [empty]},
        ],
    )

    figures = dashboard_figures(NOW)["oncall"]

    assert figures["schedules"] == [
        {"id": empty.pk, "name": "Empty", "person": "nobody", "covered": False},
        {"id": primary.pk, "name": "Primary", "person": "Ana Ortega", "covered": True},
    ]
    assert figures["policies"] == [
        {
            "id": policy.pk,
            "name": "Checkout",
            "levels": [
                {"level": 1, "label": "L1", "people": "Ana Ortega"},
                {"level": 2, "label": "L2", "people": "omar"},
            ],
        }
    ]


def test_top_insights_are_the_most_severe_open_ones_then_the_latest():
    info = insight("Info, newest", "info", last_seen=NOW)
    old_critical = insight("Critical, older", "critical", last_seen=NOW - timedelta(days=3))
    warning = insight("Warning", "warning", last_seen=NOW - timedelta(hours=1))
    new_critical = insight("Critical, newer", "critical", last_seen=NOW - timedelta(days=1))
    insight("Dismissed", "critical", last_seen=NOW, status="dismissed")
    insight("Resolved", "critical", last_seen=NOW, status="resolved")

    figures = dashboard_figures(NOW)["insights"]

    assert [row["id"] for row in figures["top"]] == [
        new_critical.pk,
        old_critical.pk,
        warning.pk,
        info.pk,
    ]
    assert figures["open"] == 4
    assert figures["by_severity"] == {"info": 1, "warning": 1, "critical": 2}
    assert figures["top"][0] == {
        "id": new_critical.pk,
        "title": "Critical, newer",
        "severity": "critical",
        "rule": "crafted",
        "service": "",
        "last_seen": (NOW - timedelta(days=1)).isoformat(),
    }


def test_only_the_five_top_insights_are_shown():
    for n in range(7):
        insight(f"Warning {n}", "warning", last_seen=NOW - timedelta(hours=n))

    figures = dashboard_figures(NOW)["insights"]

    assert figures["open"] == 7
    assert [row["title"] for row in figures["top"]] == [f"Warning {n}" for n in range(5)]


def test_recent_anomalies_newest_first_and_the_unacknowledged_of_the_week():
    orders = MetricSeries.objects.create(name="orders")
    signups = MetricSeries.objects.create(name="signups")
    for hours in (1, 2, 3, 4, 5, 6):
        anomaly(orders, at=NOW - timedelta(hours=hours))
    newest = anomaly(signups, at=NOW - timedelta(minutes=10), severity="critical", value=1234.5)
    # The same point flagged by two more detectors, lower: one row, at the highest.
    for method, severity in (("robust_z", "medium"), ("isolation_forest", "low")):
        anomaly(
            signups, at=NOW - timedelta(minutes=10), severity=severity, value=1234.5, method=method
        )
    anomaly(signups, at=NOW - timedelta(hours=7), acknowledged=True)
    anomaly(signups, at=NOW - timedelta(days=8))  # over a week ago

    figures = dashboard_figures(NOW)["anomalies"]

    assert figures["days"] == 7
    assert figures["unacknowledged"] == 9
    assert len(figures["recent"]) == 5
    assert figures["recent"][0] == {
        "id": newest.pk,
        "series": "signups",
        "series_id": signups.pk,
        "timestamp": (NOW - timedelta(minutes=10)).isoformat(),
        "timestamp_display": "17 Jun 11:50 UTC",
        "severity": "critical",
        "detectors": 3,
        "value_display": "1234",
        "expected_display": "2.5",
        "acknowledged": False,
    }
    assert [row["timestamp"] for row in figures["recent"][1:]] == [
        (NOW - timedelta(hours=hours)).isoformat() for hours in (1, 2, 3, 4)
    ]


def test_incidents_are_counted_per_week_and_drawn():
    service = ServiceFactory()
    this_monday = datetime(2026, 6, 15, tzinfo=UTC)
    for at in (
        this_monday + timedelta(hours=1),  # this week, so far
        this_monday - timedelta(minutes=1),  # Sunday: the week before
        this_monday - timedelta(days=6),  # last Tuesday
        this_monday - timedelta(weeks=11),  # the first week shown
        this_monday - timedelta(weeks=11, seconds=1),  # before it
    ):
        open_incident(service, at=at)

    figures = dashboard_figures(NOW)["incidents_per_week"]

    counts = {row["week"]: row["count"] for row in figures["weeks"]}
    assert len(counts) == 12
    assert (min(counts), max(counts)) == ("2026-03-30", "2026-06-15")
    assert (counts["2026-06-15"], counts["2026-06-08"], counts["2026-03-30"]) == (1, 2, 1)
    assert figures["total"] == 4
    assert figures["start"] == "2026-03-30T00:00:00+00:00"
    assert figures["chart"].startswith("data:image/svg+xml;base64,")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "0 s"),
        (45.4, "45 s"),
        (59.6, "1 min"),
        (250, "4 min"),
        (3599, "1 h"),  # 59.98 minutes round to the hour
        (3600, "1 h"),
        (4330, "1 h 12 min"),
        (86400 + 5 * 3600, "1 d 5 h"),
        (2 * 86400, "2 d"),
    ],
)
def test_durations_read_as_people_say_them(seconds, text):
    assert duration_text(seconds) == text


@pytest.mark.parametrize(
    ("ratio", "text"),
    [
        (None, "—"),
        (0.99953, "99.953%"),
        (0.999, "99.9%"),
        (0.99979, "99.979%"),  # 0.99979 * 100_000 is 99978.99999... in floats
        (0.999996, "99.999%"),  # cut, not rounded up to 100%
        (1.0, "100%"),
        (0.5, "50%"),
    ],
)
def test_compliance_has_three_decimals_at_most_and_never_rounds_up(ratio, text):
    assert compliance_text(ratio) == text


@pytest.mark.parametrize(
    ("percent", "text"),
    [(None, "—"), (35.4, "+35%"), (-12.2, "\u221212%"), (0.3, "±0%"), (-0.4, "±0%")],
)
def test_changes_have_a_sign(percent, text):
    assert change_text(percent) == text


# --- the page -------------------------------------------------------------------------------


def test_the_index_page_shows_the_figures_above_the_app_list(manager):
    service = ServiceFactory(name="Checkout")
    for _ in range(3):
        open_incident(service, severity="SEV1")
    open_incident(service, severity="SEV4")

    response = client_for(manager).get("/admin/")

    html = response.content.decode()
    section = DASHBOARD.search(html).group(0)
    assert html.index('id="vigil-dashboard"') < html.index('id="content-main"')
    assert re.search(r'data-text="open_incidents.total">4<', section)
    sev1 = re.search(r'data-severity="SEV1" data-count="(\d+)"', section)
    assert sev1.group(1) == "3"
    assert 'data-status-url="/api/admin/status"' in section
    assert 'data-refresh-seconds="30"' in section
    assert "/static/insights/dashboard.js" in html
    assert "/static/insights/dashboard.css" in html
    assert 'src="data:image/svg+xml;base64,' in section
    assert "<script>" not in section  # the policy runs no inline script


def test_the_refresh_interval_is_a_setting(manager, settings):
    settings.DASHBOARD_REFRESH_SECONDS = 5

    assert 'data-refresh-seconds="5"' in dashboard_html(client_for(manager))


def test_staff_without_any_role_see_the_figures_but_no_links():
    open_incident(ServiceFactory(), severity="SEV2")
    nobody = UserFactory(username="plain-staff")

    section = dashboard_html(client_for(nobody))

    assert re.search(r'data-text="open_incidents.total">1<', section)
    assert " href=" not in section


# --- links --------------------------------------------------------------------------------


def _urls(value) -> list[str]:
    if isinstance(value, dict):
        return [url for key, item in value.items() for url in _urls(item) if key != "chart"] + (
            [value["url"]] if isinstance(value.get("url"), str) else []
        )
    if isinstance(value, list):
        return [url for item in value for url in _urls(item)]
    return []


def _all_links(figures: dict) -> set[str]:
    return {*_urls(figures), *(url for url in figures["links"].values() if url)}


@pytest.mark.parametrize("role", ["Manager", "Responder", "Viewer"])
def test_every_link_opens_its_page_with_the_filter_the_admin_accepts(role):
    everything()
    user = UserFactory(username=f"staff-{role}", roles=[role])
    client = client_for(user)

    links = _all_links(client.get("/api/admin/status").json())

    assert len(links) >= 10
    for url in links:
        response = client.get(url)
        # A filter the admin refuses redirects to ?e=1.
        assert response.status_code == 200, url
        assert "e=1" not in response.get("Location", ""), url


def test_the_severity_link_lists_exactly_the_open_incidents_of_that_severity(manager):
    service = ServiceFactory()
    wanted = [open_incident(service, severity="SEV1", title=f"Open {n}") for n in range(2)]
    acknowledged = open_incident(service, severity="SEV1", title="Acknowledged")
    incident_services.incident_acknowledge(incident=acknowledged, by=manager)
    worked(service, severity="SEV1", at=timezone.now(), resolve_after=timedelta(minutes=1))
    open_incident(service, severity="SEV2", title="Other severity")
    client = client_for(manager)

    figures = client.get("/api/admin/status").json()
    [sev1] = [row for row in figures["open_incidents"]["by_severity"] if row["severity"] == "SEV1"]
    page = client.get(sev1["url"])

    assert sev1["count"] == 3
    listed = {incident.pk for incident in page.context["cl"].result_list}
    assert listed == {*(i.pk for i in wanted), acknowledged.pk}


CONFIG_LINKS = [
    r"/admin/observability/slo/\d+/change/",
    r"/admin/observability/slo/add/",
    r"/admin/oncall/schedule/\d+/change/",
    r"/admin/incidents/escalationpolicy/\d+/change/",
    r"/admin/catalog/service/",
    r"/add/",
]


@pytest.mark.parametrize("role", ["Responder", "Viewer"])
def test_staff_who_do_not_manage_get_no_configuration_links(role):
    made = everything()
    user = UserFactory(username=f"staff-{role}", roles=[role])

    section = dashboard_html(client_for(user))

    for pattern in CONFIG_LINKS:
        assert not re.search(pattern, section), pattern
    # What they may read is linked: the open incidents, the SLO's list, the insights.
    assert "/admin/incidents/incident/?status__in=" in section
    assert f"/admin/observability/slo/?service__id__exact={made['service'].pk}" in section
    assert "/admin/insights/insight/?status__exact=open" in section
    assert "/admin/analytics/anomaly/?acknowledged_at__isempty=1" in section


def test_managers_get_the_configuration_links(manager):
    made = everything()

    section = dashboard_html(client_for(manager))

    assert f"/admin/observability/slo/{made['slo'].pk}/change/" in section
    assert "/admin/observability/slo/add/" in section
    assert f"/admin/oncall/schedule/{made['schedule'].pk}/change/" in section
    assert re.search(r"/admin/incidents/escalationpolicy/\d+/change/", section)


def test_a_manager_and_a_viewer_share_the_cached_figures_with_their_own_links(manager):
    made = everything()
    viewer = UserFactory(username="vic", roles=["Viewer"])

    as_manager = client_for(manager).get("/api/admin/status").json()
    with CaptureQueriesContext(connection) as queries:
        as_viewer = client_for(viewer).get("/api/admin/status").json()

    assert as_viewer["at"] == as_manager["at"]  # the same computation
    assert not [q for q in queries.captured_queries if "incidents_incident" in q["sql"]]
    assert as_manager["slos"][0]["url"] == f"/admin/observability/slo/{made['slo'].pk}/change/"
    assert as_viewer["slos"][0]["url"] == (
        f"/admin/observability/slo/?service__id__exact={made['service'].pk}"
    )
    assert as_manager["links"]["slo_add"] == "/admin/observability/slo/add/"
    assert as_viewer["links"]["slo_add"] is None


# --- the endpoint -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/admin/status", "/api/admin/status/"])
def test_staff_read_the_figures_as_json(manager, path):
    open_incident(ServiceFactory(), severity="SEV1")

    response = client_for(manager).get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {
        "at",
        "at_display",
        "open_incidents",
        "response_times",
        "slos",
        "oncall",
        "insights",
        "anomalies",
        "incidents_per_week",
        "links",
    }
    assert body["open_incidents"]["total"] == 1


def test_people_who_are_not_staff_are_refused():
    outsider = UserFactory(username="outsider", is_staff=False, roles=["Manager"])

    response = client_for(outsider).get("/api/admin/status")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_callers_are_refused():
    response = Client().get("/api/admin/status")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_schema_describes_the_endpoint(viewer_client):
    schema = viewer_client.get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/admin/status"]["get"]
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert {"open_incidents", "response_times", "slos", "oncall", "insights"} <= set(
        component["properties"]
    )
    assert "403" in operation["responses"]


# --- cost ---------------------------------------------------------------------------------


def _incidents(count: int, user):
    service = ServiceFactory(name="Busy")
    start = timezone.now() - timedelta(days=55)
    for n in range(count):
        at = start + timedelta(days=n * 55 / count)
        incident = open_incident(service, severity=f"SEV{n % 4 + 1}", at=at)
        if n % 3:
            incident = incident_services.incident_acknowledge(
                incident=incident, by=user, at=at + timedelta(minutes=n + 1)
            )
        if n % 3 == 2:
            incident_services.incident_resolve(
                incident=incident, by=user, at=at + timedelta(hours=1)
            )


def _page_queries(client) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/").status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_3_incidents_as_for_30(manager):
    everything()
    client = client_for(manager)
    _incidents(3, manager)
    with_3 = _page_queries(client)

    _incidents(27, manager)
    with_30 = _page_queries(client)

    assert with_30 == with_3
    assert with_3 <= 30


def test_the_figures_are_computed_once_for_everyone_within_the_cache_time(manager):
    everything()
    first = dashboard_figures_cached()
    open_incident(ServiceFactory(), severity="SEV1")

    with CaptureQueriesContext(connection) as queries:
        again = dashboard_figures_cached()

    assert len(queries) == 0
    assert again == first
    cache.clear()
    assert dashboard_figures_cached()["open_incidents"]["total"] == 2


def test_reading_the_dashboard_writes_nothing(manager):
    everything()
    client = client_for(manager)

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/").status_code == 200
        assert client.get("/api/admin/status").status_code == 200

    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
