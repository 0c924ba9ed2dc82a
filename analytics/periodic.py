from core.periodic import PeriodicTaskSpec

PERIODIC_TASKS = [
    PeriodicTaskSpec(
        name="prune old metric samples",
        task="analytics.tasks.samples_prune",
        crontab={"minute": "41", "hour": "3"},
        expire_seconds=6 * 3600,
        description="Deletes metric samples older than METRIC_RETENTION_DAYS, in batches.",
    ),
    PeriodicTaskSpec(
        name="scan metric series for anomalies",
        task="analytics.tasks.anomalies_scan",
        every_seconds=300,
        expire_seconds=300,
        description="Checks the samples stored since the last scan; high and critical "
        "anomalies that are bad news for their series open incidents.",
    ),
    PeriodicTaskSpec(
        name="pull metric sources from Prometheus",
        task="analytics.tasks.sources_pull",
        every_seconds=60,
        expire_seconds=60,
        description="Runs each enabled metric source's PromQL query when it is due.",
    ),
    PeriodicTaskSpec(
        name="record worker memory",
        task="analytics.tasks.worker_memory_record",
        every_seconds=300,
        expire_seconds=300,
        description="Stores the resident memory of the worker that runs it as "
        "vigil_worker_memory_bytes{host=...}, so leaks show as a trend.",
    ),
]
