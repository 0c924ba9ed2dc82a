"""Reads of incidents, alerts, integrations and escalation, shaped so that a list costs
a constant number of queries however long it is."""

from datetime import UTC

from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, NullIf, TruncDay
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.models import Service
from core.db import EpochSeconds, Percentile, SecondsBetween
from core.models import DeliveryStatus
from core.net import is_http_url
from incidents.models import (
    ActionItem,
    Alert,
    AlertStatus,
    ChangeEvent,
    EscalationPolicy,
    EscalationStep,
    Incident,
    Integration,
    Notification,
    PostIncidentReview,
    ReviewStatus,
    ServiceEscalationRule,
    TimelineEntry,
    TimelineKind,
)
from incidents.models.incidents import OPEN_STATUSES
from incidents.models.reviews import FINISHED_ACTION_STATUSES
from oncall.models import LayerMember, ScheduleOverride

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


def escalation_step_list(
    queryset: QuerySet[EscalationStep] | None = None,
) -> QuerySet[EscalationStep]:
    """Steps (of ``queryset``, else all) with their policy, people and schedules: a
    policy's page costs one query per relation, however many steps it has."""
    if queryset is None:
        queryset = EscalationStep.objects.all()
    return queryset.select_related("policy").prefetch_related("users", "schedules")


def notification_list() -> QuerySet[Notification]:
    """Pages with the incident, the person and the contact method each row names."""
    return Notification.objects.select_related("incident", "user", "contact_method")


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


# --- Post-incident reviews ----------------------------------------------------------


def review_list() -> QuerySet[PostIncidentReview]:
    return PostIncidentReview.objects.select_related(
        "incident__service__team", "facilitator"
    ).prefetch_related(
        Prefetch("participants", queryset=User.objects.only(*_USER_REF)),
        Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")),
    )


def review_detail() -> QuerySet[PostIncidentReview]:
    """Reviews with what the page and the exports show, the incident's timeline too."""
    return (
        review_list()
        .select_related("incident__commander", "published_by")
        .prefetch_related(
            Prefetch(
                "incident__timeline",
                queryset=TimelineEntry.objects.select_related("actor_user").order_by(
                    "created_at", "id"
                ),
            )
        )
    )


# The review's own edits are on the incident's timeline too; its timeline section tells
# the incident, not the writing of the review.
_REVIEW_KINDS = (TimelineKind.REVIEW, TimelineKind.ACTION_ITEM)


def review_timeline(review: PostIncidentReview) -> list[TimelineEntry]:
    """The incident's timeline as the review tells it (uses the prefetched rows)."""
    return [entry for entry in review.incident.timeline.all() if entry.kind not in _REVIEW_KINDS]


def review_figures(incident: Incident) -> dict:
    """Detection and response, computed from the incident (never typed in): seconds
    from trigger to acknowledge, mitigate and resolve (None if it never got there),
    alerts received and distinct people paged."""

    def since_trigger(at):
        return None if at is None else round((at - incident.triggered_at).total_seconds())

    return {
        "time_to_acknowledge": since_trigger(incident.acknowledged_at),
        "time_to_mitigate": since_trigger(incident.mitigated_at),
        "time_to_resolve": since_trigger(incident.resolved_at),
        "alerts_received": Alert.objects.filter(incident=incident).count(),
        "people_paged": Notification.objects.filter(incident=incident)
        .values("user")
        .distinct()
        .count(),
    }


def action_item_list() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related("owner", "review__incident__service__team")


def action_items_overdue(queryset: QuerySet[ActionItem], *, today=None) -> QuerySet[ActionItem]:
    return queryset.exclude(status__in=FINISHED_ACTION_STATUSES).filter(
        due_date__lt=today or timezone.localdate()
    )


def reviews_overdue(queryset: QuerySet[PostIncidentReview], *, today=None):
    return queryset.exclude(status=ReviewStatus.PUBLISHED).filter(
        due_date__lt=today or timezone.localdate()
    )


def incident_runbook_urls(incident: Incident) -> list[str]:
    """The runbooks for an incident, for its page: its latest alerts' ``runbook_url``
    annotations, then its service's runbook; http(s) only, each once."""
    annotations = Alert.objects.filter(incident=incident).order_by("-received_at", "-id")[
        :RECENT_ALERTS
    ]
    urls = [
        value.get("runbook_url")
        for value in annotations.values_list("annotations", flat=True)
        if isinstance(value, dict)
    ]
    urls.append(incident.service.runbook_url)
    return list(dict.fromkeys(url for url in urls if isinstance(url, str) and is_http_url(url)))


