"""Private servers and product processes for the fault tests: a PostgreSQL cluster and a
Redis of their own on free ports under a temporary folder (stopping them is the fault,
so never the machine's shared ones), gunicorn, a Celery worker, Celery beat, an SMTP
server (aiosmtpd) and the real Alertmanager.

The test process reads the private database with plain SQL (psycopg): pytest-django's
test database is not the one these processes write to."""

import asyncio
import email
import email.policy
import glob
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller

from tests.support import ROOT, free_port, project_env, run_python, venv_bin, wait_until

# A full run waits out the product's own timings (the outbox's 2-minute grace before a
# sweep and 5-minute lease, a 5-minute SMTP outage); the short form, run with the suite,
# moves the rows' clocks instead. `make faults-long` sets it.
LONG = os.environ.get("FAULTS_LONG") == "1"


class Timeline:
    """What the test did and saw, with the time since it started: printed as it goes,
    so pytest shows it (with the processes' logs) when the test fails."""

    def __init__(self):
        self.started = time.monotonic()
        self.entries = []

    def __call__(self, message: str) -> None:
        line = f"[{time.monotonic() - self.started:6.1f}s] {message}"
        self.entries.append(line)
        print(line, flush=True)


# --- servers ---------------------------------------------------------------------


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    return shutil.which(name) or name


def postgres_available() -> bool:
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or shutil.which("initdb") is not None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (trust auth, user ``root``) on a free port. initdb
    refuses to run as root, so under root (CI) the cluster belongs to ``postgres``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = free_port()
        self.as_root = os.getuid() == 0

    def _run(self, *args, timeout=60):
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}\n{self.logs()}"
            )
        return result

    def init(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.folder, "postgres")
        self._run(
            _postgres_bin("initdb"),
            "-D",
            str(self.data),
            "-U",
            "root",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self):
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            # A test cluster: durability against power loss is not what is tested.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        pg_ctl = _postgres_bin("pg_ctl")
        self._run(pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self, mode="fast"):
        """A fast shutdown, as an operator's restart: open sessions are cut."""
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgres://root@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: str, database="postgres"):
        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as conn:
            conn.execute(statement)

    def logs(self) -> str:
        with suppress(OSError):
            return self.log.read_text(errors="replace")[-3000:]
        return ""


