"""SLO evaluation on 100 SLOs with 30 days of per-minute buckets each (4.32 million rows),
against hand-written SQL over the same rows in the same run. Target: at most 2x the
hand-written aggregate.

    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/slo.py \
        [--rounds 5] [--explain] [--covering-index include|key]

It works in a scratch PostgreSQL database it creates and drops (SQLite is refused: the
figure is about the deployment), loaded in about a minute; the whole run takes about 10
minutes on the migrations' indexes, 2 with a covering index (below). The buckets are
written in minute order, all SLOs interleaved, as the per-minute posts of a real
deployment leave them, so one SLO's 30 days are spread over the whole table rather than
packed together. A tenth of the SLOs burn fast (a page), a tenth slowly (a ticket), a
tenth have breached; the rest are met.

What is timed, interleaved and repeated (best and median of the rounds, all warm):
  product      ``slo_status(slo, at)`` for each SLO (the one query of
               ``selectors.slo_counts`` and the burn-rate arithmetic), and separately
               ``slo_evaluations_run(at=at)``, which also stores 100 evaluations and
               checks the SLOs' incidents (the evaluations are deleted, untimed, before
               each round so that every round inserts them, as each minute does).
  baseline     one hand-written ``SELECT sum(good), sum(total)`` per SLO over its 30-day
               window through the same Django connection. Every window the product needs
               lies inside those 30 days, so these rows are the least any implementation
               must read: the same index range, one round trip per SLO; everything the
               product adds (seven more windows, Python, the arithmetic) is the overhead
               the ratio measures.
  8 sums       one hand-written query with the same 8 windows as FILTERed sums over the
               30 days (what ``slo_counts`` did before): the cost of testing 8 filters
               and adding 16 sums on every row, whoever writes the SQL.

``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of the three queries for one SLO.
``--covering-index include`` adds an index on (slo_id, minute) INCLUDE (good, total) to the
scratch database after loading (``key``: on (slo_id, minute, good, total), which SQLite
can use too), to measure index-only scans before a migration adds such an index.
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SLOS = 100
SERVICES = 10
DAYS = 30
MINUTES = DAYS * 1440
AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def burn_pattern(index: int, end: int) -> tuple[int, int]:
    """(the minute after which the SLO burns, its error rate then in 1/10,000). Before
    that, and for the SLOs that do not burn, one event in a minute out of ten fails."""
    kind = index % 10
    if kind == 0:
        return end - 60, 200  # 2% for the last hour: burn rate 20 over 1h and 5m, a page
    if kind == 1:
        return end - 3 * 1440, 20  # 0.2% for 3 days: burn rate 2 over 3d and 6h, a ticket
    if kind == 2:
        return end - MINUTES, 15  # 0.15% all month: SLI 99.85% < 99.9%, breached
    return end, 0


def create_slos():
    from catalog import services as catalog_services
    from observability import services

    team = catalog_services.team_create(name="Bench", slug="bench")
    catalogue = [
        catalog_services.service_create(name=f"Service {i}", slug=f"service-{i}", team=team)
        for i in range(SERVICES)
    ]
    return [
        services.slo_create(
            service=catalogue[i % SERVICES], name=f"Availability {i}", target="99.9"
        )
        for i in range(SLOS)
    ]


def load_buckets(slos, end: int):
    """30 days x 1440 minutes x 100 SLOs, one INSERT ... SELECT generate_series per day."""
    from django.db import connection, transaction

    from observability.models import SLOBucket

    patterns = [burn_pattern(i, end) for i in range(len(slos))]
    ids = [slo.pk for slo in slos]
    burn_from = [p[0] for p in patterns]
    permyriad = [p[1] for p in patterns]
    table = SLOBucket._meta.db_table
    sql = (
        f"INSERT INTO {table} (slo_id, minute, good, total) "
        "SELECT p.slo_id, g.m, t.total - CASE"
        "  WHEN g.m > p.burn_from THEN t.total * p.permyriad / 10000"
        "  WHEN (g.m + p.slo_id) %% 10 = 0 THEN 1 ELSE 0 END, t.total "
        "FROM generate_series(%s::bigint, %s::bigint) AS g(m) "
        "CROSS JOIN unnest(%s::bigint[], %s::bigint[], %s::int[]) AS p(slo_id, burn_from, "
        "permyriad) "
        "CROSS JOIN LATERAL (SELECT 1000 + (g.m * 31 + p.slo_id * 17) %% 200 AS total) t "
        "ORDER BY g.m, p.slo_id"
    )
    first = end - MINUTES + 1
    began = time.perf_counter()
    for day in range(DAYS):
        start = first + day * 1440
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [start, start + 1439, ids, burn_from, permyriad])
        done = (day + 1) * 1440 * len(slos)
        elapsed = time.perf_counter() - began
        print(
            f"\r    day {day + 1:2}/{DAYS}: {done:>9,} rows, {elapsed:5.1f} s "
            f"({done / elapsed:,.0f} rows/s)",
            end="",
            flush=True,
        )
    print(flush=True)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        # What autovacuum does to an insert-mostly table: statistics and the visibility
        # map (without which no scan can be index-only).
        cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute(
            f"SELECT pg_size_pretty(pg_total_relation_size('{table}')), count(*) FROM {table}"
        )
        size, rows = cursor.fetchone()
    print(f"    VACUUM ANALYZE: {time.perf_counter() - began:.1f} s; {rows:,} rows, {size}")


COVERING = {
    "include": "(slo_id, minute) INCLUDE (good, total)",
    "key": "(slo_id, minute, good, total)",
}


def add_covering_index(kind: str):
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX bench_slobucket_covering ON observability_slobucket {COVERING[kind]}"
        )
        cursor.execute("VACUUM (ANALYZE) observability_slobucket")
    print(f"    covering index {COVERING[kind]} built in {time.perf_counter() - began:.1f} s")


# --- what is timed ------------------------------------------------------------------------


def product_status(slos):
    from observability import services

    for slo in slos:
        services.slo_status(slo, AT)


def product_run(_slos):
    from observability import services

    done = services.slo_evaluations_run(at=AT)
    assert done == {"evaluated": SLOS, "failed": 0}, done


BASELINE_SQL = (
    "SELECT sum(good), sum(total) FROM observability_slobucket "
    "WHERE slo_id = %s AND minute > %s AND minute <= %s"
)


def baseline_one(slos):
    from django.db import connection

    from observability.slo_math import unix_minute

    end = unix_minute(AT)
    with connection.cursor() as cursor:
        for slo in slos:
            cursor.execute(BASELINE_SQL, [slo.pk, end - MINUTES, end])
            cursor.fetchone()


def eight_sums_sql():
    from observability.slo_math import BURN_WINDOWS

    windows = [*BURN_WINDOWS.values(), MINUTES]
    sums = ", ".join(
        f"sum(good) FILTER (WHERE minute > %(end)s - {w}), "
        f"sum(total) FILTER (WHERE minute > %(end)s - {w})"
        for w in windows
    )
    return (
        f"SELECT {sums} FROM observability_slobucket "
        f"WHERE slo_id = %(slo)s AND minute > %(end)s - {MINUTES} AND minute <= %(end)s"
    )


def baseline_eight(slos):
    from django.db import connection

    from observability.slo_math import unix_minute

    end = unix_minute(AT)
    sql = eight_sums_sql()
    with connection.cursor() as cursor:
        for slo in slos:
            cursor.execute(sql, {"slo": slo.pk, "end": end})
            cursor.fetchone()


def clear_evaluations():
    from observability.models import SLOEvaluation

    SLOEvaluation.objects.all().delete()


MEASURES = {
    "baseline: 1 aggregate": baseline_one,
    "8 FILTERed sums": baseline_eight,
    "slo_status x100": product_status,
    "slo_evaluations_run": product_run,
}


def timed(name, slos) -> float:
    if name == "slo_evaluations_run":
        clear_evaluations()
    began = time.perf_counter()
    MEASURES[name](slos)
    return time.perf_counter() - began


# --- reports ------------------------------------------------------------------------------


def check_results(slos):
    """The product's counts equal the hand-written ones, and some SLOs burn."""
    from django.db import connection

    from observability import selectors, services
    from observability.slo_math import BURN_WINDOWS, unix_minute

    end = unix_minute(AT)
    with connection.cursor() as cursor:
        for slo in slos[:10]:
            cursor.execute(eight_sums_sql(), {"slo": slo.pk, "end": end})
            row = [float(v) for v in cursor.fetchone()]
            expected = {key: (row[2 * i], row[2 * i + 1]) for i, key in enumerate(BURN_WINDOWS)}
            expected["slo"] = (row[-2], row[-1])
            assert selectors.slo_counts(slo, AT) == expected, slo.pk
    statuses = [services.slo_status(slo, AT) for slo in slos]
    states = Counter(status.state for status in statuses)
    pages = sum(status.page for status in statuses)
    tickets = sum(status.ticket for status in statuses)
    print(
        f"  states: {dict(sorted(states.items()))}; alerts: {pages} page, {tickets} ticket "
        "(counts match the hand-written query)"
    )