# --- Rows for the API's read paths -------------------------------------------------
# A page of 50 rows spent most of its time building model instances and their joins.
# These read the same columns as plain rows with values(), and each related list (the
# assignees, a detail's timeline and alerts) in one more query, whatever the page's size.
# The API shapes them (incidents.api.serializers); a test keeps that shape equal to the
# declared serializers' output.

_USER_REF_COLUMNS = tuple(f"user__{field}" for field in _USER_REF)

# The incident's own columns an API row shows (its list and its detail).
INCIDENT_OWN_FIELDS = (
    "id",
    "number",
    "title",
    "status",
    "severity",
    "source",
    "dedup_key",
    "triggered_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
)

INCIDENT_ROW_FIELDS = (
    *INCIDENT_OWN_FIELDS,
    "service_id",
    "service__slug",
    "service__name",
    "service__team_id",
    "service__team__slug",
    "service__team__name",
    "commander_id",
    *(f"commander__{field}" for field in _USER_REF if field != "id"),
)


def incident_rows(queryset: QuerySet[Incident]) -> QuerySet:
    """``queryset`` (filtered and ordered as the caller likes) as rows of
    ``INCIDENT_ROW_FIELDS``, service, team and commander joined in; add the assignees
    with ``incident_rows_with_assignees`` once the rows are read."""
    return queryset.prefetch_related(None).values(*INCIDENT_ROW_FIELDS)


def incident_assignees(incident_ids) -> dict[int, list[dict]]:
    """``{incident id: [{id, username, first_name, last_name}, ...]}`` in one query,
    each incident's people by user id; incidents with none are absent."""
    rows = (
        Incident.assignees.through.objects.filter(incident_id__in=list(incident_ids))
        .order_by("incident_id", "user_id")
        .values_list("incident_id", *_USER_REF_COLUMNS)
    )
    people: dict[int, list[dict]] = {}
    for incident_id, *user in rows:
        people.setdefault(incident_id, []).append(dict(zip(_USER_REF, user, strict=True)))
    return people


def incident_rows_with_assignees(rows) -> list[dict]:
    """``rows`` (from ``incident_rows``), each with its ``assignees``."""
    rows = list(rows)
    people = incident_assignees(row["id"] for row in rows) if rows else {}
    for row in rows:
        row["assignees"] = people.get(row["id"], [])
    return rows


def incident_detail_base() -> QuerySet[Incident]:
    """One incident with its service, team and commander; its lists come from
    ``incident_detail_related``."""
    return Incident.objects.select_related("service__team", "commander")


_TIMELINE_ROW_FIELDS = (
    "id",
    "kind",
    "message",
    "actor_name",
    "actor_user_id",
    "data",
    "created_at",
)
ALERT_ROW_FIELDS = (
    "id",
    "integration_id",
    "incident_id",
    "incident__number",
    "fingerprint",
    "group_key",
    "status",
    "summary",
    "severity",
    "labels",
    "annotations",
    "starts_at",
    "ends_at",
    "source_url",
    "received_at",
)
_STEP_USERS = ("triggered_by", "acknowledged_by", "mitigated_by", "resolved_by", "closed_by")


def incident_detail_related(incident: Incident) -> dict:
    """What an incident's page shows besides its own row, as plain rows: ``assignees``
    (by user id), the usernames of who moved it through each step
    (``{"triggered_by": "alice" or None, ...}`` under ``steps``), its ``timeline``
    (oldest first) and its ``RECENT_ALERTS`` latest ``alerts`` (newest first). Four
    queries at most."""
    by_ids = {getattr(incident, f"{field}_id") for field in _STEP_USERS} - {None}
    usernames = dict(User.objects.filter(pk__in=by_ids).values_list("pk", "username"))
    timeline = (
        TimelineEntry.objects.filter(incident_id=incident.pk)
        .order_by("created_at", "id")
        .values(*_TIMELINE_ROW_FIELDS)
    )
    alerts = (
        Alert.objects.filter(incident_id=incident.pk)
        .order_by("-received_at", "-id")
        .values(*ALERT_ROW_FIELDS)[:RECENT_ALERTS]
    )
    return {
        "assignees": incident_assignees([incident.pk]).get(incident.pk, []),
        "steps": {field: usernames.get(getattr(incident, f"{field}_id")) for field in _STEP_USERS},
        "timeline": list(timeline),
        "alerts": list(alerts),
    }


