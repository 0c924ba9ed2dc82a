"""The web process as `make run` starts it: gunicorn, production settings, static files included."""

import re
import secrets
import urllib.request

import pytest

from tests.support import Process, database_url_of_test_db, free_port, venv_bin, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def gunicorn(tmp_path, settings):
    static_root = tmp_path / "static"
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HTTPS": "false",
        "STATICFILES_BACKEND": None,  # the production default: hashed, compressed files
        "STATIC_ROOT": str(static_root),
        "DATABASE_URL": database_url_of_test_db(),
        "VAR_DIR": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "LOG_LEVEL": "INFO",
    }
    (tmp_path / "metrics").mkdir()
    collect = Process(
        [venv_bin("python"), "manage.py", "collectstatic", "--no-input", "-v0"],
        tmp_path / "collectstatic.log",
        **env,
    )
    assert collect.popen.wait(timeout=120) == 0, collect.output()
    collect.stop()

    port = free_port()
    process = Process(
        [
            venv_bin("gunicorn"),
            "config.wsgi",
            "--config",
            "config/gunicorn.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        tmp_path / "gunicorn.log",
        **env,
    )
    base = f"http://127.0.0.1:{port}"

    def answering():
        assert process.popen.poll() is None, process.output()
        try:
            return fetch(f"{base}/healthz")[0] == 200
        except OSError:
            return False

    try:
        wait_until(answering, timeout=30, message="gunicorn to answer")
        yield base
    finally:
        process.stop()


def test_admin_is_styled_under_gunicorn(gunicorn):
    status, _, body = fetch(f"{gunicorn}/admin/login/")
    assert status == 200
    stylesheet = re.search(rb'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', body)
    assert stylesheet, "the login page links a hashed stylesheet"

    status, headers, css = fetch(gunicorn + stylesheet.group(1).decode())

    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert b"body" in css
    assert "max-age" in headers["Cache-Control"]


def test_swagger_ui_assets_are_served_under_gunicorn(gunicorn):
    status, _, body = fetch(f"{gunicorn}/api/docs/")
    assert status == 200
    bundle = re.search(
        rb'src="(/static/drf_spectacular_sidecar/[^"]+swagger-ui-bundle[^"]*\.js)"', body
    )
    assert bundle

    assert fetch(gunicorn + bundle.group(1).decode())[0] == 200


def test_metrics_add_up_every_gunicorn_worker(gunicorn):
    from tests.factories import ServiceFactory, open_incident

    open_incident(ServiceFactory(slug="checkout"), severity="SEV2")
    for _ in range(6):
        fetch(f"{gunicorn}/healthz")
    fetch(f"{gunicorn}/readyz")  # touches the database and the cache

    status, headers, body = fetch(f"{gunicorn}/metrics")

    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    total = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("django_http_responses_total_by_status_view_method_total{")
        and 'view="healthz"' in line
    )
    assert total >= 6
    # The latency histogram by route group, as every worker observed it.
    timed = re.search(
        r'^django_http_requests_latency_seconds_by_group_count\{group="other",'
        r'status_class="2xx"\} (\S+)$',
        text,
        flags=re.M,
    )
    assert timed, text
    assert float(timed.group(1)) >= 6
    assert "django_db_execute_total{" in text
    assert "django_cache_get_total{" in text
    # Read from the database at scrape time, beside the summed per-process metrics.
    assert 'incidents_open{service="checkout",severity="SEV2"} 1.0' in text
