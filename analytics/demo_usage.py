"""Demo usage: 30 days of the platform's own traffic, ending now, counted as the usage
middleware (``analytics.usage``) would have counted it.

Requests follow the demo people: an on-call team busy in working hours on weekdays (in
TIME_ZONE), machines (a status page, a metrics pusher, a wall screen) at a steady pace,
and alert ingestion in bursts when the demo incidents fired. Acknowledge and resolve
are the demo incidents' own, by whoever the history says did them, through the API, the
admin or an email link. Route keys are what ``usage_record`` writes: each address below
is resolved and named by ``route_name``, so a renamed URL fails here, not in a report.

Deterministic (fixed seed) apart from where "now" falls; kept when run again (counts are
added, so a second run would double them)."""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import resolve
from scipy.special import ndtr

from analytics import services
from analytics.models import ActiveUser, FeatureUse, RouteUsage
from analytics.stats.latency import LATENCY_BANDS_MS
from analytics.usage import UNMATCHED, route_name
from core.demo import DEMO_USERS
from incidents.demo import EXECUTIVES, PEOPLE
from incidents.models import Incident, IncidentSource

DAYS = 30
HOUR = 3600
SIGMA = 0.5  # spread of one route's answer times (log-normal)
P95 = math.exp(1.645 * SIGMA)  # p95 / median
SERVER_ERRORS = 0.00015  # share of answers that are a 5xx on an ordinary hour

PEOPLE_DRIVEN, MACHINES, INGESTION, EVENTS = "people", "machines", "ingestion", "events"


@dataclass(frozen=True)
class Route:
    method: str
    address: str  # an address as clients ask for it; resolved to its pattern
    driver: str
    per_hour: float  # people: in a weekday's busiest hour; others: every hour
    # The answers' own p95; read back from the bands (interpolated within 250-500 ms
    # and the like) it comes out some 10-40% higher, as real traffic's does.
    p95_ms: float
    queries: float  # per request
    client_errors: float = 0.004  # share answered 4xx


