from core.periodic import PeriodicTaskSpec

PERIODIC_TASKS = [
    PeriodicTaskSpec(
        name="advance escalations",
        task="incidents.tasks.escalations_tick",
        every_seconds=30,
        expire_seconds=30,
        description="Pages the next escalation level of incidents nobody acknowledged.",
    ),
]
