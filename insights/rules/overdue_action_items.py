"""Action items past their due date, per service: the follow-ups that stop the next
incident are slipping."""

from collections import defaultdict
from datetime import datetime

from django.db.models import F

from incidents import selectors
from insights.engine import Finding, Rule

LATE_DAYS_CRITICAL = 30


def find(now: datetime) -> list[Finding]:
    today = now.date()
    items = (
        selectors.action_items_overdue(selectors.action_item_list(), today=today)
        .annotate(
            service_id=F("review__incident__service_id"),
            service_slug=F("review__incident__service__slug"),
            service_name=F("review__incident__service__name"),
        )
        .values("pk", "title", "due_date", "service_id", "service_slug", "service_name")
    )
    by_service = defaultdict(list)
    for item in items:
        by_service[(item["service_id"], item["service_slug"], item["service_name"])].append(item)
    findings = []
    for (service_id, slug, name), late in sorted(by_service.items(), key=lambda kv: kv[0][1]):
        oldest = min(item["due_date"] for item in late)
        days = (today - oldest).days
        findings.append(
            Finding(
                subject=f"service:{slug}",
                title=f"{len(late)} action item{'s' * (len(late) != 1)} overdue on {name}",
                severity="critical" if days >= LATE_DAYS_CRITICAL else "warning",
                recommendation=(
                    f"The oldest is {days} days late. Ask each owner for a new date or close "
                    "the items that will not be done (won't do), so the list says what is real."
                ),
                evidence=(
                    (
                        "Overdue action items",
                        f"/admin/incidents/actionitem/?overdue=yes"
                        f"&review__incident__service__id__exact={service_id}",
                    ),
                    ("API", f"/api/action-items?overdue=true&service={slug}"),
                ),
                service_id=service_id,
                figures={"overdue": len(late), "oldest_days_late": days},
            )
        )
    return findings


RULE = Rule("overdue_action_items", "Action items past their due date, per service.", find)
