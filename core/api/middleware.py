"""The API's error shape for the 404 and 405 answers Django gives itself under ``/api/``.

A path that matches no URL gets Django's page, and with ``DEBUG`` on that is the
technical 404 listing every URL pattern; a plain Django view refusing a method answers
an empty 405. DRF's views already answer in the API's shape (or as the browsable API's
HTML, when a browser asks for it), so only answers that did not come from DRF change.
"""

from django.http import JsonResponse
from rest_framework.response import Response

from core.api.errors import error_body


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class ApiErrorMiddleware:
    """Put it inside the middleware that add headers (request id, CSP, security), so
    the JSON answer gets them too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code in (404, 405)
            and is_api_path(request.path_info)
            and not isinstance(response, Response)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return self._as_json(request, response)
        return response

    @staticmethod
    def _as_json(request, response):
        if response.status_code == 404:
            return JsonResponse(error_body("not_found", "No such endpoint."), status=404)
        answer = JsonResponse(
            error_body("method_not_allowed", f'Method "{request.method}" not allowed.'),
            status=405,
        )
        answer["Allow"] = response.get("Allow", "")
        return answer