class PrivateRedis:
    """redis-server on a free port, with no persistence: a restart starts empty, as a
    broker that lost its queued tasks."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.log = open(self.folder / "redis.log", "ab")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                *f"--port {self.port} --bind 127.0.0.1 --appendonly no --daemonize no".split(),
                *["--save", "", "--dir", str(self.folder)],
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_until(self.ping, timeout=10, interval=0.05, message="redis-server to start")

    def ping(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self):
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                self.process.wait(timeout=10)
            self.log.close()
        self.process = None


class _Mailbox:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        sink = self.sink
        if sink.stalling:
            # The message is in, the answer never comes: the sender is stuck mid-send.
            sink.stalled.append(envelope)
            while sink.stalling:
                await asyncio.sleep(0.05)
            return "421 closing"  # never a 250: this copy was not accepted
        sink.messages.append(envelope)
        return "250 OK"


class SmtpSink:
    """An SMTP server (aiosmtpd, in a thread) on a fixed free port that can go down
    (the port refuses connections), come back, or stall after receiving DATA."""

    def __init__(self):
        self.port = free_port()
        self.messages = []  # accepted (250)
        self.stalled = []  # received but never answered
        self.stalling = False
        self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller = Controller(_Mailbox(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.stalling = False
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @staticmethod
    def message_id(envelope) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        return parsed["Message-ID"]

    def message_ids(self) -> list[str]:
        return [self.message_id(envelope) for envelope in self.messages]


# --- product processes -------------------------------------------------------------


class Service:
    """A process of the product, in its own process group (so a SIGKILL takes its
    children too); its output goes to a log file kept for failure messages."""

    def __init__(self, name, args, folder: Path, env: dict):
        self.name = name
        self.ended_by_test = False  # set when the test stops or kills it
        self.log_path = Path(folder) / f"{name}.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop())
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=project_env(**env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self):
        """SIGKILL the whole group: no shutdown, no acknowledgement, no cleanup."""
        self.ended_by_test = True
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)
        if not self._log.closed:
            self._log.close()

    def stop(self):
        self.ended_by_test = True
        if self.alive():
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        # Children (prefork pool, gunicorn workers) that outlived their parent.
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        if not self._log.closed:
            self._log.close()


class Stack:
    """The product's processes on one private database and Redis, started on demand;
    ``stop_all`` (the fixture's teardown) ends whatever is still running."""

    def __init__(self, folder, *, database_url, redis, smtp, timeline, **env):
        self.folder = Path(folder)
        self.redis = redis
        self.smtp = smtp
        self.timeline = timeline
        self.web_port = free_port()
        self.site_url = f"http://127.0.0.1:{self.web_port}"
        self.env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis.url,
            "EMAIL_URL": smtp.url,
            "VAR_DIR": str(self.folder / "var"),
            "SITE_URL": self.site_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DEBUG": "false",
            "HTTPS": "false",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "text",
            "OUTGOING_ALLOW_PRIVATE": "true",
            "PLATFORM_SLOS": "false",
            "USAGE_ANALYTICS": "false",
            "PROMETHEUS_MULTIPROC_DIR": None,
            **env,
        }
        self.services: dict[str, list[Service]] = {}
        self._counts: dict[str, int] = {}

    def _start(self, name, args, **env) -> Service:
        count = self._counts.get(name, 0) + 1
        self._counts[name] = count
        service = Service(f"{name}-{count}", args, self.folder, {**self.env, **env})
        self.services.setdefault(name, []).append(service)
        self.timeline(f"started {service.name} (pid {service.popen.pid})")
        return service

    def web(self, *, wait=True, **env) -> Service:
        service = self._start(
            "web",
            [
                venv_bin("gunicorn"),
                *["config.wsgi", "--config", "config/gunicorn.py"],
                *["--bind", f"127.0.0.1:{self.web_port}"],
            ],
            # One worker boots faster than two, and the faults are the same for each.
            WEB_CONCURRENCY="1",
            **env,
        )
        if wait:
            self.wait_web(service)
        return service

    def wait_web(self, service):
        def answers():
            assert service.alive(), service.output()[-3000:]
            return http_get(f"{self.site_url}/healthz")[0] == 200

        wait_until(answers, timeout=60, interval=0.1, message="gunicorn to answer")

    def worker(self, *, wait=True, **env) -> Service:
        # As the Procfile runs it.
        service = self._start(
            "worker",
            [
                venv_bin("celery"),
                *["--app", "config", "worker", "--queues", "default,notifications,reports"],
                *["--concurrency", "2", "--without-mingle", "--without-gossip"],
                *["--loglevel", "INFO"],
            ],
            **env,
        )
        if wait:
            self.wait_worker(service)
        return service

    def wait_worker(self, service):
        def ready():
            assert service.alive(), service.output()[-3000:]
            return " ready." in service.output()

        wait_until(ready, timeout=60, interval=0.1, message="the Celery worker to be ready")

    def beat(self, **env) -> Service:
        return self._start(
            "beat",
            [
                venv_bin("celery"),
                *["--app", "config", "beat", "--loglevel", "INFO"],
                *["--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
            ],
            **env,
        )

    def start(self, *, beat=False):
        """Web and a worker (and beat), started side by side; returns once they answer."""
        web, worker = self.web(wait=False), self.worker(wait=False)
        if beat:
            self.beat()
        self.wait_web(web)
        self.wait_worker(worker)
        self.timeline("web and worker ready")

    def latest(self, name) -> Service:
        return self.services[name][-1]

    def supervise(self) -> None:
        """Start again any process that exited on its own, as the supervisor the
        deployment guide asks for would (docs/deploy.md); the timeline says so."""
        starters = {"web": self.web, "worker": self.worker, "beat": self.beat}
        for name, services in self.services.items():
            latest = services[-1]
            if not latest.alive() and not latest.ended_by_test:
                latest.ended_by_test = True
                last_lines = [
                    line for line in latest.output().splitlines() if "Unrecoverable" in line
                ] or latest.output().splitlines()[-1:]
                self.timeline(
                    f"{latest.name} exited on its own ({latest.popen.returncode}): "
                    f"{last_lines[-1][:200] if last_lines else ''}; starting another"
                )
                starters[name](**({} if name == "beat" else {"wait": False}))

    def stop_all(self):
        # The end of a test: nothing left to finish cleanly.
        for services in self.services.values():
            for service in services:
                service.kill()

    def logs(self, lines=60) -> str:
        """The end of each process's log, without beat's line for every task it sends."""
        parts = []
        for services in self.services.values():
            for service in services:
                kept = [
                    line
                    for line in service.output().splitlines()
                    if "Sending due task" not in line and not line.startswith("  ")
                ]
                status = "running" if service.alive() else f"exited {service.popen.returncode}"
                parts.append(f"----- {service.name} ({status}) -----")
                parts.extend(line[:300] for line in kept[-lines:])
        return "\n".join(parts)


# --- talking to them ---------------------------------------------------------------


def http_get(url, timeout=5) -> tuple[int, dict, bytes]:
    return http_request(url, timeout=timeout)


def http_request(url, body: bytes | None = None, headers=None, timeout=10):
    """(status, headers, body); an error status is an answer, not an exception. A
    refused connection is status 0."""
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except OSError:
        return 0, {}, b""


def post_alertmanager(site_url, secret, payload: dict, timeout=15):
    return http_request(
        f"{site_url}/api/integrations/alertmanager/",
        json.dumps(payload).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
        timeout=timeout,
    )


def alertmanager_payload(group: str, instances=("web-1",), status="firing") -> dict:
    """An Alertmanager webhook (version 4) for one group of firing alerts."""
    labels = {"alertname": group, "service": "checkout", "severity": "critical"}
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{group}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "vigil",
        "groupLabels": {"alertname": group},
        "commonLabels": labels,
        "commonAnnotations": {"summary": f"{group} on checkout"},
        "externalURL": "http://alertmanager.example",
        "alerts": [
            {
                "status": status,
                "labels": {**labels, "instance": instance},
                "annotations": {"summary": f"{group} on checkout"},
                "startsAt": "2026-11-27T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example/graph",
                "fingerprint": f"{abs(hash((group, instance))):016x}"[:16],
            }
            for instance in instances
        ],
    }


