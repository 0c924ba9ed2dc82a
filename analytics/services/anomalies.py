"""Anomaly scans: each series' samples that arrived since its last scan are checked by
every method against their history, each finding is stored once (whichever way it moved),
and the high and critical ones that are bad news for the series (below the expected value
when higher is better, above it otherwise) open (or add to) one incident per series, so
its on-call is paged."""

import contextlib
import logging
from datetime import UTC, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from analytics.models import (
    Anomaly,
    AnomalyMethod,
    AnomalyScan,
    AnomalySeverity,
    MetricSample,
    MetricSeries,
)
from analytics.stats import anomaly as detection
from catalog.models import Service
from core.db import EpochSeconds
from core.errors import InvalidInput
from incidents import services as incident_services
from incidents.models import Incident, IncidentSeverity, IncidentSource
from incidents.models.incidents import OPEN_STATUSES

logger = logging.getLogger(__name__)

# How far back a scan reads for context: enough for two weekly seasons and more.
HISTORY = timedelta(days=28)
# New points an isolation forest scores in one go (see ``_detect``).
FOREST_CHUNK = detection.FOREST_TRAINING
# Samples stored this long before the last scan's mark are looked at again, for a write
# that committed after a later one (its stored_at is older than the mark); findings
# already stored are not stored twice.
OVERLAP = timedelta(seconds=30)
PAGING = {
    AnomalySeverity.CRITICAL: IncidentSeverity.SEV2,
    AnomalySeverity.HIGH: IncidentSeverity.SEV3,
}
# Methods whose score is a measured distance in standard deviations. An isolation
# forest's score is a rank among the points mapped to that scale: on noise alone its
# rarest point can reach "high". Its findings are kept at "medium" at most: listed, never
# paging.
PAGING_METHODS = {AnomalyMethod.ROLLING_Z, AnomalyMethod.ROBUST_Z}
RUNBOOK = "/runbooks/anomalies/"
BUSINESS_TEAM = {"slug": "business-metrics", "name": "Business metrics"}
BUSINESS_SERVICE = {"slug": "business-metrics", "name": "Business metrics"}


def _new_samples(series_id: int, stored_through: datetime | None):
    """When the newest sample was stored, and the earliest time of those stored since
    ``stored_through`` less ``OVERLAP``; None when nothing was stored after it."""
    samples = MetricSample.objects.filter(series_id=series_id)
    if stored_through is not None:
        newest = samples.filter(stored_at__gt=stored_through).aggregate(Max("stored_at"))
        if newest["stored_at__max"] is None:
            return None
        samples = samples.filter(stored_at__gt=stored_through - OVERLAP)
    # The count keeps PostgreSQL on the (series, stored_at) index: without it, it reads
    # Min(timestamp) by walking the (series, timestamp) index from the series' first row.
    newest = samples.aggregate(
        newest=Max("stored_at"), earliest=Min("timestamp"), count=Count("pk")
    )
    if newest["newest"] is None:
        return None
    return newest["newest"], newest["earliest"]


def _points(series_id: int, since: datetime):
    """Samples from ``since`` on: times (Unix seconds), values, when each was stored."""
    rows = list(
        MetricSample.objects.filter(series_id=series_id, timestamp__gte=since)
        .order_by("timestamp")
        .annotate(at=EpochSeconds("timestamp"), stored=EpochSeconds("stored_at"))
        .values_list("at", "value", "stored")
    )
    points = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return points[:, 0], points[:, 1], points[:, 2]


def _findings(series_id: int, stored_through: datetime | None, methods):
    """Every method's findings among the samples stored after ``stored_through`` (the
    rest is context only), and the mark the next scan starts from; None when nothing
    new was stored."""
    new = _new_samples(series_id, stored_through)
    if new is None:
        return None
    newest, earliest = new
    t, v, stored = _points(series_id, earliest - HISTORY)
    first_new = int(np.searchsorted(t, earliest.timestamp(), side="left"))
    is_new = (
        stored > (stored_through - OVERLAP).timestamp() - 0.001
        if stored_through is not None
        else np.ones(len(t), dtype=bool)
    )
    findings = []
    for method in methods:
        for finding in _detect(t, v, method, first_new):
            if is_new[finding.index]:
                findings.append(finding)
    return findings, newest


