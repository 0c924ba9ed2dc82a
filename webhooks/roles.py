from core.roles import AppRoles

# Managers configure webhooks; the delivery log is written by the outbox alone.
APP_ROLES = AppRoles(
    protected=frozenset(f"{action}_webhookdelivery" for action in ("add", "change", "delete"))
)
