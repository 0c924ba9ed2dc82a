"""Built-in metrics against figures worked out from each test's own data: daily counts
with their zero days, per-incident response times, ratios with undefined days left out,
label filters, the API's own latency and queries, and SLO compliance offered by
observability through the provider registry."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import time_machine
from rest_framework.test import APIClient

from analytics.builtin import BUILTIN, builtin_list, builtin_points
from analytics.models import RouteUsage
from analytics.selectors import metric_points
from core import metric_providers
from core.models import DeliveryStatus
from incidents import services
from incidents.models import Alert, AlertStatus, IncidentSeverity, Notification
from observability import services as slo_services
from observability.models import SLOEvaluation
from oncall import services as oncall_services
from tests.factories import ServiceFactory, UserFactory, make_integration, open_incident

pytestmark = pytest.mark.django_db

D0 = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, midnight UTC
DAY = timedelta(days=1)


def ts(at: datetime) -> float:
    return at.timestamp()


def incident(service, at, *, ack=None, resolve=None, severity=IncidentSeverity.SEV3):
    """An incident triggered at ``at``, acknowledged/resolved ``ack``/``resolve`` seconds later."""
    created = open_incident(service, at=at, severity=severity)
    if ack is not None:
        services.incident_acknowledge(incident=created, by=None, at=at + timedelta(seconds=ack))
    if resolve is not None:
        services.incident_resolve(incident=created, by=None, at=at + timedelta(seconds=resolve))
    return created


def alerts(integration, at, n, *, status=AlertStatus.FIRING, incident=None, group="g"):
    Alert.objects.bulk_create(
        Alert(
            integration=integration,
            incident=incident,
            fingerprint=f"{group}-{i}",
            group_key=group,
            status=status,
            severity="SEV3",
            received_at=at,
        )
        for i in range(n)
    )


@pytest.fixture
def api():
    return ServiceFactory(slug="api", name="API")


@pytest.fixture
def web():
    return ServiceFactory(slug="web", name="Web")


# --- incidents per day ------------------------------------------------------------------


def test_incidents_per_day_include_the_days_without_any(api, web):
    incident(api, D0 + timedelta(hours=3), severity=IncidentSeverity.SEV1)
    incident(api, D0 + timedelta(hours=23, minutes=59), severity=IncidentSeverity.SEV1)
    incident(web, D0 + 2 * DAY + timedelta(hours=12))
    incident(web, D0 + 5 * DAY)  # after the window

    t, v = metric_points("vigil_incidents", {}, D0, D0 + 5 * DAY)

    assert t.tolist() == [ts(D0 + i * DAY) for i in range(5)]
    assert v.tolist() == [2, 0, 1, 0, 0]
    assert t.dtype == v.dtype == np.float64


def test_incidents_per_day_by_severity_and_service(api, web):
    incident(api, D0 + timedelta(hours=1), severity=IncidentSeverity.SEV1)
    incident(web, D0 + timedelta(hours=2), severity=IncidentSeverity.SEV1)
    incident(web, D0 + DAY + timedelta(hours=2), severity=IncidentSeverity.SEV2)

    end = D0 + 3 * DAY
    assert metric_points("vigil_incidents", {"severity": "SEV1"}, D0, end)[1].tolist() == [
        2,
        0,
        0,
    ]
    assert metric_points("vigil_incidents", {"service": "web"}, D0, end)[1].tolist() == [1, 1, 0]
    both = {"service": "web", "severity": "SEV2"}
    assert metric_points("vigil_incidents", both, D0, end)[1].tolist() == [0, 1, 0]


def test_a_window_starting_mid_day_counts_that_day_from_its_start_only(api):
    incident(api, D0 + timedelta(hours=2))  # before the window
    incident(api, D0 + timedelta(hours=20))

    t, v = metric_points("vigil_incidents", {}, D0 + timedelta(hours=12), D0 + 2 * DAY)

    assert t.tolist() == [ts(D0), ts(D0 + DAY)]  # stamped at the day's start
    assert v.tolist() == [1, 0]


# --- response times -----------------------------------------------------------------------


def test_mtta_and_mttr_are_one_sample_per_incident_at_its_trigger(api, web):
    # (trigger, seconds to acknowledge, seconds to resolve, service)
    known = [
        (D0 + timedelta(hours=1), 60, 600, api),
        (D0 + timedelta(hours=5), 120, 1800, api),
        (D0 + DAY, 30, None, web),  # acknowledged, still open
        (D0 + 2 * DAY, None, None, web),  # untouched
        (D0 + 3 * DAY, 300, 7200, web),
    ]
    for at, ack, resolve, service in known:
        incident(service, at, ack=ack, resolve=resolve)
    end = D0 + 10 * DAY

    mtta = metric_points("vigil_mtta_seconds", {}, D0, end)
    mttr = metric_points("vigil_mttr_seconds", {}, D0, end)
    mttr_web = metric_points("vigil_mttr_seconds", {"service": "web"}, D0, end)

    assert mtta[0].tolist() == [ts(at) for at, ack, _, _ in known if ack is not None]
    assert mtta[1].tolist() == [60, 120, 30, 300]
    assert mttr[0].tolist() == [ts(at) for at, _, resolve, _ in known if resolve is not None]
    assert mttr[1].tolist() == [600, 1800, 7200]
    assert mttr_web[1].tolist() == [7200]
    # The statistics over them are the hand-computed ones: MTTR 600, 1800, 7200 s.
    assert float(np.mean(mttr[1])) == (600 + 1800 + 7200) / 3
    assert float(np.median(mttr[1])) == 1800
    assert float(np.percentile(mttr[1], 90)) == 1800 + 0.8 * (7200 - 1800)


def test_mttr_of_one_month_is_exactly_its_incidents(api):
    """The samples a comparison of two months reads: this month's incidents only."""
    march = datetime(2026, 3, 1, tzinfo=UTC)
    april = datetime(2026, 4, 1, tzinfo=UTC)
    incident(api, march - timedelta(hours=1), ack=1, resolve=100)  # February
    incident(api, march + timedelta(days=3), ack=1, resolve=3600)
    incident(api, march + timedelta(days=20), ack=1, resolve=5400)
    incident(api, april, ack=1, resolve=60)  # April

    t, v = metric_points("vigil_mttr_seconds", {}, march, april)

    assert v.tolist() == [3600, 5400]
    assert t.tolist() == [ts(march + timedelta(days=3)), ts(march + timedelta(days=20))]


