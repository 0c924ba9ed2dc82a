"""Metric sources: a PromQL query pulled from Prometheus on a schedule, its results stored
as samples. Each pull asks for what came since the last one (``query_range`` in chunks
Prometheus accepts), with no transaction open while it waits; a failed pull records
why and is retried by the next run from where the last good one stopped."""

import logging
import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.models import MetricSource
from analytics.services.metrics import MAX_SAMPLES, samples_record
from core.errors import InvalidInput
from core.prometheus import SourceUnavailable, api_get
from core.services import model_create, model_delete, model_update

logger = logging.getLogger(__name__)

# A first pull reaches back this far.
FIRST_PULL = timedelta(days=1)


def source_create(**fields) -> MetricSource:
    return model_create(MetricSource, **fields)


@transaction.atomic
def source_update(*, source: MetricSource, **fields) -> MetricSource:
    model_update(instance=source, fields=fields)
    return source


@transaction.atomic
def source_delete(*, source: MetricSource) -> None:
    model_delete(instance=source, refusal=f"Source {source} cannot be deleted.")


def _rows(source: MetricSource, result: list) -> list[dict]:
    """query_range's matrix as sample rows of ``source.metric``; NaN points (e.g. a rate
    over nothing) left out, labels as Prometheus gave them minus the metric name."""
    rows = []
    for series in result:
        labels = {
            name: value
            for name, value in (series.get("metric") or {}).items()
            if name != "__name__"
        }
        for at, text in series.get("values") or []:
            try:
                value = float(text)
            except (TypeError, ValueError):
                continue
            if math.isfinite(value):
                rows.append(
                    {"metric": source.metric, "labels": labels, "timestamp": at, "value": value}
                )
    return rows


def _pull_range(source: MetricSource, start: datetime, end: datetime) -> list[dict]:
    base_url = source.prometheus_url or settings.PROMETHEUS_URL
    if not base_url:
        raise SourceUnavailable("No Prometheus URL: set one on the source or PROMETHEUS_URL.")
    step = source.step_seconds
    rows = []
    chunk = timedelta(seconds=step * settings.METRIC_SOURCE_POINTS_PER_QUERY)
    at = start
    while at < end:
        until = min(at + chunk, end)
        data = api_get(
            base_url,
            "/api/v1/query_range",
            {
                "query": source.query,
                "start": f"{at.timestamp():.3f}",
                "end": f"{until.timestamp():.3f}",
                "step": str(step),
            },
        )
        if data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
            raise SourceUnavailable("query_range did not answer a matrix: is it a range query?")
        rows.extend(_rows(source, data["result"]))
        at = until + timedelta(seconds=step)
    return rows


def source_pull(*, source: MetricSource, now: datetime | None = None) -> dict:
    """Pull what came since the last pull: ``{"samples", "error"}``."""
    now = now or timezone.now()
    # Points on the step grid, so repeated pulls land on the same timestamps.
    end = datetime.fromtimestamp(
        now.timestamp() // source.step_seconds * source.step_seconds, tz=UTC
    )
    start = (
        source.pulled_through + timedelta(seconds=source.step_seconds)
        if source.pulled_through
        else end - FIRST_PULL
    )
    error = ""
    stored = 0
    if start <= end:
        try:
            rows = _pull_range(source, start, end)
            for first in range(0, len(rows), MAX_SAMPLES):
                batch = rows[first : first + MAX_SAMPLES]
                stored += samples_record(rows=batch, partial=True)["accepted"]
        except SourceUnavailable as problem:
            error = str(problem)
        except InvalidInput as refusal:  # every row of a batch refused, e.g. labels too long
            error = f"The store refused the results: {refusal}"
    changes = {"last_pulled_at": now, "last_error": error}
    if not error:
        changes["pulled_through"] = end
    MetricSource.objects.filter(pk=source.pk).update(**changes)
    return {"samples": stored, "error": error or None}


def sources_pull_due(*, now: datetime | None = None) -> dict[str, dict]:
    """Pull every enabled source whose interval has passed; each source's outcome."""
    now = now or timezone.now()
    # Sources are few: which are due is simpler to say here than in SQL.
    due = [
        source
        for source in MetricSource.objects.filter(enabled=True)
        if source.last_pulled_at is None
        or source.last_pulled_at <= now - timedelta(minutes=source.every_minutes)
    ]
    outcomes = {}
    for source in due:
        try:
            outcomes[source.name] = source_pull(source=source, now=now)
        except Exception as error:  # one broken source must not stop the others
            logger.exception("pulling metric source %s failed", source.name)
            outcomes[source.name] = {"samples": 0, "error": str(error)}
    return outcomes
