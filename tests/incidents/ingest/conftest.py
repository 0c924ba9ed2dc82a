import copy
import json
from pathlib import Path

import pytest

# Payloads captured from a real Alertmanager 0.25 (copied here so the suite stands alone).
FORMATS = Path(__file__).resolve().parents[2] / "fixtures"


def captured(name: str) -> dict:
    return json.loads((FORMATS / "alertmanager" / name).read_text())


@pytest.fixture
def alertmanager_payloads():
    return [
        captured(name)
        for name in (
            "01-two-firing.json",
            "02-one-resolved-one-firing.json",
            "03-group-resolved.json",
        )
    ]


def many_alerts(count: int, group_key='{}:{alertname="Load"}') -> dict:
    """An Alertmanager delivery of ``count`` firing alerts in one group."""
    base = captured("01-two-firing.json")
    template = base["alerts"][0]
    alerts = []
    for i in range(count):
        alert = copy.deepcopy(template)
        alert["labels"]["instance"] = f"web-{i}"
        alert["fingerprint"] = f"fp{i:06d}"
        alerts.append(alert)
    return {**base, "groupKey": group_key, "alerts": alerts}
