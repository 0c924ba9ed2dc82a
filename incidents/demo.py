"""Demo organisation: teams, services, people in every role, and ~90 days of incidents
with realistic acknowledge and resolve times. Deterministic (fixed seed) and safe to
run again: what exists is kept."""

import os
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Service, Team
from incidents import services
from incidents.models import (
    ActionItem,
    EscalationPolicy,
    Incident,
    IncidentSeverity,
    IncidentSource,
    PostIncidentReview,
)
from incidents.services import reviews as review_services
from oncall import services as oncall_services
from oncall.models import ContactMethod, Schedule

HISTORY_DAYS = 90

TEAMS = {
    "platform": ("Platform", "Edge, identity and the shared runtime."),
    "payments": ("Payments", "Checkout, payment processing and the ledger."),
    "discovery": ("Discovery", "Search, recommendations and the storefront."),
    "data": ("Data", "Pipelines, warehouse and notifications."),
}
# slug: (name, team, tier, incidents per week, description)
SERVICES = {
    "api-gateway": ("API Gateway", "platform", 1, 2.4, "Public HTTPS entry point."),
    "auth": ("Auth", "platform", 1, 1.4, "Sign-in, sessions and tokens."),
    "checkout": ("Checkout", "payments", 1, 2.0, "Basket to order."),
    "payments-api": ("Payments API", "payments", 1, 1.8, "Card and wallet payments."),
    "ledger": ("Ledger", "payments", 2, 0.4, "Double-entry book of every payment."),
    "search": ("Search", "discovery", 2, 1.6, "Product search."),
    "recommendations": ("Recommendations", "discovery", 3, 0.5, "You may also like."),
    "web-storefront": ("Web Storefront", "discovery", 2, 1.8, "The shop's web front end."),
    "data-pipeline": ("Data Pipeline", "data", 3, 0.6, "Nightly and streaming ETL."),
    "notifications": ("Notifications", "data", 2, 0.5, "Email, SMS and push."),
}
# team: [(username, first, last, role)]
PEOPLE = {
    "platform": [
        ("ana.ops", "Ana", "Ortega", "Responder"),
        ("ben.sre", "Ben", "Sato", "Responder"),
        ("priya.lead", "Priya", "Nair", "Manager"),
    ],
    "payments": [
        ("carl.pay", "Carl", "Meyer", "Responder"),
        ("dana.pay", "Dana", "Kim", "Responder"),
        ("omar.lead", "Omar", "Haddad", "Manager"),
    ],
    "discovery": [
        ("eve.web", "Eve", "Laurent", "Responder"),
        ("fin.search", "Fin", "Walsh", "Responder"),
    ],
    "data": [("gus.data", "Gus", "Novak", "Responder"), ("hana.data", "Hana", "Ito", "Responder")],
}
EXECUTIVES = [("ceo", "Clara", "Bishop"), ("cto", "Theo", "Marsh")]

# severity: (share of incidents, median minutes to acknowledge, median minutes to resolve)
SEVERITY_PROFILE = {
    IncidentSeverity.SEV1: (0.08, 3, 55),
    IncidentSeverity.SEV2: (0.22, 6, 120),
    IncidentSeverity.SEV3: (0.45, 14, 300),
    IncidentSeverity.SEV4: (0.25, 45, 900),
}
TITLES = [
    "Elevated 5xx rate",
    "p99 latency above SLO",
    "Error budget burning fast",
    "Queue backlog growing",
    "Database connection pool exhausted",
    "Certificate expiring",
    "Pods crash-looping after deploy",
    "Third-party dependency timing out",
    "Disk usage above 90%",
    "Memory leak suspected",
    "Cache hit ratio dropped",
]


