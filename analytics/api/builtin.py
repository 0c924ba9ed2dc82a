"""The built-in metrics (``vigil_...``): what can be asked of trends, comparisons and
benchmarks without posting a single sample."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.builtin import builtin_list
from analytics.models import MetricSeries
from core.api.permissions import RoleModelPermissions


class BuiltinMetricSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    unit = serializers.CharField()
    higher_is_better = serializers.BooleanField()
    labels = serializers.ListField(
        child=serializers.CharField(), help_text="The label names it accepts."
    )


class BuiltinMetricsView(APIView):
    """Every built-in metric, by name: computed live from the platform's own data
    (incidents, alerts, pages, API usage, SLO evaluations). Use the name as `metric` in
    `/api/analytics/trends`, `/api/analytics/compare` and benchmarks. A short, fixed
    list: not paginated."""

    # Reading a metric is reading the metric store: view_metricseries (every role).
    permission_classes = [IsAuthenticated, RoleModelPermissions]
    queryset = MetricSeries.objects.none()

    @extend_schema(
        summary="List built-in metrics",
        responses=BuiltinMetricSerializer(many=True),
        tags=["analytics"],
    )
    def get(self, request):
        return Response(BuiltinMetricSerializer(builtin_list(), many=True).data)
