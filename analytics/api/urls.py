from django.urls import re_path

from analytics.api.anomalies import AnomalyScanView, AnomalyViewSet
from analytics.api.benchmarks import BenchmarkViewSet
from analytics.api.builtin import BuiltinMetricsView
from analytics.api.incidents import IncidentAnalyticsView
from analytics.api.metrics import MetricSamplesView, MetricSeriesViewSet, MetricSourceViewSet
from analytics.api.trends import BusinessMetricsView, CompareView, TrendsView
from analytics.api.usage import UsageView

# (prefix, viewset, basename), registered on the project's one API router.
routes = [
    ("metrics/series", MetricSeriesViewSet, "metric-series"),
    ("metrics/sources", MetricSourceViewSet, "metric-source"),
    ("production/anomalies", AnomalyViewSet, "anomaly"),
    ("analytics/benchmarks", BenchmarkViewSet, "benchmark"),
]

urlpatterns = [
    re_path(r"^metrics/samples/?$", MetricSamplesView.as_view(), name="metric-samples"),
    re_path(r"^analytics/trends/?$", TrendsView.as_view(), name="analytics-trends"),
    re_path(r"^analytics/compare/?$", CompareView.as_view(), name="analytics-compare"),
    re_path(r"^analytics/usage/?$", UsageView.as_view(), name="analytics-usage"),
    re_path(r"^analytics/metrics/?$", BuiltinMetricsView.as_view(), name="analytics-metrics"),
    re_path(
        r"^analytics/incidents/?$", IncidentAnalyticsView.as_view(), name="analytics-incidents"
    ),
    re_path(
        r"^production/metrics/business/?$",
        BusinessMetricsView.as_view(),
        name="business-metrics",
    ),
    re_path(r"^analytics/anomalies/scan/?$", AnomalyScanView.as_view(), name="anomalies-scan"),
]
