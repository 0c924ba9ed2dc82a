"""The sender configuration shown for an integration: the Alertmanager one is a complete
alertmanager.yml that Alertmanager itself accepts (tests/incidents/ingest/
test_real_alertmanager.py runs it against the live server)."""

import os
import shutil
import subprocess

import pytest
import yaml

from incidents.integration_config import integration_example_config
from tests.factories import ServiceFactory, make_integration
from tests.support import ROOT

AMTOOL = shutil.which("amtool")

if AMTOOL is None and os.environ.get("CI"):
    raise RuntimeError("CI must install prometheus-alertmanager's amtool (see .ci/run)")
needs_amtool = pytest.mark.skipif(
    AMTOOL is None, reason="amtool is not installed (prometheus-alertmanager; .ci/run installs it)"
)
pytestmark = pytest.mark.django_db


@pytest.fixture
def alertmanager_integration(settings):
    settings.SITE_URL = "https://vigil.example.com"
    return make_integration("alertmanager", service=ServiceFactory(slug="checkout"))


def amtool(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [AMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )


def test_the_alertmanager_config_is_a_complete_file_routing_to_its_receiver(
    alertmanager_integration,
):
    integration, secret = alertmanager_integration

    config = yaml.safe_load(integration_example_config(integration, secret))

    assert config == {
        "route": {
            "receiver": "vigil-checkout",
            "group_by": ["alertname", "job"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
        },
        "receivers": [
            {
                "name": "vigil-checkout",
                "webhook_configs": [
                    {
                        "url": "https://vigil.example.com/api/integrations/alertmanager/",
                        "send_resolved": True,
                        "max_alerts": 0,
                        "http_config": {"authorization": {"credentials": secret}},
                    }
                ],
            }
        ],
    }


def test_a_secret_that_looks_like_a_number_stays_a_string(alertmanager_integration):
    integration, _ = alertmanager_integration

    config = yaml.safe_load(integration_example_config(integration, "0123456789"))

    webhook = config["receivers"][0]["webhook_configs"][0]
    assert webhook["http_config"]["authorization"]["credentials"] == "0123456789"


@needs_amtool
@pytest.mark.parametrize("secret", [None, "issued"])
def test_amtool_accepts_the_alertmanager_config(alertmanager_integration, tmp_path, secret):
    integration, issued = alertmanager_integration
    text = integration_example_config(integration, *([issued] if secret else []))
    (tmp_path / "alertmanager.yml").write_text(text)

    checked = amtool("check-config", "alertmanager.yml", cwd=tmp_path)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
    assert " - route" in checked.stdout
    assert " - 1 receivers" in checked.stdout


def commented_child_route(text: str) -> dict:
    """The child route the config's merge instructions show, uncommented."""
    lines = text.splitlines()
    start = lines.index("#   routes:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#   "):
            break
        block.append(line.removeprefix("# "))
    [route] = yaml.safe_load("\n".join(block))["routes"]
    return route


@needs_amtool
def test_the_merge_instructions_add_vigil_without_taking_alerts_from_other_routes(
    alertmanager_integration, tmp_path
):
    integration, secret = alertmanager_integration
    ours = yaml.safe_load(text := integration_example_config(integration, secret))
    existing = {
        "route": {
            "receiver": "chat",
            "routes": [{"receiver": "tickets", "matchers": ['team="payments"']}],
        },
        "receivers": [{"name": "chat"}, {"name": "tickets"}],
    }
    existing["route"]["routes"].insert(0, commented_child_route(text))
    existing["receivers"] += ours["receivers"]
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(existing))

    def receivers(*labels):
        tested = amtool(
            "config", "routes", "test", "--config.file=alertmanager.yml", *labels, cwd=tmp_path
        )
        assert tested.returncode == 0, tested.stdout + tested.stderr
        return tested.stdout.strip()

    assert amtool("check-config", "alertmanager.yml", cwd=tmp_path).returncode == 0
    assert receivers("service=checkout", "team=payments") == "vigil-checkout,tickets"
    assert receivers("service=checkout") == "vigil-checkout"
    assert receivers("service=search") == "chat"


def test_the_readme_shows_the_alertmanager_config_as_rendered(alertmanager_integration):
    integration, _ = alertmanager_integration

    readme = (ROOT / "README.md").read_text()

    assert f"```yaml\n{integration_example_config(integration)}```\n" in readme
