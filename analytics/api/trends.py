"""Trends and forecasts, period comparisons and the business series at a glance."""

from datetime import timedelta

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import query
from analytics.business import business_series
from analytics.comparison import period_comparison
from analytics.models import MetricSeries
from analytics.selectors import UnknownMetric
from analytics.stats.forecast import METHODS
from analytics.trends import MAX_BUCKETS, trend_report
from core.api.permissions import RoleModelPermissions
from core.errors import InvalidInput

LONGEST = timedelta(days=400)
DIRECTIONS = ["increasing", "decreasing", "stable"]
NO_METRIC = OpenApiResponse(
    description="No stored series or built-in metric by that name and labels."
)


def _metric(params) -> tuple[str, dict]:
    name = params.get("metric", "")
    if not name:
        raise InvalidInput(
            "metric: a series or built-in metric name is required.",
            fields={"metric": ["Required."]},
        )
    return name, query.labels(params.get("labels"))


class _ReadView(APIView):
    # Reading a metric is reading the metric store: view_metricseries (every role).
    permission_classes = [IsAuthenticated, RoleModelPermissions]
    queryset = MetricSeries.objects.none()


class PointSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    value = serializers.FloatField()


class ForecastPointSerializer(PointSerializer):
    lower = serializers.FloatField(help_text="95% prediction interval, lower end.")
    upper = serializers.FloatField(help_text="95% prediction interval, upper end.")


class ForecastsSerializer(serializers.Serializer):
    linear = ForecastPointSerializer(many=True)
    moving_average = ForecastPointSerializer(many=True)
    holt_winters = ForecastPointSerializer(many=True)


class TrendSerializer(serializers.Serializer):
    metric = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    interval_seconds = serializers.IntegerField()
    samples = serializers.IntegerField(help_text="Raw samples read.")
    slope_per_day = serializers.FloatField(allow_null=True)
    intercept = serializers.FloatField(
        allow_null=True, help_text="The line's value at the first point."
    )
    r_squared = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True, help_text="Of the slope (two-sided).")
    direction = serializers.ChoiceField(DIRECTIONS)
    season_points = serializers.IntegerField(
        allow_null=True, help_text="Points per season found in the data (24: daily, hourly data)."
    )
    points = PointSerializer(many=True)
    forecast = ForecastsSerializer()


class TrendsView(_ReadView):
    """A metric (stored series or built-in `vigil_...`) resampled to `interval` (buckets
    aligned to the Unix epoch, the mean of each, empty ones left out), its least-squares
    line against time in days (`direction` is `stable` unless the slope is significant at
    5%), and `horizon` of forecast by each method with a 95% prediction interval."""

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", str, required=True, description="e.g. orders_completed"),
            OpenApiParameter("labels", str, description="name=value pairs: region=eu,tier=gold"),
            OpenApiParameter("start", str, description="ISO-8601; default end - 30 days"),
            OpenApiParameter("end", str, description="ISO-8601; default now"),
            OpenApiParameter("interval", str, description="15m, 1h (default), 1d, 1w"),
            OpenApiParameter("horizon", str, description="Forecast length; default 24h, 0s none"),
        ],
        responses={200: TrendSerializer, 404: NO_METRIC},
        tags=["analytics"],
        summary="Get a metric's trend and forecast",
    )
    def get(self, request):
        params = request.query_params
        metric, labels = _metric(params)
        start, end = query.window(params, default=timedelta(days=30), longest=LONGEST)
        interval = query.duration(
            "interval", params.get("interval"), default="1h", least=60, most=30 * 86400
        )
        horizon = query.duration(
            "horizon", params.get("horizon"), default="24h", least=0, most=366 * 86400
        )
        if (end - start).total_seconds() / interval > MAX_BUCKETS:
            raise InvalidInput(
                f"At most {MAX_BUCKETS} intervals from start to end: choose a longer interval.",
                fields={"interval": ["Too short for this span."]},
            )
        if horizon / interval > 1000:
            raise InvalidInput(
                "At most 1,000 intervals of forecast.",
                fields={"horizon": ["At most 1,000 intervals."]},
            )
        try:
            report = trend_report(
                metric=metric,
                labels=labels,
                start=start,
                end=end,
                interval=interval,
                horizon=horizon,
                methods=METHODS,
            )
        except UnknownMetric as error:
            raise NotFound(str(error)) from None
        except ValueError as error:  # a built-in metric refusing a label
            raise InvalidInput(str(error), fields={"labels": [str(error)]}) from None
        return Response(TrendSerializer(report).data)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    p95 = serializers.FloatField(allow_null=True)
    stdev = serializers.FloatField(allow_null=True)


