"""Admin pages: the server time of each page staff use every day, with the demo data,
against a bare Django view that renders a trivial template in the same run; and the SQL
queries of one render of each. Target: every page's median under 150 ms.

    .venv/bin/python bench/admin_pages.py [--rounds 20] [--limit-ms 150]
    .venv/bin/python bench/admin_pages.py --var-dir var      # the data already there

By default each run migrates a scratch SQLite database in a temporary folder and loads
``seed_demo`` into it (about 40 s); ``--var-dir`` measures the database of that folder
instead, as it is (a demo server's, say): it writes nothing there but a session (and a
superuser, ``bench-admin``, when it has none), and clears its cache.
DATABASE_URL, when set, is used as it is: point it at a scratch database.

The pages are requested in this process through Django's test client, as a superuser
signed in with ``force_login``: the time is the server's (middleware, view, queries,
template), without a socket. Each page is requested ``--warm-up`` times unmeasured
(templates compiled, content types cached), then ``--rounds`` times in turn with the
other pages, so that a slow minute of the machine spreads over every page; the median
and 95th percentile of each are printed, with each median's ratio to the bare view's.
DEBUG is off (cached templates, no query log), as in production.

The cache is the scratch folder's (or ``--var-dir``'s) files, never Redis: the timed
requests see it as a server does (the dashboard's figures are kept 20 seconds).

Queries: one more render of each page under ``CaptureQueriesContext``, the cache cleared
before each, with the traffic recorders (usage analytics, the platform's API SLOs)
unregistered: they write what they counted in a process's first request of each minute,
whichever page it is.

Progress goes to stderr, results to stdout; the last line is the verdict, and the exit
status is 1 when a page's median reaches ``--limit-ms``.
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BARE_PATH = "/bench/bare-template"
BARE_TEMPLATE = (
    "<!doctype html><html><head><title>{{ title }}</title></head>"
    "<body><h1>{{ title }}</h1><p>{{ user.get_username }}</p></body></html>"
)


def bare_template(request):
    """The least a staff page does: a request through the same middleware (session,
    user, CSRF), and a template rendered with the request's context."""
    from django.http import HttpResponse
    from django.template import engines

    template = engines["django"].from_string(BARE_TEMPLATE)
    return HttpResponse(template.render({"title": "bare"}, request))


def __getattr__(name):
    # This module is the run's URLconf (ROOT_URLCONF): the product's URLs can only be
    # imported once Django is set up, which this script does after its own imports.
    if name == "urlpatterns":
        from django.urls import path

        from config.urls import urlpatterns

        return [path(BARE_PATH.lstrip("/"), bare_template), *urlpatterns]
    raise AttributeError(name)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def configure(var_dir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "HTTPS": "false",
            "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
            "VAR_DIR": str(var_dir),
            "ROOT_URLCONF": "bench.admin_pages",
            "LOG_LEVEL": "WARNING",
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        }
    )
    # The cache is the scratch folder's files, never a shared Redis.
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def pages() -> list[tuple[str, str]]:
    """(name, path) of every page measured; the change pages show the demo's fullest
    rows (an open incident with alerts and notifications, the policy with most steps...)."""
    from django.db.models import Count
    from django.urls import reverse

    from incidents.models import EscalationPolicy, Incident
    from incidents.models.incidents import OPEN_STATUSES
    from oncall.models import Schedule

    incident = (
        Incident.objects.filter(status__in=OPEN_STATUSES)
        .annotate(
            n_alerts=Count("alerts", distinct=True),
            n_notifications=Count("notifications", distinct=True),
        )
        .filter(n_alerts__gt=0, n_notifications__gt=0)
        .order_by("-n_notifications", "-n_alerts", "pk")
        .first()
    )
    schedule = Schedule.objects.annotate(n=Count("layers")).order_by("-n", "pk").first()
    policy = EscalationPolicy.objects.annotate(n=Count("steps")).order_by("-n", "pk").first()
    missing = [
        name
        for name, row in (("incident", incident), ("schedule", schedule), ("policy", policy))
        if row is None
    ]
    if missing:
        raise SystemExit(f"no {', '.join(missing)} to show: load the demo data first")

    def changelist(model):
        return reverse(f"admin:{model}_changelist")

    def change(model, pk):
        return reverse(f"admin:{model}_change", args=[pk])

    return [
        ("bare template view", BARE_PATH),
        ("admin index (dashboard)", reverse("admin:index")),
        ("incident list", changelist("incidents_incident")),
        (f"incident {incident.reference}", change("incidents_incident", incident.pk)),
        ("schedule list", changelist("oncall_schedule")),
        (f"schedule {schedule.pk}", change("oncall_schedule", schedule.pk)),
        ("escalation policy list", changelist("incidents_escalationpolicy")),
        (f"escalation policy {policy.pk}", change("incidents_escalationpolicy", policy.pk)),
        ("notification list", changelist("incidents_notification")),
        ("alert list", changelist("incidents_alert")),
        ("integration list", changelist("incidents_integration")),
        ("service list", changelist("catalog_service")),
        ("on call now", reverse("admin:incidents_oncall_now")),
        ("review list", changelist("incidents_postincidentreview")),
        ("action item list", changelist("incidents_actionitem")),
        ("SLO list", changelist("observability_slo")),
    ]


