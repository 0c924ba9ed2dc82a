from core.roles import AppRoles

# Everyone reads. Responders and Managers generate and dismiss insights (change_insight)
# and ask for reports (add_report); Managers also subscribe people to reports and send a
# failed report email again (change_reportdelivery). Insights are written by the rules
# and reports by the generator, so nobody adds, edits or deletes those by hand, nor an
# email's record.
APP_ROLES = AppRoles(
    responder=frozenset({"change_insight", "add_report"}),
    protected=frozenset(
        {
            "add_insight",
            "delete_insight",
            "change_report",
            "add_reportdelivery",
            "delete_reportdelivery",
        }
    ),
)
