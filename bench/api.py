"""API throughput: the incident, alert and action-item lists (50 per page), one
incident's detail, and incident creation, each against a bare Django view served by the
same gunicorn in the same run.

    .venv/bin/python bench/api.py [--seconds 10] [--clients 4] [--rounds 5]

The bare read views (bench/urls.py) serve the same rows and columns as the endpoint
they stand beside, read with ``.values()`` and answered with JsonResponse, with no
authentication, filtering or shaping. Each pair is measured in alternating windows
(``--rounds`` of each, ``--seconds`` in all per endpoint), so a load that comes and goes
on the machine weighs on both sides of a ratio alike. Set DATABASE_URL to run on
PostgreSQL (the deployment); the default is SQLite.
"""

import argparse
import contextlib
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import measure, request, server

SETUP = """
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from core.services import api_token_create
from catalog import services as catalog_services
from incidents import services
from incidents.ingest.types import AlertGroup, IncomingAlert
from incidents.services.alerts import alerts_ingest
from incidents.services.reviews import action_item_create, review_open

User = get_user_model()
user = User.objects.create_user("bench", is_staff=True)
user.groups.add(Group.objects.get(name="Responder"))
people = [
    User.objects.create_user(f"person{i}", first_name=f"First{i}", last_name=f"Last{i}")
    for i in range(5)
]
team = catalog_services.team_create(name="Bench", slug="bench", members=people)
catalogue = [
    catalog_services.service_create(name=f"Service {i}", slug=f"service-{i}", team=team)
    for i in range(10)
]
integrations = [
    services.integration_create(service=service, kind="webhook", name=f"hook {i}").integration
    for i, service in enumerate(catalogue)
]
incidents = [
    services.incident_create(
        service=catalogue[i % 10], title=f"Incident {i}", commander=people[i % 5],
        assignees=people[: 1 + i % 3], dedup_key=f"bench-{i}", by=user,
    )
    for i in range(500)
]
# The newest 100 incidents get four alerts each, labelled and annotated as Alertmanager's.
now = timezone.now()
for i in range(400, 500):
    alerts = [
        IncomingAlert(
            fingerprint=f"fp-{i}-{k}", status="firing", summary=f"High latency {i}/{k}",
            severity_value="critical",
            labels={"alertname": "HighLatency", "instance": f"web-{k}:9100", "job": "web",
                    "severity": "critical", "team": "bench"},
            annotations={"summary": f"p99 above 2s on web-{k}",
                         "description": "Latency has been above the objective for 10m.",
                         "runbook_url": "https://runbooks.example.com/high-latency"},
            starts_at=now - timedelta(minutes=k), source_url="https://prometheus.example.com/graph",
        )
        for k in range(4)
    ]
    alerts_ingest(
        integration=integrations[i % 10],
        groups=[AlertGroup(key=f"bench-{i}", title=f"Incident {i}", alerts=alerts)],
    )
detail = incidents[-1]
services.incident_acknowledge(incident=detail, by=user)
for k in range(5):
    services.incident_add_note(incident=detail, by=user, text=f"Note {k}")
# 20 reviews of 3 action items each: 60 items, some without an owner or a due date.
today = timezone.localdate()
for i in range(20):
    review = review_open(incident=incidents[i], by=user)
    for k in range(3):
        action_item_create(
            review=review, by=user, title=f"Follow-up {i}/{k}", description="Details.",
            owner=people[(i + k) % 5] if k else None, priority=f"P{1 + k}",
            due_date=today + timedelta(days=i - 10) if k != 2 else None,
            ticket_url=f"https://tracker.example.com/T-{i}{k}",
        )
print(json.dumps({"token": api_token_create(user=user, name="bench").secret,
                  "service": catalogue[0].pk, "detail": detail.pk}))
"""


def paired(name_a, make_a, name_b, make_b, *, seconds, clients, rounds, expect):
    """Requests per second of a and of b, measured in ``rounds`` alternating windows."""
    window = {"seconds": seconds / rounds, "clients": clients, "expect": expect}
    rates = ([], [])
    for _ in range(rounds):
        with contextlib.redirect_stdout(io.StringIO()):
            rates[0].append(measure(name_a, make_a, **window))
            rates[1].append(measure(name_b, make_b, **window))
    means = [sum(side) / rounds for side in rates]
    for name, rate, side in ((name_a, means[0], rates[0]), (name_b, means[1], rates[1])):
        spread = f"{min(side):.0f}-{max(side):.0f}"
        print(f"  {name:<40} {rate:8.1f} req/s  (windows {spread})", flush=True)
    return means


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    print("API benchmark: gunicorn, 2 workers, 500 incidents, 400 alerts, 60 action items")
    with server(setup_code=SETUP) as (port, data):
        auth = {"Authorization": f"Bearer {data['token']}"}
        run = {"seconds": args.seconds, "clients": args.clients, "rounds": args.rounds}

        def get(path, headers=None):
            return lambda n, c: request("GET", port, path, headers=headers)

        reads = [
            ("incident list", "/bench/bare-incidents", "/api/incidents?page_size=50"),
            ("alert list", "/bench/bare-alerts", "/api/alerts?page_size=50"),
            ("action-item list", "/bench/bare-action-items", "/api/action-items?page_size=50"),
            (
                "incident detail",
                f"/bench/bare-incidents/{data['detail']}",
                f"/api/incidents/{data['detail']}",
            ),
        ]
        ratios = []
        for name, bare_path, api_path in reads:
            bare, api = paired(
                f"bare view, {name}",
                get(bare_path),
                f"GET {api_path}",
                get(api_path, auth),
                expect=200,
                **run,
            )
            ratios.append((name, api / bare))

        bare_post, create = paired(
            "bare Django view (POST JSON)",
            lambda n, c: request("POST", port, "/bench/bare-post", {"title": f"x{c}-{n}"}),
            "POST /api/incidents",
            lambda n, c: request(
                "POST",
                port,
                "/api/incidents",
                {"service": data["service"], "title": f"bench {c}-{n}"},
                headers=auth,
            ),
            expect=201,
            **run,
        )

    print()
    for name, ratio in ratios:
        print(f"  {name + ' / bare view:':<33} {ratio:.3f}")
    print(f"  {'incident create / bare view:':<33} {create / bare_post:.3f}")


if __name__ == "__main__":
    main()
