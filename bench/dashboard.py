"""The executive dashboard: latency of the admin's index page (``GET /admin/``) and of
``GET /api/admin/status`` with the demo data, with their figures cached and uncached,
against a bare Django view served by the same gunicorn in the same run; and the SQL
queries of one uncached render, with the demo data and with 500 more incidents.
Target: the uncached page's median under 300 ms, and a query count that does not grow.

    .venv/bin/python bench/dashboard.py [--seconds 10]
    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/dashboard.py

Quick run: ``--seconds 3`` (about 2 minutes, most of it loading the demo data twice).
Each run migrates a scratch database (SQLite in a temporary folder, or a database it
creates and drops on the PostgreSQL server of DATABASE_URL), loads ``seed_demo`` and
signs in its Manager (mina.manager) through a session, whose cookie every request sends.
Two servers are run, one after the other, each on its own scratch database: one with
``DASHBOARD_CACHE_SECONDS=20`` (the default: the figures are computed at most every 20
seconds, the steady state of a busy admin), one with ``DASHBOARD_CACHE_SECONDS=0``
(every request computes the figures). The chart of incidents per week has its own cache,
kept an hour by what it shows, in both. For information, the first setup also times the
page in its own process through Django's test client, alternately with every cache
cleared (the chart drawn, as after an incident changes a week's count) and with only the
figures' entry deleted.

Latency is the figure, not throughput: one client sends requests one after the other for
``--seconds`` per case (at least 10 requests, after 3 unmeasured ones) and the median and
95th percentile of the round trip on this machine are printed, with requests per second
and the ratio of each median to the bare view's of the same server.

Queries: the first setup renders the page and the status through Django's test client
with every cache cleared, under ``CaptureQueriesContext``, then adds 500 incidents through
the incidents services (spread over the last 12 weeks, a fifth left open, the others
acknowledged and most resolved) and counts again, in a transaction rolled back
afterwards, so the servers serve the demo data only. The traffic recorders (usage
analytics, the platform's API SLOs) are unregistered while counting: they write their
counts in the first request of each minute, whichever page it is. REDIS_URL is ignored:
the cache is a file cache in the scratch folder, which the setup clears.

Progress goes to stderr, results to stdout; the last line is the verdict and the exit
status is 1 when the page's median misses 300 ms or a query count grows.
"""

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import request, server

TARGET_MS = 300
EXTRA_INCIDENTS = 500
WARM_UP = 3
MIN_REQUESTS = 10
IN_PROCESS_RENDERS = 5

