from rest_framework import serializers

from core.api.fields import ModelSerializer
from incidents.models import Alert, ChangeEvent


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
