"""On-call schedules with stretches in the next two weeks when nobody is on call: an
incident then pages no one at that escalation level."""

import logging
from datetime import datetime, timedelta

from insights.engine import Finding, Rule
from oncall import rotation, selectors

logger = logging.getLogger(__name__)

HORIZON = timedelta(days=14)


def find(now: datetime) -> list[Finding]:
    end = now + HORIZON
    findings = []
    for schedule in selectors.schedule_list().order_by("name", "pk"):
        try:
            holes = rotation.gaps(selectors.schedule_spec(schedule, overrides_from=now), now, end)
        except selectors.BROKEN_SCHEDULE_ERRORS as exc:
            logger.error(
                "schedule %s (%s) cannot be evaluated: %r", schedule.pk, schedule.name, exc
            )
            continue
        if not holes:
            continue
        hours = sum((g.end - g.start).total_seconds() for g in holes) / 3600
        first = holes[0]
        findings.append(
            Finding(
                subject=f"schedule:{schedule.pk}",
                title=(
                    f"Nobody is on call in {schedule.name} for {hours:g} hours in the next 14 days"
                ),
                severity="critical",
                recommendation=(
                    f"The first gap runs from {first.start.isoformat()} to "
                    f"{first.end.isoformat()}. Add a layer or widen a layer's restrictions "
                    "to cover it, or add overrides for the uncovered stretches."
                ),
                evidence=(
                    ("Schedule", f"/admin/oncall/schedule/{schedule.pk}/change/"),
                    ("Shifts with gaps", f"/api/schedules/{schedule.pk}/shifts?gaps=true"),
                ),
                figures={
                    "first_gap_start": first.start.isoformat(),
                    "first_gap_end": first.end.isoformat(),
                    "gap_hours": round(hours, 2),
                    "gaps": len(holes),
                },
            )
        )
    return findings


RULE = Rule("schedule_gaps", "Schedules with nobody on call at times in the next 14 days.", find)
