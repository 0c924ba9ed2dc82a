from core.periodic import PeriodicTaskSpec

PERIODIC_TASKS = [
    PeriodicTaskSpec(
        name="advance escalations",
        task="incidents.tasks.escalations_tick",
        every_seconds=30,
        expire_seconds=30,
        description="Pages the next escalation level of incidents nobody acknowledged.",
    ),
    PeriodicTaskSpec(
        name="forget expired one-click links",
        task="incidents.tasks.respond_link_uses_prune",
        crontab={"minute": "17"},
        expire_seconds=3600,
        description="Deletes the records of used acknowledge/resolve links once those links "
        "have expired (after 24 hours) and could not act again anyway.",
    ),
]
