"""Demo organisation: teams, services, people in every role, and ~90 days of incidents
with realistic acknowledge and resolve times, the alerts behind them and the pages they
sent (``demo_signals``). Deterministic (fixed seed) and safe to run again: what exists
is kept."""

import os
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Service, Team
from incidents import demo_oncall, demo_pages, demo_signals, services
from incidents.models import (
    ActionItem,
    Alert,
    Incident,
    IncidentSeverity,
    IncidentSource,
    PostIncidentReview,
)
from incidents.services import reviews as review_services

SEED = 20261127
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
# What goes wrong; on a service with an integration, the alert rule that says so.
TITLES = list(demo_signals.ALERT_RULES)


def seed(*, stdout):
    rng = random.Random(SEED)
    # The alerts' details draw from their own stream, so the incidents stay as they were.
    alert_rng = random.Random(SEED + 1)
    now = timezone.now().replace(microsecond=0)
    people = _people(stdout)
    teams = _teams(people, stdout)
    catalogue = _services(teams, stdout)
    integrations = _integrations(catalogue, stdout)
    # History before escalation policies: its incidents are long over, and must not page
    # anyone today. What they paged back then is recorded below, as already sent.
    if Incident.objects.filter(service__in=catalogue.values()).exists():
        stdout.write("  incident history: kept")
    else:
        total = 0
        for index, (slug, service) in enumerate(catalogue.items(), start=1):
            count = _history(
                rng, alert_rng, service, people[SERVICES[slug][1]], integrations[slug], now
            )
            total += count
            stdout.write(f"  incident history [{index}/{len(catalogue)}] {slug}: {count} incidents")
        stdout.write(f"  incident history: {total} incidents over {HISTORY_DAYS} days")
        every = [i for found in integrations.values() for i in found]
        demo_signals.integrations_mark_received(every)
        alerts = Alert.objects.filter(integration__in=every)
        stdout.write(
            f"  alerts: {alerts.count()} from {alerts.values('integration').distinct().count()}"
            f" integrations, behind {alerts.values('incident').distinct().count()} incidents"
        )
    _reviews(rng, people, stdout)
    demo_oncall.on_call(people, teams, catalogue, stdout)
    demo_pages.pages_record(
        services=list(catalogue.values()), now=now, seed=SEED + 2, stdout=stdout
    )


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


def _integrations(catalogue, stdout) -> dict[str, list]:
    """One of each kind. A new integration's secret is printed once, so the endpoints
    can be tried at once (README: Integrations). Each service's integrations, by slug."""
    found = {slug: [] for slug in catalogue}
    for slug, integrations in INTEGRATIONS.items():
        service = catalogue[slug]
        for kind, name in integrations:
            integration = service.integrations.filter(name=name).first()
            if integration is None:
                issued = services.integration_create(service=service, kind=kind, name=name)
                integration = issued.integration
                stdout.write(f"  integration {slug}/{name} ({kind}) secret: {issued.secret}")
            found[slug].append(integration)
    return found


def _history(rng, alert_rng, service, responders, integrations, now) -> int:
    """Incidents for one service: Poisson arrivals, log-normal response times."""
    per_day = SERVICES[service.slug][3] / 7
    moment = now - timedelta(days=HISTORY_DAYS)
    count = 0
    while True:
        moment += timedelta(days=rng.expovariate(per_day))
        if moment >= now - timedelta(minutes=30):
            return count
        _one_incident(rng, alert_rng, service, responders, integrations, moment, now)
        count += 1


def _one_incident(rng, alert_rng, service, responders, integrations, triggered_at, now):
    severities = list(SEVERITY_PROFILE)
    severity = rng.choices(severities, weights=[p[0] for p in SEVERITY_PROFILE.values()])[0]
    responder = rng.choice(responders)
    what = rng.choice(TITLES)
    # Alerts open incidents only where an integration sends them; elsewhere people do.
    sources = [IncidentSource.ALERT if integrations else IncidentSource.MANUAL]
    source = rng.choices([*sources, IncidentSource.MANUAL, IncidentSource.SLO], weights=[7, 2, 1])
    major = severity in (IncidentSeverity.SEV1, IncidentSeverity.SEV2)
    fields = {
        "service": service,
        "title": f"{service.name}: {what}",
        "severity": severity,
        "source": source[0],
        "commander": responder if major else None,
        "assignees": [responder],
        "by": None,
        "at": triggered_at,
    }
    signal = None
    if source[0] == IncidentSource.ALERT:
        signal = demo_signals.alert_signal(
            alert_rng,
            integrations=integrations,
            service=service,
            rule=what,
            severity=severity,
            at=triggered_at,
        )
        group = signal.group
        fields |= {"title": group.title, "summary": group.description}
        fields |= {"dedup_key": signal.dedup_key, "by": signal.actor}
    incident = services.incident_create(**fields)
    if signal is not None:
        demo_signals.alerts_store(signal, incident, signal.firing)
    _work(rng, incident, severity, responder, signal, triggered_at, now)


def _work(rng, incident, severity, responder, signal, triggered_at, now):
    """What the responder did, as far as it happened before ``now``; an alert group
    resolves when its incident does."""
    _, ack_median, resolve_median = SEVERITY_PROFILE[severity]
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
    if signal is not None:
        resolved = demo_signals.resolved_groups(signal, incident.service, resolved_at)
        demo_signals.alerts_store(
            signal, incident, [(resolved_at, g) for g in resolved], decision="joined-closed"
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
