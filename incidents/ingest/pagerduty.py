"""PagerDuty Events API v2: alert events (``/v2/enqueue``) and change events
(``/v2/change/enqueue``)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from incidents.ingest.types import (
    FIRING,
    RESOLVED,
    AlertGroup,
    IncomingAlert,
    PayloadError,
    parse_time,
)

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024


def routing_key(payload, header: str | None) -> str | None:
    """The integration key: in the body, or (as some clients send it) in X-Routing-Key."""
    key = payload.get("routing_key") if isinstance(payload, dict) else None
    return key if isinstance(key, str) and key else header


def parse_event(payload) -> AlertGroup:
    """One event as one group; a trigger without a dedup key gets a new one."""
    errors: list[str] = []
    if not isinstance(payload, dict):
        raise PayloadError(["Event object is invalid"])
    action = payload.get("event_action")
    if action not in ACTIONS:
        errors.append(f"'event_action' is missing or invalid (one of {', '.join(ACTIONS)})")
    dedup_key = payload.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string")
        dedup_key = None
    if dedup_key and len(dedup_key) > MAX_DEDUP_KEY:
        errors.append(f"'dedup_key' is longer than {MAX_DEDUP_KEY} characters")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append(f"'dedup_key' is required for {action} events")
    body = payload.get("payload")
    if action == "trigger":
        body = _trigger_payload(body, errors)
    else:
        body = body if isinstance(body, dict) else {}
    if errors:
        raise PayloadError(errors)

    dedup_key = dedup_key or uuid.uuid4().hex
    links = [link for link in payload.get("links") or [] if isinstance(link, dict)]
    summary = body.get("summary") or f"{action} event"
    alert = IncomingAlert(
        fingerprint=dedup_key,
        status=RESOLVED if action == "resolve" else FIRING,
        summary=summary,
        severity_value=body.get("severity", ""),
        labels={
            key: str(body[key])
            for key in ("source", "component", "group", "class")
            if body.get(key)
        },
        annotations={
            **{f"link:{i}": str(link.get("href", "")) for i, link in enumerate(links)},
            **({"client": str(payload["client"])} if payload.get("client") else {}),
        },
        starts_at=body.get("_timestamp"),
        source_url=str(payload.get("client_url") or "")[:2000],
        raw=payload,
    )
    return AlertGroup(
        key=dedup_key,
        title=summary[:200],
        description=_details(body.get("custom_details")),
        alerts=[alert],
        resolved=action == "resolve",
        acknowledge=action == "acknowledge",
    )


def _trigger_payload(body, errors) -> dict:
    if not isinstance(body, dict):
        errors.append("'payload' is missing or not an object")
        return {}
    summary = body.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("'payload.summary' is missing")
    elif len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is longer than {MAX_SUMMARY} characters")
    if not isinstance(body.get("source"), str) or not body.get("source"):
        errors.append("'payload.source' is missing")
    if body.get("severity") not in SEVERITIES:
        errors.append(f"'payload.severity' is missing or invalid (one of {', '.join(SEVERITIES)})")
    timestamp = parse_time(body.get("timestamp"), errors, "'payload.timestamp'")
    details = body.get("custom_details")
    if details is not None and not isinstance(details, (dict, str)):
        errors.append("'payload.custom_details' must be an object or a string")
    return {**body, "_timestamp": timestamp}


def _details(details) -> str:
    if isinstance(details, dict):
        return "\n".join(f"{key}: {value}" for key, value in details.items())
    return str(details) if details else ""


@dataclass(frozen=True)
class ChangeEventData:
    summary: str
    source: str
    happened_at: datetime
    custom_details: dict
    links: list


def parse_change(payload) -> ChangeEventData:
    errors: list[str] = []
    if not isinstance(payload, dict):
        raise PayloadError(["Event object is invalid"])
    body = payload.get("payload")
    if not isinstance(body, dict):
        raise PayloadError(["'payload' is missing or not an object"])
    summary = body.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("'payload.summary' is missing")
    elif len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is longer than {MAX_SUMMARY} characters")
    happened_at = parse_time(body.get("timestamp"), errors, "'payload.timestamp'")
    details = body.get("custom_details")
    links = payload.get("links") or []
    if not isinstance(links, list):
        errors.append("'links' must be a list")
    if errors:
        raise PayloadError(errors)
    return ChangeEventData(
        summary=summary,
        source=str(body.get("source") or "")[:255],
        happened_at=happened_at or timezone.now(),
        custom_details=details if isinstance(details, dict) else {},
        links=[link for link in links if isinstance(link, dict)],
    )
