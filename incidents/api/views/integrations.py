from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.fields import AskedFilterBackend, FilterBackend
from core.api.permissions import RoleModelPermissions
from incidents import selectors, services
from incidents.api import serializers as s
from incidents.api.views.common import WORK, paginated_rows


class IntegrationViewSet(viewsets.ModelViewSet):
    """Integrations of monitoring tools with services. Managers create them (the answer
    carries the secret, once), rotate their secrets and disable them."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.IntegrationSerializer
    filter_backends = [FilterBackend, SearchFilter, OrderingFilter]
    filterset_fields = ["service", "kind", "enabled"]
    search_fields = ["name", "service__name"]
    ordering_fields = ["name", "last_received_at", "created_at"]
    ordering = ["service__name", "name"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.integration_list()

    @extend_schema(responses={201: s.IntegrationIssuedSerializer})
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = services.integration_create(**serializer.validated_data)
        issued.integration.secret = issued.secret
        return Response(
            s.IntegrationIssuedSerializer(issued.integration).data, status=status.HTTP_201_CREATED
        )

    def perform_update(self, serializer):
        services.integration_update(integration=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.integration_delete(integration=instance)

    @extend_schema(
        summary="Rotate an integration's secret",
        request=None,
        responses=s.IntegrationIssuedSerializer,
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", permission_classes=WORK)
    def rotate_secret(self, request, pk=None):
        """Give the integration a new secret, answered here once; the old one stops
        working at once, so update the sender's configuration straight after."""
        issued = services.integration_rotate_secret(integration=self.get_object())
        issued.integration.secret = issued.secret
        return Response(s.IntegrationIssuedSerializer(issued.integration).data)


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Every alert as delivered, newest first."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.AlertSerializer
    filter_backends = [AskedFilterBackend, OrderingFilter]
    filterset_fields = ["integration", "incident", "status", "fingerprint", "severity"]
    ordering_fields = ["received_at"]
    ordering = ["-received_at", "-id"]

    def get_queryset(self):
        return selectors.alert_list()

    # AlertSerializer's output, built from rows rather than model instances.
    def list(self, request):
        rows = selectors.alert_rows(self.filter_queryset(self.get_queryset()))
        return paginated_rows(self, rows, s.alert_list_data)


class ChangeEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Changes recorded on services (deploys, config pushes), newest first."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.ChangeEventSerializer
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_fields = ["service", "integration"]
    ordering_fields = ["happened_at"]
    ordering = ["-happened_at", "-id"]

    def get_queryset(self):
        return selectors.change_event_list()
