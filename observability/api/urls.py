from django.urls import re_path

from observability.api.views import ProductionSLOView, ProductionStatusView, SLOViewSet

# (prefix, viewset, basename), registered on the project's one API router.
routes = [("slos", SLOViewSet, "slo")]

urlpatterns = [
    re_path(r"^production/slo/?$", ProductionSLOView.as_view(), name="production-slo"),
    re_path(r"^production/status/?$", ProductionStatusView.as_view(), name="production-status"),
]
