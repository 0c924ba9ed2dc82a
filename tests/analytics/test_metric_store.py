"""The metric store: samples in as JSON or the Prometheus text format, a series made by
its first sample, a repeated timestamp replacing the value, bad rows refused by index
(or skipped with ?partial=true), roles and retention."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from analytics import services
from analytics.models import MetricSample, MetricSeries
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/metrics/samples"


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


def sample(**overrides):
    row = {
        "metric": "orders_completed",
        "labels": {"region": "eu"},
        "timestamp": "2026-06-28T10:00:00Z",
        "value": 12.5,
    }
    row.update(overrides)
    return row


def test_a_series_is_made_by_its_first_sample_and_a_repeat_replaces_the_value(manager):
    first = manager.post(URL, {"samples": [sample(), sample(timestamp=1782640860)]}, format="json")
    again = manager.post(URL, {"samples": [sample(value=14.0)]}, format="json")

    assert first.status_code == 201, first.json()
    assert first.json() == {"accepted": 2, "rejected": 0, "series_created": 1, "errors": {}}
    assert again.json()["series_created"] == 0
    series = MetricSeries.objects.get()
    assert (series.name, series.labels, series.labels_key) == (
        "orders_completed",
        {"region": "eu"},
        "region=eu",
    )
    values = dict(series.samples.values_list("timestamp", "value"))
    assert values[datetime(2026, 6, 28, 10, tzinfo=UTC)] == 14.0
    assert values[datetime(2026, 6, 28, 10, 1, tzinfo=UTC)] == 12.5


def test_labels_make_distinct_series_whatever_their_order(manager):
    rows = [
        sample(labels={"region": "eu", "shop": "web"}),
        sample(labels={"shop": "web", "region": "eu"}, timestamp="2026-06-28T11:00:00Z"),
        sample(labels={"region": "us"}),
    ]
    assert manager.post(URL, {"samples": rows}, format="json").json()["series_created"] == 2


BAD_ROWS = [
    (sample(value=float("nan")), "NaN"),
    (sample(value="12"), "number"),
    (sample(timestamp="yesterday"), "timestamp"),
    (sample(timestamp="2026-06-28T10:00:00"), "offset"),
    (sample(timestamp="9999-01-01T00:00:00Z"), "1970"),
    (sample(metric=""), "metric"),
    (sample(metric="2fast"), "metric"),
    (sample(labels={"bad-name": "x"}), "labels"),
    ({"value": 1}, "metric"),
]


def post_json(client, url, body):
    """As senders write it: Python's json writes NaN and Infinity as bare words."""
    return client.generic("POST", url, json.dumps(body), content_type="application/json")


def test_bad_rows_are_named_by_index_and_nothing_is_written(manager):
    rows = [sample(), *[row for row, _ in BAD_ROWS]]

    response = post_json(manager, URL, {"samples": rows})

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {f"samples[{index}]" for index in range(1, len(rows))}
    for index, (_, word) in enumerate(BAD_ROWS, start=1):
        assert word in " ".join(fields[f"samples[{index}]"]), (index, fields)
    assert not MetricSample.objects.exists()
    assert not MetricSeries.objects.exists()


def test_partial_stores_the_valid_rows_and_reports_the_rest(manager):
    rows = [sample(), sample(value=float("inf")), sample(timestamp="2026-06-28T11:00:00Z")]

    response = post_json(manager, f"{URL}?partial=true", {"samples": rows})

    assert response.status_code == 201
    assert response.json()["accepted"] == 2
    assert response.json()["rejected"] == 1
    assert list(response.json()["errors"]) == ["samples[1]"]
    assert MetricSample.objects.count() == 2
    assert post_json(manager, f"{URL}?partial=maybe", {"samples": rows}).status_code == 400


def test_the_prometheus_text_format(manager):
    text = (
        "# HELP orders_completed Orders completed.\n"
        "# TYPE orders_completed gauge\n"
        'orders_completed{region="eu"} 12.5 1782640800000\n'
        'orders_completed{region="us"} 7 1782640800000\n'
        "signups 3\n"
    )

    response = manager.generic("POST", URL, text, content_type="text/plain")

    assert response.status_code == 201, response.json()
    assert response.json()["series_created"] == 3
    eu = MetricSeries.objects.get(name="orders_completed", labels_key="region=eu")
    assert eu.samples.get().timestamp == datetime(2026, 6, 28, 10, tzinfo=UTC)
    assert MetricSeries.objects.get(name="signups").samples.count() == 1


@pytest.mark.parametrize(
    "text",
    ["orders_completed{region=eu} 1\n", "orders_completed NaN\n", "", "\n"],
)
def test_bad_prometheus_text_is_400_and_writes_nothing(manager, text):
    response = manager.generic("POST", URL, text, content_type="text/plain")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"]
    assert not MetricSample.objects.exists()


@pytest.mark.parametrize("body", [{}, {"samples": []}, {"samples": "x"}, [], {"samples": [1, 2]}])
def test_malformed_json_bodies_are_400(manager, body):
    assert manager.post(URL, body, format="json").status_code == 400
    assert not MetricSample.objects.exists()


def test_up_to_10000_samples_a_request(manager):
    rows = [
        {"metric": "m", "timestamp": 1782640800 + minute * 60, "value": minute}
        for minute in range(10_001)
    ]
    assert manager.post(URL, {"samples": rows}, format="json").status_code == 400
    assert manager.post(URL, {"samples": rows[:10_000]}, format="json").status_code == 201
    assert MetricSample.objects.count() == 10_000


def test_viewers_read_series_and_may_not_post():
    viewer = APIClient()
    viewer.force_authenticate(UserFactory(roles=["Viewer"]))

    assert viewer.post(URL, {"samples": [sample()]}, format="json").status_code == 403
    assert viewer.get("/api/metrics/series").status_code == 200


def test_series_are_listed_described_and_deleted_with_their_samples(manager):
    manager.post(URL, {"samples": [sample()]}, format="json")
    series = MetricSeries.objects.get()

    listed = manager.get("/api/metrics/series?name=orders_completed").json()
    described = manager.patch(
        f"/api/metrics/series/{series.pk}", {"unit": "orders", "higher_is_better": True}
    )
    deleted = manager.delete(f"/api/metrics/series/{series.pk}")

    assert listed["results"][0]["labels"] == {"region": "eu"}
    assert described.status_code == 200
    assert described.json()["unit"] == "orders"
    assert deleted.status_code == 204
    assert not MetricSample.objects.exists()


def test_old_samples_are_pruned_in_batches(manager, settings):
    settings.METRIC_RETENTION_DAYS = 30
    now = datetime(2026, 6, 28, tzinfo=UTC)
    rows = [sample(timestamp=(now - timedelta(days=days)).isoformat()) for days in (40, 31, 29, 1)]
    manager.post(URL, {"samples": rows}, format="json")

    assert services.samples_prune(now=now, batch=1) == 2
    assert MetricSample.objects.count() == 2


def test_partial_with_nothing_valid_is_400(manager):
    response = post_json(manager, f"{URL}?partial=true", {"samples": [{"metric": ""}]})

    assert response.status_code == 400
    assert "samples[0]" in response.json()["error"]["fields"]
