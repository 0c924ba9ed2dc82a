import pytest
from django.contrib.auth.models import Group, Permission

from core import roles
from core.roles import MANAGER, RESPONDER, VIEWER, role_permission_codenames, roles_sync

pytestmark = pytest.mark.django_db


def test_the_three_roles_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Viewer", "Responder", "Manager"}


PERMISSIONS = [
    ("incidents", "view_incident"),
    ("incidents", "change_incident"),
    ("incidents", "delete_incident"),
    ("observability", "add_slo"),
    ("core", "view_apitoken"),
    ("auth", "view_user"),
]


def test_viewer_only_reads_the_product_apps():
    assert role_permission_codenames(VIEWER, PERMISSIONS) == {("incidents", "view_incident")}


def test_responder_gets_the_grants_its_apps_declare():
    declared = {"incidents": roles.AppRoles(responder=frozenset({"change_incident"}))}

    assert role_permission_codenames(RESPONDER, PERMISSIONS, declared) == {
        ("incidents", "view_incident"),
        ("incidents", "change_incident"),
    }


def test_every_app_with_models_declares_its_roles():
    from django.apps import apps

    from core.discovery import project_app_modules

    product_apps = {
        module.__name__.split(".")[0]
        for module in project_app_modules("models")
        if apps.get_app_config(module.__name__.split(".")[0]).get_models()
    } - {"core"}  # core's tokens are each user's own; superusers manage all
    assert product_apps <= set(roles.app_roles())


def test_a_new_app_gets_permissions_by_declaring_them():
    declared = {"reviews": roles.AppRoles(responder=frozenset({"change_review"}))}
    permissions = [("reviews", "view_review"), ("reviews", "change_review")]

    assert role_permission_codenames(VIEWER, permissions, declared) == {("reviews", "view_review")}
    assert role_permission_codenames(RESPONDER, permissions, declared) == set(permissions)
    assert role_permission_codenames(VIEWER, permissions, {}) == set()  # undeclared: nothing


def test_manager_configures_the_product_apps_but_not_users_or_tokens():
    assert role_permission_codenames(MANAGER, PERMISSIONS) == {
        ("incidents", "view_incident"),
        ("incidents", "change_incident"),
        ("observability", "add_slo"),
    }


def test_no_role_deletes_incidents_or_touches_the_timeline():
    for role in (VIEWER, RESPONDER, MANAGER):
        granted = set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
        assert not granted & {"delete_incident", "change_timelineentry", "delete_timelineentry"}


def test_the_roles_hold_the_incident_permissions_after_migrate():
    def codenames(role):
        return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))

    assert {"view_incident", "view_service", "view_timelineentry"} <= codenames(VIEWER)
    assert "change_incident" not in codenames(VIEWER)
    assert {"add_incident", "change_incident"} <= codenames(RESPONDER)
    assert "add_service" not in codenames(RESPONDER)
    assert {"add_service", "change_team", "delete_service"} <= codenames(MANAGER)


def test_sync_keeps_permissions_an_administrator_added():
    viewer = Group.objects.get(name=VIEWER)
    extra = Permission.objects.get(codename="view_user")
    viewer.permissions.add(extra)

    roles_sync()

    assert viewer.permissions.filter(pk=extra.pk).exists()