# --- alerts ---------------------------------------------------------------------------------


def test_alerts_per_day_count_firing_alerts_with_zeros_and_by_service(api, web):
    api_hook, _ = make_integration(service=api)
    web_hook, _ = make_integration(service=web)
    alerts(api_hook, D0 + timedelta(hours=1), 3)
    alerts(api_hook, D0 + timedelta(hours=2), 2, status=AlertStatus.RESOLVED)  # not alerts
    alerts(web_hook, D0 + 2 * DAY, 4)

    all_days = metric_points("vigil_alerts", {}, D0, D0 + 3 * DAY)
    web_days = metric_points("vigil_alerts", {"service": "web"}, D0, D0 + 3 * DAY)

    assert all_days[0].tolist() == [ts(D0), ts(D0 + DAY), ts(D0 + 2 * DAY)]
    assert all_days[1].tolist() == [3, 0, 4]
    assert web_days[1].tolist() == [0, 0, 4]


def test_alerts_per_incident_leave_out_the_days_without_incidents(api):
    hook, _ = make_integration(service=api)
    incident(api, D0 + timedelta(hours=1))
    incident(api, D0 + timedelta(hours=2))
    alerts(hook, D0 + timedelta(hours=1), 7)
    alerts(hook, D0 + DAY, 5)  # a day with alerts and no incident
    incident(api, D0 + 2 * DAY)  # a day with an incident and no alert

    t, v = metric_points("vigil_alerts_per_incident", {}, D0, D0 + 3 * DAY)

    assert t.tolist() == [ts(D0), ts(D0 + 2 * DAY)]
    assert v.tolist() == [7 / 2, 0 / 1]


# --- pages ------------------------------------------------------------------------------------


def page(incident_, user, method, level, created_at, status):
    return Notification(
        incident=incident_,
        level=level,
        user=user,
        contact_method=method,
        created_at=created_at,
        status=status,
        sent_at=created_at + timedelta(seconds=5) if status == DeliveryStatus.SENT else None,
    )


