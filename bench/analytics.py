"""Trend, forecast and anomaly scan of 100 metric series of 50,000 per-minute samples each
(5 million rows), against a hand-written baseline that fetches the same rows with one raw
SQL query per window straight into numpy and does the same arithmetic, in the same run.
Target: the product at most 1.5x the baseline per series.

    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/analytics.py \
        [--series 100] [--samples 50000] [--rounds 3] [--profile N] [--explain]

Quick run: ``--series 5 --samples 5000 --rounds 2`` (about 20 seconds). It works in a
scratch PostgreSQL database it creates and drops (SQLite is refused: the figure is about
the deployment); the full run loads in about a minute and takes 10 minutes in all on 2
cores (18 when the machine is busy with other work), most of it PostgreSQL reading pages
(below). Progress goes to stderr, results
to stdout; the last line is the verdict and the exit status is 1 when the ratio misses
the target.

Data: one sample a minute ending at ``END`` (50,000 minutes is 34.7 days), per series a
level, a linear trend, a daily cycle, Gaussian noise and a few spikes, from numpy with a
fixed seed per series. The series are created by ``samples_record`` (their first sample),
the other samples by binary COPY in minute order with all series interleaved, as a
deployment's per-minute posts leave them, each stored (``stored_at``) 2 seconds after its
time; then VACUUM ANALYZE, as autovacuum would. Interleaved, one series' 50,000 rows lie
on some 40,000 heap pages, and the table and its indexes (800 MB) exceed the default
128 MB of shared buffers: every read of a series costs PostgreSQL 150 to 250 ms of page
reads (from the OS cache), for the product and the baseline alike.

Spikes and paging: every series has 3 spikes of 12 sigmas in its history (context that
the methods must not learn as normal), and every tenth series also 2 (+15 and -10 sigmas)
in the last day, the part each scan treats as new. Scanning is product work, storing and
paging included, so it is kept and timed, and reported apart: each scan of a tenth of the
series stores critical anomalies and pages; the incident is opened once, in the warm-up,
and later scans find it open and link their anomalies to it, as every scan after the first
does. Every scan also stores the low and medium findings that chance gives 3 methods over
1,440 points of noise (the run prints how many a pass stores).

What is timed per series, interleaved (ABAB: the order alternates with every series and
every round) and repeated ``--rounds`` times, all warm (a warm-up pass runs both first):

  product   ``trend_report(metric, labels, start, end, interval=3600, horizon=86400)``
            over all the series' samples (the ORM selector, resample, fit, season and the
            three forecasts, and the answer's points), then
            ``anomalies_scan(series_ids=[id])`` with the series' scan mark
            (``AnomalyScan.stored_through``) reset, untimed, to when the sample just before
            its last 1,440 was stored, as the scan that read it would have left it (and the
            series' anomalies deleted), so every run scans the same new samples, one day
            and the one sample that ``OVERLAP`` looks at again, against 28 days of history,
            with every method in ``settings.ANOMALY_METHODS``, and stores the same findings.
  baseline  the same SELECT (``extract(epoch from timestamp)::float8, value ... WHERE
            series_id = %s AND timestamp >= %s AND timestamp < %s ORDER BY timestamp``)
            once for the trend window and once for the scan window, through the raw psycopg
            cursor, ``fetchall`` into one float64 array; then the same pure functions
            (``resample``, ``fit_trend``, ``season_length``, ``forecast`` x 3, ``detect`` x
            methods from the first new point on, which it knows from the layout instead of
            asking the database). No ORM, no storing, no answer to shape.
            (The cast: PostgreSQL's extract returns numeric, which psycopg would turn
            into Decimal objects; the product casts the same way.)

The product's time is split by wrapping its steps (a microsecond each): fetch (the series
lookup and the samples query of the trend; the new-sample and samples queries of the
scan), arithmetic (the pure functions), the trend's answer (points and forecasts as
dicts of datetimes), storing (anomalies and the scan mark, the scan bookkeeping) and
paging. Medians per series decide the ratio; the breakdown shows means, which add up.

``--profile N`` prints cProfile of the product over N series after the rounds;
``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of the product's queries for one series.
"""

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
import types
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERIES = 100
SAMPLES = 50_000
NEW = 1440  # samples each scan treats as new: the last day
STEP = 60  # seconds between samples
STORE_DELAY = 2  # seconds from a sample's time to its stored_at
END = datetime(2026, 6, 1, tzinfo=UTC)  # exclusive: the last sample is a minute before
INTERVAL = 3600
HORIZON = 86400
METRIC = "bench_orders"
SEED = 20260601
TARGET = 1.5
HISTORY_SPIKES = 3
PAGED_EVERY = 10  # every tenth series has spikes in its scanned day
PG_EPOCH = 946684800  # 2000-01-01 UTC, where PostgreSQL's binary timestamps count from


