from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self):
        from core.metrics import register_database_collector
        from incidents.metrics import OpenIncidentsCollector
        from incidents.services.events import INCIDENT_EVENTS
        from webhooks.events import event_register

        register_database_collector(OpenIncidentsCollector())
        for name, description in INCIDENT_EVENTS.items():
            event_register(name, description)
