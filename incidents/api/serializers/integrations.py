from rest_framework import serializers

from core.api.fields import ModelSerializer
from incidents.integration_config import integration_endpoint_url
from incidents.models import Integration


class IntegrationSerializer(ModelSerializer):
    endpoint_url = serializers.SerializerMethodField()

    class Meta:
        model = Integration
        fields = [
            "id",
            "service",
            "kind",
            "name",
            "enabled",
            "severity_mapping",
            "auto_resolve",
            "hmac_secret",
            "hmac_timestamp_header",
            "secret_prefix",
            "last_received_at",
            "created_at",
            "endpoint_url",
        ]
        read_only_fields = ["id", "secret_prefix", "last_received_at", "created_at", "endpoint_url"]
        extra_kwargs = {"hmac_secret": {"write_only": True}}

    def get_endpoint_url(self, integration) -> str:
        return integration_endpoint_url(integration)


class IntegrationIssuedSerializer(IntegrationSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown only in this response.")

    class Meta(IntegrationSerializer.Meta):
        fields = [*IntegrationSerializer.Meta.fields, "secret"]