def query_counts(slos):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from observability import services

    with CaptureQueriesContext(connection) as captured:
        services.slo_status(slos[0], AT)
    status_queries = len(captured.captured_queries)
    clear_evaluations()
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        services.slo_evaluations_run(at=AT)
    run_queries = len(captured.captured_queries)
    kinds = Counter(query["sql"].split(None, 1)[0].upper() for query in captured.captured_queries)
    print(
        f"  queries: slo_status {status_queries} per SLO; slo_evaluations_run {run_queries} "
        f"for {SLOS} SLOs ({run_queries / SLOS:.2f} per SLO, alerting and storing included: "
        + ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
        + ")"
    )


def explain(slos):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from observability import selectors
    from observability.slo_math import unix_minute

    end = unix_minute(AT)
    slo = slos[len(slos) // 2]
    with CaptureQueriesContext(connection) as captured:
        selectors.slo_counts(slo, AT)
    product_sql = captured.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        for name, sql, params in (
            ("product (selectors.slo_counts)", product_sql, None),
            ("baseline (1 aggregate)", BASELINE_SQL, [slo.pk, end - MINUTES, end]),
            ("8 FILTERed sums", eight_sums_sql(), {"slo": slo.pk, "end": end}),
        ):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print(f"  EXPLAIN ANALYZE, {name}:")
            for (line,) in cursor.fetchall():
                print(f"    {line}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--covering-index", choices=sorted(COVERING))
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures PostgreSQL.")
    from bench.harness import scratch_database

    print(f"SLO evaluation: {SLOS} SLOs x {DAYS} days of minute buckets")
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp, scratch_database() as url:
        os.environ.update(
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            HTTPS="false",
            VAR_DIR=tmp,
            LOG_LEVEL="WARNING",
            PLATFORM_SLOS="false",  # exactly the 100 SLOs below
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="config.settings",
        )
        import django

        django.setup()
        from django.core.management import call_command

        from observability import selectors
        from observability.slo_math import unix_minute

        print(f"  database: PostgreSQL, scratch database {url.rsplit('/', 1)[-1]}", flush=True)
        print("  migrating…", flush=True)
        call_command("migrate", verbosity=0)
        create_slos()
        slos = list(selectors.slo_list())
        print(f"  loading {SLOS * MINUTES:,} buckets…", flush=True)
        load_buckets(slos, unix_minute(AT))
        if args.covering_index:
            add_covering_index(args.covering_index)

        # Warm-up: every path once (the first evaluation run also opens the burning SLOs'
        # incidents, which later runs find open, as every minute after the first does).
        for name in MEASURES:
            timed(name, slos)
        check_results(slos)
        query_counts(slos)
        if args.explain:
            explain(slos)

        names = list(MEASURES)
        times = {name: [] for name in names}
        print(f"  {'round':<7}" + "".join(f"{name:>24}" for name in names), flush=True)
        for number in range(args.rounds):
            # Rotate the order so that no path always runs first (or after the same one).
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(timed(name, slos))
            print(
                f"  {number + 1:<7}"
                + "".join(f"{times[name][-1] * 1000:21.1f} ms" for name in names),
                flush=True,
            )
        best = {name: min(values) for name, values in times.items()}
        median = {name: statistics.median(values) for name, values in times.items()}
        print(f"  {'best':<7}" + "".join(f"{best[name] * 1000:21.1f} ms" for name in names))
        print(f"  {'median':<7}" + "".join(f"{median[name] * 1000:21.1f} ms" for name in names))
        per_slo = median["baseline: 1 aggregate"] / SLOS * 1000
        print(f"  (baseline: {per_slo:.2f} ms per SLO over {MINUTES:,} rows)")
        print()
        base = "baseline: 1 aggregate"
        for name in ("slo_status x100", "slo_evaluations_run", "8 FILTERed sums"):
            print(
                f"  {name} / 1 aggregate: {median[name] / median[base]:.2f}x median, "
                f"{best[name] / best[base]:.2f}x best"
            )
        print(
            f"  slo_status x100 / 8 FILTERed sums: "
            f"{median['slo_status x100'] / median['8 FILTERed sums']:.2f}x median"
        )
        ratio = median["slo_status x100"] / median[base]
        verdict = "met" if ratio <= 2 else "MISSED"
        print(f"  -> target (slo_status at most 2x the hand-written aggregate): {verdict}")


if __name__ == "__main__":
    main()
