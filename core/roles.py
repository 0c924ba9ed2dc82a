"""Roles are Django groups with model permissions, declared by the apps themselves.

Each app that takes part has a ``roles.py`` with ``APP_ROLES = AppRoles(...)`` saying what
Viewer, Responder and Manager may do with its models: by default Viewer reads every
model, Responder reads and holds the app's listed work grants, and Manager also adds,
changes and deletes everything. ``protected`` permissions go to no role (superusers
only): deleting audit records, for one. An app without ``roles.py`` is not covered
(personal API tokens in core: each user manages their own, superusers manage all), so
a new app gets its permissions by declaring them, with no list to edit here.

The groups are created by a data migration; their permissions are topped up after
every migrate, so models added later are covered. Grants are only ever added: a
permission an administrator adds by hand stays.
"""

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

from core.discovery import project_app_modules

VIEWER = "Viewer"
RESPONDER = "Responder"
MANAGER = "Manager"
ROLES = (VIEWER, RESPONDER, MANAGER)


@dataclass(frozen=True)
class AppRoles:
    # Codenames beyond reading that Responder holds (working incidents, overrides...).
    responder: frozenset[str] = frozenset()
    # Codenames no role holds.
    protected: frozenset[str] = frozenset()
    # False: Manager only reads this app (its rows are written by the system).
    manager_configures: bool = True


def app_roles() -> dict[str, AppRoles]:
    """Each app's declaration, by app label."""
    declared = {}
    for module in project_app_modules("roles"):
        if not hasattr(module, "APP_ROLES"):
            continue  # this module itself
        label = global_apps.get_containing_app_config(module.__name__).label
        declared[label] = module.APP_ROLES
    return declared


def role_permission_codenames(role: str, permissions, declared=None) -> set[tuple[str, str]]:
    """The (app_label, codename) pairs ``role`` is granted among ``permissions``."""
    declared = app_roles() if declared is None else declared
    granted = set()
    for app_label, codename in permissions:
        rules = declared.get(app_label)
        if rules is None or codename in rules.protected:
            continue
        action = codename.split("_", 1)[0]
        if (
            action == "view"
            or (role == MANAGER and rules.manager_configures)
            or (role in (RESPONDER, MANAGER) and codename in rules.responder)
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
    declared = app_roles()
    for role in ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = role_permission_codenames(role, permissions, declared)
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
