"""Every write to the analytics app goes through these functions."""

from analytics.services.anomalies import anomalies_page, anomalies_scan, anomaly_acknowledge
from analytics.services.benchmarks import (
    benchmark_create,
    benchmark_delete,
    benchmark_update,
    benchmarks_install_defaults,
)
from analytics.services.metrics import (
    MAX_SAMPLES,
    prometheus_text_rows,
    samples_prune,
    samples_record,
    series_delete,
    series_update,
)
from analytics.services.sources import (
    source_create,
    source_delete,
    source_pull,
    source_update,
    sources_pull_due,
)
from analytics.services.usage import (
    WORKER_MEMORY_METRIC,
    usage_counts_add,
    usage_prune,
    worker_memory_record,
    worker_memory_series_describe,
)

__all__ = [
    "MAX_SAMPLES",
    "WORKER_MEMORY_METRIC",
    "anomalies_page",
    "anomalies_scan",
    "anomaly_acknowledge",
    "benchmark_create",
    "benchmark_delete",
    "benchmark_update",
    "benchmarks_install_defaults",
    "prometheus_text_rows",
    "samples_prune",
    "samples_record",
    "series_delete",
    "series_update",
    "source_create",
    "source_delete",
    "source_pull",
    "source_update",
    "sources_pull_due",
    "usage_counts_add",
    "usage_prune",
    "worker_memory_record",
    "worker_memory_series_describe",
]
