"""Load: the product's processes under storms of alerts, events and responders, then checks
that nothing was lost, stored twice or paged twice.

    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/load.py --seconds 60
    .venv/bin/python bench/load.py --embedded --seconds 60 --rate 10

On PostgreSQL and Redis it starts gunicorn (WEB_CONCURRENCY=4), two Celery workers and
one beat, each as the Procfile starts it, in a scratch database it creates and drops and
in a Redis database number of its own. ``--embedded`` starts what ``make run`` starts
(SQLite and the filesystem broker under a temporary folder). Pages go to an SMTP server
in this process. For ``--seconds``, ``--clients`` threads send Alertmanager deliveries (1
to ``--max-alerts`` alerts each, over many groups), PagerDuty Events v2 events (trigger,
acknowledge, resolve), reads of the incident list and of incidents, acknowledgements
through the API, and requests to a bare view (the baseline each kind's median is
compared with). A request answered 5xx or not at all is retried, and counted.

Then, once the workers have drained, it checks: every accepted alert is stored once
(each delivery carries a unique ``delivery`` label or custom detail), incident numbers
are unique, every incident has exactly one page per escalation step, person and contact
method for each step that was due (and none for a step after it left ``triggered``),
every page was sent and reached the SMTP server once, no valid request got a 4xx (but
acknowledging an incident that is already resolved, 409), and, embedded, no "database is
locked" reached a client. It prints throughput and p50/p95/p99 latency per kind and exits
with status 1 when a check fails.
"""

import argparse
import copy
import http.client
import json
import math
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    PYTHON,
    ROOT,
    bench_env,
    free_port,
    private_redis_db,
    procfile,
    scratch_database,
)

SAMPLE = ROOT / "tests" / "fixtures" / "alertmanager" / "01-two-firing.json"
LOCKED = "database is locked"
HTTP_TIMEOUT = 60  # seconds: a slow answer is measured, not abandoned (and retried twice)
MAX_ATTEMPTS = 6


@dataclass
class Options:
    seconds: float = 60
    clients: int = 8
    rate: float | None = None  # requests per second from all clients; None: as fast as answered
    max_alerts: int = 500
    groups: int = 30  # Alertmanager groups per service
    services: int = 3
    pagerduty_keys: int = 8  # dedup keys per service
    tick: int = 5  # seconds between escalation ticks (beat's "advance escalations")
    first_delay: int = 10  # seconds the first escalation step waits for an acknowledgement
    web_processes: int = 1
    web_workers: int | None = 4  # WEB_CONCURRENCY; None: as config/gunicorn.py defaults
    celery_workers: int = 2
    creations: bool = False  # also open incidents by hand through the API
    embedded: bool = False
    drain_timeout: float = 600  # the embedded broker sends about two pages a second
    seed: int = 1
    weights: dict = field(
        default_factory=lambda: {
            "alertmanager": 30,
            "pagerduty": 20,
            "list": 12,
            "detail": 12,
            "acknowledge": 10,
            "bare": 6,
        }
    )

    slack: float = 10  # seconds the queue may delay an escalation tick under load

    @property
    def tolerance(self) -> float:
        """How late beat may page a due step: two ticks and the queue's delay."""
        return 2 * self.tick + self.slack


# --- in the product's processes (manage.py shell) ------------------------------------

