"""Turn environment values into Django and Celery settings.

Kept apart from ``settings.py`` as plain functions so that each rule (the embedded
defaults, the Redis switch, the development secret key) can be tested on its own.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

# django-environ names Django's own backends; these wrap them to export query
# and cache metrics on /metrics.
_PROMETHEUS_DB_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}

# Several processes (web, worker, beat) share the embedded SQLite file. WAL lets
# readers run beside a writer; IMMEDIATE takes the write lock when a transaction
# begins, so a waiting writer queues on the busy timeout instead of failing with
# "database is locked" when it upgrades a read lock halfway through.
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def database_settings(url: str | None, *, var_dir: Path, conn_max_age: int = 60) -> dict:
    """The default database: ``url`` when given, else a SQLite file under ``var_dir``."""
    config = environ.Env.db_url_config(url or f"sqlite:///{var_dir / 'db.sqlite3'}")
    config["ENGINE"] = _PROMETHEUS_DB_ENGINES.get(config["ENGINE"], config["ENGINE"])
    if config["ENGINE"].endswith("sqlite3"):
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
        # A file, not memory, so that tests can share it with a worker process.
        config["TEST"] = {"NAME": str(var_dir / "test.sqlite3")}
    else:
        config["CONN_MAX_AGE"] = conn_max_age
        config["CONN_HEALTH_CHECKS"] = True
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    return config


def cache_settings(redis_url: str | None, *, var_dir: Path) -> dict:
    """Redis when ``redis_url`` is set; otherwise a file cache every local process shares."""
    if redis_url:
        return {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "vigil",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    # A per-process memory cache would give each gunicorn worker its own view;
    # the file cache is shared by every process on the machine.
    return {
        "BACKEND": "django_prometheus.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(var_dir / "cache"),
    }


def broker_settings(redis_url: str | None, *, var_dir: Path) -> tuple[str, dict]:
    """Celery's broker URL and transport options.

    Without Redis, kombu's filesystem transport passes messages through files under
    ``var_dir`` so that one machine runs web, worker and beat with no server at all.
    """
    if redis_url:
        # Longer than the longest task time limit, so an unacknowledged task is
        # redelivered only when its worker is really gone.
        return redis_url, {"visibility_timeout": 3600}
    folders = {name: var_dir / "broker" / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return "filesystem://localhost//", {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),  # otherwise "control/" in the working folder
        "store_processed": False,
        # kombu polls the folder once a second by default, so a worker took about one
        # task a second however fast each ran: a burst of pages went out minutes late.
        "polling_interval": 0.1,
    }


def secret_key(value: str | None, *, debug: bool, var_dir: Path) -> str:
    """``SECRET_KEY`` from the environment; in development, one generated once into ``var_dir``."""
    if value:
        return value
    if not debug:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        # Write under a temporary name, then link it into place: the link fails if
        # another process got there first, so every process ends up reading the
        # same complete key.
        partial = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        partial.write_text(secrets.token_urlsafe(50))
        partial.chmod(0o600)
        try:
            os.link(partial, path)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    return path.read_text().strip()
