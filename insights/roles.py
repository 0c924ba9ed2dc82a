from core.roles import AppRoles

# Everyone reads; Responders and Managers generate and dismiss insights (change_insight);
# insights are written by the rules, so nobody adds or deletes one by hand.
APP_ROLES = AppRoles(
    responder=frozenset({"change_insight"}),
    protected=frozenset({"add_insight", "delete_insight"}),
)
