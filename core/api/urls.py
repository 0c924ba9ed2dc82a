from django.urls import re_path

from core.api.views import ApiTokenViewSet, MeView

# (prefix, viewset, basename), registered on the project's one API router.
routes = [("tokens", ApiTokenViewSet, "api-token")]

urlpatterns = [re_path(r"^me/?$", MeView.as_view(), name="api-me")]
