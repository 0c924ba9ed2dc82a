"""Run the product under gunicorn on a scratch database and measure requests per second.

Shared by the benchmarks: each starts one server, then measures the product's
endpoints and a bare Django view in the same run, so the ratio between them means
the same on any machine.
"""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(var_dir: Path) -> dict:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "VAR_DIR": str(var_dir),
        "ROOT_URLCONF": "bench.urls",
        "LOG_LEVEL": "WARNING",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def manage(env, *args, stdin=None):
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=True,
        input=stdin,
    ).stdout


@contextmanager
def server(*, setup_code: str, workers: int = 2):
    """A migrated scratch database, ``setup_code`` run against it (Django set up; it
    prints one JSON object), and gunicorn serving it. Yields (base port, setup output)."""
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp, scratch_database() as url:
        env = bench_env(Path(tmp))
        if url:
            env["DATABASE_URL"] = url
            print(f"  database: PostgreSQL, scratch database {url.rsplit('/', 1)[-1]}", flush=True)
        else:
            print("  database: SQLite (set DATABASE_URL to measure on PostgreSQL)", flush=True)
        print("  migrating and loading data…", flush=True)
        manage(env, "migrate", "--no-input", "-v0")
        output = manage(env, "shell", "--no-imports", "-c", setup_code)
        data = json.loads(output.strip().splitlines()[-1])
        port = free_port()
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--config",
                "config/gunicorn.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(port)
            yield port, data
        finally:
            process.terminate()
            process.wait(timeout=20)


@contextmanager
def scratch_database():
    """With a PostgreSQL DATABASE_URL: a new database on that server, dropped afterwards,
    so a benchmark never writes into a real one. Otherwise None (SQLite under a temp dir)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield None
        return
    import psycopg

    name = f"vigil_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request("GET", port, "/healthz")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def request(method, port, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def measure(name, make_request, *, seconds: float, clients: int, expect: int) -> float:
    """Requests per second with ``clients`` concurrent clients for ``seconds``."""
    stop = time.monotonic() + seconds
    counts = [0] * clients
    failures = []

    def client(index):
        n = 0
        while time.monotonic() < stop:
            status = make_request(n, index)
            if status != expect:
                failures.append(status)
                return
            n += 1
        counts[index] = n

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if failures:
        raise RuntimeError(f"{name}: unexpected status {failures[0]} (expected {expect})")
    rate = sum(counts) / elapsed
    print(f"  {name:<40} {rate:8.1f} req/s  ({sum(counts)} requests)", flush=True)
    return rate


@contextmanager
def private_redis_db(url: str):
    """A Redis database number of its own on ``url``'s server, claimed with SET NX (so two
    runs never share one) and flushed afterwards. Yields the URL naming it."""
    import redis

    base = url.split("?", 1)[0].rstrip("/")
    head, _, tail = base.rpartition("/")
    if tail.isdigit() and head.count("/") >= 2:
        base = head
    claim = f"vigil-bench-claim-{secrets.token_hex(4)}"
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{base}/{number}")
        if client.dbsize() == 0 and client.set("vigil-bench-claim", claim, nx=True, ex=7200):
            break
        client.close()
    else:
        raise RuntimeError(f"no free Redis database on {base} (all of 1-15 hold keys)")
    try:
        yield f"{base}/{number}"
    finally:
        client.flushdb()
        client.close()


def procfile(port: int) -> dict[str, list[str]]:
    """The Procfile's commands (what `make run` starts), ``$PORT`` filled in and each
    program taken from this virtualenv."""
    import shlex

    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if not sep or not command.strip():
            continue
        args = shlex.split(command.replace("$PORT", str(port)))
        commands[name.strip()] = [str(BIN / args[0]), *args[1:]]
    return commands