def alert_rows(queryset: QuerySet[Alert]) -> QuerySet:
    """``queryset`` (filtered and ordered as the caller likes) as rows of
    ``ALERT_ROW_FIELDS``, the incident's number joined in."""
    return queryset.values(*ALERT_ROW_FIELDS)


ACTION_ITEM_ROW_FIELDS = (
    "id",
    "review_id",
    "review__incident__number",
    "title",
    "description",
    "owner_id",
    "owner__username",
    "priority",
    "due_date",
    "status",
    "completed_at",
    "ticket_url",
    "created_at",
    "updated_at",
)


def action_item_rows(queryset: QuerySet[ActionItem]) -> QuerySet:
    """``queryset`` (filtered and ordered as the caller likes) as rows of
    ``ACTION_ITEM_ROW_FIELDS``, the owner's name and the incident's number joined in."""
    return queryset.values(*ACTION_ITEM_ROW_FIELDS)


# --- Analytics reads: counts per UTC day, response-time samples, alert noise, pages --
# Every window is start <= t < end; each function is one query, grouped in the database.


def _incidents_in(start, end, *, severity=None, service=None) -> QuerySet[Incident]:
    incidents = Incident.objects.filter(triggered_at__gte=start, triggered_at__lt=end)
    if severity is not None:
        incidents = incidents.filter(severity=severity)
    if service is not None:
        incidents = incidents.filter(service__slug=service)
    return incidents.order_by()


def _firing_alerts_in(start, end, *, service=None) -> QuerySet[Alert]:
    """Alert rows that fired in the window: a resolved notice is the end of an alert,
    not another one."""
    alerts = Alert.objects.filter(
        status=AlertStatus.FIRING, received_at__gte=start, received_at__lt=end
    )
    if service is not None:
        alerts = alerts.filter(integration__service__slug=service)
    return alerts.order_by()


