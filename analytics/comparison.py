"""Two periods of one metric compared: the figures of each, the change of the mean, and
whether it is more than noise (Welch's t-test and the Mann-Whitney U test)."""

from datetime import datetime

from analytics.selectors import metric_points
from analytics.stats.comparison import compare


def period_comparison(
    *,
    metric: str,
    labels: dict,
    a_start: datetime,
    a_end: datetime,
    b_start: datetime,
    b_end: datetime,
) -> dict:
    """Period a (the baseline) against period b, over the raw samples of each."""
    _, a = metric_points(metric, labels, a_start, a_end)
    _, b = metric_points(metric, labels, b_start, b_end)
    result = compare(a, b)
    return {
        "metric": metric,
        "labels": labels,
        "a": {"start": a_start, "end": a_end, **result["a"]},
        "b": {"start": b_start, "end": b_end, **result["b"]},
        "change_percent": result["change_percent"],
        "welch": result["welch"],
        "mann_whitney": result["mann_whitney"],
        "significant": result["significant"],
    }
