"""On-call schedules: CRUD with layers, overrides, who is on call, shifts, iCal feeds."""

from django.contrib.auth import get_user_model
from django.db.models import Q
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
from incidents import calendars, oncall, selectors, services
from incidents.api import serializers as s
from incidents.models import CalendarFeed, ScheduleOverride

User = get_user_model()


def _usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    return dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))


def shift_rows(shifts):
    names = _usernames(shift.user for shift in shifts)
    return [
        {
            "user": sh.user,
            "username": names.get(sh.user),
            "start": sh.start,
            "end": sh.end,
            "source": sh.source,
        }
        for sh in shifts
    ]


class OverridePermission(RoleModelPermissions):
    """Overrides are checked against the override model (Responders may add them)."""

    def _queryset(self, view):
        return ScheduleOverride.objects.all()


class ScheduleViewSet(viewsets.ModelViewSet):
    """On-call schedules. Viewers read; Managers create and edit (``layers`` on a write
    replaces every layer); Responders add and remove overrides."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.ScheduleSerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["name", "team__name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.schedule_list()

    def perform_create(self, serializer):
        serializer.instance = services.schedule_create(**serializer.validated_data)

    def perform_update(self, serializer):
        services.schedule_update(schedule=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(
        parameters=[OpenApiParameter("at", OpenApiTypes.DATETIME, description="Default: now.")],
        responses=s.OncallSerializer,
    )
    @action(detail=True, methods=["get"])
    def oncall(self, request, pk=None):
        """Who is on call at ``at``."""
        at = timezone.now()
        if "at" in request.query_params:
            field = s.OncallSerializer().fields["at"]
            at = field.run_validation(request.query_params["at"])
        schedule = self.get_object()
        user_id = oncall.oncall_at(selectors.schedule_spec(schedule), at)
        user = User.objects.filter(pk=user_id).first() if user_id else None
        return Response(
            {
                "schedule": schedule.pk,
                "at": at,
                "user": s.UserRefSerializer(user).data if user else None,
            }
        )

    @extend_schema(parameters=[s.ShiftsQuerySerializer], responses=s.ShiftSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def shifts(self, request, pk=None):
        """The final shifts between ``start`` and ``end`` (default: the next 14 days);
        ``gaps=true`` includes the stretches with nobody on call (user null)."""
        query = s.ShiftsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        window = query.validated_data
        shifts = oncall.final_shifts(
            selectors.schedule_spec(self.get_object()),
            window["start"],
            window["end"],
            gaps=window["gaps"],
        )
        return Response(s.ShiftSerializer(shift_rows(shifts), many=True).data)

    @extend_schema(request=s.OverrideSerializer, responses=s.OverrideSerializer(many=True))
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[IsAuthenticated, OverridePermission],
    )
    def overrides(self, request, pk=None):
        """GET: current and future overrides. POST: someone covers from start to end."""
        schedule = self.get_object()
        if request.method == "POST":
            serializer = s.OverrideSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            override = services.override_create(schedule=schedule, **serializer.validated_data)
            return Response(s.OverrideSerializer(override).data, status=status.HTTP_201_CREATED)
        current = schedule.overrides.filter(end__gt=timezone.now()).order_by("start", "id")
        return Response(s.OverrideSerializer(current, many=True).data)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"overrides/(?P<override_id>\d+)",
        permission_classes=[IsAuthenticated, OverridePermission],
    )
    def override_delete(self, request, pk=None, override_id=None):
        override = get_object_or_404(self.get_object().overrides, pk=override_id)
        services.override_delete(override=override)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="ical")
    def ical(self, request, pk=None):
        """The schedule's shifts (past week, next 60 days) as an iCalendar feed."""
        schedule = self.get_object()
        start, end = calendars.feed_window()
        shifts = oncall.final_shifts(selectors.schedule_spec(schedule), start, end)
        rows = [
            (schedule, shift, row["username"])
            for shift, row in zip(shifts, shift_rows(shifts), strict=True)
        ]
        return _ics(calendars.shifts_calendar(f"On call: {schedule.name}", rows), schedule.name)


def _ics(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    return response


def user_calendar(user) -> bytes:
    start, end = calendars.feed_window()
    rows = []
    mine = Q(layers__members__user=user) | Q(overrides__user=user)
    for schedule in selectors.schedule_list().filter(mine).distinct():
        for shift in oncall.final_shifts(selectors.schedule_spec(schedule), start, end):
            if shift.user == user.pk:
                rows.append((schedule, shift, user.get_username()))
    return calendars.shifts_calendar(f"On call: {user.get_username()}", rows)


class MyCalendarView(APIView):
    """Your secret calendar address (created on first use). Subscribe to it in a
    calendar app; POST rotates it, so the old address stops working."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        feed = services.calendar_feed_get_or_create(user=request.user)
        return Response({"url": request.build_absolute_uri(f"/calendar/{feed.token}.ics")})

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        feed = services.calendar_feed_rotate(user=request.user)
        return Response({"url": request.build_absolute_uri(f"/calendar/{feed.token}.ics")})


class CalendarFeedView(APIView):
    """A user's on-call shifts, for calendar apps: the secret in the URL is the key."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.BINARY}, auth=[])
    def get(self, request, token):
        feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
        if feed is None or not feed.user.is_active:
            raise Http404
        return _ics(user_calendar(feed.user), feed.user.get_username())