def client_for_superuser():
    from django.contrib.auth import get_user_model
    from django.test import Client

    User = get_user_model()
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        user = User.objects.create_superuser("bench-admin", "bench-admin@localhost", None)
    client = Client()
    client.force_login(user)
    return client


def get(client, path: str) -> float:
    """One GET, in ms; anything but a 200 stops the run."""
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {path}: status {response.status_code} (expected 200)")
    return elapsed


def query_counts(client, cases) -> dict[str, int]:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.usage import usage_record
    from core import traffic
    from observability.platform import slo_traffic_record

    recorders = (usage_record, slo_traffic_record)
    for recorder in recorders:
        traffic.unregister(recorder)
    counts = {}
    try:
        for _name, path in cases:
            # Cached figures (the dashboard's, for 20 s) would make a count depend on when
            # it is taken: each page is counted as it is built from nothing.
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                get(client, path)
            counts[path] = len(captured)
    finally:
        for recorder in recorders:
            traffic.register(recorder)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="measured requests per page")
    parser.add_argument("--warm-up", type=int, default=3, help="unmeasured requests per page")
    parser.add_argument("--limit-ms", type=float, default=150, help="highest median allowed")
    parser.add_argument(
        "--var-dir", type=Path, help="measure this VAR_DIR's database as it is (no seeding)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        var_dir = args.var_dir.resolve() if args.var_dir else Path(tmp)
        configure(var_dir)
        from django.conf import settings
        from django.core.management import call_command

        engine = settings.DATABASES["default"]["ENGINE"]
        database = "PostgreSQL" if "postgresql" in engine else "SQLite"
        if not args.var_dir:
            log(f"migrating a scratch {database} database and loading the demo data…")
            with open(os.devnull, "w") as quiet:
                call_command("migrate", "--no-input", verbosity=0, stdout=quiet)
                call_command("seed_demo", stdout=quiet)
        client = client_for_superuser()
        cases = pages()

        log(f"warming up ({args.warm_up} requests per page)…")
        for _name, path in cases:
            for _ in range(args.warm_up):
                get(client, path)
        times = {path: [] for _name, path in cases}
        for round_ in range(1, args.rounds + 1):
            for _name, path in cases:
                times[path].append(get(client, path))
            if round_ % 5 == 0 or round_ == args.rounds:
                log(f"  round {round_}/{args.rounds}")
        log("counting queries…")
        queries = query_counts(client, cases)

    print(
        f"admin pages, {database}, {'demo data' if not args.var_dir else var_dir}, "
        f"DEBUG=false, test client, {args.rounds} rounds after {args.warm_up} warm-up"
    )
    print(f"  {'page':<32} {'median':>9} {'p95':>9} {'x bare':>7} {'queries':>8}")
    bare = statistics.median(times[BARE_PATH])
    slow = []
    for name, path in cases:
        median = statistics.median(times[path])
        p95 = statistics.quantiles(times[path], n=20, method="inclusive")[-1]
        print(
            f"  {name:<32} {median:6.1f} ms {p95:6.1f} ms {median / bare:6.1f}x {queries[path]:>8}"
        )
        if path != BARE_PATH and median >= args.limit_ms:
            slow.append(f"{name} {median:.0f} ms")
    verdict = ("over the limit: " + ", ".join(slow)) if slow else "every page under the limit"
    print(f"admin pages: limit {args.limit_ms:.0f} ms median; {verdict}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
