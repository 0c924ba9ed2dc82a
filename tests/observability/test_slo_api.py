"""SLOs through the API: configuration rules, posting events, status from the database's
aggregates, history, the production summaries and who may do what."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from observability import services
from observability.models import SLO, SLOBucket
from tests.factories import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


@pytest.fixture
def slo():
    return services.slo_create(
        service=ServiceFactory(name="Checkout"), name="Availability", target="99.9"
    )


def iso(at):
    return at.isoformat().replace("+00:00", "Z")


def post_events(client, slo, events):
    with time_machine.travel(NOW, tick=False):
        return client.post(f"/api/slos/{slo.pk}/events", {"events": events}, format="json")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"target": "100"}, "target"),
        ({"target": "0"}, "target"),
        ({"target": "-1"}, "target"),
        ({"window": "90d"}, "window"),
        ({"budgeting_method": "timeslices"}, "slice_minutes"),
        ({"sli_kind": "latency"}, "latency_threshold_ms"),
        (
            {"source": "prometheus", "good_query": "sum(up)", "total_query": "x[{{window}}]"},
            "good_query",
        ),
        ({"page_severity": "SEV9"}, "page_severity"),
        ({"runbook_url": "javascript:alert(1)"}, "runbook_url"),
    ],
)
def test_bad_slos_are_refused_with_the_field_named(manager, fields, field):
    service = ServiceFactory()
    body = {"service": service.pk, "name": "x", "target": "99.9", **fields}

    response = manager.post("/api/slos", body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not SLO.objects.exists()


def test_events_add_up_per_minute_rounded_up(manager, slo):
    events = [
        {"timestamp": iso(NOW - timedelta(minutes=3)), "good": 90, "total": 100},
        {"timestamp": iso(NOW - timedelta(minutes=3, seconds=30)), "good": 5, "total": 5},
        {"timestamp": iso(NOW - timedelta(minutes=2, seconds=59)), "good": 10, "total": 10},
    ]

    first = post_events(manager, slo, events)
    again = post_events(manager, slo, events[:1])

    assert first.status_code == 201, first.json()
    assert first.json() == {"accepted": 3, "minutes": 2}
    assert again.status_code == 201
    minutes = dict(SLOBucket.objects.values_list("minute", "good"))
    end = int(NOW.timestamp() // 60)
    # 09:56:30 and 09:57:00 count in the minute ending 09:57; 09:57:01 in 09:58.
    assert minutes == {end - 3: 90 + 5 + 90, end - 2: 10}


def test_one_bad_event_refuses_the_whole_request_naming_each(manager, slo):
    events = [
        {"timestamp": iso(NOW), "good": 1, "total": 1},
        {"timestamp": iso(NOW), "good": 5, "total": 4},
        {"timestamp": iso(NOW), "good": -1, "total": 4},
        {"timestamp": iso(NOW - timedelta(days=91)), "good": 1, "total": 1},
        {"timestamp": iso(NOW + timedelta(minutes=6)), "good": 1, "total": 1},
        {"timestamp": iso(NOW + timedelta(minutes=4)), "good": 1, "total": 1},
    ]

    response = post_events(manager, slo, events)

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"events[1]", "events[2]", "events[3]", "events[4]"}
    assert "exceed" in fields["events[1]"][0]
    assert "negative" in fields["events[2]"][0]
    assert "retention" in fields["events[3]"][0]
    assert "future" in fields["events[4]"][0]
    assert not SLOBucket.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"events": []},
        {"events": "x"},
        {"events": [{"timestamp": "yesterday", "good": 1, "total": 1}]},
        {"events": [{"timestamp": "2026-06-28T10:00:00Z", "good": "1.5", "total": 1}]},
        {"events": [{"timestamp": "2026-06-28T10:00:00Z", "good": 1}]},
    ],
)
def test_malformed_bodies_are_400(manager, slo, body):
    with time_machine.travel(NOW, tick=False):
        response = manager.post(f"/api/slos/{slo.pk}/events", body, format="json")
    assert response.status_code == 400
    assert not SLOBucket.objects.exists()


def test_more_than_10000_events_are_refused(manager, slo):
    events = [{"timestamp": iso(NOW), "good": 1, "total": 1}] * 10_001
    assert post_events(manager, slo, events).status_code == 400


def test_status_is_computed_from_the_buckets(manager, slo):
    # 30 days of 1000 events a minute at 0.05% errors, then a 2% error hour.
    start = NOW - timedelta(days=30)
    minutes = int((NOW - start).total_seconds() // 60)
    events = []
    for minute in range(minutes):
        at = start + timedelta(minutes=minute + 1)
        bad = 20 if at > NOW - timedelta(hours=1) else 0
        events.append({"timestamp": iso(at), "good": 1000 - bad, "total": 1000})
    for chunk in range(0, len(events), 10_000):
        assert post_events(manager, slo, events[chunk : chunk + 10_000]).status_code == 201

    with time_machine.travel(NOW, tick=False):
        body = manager.get(f"/api/slos/{slo.pk}/status?at={iso(NOW)}").json()

    total = 1000 * minutes
    bad = 20 * 60
    assert body["total"] == total
    assert body["good"] == total - bad
    assert body["sli"] == pytest.approx(1 - bad / total)
    assert body["burn_rates"]["1h"] == pytest.approx(20)
    assert body["burn_rates"]["5m"] == pytest.approx(20)
    assert body["burn_rates"]["6h"] == pytest.approx(20 / 6)
    assert body["error_budget"]["remaining_ratio"] == pytest.approx(1 - bad / (0.001 * total))
    assert body["alerts"] == {"page": True, "ticket": False}
    assert body["state"] == "at_risk"
    # The window ends at its minute: an hour earlier, nothing burned yet.
    earlier = manager.get(f"/api/slos/{slo.pk}/status?at={iso(NOW - timedelta(hours=1))}").json()
    assert earlier["burn_rates"]["1h"] == 0
    assert earlier["state"] == "met"


def test_history_lists_stored_evaluations(manager, slo):
    post_events(manager, slo, [{"timestamp": iso(NOW), "good": 99, "total": 100}])
    for minutes in (0, 1, 2):
        services.slo_evaluations_run(at=NOW + timedelta(minutes=minutes))

    response = manager.get(
        f"/api/slos/{slo.pk}/history?start={iso(NOW)}&end={iso(NOW + timedelta(minutes=1))}"
    )

    assert response.status_code == 200
    assert [row["state"] for row in response.json()] == ["breached", "breached"]
    assert (
        manager.get(f"/api/slos/{slo.pk}/history?start={iso(NOW)}&end={iso(NOW)}").status_code
        == 400
    )


def test_production_summaries(manager, slo):
    post_events(manager, slo, [{"timestamp": iso(NOW), "good": 100, "total": 100}])
    services.slo_evaluations_run(at=NOW)

    rows = manager.get("/api/production/slo").json()
    status = manager.get("/api/production/status").json()

    assert rows[0]["id"] == slo.pk
    assert rows[0]["state"] == "met"
    assert rows[0]["sli"] == 1.0
    assert status["slos"]["met"] == 1
    assert set(status["open_incidents"]) == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert "database" in status["checks"]


def test_viewers_read_managers_configure_and_post(slo):
    viewer = APIClient()
    viewer.force_authenticate(UserFactory(roles=["Viewer"]))
    responder = APIClient()
    responder.force_authenticate(UserFactory(roles=["Responder"]))

    assert viewer.get("/api/slos").status_code == 200
    assert viewer.get(f"/api/slos/{slo.pk}/status").status_code == 200
    assert viewer.patch(f"/api/slos/{slo.pk}", {"target": "99"}).status_code == 403
    body = {"events": [{"timestamp": iso(NOW), "good": 1, "total": 1}]}
    assert viewer.post(f"/api/slos/{slo.pk}/events", body, format="json").status_code == 403
    assert responder.post(f"/api/slos/{slo.pk}/events", body, format="json").status_code == 403


def test_metrics_export_each_slos_latest_figures(manager, slo, client):
    post_events(manager, slo, [{"timestamp": iso(NOW), "good": 999, "total": 1000}])
    services.slo_evaluations_run(at=NOW)

    text = client.get("/metrics").content.decode()

    labels = f'name="Availability",service="{slo.service.slug}",slo="{slo.pk}"'
    assert f"slo_sli_ratio{{{labels}}} 0.999" in text
    assert f"slo_error_budget_remaining_ratio{{{labels}}}" in text
    assert f'slo_burn_rate{{{labels},window="1h"}} 1.0' in text


def test_timeslices_count_good_slices(manager):
    slo = services.slo_create(
        service=ServiceFactory(),
        name="Slices",
        target="90",
        budgeting_method="timeslices",
        slice_minutes=5,
        slice_target="99",
    )
    events = []
    for minute in range(60):  # twelve 5-minute slices, ending at NOW
        at = NOW - timedelta(minutes=59 - minute)
        # The 3rd and 10th slices are bad (2% errors); every other slice is clean.
        bad = 2 if minute // 5 in (2, 9) else 0
        events.append({"timestamp": iso(at), "good": 100 - bad, "total": 100})
    assert post_events(manager, slo, events).status_code == 201

    body = manager.get(f"/api/slos/{slo.pk}/status?at={iso(NOW)}").json()

    assert (body["good"], body["total"]) == (10, 12)
    assert body["sli"] == pytest.approx(10 / 12)
    assert body["state"] == "breached"  # 83% of slices good, target 90%
    # The last hour: 2 bad slices of 12 is 1/6 errors against a 10% budget.
    assert body["burn_rates"]["1h"] == pytest.approx((2 / 12) / 0.1)
    # The last 30 minutes hold the 10th slice (minutes 45-49): 1 bad of 6.
    assert body["burn_rates"]["30m"] == pytest.approx((1 / 6) / 0.1)
    assert body["burn_rates"]["5m"] == 0


def test_counts_and_evaluations_past_the_retention_are_pruned_in_batches(manager, slo):
    post_events(manager, slo, [{"timestamp": iso(NOW - timedelta(days=89)), "good": 1, "total": 1}])
    post_events(manager, slo, [{"timestamp": iso(NOW), "good": 1, "total": 1}])
    services.slo_evaluations_run(at=NOW - timedelta(days=89))
    services.slo_evaluations_run(at=NOW)

    assert services.slo_buckets_prune(now=NOW + timedelta(days=2), batch=1) == 2

    assert SLOBucket.objects.count() == 1
    assert slo.evaluations.get().at == NOW
