"""The product's URLs plus bare Django views, the baselines benchmarks compare against."""

import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as product_urlpatterns


def bare_get(request):
    return JsonResponse({"ok": True})


@csrf_exempt
def bare_post(request):
    return JsonResponse(json.loads(request.body), status=201)


urlpatterns = [
    path("bench/bare", bare_get),
    path("bench/bare-post", bare_post),
    *product_urlpatterns,
]
