"""Writes to the metric store: samples in (JSON rows or the Prometheus text format), a
series created by its first sample, a repeated (series, timestamp) replacing the value,
and old samples pruned."""

import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from prometheus_client.parser import text_string_to_metric_families

from analytics.models import METRIC_NAME, MetricSample, MetricSeries, labels_key, validate_labels
from core.errors import InvalidInput
from core.services import model_delete, model_update

MAX_SAMPLES = 10_000
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _timestamp(value) -> datetime:
    if isinstance(value, bool):
        raise ValueError("not a time")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("not a time")
        at = datetime.fromtimestamp(value, tz=UTC)
    elif isinstance(value, str):
        at = parse_datetime(value)
        if at is None:
            raise ValueError("not an ISO-8601 time")
        if at.tzinfo is None:
            raise ValueError("an ISO-8601 time needs its offset (e.g. Z)")
    else:
        raise ValueError("not a time")
    if not EARLIEST <= at < LATEST:
        raise ValueError("outside 1970-2199")
    return at


def _row_problems(row) -> tuple[list[str], tuple | None]:
    """What is wrong with one sample row, or its (name, labels, timestamp, value)."""
    if not isinstance(row, dict):
        return ["A sample is an object."], None
    problems = []
    name = row.get("metric")
    if not isinstance(name, str) or not name:
        problems.append("metric: a name is required.")
    else:
        try:
            METRIC_NAME(name)
        except ValidationError as error:
            problems.append(f"metric: {error.messages[0]}")
        if len(name) > 200:
            problems.append("metric: at most 200 characters.")
    labels = row.get("labels", {})
    try:
        validate_labels(labels)
    except ValidationError as error:
        problems.append(f"labels: {error.messages[0]}")
    try:
        at = _timestamp(row.get("timestamp"))
    except (ValueError, OverflowError, OSError) as error:
        problems.append(f"timestamp: {error}.")
        at = None
    value = row.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append("value: a number is required.")
    elif not math.isfinite(value):
        problems.append("value: NaN and infinite values are refused.")
    if problems:
        return problems, None
    return [], (name, labels, at, float(value))


def samples_record(*, rows: list, partial: bool = False) -> dict:
    """Store ``rows`` (``{"metric", "labels", "timestamp", "value"}``). A bad row is
    reported by its index and, unless ``partial``, nothing is written."""
    errors, good = {}, []
    for index, row in enumerate(rows):
        problems, sample = _row_problems(row)
        if problems:
            errors[f"samples[{index}]"] = problems
        else:
            good.append(sample)
    if errors and (not partial or not good):
        raise InvalidInput(
            f"{len(errors)} of {len(rows)} samples are invalid; nothing was written"
            + (" (send ?partial=true to store the valid ones)." if not partial else "."),
            fields=errors,
        )
    created = _store(good)
    return {
        "accepted": len(good),
        "rejected": len(errors),
        "series_created": created,
        "errors": errors,
    }


def prometheus_text_rows(text: str, *, now: datetime | None = None) -> list[dict]:
    """Rows from the Prometheus text exposition format; a sample without a timestamp is
    stamped ``now``. A line the format does not allow is a 400 naming it."""
    now = now or timezone.now()
    rows = []
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                rows.append(
                    {
                        "metric": sample.name,
                        "labels": dict(sample.labels),
                        "timestamp": (
                            float(sample.timestamp)
                            if sample.timestamp is not None
                            else now.timestamp()
                        ),
                        "value": sample.value,
                    }
                )
                if len(rows) > MAX_SAMPLES:
                    raise InvalidInput(f"At most {MAX_SAMPLES} samples a request.")
    except (ValueError, TypeError, IndexError) as error:
        raise InvalidInput(f"Not the Prometheus text format: {error}") from error
    return rows


@transaction.atomic
def _store(samples: list[tuple]) -> int:
    """Create missing series, then upsert every sample; how many series were created."""
    if not samples:
        return 0
    wanted = {(name, labels_key(labels)): labels for name, labels, _, _ in samples}
    existing = {
        (series.name, series.labels_key): series
        for series in MetricSeries.objects.filter(name__in={name for name, _ in wanted})
        if (series.name, series.labels_key) in wanted
    }
    missing = [key for key in wanted if key not in existing]
    for name, key in missing:
        series = MetricSeries(name=name, labels=wanted[(name, key)])
        series.full_clean(exclude=["labels_key"])
    MetricSeries.objects.bulk_create(
        [
            MetricSeries(name=name, labels=wanted[(name, key)], labels_key=key)
            for name, key in missing
        ],
        ignore_conflicts=True,  # another request created it a moment ago
    )
    if missing:
        existing = {
            (series.name, series.labels_key): series
            for series in MetricSeries.objects.filter(name__in={name for name, _ in wanted})
            if (series.name, series.labels_key) in wanted
        }
    latest = {}
    for name, labels, at, value in samples:
        latest[(existing[(name, labels_key(labels))].pk, at)] = value  # the last one wins
    # A replaced value is stored anew: the anomaly scan checks it again.
    stored_at = timezone.now()
    MetricSample.objects.bulk_create(
        [
            MetricSample(series_id=series_id, timestamp=at, value=value, stored_at=stored_at)
            for (series_id, at), value in latest.items()
        ],
        update_conflicts=True,
        unique_fields=["series", "timestamp"],
        update_fields=["value", "stored_at"],
        batch_size=2000,
    )
    return len(missing)


def samples_prune(*, now: datetime | None = None, batch: int = 10_000) -> int:
    """Delete samples older than METRIC_RETENTION_DAYS, in bounded batches."""
    oldest = (now or timezone.now()) - timedelta(days=settings.METRIC_RETENTION_DAYS)
    old = MetricSample.objects.filter(timestamp__lt=oldest)
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:batch]):
        deleted += MetricSample.objects.filter(pk__in=ids).delete()[0]
    return deleted


@transaction.atomic
def series_update(*, series: MetricSeries, **fields) -> MetricSeries:
    model_update(instance=series, fields=fields)
    return series


@transaction.atomic
def series_delete(*, series: MetricSeries) -> None:
    model_delete(instance=series, refusal=f"Series {series} cannot be deleted.")
