from core.periodic import PeriodicTaskSpec

PERIODIC_TASKS = [
    PeriodicTaskSpec(
        name="evaluate SLOs",
        task="observability.tasks.slo_evaluations_run",
        every_seconds=60,
        expire_seconds=60,
        description="Evaluates every SLO (SLI, budget, burn rates), stores the result and "
        "opens or resolves the incidents its burn-rate alerts call for.",
    ),
    PeriodicTaskSpec(
        name="prune old SLO counts",
        task="observability.tasks.slo_buckets_prune",
        crontab={"minute": "23", "hour": "3"},
        expire_seconds=6 * 3600,
        description="Deletes per-minute SLO counts and evaluations older than SLO_RETENTION_DAYS.",
    ),
    PeriodicTaskSpec(
        name="check the platform's health",
        task="observability.tasks.health_checks_run",
        every_seconds=60,
        expire_seconds=60,
        description="Cache, broker, beat, delivery backlog and failing pages: two failures "
        "in a row open an incident on the platform's own service; a pass resolves it.",
    ),
]
