"""What /metrics exports after traffic to many views: the families the runbooks query,
not those nobody reads, and few lines per view."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import VIEW_LATENCY_BUCKETS

pytestmark = pytest.mark.django_db

VIEWS = ["/healthz", "/readyz", "/api/docs/", "/admin/login/", "/no-such-page/"]


def families(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    return {f.name: f for f in text_string_to_metric_families(response.content.decode())}, response


def test_metrics_keep_the_families_the_runbooks_read_and_drop_the_unread(client):
    for url in VIEWS:
        client.get(url)
        client.post(url)

    found, _ = families(client)

    # runbooks/api.md and runbooks/slo.md
    assert "django_http_responses_total_by_status_view_method" in found
    assert "django_http_requests_latency_seconds_by_view_method" in found
    # the latency histogram without the view label, and counts by status
    assert "django_http_requests_latency_including_middlewares_seconds" in found
    assert "django_http_responses_total_by_status" in found
    assert "incidents_open" in found
    assert "django_http_responses_total_by_templatename" not in found


def test_the_latency_by_view_has_the_few_buckets_the_runbooks_need(client):
    client.get("/healthz")

    found, _ = families(client)

    buckets = {
        float(s.labels["le"])
        for s in found["django_http_requests_latency_seconds_by_view_method"].samples
        if s.name.endswith("_bucket") and s.labels["view"] == "healthz"
    }
    assert buckets == set(VIEW_LATENCY_BUCKETS)
    assert 0.5 in buckets  # the platform's latency SLO threshold (runbooks/slo.md)


def test_each_view_adds_a_bounded_number_of_lines(client):
    client.get("/healthz")
    _, before = families(client)

    for url in VIEWS:
        client.get(url)
        client.post(url)
    _, after = families(client)

    lines = lambda response: sum(  # noqa: E731
        1 for line in response.content.decode().splitlines() if not line.startswith("#")
    )
    new_view_methods = 2 * len(VIEWS)
    # Per view and method: the histogram's buckets, _count and _sum, two counters and
    # the responses by status; django-prometheus' defaults needed about 21.
    assert lines(after) - lines(before) <= new_view_methods * (len(VIEW_LATENCY_BUCKETS) + 4)
