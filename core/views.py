import prometheus_client
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.api.errors import error_body
from core.api.middleware import is_api_path
from core.health import run_checks
from core.metrics import scrape


@never_cache
@require_safe
def healthz(request):
    """Liveness: the process answers. It checks nothing else, so a database outage
    does not get every web process restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Readiness: 200 only when every dependency works; otherwise 503 naming the failures."""
    results = run_checks()
    failing = [r.name for r in results if not r.ok]
    return JsonResponse(
        {
            "status": "fail" if failing else "ok",
            "failing": failing,
            "checks": {r.name: r.as_dict() for r in results},
        },
        status=503 if failing else 200,
    )


@never_cache
@require_safe
def metrics(request):
    """Prometheus text format: requests, database and cache (django-prometheus), and the
    product's own gauges, read from the database now."""
    return HttpResponse(scrape(), content_type=prometheus_client.CONTENT_TYPE_LATEST)


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (Swagger's, JSON)."""
    return HttpResponsePermanentRedirect(static("core/favicon.svg"))


def page_not_found(request, exception):
    if is_api_path(request.path_info):
        return JsonResponse(error_body("not_found", "No such endpoint."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_path(request.path_info):
        return JsonResponse(
            error_body("server_error", "An unexpected error occurred; it has been logged."),
            status=500,
        )
    return defaults.server_error(request)
