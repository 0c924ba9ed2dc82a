"""``GET /api/admin/status``: the executive dashboard's figures, as the admin's index
page shows them (it refreshes itself from here)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.dashboard import dashboard_for
from insights.models import InsightSeverity
from observability.models import SLOState


def _link():
    return serializers.CharField(
        allow_null=True, help_text="An admin page; null when the user may not open it."
    )


_TRENDS = ["better", "worse", "same", "none"]


class SeverityCountSerializer(serializers.Serializer):
    severity = serializers.CharField(help_text="SEV1 to SEV4.")
    label = serializers.CharField()
    count = serializers.IntegerField()
    url = _link()


class OpenIncidentsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_severity = SeverityCountSerializer(many=True)
    url = _link()


class ResponseTimeRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="mtta, mttr or incidents.")
    label = serializers.CharField()
    current = serializers.FloatField(
        allow_null=True, help_text="Mean seconds (MTTA, MTTR) or a count, the last 30 days."
    )
    previous = serializers.FloatField(allow_null=True, help_text="The same, the 30 days before.")
    current_display = serializers.CharField()
    previous_display = serializers.CharField()
    change_percent = serializers.FloatField(allow_null=True)
    change_display = serializers.CharField()
    trend = serializers.ChoiceField(choices=_TRENDS, help_text="Lower is better.")


class ResponseTimesSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    current_start = serializers.DateTimeField()
    previous_start = serializers.DateTimeField()
    rows = ResponseTimeRowSerializer(many=True)
    url = _link()


class DashboardSLOSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    service = serializers.CharField()
    service_id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=SLOState.choices)
    state_label = serializers.CharField()
    objective_percent = serializers.FloatField()
    objective_display = serializers.CharField()
    compliance_percent = serializers.FloatField(
        allow_null=True, help_text="The SLI over the SLO's window, at its latest evaluation."
    )
    compliance_display = serializers.CharField()
    budget_remaining_percent = serializers.FloatField(
        allow_null=True, help_text="Negative when the budget is overspent."
    )
    budget_display = serializers.CharField()
    budget_bar = serializers.FloatField(help_text="The budget left, clamped to 0-100.")
    evaluated_at = serializers.DateTimeField(allow_null=True)
    url = _link()


class OncallScheduleRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    person = serializers.CharField(help_text="Who is on call now, or 'nobody'.")
    covered = serializers.BooleanField()
    url = _link()


class OncallLevelRowSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    label = serializers.CharField()
    people = serializers.CharField(help_text="Who that level pages now.")


class OncallPolicyRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    levels = OncallLevelRowSerializer(many=True)
    url = _link()


class DashboardOncallSerializer(serializers.Serializer):
    schedules = OncallScheduleRowSerializer(many=True)
    policies = OncallPolicyRowSerializer(many=True)


class InsightRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    severity = serializers.ChoiceField(choices=InsightSeverity.choices)
    rule = serializers.CharField()
    service = serializers.CharField(allow_blank=True)
    last_seen = serializers.DateTimeField()
    url = _link()


class InsightCountsSerializer(serializers.Serializer):
    def get_fields(self):
        return {severity: serializers.IntegerField() for severity in InsightSeverity.values}


class DashboardInsightsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    by_severity = InsightCountsSerializer()
    top = InsightRowSerializer(many=True, help_text="Most severe first, then last seen.")
    url = _link()


class AnomalyRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    series = serializers.CharField()
    series_id = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
    timestamp_display = serializers.CharField()
    severity = serializers.CharField(help_text="The highest any detector gave the point.")
    detectors = serializers.IntegerField(help_text="How many detectors flagged the point.")
    value_display = serializers.CharField()
    expected_display = serializers.CharField()
    acknowledged = serializers.BooleanField()
    url = _link()


class DashboardAnomaliesSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    unacknowledged = serializers.IntegerField(help_text="In the last `days` days.")
    recent = AnomalyRowSerializer(many=True)
    url = _link()


class WeekCountSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The week's Monday (UTC).")
    count = serializers.IntegerField()


class IncidentsPerWeekSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    weeks = WeekCountSerializer(many=True)
    total = serializers.IntegerField()
    chart = serializers.CharField(help_text="The bar chart, an SVG as a data: URI.")
    url = _link()


class DashboardLinksSerializer(serializers.Serializer):
    slos = _link()
    slo_add = _link()
    schedules = _link()
    policies = _link()
    oncall_now = _link()


class AdminStatusSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When the figures were computed (cached briefly).")
    at_display = serializers.CharField()
    open_incidents = OpenIncidentsSerializer()
    response_times = ResponseTimesSerializer()
    slos = DashboardSLOSerializer(many=True)
    oncall = DashboardOncallSerializer()
    insights = DashboardInsightsSerializer()
    anomalies = DashboardAnomaliesSerializer()
    incidents_per_week = IncidentsPerWeekSerializer()
    links = DashboardLinksSerializer()


class AdminStatusView(APIView):
    """The executive dashboard's figures (the admin's index page): open incidents by
    severity, MTTA/MTTR of the last 30 days against the 30 before, SLO compliance and
    error budgets, who is on call, the top open insights, recent anomalies and
    incidents per week. Staff only; computed at most every few seconds for everyone, with
    the links each user may follow."""

    permission_classes = [IsAdminUser]

    @extend_schema(summary="Get the executive dashboard's figures", responses=AdminStatusSerializer)
    def get(self, request):
        return Response(AdminStatusSerializer(dashboard_for(request.user)).data)
