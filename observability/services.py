"""Every write to SLOs: configuration, posted events, evaluations and the incidents their
burn-rate alerts open and resolve (through ``incidents.services`` only)."""

import contextlib
import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.errors import InvalidInput
from core.services import model_create, model_delete, model_update
from incidents import services as incident_services
from incidents.models import Incident, IncidentSource
from incidents.models.incidents import OPEN_STATUSES
from observability import prometheus, selectors
from observability.models import SLO, SLOBucket, SLOEvaluation, SLOSource
from observability.slo_math import (
    BURN_WINDOWS,
    Status,
    bucket_minute,
    evaluate,
    unix_minute,
    unknown,
    window_minutes,
)

logger = logging.getLogger(__name__)

MAX_EVENTS = 10_000
FUTURE_TOLERANCE = timedelta(minutes=5)


# --- configuration ----------------------------------------------------------------------


@transaction.atomic
def slo_create(**fields) -> SLO:
    return model_create(SLO, **fields)


@transaction.atomic
def slo_update(*, slo: SLO, **fields) -> SLO:
    model_update(instance=slo, fields=fields)
    return slo


@transaction.atomic
def slo_delete(*, slo: SLO) -> None:
    model_delete(instance=slo, refusal=f"SLO {slo.name} cannot be deleted.")


# --- events (internal source) -----------------------------------------------------------


def slo_events_record(*, slo: SLO, events: list[dict], now: datetime | None = None) -> dict:
    """Add ``events`` (``{"timestamp", "good", "total"}``) to the SLO's minute buckets:
    each timestamp counts in its minute rounded up, and posts to one minute add up.
    Every bad event is named by its index and then nothing is written."""
    now = now or timezone.now()
    oldest = now - timedelta(days=settings.SLO_RETENTION_DAYS)
    errors = {}
    for index, event in enumerate(events):
        problems = []
        good, total, at = event["good"], event["total"], event["timestamp"]
        if good < 0 or total < 0:
            problems.append("Counts cannot be negative.")
        if good > total:
            problems.append("good cannot exceed total.")
        if at < oldest:
            problems.append(
                f"Older than the retention ({settings.SLO_RETENTION_DAYS} days): not kept."
            )
        if at > now + FUTURE_TOLERANCE:
            problems.append("More than 5 minutes in the future.")
        if problems:
            errors[f"events[{index}]"] = problems
    if errors:
        raise InvalidInput(
            f"{len(errors)} of {len(events)} events are invalid; nothing was written.",
            fields=errors,
        )
    per_minute: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for event in events:
        counts = per_minute[bucket_minute(event["timestamp"])]
        counts[0] += event["good"]
        counts[1] += event["total"]
    slo_minutes_add(slo_id=slo.pk, per_minute=per_minute)
    return {"accepted": len(events), "minutes": len(per_minute)}


def slo_minutes_add(*, slo_id: int, per_minute: dict) -> None:
    """Add ``{minute: (good, total)}`` to the SLO's buckets: one upsert that adds to what
    a minute already holds (the same statement in SQLite and PostgreSQL), so concurrent
    posts to one minute, and several processes' counts, all count."""
    if not per_minute:
        return
    table = SLOBucket._meta.db_table
    sql = (
        f"INSERT INTO {table} (slo_id, minute, good, total) VALUES (%s, %s, %s, %s) "
        f"ON CONFLICT (slo_id, minute) DO UPDATE SET "
        f"good = {table}.good + excluded.good, total = {table}.total + excluded.total"
    )
    rows = [(slo_id, minute, good, total) for minute, (good, total) in sorted(per_minute.items())]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def slo_buckets_prune(*, now: datetime | None = None, batch: int = 10_000) -> int:
    """Delete buckets and evaluations older than the retention, in bounded batches (short
    transactions); how many rows went."""
    oldest = (now or timezone.now()) - timedelta(days=settings.SLO_RETENTION_DAYS)
    deleted = 0
    for old in (
        SLOBucket.objects.filter(minute__lte=unix_minute(oldest)),
        SLOEvaluation.objects.filter(at__lt=oldest),
    ):
        while ids := list(old.values_list("pk", flat=True)[:batch]):
            deleted += old.model.objects.filter(pk__in=ids).delete()[0]
    return deleted


# --- evaluation ---------------------------------------------------------------------------


def slo_status(slo: SLO, at: datetime | None = None) -> Status:
    """The SLO's figures at ``at`` (default now), from its source. Reads only; a
    Prometheus source is asked over the network, so call this outside transactions."""
    at = at or timezone.now()
    if slo.source == SLOSource.PROMETHEUS:
        try:
            counts = _prometheus_counts(slo, at)
        except prometheus.SourceUnavailable as error:
            return unknown(at, str(error))
    else:
        counts = selectors.slo_counts(slo, at)
    return evaluate(
        counts=counts,
        objective=slo.objective,
        window=slo.window,
        at=at,
        min_events_per_hour=slo.min_events_per_hour,
    )


