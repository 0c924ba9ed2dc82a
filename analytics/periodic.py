from core.periodic import PeriodicTaskSpec

PERIODIC_TASKS = [
    PeriodicTaskSpec(
        name="prune old metric samples",
        task="analytics.tasks.samples_prune",
        crontab={"minute": "41", "hour": "3"},
        expire_seconds=6 * 3600,
        description="Deletes metric samples older than METRIC_RETENTION_DAYS, in batches.",
    ),
]
