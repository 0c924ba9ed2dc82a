"""Readiness checks: each answers whether one dependency works right now.

A check returns a short detail string when it passes and raises when it fails; the
runner times it and turns the exception into a failing entry that names it.
"""

import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

BEAT_HEARTBEAT = "beat"
BROKER_TIMEOUT_SECONDS = 2
# Each check's section of the readiness runbook, served to staff (runbooks app); the
# anchor is the check's name, which is the section's heading.
RUNBOOK_URL = "/runbooks/readiness/#{name}"


class CheckFailed(Exception):
    pass


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    duration_ms: float

    def as_dict(self):
        return {
            "ok": self.ok,
            "detail": self.detail,
            "duration_ms": self.duration_ms,
            "runbook": RUNBOOK_URL.format(name=self.name),
        }


def check_database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connections[DEFAULT_DB_ALIAS].vendor


def check_cache() -> str:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    try:
        if cache.get(key) != "1":
            raise CheckFailed("a value written to the cache did not read back")
    finally:
        cache.delete(key)
    return caches["default"].__class__.__name__


def check_broker() -> str:
    from celery import current_app as app

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
        if connection.transport.driver_type == "filesystem":
            # The filesystem transport "connects" to anything; what matters is
            # that its queue folder can be written.
            folder = app.conf.broker_transport_options["data_folder_in"]
            if not os.access(folder, os.W_OK):
                raise CheckFailed(f"queue folder {folder} is not writable")
        return connection.as_uri()


def check_beat() -> str:
    from core.selectors import heartbeat_age_seconds

    age = heartbeat_age_seconds(BEAT_HEARTBEAT)
    if age is None:
        raise CheckFailed("celery beat has never recorded a heartbeat")
    if age > settings.BEAT_HEARTBEAT_MAX_AGE:
        raise CheckFailed(
            f"last heartbeat {age:.0f}s ago (limit {settings.BEAT_HEARTBEAT_MAX_AGE}s)"
        )
    return f"last heartbeat {age:.0f}s ago"


def check_migrations() -> str:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        raise CheckFailed(f"{len(plan)} unapplied: {names}")
    return "all applied"


READINESS_CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "beat": check_beat,
    "migrations": check_migrations,
}


def run_checks(checks: dict[str, Callable[[], str]] = READINESS_CHECKS) -> list[CheckResult]:
    results = []
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as exc:  # a readiness probe reports failures, it never raises
            logger.warning("readiness check %s failed: %s", name, exc)
            detail, ok = f"{type(exc).__name__}: {exc}", False
        results.append(
            CheckResult(name, ok, detail, round((time.perf_counter() - started) * 1000, 1))
        )
    return results