SETUP = """
import io
import json
import random
import statistics
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.usage import usage_record
from catalog.models import Service
from core import traffic
from incidents import services
from incidents.models import IncidentSeverity
from insights.dashboard import CACHE_KEY
from observability.platform import slo_traffic_record

COUNT = {count}
EXTRA = {extra}
RENDERS = {renders}
PAGES = ("/admin/", "/api/admin/status")

call_command("seed_demo", stdout=io.StringIO())
User = get_user_model()
manager = User.objects.get(username="mina.manager")
client = Client(HTTP_HOST="localhost")
client.force_login(manager)
result = {{"session": client.cookies["sessionid"].value}}


def get(path):
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{{path}}: status {{response.status_code}}")
    return response


def queries():
    # One render of each page, every cache cleared. The traffic recorders write what they
    # counted in a process's first request of each minute: those are the minute's queries,
    # not the page's, so they are off while counting.
    counts = {{}}
    for recorder in (usage_record, slo_traffic_record):
        traffic.unregister(recorder)
    try:
        for path in PAGES:
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                get(path)
            counts[path] = len(captured)
    finally:
        for recorder in (usage_record, slo_traffic_record):
            traffic.register(recorder)
    return counts


def add_incidents(n):
    rng = random.Random(20260500)
    catalogue = list(Service.objects.order_by("pk"))
    people = list(User.objects.filter(groups__name="Responder").order_by("pk"))
    severities = list(IncidentSeverity.values)
    now = timezone.now()
    for i in range(n):
        at = now - timedelta(minutes=rng.uniform(30, 84 * 24 * 60))
        responder = people[i % len(people)]
        incident = services.incident_create(
            service=catalogue[i % len(catalogue)],
            title=f"Bench incident {{i}}",
            severity=rng.choice(severities),
            assignees=[responder],
            at=at,
        )
        if i % 5 == 0:
            continue
        at += timedelta(minutes=rng.uniform(1, 30))
        incident = services.incident_acknowledge(incident=incident, by=responder, at=at)
        if i % 5 > 1:
            at = min(at + timedelta(minutes=rng.uniform(10, 600)), now)
            services.incident_resolve(incident=incident, by=responder, at=at)


if COUNT:
    # The first render of a process fills per-process caches (content types, templates).
    cache.clear()
    if b'id="vigil-dashboard"' not in get("/admin/").content:
        raise RuntimeError("/admin/ does not show the dashboard")
    get("/api/admin/status")
    with transaction.atomic():
        result["queries_demo"] = queries()
        add_incidents(EXTRA)
        result["queries_more"] = queries()
        transaction.set_rollback(True)
    # Alternately: every cache cleared (the chart drawn), and only the figures' entry
    # deleted (the chart from its cache, as on a server with DASHBOARD_CACHE_SECONDS=0).
    renders = {{"cold": [], "chart_cached": []}}
    for _ in range(RENDERS):
        for name in ("cold", "chart_cached"):
            cache.clear() if name == "cold" else cache.delete(CACHE_KEY)
            started = time.perf_counter()
            get("/admin/")
            renders[name].append((time.perf_counter() - started) * 1000)
    result["render_ms"] = {{name: statistics.median(times) for name, times in renders.items()}}
cache.clear()
print(json.dumps(result))
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def latency(name, port, path, headers, *, seconds: float) -> dict:
    """Sequential GETs of ``path`` for ``seconds`` (at least ``MIN_REQUESTS``): the round
    trip of each, in ms."""
    for _ in range(WARM_UP):
        request("GET", port, path, headers=headers)
    times = []
    started = time.perf_counter()
    stop = started + seconds
    while time.perf_counter() < stop or len(times) < MIN_REQUESTS:
        began = time.perf_counter()
        status = request("GET", port, path, headers=headers)
        times.append((time.perf_counter() - began) * 1000)
        if status != 200:
            raise RuntimeError(f"{name}: status {status} (expected 200)")
    elapsed = time.perf_counter() - started
    case = {
        "name": name,
        "median": statistics.median(times),
        "p95": statistics.quantiles(times, n=20, method="inclusive")[-1],
        "rate": len(times) / elapsed,
        "requests": len(times),
    }
    log(f"    {name}: median {case['median']:.1f} ms ({len(times)} requests)")
    return case


def run_server(cache_seconds: int, *, seconds: float, count: bool) -> tuple[list[dict], dict]:
    os.environ["DASHBOARD_CACHE_SECONDS"] = str(cache_seconds)
    setup = SETUP.format(count=count, extra=EXTRA_INCIDENTS, renders=IN_PROCESS_RENDERS)
    label = "cached" if cache_seconds else "uncached"
    log(f"server with DASHBOARD_CACHE_SECONDS={cache_seconds}:")
    # The harness prints its progress to stdout; here stdout is for results.
    with contextlib.redirect_stdout(sys.stderr), server(setup_code=setup) as (port, data):
        cookie = {"Cookie": f"sessionid={data['session']}"}
        cases = [
            latency("bare Django view", port, "/bench/bare", {}, seconds=seconds),
            latency(f"GET /admin/, {label}", port, "/admin/", cookie, seconds=seconds),
            latency(
                f"GET /api/admin/status, {label}",
                port,
                "/api/admin/status",
                cookie,
                seconds=seconds,
            ),
        ]
    return cases, data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="per case (default 10)")
    args = parser.parse_args()
    # The setup clears the cache: never a real Redis, always the scratch folder's files.
    os.environ.pop("REDIS_URL", None)
    database = (
        "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    )

    log(f"dashboard benchmark on {database}: gunicorn, 2 workers, demo data")
    cached, data = run_server(20, seconds=args.seconds, count=True)
    uncached, _ = run_server(0, seconds=args.seconds, count=False)

    print(f"executive dashboard, {database}, demo data, sequential requests (round trip)")
    print(f"  {'case':<42} {'median':>9} {'p95':>9} {'req/s':>7} {'x bare':>7}")
    for cache_seconds, cases in ((20, cached), (0, uncached)):
        print(f"  server with DASHBOARD_CACHE_SECONDS={cache_seconds}:")
        bare = cases[0]["median"]
        for case in cases:
            print(
                f"  {case['name']:<42} {case['median']:6.1f} ms {case['p95']:6.1f} ms "
                f"{case['rate']:7.1f} {case['median'] / bare:6.1f}x"
            )
    render = data["render_ms"]
    print(
        f"  /admin/ in the setup's process, figures uncached (median of {IN_PROCESS_RENDERS}): "
        f"chart from its cache {render['chart_cached']:.0f} ms, every cache cleared "
        f"(chart drawn) {render['cold']:.0f} ms"
    )
    failures = []
    for path, demo in data["queries_demo"].items():
        more = data["queries_more"][path]
        print(
            f"  SQL queries of one uncached {path}: {demo}; "
            f"with {EXTRA_INCIDENTS} more incidents: {more}"
        )
        if more > demo:
            failures.append(f"{path} queries grow ({demo} -> {more})")
    page = uncached[1]["median"]
    if page >= TARGET_MS:
        failures.append(f"uncached /admin/ median {page:.0f} ms (target < {TARGET_MS} ms)")
    verdict = "; ".join(failures) if failures else "targets met"
    print(
        f"dashboard: uncached /admin/ median {page:.0f} ms (target < {TARGET_MS} ms), "
        f"queries {data['queries_demo']['/admin/']} -> {data['queries_more']['/admin/']}: {verdict}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