def test_pages_sent_failed_and_the_delivery_ratio_per_day(api):
    user = UserFactory()
    method = oncall_services.contact_method_create(user=user, kind="email", address="a@example.com")
    paged = incident(api, D0)
    outcomes = [
        (D0 + timedelta(hours=1), DeliveryStatus.SENT),
        (D0 + timedelta(hours=2), DeliveryStatus.SENT),
        (D0 + timedelta(hours=3), DeliveryStatus.SENT),
        (D0 + timedelta(hours=4), DeliveryStatus.FAILED),
        (D0 + timedelta(hours=5), DeliveryStatus.PENDING),  # no outcome yet
        (D0 + 2 * DAY, DeliveryStatus.FAILED),
    ]
    Notification.objects.bulk_create(
        page(paged, user, method, level, at, status) for level, (at, status) in enumerate(outcomes)
    )
    end = D0 + 3 * DAY

    sent = metric_points("vigil_pages_sent", {}, D0, end)
    failed = metric_points("vigil_pages_failed", {}, D0, end)
    ratio = metric_points("vigil_page_delivery_ratio", {}, D0, end)

    assert sent[0].tolist() == failed[0].tolist() == [ts(D0 + i * DAY) for i in range(3)]
    assert sent[1].tolist() == [3, 0, 0]
    assert failed[1].tolist() == [1, 0, 1]
    assert ratio[0].tolist() == [ts(D0), ts(D0 + 2 * DAY)]  # day 1 had neither
    assert ratio[1].tolist() == [3 / 4, 0.0]


# --- the API's own usage --------------------------------------------------------------------


def usage(hour, route, band, requests, queries=0, method="GET"):
    return RouteUsage(
        hour=hour,
        route=route,
        method=method,
        latency_band=band,
        requests=requests,
        queries=queries,
    )


def test_api_latency_p95_and_queries_per_request_per_hour_from_api_routes_only():
    h0, h1 = D0 + timedelta(hours=10), D0 + timedelta(hours=11)
    RouteUsage.objects.bulk_create(
        [
            # Hour 0: 90 answers in (25, 50] ms, 10 in (250, 500] ms, split over routes.
            usage(h0, "api/incidents", 3, 60, queries=300),
            usage(h0, "api/incidents/<pk>", 3, 30, queries=90),
            usage(h0, "api/incidents", 6, 10, queries=110, method="POST"),
            # The admin is not the API: left out of both figures.
            usage(h0, "admin/incidents/incident/", 9, 500, queries=9000),
            # Hour 1: 4 answers, all in (5, 10] ms.
            usage(h1, "api/slos", 1, 4, queries=8),
        ]
    )

    p95 = metric_points("vigil_api_latency_p95_ms", {}, D0, D0 + DAY)
    qpr = metric_points("vigil_queries_per_request", {}, D0, D0 + DAY)

    assert p95[0].tolist() == [ts(h0), ts(h1)]
    # Rank 95 of 100: the 5th of the 10 in (250, 500] -> 250 + 250 * 5/10.
    # Rank 3.8 of 4: inside (5, 10] -> 5 + 5 * 3.8/4.
    assert p95[1].tolist() == [375.0, 5 + 5 * 3.8 / 4]
    assert qpr[0].tolist() == [ts(h0), ts(h1)]
    assert qpr[1].tolist() == [(300 + 90 + 110) / 100, 8 / 4]


# --- SLO compliance, through the provider registry --------------------------------------------


def test_slo_compliance_comes_from_observability_through_the_registry(api, web):
    assert "vigil_slo_compliance" in BUILTIN
    assert BUILTIN["vigil_slo_compliance"].labels == ("slo", "service")
    availability = slo_services.slo_create(service=api, name="Availability", target="99.9")
    latency = slo_services.slo_create(service=web, name="Latency", target="99")
    minute = D0 + timedelta(hours=1)
    SLOEvaluation.objects.bulk_create(
        [
            SLOEvaluation(slo=availability, at=minute, state="met", sli=0.999),
            SLOEvaluation(
                slo=availability, at=minute + timedelta(minutes=1), state="met", sli=0.98
            ),
            SLOEvaluation(slo=latency, at=minute, state="met", sli=0.95),
            SLOEvaluation(slo=latency, at=minute + timedelta(minutes=2), state="unknown", sli=None),
        ]
    )

    one = metric_points("vigil_slo_compliance", {"slo": "Availability"}, D0, D0 + DAY)
    by_service = metric_points("vigil_slo_compliance", {"service": "web"}, D0, D0 + DAY)
    every = metric_points("vigil_slo_compliance", {}, D0, D0 + DAY)

    assert one[0].tolist() == [ts(minute), ts(minute + timedelta(minutes=1))]
    assert one[1].tolist() == [0.999, 0.98]
    assert by_service[1].tolist() == [0.95]  # an evaluation without an SLI is no sample
    assert every[0].tolist() == [ts(minute), ts(minute + timedelta(minutes=1))]
    assert every[1] == pytest.approx([(0.999 + 0.95) / 2, 0.98])


