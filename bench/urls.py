"""The product's URLs plus bare Django views, the baselines benchmarks compare against."""

import json

from django.contrib.auth import get_user_model
from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as product_urlpatterns
from incidents.models import ActionItem, Alert, Incident, TimelineEntry

PAGE = 50
User = get_user_model()


def bare_get(request):
    return JsonResponse({"ok": True})


@csrf_exempt
def bare_post(request):
    return JsonResponse(json.loads(request.body), status=201)


@csrf_exempt
def bare_ingest(request):
    """The least an alert endpoint can do: keep the body, in one table, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_raw (body) VALUES (%s)", [request.body.decode()])
    return JsonResponse({"status": "ok"})


# The bare read views serve the rows and columns the API's answers carry, with no
# authentication, filtering or shaping: a count, one page read with .values() (joins
# for the related names) and the many-to-many rows in one more query, as JsonResponse.

_USER = ("id", "username", "first_name", "last_name")
_INCIDENT = (
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
    "service_id",
    "service__slug",
    "service__name",
    "service__team_id",
    "service__team__slug",
    "service__team__name",
    *(f"commander__{field}" for field in _USER),
)
_ALERT = (
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


def _assignees(incident_ids):
    through = Incident.assignees.through.objects.filter(incident_id__in=incident_ids)
    by_incident = {}
    for row in through.values("incident_id", *(f"user__{field}" for field in _USER)):
        by_incident.setdefault(row.pop("incident_id"), []).append(row)
    return by_incident


def bare_incidents(request):
    rows = list(Incident.objects.order_by("-triggered_at", "-id").values(*_INCIDENT)[:PAGE])
    assignees = _assignees([row["id"] for row in rows])
    for row in rows:
        row["assignees"] = assignees.get(row["id"], [])
    return JsonResponse({"count": Incident.objects.count(), "results": rows})


_STEPS = ("triggered_by", "acknowledged_by", "mitigated_by", "resolved_by", "closed_by")


def bare_incident(request, pk):
    row = Incident.objects.values(
        *_INCIDENT,
        "summary",
        "resolution_note",
        "service__runbook_url",
        "escalation",
        "escalation_level",
        "escalation_repeat",
        "escalation_next_at",
        *(f"{step}_id" for step in _STEPS),
    ).get(pk=pk)
    # Who moved it through each step, in one query rather than five more joins (which
    # take PostgreSQL's planner longer than the query itself).
    names = dict(
        User.objects.filter(pk__in=[row[f"{step}_id"] for step in _STEPS]).values_list(
            "pk", "username"
        )
    )
    for step in _STEPS:
        row[step] = names.get(row.pop(f"{step}_id"))
    row["assignees"] = _assignees([pk]).get(pk, [])
    row["timeline"] = list(
        TimelineEntry.objects.filter(incident_id=pk)
        .order_by("created_at", "id")
        .values("id", "kind", "message", "actor_name", "actor_user_id", "data", "created_at")
    )
    row["recent_alerts"] = list(
        Alert.objects.filter(incident_id=pk).order_by("-received_at", "-id").values(*_ALERT)[:20]
    )
    return JsonResponse(row)


def bare_alerts(request):
    rows = list(Alert.objects.order_by("-received_at", "-id").values(*_ALERT)[:PAGE])
    return JsonResponse({"count": Alert.objects.count(), "results": rows})


def bare_action_items(request):
    rows = list(
        ActionItem.objects.order_by("due_date", "priority", "id").values(
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
        )[:PAGE]
    )
    return JsonResponse({"count": ActionItem.objects.count(), "results": rows})


urlpatterns = [
    path("bench/bare-ingest", bare_ingest),
    path("bench/bare", bare_get),
    path("bench/bare-post", bare_post),
    path("bench/bare-incidents", bare_incidents),
    path("bench/bare-incidents/<int:pk>", bare_incident),
    path("bench/bare-alerts", bare_alerts),
    path("bench/bare-action-items", bare_action_items),
    *product_urlpatterns,
]
