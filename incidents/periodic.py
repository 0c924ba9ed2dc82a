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
    PeriodicTaskSpec(
        name="remind owners of overdue action items and reviews",
        task="incidents.tasks.review_reminders_queue",
        crontab={"minute": "0", "hour": "8"},
        expire_seconds=6 * 3600,
        description="Emails each person one digest a day of their overdue action items and "
        "the post-incident reviews they facilitate that are past due.",
    ),
]