def _prometheus_counts(slo: SLO, at: datetime) -> dict[str, tuple[float, float]]:
    base = slo.prometheus_url or settings.PROMETHEUS_URL
    if not base:
        raise prometheus.SourceUnavailable("No Prometheus URL: set PROMETHEUS_URL or the SLO's.")
    windows = {**BURN_WINDOWS, "slo": window_minutes(slo.window, at)}
    counts = {}
    for key, minutes in windows.items():
        span = prometheus.duration(minutes)
        counts[key] = tuple(
            prometheus.instant_query(base, query.replace("{{window}}", span), at)
            for query in (slo.good_query, slo.total_query)
        )
    return counts


def slo_evaluations_run(*, at: datetime | None = None) -> dict[str, int]:
    """Evaluate every SLO at ``at``'s minute (beat, every minute): store the results (one
    upsert for all), then open or resolve the incidents their alerts call for. One SLO's
    failure is logged and does not stop the others."""
    at = (at or timezone.now()).replace(second=0, microsecond=0)
    done = {"evaluated": 0, "failed": 0}
    results = []
    for slo in selectors.slo_list():
        try:
            results.append((slo, slo_status(slo, at)))
        except Exception:  # one bad SLO must not stop the rest
            logger.exception("SLO %s could not be evaluated", slo.pk)
            done["failed"] += 1
    SLOEvaluation.objects.bulk_create(
        [_evaluation(slo, status) for slo, status in results],
        update_conflicts=True,
        unique_fields=["slo", "at"],
        update_fields=_EVALUATION_FIELDS,
    )
    open_incidents = {
        incident.dedup_key: incident
        for incident in Incident.objects.filter(
            source=IncidentSource.SLO, status__in=OPEN_STATUSES, dedup_key__startswith="slo:"
        )
    }
    for slo, status in results:
        try:
            slo_alerts_apply(slo=slo, status=status, open_incidents=open_incidents)
            done["evaluated"] += 1
        except Exception:
            logger.exception("SLO %s: its alerts could not be applied", slo.pk)
            done["failed"] += 1
    return done


_EVALUATION_FIELDS = [
    "state",
    "reason",
    "sli",
    "good",
    "total",
    "budget_remaining",
    "burn_rates",
    "page",
    "ticket",
]


def _evaluation(slo: SLO, status: Status) -> SLOEvaluation:
    return SLOEvaluation(
        slo=slo,
        at=status.at,
        state=status.state,
        reason=status.reason or "",
        sli=status.sli,
        good=status.good,
        total=status.total,
        budget_remaining=status.remaining_ratio,
        burn_rates=status.burn_rates,
        page=status.page,
        ticket=status.ticket,
    )


def slo_evaluation_store(*, slo: SLO, status: Status) -> SLOEvaluation:
    """Store one evaluation (replacing one stored for the same minute)."""
    evaluation = _evaluation(slo, status)
    SLOEvaluation.objects.bulk_create(
        [evaluation],
        update_conflicts=True,
        unique_fields=["slo", "at"],
        update_fields=_EVALUATION_FIELDS,
    )
    return evaluation


def _dedup_key(slo: SLO, severity: str) -> str:
    return f"slo:{slo.pk}:{severity}"


def slo_alerts_apply(*, slo: SLO, status: Status, open_incidents: dict | None = None) -> None:
    """A firing page (or ticket) opens one incident per SLO and severity; one that no
    longer fires resolves it. An SLO whose status is unknown changes nothing.
    ``open_incidents`` (dedup key -> open incident) saves the lookups in a batch."""
    if status.state == "unknown":
        return
    for severity, firing in (("page", status.page), ("ticket", status.ticket)):
        key = _dedup_key(slo, severity)
        if open_incidents is not None:
            open_incident = open_incidents.get(key)
        else:
            open_incident = Incident.objects.filter(
                service=slo.service, dedup_key=key, status__in=OPEN_STATUSES
            ).first()
        still_burning = firing or (
            # A ticket silenced by a page still burns: keep its incident open.
            severity == "ticket" and any(row.severity == "ticket" for row in status.firing_rows)
        )
        if firing and slo.alerting and open_incident is None:
            _open(slo, status, severity, key)
        elif open_incident is not None and not still_burning:
            incident_services.incident_resolve(
                incident=open_incident,
                by=None,
                note=f"SLO {slo.name}: no burn-rate alert fires any more.",
            )


def _open(slo: SLO, status: Status, severity: str, key: str) -> None:
    rows = [row for row in status.firing_rows if row.severity == severity]
    burning = ", ".join(
        f"{status.burn_rates[row.long]:.1f}x over {row.long} and "
        f"{status.burn_rates[row.short]:.1f}x over {row.short}"
        for row in rows
    )
    link = f"{settings.SITE_URL}/admin/observability/slo/{slo.pk}/change/"
    summary = (
        f"SLO {slo.name} ({slo.target}% over {slo.window}) is burning its error budget: "
        f"{burning}. SLI {status.sli:.5f}, budget remaining {status.remaining_ratio:.1%}.\n"
        f"SLO: {link}\n" + (f"Runbook: {slo.runbook_url}\n" if slo.runbook_url else "")
    )
    # Another evaluation may have opened it a moment ago.
    with contextlib.suppress(incident_services.DuplicateOpenIncident):
        incident_services.incident_create(
            service=slo.service,
            title=f"SLO {slo.name}: error budget burning ({severity})"[:200],
            summary=summary,
            severity=slo.page_severity if severity == "page" else slo.ticket_severity,
            source=IncidentSource.SLO,
            dedup_key=key,
            by=None,
        )
