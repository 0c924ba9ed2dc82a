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


def test_responder_gets_the_grants_its_apps_list(monkeypatch):
    monkeypatch.setitem(roles.RESPONDER_GRANTS, "incidents", {"change_incident"})

    assert role_permission_codenames(RESPONDER, PERMISSIONS) == {
        ("incidents", "view_incident"),
        ("incidents", "change_incident"),
    }


def test_manager_configures_the_product_apps_but_not_users_or_tokens():
    assert role_permission_codenames(MANAGER, PERMISSIONS) == {
        ("incidents", "view_incident"),
        ("incidents", "change_incident"),
        ("incidents", "delete_incident"),
        ("observability", "add_slo"),
    }


def test_sync_keeps_permissions_an_administrator_added():
    viewer = Group.objects.get(name=VIEWER)
    extra = Permission.objects.get(codename="view_user")
    viewer.permissions.add(extra)

    roles_sync()

    assert viewer.permissions.filter(pk=extra.pk).exists()
