from django.urls import re_path

from insights.api.dashboard import AdminStatusView
from insights.api.reports import ReportViewSet
from insights.api.views import InsightViewSet

# (prefix, viewset, basename), registered on the project's one API router.
routes = [
    ("insights/reports", ReportViewSet, "report"),
    ("insights", InsightViewSet, "insight"),
]

urlpatterns = [
    re_path(r"^admin/status/?$", AdminStatusView.as_view(), name="admin-status"),
]
