"""The executive report over 90 days of demo data: generation time and peak memory of the
product's whole job (the kind's figures and charts, the HTML, the PDF by WeasyPrint, and
storing the report), against rendering the same template with its charts to HTML only,
in the same run and the same process.

    .venv/bin/python bench/reports.py [--rounds 5] [--days 90]
    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/reports.py

It migrates a scratch database (SQLite in a temporary folder, or a scratch database it
creates and drops on the PostgreSQL server of DATABASE_URL), loads ``seed_demo`` (about
170 incidents over the last 90 days, SLOs with their evaluations, four business series of
90 days hourly), then measures in one child process, after one warm-up of each:

  html      ``build(period)`` of the executive kind (every figure and chart, as the
            product reads them) and ``report_html`` (the template): what a browser would
            be sent.
  product   ``report_request`` + ``report_generate``: the same build and HTML, then the
            PDF (WeasyPrint) and the report stored, as the worker on the reports queue
            does.

Memory, first: each variant's first run in the fresh process, as the growth of the
kernel's resident high-water mark (reset through /proc/self/clear_refs), so C allocations
(Pango, HarfBuzz) and what the first PDF loads count; html runs first, so the product's
figure is what the PDF adds. Then one run of each under tracemalloc: the Python heap's
peak. Time, last: the two alternate (ABAB) for ``--rounds`` rounds, untraced; the median
wall time per variant. The ratios are product / html. Progress goes to stderr, results
to stdout.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import PYTHON, ROOT, bench_env, manage, scratch_database


def _status(field: str) -> int:
    """A /proc/self/status figure in bytes (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _python_peak(run) -> int:
    """Peak bytes the Python heap grew by during one call (tracemalloc; untimed)."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _rss_peak(run) -> int:
    """Peak resident bytes above the start of one call: the kernel's high-water mark,
    reset first, so C allocations (Pango, HarfBuzz) count too."""
    _reset_peak()
    before = _status("VmRSS")
    run()
    return _status("VmHWM") - before


def measure(rounds: int, days: int) -> dict:
    """In the child: Django set up on the scratch database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from datetime import timedelta

    from django.utils import timezone

    from insights import services
    from insights.models import ReportOrigin, ReportStatus
    from insights.reports.document import Period
    from insights.reports.kinds import kind_module
    from insights.reports.render import report_html

    end = timezone.now().replace(minute=0, second=0, microsecond=0)
    period = Period(end - timedelta(days=days), end)
    sizes = {}

    def html_only():
        content = kind_module("executive").build(period, {})
        sizes["html"] = len(report_html("executive", period, content))

    def product():
        report = services.report_request(
            kind="executive", start=period.start, end=period.end, origin=ReportOrigin.COMMAND
        )
        report = services.report_generate(report.pk)
        if report.status != ReportStatus.DONE:
            raise RuntimeError(report.error)
        sizes["pdf"] = len(report.pdf)
        sizes["incidents"] = report.figures["incidents"]["total"]

    variants = {"html": html_only, "product": product}
    results = {name: {"seconds": []} for name in variants}
    # First runs, in a fresh process: the resident peak includes what the first PDF
    # loads (WeasyPrint, its fonts), as a worker's first report does.
    for name, run in variants.items():
        print(f"  first run: {name}", file=sys.stderr, flush=True)
        results[name]["rss_first"] = _rss_peak(run)
    for name, run in variants.items():
        results[name]["python_peak"] = _python_peak(run)
    for round_ in range(rounds):
        order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
        for name in order:
            results[name]["seconds"].append(_timed(variants[name]))
        print(
            f"  round {round_ + 1}/{rounds}: "
            + ", ".join(
                f"{name} {results[name]['seconds'][-1] * 1000:.0f} ms" for name in variants
            ),
            file=sys.stderr,
            flush=True,
        )
    return {"results": results, "sizes": sizes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.rounds, args.days)))
        return 0

    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp, scratch_database() as url:
        env = bench_env(Path(tmp))
        env["PLATFORM_SLOS"] = "false"
        if url:
            env["DATABASE_URL"] = url
        print(f"database: {'PostgreSQL' if url else 'SQLite'}", file=sys.stderr, flush=True)
        print("migrating and loading the demo data…", file=sys.stderr, flush=True)
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "seed_demo")
        print(f"measuring {args.rounds} rounds…", file=sys.stderr, flush=True)
        child = subprocess.run(
            [PYTHON, __file__, "--child", "--rounds", str(args.rounds), "--days", str(args.days)],
            cwd=ROOT,
            env=env,
            check=True,
            text=True,
            stdout=subprocess.PIPE,
        )
    data = json.loads(child.stdout.strip().splitlines()[-1])
    results, sizes = data["results"], data["sizes"]
    html_s = statistics.median(results["html"]["seconds"])
    product_s = statistics.median(results["product"]["seconds"])
    html_m, product_m = results["html"]["python_peak"], results["product"]["python_peak"]
    html_r, product_r = results["html"]["rss_first"], results["product"]["rss_first"]
    mib = 2**20
    print(
        f"executive report, {args.days} days, {sizes['incidents']} incidents, "
        f"PDF {sizes['pdf'] / 1024:.0f} KiB, HTML {sizes['html'] / 1024:.0f} KiB"
    )
    print(f"{'':10} {'median time':>12} {'Python peak':>12} {'RSS growth, first run':>22}")
    for label, seconds, heap, rss in (
        ("html only", html_s, html_m, html_r),
        ("product", product_s, product_m, product_r),
    ):
        print(f"{label:10} {seconds * 1000:>9.0f} ms {heap / mib:>8.1f} MiB {rss / mib:>18.1f} MiB")
    print(
        f"ratio (product / html only): time {product_s / html_s:.2f}x, "
        f"Python peak memory {product_m / max(html_m, 1):.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
