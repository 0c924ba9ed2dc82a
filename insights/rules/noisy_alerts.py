"""Alert noise over the last week: alert groups that flap (fire, resolve, fire again)
and alert names that fire many times for each incident they open or join. Both page
people for nothing new and teach them to ignore the pager."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from analytics.incident_analytics import alert_noise
from catalog import selectors as catalog_selectors
from insights.engine import Finding, Rule

WINDOW = timedelta(days=7)
# An alert name is noisy at this many firing alerts per incident it touched.
ALERTS_PER_INCIDENT = 10


def _report_url(start: datetime, end: datetime) -> str:
    return "/api/analytics/incidents?" + urlencode(
        {"start": start.isoformat(), "end": end.isoformat()}
    )


def find(now: datetime) -> list[Finding]:
    start = now - WINDOW
    noise = alert_noise(start=start, end=now)
    report = ("Alert noise report (API)", _report_url(start, now))
    flapping = noise["flapping_groups"]
    service_ids = dict(
        catalog_selectors.service_list()
        .filter(slug__in={group["service"] for group in flapping})
        .values_list("slug", "pk")
    )
    findings = []
    for group in flapping:
        service, key = group["service"], group["group_key"]
        findings.append(
            Finding(
                subject=f"flapping:{service}:{key}",
                title=(
                    f"Alert group {key} on {service} fired again {group['fired_again']} "
                    "times after resolving this week"
                ),
                severity="warning",
                recommendation=(
                    "Make the alert hold before it fires and before it resolves: raise its "
                    "for: duration (or add hysteresis to the threshold), and lengthen "
                    "Alertmanager's group_interval/repeat_interval so one problem is one "
                    "page, not a new one every time it crosses the line."
                ),
                evidence=(
                    ("Alerts of the group", "/admin/incidents/alert/?" + urlencode({"q": key})),
                    report,
                ),
                service_id=service_ids.get(service),
                figures={
                    name: group[name]
                    for name in ("fired", "resolved", "fired_again", "alerts", "incidents")
                },
            )
        )
    for alert in noise["noisiest_alerts"]:
        name, alerts, incidents = alert["name"], alert["alerts"], alert["incidents"]
        if incidents < 1 or alerts < ALERTS_PER_INCIDENT * incidents:
            continue
        per_incident = round(alerts / incidents, 1)
        findings.append(
            Finding(
                subject=f"alert:{name}",
                title=f"{name} fired {alerts} times for {incidents} "
                f"incident{'s' * (incidents != 1)} this week",
                severity="warning",
                recommendation=(
                    f"{per_incident:g} alerts per incident say the same thing many times. "
                    "Tune the rule (a threshold that means action, a longer for:), group it "
                    "by fewer labels so one problem is one group, and inhibit it while the "
                    "alert for its cause is firing."
                ),
                evidence=(
                    ("Alerts", "/admin/incidents/alert/?" + urlencode({"q": name})),
                    report,
                ),
                figures={
                    "alerts": alerts,
                    "incidents": incidents,
                    "alerts_per_incident": per_incident,
                },
            )
        )
    return findings


RULE = Rule(
    "noisy_alerts",
    "Flapping alert groups and alert names with many alerts per incident, over 7 days.",
    find,
)
