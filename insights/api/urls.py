from insights.api.reports import ReportViewSet
from insights.api.views import InsightViewSet

# (prefix, viewset, basename), registered on the project's one API router.
routes = [
    ("insights/reports", ReportViewSet, "report"),
    ("insights", InsightViewSet, "insight"),
]
