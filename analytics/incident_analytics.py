"""Incident analytics over a window: how fast incidents are acknowledged and resolved,
how noisy the alerts behind them are, and how the pages fall on people.

Everything is read through the incidents app's selectors, each one grouped query, so a
report costs the same number of queries for one incident as for ten thousand.
"""

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from incidents import selectors as incident_selectors
from incidents.response_times import incident_response_times

# Local 08:00 <= t < 20:00 is working hours; a page outside it woke or interrupted someone.
WORKDAY_START_HOUR, WORKDAY_END_HOUR = 8, 20
NOISIEST_ALERTS = 10
# A group flaps when it fired again after resolving at least this often in the window.
FLAP_MIN_REFIRES = 3
FLAPPING_GROUPS = 20


def incident_analytics(
    *, start: datetime, end: datetime, group_by: str | None = None, period: str = "week"
) -> dict:
    """Incidents triggered in [start, end): counts and MTTA/MTTR (mean, median, p90)
    overall or by ``group_by`` (service, team, severity, period of ``period``); the alert
    noise of the window; and the on-call load of the pages sent in it."""
    return {
        "start": start,
        "end": end,
        "group_by": group_by,
        "period": period,
        "response_times": incident_response_times(
            group_by=group_by, period=period, since=start, until=end
        ),
        "alert_noise": alert_noise(start=start, end=end),
        "oncall_load": oncall_load(start=start, end=end),
    }


# --- alert noise ------------------------------------------------------------------------


def alert_noise(*, start: datetime, end: datetime) -> dict:
    summary = incident_selectors.alerts_per_incident_summary(start=start, end=end)
    deliveries = incident_selectors.alert_group_deliveries(
        start=start, end=end, min_resolved=FLAP_MIN_REFIRES
    )
    return {
        "alerts_per_incident": {
            "incidents": summary["incidents"],
            "mean": summary["mean"],
            "median": summary["median"],
            "max": summary["max"],
        },
        "noisiest_alerts": incident_selectors.alert_names_noisiest(
            start=start, end=end, limit=NOISIEST_ALERTS
        ),
        "flapping_groups": flapping_groups(deliveries)[:FLAPPING_GROUPS],
    }


def _group_history(rows) -> dict:
    """Walk one group's deliveries in time order. A delivery with any alert firing
    keeps (or puts) the group firing; one with only resolved notices resolves it. Repeat
    notifications of a firing group are not new fires."""
    fired = resolved = fired_again = alerts = 0
    incidents = set()
    state = None
    for _service, _key, _at, firing, fired_alerts, incident_id in rows:
        alerts += fired_alerts or 0
        if incident_id is not None:
            incidents.add(incident_id)
        if firing and state != "firing":
            fired += 1
            fired_again += state == "resolved"
            state = "firing"
        elif not firing and state != "resolved":
            resolved += state == "firing"
            state = "resolved"
    return {
        "fired": fired,
        "resolved": resolved,
        "fired_again": fired_again,
        "alerts": alerts,
        "incidents": len(incidents),
    }


def flapping_groups(deliveries) -> list[dict]:
    """Alert groups that fired, resolved and fired again at least ``FLAP_MIN_REFIRES``
    times, flappiest first. ``deliveries`` as ``alert_group_deliveries`` returns them
    (ordered by service, group key and time)."""
    groups = []
    for (service, key), rows in itertools.groupby(deliveries, key=lambda row: row[:2]):
        history = _group_history(rows)
        if history["fired_again"] >= FLAP_MIN_REFIRES:
            groups.append({"service": service, "group_key": key, **history})
    groups.sort(key=lambda g: (-g["fired_again"], -g["alerts"], g["service"], g["group_key"]))
    return groups


# --- on-call load -----------------------------------------------------------------------


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def out_of_hours(at: datetime, zone: ZoneInfo) -> bool:
    """Whether ``at`` falls outside 08:00-20:00 on the clock of ``zone``."""
    return not WORKDAY_START_HOUR <= at.astimezone(zone).hour < WORKDAY_END_HOUR


def oncall_load(*, start: datetime, end: datetime) -> list[dict]:
    """Per person paged in the window, most paged first: pages sent, those outside
    working hours in the person's own time zone (their schedule's; the site's when they
    are on no schedule), and their share of all pages."""
    pages = incident_selectors.pages_sent(start=start, end=end)
    people: dict[int, dict] = {}
    for user_id, username, zone_name, sent_at in pages:
        person = people.get(user_id)
        if person is None:
            zone = _zone(zone_name)
            person = people[user_id] = {
                "user": user_id,
                "username": username,
                "time_zone": zone.key,
                "pages": 0,
                "pages_out_of_hours": 0,
                "_zone": zone,
            }
        person["pages"] += 1
        person["pages_out_of_hours"] += out_of_hours(sent_at, person["_zone"])
    rows = []
    for person in people.values():
        del person["_zone"]
        rows.append({**person, "share": person["pages"] / len(pages)})
    rows.sort(key=lambda row: (-row["pages"], row["username"]))
    return rows
