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
        name="sweep pending notifications",
        task="incidents.tasks.notifications_sweep",
        every_seconds=60,
        expire_seconds=60,
        description="Re-sends pages whose send task was lost (a broker outage, a crash).",
    ),
]
