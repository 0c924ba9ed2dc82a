"""The same problem again: several incidents in 30 days on one service with the same
dedup key or the same title. Each was fixed; its cause was not."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from incidents import selectors
from insights.engine import Finding, Rule

WINDOW = timedelta(days=30)
MIN_INCIDENTS = 3
CRITICAL_INCIDENTS = 5
TITLE_KEY_CHARS = 120  # of the key shown in the finding's title


def find(now: datetime) -> list[Finding]:
    repeats = selectors.incident_repeats(start=now - WINDOW, end=now, min_incidents=MIN_INCIDENTS)
    findings = []
    seen = set()
    for group in repeats:
        if group.get("covered_by_dedup_key"):
            continue  # the same incidents, already told by their dedup key
        slug, key, count = group["service__slug"], group["key"], group["incidents"]
        subject = f"repeat:{slug}:{key}"
        if subject in seen:
            continue
        seen.add(subject)
        what = "dedup key" if group["kind"] == "dedup_key" else "title"
        shown = key if len(key) <= TITLE_KEY_CHARS else key[: TITLE_KEY_CHARS - 1] + "…"
        findings.append(
            Finding(
                subject=subject,
                title=f"{count} incidents in 30 days on {group['service__name']} "
                f"with the {what} “{shown}”",
                severity="critical" if count >= CRITICAL_INCIDENTS else "warning",
                recommendation=(
                    "Hold a problem review across these incidents rather than another "
                    "one-off fix: find the shared cause, give fixing it an owned action "
                    "item with a due date, and until then make the runbook say how to "
                    "recover fast."
                ),
                evidence=(
                    (
                        "Incidents of the service",
                        f"/admin/incidents/incident/?service__id__exact={group['service_id']}",
                    ),
                    ("API", "/api/incidents/?" + urlencode({"service": slug})),
                ),
                service_id=group["service_id"],
                figures={
                    "incidents": count,
                    "key_kind": group["kind"],
                    "first": group["first"].isoformat(),
                    "last": group["last"].isoformat(),
                },
            )
        )
    return findings


RULE = Rule(
    "repeat_incidents",
    "Three or more incidents in 30 days on one service with the same dedup key or title.",
    find,
)
