"""Demo business series: 90 days of hourly orders, sign-ups, checkout latency and
checkout error rate, with visible trends, a daily and weekly rhythm and a few injected
anomalies; the platform's own usage (``demo_usage``) and worker memory
(``demo_memory``); then a scan, so the anomalies (and an incident for the worst) exist.
Deterministic; kept when run again."""

from datetime import UTC, datetime

import numpy as np
from django.utils import timezone

from analytics import demo_memory, demo_usage, services
from analytics.models import MetricSeries, MetricSource
from catalog.models import Service

DAYS = 90
HOURS = DAYS * 24


def _rhythm(hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Daily shape (busy at midday, quiet at night) and weekly shape (quieter weekends)."""
    hour_of_day = hours % 24
    daily = np.sin((hour_of_day - 8) / 24 * 2 * np.pi)
    weekday = ((hours // 24) + 3) % 7  # 1970-01-01 was a Thursday: 0 is Monday
    weekly = np.where(weekday >= 5, -1.0, 0.25)
    return daily, weekly


def _series(rng: np.random.Generator, hours: np.ndarray) -> dict[str, dict]:
    daily, weekly = _rhythm(hours)
    progress = np.linspace(0, 1, len(hours))
    orders = 120 * (1 + 0.35 * progress) * (1 + 0.45 * daily) * (1 + 0.15 * weekly)
    orders = orders + rng.normal(0, 6, len(hours))
    signups = 30 * (1 + 0.1 * progress) * (1 + 0.3 * daily + 0.1 * weekly)
    signups = signups + rng.normal(0, 2, len(hours))
    latency = 180 * (1 + 0.25 * progress) + 40 * np.maximum(daily, 0)
    latency = latency + rng.normal(0, 8, len(hours))
    errors = 0.004 + 0.0015 * np.maximum(daily, 0) + rng.normal(0, 0.0004, len(hours))
    # Injected anomalies, counted back from the newest hour.
    orders[-75] *= 1.9  # a burst three days ago
    signups[-30] = 2.0  # sign-ups stopped for an hour yesterday
    latency[-52] += 320  # a slow hour two days ago
    errors[-170:-164] += 0.02  # six bad hours a week ago
    return {
        "orders_completed": {
            "values": orders,
            "unit": "orders/h",
            "description": "Orders completed per hour.",
            "higher_is_better": True,
            "service": "checkout",
        },
        "signups": {
            "values": signups,
            "unit": "sign-ups/h",
            "description": "New accounts per hour.",
            "higher_is_better": True,
            "service": "web-storefront",
        },
        "checkout_latency_ms": {
            "values": latency,
            "unit": "ms",
            "description": "95th percentile of checkout answer time, per hour.",
            "higher_is_better": False,
            "service": "checkout",
        },
        "checkout_error_rate": {
            "values": np.clip(errors, 0, 1),
            "unit": "ratio",
            "description": "Share of checkouts that failed, per hour.",
            "higher_is_better": False,
            "service": "checkout",
        },
    }


def seed(*, stdout):
    now = timezone.now().replace(microsecond=0)
    business = _business_series(now.replace(minute=0, second=0), stdout=stdout)
    demo_usage.seed(stdout=stdout, now=now)
    memory = demo_memory.seed(stdout=stdout, now=now)
    if not (business or memory):
        return
    # History: its anomalies are listed, and page nobody (as the incident history).
    result = services.anomalies_scan(now=timezone.now(), page=False)
    stdout.write(f"  anomaly scan: {len(result['anomalies'])} anomalies found")


def _business_series(now, *, stdout) -> bool:
    """The business series; whether they were written (False: kept)."""
    if MetricSeries.objects.filter(name="orders_completed").exists():
        stdout.write("  business series: kept")
        return False
    rng = np.random.default_rng(20261127)
    last_hour = int(now.timestamp() // 3600) - 1
    hours = np.arange(last_hour - HOURS + 1, last_hour + 1)
    for index, (name, spec) in enumerate(_series(rng, hours).items(), start=1):
        rows = [
            {
                "metric": name,
                "timestamp": datetime.fromtimestamp(int(hour) * 3600, tz=UTC).isoformat(),
                "value": round(float(value), 6),
            }
            for hour, value in zip(hours, spec["values"], strict=True)
        ]
        services.samples_record(rows=rows)
        series = MetricSeries.objects.get(name=name, labels_key="")
        services.series_update(
            series=series,
            unit=spec["unit"],
            description=spec["description"],
            higher_is_better=spec["higher_is_better"],
            service=Service.objects.filter(slug=spec.get("service", "")).first(),
        )
        stdout.write(f"  series [{index}/4] {name}: {len(rows)} hourly samples")
    if not MetricSource.objects.exists():
        services.source_create(
            name="Orders per minute (example)",
            query="sum(rate(orders_completed_total[5m])) * 60",
            metric="orders_per_minute",
            step_seconds=60,
            every_minutes=5,
            enabled=False,
        )
    return True