def _detect(t: np.ndarray, v: np.ndarray, method: str, first_new: int) -> list:
    """The isolation forest trains on the points before and among the new ones, at most
    FOREST_TRAINING of them: a first scan of a long series goes in chunks of that many,
    each scored against what came before it (as periodic scans would have)."""
    if method != "isolation_forest" or len(t) - first_new <= FOREST_CHUNK:
        return detection.detect(t, v, method=method, new_from=first_new)
    found = []
    for start in range(first_new, len(t), FOREST_CHUNK):
        end = min(start + FOREST_CHUNK, len(t))
        found += detection.detect(t[:end], v[:end], method=method, new_from=start)
    return found


def stored_severity(method: str, score: float) -> str | None:
    """The severity a finding is stored with (None: not an anomaly): its score's band,
    capped at medium for the methods that never page."""
    severity = detection.severity(score)
    if severity in PAGING and method not in PAGING_METHODS:
        return AnomalySeverity.MEDIUM
    return severity


def _store(series: MetricSeries, findings, now: datetime) -> list[Anomaly]:
    """Store the findings that are not stored yet; the anomalies this scan added."""
    rows = []
    for finding in findings:
        severity = stored_severity(finding.method, finding.score)
        if severity is None:
            continue
        rows.append(
            Anomaly(
                series=series,
                timestamp=datetime.fromtimestamp(finding.timestamp, tz=UTC),
                value=finding.value,
                expected=finding.expected,
                score=finding.score,
                method=finding.method,
                severity=severity,
                detected_at=now,
            )
        )
    if not rows:
        return []
    existing = set(
        Anomaly.objects.filter(
            series=series, timestamp__in=[row.timestamp for row in rows]
        ).values_list("timestamp", "method")
    )
    fresh = [row for row in rows if (row.timestamp, row.method) not in existing]
    if not fresh:
        return []
    Anomaly.objects.bulk_create(fresh, ignore_conflicts=True)  # a concurrent scan may race
    return list(
        Anomaly.objects.filter(
            series=series,
            detected_at=now,
            timestamp__in=[row.timestamp for row in fresh],
        ).select_related("series")
    )


def _bad_news(series: MetricSeries, anomaly: Anomaly) -> bool:
    """Whether the anomaly moved the series the wrong way: below the expected value when
    higher is better, above it when lower is."""
    # Detection is blind to direction, and a surge of orders or a worker's memory falling
    # at a restart (every deploy) is as far from its history as an outage; both are worth
    # listing, neither is worth waking anyone for.
    if series.higher_is_better:
        return anomaly.value < anomaly.expected
    return anomaly.value > anomaly.expected


def _paging(series: MetricSeries, anomalies: list[Anomaly]) -> list[Anomaly]:
    """The anomalies that page: high or critical, and bad news for the series."""
    return [
        anomaly
        for anomaly in anomalies
        if anomaly.severity in PAGING and _bad_news(series, anomaly)
    ]


def anomalies_scan(*, series_ids=None, now: datetime | None = None, page: bool = True) -> dict:
    """Scan the given series (all by default) for anomalies among their new samples:
    ``{"series_scanned", "anomalies"}`` (those found, each stored once). Series are
    scanned one after another, each in its own short transaction; incidents are opened
    after it commits. ``page=False`` stores what it finds and opens nothing (the demo's
    history pages nobody)."""
    now = now or timezone.now()
    methods = settings.ANOMALY_METHODS
    series_list = MetricSeries.objects.all()
    if series_ids is not None:
        series_list = series_list.filter(pk__in=series_ids)
    found = []
    scanned = 0
    for series in series_list.select_related("service").order_by("pk"):
        scan, _ = AnomalyScan.objects.get_or_create(series=series)
        result = _findings(series.pk, scan.stored_through, methods)
        if result is None:
            continue
        scanned += 1
        findings, newest = result
        with transaction.atomic():
            anomalies = _store(series, findings, now)
            AnomalyScan.objects.filter(series=series).update(stored_through=newest, scanned_at=now)
        found.extend(anomalies)
        if page and _paging(series, anomalies):
            anomalies_page(series=series, anomalies=anomalies)
    return {"series_scanned": scanned, "anomalies": found}


