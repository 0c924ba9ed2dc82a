"""The product's URLs plus bare Django views, the baselines benchmarks compare against."""

import json

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as product_urlpatterns


def bare_get(request):
    return JsonResponse({"ok": True})


@csrf_exempt
def bare_post(request):
    return JsonResponse(json.loads(request.body), status=201)


@csrf_exempt
def bare_ingest(request):
    """The least an alert endpoint can do: keep the body, in one table, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_raw (body) VALUES (%s)", [request.body.decode()])
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("bench/bare-ingest", bare_ingest),
    path("bench/bare", bare_get),
    path("bench/bare-post", bare_post),
    *product_urlpatterns,
]
