"""The platform's own SLOs, fed by its own API traffic.

After every ``migrate`` (so from the first ``make run``), a service for the platform and
two SLOs on it exist: API availability (share of answers that are not 5xx) and API
latency (share answered in under 500 ms). ``slo_traffic_record``, a recorder of
``core.traffic.TrafficMiddleware``, counts each API request in memory, per minute; once
a minute each process adds its finished minutes to the SLOs' buckets with one upsert per
SLO (the upsert adds, so several gunicorn workers add up). No request waits on a
database write except the one, per process and minute, that flushes.
``PLATFORM_SLOS=false`` turns both off (the test suite does)."""

import atexit
import logging
import threading
import time
from collections import defaultdict

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

logger = logging.getLogger(__name__)

TEAM = {"slug": "platform-operations", "name": "Platform operations"}
SERVICE = {"slug": "vigil", "name": "Vigil (this platform)", "tier": 1}
AVAILABILITY = "API availability"
LATENCY = "API latency"
LATENCY_THRESHOLD_MS = 500
# What counts as API traffic: the REST API and PagerDuty-compatible ingestion.
API_PREFIXES = ("/api/", "/v2/")


def platform_service():
    """The platform's own service (and its team), created when first needed."""
    from catalog import services as catalog_services
    from catalog.models import Service, Team

    service = Service.objects.filter(slug=SERVICE["slug"]).first()
    if service is not None:
        return service
    team = Team.objects.filter(slug=TEAM["slug"]).first() or catalog_services.team_create(
        **TEAM, description="Runs this incident platform itself."
    )
    return catalog_services.service_create(
        team=team,
        description="The API, workers and beat of this platform.",
        runbook_url=f"{settings.SITE_URL}/runbooks/operations/",
        **SERVICE,
    )


def platform_slos_install(*, using=DEFAULT_DB_ALIAS) -> list[str]:
    """Create the platform's service and SLOs where missing; names of what was created."""
    if not settings.PLATFORM_SLOS:
        return []
    from observability import services
    from observability.models import SLO

    created = []
    service = platform_service()
    for name, fields in (
        (AVAILABILITY, {"target": "99.9", "description": "API answers that are not 5xx."}),
        (
            LATENCY,
            {
                "target": "99",
                "sli_kind": "latency",
                "latency_threshold_ms": LATENCY_THRESHOLD_MS,
                "description": f"API answers in under {LATENCY_THRESHOLD_MS} ms.",
            },
        ),
    ):
        if not SLO.objects.using(using).filter(service=service, name=name).exists():
            services.slo_create(
                service=service,
                name=name,
                window="28d",
                min_events_per_hour=60,
                runbook_url=f"{settings.SITE_URL}/runbooks/slo/",
                **fields,
            )
            created.append(f"SLO {name}")
    return created


def platform_slos_install_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    platform_slos_install(using=using)


class TrafficCounter:
    """Per-minute counts of this process's API answers, until flushed."""

    def __init__(self):
        self._lock = threading.Lock()
        # minute -> [requests, not 5xx, under the latency threshold]
        self._minutes: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
        self._flushed_through = int(time.time() // 60)

    def record(self, *, status: int, seconds: float, now: float | None = None) -> bool:
        """Count one answer; True when a finished minute is waiting to be flushed."""
        now = time.time() if now is None else now
        minute = int(now // 60) + 1  # counted in the minute it ends, rounded up
        with self._lock:
            counts = self._minutes[minute]
            counts[0] += 1
            counts[1] += status < 500
            counts[2] += seconds * 1000 < LATENCY_THRESHOLD_MS
            return any(m <= int(now // 60) for m in self._minutes)

    def take(self, *, everything: bool = False, now: float | None = None) -> dict[int, list[int]]:
        """Remove and return the finished minutes (all of them with ``everything``)."""
        now = time.time() if now is None else now
        current = int(now // 60)
        with self._lock:
            done = {
                minute: counts
                for minute, counts in self._minutes.items()
                if everything or minute <= current
            }
            for minute in done:
                del self._minutes[minute]
        return done

    def flush(self, *, everything: bool = False) -> int:
        """Add the finished minutes to the platform's SLOs; how many minutes went."""
        minutes = self.take(everything=everything)
        if not minutes:
            return 0
        from observability.models import SLO
        from observability.services import slo_minutes_add

        slos = dict(
            SLO.objects.filter(
                service__slug=SERVICE["slug"], name__in=(AVAILABILITY, LATENCY)
            ).values_list("name", "pk")
        )
        if AVAILABILITY in slos:
            slo_minutes_add(
                slo_id=slos[AVAILABILITY],
                per_minute={m: (c[1], c[0]) for m, c in minutes.items()},
            )
        if LATENCY in slos:
            slo_minutes_add(
                slo_id=slos[LATENCY], per_minute={m: (c[2], c[0]) for m, c in minutes.items()}
            )
        return len(minutes)


traffic = TrafficCounter()


def _flush_at_exit():
    try:
        traffic.flush(everything=True)
    except Exception:  # the database may be gone already at shutdown
        logger.warning("could not flush the last API traffic counts", exc_info=True)


atexit.register(_flush_at_exit)


def slo_traffic_record(request, response, seconds: float, queries: int) -> None:
    """The recorder ``core.traffic.TrafficMiddleware`` calls for every request (registered
    in ``ObservabilityConfig.ready``): counts API answers, flushing once a minute."""
    if not settings.PLATFORM_SLOS or not request.path.startswith(API_PREFIXES):
        return
    if traffic.record(status=response.status_code, seconds=seconds):
        try:
            traffic.flush()
        except Exception:  # counting must never break an answer
            logger.warning("could not flush API traffic counts", exc_info=True)
