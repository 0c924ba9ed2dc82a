"""Reads of incidents, alerts, integrations and escalation, shaped so that a list costs
a constant number of queries however long it is."""

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from catalog import selectors as catalog_selectors
from catalog.models import Service
from incidents.models import (
    Alert,
    ChangeEvent,
    EscalationPolicy,
    Incident,
    Integration,
    ServiceEscalationRule,
    TimelineEntry,
)
from incidents.models.incidents import OPEN_STATUSES

User = get_user_model()


# What a list row shows of a person; the rest of the user row is left in the database.
_USER_REF = ("id", "username", "first_name", "last_name")


def incident_list() -> QuerySet[Incident]:
    """Incidents with what a list row shows: service, team, commander, assignees."""
    return (
        Incident.objects.select_related("service__team", "commander")
        .only(
            *(
                f.name
                for f in Incident._meta.concrete_fields
                if f.name not in ("summary", "resolution_note")
            ),
            "service__name",
            "service__slug",
            "service__team__name",
            "service__team__slug",
            *(f"commander__{field}" for field in _USER_REF),
        )
        .prefetch_related(Prefetch("assignees", queryset=User.objects.only(*_USER_REF)))
    )


RECENT_ALERTS = 20


def incident_detail() -> QuerySet[Incident]:
    """One incident with everything: its timeline and its latest alerts."""
    return Incident.objects.select_related("service__team", "commander").prefetch_related(
        "assignees",
        Prefetch("timeline", queryset=TimelineEntry.objects.select_related("actor_user")),
        Prefetch(
            "alerts",
            queryset=Alert.objects.order_by("-received_at", "-id")[:RECENT_ALERTS],
            to_attr="recent_alerts",
        ),
    )


def incident_timeline(incident: Incident) -> QuerySet[TimelineEntry]:
    return incident.timeline.select_related("actor_user").order_by("created_at", "id")


# Incident.number is a PositiveIntegerField: a larger number is no incident's.
_MAX_NUMBER = 2**31 - 1


def incident_search(queryset: QuerySet[Incident], text: str) -> QuerySet[Incident]:
    """Title, summary, service name, or a reference such as INC-42 (or just 42). Any
    text is safe: text with a NUL (which PostgreSQL refuses in a string) matches
    nothing, and only ASCII digits in range are read as a number."""
    text = text.strip()
    if "\x00" in text:
        return queryset.none()
    condition = (
        Q(title__icontains=text) | Q(summary__icontains=text) | Q(service__name__icontains=text)
    )
    number = text.upper().removeprefix(Incident.PREFIX)
    if number.isascii() and number.isdecimal() and 0 < int(number) <= _MAX_NUMBER:
        condition |= Q(number=int(number))
    return queryset.filter(condition)


def service_list() -> QuerySet[Service]:
    """Catalogue services with their open incidents and default escalation policy."""
    default_rule = ServiceEscalationRule.objects.filter(service=OuterRef("pk"), severity="")
    return catalog_selectors.service_list().annotate(
        open_incidents=Count("incidents", filter=Q(incidents__status__in=OPEN_STATUSES)),
        default_policy_id=Subquery(default_rule.values("policy_id")[:1]),
    )


def escalation_policy_list() -> QuerySet[EscalationPolicy]:
    return EscalationPolicy.objects.select_related("team").prefetch_related(
        "steps__users", "steps__schedules"
    )


def escalation_rule_list() -> QuerySet[ServiceEscalationRule]:
    return ServiceEscalationRule.objects.select_related("service", "policy")


def integration_by_secret(secret: str, *, kind: str) -> Integration | None:
    """The integration of ``kind`` whose secret this is, with its service; None if none."""
    from core.tokens import token_digest
    from incidents.ingest.store import integration_by_digest

    if not secret:
        return None
    # On the ingestion hot path (see incidents.ingest.store); the service is loaded
    # only when an incident is opened.
    return integration_by_digest(token_digest(secret), kind)


def integration_list() -> QuerySet[Integration]:
    return Integration.objects.select_related("service")


def alert_list() -> QuerySet[Alert]:
    return Alert.objects.select_related("integration", "incident")


def change_event_list() -> QuerySet[ChangeEvent]:
    return ChangeEvent.objects.select_related("service", "integration")
