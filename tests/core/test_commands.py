from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from core.models import ApiToken
from core.tokens import token_digest

pytestmark = pytest.mark.django_db


def run(*args, **kwargs):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def test_create_api_token_prints_the_secret_once_and_stores_its_digest(user):
    out, err = run("create_api_token", user.username, "--name", "deploys")

    secret = out.strip()
    token = ApiToken.objects.get(user=user)
    assert token.name == "deploys"
    assert token.digest == token_digest(secret)
    assert "will not be shown again" in err


def test_create_api_token_for_an_unknown_user_fails_clearly():
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run("create_api_token", "ghost")
    assert not ApiToken.objects.exists()


def test_create_api_token_with_expiry(user):
    run("create_api_token", user.username, "--expires-in-days", "7")

    assert ApiToken.objects.get(user=user).expires_at is not None


def test_ensure_admin_creates_one_superuser_with_the_given_password(monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "a-long-admin-password")

    out, _ = run("ensure_admin")
    again, _ = run("ensure_admin")

    admin = get_user_model().objects.get(is_superuser=True)
    assert admin.username == "admin"
    assert admin.check_password("a-long-admin-password")
    assert "a-long-admin-password" not in out
    assert "nothing to do" in again


def test_ensure_admin_prints_a_generated_password_that_works(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)

    out, _ = run("ensure_admin")

    password = out.split("with password '")[1].split("'")[0]
    assert get_user_model().objects.get(username="admin").check_password(password)
