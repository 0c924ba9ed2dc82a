from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"
    verbose_name = "Observability"

    def ready(self):
        from django.db.models.signals import post_migrate

        from core import traffic
        from core.metrics import register_database_collector
        from observability import analytics_provider
        from observability.metrics import SLOCollector
        from observability.platform import platform_slos_install_after_migrate, slo_traffic_record

        register_database_collector(SLOCollector())
        analytics_provider.register()  # vigil_slo_compliance, read through analytics
        traffic.register(slo_traffic_record)
        post_migrate.connect(
            platform_slos_install_after_migrate, sender=self, dispatch_uid="observability.platform"
        )
