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
    if not isinstance(action, str) or action not in ACTIONS:
        errors.append(f"'event_action' is missing or invalid (one of {', '.join(ACTIONS)})")
        action = None
    dedup_key = payload.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string")
        dedup_key = None
    if dedup_key and len(dedup_key) > MAX_DEDUP_KEY:
        errors.append(f"'dedup_key' is longer than {MAX_DEDUP_KEY} characters")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append(f"'dedup_key' is required for {action} events")
    # Acknowledge and resolve events need no payload, but what they carry must still be
    # of the types the Events API gives it.
    body = _event_payload(payload.get("payload"), errors, required=action == "trigger")
    links = _links(payload.get("links"), errors)
    client = _string(payload, "client", errors) or ""
    client_url = _string(payload, "client_url", errors) or ""
    if errors:
        raise PayloadError(errors)

    dedup_key = dedup_key or uuid.uuid4().hex
    summary = body["summary"] or f"{action} event"
    alert = IncomingAlert(
        fingerprint=dedup_key,
        status=RESOLVED if action == "resolve" else FIRING,
        summary=summary,
        severity_value=body["severity"],
        labels={key: body[key] for key in LABEL_FIELDS if body[key]},
        annotations={
            **{f"link:{i}": link["href"] for i, link in enumerate(links)},
            **({"client": client} if client else {}),
        },
        starts_at=body["timestamp"],
        source_url=client_url[:2000],
        # The routing key is the integration's secret: never stored, never shown.
        raw={key: value for key, value in payload.items() if key != "routing_key"},
    )
    return AlertGroup(
        key=dedup_key,
        title=summary[:200],
        description=_details(body["custom_details"]),
        alerts=[alert],
        resolved=action == "resolve",
        acknowledge=action == "acknowledge",
    )


LABEL_FIELDS = ("source", "component", "group", "class")


def _event_payload(body, errors, *, required: bool) -> dict:
    """The event's ``payload``, its fields checked: all of them strings (custom_details
    an object or a string), and for a trigger, summary, source and severity given."""
    if body is None and not required:
        body = {}
    if not isinstance(body, dict):
        errors.append("'payload' is missing or not an object")
        body = {}
    fields = {
        name: _string(body, name, errors, "payload.")
        for name in ("summary", "severity", *LABEL_FIELDS)
    }
    # A field of the wrong type is reported once, as such (its value is None here).
    summary = fields["summary"]
    if summary is not None and len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is longer than {MAX_SUMMARY} characters")
    if required and summary is not None and not summary.strip():
        errors.append("'payload.summary' is missing")
    if required and fields["source"] == "":
        errors.append("'payload.source' is missing")
    if required and fields["severity"] is not None and fields["severity"] not in SEVERITIES:
        errors.append(f"'payload.severity' is missing or invalid (one of {', '.join(SEVERITIES)})")
    fields = {name: value or "" for name, value in fields.items()}
    fields["timestamp"] = parse_time(body.get("timestamp"), errors, "'payload.timestamp'")
    details = body.get("custom_details")
    if details is not None and not isinstance(details, (dict, str)):
        errors.append("'payload.custom_details' must be an object or a string")
        details = None
    fields["custom_details"] = details
    return fields


def _string(body: dict, name: str, errors: list[str], prefix: str = "") -> str | None:
    """The string field ``name``: "" when absent or null, None (and an error) when it
    is not a string."""
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(f"'{prefix}{name}' must be a string")
        return None
    return value


def _links(value, errors: list[str]) -> list[dict]:
    """``links``: a list of ``{"href": ..., "text": ...}``, both strings."""
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append("'links' must be a list")
        return []
    links = []
    for i, link in enumerate(value):
        if not isinstance(link, dict):
            errors.append(f"'links[{i}]' must be an object")
            continue
        links.append(
            {
                "href": _string(link, "href", errors, f"links[{i}].") or "",
                "text": _string(link, "text", errors, f"links[{i}].") or "",
            }
        )
    return links


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
    summary = _string(body, "summary", errors, "payload.")
    if summary is not None and not summary.strip():
        errors.append("'payload.summary' is missing")
    elif summary is not None and len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is longer than {MAX_SUMMARY} characters")
    source = _string(body, "source", errors, "payload.") or ""
    happened_at = parse_time(body.get("timestamp"), errors, "'payload.timestamp'")
    details = body.get("custom_details")
    if details is not None and not isinstance(details, (dict, str)):
        errors.append("'payload.custom_details' must be an object or a string")
    links = _links(payload.get("links"), errors)
    if errors:
        raise PayloadError(errors)
    return ChangeEventData(
        summary=summary,
        source=source[:255],
        happened_at=happened_at or timezone.now(),
        custom_details=(
            details if isinstance(details, dict) else {"details": details} if details else {}
        ),
        links=links,
    )
