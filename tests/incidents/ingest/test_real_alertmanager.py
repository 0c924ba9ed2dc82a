"""The real Prometheus Alertmanager (Debian's package, installed by .ci/run) posting to
the live test server: one incident for the group, then its resolution; and the
alertmanager.yml the integration page shows, run as it stands."""

import json
import os
import shutil
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from incidents.integration_config import integration_example_config
from incidents.models import Alert, Incident
from tests.factories import ServiceFactory, make_integration
from tests.support import Process, free_port, wait_until

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")

if BINARY is None and os.environ.get("CI"):
    raise RuntimeError("CI must install prometheus-alertmanager (see .ci/run)")
pytestmark = [
    pytest.mark.skipif(
        BINARY is None, reason="prometheus-alertmanager is not installed (.ci/run installs it)"
    ),
    pytest.mark.django_db(transaction=True),
]


def alertmanager_config(url: str, secret: str) -> str:
    return json.dumps(
        {
            "route": {
                "receiver": "vigil",
                "group_by": ["alertname", "service"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {
                    "name": "vigil",
                    "webhook_configs": [
                        {
                            "url": url,
                            "send_resolved": True,
                            "http_config": {"authorization": {"credentials": secret}},
                        }
                    ],
                }
            ],
        }
    )  # JSON is YAML


@contextmanager
def running_alertmanager(tmp_path, config_text: str):
    """Alertmanager on a free port with ``config_text`` as its whole configuration file;
    only the listen addresses and the storage path come from the command line."""
    config = tmp_path / "alertmanager.yml"
    config.write_text(config_text)
    port = free_port()
    process = Process(
        [
            BINARY,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        tmp_path / "alertmanager.log",
    )
    base = f"http://127.0.0.1:{port}"

    def ready():
        assert process.popen.poll() is None, process.output()
        try:
            return urllib.request.urlopen(f"{base}/-/ready", timeout=2).status == 200
        except OSError:
            return False

    try:
        wait_until(ready, timeout=30, message="alertmanager to start")
        yield base, process
    finally:
        process.stop()


@pytest.fixture
def alertmanager(tmp_path, live_server):
    integration, secret = make_integration("alertmanager", name="real alertmanager")
    config = alertmanager_config(f"{live_server.url}/api/integrations/alertmanager/", secret)
    with running_alertmanager(tmp_path, config) as (base, process):
        yield base, integration, process


def post_alerts(base, alerts):
    request = urllib.request.Request(
        f"{base}/api/v2/alerts",
        data=json.dumps(alerts).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    assert urllib.request.urlopen(request, timeout=5).status == 200


def alert(instance, ends_at):
    return {
        "labels": {
            "alertname": "HighErrorRate",
            "service": "checkout",
            "instance": instance,
            "severity": "critical",
        },
        "annotations": {
            "summary": "5xx ratio above 5% on checkout",
            "runbook_url": "https://runbooks.example/high-error-rate",
        },
        "startsAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "endsAt": ends_at.isoformat(),
        "generatorURL": "http://prometheus.example/graph",
    }


def test_alertmanager_fires_one_incident_per_group_then_resolves_it(alertmanager):
    base, integration, process = alertmanager
    later = datetime.now(UTC) + timedelta(hours=1)

    post_alerts(base, [alert("web-1", later), alert("web-2", later)])

    def opened():
        return Incident.objects.filter(service=integration.service).exists()

    wait_until(opened, timeout=30, message=f"an incident\n{process.output()[-2000:]}")
    incident = Incident.objects.get()
    assert incident.severity == "SEV1"
    assert incident.title == "5xx ratio above 5% on checkout"
    assert incident.dedup_key == '{}:{alertname="HighErrorRate", service="checkout"}'
    assert set(Alert.objects.values_list("labels__instance", flat=True)) == {"web-1", "web-2"}

    past = datetime.now(UTC) - timedelta(seconds=1)
    post_alerts(base, [alert("web-1", past), alert("web-2", past)])

    def resolved():
        incident.refresh_from_db()
        return incident.status == "resolved"

    wait_until(resolved, timeout=30, message=f"the resolution\n{process.output()[-2000:]}")
    assert Incident.objects.count() == 1
    assert incident.resolved_by is None
    assert incident.timeline.get(kind="resolved").actor_name == "integration: real alertmanager"
    assert Alert.objects.filter(status="resolved", incident=incident).exists()


def test_the_configuration_vigil_shows_delivers_alerts_as_it_stands(
    tmp_path, live_server, settings
):
    """The alertmanager.yml of the integration page, unedited. The alert started a minute
    ago, longer than group_wait, so Alertmanager sends its group at once."""
    settings.SITE_URL = live_server.url
    integration, secret = make_integration(
        "alertmanager", service=ServiceFactory(slug="checkout"), name="shown config"
    )
    config = integration_example_config(integration, secret)

    with running_alertmanager(tmp_path, config) as (base, process):
        firing = alert("web-1", datetime.now(UTC) + timedelta(hours=1))
        firing["labels"]["job"] = "checkout-api"
        post_alerts(base, [firing])

        def delivered():
            return Alert.objects.filter(integration=integration).exists()

        wait_until(delivered, timeout=90, message=f"the alert\n{process.output()[-2000:]}")

    received = Alert.objects.get()
    assert received.status == "firing"
    assert received.labels["instance"] == "web-1"
    assert received.group_key == '{}:{alertname="HighErrorRate", job="checkout-api"}'
    incident = Incident.objects.get()
    assert incident.service == integration.service
    assert incident.dedup_key == received.group_key
    assert incident.title == "5xx ratio above 5% on checkout"