class Database:
    """Plain SQL on the private database the processes use."""

    def __init__(self, url: str):
        self.url = url

    def rows(self, query: str, *params):
        with psycopg.connect(self.url, connect_timeout=3) as conn:
            return conn.execute(query, params).fetchall()

    def value(self, query: str, *params):
        return self.rows(query, *params)[0][0]

    def execute(self, statement: str, *params) -> int:
        with psycopg.connect(self.url, connect_timeout=3) as conn:
            return conn.execute(statement, params).rowcount

    def count(self, table: str, where: str = "true", *params) -> int:
        return self.value(f"SELECT count(*) FROM {table} WHERE {where}", *params)

    def notifications(self):
        return self.rows(
            "SELECT id, status, attempts, last_error, claimed_until, retry_at "
            "FROM incidents_notification ORDER BY id"
        )

    def schedule(self, every_seconds: dict[str, int]):
        """Beat runs these tasks this often (what an operator may set in the admin) and
        no other: the fault tests need a clock in seconds, and no unrelated work."""
        self.execute("UPDATE django_celery_beat_periodictask SET enabled = false")
        for task, seconds in every_seconds.items():
            interval = self.value(
                "INSERT INTO django_celery_beat_intervalschedule (every, period) "
                "VALUES (%s, 'seconds') RETURNING id",
                seconds,
            )
            changed = self.execute(
                "UPDATE django_celery_beat_periodictask SET enabled = true, interval_id = %s, "
                "crontab_id = NULL, expire_seconds = %s, last_run_at = NULL WHERE task = %s",
                interval,
                seconds,
                task,
            )
            assert changed == 1, f"no periodic task {task}"
        self.execute("UPDATE django_celery_beat_periodictasks SET last_update = now()")


