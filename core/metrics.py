"""What ``/metrics`` exports: django-prometheus' request, database and cache metrics, less
the families nobody reads, one request latency histogram by route group instead of by
view, and the product's own metrics.

Gauges read from the database at scrape time are registered here by the apps (in
``AppConfig.ready``) and added to whichever registry the scrape uses: with several
gunicorn workers (``PROMETHEUS_MULTIPROC_DIR``), a registry that adds up every
process's counters.
"""

import os

import prometheus_client
from django_prometheus import middleware as django_prometheus_middleware
from django_prometheus.utils import TimeSince
from prometheus_client import multiprocess
from prometheus_client.registry import Collector

# What the runbooks (api.md, slo.md) ask of request latency: the 95th percentile per route
# group, and the share answered within 0.5 s (the platform's latency SLO, a boundary
# here) for the API. Every series of a histogram is one line per label set, read from
# every worker's file and summed at each scrape; by view, with django-prometheus'
# 17 buckets, that was most of /metrics' size and time. Which route is slow: the usage
# analytics (GET /api/analytics/usage, p50 and p95 per route) and the request log.
LATENCY = "django_http_requests_latency_seconds_by_group"
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf"))
# The route groups: ``api`` and ``ingest`` together are the traffic the platform's own
# SLOs count (paths under /api/ and /v2/, observability.platform.API_PREFIXES).
API_PREFIXES = ("/api/", "/v2/")
# Alert ingestion (incidents/api/urls.py): Alertmanager, Grafana, the generic webhook and
# the PagerDuty Events API. A 5xx here makes a sender retry.
INGEST_VIEW_PREFIXES = ("ingest-", "pagerduty-")
GROUPS = ("api", "ingest", "admin", "other")

# Recorded by django-prometheus, read by no runbook or SLO and not needed by an operator:
# responses by template name (one series per template list, mostly the admin's),
# body size histograms, requests by view (the responses by status, view and method,
# which the runbooks read, count the same requests), and the two latency histograms
# ``LATENCY`` replaces (the one by view and the one without labels) with their counts of
# requests they could not time.
UNRECORDED = frozenset(
    {
        "django_http_responses_total_by_templatename",
        "django_http_requests_body_total_bytes",
        "django_http_responses_body_total_bytes",
        "django_http_requests_total_by_view_transport_method",
        "django_http_requests_latency_seconds_by_view_method",
        "django_http_requests_unknown_latency_total",
        "django_http_requests_latency_including_middlewares_seconds",
        "django_http_requests_unknown_latency_including_middlewares_total",
    }
)

_database_collectors: list[Collector] = []


def register_database_collector(collector: Collector) -> None:
    if collector not in _database_collectors:
        _database_collectors.append(collector)


def scrape() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.CollectorRegistry()
        registry.register(_DefaultRegistry())
    for collector in _database_collectors:
        registry.register(collector)
    return prometheus_client.generate_latest(registry)


def route_group(request) -> str:
    """``api``, ``ingest``, ``admin`` or ``other`` (probes, /metrics, runbooks, calendar
    feeds, email links); by path, so a 404 has a group too."""
    match = getattr(request, "resolver_match", None)
    if match is not None and (match.view_name or "").startswith(INGEST_VIEW_PREFIXES):
        return "ingest"
    path = request.path_info
    if path.startswith(API_PREFIXES):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "other"


class _DefaultRegistry(Collector):
    """This process's own metrics (one process: runserver, tests)."""

    def collect(self):
        yield from prometheus_client.REGISTRY.collect()


class RequestMetrics(django_prometheus_middleware.Metrics):
    """django-prometheus' request metrics, less ``UNRECORDED``, plus ``LATENCY``."""

    _instance = None  # not the base class's: one set of metrics, registered once

    def register(self):
        super().register()
        self.latency_by_group = prometheus_client.Histogram(
            LATENCY,
            "Request processing time, including middleware, by route group (api, ingest, "
            "admin, other) and status class (2xx, 4xx, 5xx...).",
            ["group", "status_class"],
            buckets=LATENCY_BUCKETS,
        )

    def register_metric(self, metric_cls, name, documentation, labelnames=(), **kwargs):
        if name in UNRECORDED:
            # Not even an unregistered metric: with PROMETHEUS_MULTIPROC_DIR every
            # metric writes its samples to the files the scrape reads.
            return _Unrecorded()
        return super().register_metric(metric_cls, name, documentation, labelnames, **kwargs)


class _Unrecorded:
    def labels(self, *args, **kwargs):
        return self

    def inc(self, amount=1):
        pass

    def observe(self, amount):
        pass


class PrometheusBeforeMiddleware(django_prometheus_middleware.PrometheusBeforeMiddleware):
    """First in MIDDLEWARE: its time covers the other middleware, as the platform's
    latency SLO does."""

    metrics_cls = RequestMetrics

    def process_response(self, request, response):
        started = getattr(request, "prometheus_before_middleware_event", None)
        if started is not None:
            self.metrics.latency_by_group.labels(
                group=route_group(request), status_class=f"{response.status_code // 100}xx"
            ).observe(TimeSince(started))
        return super().process_response(request, response)


class PrometheusAfterMiddleware(django_prometheus_middleware.PrometheusAfterMiddleware):
    metrics_cls = RequestMetrics
