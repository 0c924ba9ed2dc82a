"""Usage analytics: requests per route and method (latency bands, errors, queries),
active users per day, and feature use, counted from the platform's own traffic.

``usage_record`` is a recorder of ``core.traffic.TrafficMiddleware`` (registered in
``AnalyticsConfig.ready``). It counts in this process's memory, per hour and day, and
once a minute adds what it holds to the database with adding upserts
(``services.usage_counts_add``), so several processes add up and no request waits on a
database write except the one, per process and minute, that flushes. A route is the URL
pattern (``api/incidents/<pk>/acknowledge``), never the address, so ids cannot grow the
table. ``USAGE_ANALYTICS=false`` turns it off (the test suite does).

``usage_report`` reads the figures back for ``GET /api/analytics/usage``."""

import atexit
import functools
import logging
import re
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db.models import Count, Sum
from django.db.models.functions import TruncWeek
from django.utils.functional import SimpleLazyObject, empty

from analytics import services
from analytics.models import ActiveUser, FeatureUse, RouteUsage
from analytics.stats.latency import BANDS, band_of, band_percentile
from incidents.services.notifications import respond_token_read

logger = logging.getLogger(__name__)

# --- what counts ------------------------------------------------------------------------

# The API, PagerDuty-style ingestion, the admin, the runbooks and the email links; not
# static files, /metrics or the health probes, which would drown the people in machines.
COUNTED_PREFIXES = ("/api/", "/v2/", "/admin/", "/runbooks/", "/respond/")
UNMATCHED = "(unmatched)"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# A feature use is a request to one of these (URL name, method) that succeeded (2xx or
# 3xx; in the admin, which redirects either way, also a success message and no error).
# One request is one use: an admin bulk action on ten incidents is one use. A feature or
# channel in <angle brackets> is read from the request, as the reader below says.
URL_ACTION = "<the action in the address>"
FORM_ACTION = "<the admin action chosen in the form>"
LINK_ACTION = "<the action the link carries>"
ADMIN_OR_API = "<admin when the admin's link was followed, else api>"
FEATURES: dict[tuple[str, str], tuple[str, str]] = {
    ("incident-acknowledge", "POST"): ("acknowledge", "api"),
    ("incident-resolve", "POST"): ("resolve", "api"),
    ("admin:incidents_incident_lifecycle", "POST"): (URL_ACTION, "admin"),
    ("admin:incidents_incident_changelist", "POST"): (FORM_ACTION, "admin"),
    ("incident-respond", "POST"): (LINK_ACTION, "email_link"),
    ("review-export", "GET"): ("export", ADMIN_OR_API),
    ("report-generate", "POST"): ("report", "api"),  # counts once insights serves it
}
ADMIN_BULK_ACTIONS = {"acknowledge_selected": "acknowledge", "resolve_selected": "resolve"}
WORKED = frozenset({"acknowledge", "resolve"})


def _url_action(request) -> str | None:
    action = request.resolver_match.kwargs.get("action")
    return action if action in WORKED else None


def _form_action(request) -> str | None:
    return ADMIN_BULK_ACTIONS.get(request.POST.get("action", ""))


def _link_action(request) -> str | None:
    try:
        action = respond_token_read(request.resolver_match.kwargs.get("token", "")).get("a")
    except (signing.BadSignature, AttributeError):
        return None
    return action if action in WORKED else None


def _admin_or_api(request) -> str:
    referer = urlsplit(request.headers.get("Referer", "")).path
    return "admin" if referer.startswith("/admin/") else "api"


READERS = {
    URL_ACTION: _url_action,
    FORM_ACTION: _form_action,
    LINK_ACTION: _link_action,
    ADMIN_OR_API: _admin_or_api,
}


def _admin_reported_success(request) -> bool:
    """Whether the admin view said it did something: its redirect looks the same either
    way, but a refusal leaves an error message, a success a success or info one."""
    storage = getattr(request, "_messages", None)
    levels = {message.level for message in getattr(storage, "_queued_messages", ())}
    return messages.ERROR not in levels and bool(levels & {messages.SUCCESS, messages.INFO})


