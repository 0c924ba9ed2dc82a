from rest_framework import serializers

from core.api.fields import ModelSerializer
from core.api.representation import datetime_repr, datetime_writer
from incidents.models import Alert, ChangeEvent, Incident


class AlertSerializer(ModelSerializer):
    incident_reference = serializers.CharField(
        source="incident.reference", default=None, read_only=True
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "integration",
            "incident",
            "incident_reference",
            "fingerprint",
            "group_key",
            "status",
            "summary",
            "severity",
            "labels",
            "annotations",
            "starts_at",
            "ends_at",
            "source_url",
            "received_at",
        ]
        read_only_fields = fields


def alert_row_data(row: dict, iso=datetime_repr) -> dict:
    """``AlertSerializer``'s output for a row of ``selectors.alert_rows``, built
    directly (a test keeps the two equal); ``iso`` writes its times
    (``core.api.representation.datetime_writer()`` for a page)."""
    number = row["incident__number"]
    return {
        "id": row["id"],
        "integration": row["integration_id"],
        "incident": row["incident_id"],
        "incident_reference": None if number is None else f"{Incident.PREFIX}{number}",
        "fingerprint": row["fingerprint"],
        "group_key": row["group_key"],
        "status": row["status"],
        "summary": row["summary"],
        "severity": row["severity"],
        "labels": row["labels"],
        "annotations": row["annotations"],
        "starts_at": iso(row["starts_at"]),
        "ends_at": iso(row["ends_at"]),
        "source_url": row["source_url"],
        "received_at": iso(row["received_at"]),
    }


def alert_list_data(rows: list[dict]) -> list[dict]:
    iso = datetime_writer()
    return [alert_row_data(row, iso) for row in rows]


class ChangeEventSerializer(ModelSerializer):
    class Meta:
        model = ChangeEvent
        fields = [
            "id",
            "service",
            "integration",
            "summary",
            "source",
            "happened_at",
            "custom_details",
            "links",
            "received_at",
        ]
        read_only_fields = fields
