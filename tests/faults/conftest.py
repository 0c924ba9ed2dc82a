"""Fixtures of the fault tests: one private PostgreSQL cluster for the package, holding a
migrated, seeded template that each test copies into a database of its own; per test a
private Redis, an SMTP server and the product's processes."""

import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.faults.support import (
    Database,
    PrivatePostgres,
    PrivateRedis,
    SmtpSink,
    Stack,
    Timeline,
    postgres_available,
    seed,
)
from tests.support import run_python

TEMPLATE = "vigil_template"
_numbers = itertools.count(1)
SERVERS = postgres_available() and shutil.which("redis-server") is not None

if not SERVERS and os.environ.get("CI"):
    raise RuntimeError("CI must have PostgreSQL's server binaries and redis-server (.ci/run)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    if not SERVERS:
        pytest.skip("the fault tests need PostgreSQL's server binaries and redis-server")
    # Not under pytest's temporary folder: that one is private to this user, and under
    # root the cluster belongs to postgres. In memory when there is room: writing (and
    # deleting) a cluster and a database per test on a busy disk takes seconds.
    shm = Path("/dev/shm")
    in_memory = shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 2**30
    folder = Path(tempfile.mkdtemp(prefix="vigil-faults-postgres-", dir=shm if in_memory else None))
    cluster = PrivatePostgres(folder)
    cluster.init()
    cluster.start()
    try:
        cluster.execute(f"CREATE DATABASE {TEMPLATE}")
        var_dir = tmp_path_factory.mktemp("faults-template-var")
        migrated = run_python(
            "from django.core.management import call_command\n"
            "call_command('migrate', verbosity=0, interactive=False)\n",
            timeout=300,
            DATABASE_URL=cluster.url(TEMPLATE),
            VAR_DIR=str(var_dir),
        )
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        cluster.seeded = seed(cluster.url(TEMPLATE), var_dir)
        yield cluster
    finally:
        if cluster.running():
            cluster.stop(mode="immediate")  # thrown away: no checkpoint needed
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def timeline():
    return Timeline()


@pytest.fixture
def database(postgres):
    """A database of this test's own, copied from the template (the cluster is started
    again if an earlier test left it stopped)."""
    if not postgres.running():
        postgres.start()
    name = f"faults_{next(_numbers)}"
    postgres.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    return Database(postgres.url(name))


@pytest.fixture
def redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def stack_env():
    """Extra environment for every product process of a test (overridden per test)."""
    return {}


@pytest.fixture
def stack(request, tmp_path, database, redis, smtp, timeline, stack_env):
    processes = Stack(
        tmp_path,
        database_url=database.url,
        redis=redis,
        smtp=smtp,
        timeline=timeline,
        **stack_env,
    )
    processes.secret = request.getfixturevalue("postgres").seeded["secret"]
    yield processes
    processes.stop_all()
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(processes.logs())
