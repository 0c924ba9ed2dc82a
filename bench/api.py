"""API throughput: the incident list (50 per page) and incident creation, against bare
Django views served by the same gunicorn in the same run.

    .venv/bin/python bench/api.py [--seconds 10] [--clients 4]

Set DATABASE_URL to run on PostgreSQL (the deployment); the default is SQLite.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import measure, request, server

SETUP = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from core.services import api_token_create
from catalog import services as catalog_services
from incidents import services

User = get_user_model()
user = User.objects.create_user("bench", is_staff=True)
user.groups.add(Group.objects.get(name="Responder"))
people = [User.objects.create_user(f"person{i}") for i in range(5)]
team = catalog_services.team_create(name="Bench", slug="bench", members=people)
catalogue = [
    catalog_services.service_create(name=f"Service {i}", slug=f"service-{i}", team=team)
    for i in range(10)
]
for i in range(500):
    services.incident_create(
        service=catalogue[i % 10], title=f"Incident {i}", commander=people[i % 5],
        assignees=people[: 1 + i % 3], by=user,
    )
print(json.dumps({"token": api_token_create(user=user, name="bench").secret,
                  "service": catalogue[0].pk}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    print("API benchmark: gunicorn, 2 workers, 500 incidents")
    with server(setup_code=SETUP) as (port, data):
        auth = {"Authorization": f"Bearer {data['token']}"}
        run = {"seconds": args.seconds, "clients": args.clients}

        bare_get = measure(
            "bare Django view (GET)",
            lambda n, c: request("GET", port, "/bench/bare"),
            expect=200,
            **run,
        )
        listing = measure(
            "GET /api/incidents?page_size=50",
            lambda n, c: request("GET", port, "/api/incidents?page_size=50", headers=auth),
            expect=200,
            **run,
        )
        bare_post = measure(
            "bare Django view (POST JSON)",
            lambda n, c: request("POST", port, "/bench/bare-post", {"title": f"x{c}-{n}"}),
            expect=201,
            **run,
        )
        create = measure(
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
    print(f"  incident list / bare view:   {listing / bare_get:.3f}")
    print(f"  incident create / bare view: {create / bare_post:.3f}")


if __name__ == "__main__":
    main()
