"""Grafana Alerting's webhook contact point: Alertmanager's shape plus title, message,
state and per-alert dashboard links and values."""

import hashlib
import hmac

from incidents.ingest import alertmanager
from incidents.ingest.types import AlertGroup, PayloadError


def parse(payload) -> list[AlertGroup]:
    errors: list[str] = []
    group = alertmanager.parse_group(payload, errors)
    if errors:
        raise PayloadError(errors)
    title = payload.get("title")
    if isinstance(title, str) and title.strip():
        # Grafana's title reads "[FIRING:2] HighErrorRate (checkout)": drop the count.
        title = title.split("] ", 1)[-1] if title.startswith("[") else title
        group = AlertGroup(
            key=group.key,
            title=title[:200],
            description=payload.get("message") or group.description,
            alerts=group.alerts,
            resolved=group.resolved,
        )
    return [group]


def signature_valid(*, body: bytes, secret: str, signature: str, timestamp: str | None) -> bool:
    """Grafana's ``X-Grafana-Alerting-Signature``: hex HMAC-SHA256 of the body, or of
    ``timestamp:body`` when a timestamp header is configured."""
    message = f"{timestamp}:".encode() + body if timestamp is not None else body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())
