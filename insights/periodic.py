from core.periodic import PeriodicTaskSpec

# Report subscriptions each own a beat entry of their own (insights.services.subscriptions).
PERIODIC_TASKS = [
    PeriodicTaskSpec(
        name="generate insights",
        task="insights.tasks.insights_generate",
        crontab={"minute": "7"},
        expire_seconds=3600,
        description="Runs every insight rule; findings that no longer hold resolve themselves.",
    ),
    PeriodicTaskSpec(
        name="sweep reports",
        task="insights.tasks.reports_sweep",
        every_seconds=120,
        expire_seconds=120,
        description="Generates again the reports whose task was lost (a broker outage, a "
        "worker killed).",
    ),
]
