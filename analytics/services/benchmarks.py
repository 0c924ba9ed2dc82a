"""Writes of benchmarks, and the defaults every installation starts with."""

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction

from analytics.builtin import BUILTIN
from analytics.models import Benchmark
from core.services import model_create, model_delete, model_update

MIB = 1024 * 1024

# The yardsticks an installation starts with. The MTTA/MTTR (and other) baselines and
# targets are the team's own yardsticks, a starting point to tune, not published
# industry standards. Response times are sparse (a few incidents a week), so they are
# judged over 30 days and by the median, which one very long incident does not move.
# API latency is "mean" of the hourly p95s: the typical hour's p95. The p95 of hourly
# p95s would be set by the handful of quiet hours where a few slow answers make the
# percentile, and the hourly bands cannot be merged into one true p95 of the window.
DEFAULT_BENCHMARKS = (
    {
        "name": "API latency p95",
        "metric": "vigil_api_latency_p95_ms",
        "statistic": "mean",
        "window_days": 7,
        "baseline": 500.0,
        "target": 200.0,
        "unit": "ms",
        "description": "The typical hour's 95th percentile API latency (mean of hourly p95s).",
    },
    {
        "name": "Database queries per request",
        "metric": "vigil_queries_per_request",
        "statistic": "mean",
        "window_days": 7,
        "baseline": 20.0,
        "target": 10.0,
        "unit": "queries",
        "description": "Database queries per API request, mean of the hourly figures.",
    },
    {
        "name": "Worker memory",
        "metric": "vigil_worker_memory_bytes",
        "statistic": "latest",
        "window_days": 7,
        "baseline": float(512 * MIB),
        "target": float(256 * MIB),
        "unit": "bytes",
        "description": "Workers' resident memory: the latest sample of any worker (a series "
        "per host, posted by the workers).",
    },
    {
        "name": "MTTA",
        "metric": "vigil_mtta_seconds",
        "statistic": "median",
        "window_days": 30,
        "baseline": 900.0,
        "target": 300.0,
        "unit": "seconds",
        "description": "Median time to acknowledge over the incidents of the last 30 days.",
    },
    {
        "name": "MTTR",
        "metric": "vigil_mttr_seconds",
        "statistic": "median",
        "window_days": 30,
        "baseline": 4 * 3600.0,
        "target": 3600.0,
        "unit": "seconds",
        "description": "Median time to resolve over the incidents of the last 30 days.",
    },
    {
        "name": "Alert-to-incident ratio",
        "metric": "vigil_alerts_per_incident",
        "statistic": "mean",
        "window_days": 30,
        "baseline": 10.0,
        "target": 3.0,
        "unit": "alerts/incident",
        "description": "Alerts fired per incident, mean of the daily ratios.",
    },
    {
        "name": "Page delivery success",
        "metric": "vigil_page_delivery_ratio",
        "statistic": "mean",
        "window_days": 30,
        "baseline": 0.99,
        "target": 0.999,
        "higher_is_better": True,
        "unit": "ratio",
        "description": "Pages delivered out of pages with an outcome, mean of the daily ratios.",
    },
)


def _check_builtin_labels(metric: str, labels) -> None:
    """A built-in metric takes only its own label names: refuse the others now rather
    than show a benchmark that never has data."""
    if metric not in BUILTIN or not isinstance(labels, dict):
        return
    takes = BUILTIN[metric].labels
    unknown = sorted(set(labels) - set(takes))
    if unknown:
        raise ValidationError(
            {
                "labels": f"{metric} has no label {', '.join(unknown)} "
                f"(it takes {', '.join(takes) or 'no labels'})."
            }
        )


@transaction.atomic
def benchmark_create(
    *,
    name: str,
    metric: str,
    baseline: float,
    target: float,
    labels: dict | None = None,
    statistic: str = "mean",
    window_days: int = 7,
    higher_is_better: bool = False,
    unit: str = "",
    description: str = "",
) -> Benchmark:
    labels = {} if labels is None else labels
    _check_builtin_labels(metric, labels)
    return model_create(
        Benchmark,
        name=name,
        metric=metric,
        labels=labels,
        statistic=statistic,
        window_days=window_days,
        baseline=baseline,
        target=target,
        higher_is_better=higher_is_better,
        unit=unit,
        description=description,
    )


@transaction.atomic
def benchmark_update(*, benchmark: Benchmark, **fields) -> Benchmark:
    _check_builtin_labels(
        fields.get("metric", benchmark.metric), fields.get("labels", benchmark.labels)
    )
    model_update(instance=benchmark, fields=fields)
    return benchmark


@transaction.atomic
def benchmark_delete(*, benchmark: Benchmark) -> None:
    model_delete(instance=benchmark, refusal=f"Benchmark {benchmark} cannot be deleted.")


@transaction.atomic
def benchmarks_install_defaults(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Create the default benchmarks whose names are missing; the names created. A
    default renamed or deleted by a Manager comes back under its name after the next
    migrate; one edited keeps the edits."""
    existing = set(
        Benchmark.objects.using(using)
        .filter(name__in=[fields["name"] for fields in DEFAULT_BENCHMARKS])
        .values_list("name", flat=True)
    )
    created = []
    for fields in DEFAULT_BENCHMARKS:
        if fields["name"] not in existing:
            benchmark_create(**fields)
            created.append(fields["name"])
    return created