def _business_service() -> Service:
    """Where anomalies of a series without a service of its own are raised."""
    from catalog import services as catalog_services
    from catalog.models import Team

    service = Service.objects.filter(slug=BUSINESS_SERVICE["slug"]).first()
    if service is not None:
        return service
    team = Team.objects.filter(slug=BUSINESS_TEAM["slug"]).first() or catalog_services.team_create(
        **BUSINESS_TEAM, description="Owns business metrics without a service of their own."
    )
    return catalog_services.service_create(
        team=team,
        description="Anomalies in business metrics that name no service of their own.",
        runbook_url=f"{settings.SITE_URL}{RUNBOOK}",
        **BUSINESS_SERVICE,
    )


def _dedup_key(series: MetricSeries) -> str:
    return f"anomaly:{series.pk}"


def _describe(anomaly: Anomaly) -> str:
    return (
        f"{anomaly.series} at {anomaly.timestamp:%Y-%m-%d %H:%M} UTC: {anomaly.value:g}, "
        f"expected about {anomaly.expected:g} ({anomaly.get_method_display()}, "
        f"score {anomaly.score:.1f}, {anomaly.severity})"
    )


def anomalies_page(*, series: MetricSeries, anomalies: list[Anomaly]) -> Incident | None:
    """Open one incident for the series' anomalies among ``anomalies`` (one scan's) that
    page (high or critical, and bad news), or add them to the one already open, and link
    them to it; the others are left out of it. None when none of them pages."""
    paging = _paging(series, anomalies)
    if not paging:
        return None
    worst = max(paging, key=lambda anomaly: anomaly.score)
    service = series.service or _business_service()
    key = _dedup_key(series)
    link = f"{settings.SITE_URL}/admin/analytics/metricseries/{series.pk}/change/"
    lines = "\n".join(f"- {_describe(anomaly)}" for anomaly in paging)
    incident = Incident.objects.filter(
        service=service, dedup_key=key, status__in=OPEN_STATUSES
    ).first()
    if incident is None:
        severity = PAGING[
            AnomalySeverity.CRITICAL
            if any(anomaly.severity == AnomalySeverity.CRITICAL for anomaly in paging)
            else AnomalySeverity.HIGH
        ]
        try:
            incident = incident_services.incident_create(
                service=service,
                title=f"Anomaly in {series}"[:200],
                summary=f"{lines}\nSeries: {link}\nRunbook: {settings.SITE_URL}{RUNBOOK}\n",
                severity=severity,
                source=IncidentSource.ANOMALY,
                dedup_key=key,
                by=None,
                at=worst.detected_at,
            )
        except incident_services.DuplicateOpenIncident as duplicate:
            incident = duplicate.existing
    if incident.dedup_key == key and incident.summary.find(lines) < 0:
        with contextlib.suppress(InvalidInput):
            incident_services.incident_add_note(
                incident=incident, by=None, text=f"Anomalies detected:\n{lines}"
            )
    Anomaly.objects.filter(pk__in=[anomaly.pk for anomaly in paging]).update(incident=incident)
    for anomaly in paging:
        anomaly.incident = incident
    return incident


@transaction.atomic
def anomaly_acknowledge(*, anomaly: Anomaly, by) -> Anomaly:
    """Mark an anomaly as seen; acknowledging it again changes nothing."""
    anomaly = Anomaly.objects.select_for_update().get(pk=anomaly.pk)
    if anomaly.acknowledged_at is None:
        anomaly.acknowledged_at = timezone.now()
        anomaly.acknowledged_by = by
        anomaly.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return anomaly