SETUP = r"""
import json, os
from datetime import timedelta
from django.core.management import call_command

params = json.loads(os.environ["LOAD_PARAMS"])
if params["migrate"]:
    call_command("migrate", "--no-input", verbosity=0)

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from catalog import services as catalog_services
from core.periodic import periodic_tasks_install
from core.services import api_token_create
from incidents import services
from oncall.services import contact_method_create

User = get_user_model()
responder = Group.objects.get(name="Responder")

def person(name):
    user = User.objects.create_user(name, f"{name}@load.test", is_staff=True)
    user.groups.add(responder)
    return user

first, second, third, bot = (person(n) for n in ("first", "second", "third", "loadbot"))
methods = {
    first: [contact_method_create(user=first, kind="email", address=a)
            for a in ("first@load.test", "first.phone@load.test")],
    second: [contact_method_create(user=second, kind="email", address="second@load.test")],
    third: [contact_method_create(user=third, kind="email", address="third@load.test")],
}
team = catalog_services.team_create(name="Load", slug="load")
policy = services.policy_save(
    name="Load", team=team, repeat=0,
    steps=[
        {"delay": timedelta(seconds=params["first_delay"]), "users": [first, second]},
        {"delay": timedelta(seconds=600), "users": [third]},
    ],
)
catalogue = []
for n in range(params["services"]):
    service = catalog_services.service_create(name=f"Load {n}", slug=f"load-{n}", team=team)
    services.escalation_rule_set(service=service, policy=policy)
    catalogue.append({
        "id": service.pk,
        "slug": service.slug,
        "alertmanager": services.integration_create(
            service=service, kind="alertmanager", name="alertmanager").secret,
        "pagerduty": services.integration_create(
            service=service, kind="pagerduty", name="pagerduty").secret,
    })
# Beat's schedule is data: tighten the escalation tick, as an operator could in the admin.
periodic_tasks_install()
every, _ = IntervalSchedule.objects.get_or_create(every=params["tick"], period="seconds")
PeriodicTask.objects.filter(name="advance escalations").update(interval=every)
levels = [[first, second], [third]]
print(json.dumps({
    "services": catalogue,
    "token": api_token_create(user=bot, name="load").secret,
    "pages": [[[u.pk, m.pk] for u in users for m in methods[u]] for users in levels],
}))
"""

CHECK = r"""
import json, os, time
from collections import Counter, defaultdict
from datetime import timedelta
from django.db.models import Count
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone
from core.models import DeliveryStatus
from incidents.models import Alert, Incident, IncidentStatus, Notification
from incidents.models.incidents import OPEN_STATUSES

p = json.loads(os.environ["LOAD_CHECK"])
tolerance = timedelta(seconds=p["tolerance"])
first_delay = timedelta(seconds=p["first_delay"])

# Drain: no page waiting to be sent and no escalation step overdue, twice in a row.
started = time.monotonic()
quiet = 0
while time.monotonic() - started < p["timeout"]:
    now = timezone.now()
    pending = Notification.objects.filter(status=DeliveryStatus.PENDING).count()
    overdue = Incident.objects.filter(
        status=IncidentStatus.TRIGGERED, escalation_next_at__lt=now - tolerance
    ).count()
    quiet = quiet + 1 if not pending and not overdue else 0
    if quiet >= 2:
        break
    time.sleep(0.5)
drained = time.monotonic() - started
now = timezone.now()
failures = []

incidents = list(Incident.objects.values(
    "id", "number", "status", "source", "triggered_at", "acknowledged_at", "resolved_at",
    "escalation", "escalation_level", "escalation_repeat", "escalation_round",
))
numbers = Counter(i["number"] for i in incidents)
duplicated_numbers = sorted(n for n, c in numbers.items() if c > 1)
if duplicated_numbers:
    failures.append(f"duplicated incident numbers: {duplicated_numbers[:20]}")
gaps = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
open_twice = list(
    Incident.objects.filter(status__in=OPEN_STATUSES).exclude(dedup_key="")
    .values("service_id", "dedup_key").annotate(n=Count("id")).filter(n__gt=1)[:20]
)
if open_twice:
    failures.append(f"more than one open incident for a service and dedup key: {open_twice}")

expected = [{tuple(pair) for pair in level} for level in p["pages"]]
pages = defaultdict(Counter)
created = {}
for row in Notification.objects.values_list(
    "incident_id", "round", "repeat", "level", "user_id", "contact_method_id", "created_at"
):
    key = tuple(row[1:6])
    pages[row[0]][key] += 1
    created[(row[0], key)] = row[6]
duplicated_pages = [
    (incident, key, n) for incident, keys in pages.items() for key, n in keys.items() if n > 1
]
if duplicated_pages:
    failures.append(f"pages written more than once: {duplicated_pages[:10]}")
missing, extra, missed_steps, after_ack, late = [], [], [], [], []
level_one_due = level_one_not_due = 0
for incident in incidents:
    if not incident["escalation"]:
        missing.append((incident["number"], "no escalation started"))
        continue
    got = set(pages[incident["id"]])
    want = {
        (incident["escalation_round"], 0, level, user, method)
        for level in range(incident["escalation_level"] + 1)
        for user, method in expected[level]
    }
    if want - got:
        missing.append((incident["number"], sorted(want - got)))
    if got - want:
        extra.append((incident["number"], sorted(got - want)))
    left = min(
        (t for t in (incident["acknowledged_at"], incident["resolved_at"]) if t), default=None
    )
    due = incident["triggered_at"] + first_delay
    if due + tolerance < (left or now):
        level_one_due += 1
        if incident["escalation_level"] < 1:
            missed_steps.append((incident["number"], str(incident["triggered_at"]), str(left)))
    elif left is not None and left < due:
        level_one_not_due += 1
    for key in got:
        if key[2] >= 1:
            at = created[(incident["id"], key)]
            late.append((at - due).total_seconds())
            if left is not None and at > left + timedelta(seconds=5):
                after_ack.append((incident["number"], str(left), str(at)))
if missing:
    failures.append(f"{len(missing)} incident(s) lack pages of a step they reached: {missing[:5]}")
if extra:
    failures.append(f"{len(extra)} incident(s) have pages of a step never reached: {extra[:5]}")
if missed_steps:
    failures.append(
        f"{len(missed_steps)} incident(s) left triggered past the first step's delay "
        f"(+{p['tolerance']} s) were never paged at level 2: {missed_steps[:5]}"
    )
if after_ack:
    failures.append(f"level 2 paged after acknowledged or resolved: {after_ack[:5]}")
unsent = list(
    Notification.objects.exclude(status=DeliveryStatus.SENT)
    .values_list("id", "status", "attempts", "last_error")[:20]
)
if unsent:
    failures.append(f"pages not sent: {unsent}")

delivery = Coalesce(KT("labels__delivery"), KT("raw__payload__custom_details__delivery"))
alerts = {}
for row in (
    Alert.objects.annotate(delivery=delivery).values("delivery", "group_key")
    .annotate(n=Count("id"), fingerprints=Count("fingerprint", distinct=True))
):
    alerts.setdefault(row["delivery"] or "", []).append(
        [row["group_key"], row["n"], row["fingerprints"]]
    )

delays = sorted(
    (sent - made).total_seconds()
    for made, sent in Notification.objects.filter(sent_at__isnull=False).values_list(
        "created_at", "sent_at"
    )
)
late.sort()
print(json.dumps({
    "drained_seconds": round(drained, 1),
    "failures": failures,
    "incidents": len(incidents),
    "incidents_by_status": Counter(i["status"] for i in incidents),
    "number_gaps": gaps[:20],
    "pages": sum(sum(c.values()) for c in pages.values()),
    "level_one_due": level_one_due,
    "level_one_not_due": level_one_not_due,
    "level_one_lateness": [late[len(late) // 2], late[-1]] if late else None,
    "page_delay": [delays[len(delays) // 2], delays[-1]] if delays else None,
    "sent_ids": list(
        Notification.objects.filter(status=DeliveryStatus.SENT).values_list("id", flat=True)
    ),
    "alerts": alerts,
}, default=str))
"""


# --- the processes ------------------------------------------------------------------


class Processes:
    """gunicorn, Celery workers and beat, as the Procfile starts them; logs under var_dir."""

    def __init__(self, env: dict, var_dir: Path, options: Options):
        self.env, self.options = env, options
        self.logs = var_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.running: list[tuple[str, subprocess.Popen, object]] = []
        self.ports = [free_port() for _ in range(options.web_processes)]

    def start_web_and_workers(self):
        """What needs no table yet: each imports Django and warms up meanwhile."""
        web_env = dict(self.env)
        if self.options.web_workers:
            web_env["WEB_CONCURRENCY"] = str(self.options.web_workers)
        for n, port in enumerate(self.ports):
            self._start(f"web{n}", procfile(port)["web"], web_env)
        worker = procfile(0)["worker"]
        for n in range(self.options.celery_workers):
            self._start(f"worker{n}", [*worker, "--hostname", f"load{n}@%h"], self.env)

    def start_beat(self):
        """Once the schedule is in the database (beat reads it when it starts)."""
        self._start("beat", procfile(0)["beat"], self.env)

    def _start(self, name, args, env):
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115  (closed in stop())
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running.append((name, process, log))

    def wait_ready(self, timeout=90) -> float:
        """Until every web process answers /healthz, every worker says it is ready and
        beat has started: the seconds it took."""
        started = time.monotonic()
        waiting = {f"web{n}" for n in range(len(self.ports))} | {
            name for name, _, _ in self.running if not name.startswith("web")
        }
        signs = {"worker": " ready.", "beat": "beat: Starting"}
        while waiting:
            for name, process, _ in self.running:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.output(name)[-3000:]}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"{sorted(waiting)} not ready after {timeout} s")
            for name in list(waiting):
                if name.startswith("web"):
                    try:
                        ready = call("GET", self.ports[int(name[3:])], "/healthz")[0] == 200
                    except OSError:
                        ready = False
                else:
                    ready = signs[name.rstrip("0123456789")] in self.output(name)
                if ready:
                    waiting.discard(name)
            time.sleep(0.2)
        return time.monotonic() - started

    def output(self, name) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        for name, process, _ in self.running:
            if process.poll() is None:
                # gunicorn's quick shutdown (the clients are done; its graceful one can
                # take seconds), Celery's warm one (a running task finishes).
                process.send_signal(signal.SIGINT if name.startswith("web") else signal.SIGTERM)
        # Everything was checked already: a process that lingers (gunicorn's master does,
        # for seconds after its workers are gone) is killed with its children.
        deadline = time.monotonic() + 5
        for _, process, log in self.running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()


def call(method, port, path, body: bytes | None = None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        connection.request(
            method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})}
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# --- the clients --------------------------------------------------------------------


@dataclass
class Attempt:
    kind: str
    port: int
    status: int  # 0: no answer (connection error or timeout)
    seconds: float
    body: bytes = b""


class Load:
    """The clients' shared state: what they did, and what the product accepted."""

    def __init__(self, options: Options, setup: dict, ports: list[int]):
        self.options, self.setup, self.ports = options, setup, ports
        self.lock = threading.Lock()
        self.attempts: list[Attempt] = []
        self.accepted: dict[str, tuple[str, int]] = {}  # delivery -> (group key, alerts)
        self.unanswered: set[str] = set()  # deliveries with an attempt that got no answer
        self.gave_up: list[str] = []
        self.refused: list[str] = []  # 4xx to valid requests
        self.conflicts = 0  # 409 acknowledging an incident that is no longer open
        self.incidents: list[int] = []
        self.template = json.loads(SAMPLE.read_text())
        self.token = {"Authorization": f"Bearer {setup['token']}"}
        self.weights = dict(options.weights)
        if options.creations:
            self.weights.setdefault("create", 10)

    # One request, retried while it gets 5xx or no answer.
    def send(self, kind, rng, method, path, payload=None, headers=None, delivery=None):
        body = json.dumps(payload).encode() if payload is not None else None
        port = rng.choice(self.ports)
        for attempt in range(MAX_ATTEMPTS):
            started = time.perf_counter()
            try:
                status, answer = call(method, port, path, body, headers)
            except OSError as error:
                status, answer = 0, str(error).encode()
            elapsed = time.perf_counter() - started
            keep = answer if status == 0 or status >= 400 else b""
            with self.lock:
                self.attempts.append(Attempt(kind, port, status, elapsed, keep))
                if status == 0 and delivery:
                    self.unanswered.add(delivery)
            if 0 < status < 500:
                return status, answer
            time.sleep(min(0.2 * 2**attempt, 2))
            port = rng.choice(self.ports)  # a load balancer would try another
        with self.lock:
            self.gave_up.append(f"{kind} {method} {path} after {MAX_ATTEMPTS} attempts")
        return None, b""

    def refuse(self, kind, status, answer):
        with self.lock:
            self.refused.append(f"{kind}: {status} {answer[:300]!r}")

    def remember(self, ids):
        with self.lock:
            self.incidents.extend(ids)
            del self.incidents[:-300]

    def some_incident(self, rng):
        with self.lock:
            return rng.choice(self.incidents[-100:]) if self.incidents else None

    # The kinds of request.
    def alertmanager(self, rng, delivery, size=None):
        service = rng.choice(self.setup["services"])
        group = rng.randrange(self.options.groups)
        size = size or storm_size(rng, self.options.max_alerts)
        resolved = rng.random() < 0.12
        severity = ("critical", "warning", "error", "info")[group % 4]
        group_key = f'{{}}:{{alertname="Load{group}", service="{service["slug"]}"}}'
        alerts = []
        for n in range(size):
            alert = copy.deepcopy(self.template["alerts"][n % 2])
            alert["labels"] = {
                "alertname": f"Load{group}",
                "service": service["slug"],
                "severity": severity,
                "instance": f"web-{n}",
                "delivery": delivery,
            }
            alert["fingerprint"] = f"{delivery}-{n}"
            if resolved:
                alert["status"], alert["endsAt"] = "resolved", "2026-11-27T02:16:32Z"
            alerts.append(alert)
        payload = {
            **self.template,
            "status": "resolved" if resolved else "firing",
            "alerts": alerts,
            "groupKey": group_key,
            "groupLabels": {"alertname": f"Load{group}", "service": service["slug"]},
            "commonLabels": {
                "alertname": f"Load{group}",
                "service": service["slug"],
                "severity": severity,
            },
        }
        auth = {"Authorization": f"Bearer {service['alertmanager']}"}
        status, answer = self.send(
            "alertmanager", rng, "POST", "/api/integrations/alertmanager", payload, auth, delivery
        )
        if status == 200:
            with self.lock:
                self.accepted[delivery] = (group_key, size)
            self.remember(i["id"] for i in json.loads(answer)["incidents"])
        elif status is not None:
            self.refuse("alertmanager", status, answer)

    def pagerduty(self, rng, delivery):
        service = rng.choice(self.setup["services"])
        key = f"pd-{service['slug']}-{rng.randrange(self.options.pagerduty_keys)}"
        action = rng.choices(("trigger", "acknowledge", "resolve"), (60, 25, 15))[0]
        payload = {
            "routing_key": service["pagerduty"],
            "event_action": action,
            "dedup_key": key,
            "payload": {
                "summary": f"Load event on {key}",
                "source": "load",
                "severity": rng.choice(("critical", "error", "warning")),
                "custom_details": {"delivery": delivery},
            },
        }
        status, answer = self.send("pagerduty", rng, "POST", "/v2/enqueue", payload, None, delivery)
        if status == 202:
            with self.lock:
                self.accepted[delivery] = (key, 1)
        elif status is not None:
            self.refuse("pagerduty", status, answer)

    def list(self, rng, delivery):
        path = rng.choice(("/api/incidents/", "/api/incidents/?status=triggered"))
        status, answer = self.send("list", rng, "GET", path, None, self.token)
        if status == 200:
            self.remember(row["id"] for row in json.loads(answer)["results"][:20])
        elif status is not None:
            self.refuse("list", status, answer)

    def detail(self, rng, delivery):
        incident = self.some_incident(rng)
        if incident is None:
            return self.list(rng, delivery)
        path = f"/api/incidents/{incident}"
        status, answer = self.send("detail", rng, "GET", path, None, self.token)
        if status is not None and status != 200:
            self.refuse("detail", status, answer)

    def acknowledge(self, rng, delivery):
        incident = self.some_incident(rng)
        if incident is None:
            return self.list(rng, delivery)
        path = f"/api/incidents/{incident}/acknowledge"
        status, answer = self.send("acknowledge", rng, "POST", path, {}, self.token)
        if status == 409 and b'"invalid_transition"' in answer:
            with self.lock:
                self.conflicts += 1  # resolved meanwhile (by a resolved storm or event)
        elif status is not None and status != 200:
            self.refuse("acknowledge", status, answer)

    def create(self, rng, delivery):
        service = rng.choice(self.setup["services"])
        payload = {"service": service["id"], "title": f"Opened by hand {delivery}"}
        status, answer = self.send("create", rng, "POST", "/api/incidents/", payload, self.token)
        if status == 201:
            self.remember([json.loads(answer)["id"]])
        elif status is not None:
            self.refuse("create", status, answer)

    def bare(self, rng, delivery):
        status, answer = self.send("bare", rng, "GET", "/bench/bare")
        if status is not None and status != 200:
            self.refuse("bare", status, answer)

    def client(self, index: int, stop: float):
        rng = random.Random(self.options.seed * 1000 + index)
        kinds, weights = zip(*self.weights.items(), strict=True)
        interval = self.options.clients / self.options.rate if self.options.rate else 0
        next_at = time.monotonic() + rng.random() * interval
        n = 0
        if index == 0:  # one storm of the largest size, and one of a single alert
            self.alertmanager(rng, f"c{index}n{n}", size=self.options.max_alerts)
            self.alertmanager(rng, f"c{index}n{n + 1}", size=1)
            n = 2
        # Each kind once first, in order (alerts before the reads and acknowledgements
        # that need incidents), so that even a short run sends every kind.
        first = list(kinds)
        while time.monotonic() < stop:
            if interval:
                time.sleep(max(0, next_at - time.monotonic()))
                next_at = max(next_at + interval, time.monotonic() - interval)
            kind = first.pop(0) if first else rng.choices(kinds, weights)[0]
            getattr(self, kind)(rng, f"c{index}n{n}")
            n += 1

    def run(self):
        stop = time.monotonic() + self.options.seconds
        clients = range(self.options.clients)
        threads = [threading.Thread(target=self.client, args=(i, stop)) for i in clients]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - started


def storm_size(rng, largest: int) -> int:
    """Most deliveries are small; a few are storms of hundreds of alerts."""
    r = rng.random()
    if r < 0.4:
        return 1
    if r < 0.8:
        return rng.randint(2, min(20, largest))
    if r < 0.95:
        return rng.randint(min(21, largest), min(100, largest))
    return rng.randint(min(101, largest), largest)


# --- the run ------------------------------------------------------------------------


@dataclass
class Outcome:
    failures: list[str]
    report: str
    figures: dict


class SmtpSink:
    """An SMTP server that counts the pages it receives by their Message-ID."""

    def __init__(self, domain: str):
        from aiosmtpd.controller import Controller

        # Pages name the site's host in their Message-ID: a host of this run's own tells
        # its pages from mail that another program on this machine sends to the port.
        pattern = rb"^Message-ID: <page-(\d+)@" + re.escape(domain.encode()) + rb">"
        self.page = re.compile(pattern, re.M | re.I)
        self.received = Counter()
        self.other: list[str] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        match = self.page.search(envelope.content)
        if match:
            self.received[int(match.group(1))] += 1
        else:  # not one of this run's pages: named in the report
            found = re.search(rb"^(Message-ID: .*)$", envelope.content, re.M | re.I)
            self.other.append(found.group(1).decode(errors="replace") if found else "?")
        return "250 OK"


def shell(env, code, variable, params) -> dict:
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env={**env, variable: json.dumps(params)},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py shell failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(
    options: Options,
    *,
    database_url: str | None,
    redis_url: str | None,
    var_dir: Path,
    migrate: bool = True,
    out=print,
) -> Outcome:
    """Start everything on ``database_url`` (None: SQLite under ``var_dir``) and
    ``redis_url`` (None: the filesystem broker under ``var_dir``), load, drain, check."""
    env = bench_env(var_dir)
    # Named outright, so that a checkout's .env cannot point a run at another database;
    # an empty REDIS_URL means the filesystem broker and the file cache.
    env["DATABASE_URL"] = database_url or f"sqlite:///{var_dir / 'db.sqlite3'}"
    env["REDIS_URL"] = redis_url or ""
    (var_dir / "prometheus").mkdir(parents=True, exist_ok=True)
    site = f"load-{secrets.token_hex(4)}.invalid"
    sink = SmtpSink(site)
    env.update(
        EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
        SITE_URL=f"http://{site}",
        PROMETHEUS_MULTIPROC_DIR=str(var_dir / "prometheus"),
    )
    begun = time.monotonic()

    def say(text):
        out(f"  [{time.monotonic() - begun:5.1f} s] {text}")

    sink.controller.start()
    processes = Processes(env, var_dir, options)
    try:
        processes.start_web_and_workers()
        say(f"setting up{' (migrating)' if migrate else ''}…")
        setup = shell(
            env,
            SETUP,
            "LOAD_PARAMS",
            {
                "migrate": migrate,
                "services": options.services,
                "tick": options.tick,
                "first_delay": options.first_delay,
            },
        )
        processes.start_beat()
        ready = processes.wait_ready()
        say(f"ready (waited {ready:.1f} s); loading for {options.seconds:g} s…")
        load = Load(options, setup, processes.ports)
        elapsed = load.run()
        say("draining and checking…")
        checked = shell(
            env,
            CHECK,
            "LOAD_CHECK",
            {
                "tolerance": options.tolerance,
                "first_delay": options.first_delay,
                "pages": setup["pages"],
                "timeout": options.drain_timeout,
            },
        )
        time.sleep(1)  # the last page's SMTP conversation
        say(f"checked (drained in {checked['drained_seconds']} s); stopping…")
    finally:
        processes.stop()
        sink.controller.stop()
    say("stopped")
    return judge(options, load, elapsed, checked, sink, processes)