class WelchSerializer(serializers.Serializer):
    t = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)


class MannWhitneySerializer(serializers.Serializer):
    u = serializers.FloatField(allow_null=True, help_text="U of period a.")
    p_value = serializers.FloatField(allow_null=True)


class ComparisonSerializer(serializers.Serializer):
    metric = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    a = PeriodSerializer(help_text="The baseline period.")
    b = PeriodSerializer(help_text="The period compared with it.")
    change_percent = serializers.FloatField(allow_null=True)
    welch = WelchSerializer()
    mann_whitney = MannWhitneySerializer()
    significant = serializers.BooleanField(help_text="Either test's p < 0.05.")


class CompareView(_ReadView):
    """Period a (the baseline) against period b over the raw samples: count, mean,
    median, p95 and standard deviation of each, the change of the mean in percent,
    Welch's t-test and the two-sided Mann-Whitney U test. For built-in metrics such as
    `vigil_mttr_seconds` each incident is one sample: MTTR this month against last."""

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", str, required=True),
            OpenApiParameter("labels", str, description="name=value pairs: region=eu"),
            *(
                OpenApiParameter(name, str, required=True, description="ISO-8601")
                for name in ("a_start", "a_end", "b_start", "b_end")
            ),
        ],
        responses={200: ComparisonSerializer, 404: NO_METRIC},
        tags=["analytics"],
        summary="Compare a metric over two periods",
    )
    def get(self, request):
        params = request.query_params
        metric, labels = _metric(params)
        periods = {}
        for period in ("a", "b"):
            for edge in ("start", "end"):
                name = f"{period}_{edge}"
                if not params.get(name):
                    raise InvalidInput(f"{name} is required.", fields={name: ["Required."]})
            periods[period] = query.window(
                params,
                start=f"{period}_start",
                end=f"{period}_end",
                default=LONGEST,
                longest=LONGEST,
            )
        try:
            result = period_comparison(
                metric=metric,
                labels=labels,
                a_start=periods["a"][0],
                a_end=periods["a"][1],
                b_start=periods["b"][0],
                b_end=periods["b"][1],
            )
        except UnknownMetric as error:
            raise NotFound(str(error)) from None
        except ValueError as error:
            raise InvalidInput(str(error), fields={"labels": [str(error)]}) from None
        return Response(ComparisonSerializer(result).data)


class BusinessSeriesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    metric = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    unit = serializers.CharField()
    description = serializers.CharField()
    higher_is_better = serializers.BooleanField()
    latest_at = serializers.DateTimeField(allow_null=True)
    latest_value = serializers.FloatField(allow_null=True)
    previous_day_value = serializers.FloatField(
        allow_null=True, help_text="The last value at least a day before the latest."
    )
    change_day_percent = serializers.FloatField(allow_null=True)
    previous_week_value = serializers.FloatField(allow_null=True)
    change_week_percent = serializers.FloatField(allow_null=True)
    trend = serializers.ChoiceField(DIRECTIONS, help_text="Of the last 7 days' hourly means.")
    trend_slope_per_day = serializers.FloatField(allow_null=True)
    trend_good = serializers.BooleanField(
        allow_null=True, help_text="Whether the trend goes the way that is good for this series."
    )


class BusinessMetricsView(_ReadView):
    """Each business series (every stored series not named `vigil_...`) with its latest
    value, its change against a day and a week before, and its last week's trend."""

    @extend_schema(
        summary="List business metrics at a glance",
        responses=BusinessSeriesSerializer(many=True),
        tags=["analytics"],
    )
    def get(self, request):
        return Response(BusinessSeriesSerializer(business_series(), many=True).data)
