"""Prometheus Alertmanager's webhook payload (version 4), also the base of Grafana's."""

import hashlib
import json

from incidents.ingest.types import (
    FIRING,
    RESOLVED,
    AlertGroup,
    IncomingAlert,
    PayloadError,
    optional_string,
    parse_time,
    require_mapping,
    string_map,
)

STATUSES = (FIRING, RESOLVED)


def parse(payload) -> list[AlertGroup]:
    errors: list[str] = []
    group = parse_group(payload, errors)
    if errors:
        raise PayloadError(errors)
    return [group]


def parse_group(payload, errors: list[str]) -> AlertGroup | None:
    if not isinstance(payload, dict):
        errors.append("the body must be a JSON object")
        return None
    group_key = payload.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        errors.append("groupKey: required, a non-empty string")
    status = payload.get("status")
    if status not in STATUSES:
        errors.append(f"status: required, one of {', '.join(STATUSES)}")
    raw_alerts = payload.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        errors.append("alerts: required, a non-empty list")
        raw_alerts = []
    common_labels = string_map(payload.get("commonLabels"), errors, "commonLabels")
    common_annotations = string_map(payload.get("commonAnnotations"), errors, "commonAnnotations")
    group_labels = string_map(payload.get("groupLabels"), errors, "groupLabels")
    alerts = [parse_alert(item, errors, f"alerts[{i}]") for i, item in enumerate(raw_alerts)]
    if errors:
        return None
    return AlertGroup(
        key=group_key,
        title=group_title(common_annotations, common_labels, group_labels),
        description=common_annotations.get("description", ""),
        alerts=alerts,
        resolved=status == RESOLVED,
    )


def parse_alert(item, errors: list[str], where: str) -> IncomingAlert | None:
    if not isinstance(item, dict):
        errors.append(f"{where}: expected an object")
        return None
    status = item.get("status")
    if status not in STATUSES:
        errors.append(f"{where}.status: required, one of {', '.join(STATUSES)}")
    labels = string_map(item.get("labels"), errors, f"{where}.labels")
    annotations = string_map(item.get("annotations"), errors, f"{where}.annotations")
    starts_at = parse_time(item.get("startsAt"), errors, f"{where}.startsAt")
    ends_at = parse_time(item.get("endsAt"), errors, f"{where}.endsAt")
    source_url = optional_string(item.get("generatorURL"), errors, f"{where}.generatorURL")
    fingerprint = optional_string(item.get("fingerprint"), errors, f"{where}.fingerprint")
    return IncomingAlert(
        fingerprint=(fingerprint or label_fingerprint(labels))[:255],
        status=status,
        summary=annotations.get("summary") or labels.get("alertname", ""),
        severity_value=labels.get("severity", ""),
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        source_url=source_url[:2000],
        raw=require_mapping(item, errors, where),
    )


def label_fingerprint(labels: dict) -> str:
    """A stable id from the labels, for senders that give none (as Alertmanager does)."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def group_title(annotations: dict, labels: dict, group_labels: dict) -> str:
    if annotations.get("summary"):
        return annotations["summary"]
    name = labels.get("alertname") or group_labels.get("alertname") or "Alert"
    detail = ", ".join(f"{k}={v}" for k, v in sorted(group_labels.items()) if k != "alertname")
    return f"{name} ({detail})" if detail else name
