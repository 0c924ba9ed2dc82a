from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self):
        from core.metrics import register_database_collector
        from core.roles import PROTECTED_PERMISSIONS, RESPONDER_GRANTS
        from incidents.metrics import OpenIncidentsCollector

        register_database_collector(OpenIncidentsCollector())
        # Responders work incidents; nobody deletes an incident or rewrites what was
        # recorded (the timeline, and alerts and changes as their senders delivered them).
        RESPONDER_GRANTS["incidents"] = {
            "add_incident",
            "change_incident",
            "add_scheduleoverride",
            "change_scheduleoverride",
            "delete_scheduleoverride",
        }
        PROTECTED_PERMISSIONS["incidents"] = {"delete_incident"} | {
            f"{action}_{model}"
            for action in ("add", "change", "delete")
            for model in ("timelineentry", "alert", "changeevent")
        }
