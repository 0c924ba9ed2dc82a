from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.utils import timezone

from config.celery import app
from core.health import BEAT_HEARTBEAT
from core.services import heartbeat_record
from tests.support import run_python

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def beat_alive():
    heartbeat_record(name=BEAT_HEARTBEAT)


@pytest.fixture
def broker_down():
    previous = app.conf.broker_url
    app.conf.broker_url = UNREACHABLE_REDIS
    yield
    app.conf.broker_url = previous


def test_healthz_answers_200_without_touching_dependencies(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_every_check_passes(client, beat_alive):
    response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "cache", "broker", "beat", "migrations"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["migrations"]["detail"] == "all applied"


def test_readyz_is_503_and_names_beat_when_it_never_ran(client):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["beat"]
    assert "never" in response.json()["checks"]["beat"]["detail"]


def test_readyz_is_503_when_the_beat_heartbeat_is_stale(client, settings):
    heartbeat_record(
        name=BEAT_HEARTBEAT,
        now=timezone.now() - timedelta(seconds=settings.BEAT_HEARTBEAT_MAX_AGE + 5),
    )

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["beat"]
    assert "limit" in response.json()["checks"]["beat"]["detail"]


def test_readyz_is_503_and_names_the_cache_when_it_is_down(client, beat_alive):
    broken = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    with override_settings(CACHES=broken):
        response = client.get("/readyz")
    caches["default"].close()

    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert response.json()["checks"]["cache"]["ok"] is False


def test_readyz_is_503_and_names_the_broker_when_it_is_down(client, beat_alive, broker_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


def test_readyz_is_503_and_names_the_database_when_it_is_down(tmp_path):
    # A fresh process, since this one's database connection is the test's own.
    result = run_python(
        "from django.test import Client\n"
        "r = Client().get('/readyz')\n"
        "print(r.status_code, r.json()['failing'])",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        ALLOWED_HOSTS="testserver",
        VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    status, failing = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    assert "'database'" in failing


def test_readyz_is_503_and_names_migrations_when_one_is_unapplied(client, beat_alive):
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    [(app, latest)] = MigrationLoader(connection).graph.leaf_nodes("core")
    MigrationRecorder(connection).record_unapplied(app, latest)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert f"core.{latest}" in response.json()["checks"]["migrations"]["detail"]
