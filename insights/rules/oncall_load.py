"""How the pages of the last 30 days fell on people: one person carrying far more than
the others, or paged out of hours again and again. Both burn people out."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from analytics.incident_analytics import oncall_load
from insights.engine import Finding, Rule

WINDOW = timedelta(days=30)
MIN_PAGES = 5  # below this, a person's figures are not a pattern
MIN_PEOPLE = 2  # a comparison needs someone to compare with
LOAD_FACTOR = 2  # more than this times the mean pages per paged person
OUT_OF_HOURS_SHARE = 0.3  # more than this share of a person's pages out of hours


def find(now: datetime) -> list[Finding]:
    start = now - WINDOW
    people = oncall_load(start=start, end=now)
    if not people:
        return []
    mean = sum(person["pages"] for person in people) / len(people)
    report = (
        "On-call load report (API)",
        "/api/analytics/incidents?"
        + urlencode({"start": start.isoformat(), "end": now.isoformat()}),
    )
    findings = []
    for person in people:
        pages, user, name = person["pages"], person["user"], person["username"]
        if pages < MIN_PAGES:
            continue
        pages_of = ("Their pages", "/admin/incidents/notification/?" + urlencode({"q": name}))
        if len(people) >= MIN_PEOPLE and pages > LOAD_FACTOR * mean:
            findings.append(
                Finding(
                    subject=f"load:{user}",
                    title=f"{name} took {pages} pages in 30 days, "
                    f"{pages / mean:.1f}x the mean of {mean:.1f}",
                    severity="warning",
                    recommendation=(
                        "Rebalance the rotation so the pages are shared (more people in the "
                        "layer, shorter shifts, or a secondary who takes the next page), and "
                        "fix the noisiest alerts behind their pages first."
                    ),
                    evidence=(pages_of, report),
                    figures={
                        "pages": pages,
                        "mean_pages": round(mean, 1),
                        "people_paged": len(people),
                        "share": round(person["share"], 3),
                    },
                )
            )
        night = person["pages_out_of_hours"]
        if night / pages > OUT_OF_HOURS_SHARE:
            findings.append(
                Finding(
                    subject=f"nights:{user}",
                    title=f"{night} of {name}'s {pages} pages in 30 days came out of hours",
                    severity="warning",
                    recommendation=(
                        "Fix or downgrade the alerts that page at night (can they wait for "
                        "the morning?), add a follow-the-sun layer in another time zone for "
                        f"the hours outside 08:00-20:00 {person['time_zone']}, and give "
                        "time off after a night of pages."
                    ),
                    evidence=(pages_of, report),
                    figures={
                        "pages": pages,
                        "pages_out_of_hours": night,
                        "out_of_hours_share": round(night / pages, 3),
                        "time_zone": person["time_zone"],
                    },
                )
            )
    return findings


RULE = Rule(
    "oncall_load",
    "People paged far more than the others, or mostly out of hours, over 30 days.",
    find,
)
