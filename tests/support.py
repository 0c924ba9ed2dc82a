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
