"""Demo SLOs: four of the demo's services with 30 days of per-minute counts, traffic
following the day, so that some are met, one is at risk and one is breached; a daily
evaluation history for the charts. Deterministic; kept when run again."""

import math
import random
from datetime import timedelta

from django.utils import timezone

from catalog.models import Service
from observability import services
from observability.models import SLO
from observability.slo_math import unix_minute

DAYS = 30
# slug: (name, target, sli kind, error share of traffic, a bad hour's error share)
DEMO_SLOS = {
    "checkout": ("Checkout availability", "99.9", "ratio", 0.0003, 0.02),
    "api-gateway": ("Gateway availability", "99.9", "ratio", 0.0002, 0.01),
    "payments-api": ("Payments API availability", "99.95", "ratio", 0.00042, 0.0),
    "search": ("Search latency under 300 ms", "99", "latency", 0.012, 0.0),
}


def seed(*, stdout):
    rng = random.Random(20261128)
    now = timezone.now().replace(second=0, microsecond=0)
    created = 0
    for slug, (name, target, kind, error_share, bad_hour) in DEMO_SLOS.items():
        service = Service.objects.filter(slug=slug).first()
        if service is None or SLO.objects.filter(service=service, name=name).exists():
            continue
        slo = services.slo_create(
            service=service,
            name=name,
            target=target,
            window="30d",
            sli_kind=kind,
            latency_threshold_ms=300 if kind == "latency" else None,
            min_events_per_hour=600,
            runbook_url=service.runbook_url,
        )
        services.slo_minutes_add(
            slo_id=slo.pk, per_minute=_traffic(rng, now, error_share, bad_hour)
        )
        for day in range(DAYS, 0, -1):
            at = (now - timedelta(days=day)).replace(hour=0, minute=0)
            services.slo_evaluation_store(slo=slo, status=services.slo_status(slo, at))
        services.slo_evaluation_store(slo=slo, status=services.slo_status(slo, now))
        created += 1
        stdout.write(f"  SLO [{created}/{len(DEMO_SLOS)}] {service.name}: {name}")
    if not created:
        stdout.write("  SLOs: kept")
        return
    states = ", ".join(
        f"{slo.name}: {slo.evaluations.order_by('-at').first().state}"
        for slo in SLO.objects.filter(service__slug__in=DEMO_SLOS)
    )
    stdout.write(f"  SLOs: {states}")


def _traffic(rng, now, error_share, bad_hour_share) -> dict[int, tuple[int, int]]:
    """Per-minute (good, total) for the last DAYS days: busier by day, quieter at night,
    errors around ``error_share``, and (if given) one bad hour nine days ago."""
    end = unix_minute(now)
    bad_hour_end = end - 9 * 1440 + 600
    counts = {}
    for minute in range(end - DAYS * 1440 + 1, end + 1):
        hour = (minute % 1440) / 60
        total = int(400 + 300 * math.sin((hour - 8) / 24 * 2 * math.pi) + rng.randint(0, 60))
        share = bad_hour_share if bad_hour_end - 60 < minute <= bad_hour_end else error_share
        expected = total * share * rng.uniform(0.5, 1.5)
        # Rounded up or down at random in proportion, so rare errors still happen.
        bad = int(expected) + (rng.random() < expected - int(expected))
        counts[minute] = (total - min(bad, total), total)
    return counts
