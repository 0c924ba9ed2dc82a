"""Usage of the platform itself: routes, active users, features."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.models import RouteUsage
from analytics.query import EARLIEST, LATEST
from analytics.usage import usage_report
from core.api.permissions import RoleModelPermissions

DEFAULT_SPAN = timedelta(days=7)
LONGEST = timedelta(days=400)


class UsageQuerySerializer(serializers.Serializer):
    start = serializers.DateTimeField(
        required=False, help_text="ISO-8601; default: 7 days before end."
    )
    end = serializers.DateTimeField(required=False, help_text="ISO-8601; default: now.")

    def validate(self, attrs):
        for name, at in attrs.items():
            if not EARLIEST <= at < LATEST:
                raise serializers.ValidationError({name: ["Between 1970 and 2199."]})
        end = attrs.get("end") or timezone.now()
        start = attrs.get("start") or end - DEFAULT_SPAN
        if end <= start:
            raise serializers.ValidationError({"end": ["end must be after start."]})
        if end - start > LONGEST:
            raise serializers.ValidationError(
                {"end": [f"At most {LONGEST.days} days after start."]}
            )
        return {"start": start, "end": end}


class _Figures(serializers.Serializer):
    requests = serializers.IntegerField()
    p50_ms = serializers.FloatField(
        allow_null=True, help_text="Median latency, interpolated in its latency band."
    )
    p95_ms = serializers.FloatField(allow_null=True)
    error_rate = serializers.FloatField(allow_null=True, help_text="Share of 5xx answers.")
    client_error_rate = serializers.FloatField(allow_null=True, help_text="Share of 4xx answers.")
    queries_per_request = serializers.FloatField(allow_null=True)


class UsageRouteSerializer(_Figures):
    route = serializers.CharField(help_text="The URL pattern, e.g. api/incidents/<pk>.")
    method = serializers.CharField()


class UsageDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    users = serializers.IntegerField()


class UsageWeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The week's Monday (ISO weeks, UTC).")
    users = serializers.IntegerField(help_text="Distinct users over the week's days.")


class UsageActiveUsersSerializer(serializers.Serializer):
    per_day = UsageDaySerializer(many=True)
    per_week = UsageWeekSerializer(many=True)


class UsageFeatureSerializer(serializers.Serializer):
    feature = serializers.CharField(help_text="acknowledge, resolve, export, report.")
    channel = serializers.CharField(help_text="api, admin or email_link.")
    count = serializers.IntegerField()


class UsageTotalsSerializer(_Figures):
    active_users = serializers.IntegerField(help_text="Distinct users over the range.")
    feature_uses = serializers.IntegerField()


class UsageReportSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    routes = UsageRouteSerializer(many=True, help_text="By requests, most first.")
    active_users = UsageActiveUsersSerializer()
    features = UsageFeatureSerializer(many=True)
    totals = UsageTotalsSerializer()


class UsageView(APIView):
    """How the platform is used between `start` and `end` (default: the last 7 days; at
    most 400): requests per route and method with p50/p95 latency, error rates and
    database queries per request; active users per day and ISO week; feature use by
    channel (acknowledge and resolve through the API, the admin or an email link; review
    exports; reports generated). Hours and days overlapping the range count whole; days
    are UTC. Counted by each web process and added up once a minute, so the last minute
    may not show yet."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    queryset = RouteUsage.objects.none()  # for the model permissions: view_routeusage

    @extend_schema(
        summary="Get platform usage",
        parameters=[UsageQuerySerializer],
        responses=UsageReportSerializer,
        tags=["analytics"],
    )
    def get(self, request):
        # An empty value means the default, as the schema's allowEmptyValue says.
        params = {name: value for name, value in request.query_params.items() if value}
        query = UsageQuerySerializer(data=params)
        query.is_valid(raise_exception=True)
        return Response(UsageReportSerializer(usage_report(**query.validated_data)).data)
