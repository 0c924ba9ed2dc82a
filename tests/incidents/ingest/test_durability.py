"""Nothing lost, nothing duplicated: outages answer 503 so senders retry, and parallel
deliveries of one group make one incident."""

import json
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connections
from django.test import Client

from incidents.models import Alert, Incident
from tests.factories import make_integration
from tests.incidents.ingest.conftest import captured
from tests.support import run_python


def test_a_database_outage_is_503_so_alertmanager_retries(tmp_path):
    body = json.dumps(captured("01-two-firing.json"))
    result = run_python(
        "import json\n"
        "from django.test import Client\n"
        f"r = Client().post('/api/integrations/alertmanager/', {body!r},"
        " content_type='application/json', HTTP_AUTHORIZATION='Bearer vgi_x')\n"
        "print(r.status_code, r.headers.get('Retry-After'), r.json()['error']['code'])",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        ALLOWED_HOSTS="testserver",
        VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "503 30 service_unavailable"


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_group_make_exactly_one_incident():
    _, secret = make_integration("alertmanager")
    payload = json.dumps(captured("01-two-firing.json"))
    workers = 8
    barrier = Barrier(workers)

    def deliver(_):
        barrier.wait()
        try:
            return (
                Client()
                .post(
                    "/api/integrations/alertmanager/",
                    payload,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {secret}",
                )
                .status_code
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        statuses = list(pool.map(deliver, range(workers)))

    assert statuses == [200] * workers
    incident = Incident.objects.get()
    assert incident.alerts.count() == 2 * workers
    decisions = sorted(
        incident.timeline.filter(kind="alert").values_list("data__decision", flat=True)
    )
    assert decisions == ["joined"] * (workers - 1) + ["opened"]
    assert Alert.objects.filter(incident__isnull=True).count() == 0
