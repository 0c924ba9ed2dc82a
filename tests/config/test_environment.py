import pytest
from django.core.exceptions import ImproperlyConfigured

from config import environment


def test_database_defaults_to_sqlite_under_var_with_wal_and_immediate_transactions(tmp_path):
    config = environment.database_settings(None, var_dir=tmp_path)

    assert config["ENGINE"] == "django_prometheus.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "db.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] >= 5


def test_database_url_selects_postgresql_with_metrics_and_persistent_connections(tmp_path):
    config = environment.database_settings(
        "postgres://app:s3cret@db.internal:6543/vigil", var_dir=tmp_path, conn_max_age=30
    )

    assert config["ENGINE"] == "django_prometheus.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 6543, "vigil")
    assert (config["USER"], config["PASSWORD"]) == ("app", "s3cret")
    assert config["CONN_MAX_AGE"] == 30
    assert config["CONN_HEALTH_CHECKS"] is True


def test_cache_is_redis_when_redis_url_is_set(tmp_path):
    config = environment.cache_settings("redis://cache:6379/2", var_dir=tmp_path)

    assert config["BACKEND"] == "django_prometheus.cache.backends.redis.RedisCache"
    assert config["LOCATION"] == "redis://cache:6379/2"


def test_cache_without_redis_is_a_file_cache_shared_by_processes(tmp_path):
    config = environment.cache_settings(None, var_dir=tmp_path)

    assert config["BACKEND"] == "django_prometheus.cache.backends.filebased.FileBasedCache"
    assert config["LOCATION"] == str(tmp_path / "cache")


def test_broker_is_redis_when_redis_url_is_set(tmp_path):
    url, options = environment.broker_settings("redis://mq:6379/0", var_dir=tmp_path)

    assert url == "redis://mq:6379/0"
    assert options["visibility_timeout"] >= 3600


def test_broker_without_redis_is_the_filesystem_transport_under_var(tmp_path):
    url, options = environment.broker_settings(None, var_dir=tmp_path)

    assert url.startswith("filesystem://")
    assert options["data_folder_in"] == options["data_folder_out"]
    assert (tmp_path / "broker" / "queue").is_dir()
    assert (tmp_path / "broker" / "processed").is_dir()
    assert options["control_folder"] == str(tmp_path / "broker" / "control")


def test_secret_key_from_the_environment_wins(tmp_path):
    assert environment.secret_key("given", debug=False, var_dir=tmp_path) == "given"
    assert not (tmp_path / "secret_key").exists()


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        environment.secret_key(None, debug=False, var_dir=tmp_path)


def test_development_secret_key_is_generated_once_and_reused(tmp_path):
    first = environment.secret_key(None, debug=True, var_dir=tmp_path)
    second = environment.secret_key(None, debug=True, var_dir=tmp_path)

    assert first == second
    assert len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert list(tmp_path.iterdir()) == [tmp_path / "secret_key"]
