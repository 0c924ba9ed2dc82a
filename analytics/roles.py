from core.roles import AppRoles

# Everyone reads; Responders acknowledge anomalies (they are paged for them); Managers
# configure. Usage counts and scan marks are written by the platform only.
APP_ROLES = AppRoles(
    responder=frozenset({"change_anomaly"}),
    protected=frozenset(
        f"{action}_{model}"
        for action in ("add", "change", "delete")
        for model in ("routeusage", "activeuser", "featureuse", "anomalyscan")
    ),
)
