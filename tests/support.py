"""Helpers for tests that start real processes (gunicorn, celery, a fresh interpreter)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_of_test_db() -> str:
    """A DATABASE_URL for another process to use the database this test runs on."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return f"postgres://{auth}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"


def project_env(**overrides) -> dict:
    """The environment for a project process started by a test."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **overrides}
    return {key: value for key, value in env.items() if value is not None}


def run_python(code: str, timeout=60, **env_overrides) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with Django set up from the environment."""
    prelude = (
        "import django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
        "django.setup()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=ROOT,
        env=project_env(**env_overrides),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_until(predicate, timeout=30.0, interval=0.2, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


class Process:
    """A project process started for one test; its output is kept for failure messages."""

    def __init__(self, args, log_path, **env_overrides):
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115  (closed in stop())
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=project_env(**env_overrides),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


def venv_bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def prometheus_start(
    directory: Path,
    openmetrics: str,
    *,
    prometheus: str = "prometheus",
    promtool: str = "promtool",
    max_block_duration: str = "240h",
    timeout: float = 30.0,
) -> tuple[str, Process]:
    """A real Prometheus serving ``openmetrics`` (OpenMetrics text ending in ``# EOF``):
    promtool backfills it into a fresh TSDB under ``directory``, Prometheus starts on it
    on a free loopback port with no scrape targets, and this returns once it is ready:
    ``(base URL, the Process)``; the caller stops the process (``.stop()``).

    ``max_block_duration``: promtool's default 2h blocks make weeks of data slow to write
    and to open; 240h (rounded down by promtool to 162h) writes them in a second."""
    import json
    import urllib.request

    directory = Path(directory)
    source = directory / "backfill.om"
    source.write_text(openmetrics)
    data = directory / "data"
    backfill = subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--quiet",
            f"--max-block-duration={max_block_duration}",
            str(source),
            str(data),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if backfill.returncode != 0:
        raise AssertionError(f"promtool failed: {backfill.stderr[-3000:]}")
    config = directory / "prometheus.yml"
    config.write_text(json.dumps({"scrape_configs": []}))  # JSON is YAML
    port = free_port()
    process = Process(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            # Retention counts back from the newest block, not from today: keep it all.
            "--storage.tsdb.retention.time=3650d",
        ],
        directory / "prometheus.log",
    )
    base = f"http://127.0.0.1:{port}"

    def ready():
        assert process.popen.poll() is None, process.output()[-3000:]
        try:
            with urllib.request.urlopen(f"{base}/-/ready", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_until(ready, timeout=timeout, interval=0.1, message="prometheus to start")
    except BaseException:
        process.stop()
        raise
    return base, process
