"""Benchmarks: a metric's yardsticks (baseline, target, direction) with where it stands."""

from django.utils import timezone
from rest_framework import serializers, viewsets
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import IsAuthenticated

from analytics import services
from analytics.benchmarks import benchmark_evaluate
from analytics.models import Benchmark, BenchmarkStatus
from core.api.fields import FilterBackend, ModelSerializer, StrictCharField
from core.api.permissions import RoleModelPermissions


class BenchmarkWindowSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    value = serializers.FloatField(allow_null=True, help_text="Null: no samples in the window.")
    status = serializers.ChoiceField(choices=BenchmarkStatus.choices, allow_null=True)


class BenchmarkSerializer(ModelSerializer):
    """A benchmark and where its metric stands now and in the windows before."""

    labels = serializers.DictField(
        child=StrictCharField(),
        required=False,
        help_text='Label values selecting the series, e.g. {"service": "api"}.',
    )
    current = serializers.FloatField(
        source="evaluation.current",
        read_only=True,
        allow_null=True,
        help_text="The statistic over the last window_days; null: no data.",
    )
    status = serializers.ChoiceField(
        source="evaluation.status",
        choices=BenchmarkStatus.choices,
        read_only=True,
        allow_null=True,
        help_text="exceeds: at least as good as the target; meets: at least as good as the "
        "baseline; below: worse than the baseline (better is higher when higher_is_better).",
    )
    history = BenchmarkWindowSerializer(
        source="evaluation.history",
        many=True,
        read_only=True,
        help_text="The 8 windows before the current one, oldest first.",
    )

    class Meta:
        model = Benchmark
        fields = [
            "id",
            "name",
            "metric",
            "labels",
            "statistic",
            "window_days",
            "baseline",
            "target",
            "higher_is_better",
            "unit",
            "description",
            "current",
            "status",
            "history",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def to_representation(self, instance):
        # Figures are computed as the row is shown, all rows against the request's one
        # "now": one metric read per benchmark (benchmarks are a handful, not thousands).
        instance.evaluation = benchmark_evaluate(instance, now=self.context.get("now"))
        return super().to_representation(instance)


class BenchmarkViewSet(viewsets.ModelViewSet):
    """Benchmarks: each names a stored series or built-in metric (`vigil_...`, see
    `/api/analytics/metrics`), a statistic over a window, a baseline and a target, and
    answers `current`, `status` (`exceeds` / `meets` / `below`, null without data) and the
    8 windows before. Everyone reads; Managers create, change and delete."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = BenchmarkSerializer
    filter_backends = [FilterBackend, SearchFilter, OrderingFilter]
    filterset_fields = ["metric", "higher_is_better"]
    search_fields = ["name", "metric", "description"]
    ordering_fields = ["name", "metric", "created_at"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return Benchmark.objects.all()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def perform_create(self, serializer):
        serializer.instance = services.benchmark_create(**serializer.validated_data)

    def perform_update(self, serializer):
        services.benchmark_update(benchmark=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.benchmark_delete(benchmark=instance)
