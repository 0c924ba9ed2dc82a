"""On-call schedules (with layers, overrides, who is on call, shifts, iCal feeds) and
each person's contact methods."""

import logging
import re
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.permissions import RoleModelPermissions
from core.api.serializers import UserRefSerializer
from core.errors import Conflict
from oncall import selectors, services
from oncall.api import serializers as s
from oncall.models import ContactMethod, ScheduleOverride

User = get_user_model()
logger = logging.getLogger(__name__)


class OverridePermission(RoleModelPermissions):
    """Overrides are checked against the override model (Responders may add them)."""

    def _queryset(self, view):
        return ScheduleOverride.objects.all()


class ScheduleViewSet(viewsets.ModelViewSet):
    """On-call schedules. Viewers read; Managers create and edit (``layers`` on a write
    replaces every layer); Responders add and remove overrides. A schedule that an
    escalation policy pages cannot be deleted (409)."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.ScheduleSerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["name", "team__name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.schedule_list()

    def perform_create(self, serializer):
        schedule = services.schedule_create(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=schedule.pk)

    def perform_update(self, serializer):
        services.schedule_update(schedule=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.schedule_delete(schedule=instance)

    @extend_schema(
        summary="Show who is on call for a schedule",
        parameters=[OpenApiParameter("at", OpenApiTypes.DATETIME, description="Default: now.")],
        responses=s.OncallSerializer,
    )
    @action(detail=True, methods=["get"])
    def oncall(self, request, pk=None):
        """Who is on call for the schedule at ``at`` (default: now), overrides included;
        ``user`` is null when nobody is."""
        at = timezone.now()
        if "at" in request.query_params:
            field = s.OncallSerializer().fields["at"]
            at = field.run_validation(request.query_params["at"])
        schedule = self.get_object()
        user_id = selectors.oncall_user_id(schedule, at)
        user = User.objects.filter(pk=user_id).first() if user_id else None
        return Response(
            {
                "schedule": schedule.pk,
                "at": at,
                "user": UserRefSerializer(user).data if user else None,
            }
        )

    @extend_schema(
        summary="List a schedule's shifts",
        parameters=[s.ShiftsQuerySerializer],
        responses=s.ShiftSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def shifts(self, request, pk=None):
        """The final shifts (layers and overrides applied) between ``start`` and ``end``
        (default: the next 14 days), in one list; ``gaps=true`` includes the stretches with
        nobody on call (user null). 409 when the schedule's stored layers cannot be
        evaluated."""
        query = s.ShiftsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        window = query.validated_data
        schedule = self.get_object()
        try:
            rows = selectors.schedule_shifts(
                schedule, window["start"], window["end"], gaps=window["gaps"]
            )
        except selectors.BROKEN_SCHEDULE_ERRORS as exc:
            raise _cannot_evaluate(schedule, exc) from exc
        return Response(s.ShiftSerializer(rows, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="List a schedule's overrides",
        description="The schedule's current and future overrides (those not yet ended), "
        "by start, in one list.",
        responses=s.OverrideSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Add an override to a schedule",
        description="Someone covers the schedule from `start` to `end`, whoever its layers "
        "say is on call. Answers 201 with the override; 400 naming each invalid field.",
        request=s.OverrideSerializer,
        responses={201: s.OverrideSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[IsAuthenticated, OverridePermission],
    )
    def overrides(self, request, pk=None):
        schedule = self.get_object()
        if request.method == "POST":
            serializer = s.OverrideSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            override = services.override_create(schedule=schedule, **serializer.validated_data)
            return Response(s.OverrideSerializer(override).data, status=status.HTTP_201_CREATED)
        current = schedule.overrides.filter(end__gt=timezone.now()).order_by("start", "id")
        return Response(s.OverrideSerializer(current, many=True).data)

    @extend_schema(
        summary="Remove an override from a schedule", request=None, responses={204: None}
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"overrides/(?P<override_id>\d+)",
        permission_classes=[IsAuthenticated, OverridePermission],
    )
    def override_delete(self, request, pk=None, override_id=None):
        """Remove one of the schedule's overrides: its layers decide again. Answers 204;
        404 when the schedule has no such override."""
        override = get_object_or_404(self.get_object().overrides, pk=override_id)
        services.override_delete(override=override)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Export a schedule as iCalendar",
        responses={(200, "text/calendar"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="ical")
    def ical(self, request, pk=None):
        """The schedule's shifts (past week, next 60 days) as an iCalendar feed; 409
        when its stored layers cannot be evaluated."""
        schedule = self.get_object()
        try:
            body = selectors.schedule_calendar(schedule)
        except selectors.BROKEN_SCHEDULE_ERRORS as exc:
            raise _cannot_evaluate(schedule, exc) from exc
        return _ics(body, filename=f"schedule-{schedule.pk}", name=schedule.name)


def _cannot_evaluate(schedule, exc) -> Conflict:
    """A schedule whose stored configuration was written around the model's validation:
    a 409 naming it (logged), not a 500; every other schedule still answers."""
    logger.error("schedule %s (%s) cannot be evaluated: %r", schedule.pk, schedule.name, exc)
    return Conflict(
        f"Schedule {schedule.name} cannot be evaluated: its stored layers or time zone are "
        "invalid. Fix them (PATCH its layers, or in the admin).",
        fields={"schedule": schedule.pk},
    )


# What a download's name may not hold: control characters (line breaks end a header)
# and path separators.
_NOT_IN_FILENAMES = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029/\\]+")


def _ics(body: bytes, *, filename: str, name: str) -> HttpResponse:
    """A calendar response. ``filename`` is ASCII we chose (``schedule-7``); ``name``
    (what people typed) goes only into the RFC 5987 ``filename*``, percent-encoded, so
    no quote, semicolon or line break in it can add a header or a parameter."""
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    readable = _NOT_IN_FILENAMES.sub("-", name).strip() or filename
    response["Content-Disposition"] = (
        f"inline; filename=\"{filename}.ics\"; filename*=UTF-8''{quote(readable + '.ics', safe='')}"
    )
    return response


class MyCalendarView(APIView):
    """Your secret calendar address (created on first use). Subscribe to it in a
    calendar app; POST rotates it, so the old address stops working."""

    @extend_schema(summary="Get my calendar address", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        """Your secret calendar address (`url`), created on first use: subscribe to it in
        a calendar app to see your on-call shifts."""
        feed = services.calendar_feed_get_or_create(user=request.user)
        return Response({"url": request.build_absolute_uri(f"/calendar/{feed.token}.ics")})

    @extend_schema(
        summary="Rotate my calendar address", request=None, responses={200: OpenApiTypes.OBJECT}
    )
    def post(self, request):
        """A new secret calendar address (`url`); the old one stops working at once, so
        re-subscribe with the new one."""
        feed = services.calendar_feed_rotate(user=request.user)
        return Response({"url": request.build_absolute_uri(f"/calendar/{feed.token}.ics")})


class CalendarFeedView(APIView):
    """A user's on-call shifts as an iCalendar feed, for calendar apps: the secret in
    the URL is the key (404 for an unknown or rotated one)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Get a user's on-call calendar feed",
        responses={(200, "text/calendar"): OpenApiTypes.BINARY},
        auth=[],
    )
    def get(self, request, token):
        user = selectors.calendar_feed_user(token)
        if user is None:
            raise Http404
        return _ics(
            selectors.user_calendar(user),
            filename=f"oncall-{user.pk}",
            name=f"on-call {user.get_username()}",
        )


class ContactMethodViewSet(viewsets.ModelViewSet):
    """Your own ways to be paged: email addresses and webhook URLs. A webhook's body is
    signed: ``X-Vigil-Signature: sha256=<hex HMAC-SHA256 of "<X-Vigil-Timestamp>." + body>``
    with the method's ``secret``. A method that has paged someone cannot be deleted
    (409): disable it instead."""

    serializer_class = s.ContactMethodSerializer
    ordering = ["kind", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ContactMethod.objects.none()
        return selectors.contact_methods_of(self.request.user)

    def get_serializer_class(self):
        # The answer that creates a method is the only one that carries its secret.
        if self.action == "create":
            return s.ContactMethodIssuedSerializer
        return s.ContactMethodSerializer

    def perform_create(self, serializer):
        serializer.instance = services.contact_method_create(
            user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        services.contact_method_update(method=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.contact_method_delete(method=instance)
