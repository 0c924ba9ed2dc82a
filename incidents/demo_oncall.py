"""The demo's on-call set-up: a schedule and an escalation policy per team, each team's
services paged by its own policy, and a contact method for everyone on call."""

from datetime import date, time, timedelta

from incidents import services
from incidents.models import EscalationPolicy
from oncall import services as oncall_services
from oncall.models import ContactMethod, Schedule

MONDAY = date(2026, 1, 5)
# team: (schedule, time zone, description, layers as (name, start, end or None, members))
ROTAS = {
    "platform": (
        "Platform primary",
        "Europe/London",
        "Weekly rotation, Monday 09:00 London time.",
        [("weekly", "09:00", None, slice(0, 2))],
    ),
    "payments": (
        "Payments follow-the-sun",
        "UTC",
        "Europe covers 07:00-19:00 UTC, the Americas 19:00-07:00.",
        [
            ("Europe day", "07:00", "19:00", slice(0, 1)),
            ("Americas day", "19:00", "07:00", slice(1, 2)),
        ],
    ),
    "discovery": (
        "Discovery primary",
        "Europe/Paris",
        "Weekly rotation, Monday 10:00 Paris time.",
        [("weekly", "10:00", None, slice(0, 2))],
    ),
    "data": (
        "Data primary",
        "Asia/Tokyo",
        "Weekly rotation, Monday 09:00 Tokyo time.",
        [("weekly", "09:00", None, slice(0, 2))],
    ),
}
# team: (policy, minutes on the schedule, then minutes on the team's manager (the whole
# team where it has none))
POLICIES = {
    "platform": ("Platform", 5, 15),
    "payments": ("Payments", 5, 15),
    "discovery": ("Discovery", 5, 15),
    "data": ("Data", 10, 20),
}


def on_call(people, teams, catalogue, stdout):
    """A schedule and an escalation policy per team (weekly rotations and a
    follow-the-sun one), each team's services paged by its own policy, and a contact
    method for everyone on call."""
    for users in people.values():
        for user in users:
            if not ContactMethod.objects.filter(user=user).exists():
                oncall_services.contact_method_create(user=user, kind="email", address=user.email)
    schedules = {team: _schedule(team, teams[team], people[team]) for team in ROTAS}
    policies = {}
    for team, (name, first, second) in POLICIES.items():
        members = people[team]
        managers = [u for u in members if u.groups.filter(name="Manager").exists()] or members
        policies[team] = EscalationPolicy.objects.filter(name=name).first() or services.policy_save(
            name=name,
            team=teams[team],
            repeat=1,
            steps=[
                {"delay": timedelta(minutes=first), "schedules": [schedules[team]]},
                {"delay": timedelta(minutes=second), "users": managers},
            ],
        )
    for service in catalogue.values():
        policy = policies[service.team.slug]
        rule = service.escalation_rules.select_related("policy").filter(severity="").first()
        # A default rule that pages another team's policy is put right.
        if rule is None or rule.policy.team_id != service.team_id:
            services.escalation_rule_set(service=service, policy=policy)
    # Low-severity checkout incidents only go to the schedule, never to the manager.
    quiet = EscalationPolicy.objects.filter(
        name="Payments (low severity)"
    ).first() or services.policy_save(
        name="Payments (low severity)",
        team=teams["payments"],
        steps=[{"delay": timedelta(hours=1), "schedules": [schedules["payments"]]}],
    )
    for severity in ("SEV3", "SEV4"):
        if not catalogue["checkout"].escalation_rules.filter(severity=severity).exists():
            services.escalation_rule_set(
                service=catalogue["checkout"], severity=severity, policy=quiet
            )
    stdout.write(
        f"  on call: {len(schedules)} schedules (weekly, follow-the-sun), "
        f"{len(policies) + 1} escalation policies, one per team (and a quiet one)"
    )


def _schedule(team, owner, members):
    name, zone, description, layers = ROTAS[team]
    return Schedule.objects.filter(name=name).first() or oncall_services.schedule_create(
        name=name,
        team=owner,
        time_zone=zone,
        description=description,
        layers=[
            {
                "name": layer,
                "priority": 1,
                "rotation_length": timedelta(days=7),
                "handoff_date": MONDAY,
                "handoff_time": time.fromisoformat(start),
                "members": members[who],
                **(
                    {"restrictions": [{"days": list(range(7)), "start": start, "end": end}]}
                    if end
                    else {}
                ),
            }
            for layer, start, end, who in layers
        ],
    )