def log(message: str, *, end: str = "\n") -> None:
    print(message, end=end, file=sys.stderr, flush=True)


# --- data ---------------------------------------------------------------------------------


class Layout:
    """Where the samples lie in time, for a run of ``samples`` minutes per series, and
    what the scan reads of them."""

    def __init__(self, samples: int):
        from analytics.services.anomalies import HISTORY, OVERLAP

        self.samples = samples
        self.new = min(NEW, samples // 2)
        self.first = int(END.timestamp()) - samples * STEP  # Unix seconds of sample 0
        self.start = END - timedelta(seconds=samples * STEP)  # the trend window
        # The scan mark: when the sample just before the last ``new`` was stored, as the
        # scan that read it would have left it.
        self.stored_through = END - timedelta(seconds=(self.new + 1) * STEP - STORE_DELAY)
        # The scan looks again at what was stored up to OVERLAP before its mark: its new
        # part starts at the first sample stored after stored_through - OVERLAP.
        since = (self.stored_through - OVERLAP - self.start).total_seconds() - STORE_DELAY
        first_new = int(since // STEP) + 1  # index of the first sample stored after it
        self.first_new_at = self.start + timedelta(seconds=first_new * STEP)
        self.scanned = samples - first_new  # samples the scan treats as new
        # What the scan reads: its new samples and the history before them.
        self.scan_since = self.first_new_at - HISTORY


def values(index: int, samples: int, new: int) -> np.ndarray:
    """One series' samples, the same for the same arguments: level, trend, daily cycle,
    noise, and spikes (``HISTORY_SPIKES`` in the history; two in the new part of every
    ``PAGED_EVERY``-th series)."""
    rng = np.random.default_rng([SEED, index])
    minutes = np.arange(samples)
    level = rng.uniform(50, 500)
    sigma = level * rng.uniform(0.01, 0.03)
    slope = level * rng.uniform(-0.01, 0.01) / 1440  # per minute: up to 1% a day
    amplitude = level * rng.uniform(0.1, 0.3)
    phase = rng.uniform(0, 2 * np.pi)
    v = (
        level
        + slope * minutes
        + amplitude * np.sin(2 * np.pi * minutes / 1440 + phase)
        + rng.normal(0, sigma, samples)
    )
    history = samples - new
    spikes = rng.integers(min(1440, history // 2), history, HISTORY_SPIKES)
    v[spikes] += 12 * sigma * rng.choice([-1.0, 1.0], HISTORY_SPIKES)
    if index % PAGED_EVERY == 0:
        at = history + rng.choice(new - 60, 2, replace=False) + 30
        v[at] += np.array([15.0, -10.0]) * sigma
    return v


def create_series(count: int, layout: Layout) -> list:
    """The series, created the product's way: ``samples_record`` with their first sample."""
    from analytics.models import MetricSeries
    from analytics.services import samples_record

    rows = [
        {
            "metric": METRIC,
            "labels": {"shard": f"{i:03}"},
            "timestamp": layout.first,
            "value": float(values(i, layout.samples, layout.new)[0]),
        }
        for i in range(count)
    ]
    done = samples_record(rows=rows)
    assert done["series_created"] == count, done
    return list(MetricSeries.objects.filter(name=METRIC).order_by("labels_key"))


COPY_DTYPE = np.dtype(
    [
        ("fields", ">i2"),
        ("series_length", ">i4"),
        ("series_id", ">i8"),
        ("timestamp_length", ">i4"),
        ("timestamp", ">i8"),
        ("value_length", ">i4"),
        ("value", ">f8"),
        ("stored_length", ">i4"),
        ("stored_at", ">i8"),
    ]
)
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_TRAILER = b"\xff\xff"


def load_samples(series: list, layout: Layout) -> None:
    """Samples 1.. of every series by binary COPY, a day of minutes (all series
    interleaved, minute by minute) per COPY, each stored ``STORE_DELAY`` seconds after its
    time; then the first samples, which ``samples_record`` stored now, are dated back the
    same way, as if every sample had been posted live."""
    from django.db import connection, transaction

    from analytics.models import MetricSample

    table = MetricSample._meta.db_table
    all_values = np.stack([values(i, layout.samples, layout.new) for i in range(len(series))], 1)
    ids = np.array([s.pk for s in series], dtype=np.int64)
    began = time.perf_counter()
    done = 0
    for begin in range(1, layout.samples, 1440):
        stop = min(begin + 1440, layout.samples)
        minutes = np.arange(begin, stop)
        block = np.empty((minutes.size, len(series)), dtype=COPY_DTYPE)
        block["fields"] = 4
        block["series_length"] = 8
        block["series_id"] = ids[np.newaxis, :]
        block["timestamp_length"] = 8
        seconds = (layout.first + minutes * STEP - PG_EPOCH)[:, None]
        block["timestamp"] = seconds * 1_000_000
        block["value_length"] = 8
        block["value"] = all_values[begin:stop]
        block["stored_length"] = 8
        block["stored_at"] = (seconds + STORE_DELAY) * 1_000_000
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY {table} (series_id, timestamp, value, stored_at) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.write(COPY_SIGNATURE + block.tobytes() + COPY_TRAILER)
        done += block.size
        elapsed = time.perf_counter() - began
        log(
            f"\r    {done:>10,} of {(layout.samples - 1) * len(series):,} samples, "
            f"{elapsed:5.1f} s ({done / elapsed:,.0f} rows/s)",
            end="",
        )
    log("")
    MetricSample.objects.filter(timestamp=layout.start).update(
        stored_at=layout.start + timedelta(seconds=STORE_DELAY)
    )
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute(
            f"SELECT pg_size_pretty(pg_total_relation_size('{table}')), count(*) FROM {table}"
        )
        size, rows = cursor.fetchone()
    assert rows == layout.samples * len(series), rows
    print(f"  loaded {rows:,} samples ({size}); VACUUM ANALYZE {time.perf_counter() - began:.1f} s")


def check_layout(series: list, layout: Layout) -> None:
    """The scan mark makes exactly ``layout.scanned`` samples of each series new."""
    from django.db.models import Count, Min, Q

    from analytics.models import MetricSample
    from analytics.services.anomalies import OVERLAP

    since = layout.stored_through - OVERLAP
    for s in (series[0], series[-1]):
        counts = MetricSample.objects.filter(series=s).aggregate(
            new=Count("pk", filter=Q(stored_at__gt=since)),
            earliest=Min("timestamp", filter=Q(stored_at__gt=since)),
        )
        assert counts == {"new": layout.scanned, "earliest": layout.first_new_at}, counts


def reset_scan(series, layout: Layout) -> None:
    """Untimed, before each product run: the same samples count as new, and the same
    anomalies are stored again."""
    from analytics.models import Anomaly, AnomalyScan

    Anomaly.objects.filter(series=series).delete()
    AnomalyScan.objects.update_or_create(
        series=series, defaults={"stored_through": layout.stored_through}
    )


# --- what is timed ------------------------------------------------------------------------


class Clock:
    """Seconds per phase, added to by the wrapped steps of the product."""

    def __init__(self):
        self.seconds = defaultdict(float)

    def wrap(self, phase: str, function):
        seconds = self.seconds

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[phase] += time.perf_counter() - began

        return timed

    def take(self) -> dict[str, float]:
        taken = dict(self.seconds)
        self.seconds.clear()
        return taken


@contextmanager
def instrumented(clock: Clock):
    """The product's steps wrapped by ``clock`` (module attributes, restored after)."""
    from analytics import trends
    from analytics.services import anomalies as scanning

    forecasting = types.SimpleNamespace(**vars(trends.forecasting))
    forecasting.season_length = clock.wrap("trend arithmetic", forecasting.season_length)
    forecasting.forecast = clock.wrap("trend arithmetic", forecasting.forecast)
    detection = types.SimpleNamespace(**vars(scanning.detection))
    detection.detect = clock.wrap("scan arithmetic", detection.detect)
    patches = [
        (trends, "metric_points", clock.wrap("trend fetch", trends.metric_points)),
        (trends, "resample", clock.wrap("trend arithmetic", trends.resample)),
        (trends, "fit_trend", clock.wrap("trend arithmetic", trends.fit_trend)),
        (trends, "forecasting", forecasting),
        (scanning, "_new_samples", clock.wrap("scan fetch", scanning._new_samples)),
        (scanning, "_points", clock.wrap("scan fetch", scanning._points)),
        (scanning, "detection", detection),
        (scanning, "_store", clock.wrap("scan storing", scanning._store)),
        (scanning, "anomalies_page", clock.wrap("scan paging", scanning.anomalies_page)),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    for module, name, value in patches:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def product(series, layout: Layout, clock: Clock) -> tuple[dict, dict]:
    """trend_report and anomalies_scan of one series: (phase seconds, results)."""
    from analytics.services import anomalies_scan
    from analytics.trends import trend_report

    began = time.perf_counter()
    report = trend_report(
        metric=series.name,
        labels=series.labels,
        start=layout.start,
        end=END,
        interval=INTERVAL,
        horizon=HORIZON,
    )
    middle = time.perf_counter()
    scan = anomalies_scan(series_ids=[series.pk])
    ended = time.perf_counter()
    phases = clock.take()
    phases["trend answer"] = (
        middle - began - phases.get("trend fetch", 0.0) - phases.get("trend arithmetic", 0.0)
    )
    phases["scan bookkeeping"] = (
        ended
        - middle
        - sum(seconds for name, seconds in phases.items() if name.startswith("scan "))
    )
    phases["total"] = ended - began
    return phases, {"report": report, "scan": scan}


BASELINE_SQL = (
    "SELECT extract(epoch FROM timestamp)::float8, value FROM analytics_metricsample "
    "WHERE series_id = %s AND timestamp >= %s AND timestamp < %s ORDER BY timestamp"
)


def fetch(cursor, series_id: int, start: datetime, end: datetime):
    cursor.execute(BASELINE_SQL, (series_id, start, end))
    points = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 2)
    return points[:, 0], points[:, 1]


def baseline(series, layout: Layout, methods) -> tuple[dict, dict]:
    """The same rows by hand-written SQL and the same arithmetic: (phase seconds,
    results)."""
    from django.db import connection

    from analytics.stats import anomaly, forecast
    from analytics.stats.trend import fit_trend, resample

    raw = connection.connection  # the psycopg connection itself: no Django in between
    steps = HORIZON // INTERVAL
    began = time.perf_counter()
    with raw.cursor() as cursor:
        t, v = fetch(cursor, series.pk, layout.start, END)
        fetched = time.perf_counter()
        times, means = resample(t, v, INTERVAL)
        fit = fit_trend(times, means)
        season = forecast.season_length(times, means, INTERVAL)
        forecasts = {
            method: forecast.forecast(times, means, interval=INTERVAL, horizon=steps, method=method)
            for method in forecast.METHODS
        }
        computed = time.perf_counter()
        t, v = fetch(cursor, series.pk, layout.scan_since, END)
        scanned = time.perf_counter()
        first_new = int(np.searchsorted(t, layout.first_new_at.timestamp(), side="left"))
        findings = [
            finding
            for method in methods
            for finding in anomaly.detect(t, v, method=method, new_from=first_new)
        ]
        ended = time.perf_counter()
    phases = {
        "trend fetch": fetched - began,
        "trend arithmetic": computed - fetched,
        "scan fetch": scanned - computed,
        "scan arithmetic": ended - scanned,
        "total": ended - began,
    }
    results = {"fit": fit, "season": season, "forecasts": forecasts, "findings": findings}
    return phases, results


# --- checks and reports -------------------------------------------------------------------


def check(series, layout: Layout, mine: dict, theirs: dict) -> Counter:
    """The product's answer is the baseline's: same trend, forecasts and anomalies."""
    from analytics.services.anomalies import stored_severity

    report, scan = mine["report"], mine["scan"]
    fit = theirs["fit"]
    assert report["samples"] == layout.samples, report["samples"]
    assert report["slope_per_day"] == fit.slope_per_day, series
    assert report["r_squared"] == fit.r_squared, series
    assert report["season_points"] == theirs["season"], series
    for method, points in theirs["forecasts"].items():
        assert [p["value"] for p in report["forecast"][method]] == [p.value for p in points]
    assert scan["series_scanned"] == 1, scan
    stored = {(a.timestamp.timestamp(), a.method, a.severity) for a in scan["anomalies"]}
    expected = {
        (f.timestamp, f.method, stored_severity(f.method, f.score))
        for f in theirs["findings"]
        if stored_severity(f.method, f.score) is not None
    }
    assert stored == expected, (series, stored ^ expected)
    return Counter(a.severity for a in scan["anomalies"])


def query_counts(series, layout: Layout) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.services import anomalies_scan
    from analytics.trends import trend_report

    with CaptureQueriesContext(connection) as captured:
        trend_report(
            metric=series.name,
            labels=series.labels,
            start=layout.start,
            end=END,
            interval=INTERVAL,
            horizon=HORIZON,
        )
    trend_queries = len(captured.captured_queries)
    reset_scan(series, layout)
    with CaptureQueriesContext(connection) as captured:
        anomalies_scan(series_ids=[series.pk])
    kinds = Counter(query["sql"].split(None, 1)[0].upper() for query in captured.captured_queries)
    print(
        f"  queries per series: trend_report {trend_queries}, anomalies_scan "
        f"{len(captured.captured_queries)} ("
        + ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
        + f") for series {series.labels_key}; baseline 2"
    )


def explain(series, layout: Layout) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT of the product for one series, and of the
    baseline's two."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.services import anomalies_scan
    from analytics.trends import trend_report

    with CaptureQueriesContext(connection) as captured:
        trend_report(
            metric=series.name,
            labels=series.labels,
            start=layout.start,
            end=END,
            interval=INTERVAL,
            horizon=HORIZON,
        )
        reset_scan(series, layout)
        anomalies_scan(series_ids=[series.pk])
    queries = [
        (query["sql"], None)
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT") and "analytics_metricsample" in query["sql"]
    ]
    queries += [
        (BASELINE_SQL, (series.pk, layout.start, END)),
        (BASELINE_SQL, (series.pk, layout.scan_since, END)),
    ]
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print(f"  EXPLAIN ANALYZE {sql[:300]}{'…' if len(sql) > 300 else ''}")
            for (line,) in cursor.fetchall():
                print(f"    {line}")


def profile(series: list, layout: Layout) -> None:
    clock = Clock()
    profiler = cProfile.Profile()
    for s in series:
        reset_scan(s, layout)
        profiler.enable()
        product(s, layout, clock)
        profiler.disable()
    print(f"  cProfile of the product over {len(series)} series (tottime, top 25):")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(25)
    print(f"  cProfile of the product over {len(series)} series (cumulative, top 40):")
    stats.sort_stats("cumulative").print_stats(40)


PHASES = (
    "trend fetch",
    "trend arithmetic",
    "trend answer",
    "scan fetch",
    "scan arithmetic",
    "scan storing",
    "scan paging",
    "scan bookkeeping",
)


def breakdown(runs: dict[str, list[dict]]) -> None:
    """Mean ms per series of each phase, product beside baseline (which has only fetch
    and arithmetic)."""
    means = {
        path: {
            phase: statistics.fmean(run.get(phase, 0.0) for run in values) * 1000
            for phase in (*PHASES, "total")
        }
        for path, values in runs.items()
    }
    mine, theirs = means["product"], means["baseline"]
    print(f"  where the time goes, mean ms per series: {'product':>10}{'baseline':>10}")
    for phase in (*PHASES, "total"):
        other = f"{theirs[phase]:10.1f}" if theirs.get(phase) else f"{'-':>10}"
        share = mine[phase] / mine["total"] * 100
        print(f"    {phase:<38}{mine[phase]:10.1f}{other}   {share:5.1f}% of the product")
    groups = {
        "fetch": ("trend fetch", "scan fetch"),
        "arithmetic": ("trend arithmetic", "scan arithmetic"),
        "answer, storing, paging, bookkeeping": (
            "trend answer",
            "scan storing",
            "scan paging",
            "scan bookkeeping",
        ),
    }
    for name, phases in groups.items():
        a = sum(mine[p] for p in phases)
        b = sum(theirs[p] for p in phases)
        ratio = f"   {a / b:5.2f}x the baseline" if b else ""
        print(f"    = {name:<36}{a:10.1f}{b:10.1f}{ratio}")


# --- main ---------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=SERIES)
    parser.add_argument("--samples", type=int, default=SAMPLES, help="per series, a minute apart")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile N series")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    if args.samples < 200 or args.series < 1:
        parser.error("at least 1 series of 200 samples")

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures PostgreSQL.")
    from bench.harness import scratch_database

    whole = time.perf_counter()
    print(
        f"Analytics: {args.series} series x {args.samples:,} per-minute samples, trend + "
        f"forecasts + anomaly scan per series, product vs hand-written SQL + numpy"
    )
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp, scratch_database() as url:
        os.environ.update(
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            HTTPS="false",
            VAR_DIR=tmp,
            LOG_LEVEL="WARNING",
            PLATFORM_SLOS="false",
            USAGE_ANALYTICS="false",
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="config.settings",
        )
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        methods = list(settings.ANOMALY_METHODS)
        print(f"  database: PostgreSQL, scratch database {url.rsplit('/', 1)[-1]}")
        print(f"  anomaly methods: {', '.join(methods)}")
        log("  migrating…")
        call_command("migrate", verbosity=0)
        layout = Layout(args.samples)
        log(f"  loading {args.series * args.samples:,} samples…")
        series = create_series(args.series, layout)
        load_samples(series, layout)
        check_layout(series, layout)
        print(
            f"  each run: trend over {args.samples:,} samples in "
            f"{args.samples * STEP // INTERVAL} hourly buckets + {HORIZON // INTERVAL}-step "
            f"forecasts; scan of {layout.scanned:,} new samples (the last {layout.new:,} and "
            f"{layout.scanned - layout.new} again, OVERLAP) with "
            f"{(layout.first_new_at - max(layout.scan_since, layout.start)).days} days of history"
        )

        clock = Clock()
        with instrumented(clock):
            # Warm-up, and the product checked against the baseline on every series (the
            # first scans also open the paged series' incidents).
            log("  warm-up and checks…")
            severities = Counter()
            for number, s in enumerate(series, 1):
                reset_scan(s, layout)
                _, mine = product(s, layout, clock)
                _, theirs = baseline(s, layout, methods)
                severities += check(s, layout, mine, theirs)
                log(f"\r    {number}/{len(series)} series", end="")
            log("")
        paged = sum(1 for i in range(len(series)) if i % PAGED_EVERY == 0)
        print(
            f"  results match the baseline; anomalies stored per pass: "
            f"{dict(sorted(severities.items()))} ({paged} series page)"
        )
        query_counts(series[0], layout)
        if args.explain:
            explain(series[len(series) // 2], layout)

        runs = {"product": [], "baseline": []}
        per_round = []
        with instrumented(clock):
            for number in range(args.rounds):
                began = time.perf_counter()
                mine_now, theirs_now = [], []
                for index, s in enumerate(series):
                    reset_scan(s, layout)
                    order = ("product", "baseline")
                    if (number + index) % 2:
                        order = order[::-1]
                    for path in order:
                        if path == "product":
                            phases, _ = product(s, layout, clock)
                            mine_now.append(phases)
                        else:
                            phases, _ = baseline(s, layout, methods)
                            theirs_now.append(phases)
                    if (index + 1) % 10 == 0 or index + 1 == len(series):
                        log(
                            f"\r    round {number + 1}/{args.rounds}: {index + 1}/{len(series)} "
                            f"series, {time.perf_counter() - began:.0f} s",
                            end="",
                        )
                log("")
                runs["product"] += mine_now
                runs["baseline"] += theirs_now
                a = statistics.median(p["total"] for p in mine_now) * 1000
                b = statistics.median(p["total"] for p in theirs_now) * 1000
                per_round.append((a, b))
                print(
                    f"  round {number + 1}: product {a:7.1f} ms/series, baseline {b:7.1f} "
                    f"ms/series (medians), ratio {a / b:.2f}x"
                )

        breakdown(runs)
        if args.profile:
            profile(series[: args.profile], layout)

        product_ms = statistics.median(p["total"] for p in runs["product"]) * 1000
        baseline_ms = statistics.median(p["total"] for p in runs["baseline"]) * 1000
        mean_ratio = statistics.fmean(p["total"] for p in runs["product"]) / statistics.fmean(
            p["total"] for p in runs["baseline"]
        )
        ratios = [a / b for a, b in per_round]
        print(
            f"  over {len(runs['product'])} runs each: ratio of medians "
            f"{product_ms / baseline_ms:.2f}x, of means {mean_ratio:.2f}x, per round "
            f"{min(ratios):.2f}x to {max(ratios):.2f}x"
        )
    print(f"  whole benchmark (load, warm-up, rounds, drop): {time.perf_counter() - whole:.0f} s")
    ratio = product_ms / baseline_ms
    print(
        f"analytics: product {product_ms:.1f} ms/series, baseline {baseline_ms:.1f} ms/series, "
        f"ratio {ratio:.2f}x (target <= {TARGET}x)"
    )
    if ratio > TARGET:
        sys.exit(1)


if __name__ == "__main__":
    main()
