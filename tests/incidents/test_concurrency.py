"""Many workers at once: the database, not luck, keeps incidents unique and numbered.

Threads each use their own database connection, so these run against the real server
(PostgreSQL in CI) with committed transactions.
"""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import IntegrityError, connection, connections, transaction

from incidents import services
from incidents.models import Incident, IncidentStatus
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 8


def run_at_once(work, count=WORKERS):
    """Run ``work(i)`` in ``count`` threads released together; return results or errors."""
    barrier = Barrier(count)

    def worker(i):
        barrier.wait()
        try:
            return work(i)
        except Exception as exc:
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(worker, range(count)))


def test_concurrent_creates_with_one_dedup_key_open_exactly_one_incident():
    service = ServiceFactory()

    results = run_at_once(
        lambda i: services.incident_create(
            service=service, title=f"attempt {i}", dedup_key="checkout-5xx"
        )
    )

    created = [r for r in results if isinstance(r, Incident)]
    refused = [r for r in results if isinstance(r, services.DuplicateOpenIncident)]
    assert len(created) == 1, results
    assert len(refused) == WORKERS - 1, results
    assert {r.existing.pk for r in refused} == {created[0].pk}
    assert Incident.objects.filter(dedup_key="checkout-5xx").count() == 1
    assert created[0].timeline.count() == 1


def test_concurrent_creates_get_distinct_consecutive_numbers():
    service = ServiceFactory()
    start = services.incident_create(service=service, title="first").number

    results = run_at_once(lambda i: services.incident_create(service=service, title=f"n{i}"))

    assert all(isinstance(r, Incident) for r in results), results
    assert sorted(r.number for r in results) == list(range(start + 1, start + 1 + WORKERS))


def test_concurrent_acknowledgements_record_one_change():
    incident = services.incident_create(service=ServiceFactory(), title="x")

    results = run_at_once(lambda i: services.incident_acknowledge(incident=incident, by=None))

    assert all(isinstance(r, Incident) for r in results), results
    assert incident.timeline.filter(kind="acknowledged").count() == 1


def test_the_database_refuses_a_second_open_incident_written_directly():
    service = ServiceFactory()
    services.incident_create(service=service, title="first", dedup_key="k")
    duplicate = Incident(
        number=10_000,
        service=service,
        title="direct",
        dedup_key="k",
        triggered_at=Incident.objects.get().triggered_at,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.parametrize(
    ("status", "fields"),
    [
        (IncidentStatus.TRIGGERED, {"resolved_at": "triggered_at"}),
        (IncidentStatus.ACKNOWLEDGED, {}),
        (IncidentStatus.RESOLVED, {}),
        (IncidentStatus.CLOSED, {"resolved_at": "triggered_at"}),
    ],
)
def test_the_database_refuses_timestamps_that_do_not_match_the_status(status, fields):
    incident = services.incident_create(service=ServiceFactory(), title="x")
    values = {"status": status, **{f: getattr(incident, source) for f, source in fields.items()}}

    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(**values)


def test_the_tests_above_ran_on_the_configured_database():
    # A guard: CI sets DATABASE_URL, and these tests must then have used PostgreSQL.
    import os

    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected
