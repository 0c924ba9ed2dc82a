"""Who is on call right now, everywhere: the read behind ``GET /api/incidents/oncall``."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents import selectors
from oncall import selectors as oncall_selectors


def oncall_overview(now=None) -> dict:
    now = now or timezone.now()
    schedules = list(oncall_selectors.schedule_list())
    # One broken schedule answers nobody; the others are still shown.
    on_call = {s.pk: oncall_selectors.oncall_user_id(s, now) for s in schedules}
    policies = list(selectors.escalation_policy_list())
    user_ids = set(on_call.values()) | {
        u.pk for p in policies for step in p.steps.all() for u in step.users.all()
    }
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids - {None})}

    def ref(user_id):
        user = users.get(user_id)
        return (
            {"id": user.pk, "username": user.username, "name": user.get_full_name()}
            if user
            else None
        )

    return {
        "at": now,
        "schedules": [{"id": s.pk, "name": s.name, "user": ref(on_call[s.pk])} for s in schedules],
        "escalation_policies": [
            {
                "id": policy.pk,
                "name": policy.name,
                "levels": [
                    {
                        "level": index + 1,
                        "delay": str(step.delay),
                        "users": [
                            r
                            for r in (
                                [ref(u.pk) for u in step.users.all()]
                                + [ref(on_call.get(sc.pk)) for sc in step.schedules.all()]
                            )
                            if r
                        ],
                    }
                    for index, step in enumerate(
                        sorted(policy.steps.all(), key=lambda st: st.position)
                    )
                ],
            }
            for policy in policies
        ],
    }
