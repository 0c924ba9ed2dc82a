"""Prometheus' HTTP API, read by the apps that pull numbers from it (SLOs, metric
sources). Any failure raises ``SourceUnavailable`` with a reason a person can act on."""

import json
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings


class SourceUnavailable(Exception):
    pass


def api_get(base_url: str, path: str, params: dict) -> dict:
    """The ``data`` of a successful answer to ``GET {base_url}{path}?{params}``."""
    url = f"{base_url.rstrip('/')}{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=settings.PROMETHEUS_TIMEOUT_SECONDS) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read()).get("error", "")
        except ValueError:
            detail = ""
        raise SourceUnavailable(f"Prometheus answered {error.code}: {detail}".strip()) from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SourceUnavailable(f"Prometheus at {base_url} is unreachable: {reason}") from error
    except ValueError as error:
        raise SourceUnavailable("Prometheus answered something that is not JSON.") from error
    if not isinstance(body, dict) or body.get("status") != "success":
        detail = body.get("error", "") if isinstance(body, dict) else ""
        raise SourceUnavailable(f"Prometheus refused the query: {detail}")
    return body.get("data") or {}
