import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from incidents.models import Alert, Incident
from tests.factories import make_integration
from tests.incidents.ingest.conftest import captured

pytestmark = pytest.mark.django_db

URL = "/api/integrations/grafana/"


def grafana_payload(status="firing"):
    """Alertmanager's shape plus Grafana's keys, as its webhook contact point sends it."""
    payload = captured("01-two-firing.json" if status == "firing" else "03-group-resolved.json")
    payload.update(
        version="1",
        orgId=1,
        state="alerting" if status == "firing" else "ok",
        title=f"[{status.upper()}:2] HighErrorRate checkout",
        message="**Firing**\n\nValue: B=0.07",
    )
    for alert in payload["alerts"]:
        alert.update(
            silenceURL="http://grafana.example/alerting/silence/new",
            dashboardURL="http://grafana.example/d/abc",
            panelURL="http://grafana.example/d/abc?viewPanel=2",
            values={"B": 0.07},
            valueString="[ var='B' value=0.07 ]",
        )
    return payload


def post(payload, secret, **headers):
    return Client().post(
        URL,
        json.dumps(payload).encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        **headers,
    )


def sign(body: bytes, key: str, timestamp: str | None = None) -> str:
    message = f"{timestamp}:".encode() + body if timestamp else body
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def test_a_grafana_alert_opens_an_incident_titled_by_grafana_and_resolves_it():
    _, secret = make_integration("grafana")

    assert post(grafana_payload(), secret).status_code == 200
    incident = Incident.objects.get()
    assert incident.title == "HighErrorRate checkout"
    assert incident.summary.startswith("**Firing**")
    assert Alert.objects.filter(incident=incident).first().raw["panelURL"].endswith("viewPanel=2")

    post(grafana_payload("resolved"), secret)

    incident.refresh_from_db()
    assert incident.status == "resolved"


# The header Grafana's documentation names, and the one its alerting library sends when
# the contact point's HMAC settings leave the header name empty.
@pytest.mark.parametrize(
    "header", ["HTTP_X_GRAFANA_ALERTING_SIGNATURE", "HTTP_X_GRAFANA_ALERT_SIGNATURE"]
)
def test_a_valid_hmac_signature_is_accepted(header):
    _, secret = make_integration("grafana", hmac_secret="shared-key")
    body = json.dumps(grafana_payload()).encode()

    response = Client().post(
        URL,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        **{header: sign(body, "shared-key")},
    )

    assert response.status_code == 200
    assert Alert.objects.count() == 2


@pytest.mark.parametrize("signature", ["", "0" * 64, "not-hex"])
def test_a_missing_or_wrong_signature_is_401_and_writes_nothing(signature):
    _, secret = make_integration("grafana", hmac_secret="shared-key")

    response = post(grafana_payload(), secret, HTTP_X_GRAFANA_ALERTING_SIGNATURE=signature)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"
    assert not Alert.objects.exists()


def test_a_signature_over_timestamp_and_body():
    _, secret = make_integration(
        "grafana",
        hmac_secret="shared-key",
        hmac_timestamp_header="X-Grafana-Alerting-Signature-Timestamp",
    )
    body = json.dumps(grafana_payload()).encode()
    client = Client()
    now = str(int(time.time()))  # Grafana's: Unix seconds, within 5 minutes of ours

    good = client.post(
        URL,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_X_GRAFANA_ALERTING_SIGNATURE=sign(body, "shared-key", now),
        HTTP_X_GRAFANA_ALERTING_SIGNATURE_TIMESTAMP=now,
    )
    without_timestamp = client.post(
        URL,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_X_GRAFANA_ALERTING_SIGNATURE=sign(body, "shared-key"),
    )

    assert good.status_code == 200
    assert without_timestamp.status_code == 401