def incident_counts_by_day(*, start, end, severity=None, service=None) -> dict:
    """``{UTC day start: incidents triggered}``; days without any are absent."""
    rows = (
        _incidents_in(start, end, severity=severity, service=service)
        .annotate(day=TruncDay("triggered_at", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return dict(rows)


def incident_response_samples(
    *, start, end, until: str, severity=None, service=None
) -> list[tuple[float, float]]:
    """(triggered at in Unix seconds, seconds from trigger to ``until``) per incident
    that got there, oldest first; ``until`` is ``acknowledged_at`` or ``resolved_at``."""
    if until not in ("acknowledged_at", "resolved_at"):
        raise ValueError("until must be acknowledged_at or resolved_at")
    return list(
        _incidents_in(start, end, severity=severity, service=service)
        .filter(**{f"{until}__isnull": False})
        .annotate(
            at=EpochSeconds("triggered_at"), seconds=SecondsBetween(F("triggered_at"), F(until))
        )
        .order_by("triggered_at", "id")
        .values_list("at", "seconds")
    )


def alert_counts_by_day(*, start, end, service=None) -> dict:
    """``{UTC day start: alerts fired}``; days without any are absent."""
    rows = (
        _firing_alerts_in(start, end, service=service)
        .annotate(day=TruncDay("received_at", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return dict(rows)


def notification_counts_by_day(*, start, end) -> dict:
    """``{(UTC day start, "sent" | "failed"): pages}`` by the day each page was raised
    (``created_at``: a failed page has no ``sent_at``, and counting both outcomes by the
    same time keeps a day's delivery ratio about the same pages). Pending pages have no
    outcome yet and are left out."""
    rows = (
        Notification.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            status__in=(DeliveryStatus.SENT, DeliveryStatus.FAILED),
        )
        .order_by()
        .annotate(day=TruncDay("created_at", tzinfo=UTC))
        .values("day", "status")
        .annotate(n=Count("id"))
        .values_list("day", "status", "n")
    )
    return {(day, status): n for day, status, n in rows}


def alerts_per_incident_summary(*, start, end) -> dict:
    """Over incidents triggered in the window that have alerts: how many, and their
    alerts (fired, at any time) per incident as mean, median and max."""
    return (
        _incidents_in(start, end)
        .annotate(n=Count("alerts", filter=Q(alerts__status=AlertStatus.FIRING)))
        .filter(n__gt=0)
        .aggregate(
            incidents=Count("id"),
            mean=Avg("n"),
            median=Percentile("n", 0.5),
            max=Max("n"),
        )
    )


def _alert_name():
    """An alert's name: its ``alertname`` label (Alertmanager, Grafana), else its summary,
    else its fingerprint."""
    return Coalesce(
        NullIf(KT("labels__alertname"), Value("")),
        NullIf(F("summary"), Value("")),
        F("fingerprint"),
        output_field=TextField(),
    )


def alert_names_noisiest(*, start, end, limit: int = 10) -> list[dict]:
    """The alert names that fired most in the window: ``{name, alerts, incidents}``."""
    return list(
        _firing_alerts_in(start, end)
        .annotate(name=_alert_name())
        .values("name")
        .annotate(alerts=Count("id"), incidents=Count("incident", distinct=True))
        .order_by("-alerts", "name")[:limit]
    )


def alert_group_deliveries(*, start, end, min_resolved: int = 1) -> list[tuple]:
    """Each delivery of each alert group in the window, in order: (service slug, group
    key, received at, whether any of its alerts fired, alerts fired, incident id). Only
    groups with at least ``min_resolved`` deliveries carrying a resolved notice are read:
    the others cannot have flapped that often."""
    in_window = Alert.objects.filter(received_at__gte=start, received_at__lt=end).order_by()
    resolving = (
        in_window.filter(status=AlertStatus.RESOLVED)
        .values("group_key")
        .annotate(n=Count("received_at", distinct=True))
        .filter(n__gte=min_resolved)
        .values("group_key")
    )
    firing = Case(When(status=AlertStatus.FIRING, then=1), default=0)
    return list(
        in_window.filter(group_key__in=resolving)
        .values("integration__service__slug", "group_key", "received_at", "incident_id")
        .annotate(fired=Max(firing), alerts=Sum(firing))
        .order_by("integration__service__slug", "group_key", "received_at")
        .values_list(
            "integration__service__slug",
            "group_key",
            "received_at",
            "fired",
            "alerts",
            "incident_id",
        )
    )


def pages_sent(*, start, end) -> list[tuple]:
    """(user id, username, time zone or None, sent at) of each page sent in the window.
    A person's time zone is their first schedule's (by layer membership, else by
    override): people are not given a zone of their own."""
    by_layer = LayerMember.objects.filter(user=OuterRef("user")).order_by(
        "layer__schedule_id", "layer_id"
    )
    by_override = ScheduleOverride.objects.filter(user=OuterRef("user")).order_by("schedule_id")
    return list(
        Notification.objects.filter(status=DeliveryStatus.SENT, sent_at__gte=start, sent_at__lt=end)
        .order_by("user_id", "sent_at")
        .annotate(
            zone=Coalesce(
                Subquery(by_layer.values("layer__schedule__time_zone")[:1]),
                Subquery(by_override.values("schedule__time_zone")[:1]),
            )
        )
        .values_list("user_id", "user__username", "zone", "sent_at")
    )


def incident_repeats(*, start, end, min_incidents: int = 2) -> list[dict]:
    """The same problem again: incidents triggered in the window, grouped per service by
    their non-empty dedup key and, separately, by their title; groups of at least
    ``min_incidents`` only. Each row: ``kind`` ("dedup_key" or "title"), ``key``,
    ``service_id``, ``service__slug``, ``service__name``, ``incidents``, ``first`` and
    ``last`` (triggered at), and for title groups ``covered_by_dedup_key`` (all of them
    share one non-empty dedup key, so that group says it already). Two grouped
    queries; ordered by service slug, kind and key."""
    from django.db.models import Min

    incidents = _incidents_in(start, end)
    shared = ("service_id", "service__slug", "service__name")
    span = {"incidents": Count("id"), "first": Min("triggered_at"), "last": Max("triggered_at")}
    rows = []
    for row in (
        incidents.exclude(dedup_key="")
        .values(*shared, "dedup_key")
        .annotate(**span)
        .filter(incidents__gte=min_incidents)
    ):
        key = row.pop("dedup_key")
        rows.append({"kind": "dedup_key", "key": key, **row})
    for row in (
        incidents.values(*shared, "title")
        .annotate(
            **span,
            dedup_keys=Count("dedup_key", distinct=True),
            some_dedup_key=Max("dedup_key"),
        )
        .filter(incidents__gte=min_incidents)
    ):
        key, keys, some = row.pop("title"), row.pop("dedup_keys"), row.pop("some_dedup_key")
        rows.append(
            {"kind": "title", "key": key, **row, "covered_by_dedup_key": keys == 1 and some != ""}
        )
    rows.sort(key=lambda row: (row["service__slug"], row["kind"], row["key"]))
    return rows
