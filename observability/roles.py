from core.roles import AppRoles

# Everyone reads; Managers configure.
APP_ROLES = AppRoles()