ROUTES = (
    # The incident list is everybody's first page and the slowest ordinary read.
    Route("GET", "/api/incidents/", PEOPLE_DRIVEN, 110, 270, 13),
    Route("GET", "/api/incidents/12", PEOPLE_DRIVEN, 70, 150, 11, 0.012),
    Route("GET", "/api/incidents/oncall", PEOPLE_DRIVEN, 25, 120, 9),
    Route("GET", "/api/alerts/", PEOPLE_DRIVEN, 20, 170, 8),
    Route("GET", "/api/services/", PEOPLE_DRIVEN, 18, 140, 9),
    Route("GET", "/api/schedules/", PEOPLE_DRIVEN, 10, 110, 7),
    Route("GET", "/api/schedules/1/oncall", PEOPLE_DRIVEN, 8, 95, 6),
    Route("GET", "/api/reviews/", PEOPLE_DRIVEN, 8, 130, 8),
    Route("GET", "/api/action-items/", PEOPLE_DRIVEN, 10, 120, 7),
    Route("PATCH", "/api/action-items/3", PEOPLE_DRIVEN, 2, 160, 12, 0.03),
    Route("GET", "/api/me", PEOPLE_DRIVEN, 30, 35, 3, 0.02),
    Route("GET", "/api/production/slo", PEOPLE_DRIVEN, 15, 190, 11),
    Route("GET", "/api/production/anomalies", PEOPLE_DRIVEN, 6, 120, 6),
    Route("GET", "/api/production/metrics/business", PEOPLE_DRIVEN, 8, 210, 7),
    Route("GET", "/api/analytics/trends", PEOPLE_DRIVEN, 6, 240, 7, 0.02),
    Route("GET", "/api/analytics/compare", PEOPLE_DRIVEN, 3, 230, 7, 0.02),
    Route("GET", "/api/analytics/usage", PEOPLE_DRIVEN, 2, 110, 5),
    Route("GET", "/api/analytics/benchmarks/", PEOPLE_DRIVEN, 3, 170, 9),
    Route("GET", "/api/analytics/incidents", PEOPLE_DRIVEN, 4, 200, 9),
    Route("GET", "/api/slos/2/status", PEOPLE_DRIVEN, 5, 160, 10),
    Route("GET", "/api/insights/", PEOPLE_DRIVEN, 6, 110, 5),
    Route("GET", "/api/insights/reports", PEOPLE_DRIVEN, 3, 90, 5),
    Route("GET", "/api/insights/reports/4/pdf", PEOPLE_DRIVEN, 2, 140, 4),
    Route("GET", "/admin/", PEOPLE_DRIVEN, 20, 380, 28),  # the executive dashboard
    Route("GET", "/admin/jsi18n/", PEOPLE_DRIVEN, 45, 20, 1),
    Route("GET", "/admin/incidents/incident/", PEOPLE_DRIVEN, 35, 340, 16),
    Route("GET", "/admin/incidents/incident/5/change/", PEOPLE_DRIVEN, 30, 290, 22, 0.01),
    Route("GET", "/admin/incidents/postincidentreview/", PEOPLE_DRIVEN, 6, 240, 12),
    Route("GET", "/admin/incidents/postincidentreview/3/change/", PEOPLE_DRIVEN, 6, 310, 24),
    Route("POST", "/admin/incidents/postincidentreview/3/change/", PEOPLE_DRIVEN, 1.5, 380, 30),
    Route("GET", "/admin/incidents/actionitem/", PEOPLE_DRIVEN, 5, 210, 11),
    Route("GET", "/admin/oncall/schedule/", PEOPLE_DRIVEN, 4, 180, 10),
    Route("GET", "/admin/oncall/schedule/1/change/", PEOPLE_DRIVEN, 3, 260, 18),
    Route("GET", "/admin/observability/slo/", PEOPLE_DRIVEN, 3, 230, 12),
    Route("GET", "/admin/analytics/benchmark/", PEOPLE_DRIVEN, 1.5, 200, 10),
    Route("GET", "/admin/login/", PEOPLE_DRIVEN, 4, 40, 2),
    Route("POST", "/admin/login/", PEOPLE_DRIVEN, 3, 260, 5, 0.0),  # hashing a password
    Route("POST", "/admin/logout/", PEOPLE_DRIVEN, 1, 30, 3, 0.0),
    Route("GET", "/runbooks/", PEOPLE_DRIVEN, 3, 45, 3),
    Route("GET", "/runbooks/ingestion/", PEOPLE_DRIVEN, 2, 60, 3, 0.01),
    Route("POST", "/v2/change/enqueue", PEOPLE_DRIVEN, 2.5, 50, 5),  # deploys
    # Machines: the public status page, the business-metrics pusher, the wall screen.
    Route("GET", "/api/production/status", MACHINES, 120, 45, 4, 0.0),
    Route("POST", "/api/metrics/samples", MACHINES, 60, 85, 7, 0.002),
    Route("GET", "/api/admin/status", MACHINES, 60, 210, 14, 0.0),
    Route("GET", UNMATCHED, MACHINES, 1.5, 15, 0, 1.0),  # scanners trying /wp-login.php
    # Ingestion: a steady trickle of repeats, and bursts when something breaks.
    Route("POST", "/api/integrations/alertmanager", INGESTION, 8, 75, 9, 0.003),
    Route("POST", "/api/integrations/grafana", INGESTION, 1.5, 70, 9, 0.003),
    Route("POST", "/v2/enqueue", INGESTION, 3, 60, 8, 0.01),
    Route("POST", "/api/integrations/webhook", INGESTION, 0.6, 65, 8, 0.01),
    # Feature uses, placed one by one (``_incident_events``, ``_people_events``).
    Route("POST", "/api/incidents/12/acknowledge", EVENTS, 0, 180, 14),
    Route("POST", "/api/incidents/12/resolve", EVENTS, 0, 210, 16),
    Route("POST", "/admin/incidents/incident/5/lifecycle/acknowledge/", EVENTS, 0, 230, 18),
    Route("POST", "/admin/incidents/incident/", EVENTS, 0, 300, 20),  # a bulk action
    Route("GET", "/respond/token", EVENTS, 0, 90, 6),
    Route("POST", "/respond/token", EVENTS, 0, 200, 15),
    Route("GET", "/api/reviews/3/export", EVENTS, 0, 1900, 12),  # a PDF, rendered
    Route("POST", "/api/insights/reports/generate", EVENTS, 0, 140, 8),
)
# Through which channel people acknowledge and resolve, as shares.
CHANNELS = {
    "acknowledge": {"api": 0.35, "admin": 0.40, "email_link": 0.25},
    "resolve": {"api": 0.35, "admin": 0.55, "email_link": 0.10},
}
API_ACTION = {
    "acknowledge": "/api/incidents/12/acknowledge",
    "resolve": "/api/incidents/12/resolve",
}
WORKED = timedelta(hours=3)  # how long an incident draws people to the pages
CONFLICTS = 0.06  # a second responder acting on the same incident a moment later: a 409
# Who uses the platform on a day, by role: (weekday, weekend) probability.
PRESENCE = {"Responder": (0.8, 0.15), "Manager": (0.85, 0.06), "Viewer": (0.3, 0.02)}


