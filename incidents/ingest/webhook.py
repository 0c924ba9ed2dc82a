"""The generic webhook format, for scripts and tools without a format of their own.

One event, or ``{"alerts": [event, ...]}``::

    {
      "title": "Checkout error rate above 5%",        required
      "status": "firing" | "resolved",                 default "firing"
      "dedup_key": "checkout-5xx",                     required when resolved; events with
                                                       the same key join one incident
      "severity": "critical" | "high" | "medium" | "low" | "SEV1".."SEV4",
      "summary": "Longer text shown on the incident",
      "labels": {"env": "prod"}, "annotations": {"runbook_url": "https://..."},
      "links": [{"href": "https://...", "text": "Dashboard"}],
      "starts_at": "2026-11-27T02:06:32Z"
    }
"""

import hashlib

from incidents.ingest.types import (
    FIRING,
    RESOLVED,
    AlertGroup,
    IncomingAlert,
    PayloadError,
    optional_string,
    parse_time,
    string_map,
)

MAX_EVENTS = 1000
SEVERITY_WORDS = {"SEV1": "critical", "SEV2": "high", "SEV3": "medium", "SEV4": "low"}


def parse(payload) -> list[AlertGroup]:
    errors: list[str] = []
    if isinstance(payload, dict) and "alerts" in payload:
        events = payload["alerts"]
        if not isinstance(events, list) or not events:
            raise PayloadError(["alerts: expected a non-empty list of events"])
        if len(events) > MAX_EVENTS:
            raise PayloadError([f"alerts: at most {MAX_EVENTS} events per request"])
        prefixes = [f"alerts[{i}]." for i in range(len(events))]
    else:
        events, prefixes = [payload], [""]
    parsed = [_event(event, errors, prefix) for event, prefix in zip(events, prefixes, strict=True)]
    if errors:
        raise PayloadError(errors)
    # Events with one dedup key in one request are one group, in the order sent.
    groups: dict[str, list] = {}
    for key, title, summary, alert in parsed:
        groups.setdefault(key, []).append((title, summary, alert))
    return [
        AlertGroup(
            key=key,
            title=items[0][0],
            description=items[0][1],
            alerts=[alert for _, _, alert in items],
            resolved=items[-1][2].status == RESOLVED,
        )
        for key, items in groups.items()
    ]


def _event(event, errors, where):
    if not isinstance(event, dict):
        errors.append(f"{where or 'body'}: expected a JSON object")
        return None, None, None, None
    title = event.get("title")
    if not isinstance(title, str) or not title.strip():
        errors.append(f"{where}title: required, a non-empty string")
        title = ""
    status = event.get("status", FIRING)
    if status not in (FIRING, RESOLVED):
        errors.append(f"{where}status: one of firing, resolved")
    dedup_key = event.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
        errors.append(f"{where}dedup_key: a string of at most 255 characters")
        dedup_key = None
    if status == RESOLVED and not dedup_key:
        errors.append(f"{where}dedup_key: required to resolve")
    severity = event.get("severity", "")
    if not isinstance(severity, str):
        errors.append(f"{where}severity: expected a string")
        severity = ""
    labels = string_map(event.get("labels"), errors, f"{where}labels")
    annotations = string_map(event.get("annotations"), errors, f"{where}annotations")
    links = parse_links(event.get("links"), errors, f"{where}links")
    starts_at = parse_time(event.get("starts_at"), errors, f"{where}starts_at")
    summary = optional_string(event.get("summary"), errors, f"{where}summary")
    key = dedup_key or "title:" + hashlib.sha256(title.encode()).hexdigest()[:32]
    for i, link in enumerate(links):
        annotations.setdefault(f"link:{link['text'] or i}", link["href"])
    alert = IncomingAlert(
        fingerprint=key,
        status=status,
        summary=title,
        severity_value=SEVERITY_WORDS.get(severity.upper(), severity),
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        source_url=links[0]["href"][:2000] if links else "",
        raw=event,
    )
    return key, title[:200], summary, alert


def parse_links(value, errors: list[str], where: str) -> list[dict]:
    """``[{"href": ..., "text": ...}]``, both strings (absent or null: "")."""
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f"{where}: expected a list of {{href, text}} objects")
        return []
    links = []
    for i, link in enumerate(value):
        if not isinstance(link, dict):
            errors.append(f"{where}[{i}]: expected an object with href and text")
            continue
        links.append(
            {
                "href": optional_string(link.get("href"), errors, f"{where}[{i}].href"),
                "text": optional_string(link.get("text"), errors, f"{where}[{i}].text"),
            }
        )
    return links