def test_a_provider_registered_later_is_offered_at_once():
    meta = metric_providers.MetricMeta(
        name="vigil_test_later", description="d", unit="u", higher_is_better=True
    )

    def points(labels, start, end):
        return np.array([ts(start)]), np.array([42.0])

    assert "vigil_test_later" not in BUILTIN
    metric_providers.register(meta, points)
    try:
        assert BUILTIN["vigil_test_later"].higher_is_better is True
        assert metric_points("vigil_test_later", {}, D0, D0 + DAY)[1].tolist() == [42.0]
    finally:
        metric_providers._providers.pop("vigil_test_later")


# --- labels, defaults, cost -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "labels", "named"),
    [
        ("vigil_incidents", {"team": "a"}, "team"),
        ("vigil_mttr_seconds", {"region": "eu", "service": "api"}, "region"),
        ("vigil_pages_sent", {"service": "api"}, "service"),
        ("vigil_slo_compliance", {"severity": "SEV1"}, "severity"),
    ],
)
def test_a_label_the_metric_does_not_take_is_a_value_error_naming_it(name, labels, named):
    takes = ", ".join(BUILTIN[name].labels) or "no labels"
    with pytest.raises(ValueError, match=rf"{name} has no label {named} \(it takes {takes}\)"):
        builtin_points(name, labels, D0, D0 + DAY)


def test_without_start_and_end_the_last_90_days():
    now = datetime(2026, 5, 20, 15, 30, tzinfo=UTC)
    incident(ServiceFactory(), now - timedelta(hours=1))
    incident(ServiceFactory(), now - timedelta(days=91))  # outside

    with time_machine.travel(now, tick=False):
        t, v = builtin_points("vigil_incidents", {}, None, None)

    first = datetime(2026, 2, 19, tzinfo=UTC)  # the day of now - 90 days
    assert t[0] == ts(first)
    assert t[-1] == ts(datetime(2026, 5, 20, tzinfo=UTC))
    assert len(t) == 91
    assert v.sum() == 1
    assert v[-1] == 1


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_each_metric_costs_at_most_two_queries(name, api, django_assert_max_num_queries):
    hook, _ = make_integration(service=api)
    for day in range(5):
        alerts(hook, D0 + day * DAY, 2, incident=incident(api, D0 + day * DAY, ack=60, resolve=90))

    with django_assert_max_num_queries(2):
        builtin_points(name, {}, D0, D0 + 30 * DAY)


def test_the_listing_names_every_metric_with_its_labels_and_direction(viewer_client):
    listed = {row["name"]: row for row in builtin_list()}

    response = viewer_client.get("/api/analytics/metrics")

    assert response.status_code == 200
    assert {row["name"]: row for row in response.json()} == listed
    assert set(listed) >= {
        "vigil_incidents",
        "vigil_mtta_seconds",
        "vigil_mttr_seconds",
        "vigil_alerts",
        "vigil_alerts_per_incident",
        "vigil_pages_sent",
        "vigil_pages_failed",
        "vigil_page_delivery_ratio",
        "vigil_slo_compliance",
        "vigil_api_latency_p95_ms",
        "vigil_queries_per_request",
    }
    assert listed["vigil_mttr_seconds"] == {
        "name": "vigil_mttr_seconds",
        "description": listed["vigil_mttr_seconds"]["description"],
        "unit": "seconds",
        "higher_is_better": False,
        "labels": ["severity", "service"],
    }
    assert listed["vigil_page_delivery_ratio"]["higher_is_better"] is True
    assert APIClient().get("/api/analytics/metrics/").status_code == 401
