from core.roles import AppRoles

# Everyone reads the catalogue; Managers configure it.
APP_ROLES = AppRoles()
