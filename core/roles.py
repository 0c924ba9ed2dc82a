"""Roles are Django groups with model permissions.

- Viewer reads everything in the product's apps.
- Responder also works incidents (the grants listed in ``RESPONDER_GRANTS``).
- Manager also configures: add, change and delete on every model of the product's apps.

The groups are created by a data migration; their permissions are topped up after
every migrate, so models added later are covered. Grants are only ever added: a
permission an administrator adds by hand stays.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

VIEWER = "Viewer"
RESPONDER = "Responder"
MANAGER = "Manager"
ROLES = (VIEWER, RESPONDER, MANAGER)

# Apps whose models the roles cover. Personal API tokens (core) are not among them:
# each user manages their own, superusers manage all.
PRODUCT_APPS = ("incidents", "observability", "analytics", "insights")

# Responder: beyond viewing, what working an incident needs; filled in by the apps.
RESPONDER_GRANTS: dict[str, set[str]] = {}
# Granted to no role (superusers only): deleting audit records, for one. Filled in by the apps.
PROTECTED_PERMISSIONS: dict[str, set[str]] = {}


def role_permission_codenames(role: str, permissions) -> set[tuple[str, str]]:
    """The (app_label, codename) pairs ``role`` is granted among ``permissions``."""
    granted = set()
    for app_label, codename in permissions:
        if app_label not in PRODUCT_APPS or codename in PROTECTED_PERMISSIONS.get(app_label, ()):
            continue
        action = codename.split("_", 1)[0]
        if (
            action == "view"
            or role == MANAGER
            or (role == RESPONDER and codename in RESPONDER_GRANTS.get(app_label, set()))
        ):
            granted.add((app_label, codename))
    return granted


def roles_sync(*, apps=global_apps, using=DEFAULT_DB_ALIAS) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.using(using).select_related("content_type")
    }
    for role in ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = role_permission_codenames(role, permissions)
        have = set(group.permissions.values_list("content_type__app_label", "codename"))
        missing = [permissions[key] for key in wanted - have]
        if missing:
            group.permissions.add(*missing)


def roles_sync_after_migrate(
    sender, app_config=None, using=DEFAULT_DB_ALIAS, apps=global_apps, verbosity=1, **kwargs
):
    # Permissions for apps listed after this one are created by their own
    # post_migrate later; create them all now (idempotent) so the grants see them.
    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using, apps=apps)
    roles_sync(apps=apps, using=using)