def seed(*, stdout):
    rng = random.Random(20261127)
    people = _people(stdout)
    teams = _teams(people, stdout)
    catalogue = _services(teams, stdout)
    _integrations(catalogue, stdout)
    # History first: its incidents are long over, and must not page anyone today.
    if Incident.objects.filter(service__in=catalogue.values()).exists():
        stdout.write("  incident history: kept")
    else:
        total = 0
        for index, (slug, service) in enumerate(catalogue.items(), start=1):
            count = _history(rng, service, people[SERVICES[slug][1]])
            total += count
            stdout.write(f"  incident history [{index}/{len(catalogue)}] {slug}: {count} incidents")
        stdout.write(f"  incident history: {total} incidents over {HISTORY_DAYS} days")
    _reviews(rng, people, stdout)
    _on_call(people, teams, catalogue, stdout)


def _people(stdout):
    User = get_user_model()
    password = os.environ.get("DEMO_PASSWORD")
    groups = {group.name: group for group in Group.objects.all()}
    people = {}
    rows = [(team, *person) for team, persons in PEOPLE.items() for person in persons]
    rows += [(None, username, first, last, "Viewer") for username, first, last in EXECUTIVES]
    created_count = 0
    for team, username, first, last, role in rows:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_staff": True,
                "email": f"{username}@example.com",
            },
        )
        if created:
            user.set_password(password) if password else user.set_unusable_password()
            user.save(update_fields=["password"])
            created_count += 1
        user.groups.add(groups[role])
        if team:
            people.setdefault(team, []).append(user)
    stdout.write(f"  people: {len(rows)} ({created_count} created)")
    return people


def _teams(people, stdout):
    teams = {}
    for slug, (name, description) in TEAMS.items():
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            team = catalog_services.team_create(
                name=name, slug=slug, description=description, members=people.get(slug, [])
            )
        teams[slug] = team
    stdout.write(f"  teams: {len(teams)}")
    return teams


def _services(teams, stdout):
    catalogue = {}
    for slug, (name, team, tier, _, description) in SERVICES.items():
        service = Service.objects.filter(slug=slug).first()
        if service is None:
            service = catalog_services.service_create(
                name=name,
                slug=slug,
                team=teams[team],
                tier=tier,
                description=description,
                runbook_url=f"https://runbooks.example.com/{slug}",
            )
        catalogue[slug] = service
    stdout.write(f"  services: {len(catalogue)}")
    return catalogue


# service slug: [(kind, name)]
INTEGRATIONS = {
    "api-gateway": [("alertmanager", "Prometheus (prod)")],
    "checkout": [("alertmanager", "Prometheus (prod)"), ("grafana", "Grafana business KPIs")],
    "payments-api": [("pagerduty", "Payment processor status")],
    "data-pipeline": [("webhook", "Airflow failures")],
}


def _integrations(catalogue, stdout):
    """One of each kind. A new integration's secret is printed once, so the endpoints
    can be tried at once (README: Integrations)."""
    for slug, integrations in INTEGRATIONS.items():
        service = catalogue[slug]
        for kind, name in integrations:
            if service.integrations.filter(name=name).exists():
                continue
            issued = services.integration_create(service=service, kind=kind, name=name)
            stdout.write(f"  integration {slug}/{name} ({kind}) secret: {issued.secret}")


