"""``seed_demo`` (core/management/commands/seed_demo.py) run over its own demo data."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent(demo):
    users = sorted(get_user_model().objects.values_list("username", "groups__name"))
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert sorted(get_user_model().objects.values_list("username", "groups__name")) == users
    assert ("vera.viewer", "Viewer") in users
    assert ("mina.manager", "Manager") in users
    assert "kept" in out.getvalue()
    assert "Demo data ready." in out.getvalue()
    assert "Demo data ready." in demo.output
