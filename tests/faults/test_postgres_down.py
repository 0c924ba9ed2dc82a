"""PostgreSQL stops: the ingestion endpoint answers 503 with Retry-After, and the real
Alertmanager, which sends each group again until one send succeeds, delivers every
alert once PostgreSQL is back: none lost, none twice."""

import json
import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.faults.support import (
    ALERTMANAGER,
    Alertmanager,
    alertmanager_payload,
    post_alertmanager,
)
from tests.support import wait_until

if ALERTMANAGER is None and os.environ.get("CI"):
    raise RuntimeError("CI must install prometheus-alertmanager (see .ci/run)")
pytestmark = pytest.mark.skipif(
    ALERTMANAGER is None, reason="prometheus-alertmanager is not installed (.ci/run installs it)"
)

GROUPS, INSTANCES = 3, 2
FAILED = "alertmanager_notification_requests_failed_total"


def firing(group: str, instance: str) -> dict:
    return {
        "labels": {"alertname": group, "service": "checkout", "instance": instance},
        "annotations": {"summary": f"{group} on checkout"},
        "startsAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "endsAt": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }


def test_postgres_down_is_503_and_alertmanager_delivers_every_alert_after(
    stack, database, postgres, timeline, tmp_path
):
    stack.web()
    alertmanager = Alertmanager(
        tmp_path, f"{stack.site_url}/api/integrations/alertmanager/", stack.secret, timeline
    )
    try:
        postgres.stop()
        timeline("postgres stopped")

        status, headers, body = post_alertmanager(
            stack.site_url, stack.secret, alertmanager_payload("Refused")
        )
        timeline(f"a webhook sent directly: {status} Retry-After={headers.get('Retry-After')}")
        assert status == 503, body
        assert json.loads(body)["error"]["code"] == "service_unavailable"
        assert int(headers["Retry-After"]) > 0

        alertmanager.post(
            [firing(f"Database{g}", f"web-{i}") for g in range(GROUPS) for i in range(INSTANCES)]
        )
        timeline(f"{GROUPS * INSTANCES} alerts posted to alertmanager")

        def retried():
            assert alertmanager.service.alive(), alertmanager.service.output()[-2000:]
            return alertmanager.metric(FAILED) >= 2 * GROUPS

        wait_until(retried, timeout=30, message="alertmanager to be refused and try again")
        timeline(f"alertmanager's refused requests: {alertmanager.metric(FAILED):.0f}")

        postgres.start()
        timeline("postgres started again")

        def all_stored():
            return database.count("incidents_alert") == GROUPS * INSTANCES

        wait_until(all_stored, timeout=30, message="every alert in the database")
        timeline(f"all {GROUPS * INSTANCES} alerts stored")
        time.sleep(2)  # two more group intervals: a group stored is not sent again
    finally:
        alertmanager.stop()
        log = alertmanager.service.output()
        timeline(
            f"alertmanager's log: {log.count('Notify attempt failed')} failed attempts, "
            f"{log.count('Notify success')} successes"
        )

    assert database.count("incidents_alert") == GROUPS * INSTANCES
    assert database.count("incidents_incident", "dedup_key LIKE '%%Database%%'") == GROUPS
    assert database.count("incidents_alert", "incident_id IS NULL") == 0
    # The delivery refused with 503 stored nothing: its sender is the one to retry it.
    assert database.count("incidents_incident", "dedup_key LIKE '%%Refused%%'") == 0
