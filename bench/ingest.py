"""Alert ingestion throughput: Alertmanager deliveries of 1 and of 100 alerts, in alerts
per second, against a bare Django view that inserts the same JSON into one table, served
by the same gunicorn in the same run. Targets: at least 0.5 of the bare view with 1 alert
per request, 0.2 with 100.

    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/ingest.py

With a PostgreSQL DATABASE_URL it works in a scratch database it creates and drops.
``--groups 50 --new-fingerprints --clients 8`` spreads deliveries over more incidents and
gives every delivered alert a fingerprint not seen before, as a busy sender does.
"""

import argparse
import copy
import itertools
import json
import os
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
database = connection.settings_dict["NAME"] if connection.vendor == "postgresql" else ""
print(json.dumps({"secret": issued.secret, "database": str(database)}))
"""


def deliveries(alerts_per_request: int, groups: int = GROUPS) -> list[dict]:
    """One payload per group, each with ``alerts_per_request`` firing alerts."""
    base = json.loads(SAMPLE.read_text())
    payloads = []
    for group in range(groups):
        alerts = []
        for i in range(alerts_per_request):
            alert = copy.deepcopy(base["alerts"][i % 2])
            alert["labels"]["instance"] = f"web-{i}"
            alert["fingerprint"] = f"g{group}-{i:05d}"
            alerts.append(alert)
        payloads.append({**base, "groupKey": f'{{}}:{{alertname="Load{group}"}}', "alerts": alerts})
    return payloads


def renamed(payload: dict, tag: str) -> dict:
    """The payload with every alert's fingerprint made new by ``tag`` (shallow copies:
    the client's own cost stays small and the same for both views)."""
    alerts = [{**a, "fingerprint": f"{a['fingerprint']}-{tag}"} for a in payload["alerts"]]
    return {**payload, "alerts": alerts}


def server_cpu_seconds(port: int, database: str) -> float:
    """CPU time used so far by the gunicorn serving ``port`` and by the PostgreSQL
    backends connected to ``database``: unlike a rate, it does not depend on what else
    the machine is running."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ours = "gunicorn" in cmdline and f"127.0.0.1:{port}" in cmdline
        if ours or (database and cmdline.startswith("postgres:") and f" {database} " in cmdline):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--groups", type=int, default=GROUPS, help="alert groups to rotate over")
    parser.add_argument(
        "--new-fingerprints",
        action="store_true",
        help="every delivery's alerts get fingerprints not delivered before",
    )
    parser.add_argument(
        "--sizes", default="1,100", help="alerts per request to measure, comma-separated"
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    groups = args.groups

    print("Ingest benchmark: gunicorn, 2 workers, Alertmanager webhook payloads")
    ratios, cpu_ratios = {}, {}
    with server(setup_code=SETUP) as (port, data):
        auth = {"Authorization": f"Bearer {data['secret']}"}
        run = {"seconds": args.seconds, "clients": args.clients, "expect": 200}
        for size in sizes:
            payloads = deliveries(size, groups)

            def body(n, c, payloads=payloads):
                payload = payloads[(n + c) % groups]
                return renamed(payload, f"c{c}n{n}") if args.new_fingerprints else payload

            def ours(n, c, body=body):
                return request(
                    "POST", port, "/api/integrations/alertmanager/", body(n, c), headers=auth
                )

            def bare(n, c, body=body):
                return request("POST", port, "/bench/bare-ingest", body(n, c))

            def cpu_per_alert(name, view, size=size):
                """Alerts per second, and server CPU milliseconds per alert."""
                calls = itertools.count()

                def counted(n, c):
                    next(calls)
                    return view(n, c)

                before = server_cpu_seconds(port, data["database"])
                rate = measure(name, counted, **run) * size
                used = server_cpu_seconds(port, data["database"]) - before
                return rate, used * 1000 / (next(calls) * size)

            bare_rate, bare_cpu = cpu_per_alert(f"bare view, {size} alert(s)/request", bare)
            our_rate, our_cpu = cpu_per_alert(
                f"alertmanager endpoint, {size} alert(s)/request", ours
            )
            ratios[size] = our_rate / bare_rate
            cpu_ratios[size] = bare_cpu / our_cpu
            print(f"    -> {our_rate:.0f} vs {bare_rate:.0f} alerts/s")
            print(
                f"    -> server CPU {our_cpu:.3f} vs {bare_cpu:.3f} ms/alert "
                f"(web workers{' and PostgreSQL backends' if data['database'] else ''})"
            )

    print()
    targets = {1: " (target 0.5)", 100: " (target 0.2)"}
    for size, ratio in ratios.items():
        label = f"{size} alert{'s' if size > 1 else ''}/request:"
        print(f"  {label:<20}{ratio:.3f} of the bare view{targets.get(size, '')}")
    print("  By server CPU per alert (bare / ours: the rate ratio on an otherwise idle machine")
    print("  where the server is the bottleneck):")
    for size, ratio in cpu_ratios.items():
        label = f"{size} alert{'s' if size > 1 else ''}/request:"
        print(f"  {label:<20}{ratio:.3f}")


if __name__ == "__main__":
    main()
