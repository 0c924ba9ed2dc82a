"""Celery beat stops: readiness fails once its heartbeat is older than
BEAT_HEARTBEAT_MAX_AGE and passes again once beat is back; the platform's health
alert on beat opens an incident for the outage once beat is back, and resolves it."""

import json

import pytest

from tests.faults.support import http_get
from tests.support import wait_until

MAX_AGE = 3
HEALTH_EVERY = 2


@pytest.fixture
def stack_env():
    return {"BEAT_HEARTBEAT_MAX_AGE": str(MAX_AGE)}


def readiness(stack):
    status, _, body = http_get(f"{stack.site_url}/readyz")
    return status, json.loads(body) if body else {}


def test_beat_down_fails_readiness_then_the_health_alert_opens_and_resolves(
    stack, database, timeline
):
    database.schedule(
        {"core.tasks.beat_heartbeat": 1, "observability.tasks.health_checks_run": HEALTH_EVERY}
    )
    stack.start(beat=True)
    wait_until(lambda: readiness(stack)[0] == 200, timeout=30, message="readiness to pass")
    timeline(f"ready: {readiness(stack)[1]['checks']['beat']['detail']}")

    stack.latest("beat").stop()
    timeline("beat stopped")

    def not_ready():
        status, body = readiness(stack)
        return status == 503 and body["failing"] == ["beat"]

    wait_until(not_ready, timeout=MAX_AGE + 15, message="readiness to fail on beat alone")
    timeline(f"not ready: {readiness(stack)[1]['checks']['beat']['detail']}")

    stack.beat()
    wait_until(lambda: readiness(stack)[0] == 200, timeout=30, message="readiness to pass again")
    timeline("ready again")

    def beat_check():
        return database.rows(
            "SELECT consecutive_failures, checked_at, detail FROM observability_healthcheckstate"
            " WHERE name = 'beat'"
        )[0]

    def health_incident(status=None):
        return database.count(
            "incidents_incident",
            "source = 'health' AND dedup_key = 'health:beat'"
            + (" AND status = %s" if status else ""),
            *([status] if status else []),
        )

    # Three more health checks after beat is back: enough to open the incident.
    runs, seen = set(), []

    def three_runs_or_opened():
        failures, checked_at, detail = beat_check()
        if checked_at not in runs:
            runs.add(checked_at)
            seen.append((failures, detail))
        return len(runs) > 3 or health_incident()

    wait_until(three_runs_or_opened, timeout=HEALTH_EVERY * 4 + 20, message="the health checks")
    timeline(f"the beat check after beat came back: {seen}")
    # The health checks run on beat: none ran while it was down, so the first pass after
    # it is back records the outage (observability.health_alerts.beat_outage_seconds).
    assert health_incident(), f"no health incident for the beat outage: {seen}"
    timeline("health incident opened")

    wait_until(
        lambda: health_incident("resolved"), timeout=30, message="the health incident to resolve"
    )
    timeline("health incident resolved")
