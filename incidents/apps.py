from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self):
        from core.metrics import register_database_collector
        from core.roles import PROTECTED_PERMISSIONS, RESPONDER_GRANTS
        from incidents.metrics import OpenIncidentsCollector

        register_database_collector(OpenIncidentsCollector())
        # Responders work incidents; nobody deletes an incident or edits its audit log.
        RESPONDER_GRANTS["incidents"] = {"add_incident", "change_incident"}
        PROTECTED_PERMISSIONS["incidents"] = {
            "delete_incident",
            "add_timelineentry",
            "change_timelineentry",
            "delete_timelineentry",
        }