def feature_of(request, response) -> tuple[str, str] | None:
    """``(feature, channel)`` when this answer was a successful use of a feature."""
    match = request.resolver_match
    if match is None or response.status_code >= 400:
        return None
    entry = FEATURES.get((match.view_name, request.method))
    if entry is None:
        return None
    feature, channel = (READERS[part](request) if part in READERS else part for part in entry)
    if feature is None:
        return None
    if match.view_name.startswith("admin:") and not _admin_reported_success(request):
        return None
    return feature, channel


_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<\w+:(\w+)>")


@functools.lru_cache(maxsize=2048)
def route_name(pattern: str) -> str:
    """A resolved pattern as people read it: ``api/incidents/(?P<pk>[^/.]+)/?$`` and
    ``<int:pk>`` both become ``<pk>``; the optional slash and anchors go."""
    route = _CONVERTER.sub(r"<\1>", _NAMED_GROUP.sub(r"<\1>", pattern))
    for noise in ("/?", "^", "$"):
        route = route.replace(noise, "")
    return route.replace("\\.", ".")[:200] or "/"


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None  # the answer never needed who asked; finding out now costs a query
    return user.pk if user.is_authenticated else None


# --- counting in memory -----------------------------------------------------------------


class UsageCounter:
    """This process's usage counts since its last flush."""

    def __init__(self):
        self._lock = threading.Lock()
        self._reset()
        # (day, user) pairs this process wrote already: not sent again the same day.
        self._active_written: set[tuple[date, int]] = set()
        self._flushed_minute = int(time.time() // 60)

    def _reset(self):
        # (hour start in Unix seconds, route, method, band) -> [requests, 4xx, 5xx, queries]
        self._routes: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        self._active: set[tuple[date, int]] = set()
        self._features: Counter = Counter()  # (day, feature, channel) -> uses

    def record(
        self,
        *,
        route: str,
        method: str,
        status: int,
        seconds: float,
        queries: int = 0,
        user_id: int | None = None,
        feature: tuple[str, str] | None = None,
        now: float | None = None,
    ) -> bool:
        """Count one answer; True when the last flush was in an earlier minute."""
        now = time.time() if now is None else now
        day = datetime.fromtimestamp(now, UTC).date()
        key = (int(now // 3600) * 3600, route, method, band_of(seconds * 1000))
        with self._lock:
            counts = self._routes[key]
            counts[0] += 1
            counts[1] += 400 <= status < 500
            counts[2] += status >= 500
            counts[3] += queries
            if user_id is not None and (day, user_id) not in self._active_written:
                self._active.add((day, user_id))
            if feature is not None:
                self._features[(day, *feature)] += 1
            return int(now // 60) > self._flushed_minute

    def take(self, *, now: float | None = None):
        """Remove and return everything counted: (routes, active, features)."""
        now = time.time() if now is None else now
        with self._lock:
            taken = (self._routes, self._active, self._features)
            self._reset()
            self._flushed_minute = int(now // 60)
        return taken

    def reset(self, *, now: float | None = None) -> None:
        """Forget everything counted and written since the process started: a fresh start,
        as between tests."""
        self.take(now=now)
        with self._lock:
            self._active_written = set()

    def _put_back(self, routes, active, features):
        """A flush failed (its transaction wrote nothing): keep the counts for the next."""
        with self._lock:
            for key, counts in routes.items():
                mine = self._routes[key]
                for index, value in enumerate(counts):
                    mine[index] += value
            self._active |= active
            self._features.update(features)

    def flush(self, *, now: float | None = None) -> int:
        """Add everything counted so far to the database; how many requests went."""
        now = time.time() if now is None else now
        routes, active, features = self.take(now=now)
        if not (routes or active or features):
            return 0
        try:
            services.usage_counts_add(
                routes={
                    (datetime.fromtimestamp(hour, UTC), route, method, band): tuple(counts)
                    for (hour, route, method, band), counts in routes.items()
                },
                active=active,
                features=dict(features),
            )
        except Exception:
            self._put_back(routes, active, features)
            raise
        today = datetime.fromtimestamp(now, UTC).date()
        with self._lock:
            self._active_written = {k for k in self._active_written | active if k[0] >= today}
        return sum(counts[0] for counts in routes.values())


usage = UsageCounter()


def usage_record(request, response, seconds: float, queries: int) -> None:
    """The recorder ``core.traffic.TrafficMiddleware`` calls for every request."""
    if not settings.USAGE_ANALYTICS or not request.path_info.startswith(COUNTED_PREFIXES):
        return
    match = getattr(request, "resolver_match", None)
    due = usage.record(
        route=route_name(match.route) if match is not None else UNMATCHED,
        method=request.method if request.method in METHODS else "OTHER",
        status=response.status_code,
        seconds=seconds,
        queries=queries,
        user_id=_user_id(request),
        feature=feature_of(request, response),
    )
    if due:
        try:
            usage.flush()
        except Exception:  # counting must never break an answer
            logger.warning("could not flush usage counts", exc_info=True)


def _flush_at_exit():
    try:
        usage.flush()
    except Exception:  # the database may be gone already at shutdown
        logger.warning("could not flush the last usage counts", exc_info=True)


atexit.register(_flush_at_exit)


# --- reading ----------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _latency(bands: list[int]) -> dict:
    return {"p50_ms": band_percentile(bands, 0.5), "p95_ms": band_percentile(bands, 0.95)}


def _route_rows(start: datetime, end: datetime) -> tuple[list[dict], dict]:
    """One row per (route, method), its bands summed over the hours overlapping
    [start, end); and the same summed over every route, for the totals."""
    hour_start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    summed = (
        RouteUsage.objects.filter(hour__gte=hour_start, hour__lt=end)
        .values("route", "method", "latency_band")
        .annotate(
            n=Sum("requests"), c=Sum("client_errors"), s=Sum("server_errors"), q=Sum("queries")
        )
        .order_by()
    )
    routes: dict[tuple[str, str], dict] = {}
    total = {"bands": [0] * BANDS, "requests": 0, "client": 0, "server": 0, "queries": 0}
    for row in summed:
        route = routes.setdefault(
            (row["route"], row["method"]),
            {"bands": [0] * BANDS, "requests": 0, "client": 0, "server": 0, "queries": 0},
        )
        for figures in (route, total):
            figures["bands"][min(row["latency_band"], BANDS - 1)] += row["n"]
            figures["requests"] += row["n"]
            figures["client"] += row["c"]
            figures["server"] += row["s"]
            figures["queries"] += row["q"]
    rows = [
        {"route": route, "method": method, **_figures(figures)}
        for (route, method), figures in routes.items()
    ]
    rows.sort(key=lambda row: (-row["requests"], row["route"], row["method"]))
    return rows, _figures(total)


def _figures(counts: dict) -> dict:
    n = counts["requests"]
    return {
        "requests": n,
        **_latency(counts["bands"]),
        "error_rate": _rate(counts["server"], n),
        "client_error_rate": _rate(counts["client"], n),
        "queries_per_request": _rate(counts["queries"], n),
    }


def _days(start: datetime, end: datetime) -> dict:
    """The days overlapping [start, end), as a filter on ``day`` (UTC days)."""
    end = end.astimezone(UTC)
    after_last = end.date() + timedelta(days=1) if end.time() != datetime.min.time() else end.date()
    return {"day__gte": start.astimezone(UTC).date(), "day__lt": after_last}


def usage_report(*, start: datetime, end: datetime) -> dict:
    """The usage between ``start`` and ``end``: every hour (for routes) and day (for users
    and features) that overlaps the range counts whole. Five queries, whatever the size.
    Weeks start on Monday (ISO) and count distinct users over their days in the range."""
    routes, totals = _route_rows(start, end)
    days = _days(start, end)
    active = ActiveUser.objects.filter(**days)
    per_day = active.values("day").annotate(users=Count("user_id")).order_by("day")
    per_week = (
        active.annotate(week=TruncWeek("day"))
        .values("week")
        .annotate(users=Count("user_id", distinct=True))
        .order_by("week")
    )
    features = list(
        FeatureUse.objects.filter(**days)
        .values("feature", "channel")
        .annotate(count=Sum("count"))
        .order_by("-count", "feature", "channel")
    )
    return {
        "start": start,
        "end": end,
        "routes": routes,
        "active_users": {
            "per_day": [{"day": row["day"], "users": row["users"]} for row in per_day],
            "per_week": [
                {"week": _as_date(row["week"]), "users": row["users"]} for row in per_week
            ],
        },
        "features": features,
        "totals": {
            **totals,
            "active_users": active.values("user_id").distinct().count(),
            "feature_uses": sum(row["count"] for row in features),
        },
    }


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value
