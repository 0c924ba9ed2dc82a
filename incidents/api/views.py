from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.permissions import RoleModelPermissions, WorkPermission
from incidents import selectors, services
from incidents.api import serializers as s
from incidents.api.filters import IncidentFilter
from incidents.oncall_overview import oncall_overview
from incidents.response_times import incident_response_times
from incidents.services import escalation as escalation_services

WORK = [IsAuthenticated, WorkPermission]


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents: list and filter, open one by hand, work it through its lifecycle.

    Lifecycle actions answer the updated incident, or 409 `invalid_transition` naming
    the allowed moves; repeating an action that is already done changes nothing.
    """

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = IncidentFilter
    ordering_fields = ["triggered_at", "severity", "number", "status", "updated_at"]
    ordering = ["-triggered_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if self.action in ("retrieve",) or self.action in _ACTIONS:
            return selectors.incident_detail()
        return selectors.incident_list()

    def get_serializer_class(self):
        return s.IncidentSerializer if self.action == "list" else s.IncidentDetailSerializer

    def _detail(self, incident, status_code=status.HTTP_200_OK):
        incident = self.get_queryset().get(pk=incident.pk)
        return Response(s.IncidentDetailSerializer(incident).data, status=status_code)

    @extend_schema(request=s.IncidentCreateSerializer, responses={201: s.IncidentDetailSerializer})
    def create(self, request):
        data = _valid(s.IncidentCreateSerializer, request)
        incident = services.incident_create(by=request.user, **data)
        return self._detail(incident, status.HTTP_201_CREATED)

    @extend_schema(request=s.IncidentUpdateSerializer, responses=s.IncidentDetailSerializer)
    def partial_update(self, request, pk=None):
        incident = self.get_object()
        data = _valid(s.IncidentUpdateSerializer, request)
        severity = data.pop("severity", None)
        incident = services.incident_update(incident=incident, by=request.user, **data)
        if severity:
            incident = services.incident_change_severity(
                incident=incident, severity=severity, by=request.user
            )
        return self._detail(incident)

    @extend_schema(request=None, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def acknowledge(self, request, pk=None):
        incident = services.incident_acknowledge(incident=self.get_object(), by=request.user)
        return self._detail(incident)

    @extend_schema(request=None, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def mitigate(self, request, pk=None):
        incident = services.incident_mitigate(incident=self.get_object(), by=request.user)
        return self._detail(incident)

    @extend_schema(request=s.ResolveSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def resolve(self, request, pk=None):
        data = _valid(s.ResolveSerializer, request)
        incident = services.incident_resolve(incident=self.get_object(), by=request.user, **data)
        return self._detail(incident)

    @extend_schema(request=None, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def close(self, request, pk=None):
        incident = services.incident_close(incident=self.get_object(), by=request.user)
        return self._detail(incident)

    @extend_schema(request=s.ReopenSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def reopen(self, request, pk=None):
        data = _valid(s.ReopenSerializer, request)
        incident = services.incident_reopen(incident=self.get_object(), by=request.user, **data)
        return self._detail(incident)

    @extend_schema(request=None, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def escalate(self, request, pk=None):
        """Page the next escalation level now (a triggered incident with a policy)."""
        incident = services.escalation_advance(incident=self.get_object(), by=request.user)
        return self._detail(incident)

    @extend_schema(request=s.AssignSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def assign(self, request, pk=None):
        data = _valid(s.AssignSerializer, request)
        incident = services.incident_assign(incident=self.get_object(), by=request.user, **data)
        return self._detail(incident)

    @extend_schema(request=s.NoteSerializer, responses={201: s.TimelineEntrySerializer})
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def notes(self, request, pk=None):
        data = _valid(s.NoteSerializer, request)
        entry = services.incident_add_note(incident=self.get_object(), by=request.user, **data)
        return Response(s.TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.TimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, pk=None):
        entries = selectors.incident_timeline(self.get_object())
        return Response(s.TimelineEntrySerializer(entries, many=True).data)

    @extend_schema(responses={200: s.OncallOverviewSerializer})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def oncall(self, request):
        """Who is on call now: every schedule, and every escalation policy's levels."""
        return Response(oncall_overview())

    @extend_schema(responses=s.AlertSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def alerts(self, request, pk=None):
        """Every alert filed with this incident, newest first (paginated)."""
        queryset = (
            selectors.alert_list()
            .filter(incident=self.get_object())
            .order_by("-received_at", "-id")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.AlertSerializer(page, many=True).data)

    @extend_schema(
        parameters=[s.ResponseTimesQuerySerializer],
        responses=s.ResponseTimesRowSerializer(many=True),
        description="MTTA and MTTR in seconds (mean, median, p90), overall or grouped; "
        "the usual incident filters narrow the incidents counted.",
    )
    @action(detail=False, methods=["get"], url_path="response-times", pagination_class=None)
    def response_times(self, request):
        query = s.ResponseTimesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = incident_response_times(
            incidents=self.filter_queryset(selectors.incident_list()).order_by(),
            **query.validated_data,
        )
        return Response(s.ResponseTimesRowSerializer(rows, many=True).data)


_ACTIONS = {"acknowledge", "mitigate", "resolve", "close", "reopen", "assign", "notes", "escalate"}


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ServiceViewSet(viewsets.ModelViewSet):
    """Services that incidents are about. Viewers read; Managers create, edit and delete."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.ServiceSerializer
    filter_backends = [DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_fields = ["team", "tier"]
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["name", "tier", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.service_list()

    def perform_create(self, serializer):
        service = services.service_create(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=service.pk)

    def perform_update(self, serializer):
        services.service_update(service=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.service_delete(service=instance)


class TeamViewSet(viewsets.ModelViewSet):
    """Teams own services. Viewers read; Managers create, edit and delete."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.TeamSerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.team_list()

    def perform_create(self, serializer):
        team = services.team_create(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=team.pk)

    def perform_update(self, serializer):
        services.team_update(team=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.team_delete(team=instance)


class IntegrationViewSet(viewsets.ModelViewSet):
    """Integrations of monitoring tools with services. Managers create them (the answer
    carries the secret, once), rotate their secrets and disable them."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.IntegrationSerializer
    filter_backends = [DjangoFilterBackend, SearchFilter, OrderingFilter]
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

    @extend_schema(request=None, responses=s.IntegrationIssuedSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret", permission_classes=WORK)
    def rotate_secret(self, request, pk=None):
        """A new secret, shown once; the old one stops working at once."""
        issued = services.integration_rotate_secret(integration=self.get_object())
        issued.integration.secret = issued.secret
        return Response(s.IntegrationIssuedSerializer(issued.integration).data)


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Every alert as delivered, newest first."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.AlertSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_fields = ["integration", "incident", "status", "fingerprint", "severity"]
    ordering_fields = ["received_at"]
    ordering = ["-received_at", "-id"]

    def get_queryset(self):
        return selectors.alert_list()


class ChangeEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Changes recorded on services (deploys, config pushes), newest first."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.ChangeEventSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_fields = ["service", "integration"]
    ordering_fields = ["happened_at"]
    ordering = ["-happened_at", "-id"]

    def get_queryset(self):
        return selectors.change_event_list()


class EscalationPolicyViewSet(viewsets.ModelViewSet):
    """Escalation policies: ordered steps (users and/or schedules, then a delay), repeated
    ``repeat`` more times. Writing ``steps`` replaces them; running escalations keep the
    policy as it was when they started. Viewers read; Managers edit."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.EscalationPolicySerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self):
        from incidents.models import EscalationPolicy

        return EscalationPolicy.objects.prefetch_related("steps__users", "steps__schedules")

    def perform_create(self, serializer):
        policy = escalation_services.policy_save(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=policy.pk)

    def perform_update(self, serializer):
        escalation_services.policy_save(policy=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


class ContactMethodViewSet(viewsets.ModelViewSet):
    """Your own ways to be paged: email addresses and webhook URLs. A webhook's body is
    signed: ``X-Vigil-Signature: sha256=<hex HMAC-SHA256 of "<X-Vigil-Timestamp>." + body>``
    with the method's ``secret``."""

    serializer_class = s.ContactMethodSerializer
    ordering = ["kind", "id"]

    def get_queryset(self):
        from incidents.models import ContactMethod

        if getattr(self, "swagger_fake_view", False):
            return ContactMethod.objects.none()
        return ContactMethod.objects.filter(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = escalation_services.contact_method_create(
            user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        escalation_services.contact_method_update(
            method=serializer.instance, **serializer.validated_data
        )


class OutgoingWebhookViewSet(viewsets.ModelViewSet):
    """Webhooks that tell other tools about incident events (signed like pages:
    ``X-Vigil-Signature``). Managers configure them; each keeps a delivery log."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.OutgoingWebhookSerializer
    ordering = ["name"]

    def get_queryset(self):
        from incidents.models import OutgoingWebhook

        return OutgoingWebhook.objects.all()

    @extend_schema(responses=s.WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        """The delivery log, newest first (paginated)."""
        page = self.paginate_queryset(self.get_object().deliveries.order_by("-created_at", "-id"))
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)
