from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.fields import AskedFilterBackend
from core.api.permissions import RoleModelPermissions
from incidents import selectors, services
from incidents.api import serializers as s
from incidents.api.filters import IncidentFilter
from incidents.api.views.common import WORK, paginated_rows, valid
from incidents.oncall_overview import oncall_overview
from incidents.response_times import incident_response_times


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
    filter_backends = [AskedFilterBackend, OrderingFilter]
    filterset_class = IncidentFilter
    ordering_fields = ["triggered_at", "severity", "number", "status", "updated_at"]
    ordering = ["-triggered_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.incident_detail_base()
        if self.action in _ACTIONS:
            return selectors.incident_detail()
        return selectors.incident_list()

    def get_serializer_class(self):
        return s.IncidentSerializer if self.action == "list" else s.IncidentDetailSerializer

    # The list and the detail answer the declared serializers' output, built from rows
    # (incidents.selectors' read paths) rather than model instances and DRF's fields.
    def list(self, request):
        rows = selectors.incident_rows(self.filter_queryset(self.get_queryset()))
        return paginated_rows(self, rows, _incident_page)

    def retrieve(self, request, pk=None):
        incident = self.get_object()
        related = selectors.incident_detail_related(incident)
        return Response(s.incident_detail_data(incident, related))

    def _detail(self, incident, status_code=status.HTTP_200_OK):
        incident = self.get_queryset().get(pk=incident.pk)
        return Response(s.IncidentDetailSerializer(incident).data, status=status_code)

    @extend_schema(request=s.IncidentCreateSerializer, responses={201: s.IncidentDetailSerializer})
    def create(self, request):
        data = valid(s.IncidentCreateSerializer, request)
        incident = services.incident_create(by=request.user, **data)
        return self._detail(incident, status.HTTP_201_CREATED)

    @extend_schema(request=s.IncidentUpdateSerializer, responses=s.IncidentDetailSerializer)
    def partial_update(self, request, pk=None):
        incident = self.get_object()
        data = valid(s.IncidentUpdateSerializer, request)
        severity = data.pop("severity", None)
        incident = services.incident_update(incident=incident, by=request.user, **data)
        if severity:
            incident = services.incident_change_severity(
                incident=incident, severity=severity, by=request.user
            )
        return self._detail(incident)

    @extend_schema(
        summary="Acknowledge an incident",
        request=s.ActionNoteSerializer,
        responses=s.IncidentDetailSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def acknowledge(self, request, pk=None):
        """Say someone is on a triggered incident: escalation pages no further levels, and
        the caller is added to its assignees. An optional `note` goes into the timeline
        entry. Answers the updated incident; acknowledging it again changes nothing; from
        any other status, 409 `invalid_transition` naming the allowed moves."""
        data = valid(s.ActionNoteSerializer, request)
        incident = services.incident_acknowledge(
            incident=self.get_object(), by=request.user, **data
        )
        return self._detail(incident)

    @extend_schema(
        summary="Mitigate an incident",
        request=s.ActionNoteSerializer,
        responses=s.IncidentDetailSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def mitigate(self, request, pk=None):
        """Say an acknowledged incident's impact has stopped (its cause may not be fixed
        yet), with an optional `note`. Answers the updated incident; mitigating it again
        changes nothing; from triggered, resolved or closed, 409 `invalid_transition`."""
        data = valid(s.ActionNoteSerializer, request)
        incident = services.incident_mitigate(incident=self.get_object(), by=request.user, **data)
        return self._detail(incident)

    @extend_schema(
        summary="Resolve an incident",
        request=s.ResolveSerializer,
        responses=s.IncidentDetailSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def resolve(self, request, pk=None):
        """Resolve a triggered, acknowledged or mitigated incident, with an optional
        resolution `note`; one of a reviewed severity (REVIEW_SEVERITIES) gets a draft
        post-incident review. Answers the updated incident; resolving it again changes
        nothing; a closed one is a 409 `invalid_transition`."""
        data = valid(s.ResolveSerializer, request)
        incident = services.incident_resolve(incident=self.get_object(), by=request.user, **data)
        return self._detail(incident)

    @extend_schema(
        summary="Close an incident",
        request=s.ActionNoteSerializer,
        responses=s.IncidentDetailSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def close(self, request, pk=None):
        """Close a resolved incident, with an optional `note`: it allows no further
        changes. Answers the updated incident; closing it again changes nothing; an open
        one is a 409 `invalid_transition`."""
        data = valid(s.ActionNoteSerializer, request)
        incident = services.incident_close(incident=self.get_object(), by=request.user, **data)
        return self._detail(incident)

    @extend_schema(
        summary="Reopen an incident",
        request=s.ReopenSerializer,
        responses=s.IncidentDetailSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def reopen(self, request, pk=None):
        """Put a resolved incident back to triggered, with an optional `reason`: it is
        worked again from the start (the last round's times stay on the timeline). Answers
        the updated incident; 409 when it is not resolved, or when another open incident
        has the same group key."""
        data = valid(s.ReopenSerializer, request)
        incident = services.incident_reopen(incident=self.get_object(), by=request.user, **data)
        return self._detail(incident)

    @extend_schema(
        summary="Escalate an incident now",
        request=s.ActionNoteSerializer,
        responses=s.IncidentDetailSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def escalate(self, request, pk=None):
        """Page the next escalation level now instead of waiting for its delay, with an
        optional `note` on the timeline. A triggered incident's timer runs on from the new
        level; an acknowledged or mitigated one keeps its status (the responder asked for
        help), and its escalation goes no further by itself. An incident whose escalation
        never started starts one at level 1. Answers the updated incident; 409
        `cannot_escalate` for a resolved or closed incident, a service with no policy, or
        an escalation already at its last level."""
        data = valid(s.ActionNoteSerializer, request)
        incident = services.incident_escalate(incident=self.get_object(), by=request.user, **data)
        return self._detail(incident)

    @extend_schema(
        summary="Assign an incident",
        request=s.AssignSerializer,
        responses=s.IncidentDetailSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def assign(self, request, pk=None):
        """Set the incident's assignees (the whole list) and/or its commander; a part
        left out stays as it is. Answers the updated incident; 400 for an unknown user."""
        data = valid(s.AssignSerializer, request)
        incident = services.incident_assign(incident=self.get_object(), by=request.user, **data)
        return self._detail(incident)

    @extend_schema(
        summary="Add a note to an incident",
        request=s.NoteSerializer,
        responses={201: s.TimelineEntrySerializer},
    )
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def notes(self, request, pk=None):
        """Add a note to the incident's timeline, whatever its status. Answers 201 with
        the timeline entry; 400 for blank text."""
        data = valid(s.NoteSerializer, request)
        entry = services.incident_add_note(incident=self.get_object(), by=request.user, **data)
        return Response(s.TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="List an incident's timeline", responses=s.TimelineEntrySerializer(many=True)
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, pk=None):
        """The incident's audit log, oldest first, in one list (not paginated): every
        state change, note, alert, escalation and notification, with who and when."""
        entries = selectors.incident_timeline(self.get_object())
        return Response(s.TimelineEntrySerializer(entries, many=True).data)

    @extend_schema(summary="Show who is on call now", responses={200: s.OncallOverviewSerializer})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def oncall(self, request):
        """Who is on call now: every schedule, and every escalation policy's levels."""
        return Response(oncall_overview())

    @extend_schema(summary="List an incident's alerts", responses=s.AlertSerializer(many=True))
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
        summary="Get incident response times (MTTA, MTTR)",
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


def _incident_page(rows):
    return s.incident_list_data(selectors.incident_rows_with_assignees(rows))


_ACTIONS = {"acknowledge", "mitigate", "resolve", "close", "reopen", "assign", "notes", "escalate"}
