"""Critical alerting on the platform itself. Beat runs these checks every minute; a
check that fails twice in a row opens one incident (source ``health``) on the platform's
own service, through the incidents services, and the first pass resolves it. A pass
that finds no check ran for longer than beat's heartbeat limit records beat's outage the
same way, once beat is back. The
database is not among them: without it nothing could be recorded (``/readyz`` and the
process manager cover it)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.health import (
    CheckFailed,
    CheckResult,
    check_beat,
    check_broker,
    check_cache,
    run_checks,
)
from core.models import DeliveryStatus
from core.outbox import outbox_kinds
from incidents import services as incident_services
from incidents.models import Incident, IncidentSource, Notification
from incidents.models.incidents import OPEN_STATUSES
from observability.models import HealthCheckState
from observability.platform import platform_service

logger = logging.getLogger(__name__)

FAILURES_TO_OPEN = 2
RUNBOOKS = {
    "cache": "/runbooks/readiness/#cache",
    "broker": "/runbooks/readiness/#broker",
    "beat": "/runbooks/readiness/#beat",
    "backlog": "/runbooks/notifications/#pages-stuck-or-failing",
    "notifications": "/runbooks/notifications/#pages-stuck-or-failing",
}


def check_backlog() -> str:
    """Outbox rows (pages, webhook deliveries, digests) still waiting well after they
    were written: the workers are not keeping up, or none consumes their queue."""
    since = timezone.now() - timedelta(minutes=5)
    waiting = sum(
        kind.model.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=since).count()
        for kind in outbox_kinds().values()
    )
    if waiting > settings.HEALTH_BACKLOG_THRESHOLD:
        raise CheckFailed(
            f"{waiting} deliveries waiting over 5 minutes (threshold "
            f"{settings.HEALTH_BACKLOG_THRESHOLD})"
        )
    return f"{waiting} waiting over 5 minutes"


def check_notifications() -> str:
    """Pages that failed for good in the last 30 minutes, or keep failing now."""
    since = timezone.now() - timedelta(minutes=30)
    failing = Notification.objects.filter(
        Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.PENDING, attempts__gte=3),
        created_at__gte=since,
    )
    count = failing.count()
    if count:
        latest = failing.exclude(last_error="").order_by("-created_at").first()
        error = f"; last error: {latest.last_error[:200]}" if latest else ""
        raise CheckFailed(f"{count} page(s) failing in the last 30 minutes{error}")
    return "no failing pages in the last 30 minutes"


HEALTH_CHECKS = {
    "cache": check_cache,
    "broker": check_broker,
    "beat": check_beat,
    "backlog": check_backlog,
    "notifications": check_notifications,
}


def health_checks_run() -> dict[str, bool]:
    """Run every check once, record it, open or resolve its incident."""
    outage = beat_outage_seconds(timezone.now())
    results = run_checks(HEALTH_CHECKS)
    service = None
    outcome = {}
    for result in results:
        state, _ = HealthCheckState.objects.get_or_create(name=result.name)
        state.consecutive_failures = 0 if result.ok else state.consecutive_failures + 1
        if result.name == "beat" and outage is not None:
            # Beat runs these checks, so while it was down none ran, and it is back (its
            # heartbeat fresh) by the time one does: record the outage as a failure that
            # opens the incident now; the next pass, beat being fine, resolves it.
            result = _beat_was_down(result, outage, state.checked_at)
            state.consecutive_failures = max(state.consecutive_failures, FAILURES_TO_OPEN)
        state.detail = result.detail
        state.checked_at = timezone.now()
        state.save()
        key = f"health:{result.name}"
        service = service or platform_service()
        open_incident = Incident.objects.filter(
            service=service, dedup_key=key, status__in=OPEN_STATUSES
        ).first()
        if state.consecutive_failures >= FAILURES_TO_OPEN and open_incident is None:
            _open(service, result, key)
        elif result.ok and open_incident is not None:
            incident_services.incident_resolve(
                incident=open_incident, by=None, note=f"Health check {result.name} passes again."
            )
        outcome[result.name] = result.ok
    return outcome


def beat_outage_seconds(now) -> float | None:
    """How long no health check ran, when longer than beat's heartbeat limit
    (``BEAT_HEARTBEAT_MAX_AGE``): beat, which schedules them every minute, was down."""
    last = HealthCheckState.objects.filter(name="beat").values_list("checked_at", flat=True).first()
    if last is None:
        return None
    seconds = (now - last).total_seconds()
    return seconds if seconds > settings.BEAT_HEARTBEAT_MAX_AGE else None


def _beat_was_down(result, seconds, since):
    local = timezone.localtime(since)
    return CheckResult(
        result.name,
        False,
        f"no scheduled check ran for {seconds:.0f} s, from {local:%Y-%m-%d %H:%M:%S %Z}: "
        f"beat was down (now: {result.detail})",
        result.duration_ms,
    )


def _open(service, result, key):
    try:
        incident_services.incident_create(
            service=service,
            title=f"Platform health: {result.name} check failing",
            summary=(
                f"The {result.name} check failed {FAILURES_TO_OPEN} times in a row: "
                f"{result.detail}\nRunbook: {settings.SITE_URL}{RUNBOOKS[result.name]}"
            ),
            severity=settings.HEALTH_ALERT_SEVERITY,
            source=IncidentSource.HEALTH,
            dedup_key=key,
            by=None,
        )
    except incident_services.DuplicateOpenIncident:
        logger.info("health incident %s is already open", key)
