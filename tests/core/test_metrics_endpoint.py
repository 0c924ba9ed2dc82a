"""What /metrics exports after traffic to many views: the families the runbooks query,
not those nobody reads, and request latency by route group rather than by view."""

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import API_PREFIXES, GROUPS, LATENCY, LATENCY_BUCKETS, UNRECORDED
from observability import platform
from runbooks.pages import runbooks_dir

pytestmark = pytest.mark.django_db

VIEWS = ["/healthz", "/readyz", "/api/docs/", "/admin/login/", "/no-such-page/", "/api/no-such/"]
# The lines a family's samples may carry, by its type.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
    "gauge": ("",),
}


def families(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    return {f.name: f for f in text_string_to_metric_families(response.content.decode())}, response


def traffic(client):
    for url in VIEWS:
        client.get(url)
        client.post(url)


def counts_by_group(found):
    return {
        (s.labels["group"], s.labels["status_class"]): s.value
        for s in found[LATENCY].samples
        if s.name == f"{LATENCY}_count"
    }


def test_metrics_keep_the_families_the_runbooks_read_and_drop_the_unread(client):
    traffic(client)

    found, response = families(client)

    # runbooks/api.md and runbooks/slo.md
    assert "django_http_responses_total_by_status_view_method" in found
    assert found[LATENCY].type == "histogram"
    # runbooks/database.md, runbooks/ingestion.md, the product's own
    assert "django_db_query_duration_seconds" in found
    assert "alerts_received" in found
    assert "incidents_open" in found
    sample_names = {s.name for f in found.values() for s in f.samples}
    for name in UNRECORDED:
        assert not any(sample.startswith(name) for sample in sample_names), name
        assert name not in response.content.decode()


def test_no_histogram_is_labelled_by_view(client):
    traffic(client)

    found, _ = families(client)

    histograms = [f for f in found.values() if f.type == "histogram"]
    assert histograms
    for family in histograms:
        for sample in family.samples:
            assert "view" not in sample.labels, family.name


def test_latency_is_counted_by_route_group_and_status_class(client):
    found, _ = families(client)
    before = counts_by_group(found)

    client.get("/api/no-such/")
    client.get("/admin/login/")
    client.get("/healthz")
    client.post("/v2/enqueue", data="{}", content_type="application/json")
    client.post("/api/integrations/alertmanager", data="{}", content_type="application/json")

    found, _ = families(client)
    after = counts_by_group(found)
    added = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key)}
    assert added.pop(("api", "4xx")) == 1
    assert added.pop(("admin", "2xx")) == 1
    # /healthz, and the /metrics scrape that read the counts before
    assert added.pop(("other", "2xx")) == 2
    # both refused: no integration secret
    assert added.pop(("ingest", "4xx")) == 2
    assert not added
    assert {group for group, _ in after} <= set(GROUPS)


def test_the_latency_buckets_hold_the_platform_slo_threshold(client):
    client.get("/api/no-such/")

    found, _ = families(client)

    buckets = {
        float(s.labels["le"])
        for s in found[LATENCY].samples
        if s.name == f"{LATENCY}_bucket" and s.labels["group"] == "api"
    }
    assert buckets == set(LATENCY_BUCKETS)
    # runbooks/slo.md reads the share under the latency SLO's threshold from this bucket,
    # and api|ingest are the paths the platform's SLOs count.
    assert platform.LATENCY_THRESHOLD_MS / 1000 in buckets
    assert API_PREFIXES == platform.API_PREFIXES


def test_more_views_add_no_latency_series(client):
    client.get("/healthz")
    client.get("/api/no-such/")
    found, _ = families(client)
    before = len(found[LATENCY].samples)

    traffic(client)
    found, _ = families(client)

    # Each view still adds its responses counter lines, but the histogram only grows
    # by new (group, status class) pairs, never by view.
    assert len(found[LATENCY].samples) - before <= len(GROUPS) * (len(LATENCY_BUCKETS) + 2)


def runbook_metric_names():
    """Metric names in the runbooks' PromQL: in code (indented blocks, fences and inline
    spans), a name directly followed by a label selector or a range."""
    names = {}
    for path in sorted(runbooks_dir().glob("*.md")):
        text = path.read_text(encoding="utf-8")
        code = [line for line in text.splitlines() if line.startswith("    ")]
        code += re.findall(r"```.*?```", text, flags=re.S)
        code += re.findall(r"`([^`\n]+)`", text)
        for chunk in code:
            for name in re.findall(r"\b([a-z_][a-z0-9_:]*)(?=[{\[])", chunk):
                names.setdefault(name, path.name)
    return names


def test_every_metric_the_runbooks_query_is_exposed(client):
    traffic(client)
    found, _ = families(client)
    exposed = {
        name + suffix
        for name, family in found.items()
        for suffix in SUFFIXES.get(family.type, ("",))
    }
    names = runbook_metric_names()

    # the extraction finds the queries it checks
    assert f"{LATENCY}_bucket" in names
    assert "django_http_responses_total_by_status_view_method_total" in names
    unknown = {name: runbook for name, runbook in names.items() if name not in exposed}
    assert not unknown, f"runbooks query metrics /metrics does not expose: {unknown}"
