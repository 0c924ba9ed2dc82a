from django.urls import re_path

from analytics.api.views import MetricSamplesView, MetricSeriesViewSet

# (prefix, viewset, basename), registered on the project's one API router.
routes = [("metrics/series", MetricSeriesViewSet, "metric-series")]

urlpatterns = [
    re_path(r"^metrics/samples/?$", MetricSamplesView.as_view(), name="metric-samples"),
]
