from core.roles import AppRoles

# Responders work incidents; nobody deletes an incident or rewrites what was recorded
# (the timeline, pages sent, and alerts and changes as their senders delivered them).
APP_ROLES = AppRoles(
    # ...and write post-incident reviews and their action items (Managers also delete).
    responder=frozenset(
        {
            "add_incident",
            "change_incident",
            "add_postincidentreview",
            "change_postincidentreview",
            "add_actionitem",
            "change_actionitem",
            "delete_actionitem",
        }
    ),
    protected=frozenset(
        {"delete_incident"}
        | {
            f"{action}_{model}"
            for action in ("add", "change", "delete")
            for model in (
                "timelineentry",
                "alert",
                "changeevent",
                "notification",
                "reviewreminder",
            )
        }
    ),
)
