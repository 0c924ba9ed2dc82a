from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from core.api.routers import OptionalSlashRouter
from core.discovery import project_app_modules

# Each app's ``api/urls.py`` offers ``routes`` (prefix, viewset, basename) for the one
# router, so /api/ lists every collection in the browsable API, ``urlpatterns`` under
# /api/ and ``root_urlpatterns`` outside it.
app_urls = project_app_modules("api.urls")

api_router = OptionalSlashRouter()
for module in app_urls:
    for prefix, viewset, basename in getattr(module, "routes", ()):
        api_router.register(prefix, viewset, basename=basename)

api_patterns = [
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    re_path(
        r"^docs/?$", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"
    ),
    *(pattern for module in app_urls for pattern in getattr(module, "urlpatterns", ())),
    *api_router.urls,
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("runbooks/", include("runbooks.urls")),
    path("api/", include(api_patterns)),
    *(pattern for module in app_urls for pattern in getattr(module, "root_urlpatterns", ())),
    path("api-auth/", include("rest_framework.urls")),
]

handler404 = core_views.page_not_found
handler500 = core_views.server_error