def _route_key(route: Route) -> tuple[str, str]:
    if route.address == UNMATCHED:
        return UNMATCHED, route.method
    return route_name(resolve(route.address).route), route.method


def working_hours(local_hours: np.ndarray) -> np.ndarray:
    """Share of the busiest hour's traffic at each local time of day: quiet at night,
    up from eight, a dip at lunch, down after six."""
    day = np.clip(np.sin(np.pi * (local_hours - 7.5) / 11.5), 0, None) ** 1.3
    lunch = 1 - 0.18 * np.exp(-(((local_hours - 12.5) / 0.8) ** 2))
    return 0.03 + 0.97 * day * lunch


class Clock:
    """The hours of the demo window (UTC starts) and what they are locally."""

    def __init__(self, now: datetime):
        self.now = now
        self.tz = ZoneInfo(settings.TIME_ZONE)
        last = int(now.timestamp() // HOUR) * HOUR
        self.starts = np.arange(last - (DAYS * 24 - 1) * HOUR, last + HOUR, HOUR)
        self.hours = [datetime.fromtimestamp(int(s), UTC) for s in self.starts]
        local = [(h + timedelta(minutes=30)).astimezone(self.tz) for h in self.hours]
        self.local_hour = np.array([t.hour + t.minute / 60 for t in local])
        self.weekday = np.array([t.weekday() for t in local])
        self.days = sorted({h.date() for h in self.hours})
        self.day_index = np.array([self.days.index(h.date()) for h in self.hours])
        self.shape = working_hours(self.local_hour)
        # The hour in progress has only part of its traffic yet.
        self.elapsed = np.ones(len(self.starts))
        self.elapsed[-1] = (now.timestamp() - last) / HOUR

    def index(self, at: datetime) -> int | None:
        i = int((at.timestamp() - self.starts[0]) // HOUR)
        return i if 0 <= i < len(self.starts) and at < self.now else None

    def weekday_of(self, day: date) -> int:
        """The local weekday at noon UTC of a UTC day."""
        return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).astimezone(self.tz).weekday()


def _people() -> dict[int, str]:
    """The demo users seed_demo creates (core's and incidents'), by id: their role."""
    roles = {username: role for role, (username, _, _) in DEMO_USERS.items()}
    roles |= {p[0]: p[3] for persons in PEOPLE.values() for p in persons}
    roles |= {username: "Viewer" for username, _, _ in EXECUTIVES}
    users = get_user_model().objects.filter(username__in=roles).values_list("pk", "username")
    return {pk: roles[username] for pk, username in users}


def _active_users(rng, clock: Clock, people: dict[int, str]) -> dict[date, set[int]]:
    """Who used the platform on each UTC day (today: all day, as if it were over). The
    responders take the weekend on-call in turn, a week each."""
    active = defaultdict(set)
    responders = sorted(pk for pk, role in people.items() if role == "Responder")
    for day in clock.days:
        weekday = clock.weekday_of(day)
        weekend = weekday >= 5
        on_call = responders[day.isocalendar().week % len(responders)] if responders else None
        for pk, role in people.items():
            p = PRESENCE[role][weekend]
            if role == "Viewer" and weekday == 0:
                p *= 2  # executives read Monday's reports
            if pk == on_call and weekend:
                p = 0.9
            if rng.random() < p:
                active[day].add(pk)
    return active


def _so_far(rng, clock: Clock, active: dict[date, set[int]]) -> None:
    """Today's people, kept in the share of the working day that has gone by."""
    today = clock.days[-1]
    hours = clock.day_index == len(clock.days) - 1
    share = float(np.sum(clock.shape[hours] * clock.elapsed[hours]))
    share /= float(working_hours(np.arange(24) + 0.5).sum())
    active[today] = {pk for pk in sorted(active[today]) if rng.random() < share}


class Traffic:
    """Requests, 4xx and 5xx per route and hour, and the feature uses among them."""

    def __init__(self, clock: Clock):
        self.clock = clock
        shape = (len(ROUTES), len(clock.starts))
        self.ok, self.client, self.server = (np.zeros(shape, dtype=np.int64) for _ in range(3))
        self.features: dict[tuple[date, str, str], int] = defaultdict(int)
        self.index = {(route.address, route.method): i for i, route in enumerate(ROUTES)}
        # Incidents being worked in each hour: people look at them, at any time of day.
        self.worked = np.zeros(len(clock.starts))

    def event(self, at: datetime, method: str, address: str, feature=None, conflict=False):
        hour = self.clock.index(at)
        if hour is None:
            return
        route = self.index[(address, method)]
        if conflict:
            self.client[route, hour] += 1
            return
        self.ok[route, hour] += 1
        if feature is not None:
            self.features[(at.astimezone(UTC).date(), *feature)] += 1


def _incident_events(rng, clock: Clock, traffic: Traffic, active: dict[date, set[int]]):
    """Acknowledge and resolve as the demo incidents had them, by whoever did them (who
    was then active that day); the hours they were worked; the incidents raised by
    alerts, returned."""
    start = clock.hours[0]
    incidents = Incident.objects.filter(
        Q(triggered_at__gte=start) | Q(acknowledged_at__gte=start) | Q(resolved_at__gte=start)
    ).order_by("triggered_at", "pk")
    alerts = []
    for incident in incidents.values(
        "triggered_at", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by",
        "source", "service__slug", "severity",
    ):  # fmt: skip
        if incident["source"] == IncidentSource.ALERT and incident["triggered_at"] >= start:
            alerts.append(incident)
        first = clock.index(max(incident["triggered_at"], start))
        until = min(incident["resolved_at"] or clock.now, incident["triggered_at"] + WORKED)
        last = clock.index(min(until, clock.now - timedelta(seconds=1)))
        if first is not None and last is not None:
            traffic.worked[first : last + 1] += 1
        for feature in ("acknowledge", "resolve"):
            at = incident[f"{feature}d_at"]
            if at is None or at < start or at >= clock.now:
                continue
            by = incident[f"{feature}d_by"]
            if by is not None:
                active[at.astimezone(UTC).date()].add(by)
            shares = CHANNELS[feature]
            channel = rng.choice(list(shares), p=list(shares.values()))
            at += timedelta(seconds=int(rng.integers(5, 40)))
            if channel == "api":
                traffic.event(at, "POST", API_ACTION[feature], (feature, "api"))
            elif channel == "email_link":
                traffic.event(at, "GET", "/respond/token")
                traffic.event(at, "POST", "/respond/token", (feature, "email_link"))
            elif rng.random() < 0.2:  # ticked in the list, then the bulk action
                traffic.event(at, "POST", "/admin/incidents/incident/", (feature, "admin"))
            else:  # the action is part of the address, not of its pattern
                address = "/admin/incidents/incident/5/lifecycle/acknowledge/"
                traffic.event(at, "POST", address, (feature, "admin"))
            if rng.random() < CONFLICTS:
                traffic.event(at, "POST", API_ACTION[feature], conflict=True)
    return alerts


def _people_events(rng, clock: Clock, traffic: Traffic, active: dict[date, set[int]], people):
    """Review exports and reports, by the people at work that day."""
    for index, day in enumerate(clock.days):
        hours = np.flatnonzero(clock.day_index == index)
        workers = sorted(pk for pk in active[day] if people.get(pk) != "Viewer")
        managers = sorted(pk for pk in active[day] if people.get(pk) == "Manager")
        for hour in hours:
            at = clock.hours[hour] + timedelta(seconds=int(rng.integers(0, HOUR)))
            weekday = clock.weekday[hour] < 5
            for _ in range(rng.poisson(0.3 * clock.shape[hour] * weekday if workers else 0)):
                channel = "admin" if rng.random() < 0.65 else "api"
                traffic.event(at, "GET", "/api/reviews/3/export", ("export", channel))
            # The weekly reports on Monday morning; now and then one for a meeting.
            monday = clock.weekday[hour] == 0 and 9 <= clock.local_hour[hour] < 10
            wanted = (len(managers) if monday else 0) + rng.poisson(0.06 * clock.shape[hour])
            for _ in range(wanted if managers else 0):
                traffic.event(at, "POST", "/api/insights/reports/generate", ("report", "api"))


def _alert_bursts(rng, clock: Clock, alerts: list[dict]) -> dict[str, np.ndarray]:
    """Extra ingestion requests per hour: each alert incident's storm of notifications
    (re-sent every group interval while firing), fading over three hours."""
    bursts = defaultdict(lambda: np.zeros(len(clock.starts)))
    size = {"SEV1": 220, "SEV2": 120, "SEV3": 60, "SEV4": 30}
    for incident in alerts:
        slug = incident["service__slug"]
        if slug == "payments-api":
            address = "/v2/enqueue"
        elif slug == "checkout" and rng.random() < 0.5:
            address = "/api/integrations/grafana"
        else:
            address = "/api/integrations/alertmanager"
        hour = clock.index(incident["triggered_at"])
        total = size.get(incident["severity"], 40) * rng.lognormal(0, 0.5)
        for offset, share in enumerate((0.55, 0.3, 0.15)):
            if hour is not None and hour + offset < len(clock.starts):
                bursts[address][hour + offset] += total * share
    return bursts


def _band_shares(median_ms: np.ndarray) -> np.ndarray:
    """Share of answers in each latency band for a log-normal of this median (per hour)."""
    edges = np.log(np.array(LATENCY_BANDS_MS, dtype=float))
    cdf = ndtr((edges[None, :] - np.log(median_ms)[:, None]) / SIGMA)
    cdf = np.hstack([np.zeros((len(median_ms), 1)), cdf, np.ones((len(median_ms), 1))])
    return np.clip(np.diff(cdf, axis=1), 0, None)


def _rows(rng, clock: Clock, traffic: Traffic, people_factor, bursts, degraded) -> dict:
    """Draw the requests, then split each route's hour into latency bands as the
    middleware counts them: (hour, route, method, band) -> (requests, 4xx, 5xx, queries)."""
    hours = len(clock.starts)
    rows = {}
    for i, route in enumerate(ROUTES):
        load = np.zeros(hours)
        if route.driver == PEOPLE_DRIVEN:
            load = clock.shape * people_factor + 0.08 * np.minimum(traffic.worked, 3)
            rate = route.per_hour * load
        elif route.driver == MACHINES:
            rate = np.full(hours, route.per_hour)
        elif route.driver == INGESTION:
            extra = bursts.get(route.address, np.zeros(hours))
            load = np.clip(extra / 150, 0, 1)  # a storm slows ingestion a little
            rate = route.per_hour + extra
        if route.driver != EVENTS:
            n = rng.poisson(rate * clock.elapsed)
            traffic.client[i] = rng.binomial(n, route.client_errors)
            share = np.where(degraded, 0.02, SERVER_ERRORS)
            traffic.server[i] = rng.binomial(n - traffic.client[i], share)
            traffic.ok[i] = n - traffic.client[i] - traffic.server[i]
        median = route.p95_ms / P95 * (1 + 0.15 * load) * np.where(degraded, 2.2, 1.0)
        ok = rng.multinomial(traffic.ok[i], _band_shares(median))
        client = rng.multinomial(traffic.client[i], _band_shares(np.full(hours, 12.0)))
        server = rng.multinomial(traffic.server[i], _band_shares(median * 4))
        requests = ok + client + server
        queries = rng.poisson((ok + server) * route.queries + client * min(route.queries, 2))
        key = _route_key(route)
        for hour, band in zip(*np.nonzero(requests), strict=True):
            rows[(clock.hours[hour], *key, int(band))] = (
                int(requests[hour, band]),
                int(client[hour, band]),
                int(server[hour, band]),
                int(queries[hour, band]),
            )
    return rows


def _degraded_hour(clock: Clock) -> np.ndarray:
    """One bad hour: the database failing over at 11:00 on the latest weekday at least
    three days ago; answers slow down and some fail."""
    bad = np.zeros(len(clock.starts), dtype=bool)
    candidates = np.flatnonzero(
        (clock.weekday < 5)
        & (np.floor(clock.local_hour) == 11)
        & (clock.starts <= clock.starts[-1] - 3 * 86400)
    )
    if candidates.size:
        bad[candidates[-1]] = True
    return bad


def seed(*, stdout, now: datetime) -> None:
    """The usage counts, unless the platform counted some already (a second run would
    add to them)."""
    if RouteUsage.objects.exists() or ActiveUser.objects.exists() or FeatureUse.objects.exists():
        stdout.write("  usage counts: kept")
        return
    rng = np.random.default_rng(20261128)
    clock = Clock(now)
    people = _people()
    active = _active_users(rng, clock, people)
    # People's requests follow how many of them are at work that day.
    typical = sum(PRESENCE[role][0] for role in people.values()) or 1
    per_day = np.array([len(active[day]) for day in clock.days]) / typical
    people_factor = per_day[clock.day_index]
    _so_far(rng, clock, active)
    traffic = Traffic(clock)
    alerts = _incident_events(rng, clock, traffic, active)
    _people_events(rng, clock, traffic, active, people)
    rows = _rows(
        rng, clock, traffic, people_factor, _alert_bursts(rng, clock, alerts), _degraded_hour(clock)
    )
    pairs = {(day, pk) for day, pks in active.items() for pk in pks}
    services.usage_counts_add(routes=rows, active=pairs, features=dict(traffic.features))
    requests = sum(counts[0] for counts in rows.values())
    stdout.write(
        f"  usage [1/3] requests: {requests} over {DAYS} days, "
        f"{len({key[1:3] for key in rows})} routes, {len(rows)} hourly rows"
    )
    stdout.write(f"  usage [2/3] active users: {len(pairs)} user-days, {len(people)} people")
    uses = defaultdict(int)
    for (_, feature, _), count in traffic.features.items():
        uses[feature] += count
    stdout.write(
        "  usage [3/3] feature uses: " + ", ".join(f"{k} {v}" for k, v in sorted(uses.items()))
    )
