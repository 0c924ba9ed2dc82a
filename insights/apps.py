from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS, connections


def default_subscription_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """The weekly executive report, after every migrate (connected for this app only);
    skipped while the table does not exist (migrating insights backwards)."""
    from insights.models import ReportSubscription
    from insights.services import subscription_default_ensure

    if using != DEFAULT_DB_ALIAS:
        return
    if ReportSubscription._meta.db_table in connections[using].introspection.table_names():
        subscription_default_ensure()


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Insights"

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(
            default_subscription_after_migrate,
            sender=self,
            dispatch_uid="insights.default_subscription",
        )