def judge(options, load: Load, elapsed, checked, sink: SmtpSink, processes) -> Outcome:
    failures = list(checked["failures"])
    failures += [f"a valid request was refused: {line}" for line in load.refused[:10]]
    if len(load.refused) > 10:
        failures.append(f"... and {len(load.refused) - 10} more refusals")
    failures += [f"retried in vain: {line}" for line in load.gave_up[:10]]

    # Every accepted delivery's alerts, stored once; nothing stored that was refused.
    stored = checked["alerts"]
    wrong, repeated = [], []
    for delivery, (group_key, size) in load.accepted.items():
        rows = stored.get(delivery, [])
        if rows == [[group_key, size, size]]:
            continue
        if (
            delivery in load.unanswered
            and len(rows) == 1
            and rows[0][0] == group_key
            and rows[0][2] == size
            and rows[0][1] % size == 0
        ):
            # An attempt that got no answer may have been stored before it was retried:
            # the sender cannot tell, as with any HTTP sender. Reported, not a failure.
            repeated.append(delivery)
            continue
        wrong.append((delivery, size, rows))
    unaccepted = sorted(set(stored) - set(load.accepted) - load.unanswered)
    if wrong:
        failures.append(
            f"{len(wrong)} accepted deliveries not stored exactly once "
            f"(delivery, alerts sent, [group, rows, fingerprints]): {wrong[:5]}"
        )
    if unaccepted:
        failures.append(f"alerts stored from deliveries never accepted: {unaccepted[:10]}")

    sent = set(checked["sent_ids"])
    never = sorted(sent - set(sink.received))
    twice = sorted(pk for pk, n in sink.received.items() if n > 1)
    if never:
        failures.append(f"{len(never)} pages marked sent never reached SMTP: {never[:10]}")
    if twice:
        failures.append(f"{len(twice)} pages reached the SMTP server more than once: {twice[:10]}")

    errors = [a for a in load.attempts if a.status == 0 or a.status >= 500]
    locked_answers = [a for a in errors if LOCKED.encode() in a.body]
    logs = {name: processes.output(name) for name, _, _ in processes.running}
    locked_logs = {name: text.count(LOCKED) for name, text in logs.items() if LOCKED in text}
    web_locked = sum(n for name, n in locked_logs.items() if name.startswith("web"))
    if locked_answers or web_locked:
        failures.append(
            f'"{LOCKED}" reached clients: {len(locked_answers)} answers say it, and the web '
            f"log names it {web_locked} times (the API answers 503 for it)"
        )

    figures = {
        "seconds": round(elapsed, 1),
        "kinds": {},
        "errors": Counter(a.status for a in errors),
        "acknowledge_conflicts": load.conflicts,
        "alerts_accepted": sum(size for key, size in load.accepted.values()),
        "stored_again_after_no_answer": len(repeated),
        "locked_in_logs": locked_logs,
        **{k: v for k, v in checked.items() if k not in ("alerts", "sent_ids", "failures")},
        # Received pages among those the check counted; a page written after it (the
        # platform's own health incident, say) is listed apart, not counted.
        "pages_received": sum(n for pk, n in sink.received.items() if pk in sent),
        "pages_received_after_check": sorted(set(sink.received) - sent),
        "requests_per_web": {
            port: dict(Counter(a.kind for a in load.attempts if a.port == port))
            for port in load.ports
        },
    }
    by_kind = defaultdict(list)
    for attempt in load.attempts:
        by_kind[attempt.kind].append(attempt)
    bare = sorted(a.seconds for a in by_kind.get("bare", []))
    bare_median = percentile(bare, 50) if bare else None
    lines = [
        f"  {'kind':<13}{'answered':>9}{'5xx/none':>9}{'req/s':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p50/bare':>10}"
    ]
    for kind in sorted(by_kind, key=lambda k: -len(by_kind[k])):
        times = sorted(a.seconds for a in by_kind[kind])
        failed = sum(1 for a in by_kind[kind] if a.status == 0 or a.status >= 500)
        p50, p95, p99 = (percentile(times, q) * 1000 for q in (50, 95, 99))
        figures["kinds"][kind] = {
            "answered": len(times) - failed,
            "failed": failed,
            "per_second": round((len(times) - failed) / elapsed, 1),
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "p99_ms": round(p99, 1),
        }
        ratio = f"{p50 / 1000 / bare_median:10.1f}" if bare_median else f"{'':>10}"
        lines.append(
            f"  {kind:<13}{len(times) - failed:>9}{failed:>9}"
            f"{(len(times) - failed) / elapsed:>8.1f}"
            f"{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{ratio}"
        )
    lines += [
        f"  alerts accepted: {figures['alerts_accepted']} "
        f"({figures['alerts_accepted'] / elapsed:.0f}/s) in {len(load.accepted)} deliveries",
        f"  5xx or no answer (each retried): {dict(figures['errors']) or 'none'} "
        f"({len(repeated)} deliveries stored again after an attempt with no answer); "
        f"acknowledge 409 (already resolved): {load.conflicts}",
        f"  incidents: {checked['incidents']} {dict(checked['incidents_by_status'])}; "
        f"number gaps: {checked['number_gaps'] or 'none'}",
        f"  pages: {checked['pages']} written, {figures['pages_received']} received by SMTP "
        f"(and {len(sink.other)} emails not from this run{': ' if sink.other else ''}"
        f"{'; '.join(sorted(set(sink.other))[:3])}); "
        f"level 2 due for {checked['level_one_due']} incident(s), not due (acknowledged or "
        f"resolved in time) for {checked['level_one_not_due']}; level 2 paged "
        f"[median, max] s after due: {checked['level_one_lateness']}; pages sent "
        f"[median, max] s after written: {checked['page_delay']}",
        f"  drained in {checked['drained_seconds']} s; "
        f'"{LOCKED}" in process logs: {locked_logs or "none"}',
    ]
    if failures:
        lines += ["  FAILED:", *(f"    - {failure}" for failure in failures)]
    else:
        lines.append("  every check passed")
    return Outcome(failures, "\n".join(lines), figures)


