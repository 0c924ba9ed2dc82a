from rest_framework import serializers

from catalog.api.serializers import ServiceSerializer as CatalogServiceSerializer
from incidents.models import EscalationPolicy


class ServiceSerializer(CatalogServiceSerializer):
    """A catalogue service with what the incidents app knows of it."""

    escalation_policy = serializers.PrimaryKeyRelatedField(
        queryset=EscalationPolicy.objects.all(),
        required=False,
        allow_null=True,
        help_text="The default policy; per-severity rules (/api/escalation-rules) may name "
        "another.",
    )
    open_incidents = serializers.IntegerField(read_only=True)

    class Meta(CatalogServiceSerializer.Meta):
        fields = [*CatalogServiceSerializer.Meta.fields, "escalation_policy", "open_incidents"]
        read_only_fields = [*CatalogServiceSerializer.Meta.read_only_fields, "open_incidents"]

    def to_representation(self, service):
        data = super().to_representation(service)
        data["escalation_policy"] = getattr(service, "default_policy_id", None)
        return data
