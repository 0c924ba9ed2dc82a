"""Prometheus as an SLO source: instant queries through ``GET /api/v1/query``.

Any failure (timeout, refused connection, an error answer, a result that is not one
number) raises ``SourceUnavailable`` with a reason a person can act on; the SLO is then
``unknown`` and pages no one."""

import math
from datetime import datetime

from core.prometheus import SourceUnavailable, api_get

__all__ = ["SourceUnavailable", "duration", "instant_query"]


def duration(minutes: int) -> str:
    """A PromQL range for ``minutes``: 5m, 1h, 3d..."""
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def instant_query(base_url: str, promql: str, at: datetime) -> float:
    """The single value ``promql`` has at ``at``; an empty result is 0 (no events)."""
    data = api_get(base_url, "/api/v1/query", {"query": promql, "time": f"{at.timestamp():.3f}"})
    result = data.get("result")
    if data.get("resultType") == "scalar" and isinstance(result, list) and len(result) == 2:
        return _number(result[1])
    if data.get("resultType") != "vector" or not isinstance(result, list):
        raise SourceUnavailable("The query must give one number (an instant vector).")
    if not result:
        return 0.0
    if len(result) > 1:
        raise SourceUnavailable(
            f"The query gives {len(result)} series; aggregate it to one (sum(...))."
        )
    return _number(result[0].get("value", [None, None])[1])


def _number(text) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError) as error:
        raise SourceUnavailable(f"Prometheus answered {text!r}, not a number.") from error
    if math.isnan(value) or math.isinf(value):
        return 0.0  # e.g. an increase() over no samples
    return value
