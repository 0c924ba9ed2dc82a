"""What the load tests share: bench/load.py's core, short and small, and where it runs."""

import os

import pytest

from bench import load
from bench.harness import private_redis_db

__all__ = ["load", "postgres_and_redis", "private_redis_db", "short"]


def postgres_and_redis() -> str:
    """The suite's REDIS_URL; skips unless the suite runs on PostgreSQL and Redis."""
    database, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database.startswith("postgres") or not redis_url:
        if os.environ.get("CI"):
            raise RuntimeError("CI runs the suite on PostgreSQL and Redis (.ci/run)")
        pytest.skip(
            "needs PostgreSQL and Redis: set DATABASE_URL (postgres://...) and REDIS_URL "
            "(CI sets both)"
        )
    return redis_url


def short(**overrides) -> "load.Options":
    """A few seconds of small storms; escalation ticks every second and its first step
    waits two, so that second-level pages come due within the run (and an incident
    still triggered 7 s after it opened must have had them)."""
    options = load.Options(
        seconds=4,
        clients=4,
        max_alerts=40,
        groups=4,
        services=2,
        pagerduty_keys=3,
        tick=1,
        first_delay=2,
        slack=3,
        web_workers=2,
        celery_workers=2,
        drain_timeout=30,
    )
    for name, value in overrides.items():
        setattr(options, name, value)
    return options
