from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import services
from analytics.models import MetricSample, MetricSeries, MetricSource
from core.api.fields import FilterBackend, ModelSerializer, StrictBooleanField
from core.api.parsers import JSONParser, PayloadTooLarge
from core.api.permissions import RoleModelPermissions, WorkPermission
from core.errors import InvalidInput


class PrometheusTextParser(parsers.BaseParser):
    """The Prometheus text exposition format, as text (parsed by the service)."""

    media_type = "text/plain"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES * 8
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit // 1024} KiB.")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput("The body is not UTF-8 text.") from error


class SampleSerializer(serializers.Serializer):
    metric = serializers.CharField(help_text="e.g. orders_completed")
    labels = serializers.DictField(child=serializers.CharField(), required=False)
    timestamp = serializers.CharField(help_text="ISO-8601 with offset, or Unix seconds.")
    value = serializers.FloatField()


SamplesResult = inline_serializer(
    "MetricSamplesResult",
    {
        "accepted": serializers.IntegerField(),
        "rejected": serializers.IntegerField(),
        "series_created": serializers.IntegerField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)


class MetricSamplesView(APIView):
    """Add samples: JSON `{"samples": [{"metric", "labels", "timestamp", "value"}, ...]}`
    (up to 10,000) or the Prometheus text format (`Content-Type: text/plain`). A series
    is created by its first sample; a repeated (series, timestamp) replaces the value.
    Bad rows (NaN, infinite, unparseable time, missing name) are named by index with a
    400 and nothing is written, unless `?partial=true` (the valid ones are stored)."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    parser_classes = [JSONParser, PrometheusTextParser]
    queryset = MetricSample.objects.none()  # for the model permissions: add_metricsample

    @property
    def max_body_bytes(self):
        # 10,000 samples with labels and ISO timestamps are about 1 MB of JSON.
        return 4 * 1024 * 1024

    # NaN and Infinity are parsed, then refused by row (with the row's index).
    json_non_finite = True

    @extend_schema(
        request={
            "application/json": inline_serializer(
                "MetricSamples", {"samples": SampleSerializer(many=True)}
            ),
            "text/plain": OpenApiTypes.STR,
        },
        parameters=[
            OpenApiParameter("partial", bool, description="true: store the valid rows anyway.")
        ],
        responses={201: SamplesResult},
        tags=["metrics"],
        summary="Record metric samples",
    )
    def post(self, request):
        partial = bool(
            StrictBooleanField(required=False).clean(request.query_params.get("partial", ""))
        )
        if isinstance(request.data, str):
            rows = services.prometheus_text_rows(request.data)
            if not rows:
                raise InvalidInput("The text holds no samples.")
        else:
            # Rows are checked one by one by the service (and named by index); here only
            # the envelope. (A serializer would refuse a NaN before it could say where.)
            rows = request.data.get("samples") if isinstance(request.data, dict) else None
            if not isinstance(rows, list) or not rows:
                raise InvalidInput(
                    'Send {"samples": [...]} with at least one sample.',
                    fields={"samples": ["A non-empty list of samples."]},
                )
            if len(rows) > services.MAX_SAMPLES:
                raise InvalidInput(
                    f"At most {services.MAX_SAMPLES} samples a request.",
                    fields={"samples": [f"At most {services.MAX_SAMPLES} samples."]},
                )
        result = services.samples_record(rows=rows, partial=partial)
        return Response(result, status=status.HTTP_201_CREATED)


class MetricSeriesSerializer(ModelSerializer):
    class Meta:
        model = MetricSeries
        fields = ["id", "name", "labels", "unit", "description", "higher_is_better", "created_at"]
        read_only_fields = ["id", "name", "labels", "created_at"]


class MetricSeriesViewSet(viewsets.ModelViewSet):
    """Metric series: created by their first sample; Managers may describe them (unit,
    description, whether higher is better) and delete them with their samples."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = MetricSeriesSerializer
    filter_backends = [FilterBackend, SearchFilter, OrderingFilter]
    filterset_fields = ["name"]
    search_fields = ["name", "description"]
    ordering = ["name", "labels_key"]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return MetricSeries.objects.all()

    def perform_update(self, serializer):
        services.series_update(series=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.series_delete(series=instance)


class MetricSourceSerializer(ModelSerializer):
    class Meta:
        model = MetricSource
        fields = [
            "id",
            "name",
            "query",
            "metric",
            "prometheus_url",
            "step_seconds",
            "every_minutes",
            "enabled",
            "pulled_through",
            "last_pulled_at",
            "last_error",
            "created_at",
        ]
        read_only_fields = ["id", "pulled_through", "last_pulled_at", "last_error", "created_at"]


PullResult = inline_serializer(
    "MetricSourcePullResult",
    {
        "samples": serializers.IntegerField(help_text="Samples stored."),
        "error": serializers.CharField(allow_null=True),
    },
)


class MetricSourceViewSet(viewsets.ModelViewSet):
    """PromQL queries pulled from Prometheus on a schedule into a series (`metric`, with
    each result's labels). Everyone reads; Managers configure them and pull one now."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = MetricSourceSerializer
    filter_backends = [FilterBackend, SearchFilter, OrderingFilter]
    filterset_fields = ["enabled", "metric"]
    search_fields = ["name", "metric", "query"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return MetricSource.objects.all()

    def perform_create(self, serializer):
        serializer.instance = services.source_create(**serializer.validated_data)

    def perform_update(self, serializer):
        services.source_update(source=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.source_delete(source=instance)

    @extend_schema(
        summary="Pull a metric source now", request=None, responses=PullResult, tags=["metrics"]
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, WorkPermission])
    def pull(self, request, pk=None):
        """Pull what came since the last pull, now; a failure is answered (and kept on
        the source as `last_error`), not raised."""
        return Response(services.source_pull(source=self.get_object()))
