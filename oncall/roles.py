from core.roles import AppRoles

# Managers configure schedules; Responders also cover for each other with overrides.
APP_ROLES = AppRoles(
    responder=frozenset(
        {"add_scheduleoverride", "change_scheduleoverride", "delete_scheduleoverride"}
    )
)