def _on_call(people, teams, catalogue, stdout):
    """A weekly schedule, a follow-the-sun one, policies that use them, and a contact
    method for everyone on call."""
    from datetime import date, time

    for users in people.values():
        for user in users:
            if not ContactMethod.objects.filter(user=user).exists():
                ContactMethod.objects.create(user=user, kind="email", address=user.email)
    monday = date(2026, 1, 5)
    platform, payments = people["platform"], people["payments"]
    weekly = Schedule.objects.filter(
        name="Platform primary"
    ).first() or oncall_services.schedule_create(
        name="Platform primary",
        team=teams["platform"],
        time_zone="Europe/London",
        description="Weekly rotation, Monday 09:00 London time.",
        layers=[
            {
                "name": "weekly",
                "priority": 1,
                "rotation_length": timedelta(days=7),
                "handoff_date": monday,
                "handoff_time": time(9),
                "members": platform[:2],
            }
        ],
    )
    sun = Schedule.objects.filter(
        name="Payments follow-the-sun"
    ).first() or oncall_services.schedule_create(
        name="Payments follow-the-sun",
        team=teams["payments"],
        time_zone="UTC",
        description="Europe covers 07:00-19:00 UTC, the Americas 19:00-07:00.",
        layers=[
            {
                "name": "Europe day",
                "priority": 1,
                "rotation_length": timedelta(days=7),
                "handoff_date": monday,
                "handoff_time": time(7),
                "members": payments[:1],
                "restrictions": [{"days": list(range(7)), "start": "07:00", "end": "19:00"}],
            },
            {
                "name": "Americas day",
                "priority": 1,
                "rotation_length": timedelta(days=7),
                "handoff_date": monday,
                "handoff_time": time(19),
                "members": payments[1:2],
                "restrictions": [{"days": list(range(7)), "start": "19:00", "end": "07:00"}],
            },
        ],
    )
    policies = {}
    for name, schedule, team, manager in (
        ("Platform", weekly, teams["platform"], platform[-1]),
        ("Payments", sun, teams["payments"], payments[-1]),
    ):
        policies[name] = EscalationPolicy.objects.filter(name=name).first() or services.policy_save(
            name=name,
            team=team,
            repeat=1,
            steps=[
                {"delay": timedelta(minutes=5), "schedules": [schedule]},
                {"delay": timedelta(minutes=15), "users": [manager]},
            ],
        )
    for slug, service in catalogue.items():
        team = SERVICES[slug][1]
        policy = policies["Payments" if team == "payments" else "Platform"]
        if not service.escalation_rules.filter(severity="").exists():
            services.escalation_rule_set(service=service, policy=policy)
    # Low-severity checkout incidents only go to the schedule, never to the manager.
    quiet = EscalationPolicy.objects.filter(
        name="Payments (low severity)"
    ).first() or services.policy_save(
        name="Payments (low severity)",
        team=teams["payments"],
        steps=[{"delay": timedelta(hours=1), "schedules": [sun]}],
    )
    for severity in ("SEV3", "SEV4"):
        if not catalogue["checkout"].escalation_rules.filter(severity=severity).exists():
            services.escalation_rule_set(
                service=catalogue["checkout"], severity=severity, policy=quiet
            )
    stdout.write("  on call: 2 schedules (weekly, follow-the-sun), 3 escalation policies")


def _history(rng, service, responders) -> int:
    """Incidents for one service: Poisson arrivals, log-normal response times."""
    now = timezone.now().replace(microsecond=0)
    per_day = SERVICES[service.slug][3] / 7
    moment = now - timedelta(days=HISTORY_DAYS)
    count = 0
    while True:
        moment += timedelta(days=rng.expovariate(per_day))
        if moment >= now - timedelta(minutes=30):
            return count
        _one_incident(rng, service, responders, moment, now)
        count += 1


def _one_incident(rng, service, responders, triggered_at, now):
    severities = list(SEVERITY_PROFILE)
    severity = rng.choices(severities, weights=[p[0] for p in SEVERITY_PROFILE.values()])[0]
    _, ack_median, resolve_median = SEVERITY_PROFILE[severity]
    responder = rng.choice(responders)
    incident = services.incident_create(
        service=service,
        title=f"{service.name}: {rng.choice(TITLES)}",
        severity=severity,
        source=rng.choices(
            [IncidentSource.ALERT, IncidentSource.MANUAL, IncidentSource.SLO], weights=[7, 2, 1]
        )[0],
        commander=responder if severity in (IncidentSeverity.SEV1, IncidentSeverity.SEV2) else None,
        assignees=[responder],
        by=None,
        at=triggered_at,
    )
    acknowledged_at = triggered_at + _minutes(rng, ack_median)
    if acknowledged_at > now:
        return
    services.incident_acknowledge(incident=incident, by=responder, at=acknowledged_at)
    resolved_at = acknowledged_at + _minutes(rng, resolve_median)
    if severity in (IncidentSeverity.SEV1, IncidentSeverity.SEV2):
        mitigated_at = acknowledged_at + (resolved_at - acknowledged_at) * rng.uniform(0.2, 0.6)
        if mitigated_at > now:
            return
        services.incident_mitigate(incident=incident, by=responder, at=mitigated_at)
        services.incident_add_note(
            incident=incident,
            by=responder,
            at=mitigated_at,
            text="Rolled back the last deploy; error rate back to baseline.",
        )
    if resolved_at > now:
        return
    services.incident_resolve(
        incident=incident, by=responder, at=resolved_at, note="Root cause fixed and verified."
    )
    closed_at = resolved_at + timedelta(days=rng.uniform(1, 4))
    if closed_at < now:
        services.incident_close(incident=incident, by=responder, at=closed_at)


