"""Anomalies found in metric series: listed, acknowledged, and scanned for on demand."""

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors, services
from analytics.models import Anomaly, AnomalyMethod, AnomalySeverity, MetricSeries
from core.api.fields import (
    FilterBackend,
    FilterSet,
    IsoDateTimeFilter,
    ModelSerializer,
    StrictBooleanFilter,
    StrictCharField,
)
from core.api.permissions import RoleModelPermissions, WorkPermission
from core.errors import InvalidInput


class AnomalyFilter(FilterSet):
    metric = django_filters.CharFilter(field_name="series__name", help_text="Series name.")
    since = IsoDateTimeFilter(
        field_name="timestamp", lookup_expr="gte", help_text="Anomalies at or after (ISO-8601)."
    )
    severity = django_filters.MultipleChoiceFilter(choices=AnomalySeverity.choices)
    method = django_filters.MultipleChoiceFilter(choices=AnomalyMethod.choices)
    acknowledged = StrictBooleanFilter(
        field_name="acknowledged_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Anomaly
        fields = []


class AnomalySerializer(ModelSerializer):
    metric = serializers.CharField(source="series.name")
    labels = serializers.DictField(source="series.labels", child=serializers.CharField())
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", allow_null=True, default=None
    )
    incident = serializers.IntegerField(source="incident_id", allow_null=True)

    class Meta:
        model = Anomaly
        fields = [
            "id",
            "series",
            "metric",
            "labels",
            "timestamp",
            "value",
            "expected",
            "score",
            "method",
            "severity",
            "detected_at",
            "acknowledged_at",
            "acknowledged_by",
            "incident",
        ]
        read_only_fields = fields


class AnomalyViewSet(viewsets.ReadOnlyModelViewSet):
    """Anomalies found in metric series, newest first: each point once per method, with
    the value expected there and a score (about "how many standard deviations").
    High and critical ones that are bad news for the series (a fall when higher is better,
    a rise otherwise) open an incident (source `anomaly`) on the series' service."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = AnomalySerializer
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = AnomalyFilter
    ordering_fields = ["timestamp", "score", "detected_at"]
    ordering = ["-timestamp", "-score"]

    def get_queryset(self):
        return selectors.anomaly_list()

    @extend_schema(summary="Acknowledge an anomaly", request=None, responses=AnomalySerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, WorkPermission])
    def acknowledge(self, request, pk=None):
        """Mark the anomaly as seen (by whom, and when). Answers the anomaly;
        acknowledging it again changes nothing."""
        anomaly = services.anomaly_acknowledge(anomaly=self.get_object(), by=request.user)
        return Response(AnomalySerializer(selectors.anomaly_list().get(pk=anomaly.pk)).data)


class ScanRequestSerializer(serializers.Serializer):
    metric = StrictCharField(required=False, max_length=200, help_text="One series name.")


class AnomalyScanView(APIView):
    """Scan now (every series, or those of one `metric`) instead of waiting for beat;
    answers the anomalies found among the samples stored since the last scan."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    queryset = Anomaly.objects.none()  # add_anomaly: Managers

    @extend_schema(
        summary="Scan metric series for anomalies now",
        request=ScanRequestSerializer,
        responses=inline_serializer(
            "AnomalyScanResult",
            {
                "series_scanned": serializers.IntegerField(),
                "anomalies": AnomalySerializer(many=True),
            },
        ),
        tags=["analytics"],
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise InvalidInput('Send a JSON object, e.g. {} or {"metric": "orders"}.')
        serializer = ScanRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        metric = serializer.validated_data.get("metric")
        series_ids = None
        if metric is not None:
            series_ids = list(MetricSeries.objects.filter(name=metric).values_list("pk", flat=True))
            if not series_ids:
                raise InvalidInput(
                    f"No series named {metric}.", fields={"metric": ["No such series."]}
                )
        result = services.anomalies_scan(series_ids=series_ids)
        anomalies = selectors.anomaly_list().filter(pk__in=[a.pk for a in result["anomalies"]])
        return Response(
            {
                "series_scanned": result["series_scanned"],
                "anomalies": AnomalySerializer(anomalies, many=True).data,
            }
        )
