from core.periodic import PeriodicTaskSpec

PERIODIC_TASKS = [
    PeriodicTaskSpec(
        name="generate insights",
        task="insights.tasks.insights_generate",
        crontab={"minute": "7"},
        expire_seconds=3600,
        description="Runs every insight rule; findings that no longer hold resolve themselves.",
    ),
]
