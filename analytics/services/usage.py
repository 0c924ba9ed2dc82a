"""Writes of the usage figures: the counts each process adds once a minute, their
pruning, and the worker's memory as a sample of a stored series."""

import os
import resource
import socket
import sys
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from analytics.models import ActiveUser, FeatureUse, MetricSeries, RouteUsage, labels_key
from analytics.services.metrics import samples_record, series_update

WORKER_MEMORY_METRIC = "vigil_worker_memory_bytes"
# What a worker's memory series says of itself. Lower is better: a rise that stays is a
# leak, while the fall at every restart (each deploy) is good news that must page nobody.
WORKER_MEMORY_SERIES = {
    "unit": "bytes",
    "description": "Resident memory of a Celery worker process, recorded every 5 minutes.",
    "higher_is_better": False,
}

# (hour, route, method, latency band) -> (requests, client errors, server errors, queries)
RouteCounts = dict[tuple[datetime, str, str, int], tuple[int, int, int, int]]
# (day, feature, channel) -> uses
FeatureCounts = dict[tuple[date, str, str], int]


def _adding_upsert(model: type[Model], keys: list[str], counters: list[str]) -> str:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET c = table.c + excluded.c``: one
    statement, the same in SQLite and PostgreSQL, that adds to a row another process
    may have written a moment ago instead of overwriting it."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(model._meta.get_field(name).column) for name in keys + counters]
    conflict = ", ".join(columns[: len(keys)])
    adds = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns[len(keys) :])
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {adds}"
    )


def _db_value(model: type[Model], name: str, value):
    """A date or datetime as the backend stores it (SQLite keeps text in Django's own
    format), so the conflict target finds rows the ORM wrote."""
    return model._meta.get_field(name).get_db_prep_value(value, connection)


def usage_counts_add(*, routes: RouteCounts, active: set, features: FeatureCounts) -> None:
    """Add one process's counts to the stored ones, in one short transaction (all or
    nothing, so a failed flush can be retried with the same counts). ``active`` holds
    ``(day, user_id)``. Rows go in key order so that two processes flushing at once take
    their row locks in the same order and cannot deadlock."""
    route_rows = [
        (_db_value(RouteUsage, "hour", hour), route, method, band, *counts)
        for (hour, route, method, band), counts in sorted(routes.items())
    ]
    feature_rows = [
        (_db_value(FeatureUse, "day", day), feature, channel, count)
        for (day, feature, channel), count in sorted(features.items())
    ]
    with transaction.atomic():
        with connection.cursor() as cursor:
            if route_rows:
                cursor.executemany(
                    _adding_upsert(
                        RouteUsage,
                        ["hour", "route", "method", "latency_band"],
                        ["requests", "client_errors", "server_errors", "queries"],
                    ),
                    route_rows,
                )
            if feature_rows:
                cursor.executemany(
                    _adding_upsert(FeatureUse, ["day", "feature", "channel"], ["count"]),
                    feature_rows,
                )
        if active:
            ActiveUser.objects.bulk_create(
                [ActiveUser(day=day, user_id=user_id) for day, user_id in sorted(active)],
                ignore_conflicts=True,  # another process saw them today already
            )


def usage_prune(*, now: datetime | None = None, batch: int = 10_000) -> int:
    """Delete usage rows older than USAGE_RETENTION_DAYS, in bounded batches (short
    transactions, no long lock on tables the web processes add to); how many went."""
    oldest = (now or timezone.now()) - timedelta(days=settings.USAGE_RETENTION_DAYS)
    deleted = 0
    for old in (
        RouteUsage.objects.filter(hour__lt=oldest),
        ActiveUser.objects.filter(day__lt=oldest.date()),
        FeatureUse.objects.filter(day__lt=oldest.date()),
    ):
        while ids := list(old.values_list("pk", flat=True)[:batch]):
            deleted += old.model.objects.filter(pk__in=ids).delete()[0]
    return deleted


def resident_memory_bytes() -> int:
    """This process's memory now: the resident set from /proc (Linux). Elsewhere the
    peak (``ru_maxrss``), which only grows, so a leak still shows and a drop does not."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # bytes there, KiB here


def worker_memory_series_describe(*, host: str) -> MetricSeries | None:
    """Give the memory series of ``host`` (created by its first sample) the unit,
    description and direction of ``WORKER_MEMORY_SERIES``, each where it still has the
    model's default (what an operator changed stays); None when there is no such series.
    One query when there is nothing left to set, as at every recording after the first."""
    series = MetricSeries.objects.filter(
        name=WORKER_MEMORY_METRIC, labels_key=labels_key({"host": host})
    ).first()
    if series is None:
        return None
    fields = {}
    for name, value in WORKER_MEMORY_SERIES.items():
        default = MetricSeries._meta.get_field(name).get_default()
        if value != default and getattr(series, name) == default:
            fields[name] = value
    if fields:
        series_update(series=series, **fields)
    return series


def worker_memory_record(*, now: datetime | None = None) -> int:
    """Store the worker's memory as a sample of ``vigil_worker_memory_bytes{host=...}``,
    so leaks show as a trend (and anomaly detection can watch it); the bytes stored."""
    value = resident_memory_bytes()
    at = (now or timezone.now()).replace(microsecond=0)
    host = socket.gethostname()[:200]
    samples_record(
        rows=[
            {
                "metric": WORKER_MEMORY_METRIC,
                "labels": {"host": host},
                "timestamp": at.isoformat(),
                "value": value,
            }
        ]
    )
    worker_memory_series_describe(host=host)
    return value
