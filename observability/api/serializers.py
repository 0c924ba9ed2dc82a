from datetime import timedelta

from rest_framework import serializers

from catalog.api.serializers import ServiceRefSerializer
from catalog.models import Service
from core.api.fields import ModelSerializer
from observability.models import SLO, SLOEvaluation, SLOState
from observability.services import MAX_EVENTS
from observability.slo_math import BURN_WINDOWS


class SLOSerializer(ModelSerializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all())
    service_detail = ServiceRefSerializer(source="service", read_only=True)

    class Meta:
        model = SLO
        fields = [
            "id",
            "service",
            "service_detail",
            "name",
            "description",
            "target",
            "window",
            "budgeting_method",
            "slice_minutes",
            "slice_target",
            "sli_kind",
            "latency_threshold_ms",
            "source",
            "prometheus_url",
            "good_query",
            "total_query",
            "min_events_per_hour",
            "alerting",
            "page_severity",
            "ticket_severity",
            "runbook_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class SLOEventSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField(help_text="ISO-8601; counted in its minute, rounded up.")
    good = serializers.IntegerField(min_value=-(2**62), max_value=2**62)
    total = serializers.IntegerField(min_value=-(2**62), max_value=2**62)


class SLOEventsSerializer(serializers.Serializer):
    events = SLOEventSerializer(many=True, allow_empty=False, max_length=MAX_EVENTS)


class SLOEventsResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    minutes = serializers.IntegerField(help_text="Distinct minute buckets written to.")


class ErrorBudgetSerializer(serializers.Serializer):
    remaining_ratio = serializers.FloatField(allow_null=True)
    remaining_events = serializers.FloatField(allow_null=True)
    exhausted_at = serializers.DateTimeField(
        allow_null=True, help_text="When the budget runs out at the current 1h burn rate."
    )


class BurnRatesSerializer(serializers.Serializer):
    def get_fields(self):
        return {key: serializers.FloatField(allow_null=True) for key in BURN_WINDOWS}


class AlertsSerializer(serializers.Serializer):
    page = serializers.BooleanField()
    ticket = serializers.BooleanField()


class SLOStatusSerializer(serializers.Serializer):
    slo = serializers.IntegerField()
    at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=SLOState.choices)
    reason = serializers.CharField(allow_null=True)
    sli = serializers.FloatField(allow_null=True)
    good = serializers.FloatField()
    total = serializers.FloatField()
    error_budget = ErrorBudgetSerializer()
    burn_rates = BurnRatesSerializer()
    alerts = AlertsSerializer()


class StatusQuerySerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, help_text="Default: now.")


class HistoryQuerySerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["end must be after start."]})
        if attrs["end"] - attrs["start"] > timedelta(days=93):
            raise serializers.ValidationError({"end": ["At most 93 days at a time."]})
        return attrs


class SLOEvaluationSerializer(ModelSerializer):
    burn_rates = BurnRatesSerializer()

    class Meta:
        model = SLOEvaluation
        fields = [
            "at",
            "state",
            "reason",
            "sli",
            "good",
            "total",
            "budget_remaining",
            "burn_rates",
            "page",
            "ticket",
        ]
        read_only_fields = fields


class ProductionSLOSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    service = ServiceRefSerializer()
    target = serializers.DecimalField(max_digits=7, decimal_places=4)
    window = serializers.CharField()
    state = serializers.ChoiceField(choices=SLOState.choices)
    evaluated_at = serializers.DateTimeField(allow_null=True)
    sli = serializers.FloatField(allow_null=True)
    budget_remaining = serializers.FloatField(allow_null=True)
    burn_rates = BurnRatesSerializer()
