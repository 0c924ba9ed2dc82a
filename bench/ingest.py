"""Alert ingestion throughput: Alertmanager deliveries of 1 and of 100 alerts, in alerts
per second, against a bare Django view that inserts the same JSON into one table, served
by the same gunicorn in the same run. Targets: at least 0.5 of the bare view with 1 alert
per request, 0.2 with 100.

    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/ingest.py

With a PostgreSQL DATABASE_URL it works in a scratch database it creates and drops.
"""

import argparse
import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import measure, request, server

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "fixtures" / "alertmanager" / "01-two-firing.json"
GROUPS = 10  # deliveries rotate over this many alert groups, so most join an open incident

SETUP = """
import json
from django.db import connection
from catalog import services as catalog_services
from incidents import services

kind = "INTEGER PRIMARY KEY" if connection.vendor == "sqlite" else "BIGSERIAL PRIMARY KEY"
with connection.cursor() as cursor:
    cursor.execute(f"CREATE TABLE bench_raw (id {kind}, body TEXT NOT NULL)")
team = catalog_services.team_create(name="Bench", slug="bench")
service = catalog_services.service_create(name="Checkout", slug="checkout", team=team)
issued = services.integration_create(service=service, kind="alertmanager", name="bench")
print(json.dumps({"secret": issued.secret}))
"""


def deliveries(alerts_per_request: int) -> list[dict]:
    """One payload per group, each with ``alerts_per_request`` firing alerts."""
    base = json.loads(SAMPLE.read_text())
    payloads = []
    for group in range(GROUPS):
        alerts = []
        for i in range(alerts_per_request):
            alert = copy.deepcopy(base["alerts"][i % 2])
            alert["labels"]["instance"] = f"web-{i}"
            alert["fingerprint"] = f"g{group}-{i:05d}"
            alerts.append(alert)
        payloads.append({**base, "groupKey": f'{{}}:{{alertname="Load{group}"}}', "alerts": alerts})
    return payloads


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    print("Ingest benchmark: gunicorn, 2 workers, Alertmanager webhook payloads")
    ratios = {}
    with server(setup_code=SETUP) as (port, data):
        auth = {"Authorization": f"Bearer {data['secret']}"}
        run = {"seconds": args.seconds, "clients": args.clients, "expect": 200}
        for size in (1, 100):
            payloads = deliveries(size)

            def ours(n, c, payloads=payloads):
                return request(
                    "POST",
                    port,
                    "/api/integrations/alertmanager/",
                    payloads[(n + c) % GROUPS],
                    headers=auth,
                )

            def bare(n, c, payloads=payloads):
                return request("POST", port, "/bench/bare-ingest", payloads[(n + c) % GROUPS])

            bare_rate = measure(f"bare view, {size} alert(s)/request", bare, **run) * size
            our_rate = (
                measure(f"alertmanager endpoint, {size} alert(s)/request", ours, **run) * size
            )
            ratios[size] = our_rate / bare_rate
            print(f"    -> {our_rate:.0f} vs {bare_rate:.0f} alerts/s")

    print()
    print(f"  1 alert/request:    {ratios[1]:.3f} of the bare view (target 0.5)")
    print(f"  100 alerts/request: {ratios[100]:.3f} of the bare view (target 0.2)")


if __name__ == "__main__":
    main()
