"""What ``/metrics`` exports beyond django-prometheus' request, database and cache metrics.

Gauges read from the database at scrape time are registered here by the apps (in
``AppConfig.ready``) and added to whichever registry the scrape uses: with several
gunicorn workers (``PROMETHEUS_MULTIPROC_DIR``), a registry that adds up every
process's counters.
"""

import os

import prometheus_client
from prometheus_client import multiprocess
from prometheus_client.registry import Collector

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


class _DefaultRegistry(Collector):
    """This process's own metrics (one process: runserver, tests)."""

    def collect(self):
        yield from prometheus_client.REGISTRY.collect()