def _minutes(rng, median):
    # Log-normal around the median, clipped: response times have a long right tail.
    return timedelta(minutes=min(rng.lognormvariate(0, 0.8) * median, median * 12))


# What reviews of the demo's incidents say; the incident's own title leads each.
REVIEW_TEXT = {
    "summary": "{title}. Detected by alerting; the on-call engineer rolled back the last "
    "deploy and the error rate returned to baseline.",
    "customer_impact": "Some requests to {service} failed or were slow while it lasted; "
    "no data was lost.",
    "root_cause": "A configuration change shipped with the deploy lowered a connection "
    "limit below peak traffic.",
    "contributing_factors": "No canary stage for {service}; the limit is not covered by "
    "load tests.",
    "what_went_well": "The page reached the on-call engineer within minutes; rollback "
    "was one command.",
    "what_went_poorly": "It took a while to connect the alert to the deploy.",
    "lessons_learned": "Configuration changes need the same review and canary as code.",
}
ACTIONS = [
    ("Add a canary stage to the {service} deploy", "P1", 14),
    ("Load-test connection limits for {service}", "P2", 30),
    ("Link deploys to alerts on the incident page", "P3", 45),
]


def _reviews(rng, people, stdout):
    """The drafts that resolving SEV1/SEV2 incidents opened, written up as teams do:
    old ones published with their follow-up work mostly done, recent ones in review or
    still drafts; some action items overdue."""
    if ActionItem.objects.exists():
        stdout.write("  reviews: kept")
        return
    now = timezone.now()
    drafts = PostIncidentReview.objects.select_related(
        "incident__service__team", "facilitator"
    ).order_by("incident__triggered_at")
    counts = {"published": 0, "in_review": 0, "draft": 0}
    for review in drafts:
        incident = review.incident
        team_people = people.get(incident.service.team.slug, []) or [review.facilitator]
        author = review.facilitator or team_people[0]
        age = (now - incident.resolved_at).days
        words = {"title": incident.title, "service": incident.service.name}
        text = {name: value.format(**words) for name, value in REVIEW_TEXT.items()}
        if age < 4:
            text = {"summary": text["summary"]}  # a draft: just started
        review_services.review_update(review=review, by=author, participants=team_people, **text)
        for title, priority, days in ACTIONS[: 1 if age < 4 else rng.randint(2, 3)]:
            item = review_services.action_item_create(
                review=review,
                by=author,
                title=title.format(**words),
                priority=priority,
                owner=rng.choice(team_people),
                due_date=(incident.resolved_at + timedelta(days=days)).date(),
            )
            if age > 30 and rng.random() < 0.8:
                review_services.action_item_update(item=item, by=author, status="done")
            elif age > 10 and rng.random() < 0.4:
                review_services.action_item_update(item=item, by=author, status="in_progress")
        if age > 10:
            review_services.review_publish(review=review, by=author)
            counts["published"] += 1
        elif age >= 4:
            review_services.review_update(review=review, by=author, status="in_review")
            counts["in_review"] += 1
        else:
            counts["draft"] += 1
    overdue = ActionItem.objects.filter(
        due_date__lt=timezone.localdate(), status__in=["open", "in_progress"]
    ).count()
    stdout.write(
        f"  reviews: {counts['published']} published, {counts['in_review']} in review, "
        f"{counts['draft']} drafts; {ActionItem.objects.count()} action items, {overdue} overdue"
    )
