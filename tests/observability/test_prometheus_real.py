"""The real Prometheus (Debian's package, installed by .ci/run) as an SLO source: 35 days
of per-minute counters with a known failure pattern are backfilled with promtool, and an
SLO read through Prometheus gives the same SLI, budget, burn rates and alert rows as the
same counts posted to the internal source, at every moment checked."""

import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from observability import services
from tests.factories import ServiceFactory
from tests.support import prometheus_start

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")

if (PROMETHEUS is None or PROMTOOL is None) and os.environ.get("CI"):
    raise RuntimeError("CI must install prometheus and promtool (see .ci/run)")
pytestmark = [
    pytest.mark.skipif(
        PROMETHEUS is None or PROMTOOL is None,
        reason="prometheus is not installed (.ci/run installs it)",
    ),
    pytest.mark.django_db,
]

# The counters start at 0 on START and have a sample at the end of every minute up to
# LAST, a little before END. Every moment checked is at least 30 days after START, so
# ``offset 30d`` always finds a sample.
END = datetime(2025, 1, 15, tzinfo=UTC)
START = END - timedelta(days=35)
LAST = END - timedelta(minutes=3)
PER_MINUTE = 2000
# Bad events a minute: 1 (0.05%, burn 0.5 against 99.9%) except in these two spans.
FAST_HOUR = (datetime(2025, 1, 10, 14, 0, tzinfo=UTC), datetime(2025, 1, 10, 15, 0, tzinfo=UTC))
SLOW_DAY = (datetime(2025, 1, 13, 18, 0, tzinfo=UTC), datetime(2025, 1, 14, 18, 0, tzinfo=UTC))
BAD_FAST, BAD_SLOW, BAD_STEADY = 40, 8, 1  # 2% (burn 20), 0.4% (burn 4), 0.05%

# Exact differences of the cumulative counters, not increase(): increase() extrapolates
# whenever the first or last sample is not on the window's edge (real scrapes; "after the
# data" below misses by 1e-5 with it), so it would not match the bucket sums to 1e-6.
GOOD_QUERY = "sum(slo_good_total) - sum(slo_good_total offset {{window}})"
TOTAL_QUERY = "sum(slo_total_total) - sum(slo_total_total offset {{window}})"

PAGE_FAST = ("page", "1h", "5m")
TICKET_1D = ("ticket", "1d", "2h")
TICKET_3D = ("ticket", "3d", "6h")

# (name, at, rows that fire); a firing page silences the ticket of the same SLO.
MOMENTS = [
    ("quiet before", datetime(2025, 1, 10, 6, 0, tzinfo=UTC), []),
    # 50 minutes in: 1h burns (50 x 20 + 10 x 0.5) / 60 = 16.75 > 14.4, 5m burns 20.
    ("fast hour", FAST_HOUR[0] + timedelta(minutes=50), [PAGE_FAST]),
    # 10 minutes after: 1h still burns 16.75 but 5m is back to 0.5, so nothing pages.
    ("after fast hour", FAST_HOUR[1] + timedelta(minutes=10), []),
    ("quiet between", datetime(2025, 1, 12, 12, 0, tzinfo=UTC), []),
    # 12 hours in: 3d burns (12 x 4 + 60 x 0.5) / 72 = 1.08 > 1, 6h burns 4; 1d only 2.25.
    ("slow day 12h", SLOW_DAY[0] + timedelta(hours=12), [TICKET_3D]),
    # 20 hours in: 1d burns (20 x 4 + 4 x 0.5) / 24 = 3.42 > 3, 2h burns 4; 3d 1.47.
    ("slow day 20h", SLOW_DAY[0] + timedelta(hours=20), [TICKET_1D, TICKET_3D]),
    # 6 hours after the slow day and 3 minutes after the last sample: 1d still burns 3.1,
    # but 2h and 6h are back to 0.5.
    ("after the data", END, []),
]
TOLERANCE = 1e-6


def bad_in_minute(minute_end: datetime) -> int:
    """Bad events in the minute ending at ``minute_end``."""
    if FAST_HOUR[0] < minute_end <= FAST_HOUR[1]:
        return BAD_FAST
    if SLOW_DAY[0] < minute_end <= SLOW_DAY[1]:
        return BAD_SLOW
    return BAD_STEADY