def percentile(sorted_values, q) -> float:
    if not sorted_values:
        return math.nan
    index = min(len(sorted_values) - 1, max(0, math.ceil(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--embedded", action="store_true", help="SQLite and the filesystem broker")
    parser.add_argument("--rate", type=float, help="requests per second (embedded: 10)")
    parser.add_argument("--clients", type=int, help="concurrent clients (8; embedded: 4)")
    parser.add_argument("--max-alerts", type=int, default=500, help="largest storm")
    parser.add_argument("--tick", type=int, default=5, help="seconds between escalation ticks")
    parser.add_argument("--first-delay", type=int, default=10, help="first step's delay (s)")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (logs)")
    args = parser.parse_args()
    options = Options(
        seconds=args.seconds,
        max_alerts=args.max_alerts,
        tick=args.tick,
        first_delay=args.first_delay,
        embedded=args.embedded,
    )
    if args.embedded:
        # What `make run` starts: the Procfile's processes with their own defaults.
        options.rate, options.clients = 10, 4
        options.web_workers, options.celery_workers = None, 1
    options.rate = args.rate or options.rate
    options.clients = args.clients or options.clients

    folder = Path(tempfile.mkdtemp(prefix="vigil-load-"))
    if args.embedded:
        print("Load: embedded default (SQLite, filesystem broker), as `make run` starts it")
        outcome = run(options, database_url=None, redis_url=None, var_dir=folder)
    else:
        database, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL")
        if not database.startswith("postgres") or not redis_url:
            sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL, or use --embedded.")
        print(
            f"Load: PostgreSQL and Redis, gunicorn ({options.web_workers} workers), "
            f"{options.celery_workers} Celery workers, beat"
        )
        with scratch_database() as url, private_redis_db(redis_url) as private:
            print(f"  database {url.rsplit('/', 1)[-1]}, Redis {private}", flush=True)
            outcome = run(options, database_url=url, redis_url=private, var_dir=folder)
    print(outcome.report)
    if args.keep:
        print(f"  logs: {folder / 'logs'}")
    else:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(1 if outcome.failures else 0)


if __name__ == "__main__":
    main()
