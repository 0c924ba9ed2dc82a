from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS, connections


def benchmarks_install_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """The default benchmarks, after every migrate (connected for this app only, so once
    per migrate); skipped while the table does not exist (migrating analytics backwards)."""
    from analytics.models import Benchmark
    from analytics.services import benchmarks_install_defaults

    if Benchmark._meta.db_table in connections[using].introspection.table_names():
        benchmarks_install_defaults(using=using)


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        from django.db.models.signals import post_migrate

        from analytics.usage import usage_record
        from core import traffic

        traffic.register(usage_record)
        post_migrate.connect(
            benchmarks_install_after_migrate, sender=self, dispatch_uid="analytics.benchmarks"
        )
