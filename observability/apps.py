from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"
    verbose_name = "Observability"

    def ready(self):
        from django.db.models.signals import post_migrate

        from core.metrics import register_database_collector
        from observability.metrics import SLOCollector
        from observability.platform import platform_slos_install_after_migrate

        register_database_collector(SLOCollector())
        post_migrate.connect(
            platform_slos_install_after_migrate, sender=self, dispatch_uid="observability.platform"
        )
