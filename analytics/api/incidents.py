"""Incident analytics: response times by group, alert noise and on-call load."""

from datetime import timedelta

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import query
from analytics.incident_analytics import incident_analytics
from core.api.permissions import RoleModelPermissions
from core.errors import InvalidInput
from incidents.api.serializers import ResponseTimesRowSerializer
from incidents.models import Incident
from incidents.response_times import GROUPS, PERIODS

DEFAULT_SPAN = timedelta(days=30)
LONGEST = timedelta(days=400)


class AlertsPerIncidentSerializer(serializers.Serializer):
    incidents = serializers.IntegerField(help_text="Incidents of the window that have alerts.")
    mean = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    max = serializers.IntegerField(allow_null=True)


class NoisyAlertSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The alertname label, else the summary.")
    alerts = serializers.IntegerField(help_text="Times it fired in the window.")
    incidents = serializers.IntegerField(help_text="Distinct incidents it joined.")


class FlappingGroupSerializer(serializers.Serializer):
    service = serializers.CharField(help_text="The service's slug.")
    group_key = serializers.CharField()
    fired = serializers.IntegerField(help_text="Times the group started firing.")
    resolved = serializers.IntegerField(help_text="Times it resolved after firing.")
    fired_again = serializers.IntegerField(help_text="Times it fired again after resolving.")
    alerts = serializers.IntegerField(help_text="Alerts fired.")
    incidents = serializers.IntegerField(help_text="Distinct incidents its alerts joined.")


class AlertNoiseSerializer(serializers.Serializer):
    alerts_per_incident = AlertsPerIncidentSerializer()
    noisiest_alerts = NoisyAlertSerializer(many=True, help_text="The 10 that fired most.")
    flapping_groups = FlappingGroupSerializer(
        many=True, help_text="Groups that fired again after resolving 3 times or more (top 20)."
    )


class OncallLoadSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="The person's user id.")
    username = serializers.CharField()
    time_zone = serializers.CharField(
        help_text="Their schedule's time zone; the site's when they are on none."
    )
    pages = serializers.IntegerField(help_text="Pages sent to them in the window.")
    pages_out_of_hours = serializers.IntegerField(
        help_text="Of those, sent outside 08:00-20:00 in their time zone."
    )
    share = serializers.FloatField(help_text="Their pages / all pages sent in the window.")


class IncidentAnalyticsSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    group_by = serializers.ChoiceField(choices=sorted(GROUPS), allow_null=True)
    period = serializers.ChoiceField(choices=list(PERIODS))
    response_times = ResponseTimesRowSerializer(
        many=True, help_text="One row per group (one row overall without group_by)."
    )
    alert_noise = AlertNoiseSerializer()
    oncall_load = OncallLoadSerializer(many=True)


def _window(params):
    """``analytics.query.window``, except that a well-formed but impossible date
    (2026-13-01), on which Django's parser raises ValueError, is a 400 too."""
    for name in ("start", "end"):
        try:
            query.moment(name, params.get(name))
        except ValueError:
            raise InvalidInput(
                f"{name}: not a valid date or time.", fields={name: ["Not a valid date or time."]}
            ) from None
    return query.window(params, default=DEFAULT_SPAN, longest=LONGEST)


def _choice(params, name: str, choices, default):
    value = params.get(name) or default
    if value is not None and value not in choices:
        raise InvalidInput(
            f"{name}: one of {', '.join(choices)}.",
            fields={name: [f"One of {', '.join(choices)}."]},
        )
    return value


class IncidentAnalyticsView(APIView):
    """Incidents triggered from `start` to `end` (default: the last 30 days): counts and
    MTTA/MTTR in seconds (mean, median, p90), overall or by `group_by`; alert noise
    (alerts per incident, the noisiest alert names, flapping groups); on-call load (pages
    per person, and those outside 08:00-20:00 in the person's time zone)."""

    # Incident figures are incident data: view_incident (every role).
    permission_classes = [IsAuthenticated, RoleModelPermissions]
    queryset = Incident.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="ISO-8601; default end - 30 days"),
            OpenApiParameter("end", str, description="ISO-8601; default now"),
            OpenApiParameter("group_by", str, enum=sorted(GROUPS)),
            OpenApiParameter(
                "period", str, enum=list(PERIODS), description="With group_by=period; week"
            ),
        ],
        responses=IncidentAnalyticsSerializer,
        tags=["analytics"],
        summary="Get incident analytics",
    )
    def get(self, request):
        params = request.query_params
        start, end = _window(params)
        report = incident_analytics(
            start=start,
            end=end,
            group_by=_choice(params, "group_by", sorted(GROUPS), None),
            period=_choice(params, "period", list(PERIODS), "week"),
        )
        return Response(IncidentAnalyticsSerializer(report).data)
