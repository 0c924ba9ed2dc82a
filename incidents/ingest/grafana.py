"""Grafana Alerting's webhook contact point: Alertmanager's shape plus title, message,
state and per-alert dashboard links and values."""

import hashlib
import hmac
import time

from django.core.cache import cache

from incidents.ingest import alertmanager
from incidents.ingest.types import AlertGroup, PayloadError, optional_string

MAX_TITLE = 200


def parse(payload) -> list[AlertGroup]:
    errors: list[str] = []
    group = alertmanager.parse_group(payload, errors)
    title = message = ""
    if isinstance(payload, dict):
        title = optional_string(payload.get("title"), errors, "title")
        message = optional_string(payload.get("message"), errors, "message")
    if errors:
        raise PayloadError(errors)
    if title.strip():
        # Grafana's title reads "[FIRING:2] HighErrorRate (checkout)": drop the count.
        title = title.split("] ", 1)[-1] if title.startswith("[") else title
        group = AlertGroup(
            key=group.key,
            title=title[:MAX_TITLE],
            description=message or group.description,
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


def timestamp_fresh(timestamp: str, *, max_age: int, now: float | None = None) -> bool:
    """Whether a signature's timestamp is within ``max_age`` seconds of now, either way
    (clocks differ a little). Grafana sends Unix seconds, as a decimal integer
    (``strconv.FormatInt(time.Now().Unix(), 10)`` in its HMAC round tripper)."""
    value = timestamp.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return False
    now = time.time() if now is None else now
    return abs(now - int(value)) <= max_age


def replay_claim(integration_id: int, signature: str, *, max_age: int):
    """Record that this signature was received; None when it already was. Returns the
    function that forgets it again (for a delivery that was not stored after all, so
    that the sender may retry it).

    The record outlives every moment at which the timestamp is still fresh (it may be
    up to ``max_age`` ahead of our clock), and is shared by every web process (the
    project's cache: Redis, or the file cache on one machine)."""
    key = f"ingest:grafana:signature:{integration_id}:{signature.strip().lower()}"
    if not cache.add(key, 1, timeout=2 * max_age + 60):
        return None
    return lambda: cache.delete(key)
