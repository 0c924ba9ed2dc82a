"""Settings as a fresh process reads them from its environment."""

import json
import secrets

from tests.support import run_python

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "HTTPS": None,  # unset: on by default outside development
    "ALLOWED_HOSTS": "vigil.example.com",
    "STATICFILES_BACKEND": None,
}


def read_settings(*names, **env):
    result = run_python(
        "from django.conf import settings; import json\n"
        f"print(json.dumps({{n: str(getattr(settings, n)) for n in {list(names)!r}}}))",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_debug_off_without_secret_key_refuses_to_start():
    result = run_python("", DEBUG="false", SECRET_KEY=None)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_check_deploy_with_production_settings_prints_no_warnings(tmp_path):
    result = run_python(
        "from django.core.management import call_command\n"
        "call_command('check', deploy=True, fail_level='WARNING')",
        VAR_DIR=str(tmp_path),
        **PRODUCTION,
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_production_turns_https_settings_on():
    values = read_settings(
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "LOG_FORMAT",
        "ALLOWED_HOSTS",
        **PRODUCTION,
    )

    assert values["SECURE_SSL_REDIRECT"] == "True"
    assert values["SESSION_COOKIE_SECURE"] == "True"
    assert values["CSRF_COOKIE_SECURE"] == "True"
    assert int(values["SECURE_HSTS_SECONDS"]) >= 31536000
    assert values["LOG_FORMAT"] == "json"
    assert values["ALLOWED_HOSTS"] == "['vigil.example.com']"


def test_embedded_defaults_need_no_server(tmp_path):
    values = read_settings(
        "DATABASES",
        "CACHES",
        "CELERY_BROKER_URL",
        "EMAIL_BACKEND",
        "EMAIL_FILE_PATH",
        DEBUG="true",
        SECRET_KEY=None,
        DATABASE_URL=None,
        REDIS_URL=None,
        EMAIL_URL=None,
        VAR_DIR=str(tmp_path),
    )

    assert str(tmp_path / "db.sqlite3") in values["DATABASES"]
    assert "FileBasedCache" in values["CACHES"]
    assert values["CELERY_BROKER_URL"].startswith("filesystem://")
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert values["EMAIL_FILE_PATH"] == str(tmp_path / "mail")
    assert (tmp_path / "secret_key").exists()


def test_servers_come_from_the_environment(tmp_path):
    values = read_settings(
        "DATABASES",
        "CACHES",
        "CELERY_BROKER_URL",
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "TIME_ZONE",
        "SITE_URL",
        DATABASE_URL="postgres://u:p@db.example:5432/vigil",
        REDIS_URL="redis://redis.example:6379/3",
        EMAIL_URL="smtp://mailer.example:2525",
        TIME_ZONE="Europe/London",
        SITE_URL="https://vigil.example.com/",
        VAR_DIR=str(tmp_path),
    )

    assert "db.example" in values["DATABASES"]
    assert "redis://redis.example:6379/3" in values["CACHES"]
    assert values["CELERY_BROKER_URL"] == "redis://redis.example:6379/3"
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"]) == ("mailer.example", "2525")
    assert values["TIME_ZONE"] == "Europe/London"
    assert values["SITE_URL"] == "https://vigil.example.com"
