"""Demo worker memory: ``vigil_worker_memory_bytes{host}`` for two workers, a sample every
5 minutes (as beat records it) for 30 days, ending now. Both fall back to ~175 MiB at
each weekly deploy and warm up within hours, hold more in busy hours and wander slowly
around 200-240 MiB; worker-2 (it runs the reports queue) has crept up since the last
deploy, as a leak does. Deterministic (fixed seed); kept when run again."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from scipy.signal import lfilter

from analytics import services
from analytics.demo_usage import DAYS, working_hours
from analytics.models import MetricSeries, labels_key

STEP = 300  # seconds: how often beat records a worker's memory
HOSTS = ("worker-1", "worker-2")
LEAKING = "worker-2"
LEAK_MIB_PER_DAY = 8
MIB = 2**20


def deploys(end: float, tz: ZoneInfo) -> np.ndarray:
    """Weekly deploys at 10:30 local (Unix seconds): the last on the latest weekday
    about a week before ``end`` (the next one was held back), six before it."""
    last = datetime.fromtimestamp(end - 7 * 86400, tz)
    while last.weekday() >= 5:
        last -= timedelta(days=1)
    last = last.replace(hour=10, minute=30, second=0, microsecond=0)
    return np.array([(last - timedelta(weeks=k)).timestamp() for k in range(6, -1, -1)])


def memory(rng, host: str, end: int, tz: ZoneInfo) -> tuple[np.ndarray, np.ndarray]:
    """(Unix seconds, bytes) of one worker, every STEP seconds up to ``end``."""
    index = HOSTS.index(host)
    times = np.arange(end - DAYS * 86400 + STEP, end + 1, STEP)
    restarts = deploys(end, tz)
    since = times - restarts[np.searchsorted(restarts, times, side="right") - 1]
    local = [datetime.fromtimestamp(t, tz) for t in times.tolist()]
    busy = working_hours(np.array([t.hour + t.minute / 60 for t in local]))
    wander = lfilter([1.0], [1, -0.998], rng.normal(0, 1, times.size))  # over days
    mib = (
        172
        + 12 * index
        + 38 * (1 - np.exp(-since / (3 * 3600)))  # caches and imports after a restart
        + 14 * busy
        + 8 * (wander - wander.mean()) / wander.std()
        + rng.normal(0, 6, times.size)  # what the tasks in hand hold
    )
    if host == LEAKING:
        mib += np.where(times >= restarts[-1], since / 86400 * LEAK_MIB_PER_DAY, 0)
    # Each worker records when it picks the task up, a few seconds after the tick.
    return times + 17 + 6 * index, mib * MIB


def seed(*, stdout, now: datetime) -> bool:
    """Whether samples were written (then the anomaly scan should read them as history,
    so that nobody is paged for the demo's past)."""
    if MetricSeries.objects.filter(
        name=services.WORKER_MEMORY_METRIC,
        labels_key__in=[labels_key({"host": host}) for host in HOSTS],
    ).exists():
        stdout.write("  worker memory: kept")
        return False
    rng = np.random.default_rng(20261129)
    tz = ZoneInfo(settings.TIME_ZONE)
    end = int(now.timestamp() // STEP) * STEP - STEP
    for index, host in enumerate(HOSTS, start=1):
        times, values = memory(rng, host, end, tz)
        services.samples_record(
            rows=[
                {
                    "metric": services.WORKER_MEMORY_METRIC,
                    "labels": {"host": host},
                    "timestamp": t,
                    "value": round(v),
                }
                for t, v in zip(times.tolist(), values.tolist(), strict=True)
            ]
        )
        services.worker_memory_series_describe(host=host)  # as the worker's own recording
        stdout.write(
            f"  worker memory [{index}/{len(HOSTS)}] {host}: {times.size} samples every "
            f"{STEP // 60} minutes, now {values[-1] / MIB:.0f} MiB"
        )
    return True