SEED = """
import json
from datetime import timedelta
from incidents import services
from incidents.services.escalation import policy_save
from oncall import services as oncall_services
from tests.factories import ServiceFactory, TeamFactory, UserFactory, make_integration

people = []
for name in ("ana", "ben"):
    user = UserFactory(username=name, roles=["Responder"])
    oncall_services.contact_method_create(user=user, kind="email", address=f"{name}@example.com")
    people.append(user)
team = TeamFactory(slug="payments")
policy = policy_save(
    name="checkout", team=team, repeat=0,
    steps=[{"delay": timedelta(hours=1), "users": people}],
)
service = ServiceFactory(slug="checkout", team=team)
services.escalation_rule_set(service=service, policy=policy)
integration, secret = make_integration("alertmanager", service=service, name="alertmanager")
print(json.dumps({"secret": secret, "integration": integration.pk}))
"""


def seed(database_url: str, var_dir: Path) -> dict:
    """Two responders paged by email at the first level of the checkout service's
    policy, and an Alertmanager integration for it: each incident pages twice."""
    result = run_python(SEED, timeout=120, DATABASE_URL=database_url, VAR_DIR=str(var_dir))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Alertmanager -------------------------------------------------------------------

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


class Alertmanager:
    """The real Alertmanager, sending every group to Vigil's webhook after 1 s and
    again every second while a send fails (its notification log records only
    successful sends)."""

    def __init__(self, folder: Path, webhook_url: str, secret: str, timeline: Timeline):
        self.folder = Path(folder)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = {
            "route": {
                "receiver": "vigil",
                "group_by": ["alertname"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {
                    "name": "vigil",
                    "webhook_configs": [
                        {
                            "url": webhook_url,
                            "send_resolved": True,
                            "http_config": {"authorization": {"credentials": secret}},
                        }
                    ],
                }
            ],
        }
        (self.folder / "alertmanager.yml").write_text(json.dumps(config))  # JSON is YAML
        self.service = Service(
            "alertmanager",
            [
                ALERTMANAGER,
                f"--config.file={self.folder / 'alertmanager.yml'}",
                f"--storage.path={self.folder / 'alertmanager-data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
                "--log.level=debug",
            ],
            self.folder,
            {},
        )
        timeline(f"started alertmanager (pid {self.service.popen.pid})")

        def ready():
            assert self.service.alive(), self.service.output()[-3000:]
            return http_get(f"{self.base}/-/ready")[0] == 200

        wait_until(ready, timeout=30, interval=0.1, message="alertmanager to start")

    def post(self, alerts: list[dict]):
        status, _, body = http_request(
            f"{self.base}/api/v2/alerts",
            json.dumps(alerts).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 200, body

    def metric(self, name: str) -> float:
        """The sum of one counter over its series, from Alertmanager's /metrics."""
        _, _, body = http_get(f"{self.base}/metrics")
        total = 0.0
        for line in body.decode().splitlines():
            if line.startswith(name) and not line.startswith("#"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self):
        self.service.stop()


class PageWatch:
    """A wait_until predicate's helper: logs each change of the pages' state (status,
    attempts, error) on the timeline, so a failure shows when each attempt happened."""

    def __init__(self, database: Database, timeline: Timeline):
        self.database = database
        self.timeline = timeline
        self.last = None

    def __call__(self):
        rows = self.database.notifications()
        state = [(pk, status, attempts, error[:60]) for pk, status, attempts, error, *_ in rows]
        if state != self.last:
            self.timeline(f"pages: {state}")
            self.last = state
        return rows
