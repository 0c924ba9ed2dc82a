import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.fields import FilterBackend, FilterSet, ModelSerializer
from core.api.permissions import RoleModelPermissions, WorkPermission
from insights import selectors, services
from insights.models import Insight, InsightSeverity, InsightStatus


class InsightFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=InsightStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=InsightSeverity.choices)
    rule = django_filters.CharFilter(help_text="A rule's name, e.g. overdue_action_items.")
    service = django_filters.CharFilter(field_name="service__slug", help_text="Service slug.")

    class Meta:
        model = Insight
        fields = []


class EvidenceSerializer(serializers.Serializer):
    label = serializers.CharField()
    url = serializers.CharField()


class InsightSerializer(ModelSerializer):
    evidence = EvidenceSerializer(many=True)
    figures = serializers.DictField()
    service = serializers.CharField(source="service.slug", allow_null=True, default=None)

    class Meta:
        model = Insight
        fields = [
            "id",
            "rule",
            "title",
            "severity",
            "recommendation",
            "evidence",
            "figures",
            "service",
            "status",
            "first_seen",
            "last_seen",
            "resolved_at",
            "dismissed_at",
        ]
        read_only_fields = fields


GenerateResult = inline_serializer(
    "InsightsGenerated",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "resolved": serializers.IntegerField(),
        "insights": serializers.ListField(
            child=serializers.IntegerField(), help_text="Ids of the open insights."
        ),
    },
)


class InsightViewSet(viewsets.ReadOnlyModelViewSet):
    """What the insight rules found, with a recommendation and links to the evidence;
    regenerated hourly. A dismissed insight stays dismissed until its finding changes; one
    that no longer holds resolves itself."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = InsightSerializer
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = InsightFilter
    ordering_fields = ["last_seen", "first_seen", "severity"]
    ordering = ["status", "-last_seen"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.insight_list()

    @extend_schema(summary="Run the insight rules now", request=None, responses=GenerateResult)
    @action(detail=False, methods=["post"], permission_classes=[IsAuthenticated, WorkPermission])
    def generate(self, request):
        """Run every insight rule now instead of waiting for the hourly run: new findings
        open insights, changed ones update, those no longer found resolve. Answers the
        counts and the ids of the open insights."""
        return Response(services.insights_generate())

    @extend_schema(summary="Dismiss an insight", request=None, responses=InsightSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, WorkPermission])
    def dismiss(self, request, pk=None):
        """Dismiss an open insight: it stays dismissed until its finding changes. Answers
        the insight; dismissing one that is not open changes nothing."""
        insight = services.insight_dismiss(insight=self.get_object(), by=request.user)
        return Response(InsightSerializer(selectors.insight_list().get(pk=insight.pk)).data)