def minute_counts() -> list[tuple[datetime, int, int]]:
    """``(minute end, good, total)`` for every minute after START up to LAST."""
    count = int((LAST - START).total_seconds() // 60)
    ends = (START + timedelta(minutes=m + 1) for m in range(count))
    return [(end, PER_MINUTE - bad_in_minute(end), PER_MINUTE) for end in ends]


def openmetrics(counts) -> str:
    """Cumulative counters sampled at every minute boundary: the value at ``t`` counts
    every event up to ``t``, i.e. the buckets ending at or before ``t``."""
    start = int(START.timestamp())
    families = []
    for name, column in (("slo_good", 1), ("slo_total", 2)):
        lines = [f"# HELP {name} Events of the SLO.", f"# TYPE {name} counter"]
        lines.append(f"{name}_total 0 {start}")
        cumulative = 0
        for row in counts:
            cumulative += row[column]
            lines.append(f"{name}_total {cumulative} {int(row[0].timestamp())}")
        families.append("\n".join(lines))
    return "\n".join(families) + "\n# EOF\n"


@pytest.fixture(scope="module")
def counts():
    return minute_counts()


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory, counts):
    base, process = prometheus_start(
        tmp_path_factory.mktemp("prometheus"),
        openmetrics(counts),
        prometheus=PROMETHEUS,
        promtool=PROMTOOL,
    )
    try:
        yield base
    finally:
        process.stop()


@pytest.fixture
def slos(prometheus_url, counts):
    service = ServiceFactory(name="Checkout")
    internal = services.slo_create(
        service=service, name="Availability (internal)", target="99.9", window="30d"
    )
    through_prometheus = services.slo_create(
        service=service,
        name="Availability (Prometheus)",
        target="99.9",
        window="30d",
        source="prometheus",
        prometheus_url=prometheus_url,
        good_query=GOOD_QUERY,
        total_query=TOTAL_QUERY,
    )
    events = [{"timestamp": end, "good": good, "total": total} for end, good, total in counts]
    for chunk in range(0, len(events), 10_000):
        services.slo_events_record(
            slo=internal, events=events[chunk : chunk + 10_000], now=END + timedelta(hours=1)
        )
    return internal, through_prometheus


def difference(ours: float, theirs: float) -> float:
    """Absolute for ratios and burn rates near 1, relative for large event counts."""
    return abs(ours - theirs) / max(1.0, abs(theirs))


def expected_slo_window(counts, at: datetime) -> tuple[int, int]:
    """Good and total of the buckets in (at - 30d, at], counted here in Python."""
    inside = [row for row in counts if at - timedelta(days=30) < row[0] <= at]
    return sum(row[1] for row in inside), sum(row[2] for row in inside)


def test_prometheus_and_internal_sources_agree_and_fire_the_expected_rows(slos, counts):
    internal, through_prometheus = slos
    largest = 0.0
    for name, at, expected_rows in MOMENTS:
        ours = services.slo_status(internal, at)
        theirs = services.slo_status(through_prometheus, at)
        assert theirs.state != "unknown", f"{name}: {theirs.reason}"

        assert (ours.good, ours.total) == expected_slo_window(counts, at), name
        figures = {
            "good": (ours.good, theirs.good),
            "total": (ours.total, theirs.total),
            "sli": (ours.sli, theirs.sli),
            "remaining_ratio": (ours.remaining_ratio, theirs.remaining_ratio),
            "remaining_events": (ours.remaining_events, theirs.remaining_events),
        }
        figures.update(
            {f"burn {key}": (rate, theirs.burn_rates[key]) for key, rate in ours.burn_rates.items()}
        )
        for figure, (mine, other) in figures.items():
            gap = difference(mine, other)
            largest = max(largest, gap)
            assert gap <= TOLERANCE, f"{name}: {figure} internal {mine} != Prometheus {other}"

        for status in (ours, theirs):
            fired = [(row.severity, row.long, row.short) for row in status.firing_rows]
            assert fired == expected_rows, f"{name}: {fired} (burn rates {status.burn_rates})"
            assert status.page == any(row[0] == "page" for row in expected_rows), name
            assert status.ticket == (
                not status.page and any(row[0] == "ticket" for row in expected_rows)
            ), name
        assert ours.state == theirs.state, name

    print(f"\nlargest difference, internal vs Prometheus, over {len(MOMENTS)} moments: {largest}")
    assert largest <= TOLERANCE, f"largest difference {largest}"
