from django.db.models import Count
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.fields import FilterBackend
from core.api.permissions import RoleModelPermissions, WorkPermission
from core.health import run_checks
from incidents.models import Incident, IncidentSeverity
from incidents.models.incidents import OPEN_STATUSES
from observability import selectors, services
from observability.api import serializers as s


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class SLOViewSet(viewsets.ModelViewSet):
    """Service level objectives: a target share of good events over a window, measured
    from events posted here (`POST /api/slos/{id}/events`) or from Prometheus. Each is
    evaluated every minute; burn-rate alerts open incidents (source `slo`) through the
    service's escalation. Viewers read; Managers configure and post events."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.SLOSerializer
    filter_backends = [FilterBackend, SearchFilter, OrderingFilter]
    filterset_fields = ["service", "window", "source", "alerting"]
    search_fields = ["name", "description", "service__name"]
    ordering_fields = ["name", "target", "created_at"]
    ordering = ["service__name", "name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.slo_list()

    @property
    def max_body_bytes(self):
        # 10,000 events with ISO timestamps are about 700 KB of JSON.
        return 4 * 1024 * 1024 if getattr(self, "action", None) == "events" else None

    def perform_create(self, serializer):
        slo = services.slo_create(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=slo.pk)

    def perform_update(self, serializer):
        services.slo_update(slo=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.slo_delete(slo=instance)

    @extend_schema(
        summary="Get an SLO's status",
        parameters=[s.StatusQuerySerializer],
        responses=s.SLOStatusSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def status(self, request, pk=None):
        """The SLO's figures at `at` (default now): SLI over its window, error budget,
        burn rates, state and which alerts fire. Computed now, stored nowhere."""
        slo = self.get_object()
        query = _query(s.StatusQuerySerializer, request)
        result = services.slo_status(slo, query.get("at"))
        return Response(s.SLOStatusSerializer(result.as_dict(slo.pk)).data)

    @extend_schema(
        summary="List an SLO's evaluations",
        parameters=[s.HistoryQuerySerializer],
        responses=s.SLOEvaluationSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """The stored evaluations (one a minute) between `start` and `end` (93 days at
        most), in one list; 400 for a longer or reversed range."""
        slo = self.get_object()
        query = _query(s.HistoryQuerySerializer, request)
        rows = selectors.slo_history(slo, start=query["start"], end=query["end"])
        return Response(s.SLOEvaluationSerializer(rows, many=True).data)

    @extend_schema(
        summary="Record an SLO's events",
        request=s.SLOEventsSerializer,
        responses={201: s.SLOEventsResultSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, WorkPermission],
        pagination_class=None,
        filter_backends=[],
    )
    def events(self, request, pk=None):
        """Add good/total counts (up to 10,000 events). Each timestamp counts in its
        minute rounded up; posts to one minute add up. Negative counts, good > total,
        timestamps older than the retention or over 5 minutes ahead are named by index
        in a 400, and then nothing is written."""
        slo = self.get_object()
        serializer = s.SLOEventsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.slo_events_record(slo=slo, events=serializer.validated_data["events"])
        return Response(result, status=status.HTTP_201_CREATED)


class ProductionSLOView(APIView):
    """Every SLO with its latest evaluation: state, SLI, budget remaining, burn rates."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="List SLOs with their latest state",
        responses=s.ProductionSLOSerializer(many=True),
        tags=["production"],
    )
    def get(self, request):
        return Response(s.ProductionSLOSerializer(_slo_rows(), many=True).data)


def _slo_rows() -> list[dict]:
    slos = list(selectors.slo_list())
    latest = selectors.slo_latest_evaluations(slos)
    rows = []
    for slo in slos:
        evaluation = latest.get(slo.pk)
        rows.append(
            {
                "id": slo.pk,
                "name": slo.name,
                "service": slo.service,
                "target": slo.target,
                "window": slo.window,
                "state": evaluation.state if evaluation else "unknown",
                "evaluated_at": evaluation.at if evaluation else None,
                "sli": evaluation.sli if evaluation else None,
                "budget_remaining": evaluation.budget_remaining if evaluation else None,
                "burn_rates": evaluation.burn_rates if evaluation else {},
            }
        )
    return rows


class ProductionStatusView(APIView):
    """The platform at a glance: its readiness checks, open incidents by severity and a
    summary of SLO states."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Get the platform's status",
        tags=["production"],
        responses=inline_serializer(
            "ProductionStatus",
            {
                "status": serializers.ChoiceField(choices=["ok", "fail"]),
                "checks": serializers.DictField(child=serializers.DictField()),
                "open_incidents": serializers.DictField(child=serializers.IntegerField()),
                "slos": serializers.DictField(child=serializers.IntegerField()),
            },
        ),
    )
    def get(self, request):
        checks = run_checks()
        by_severity = {
            row["severity"]: row["n"]
            for row in Incident.objects.filter(status__in=OPEN_STATUSES)
            .values("severity")
            .annotate(n=Count("id"))
        }
        states = {"met": 0, "at_risk": 0, "breached": 0, "unknown": 0}
        for row in _slo_rows():
            states[row["state"]] += 1
        return Response(
            {
                "status": "fail" if any(not c.ok for c in checks) else "ok",
                "checks": {c.name: c.as_dict() for c in checks},
                "open_incidents": {
                    severity: by_severity.get(severity, 0) for severity in IncidentSeverity.values
                },
                "slos": states,
            }
        )
