from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.api.serializers import ServiceRefSerializer, TeamRefSerializer
from catalog.models import Service
from core.api.fields import ModelSerializer
from core.api.representation import datetime_repr, datetime_writer, person_ref
from core.api.serializers import UserRefSerializer, user_ref
from core.net import is_http_url
from incidents.api.serializers.alerts import AlertSerializer, alert_row_data
from incidents.lifecycle import allowed_actions
from incidents.models import Incident, IncidentSeverity, TimelineEntry
from incidents.models.incidents import SEVERITY_NAMES
from incidents.selectors import INCIDENT_OWN_FIELDS

User = get_user_model()


class TimelineEntrySerializer(ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "message", "actor", "actor_user", "data", "created_at"]
        read_only_fields = fields


class IncidentSerializer(ModelSerializer):
    reference = serializers.CharField(read_only=True, help_text="e.g. INC-42")
    severity_name = serializers.CharField(read_only=True, help_text="critical, high, medium, low")
    service = ServiceRefSerializer(read_only=True)
    team = TeamRefSerializer(source="service.team", read_only=True)
    commander = UserRefSerializer(read_only=True)
    assignees = UserRefSerializer(many=True, read_only=True)
    time_to_acknowledge_seconds = serializers.SerializerMethodField()
    time_to_resolve_seconds = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "number",
            "title",
            "status",
            "severity",
            "severity_name",
            "source",
            "service",
            "team",
            "commander",
            "assignees",
            "dedup_key",
            "triggered_at",
            "acknowledged_at",
            "mitigated_at",
            "resolved_at",
            "closed_at",
            "time_to_acknowledge_seconds",
            "time_to_resolve_seconds",
            "allowed_actions",
        ]
        read_only_fields = fields

    def to_representation(self, incident):
        """The same fields as declared above, built directly: a page of 50 incidents
        spends most of its time in DRF's per-field machinery otherwise. A test checks
        that this stays identical to the declared serializer's output."""
        service, team, commander = incident.service, incident.service.team, incident.commander
        return {
            "id": incident.pk,
            "reference": incident.reference,
            "number": incident.number,
            "title": incident.title,
            "status": incident.status,
            "severity": incident.severity,
            "severity_name": incident.severity_name,
            "source": incident.source,
            "service": {"id": service.pk, "slug": service.slug, "name": service.name},
            "team": {"id": team.pk, "slug": team.slug, "name": team.name},
            "commander": user_ref(commander) if commander else None,
            "assignees": [user_ref(user) for user in incident.assignees.all()],
            "dedup_key": incident.dedup_key,
            "triggered_at": _iso(incident.triggered_at),
            "acknowledged_at": _iso(incident.acknowledged_at),
            "mitigated_at": _iso(incident.mitigated_at),
            "resolved_at": _iso(incident.resolved_at),
            "closed_at": _iso(incident.closed_at),
            "time_to_acknowledge_seconds": self.get_time_to_acknowledge_seconds(incident),
            "time_to_resolve_seconds": self.get_time_to_resolve_seconds(incident),
            "allowed_actions": allowed_actions(incident.status),
        }

    def get_time_to_acknowledge_seconds(self, incident) -> float | None:
        delta = incident.time_to_acknowledge
        return delta.total_seconds() if delta is not None else None

    def get_time_to_resolve_seconds(self, incident) -> float | None:
        delta = incident.time_to_resolve
        return delta.total_seconds() if delta is not None else None

    def get_allowed_actions(self, incident) -> list[str]:
        return allowed_actions(incident.status)


def _iso(value):
    return datetime_repr(value)


class EscalationStateSerializer(serializers.Serializer):
    policy = serializers.CharField(
        allow_null=True, help_text="The policy's name when the escalation started."
    )
    level = serializers.IntegerField(
        allow_null=True, help_text="The level paged last, from 1; null if none was."
    )
    levels = serializers.IntegerField(help_text="How many levels the policy has.")
    repeat = serializers.IntegerField(help_text="How many times the policy started over.")
    next_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the next level is paged unless someone acknowledges; null when "
        "nothing is due (acknowledged, finished, or no policy).",
    )


class IncidentDetailSerializer(IncidentSerializer):
    triggered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    mitigated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    closed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    timeline = TimelineEntrySerializer(many=True, read_only=True)
    recent_alerts = serializers.SerializerMethodField(help_text="The 20 latest alerts.")
    annotations = serializers.SerializerMethodField(
        help_text="The alerts' annotations (runbook_url, description, ...), latest value first."
    )
    runbook_urls = serializers.SerializerMethodField()
    escalation = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "summary",
            "resolution_note",
            "triggered_by",
            "acknowledged_by",
            "mitigated_by",
            "resolved_by",
            "closed_by",
            "escalation",
            "runbook_urls",
            "annotations",
            "recent_alerts",
            "timeline",
        ]
        read_only_fields = fields

    @extend_schema_field(EscalationStateSerializer)
    def get_escalation(self, incident) -> dict:
        return _escalation(incident)

    def _alerts(self, incident):
        return getattr(incident, "recent_alerts", None) or []

    def get_recent_alerts(self, incident) -> list[dict]:
        return AlertSerializer(self._alerts(incident), many=True).data

    def get_annotations(self, incident) -> dict[str, str]:
        return _merged_annotations([alert.annotations for alert in self._alerts(incident)])

    def get_runbook_urls(self, incident) -> list[str]:
        """The alerts' ``runbook_url`` annotations and the service's runbook, newest
        first, http(s) only: a client may render them as links, so a ``javascript:``
        URL from an alert is dropped."""
        return _runbook_urls(
            [alert.annotations for alert in self._alerts(incident)], incident.service.runbook_url
        )

    def to_representation(self, incident):
        return serializers.ModelSerializer.to_representation(self, incident)


def _escalation(incident) -> dict:
    snapshot = incident.escalation if isinstance(incident.escalation, dict) else {}
    steps = snapshot.get("steps") if isinstance(snapshot.get("steps"), list) else []
    return {
        "policy": snapshot.get("name") if steps else None,
        "level": incident.escalation_level + 1 if steps else None,
        "levels": len(steps),
        "repeat": incident.escalation_repeat,
        "next_at": _iso(incident.escalation_next_at),
    }


def _merged_annotations(annotations: list) -> dict:
    merged = {}
    for values in annotations:  # newest first: the first value seen wins
        for key, value in values.items():
            merged.setdefault(key, value)
    return merged


def _runbook_urls(annotations: list, service_runbook_url: str) -> list[str]:
    """``IncidentDetailSerializer.get_runbook_urls`` from the alerts' annotations,
    newest first."""
    urls = [values.get("runbook_url") for values in annotations if isinstance(values, dict)]
    urls.append(service_runbook_url)
    return list(dict.fromkeys(url for url in urls if is_http_url(url)))


# --- Answers built from rows (incidents.selectors' read paths) -----------------------
# The declared serializers above stay the API's contract (the schema is generated from
# them); these build the same output from plain rows, for the list and detail pages.
# tests/incidents/test_api_read_path.py keeps each equal to its declared serializer.


def _person(row: dict, prefix: str) -> dict | None:
    user_id = row[f"{prefix}_id"]
    if user_id is None:
        return None
    return person_ref(
        user_id,
        row[f"{prefix}__username"],
        row[f"{prefix}__first_name"],
        row[f"{prefix}__last_name"],
    )


def incident_row_data(row: dict, iso=datetime_repr) -> dict:
    """``IncidentSerializer``'s output for a row of ``selectors.incident_rows`` with its
    ``assignees`` (``selectors.incident_rows_with_assignees``); ``iso`` writes its
    times (``core.api.representation.datetime_writer()`` for a page)."""
    triggered_at, acknowledged_at = row["triggered_at"], row["acknowledged_at"]
    resolved_at = row["resolved_at"]
    return {
        "id": row["id"],
        "reference": f"{Incident.PREFIX}{row['number']}",
        "number": row["number"],
        "title": row["title"],
        "status": row["status"],
        "severity": row["severity"],
        "severity_name": SEVERITY_NAMES[row["severity"]],
        "source": row["source"],
        "service": {
            "id": row["service_id"],
            "slug": row["service__slug"],
            "name": row["service__name"],
        },
        "team": {
            "id": row["service__team_id"],
            "slug": row["service__team__slug"],
            "name": row["service__team__name"],
        },
        "commander": _person(row, "commander"),
        "assignees": [
            person_ref(user["id"], user["username"], user["first_name"], user["last_name"])
            for user in row["assignees"]
        ],
        "dedup_key": row["dedup_key"],
        "triggered_at": iso(triggered_at),
        "acknowledged_at": iso(acknowledged_at),
        "mitigated_at": iso(row["mitigated_at"]),
        "resolved_at": iso(resolved_at),
        "closed_at": iso(row["closed_at"]),
        "time_to_acknowledge_seconds": (
            (acknowledged_at - triggered_at).total_seconds() if acknowledged_at else None
        ),
        "time_to_resolve_seconds": (
            (resolved_at - triggered_at).total_seconds() if resolved_at else None
        ),
        "allowed_actions": allowed_actions(row["status"]),
    }


def incident_list_data(rows: list[dict]) -> list[dict]:
    iso = datetime_writer()
    return [incident_row_data(row, iso) for row in rows]


def timeline_row_data(row: dict, iso=datetime_repr) -> dict:
    """``TimelineEntrySerializer``'s output for a timeline row."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "message": row["message"],
        "actor": row["actor_name"],
        "actor_user": row["actor_user_id"],
        "data": row["data"],
        "created_at": iso(row["created_at"]),
    }


def incident_detail_data(incident: Incident, related: dict) -> dict:
    """``IncidentDetailSerializer``'s output for ``incident`` (from
    ``selectors.incident_detail_base``) and ``selectors.incident_detail_related``."""
    service, team, commander = incident.service, incident.service.team, incident.commander
    row = {
        **{field: getattr(incident, field) for field in INCIDENT_OWN_FIELDS},
        "service_id": service.pk,
        "service__slug": service.slug,
        "service__name": service.name,
        "service__team_id": team.pk,
        "service__team__slug": team.slug,
        "service__team__name": team.name,
        "commander_id": incident.commander_id,
        "commander__username": commander.get_username() if commander else None,
        "commander__first_name": commander.first_name if commander else None,
        "commander__last_name": commander.last_name if commander else None,
        "assignees": related["assignees"],
    }
    alerts = related["alerts"]
    annotations = [alert["annotations"] for alert in alerts]
    iso = datetime_writer()
    return {
        **incident_row_data(row, iso),
        "summary": incident.summary,
        "resolution_note": incident.resolution_note,
        **related["steps"],
        "escalation": _escalation(incident),
        "runbook_urls": _runbook_urls(annotations, service.runbook_url),
        "annotations": _merged_annotations(annotations),
        "recent_alerts": [alert_row_data(alert, iso) for alert in alerts],
        "timeline": [timeline_row_data(entry, iso) for entry in related["timeline"]],
    }


class IncidentCreateSerializer(serializers.Serializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all())
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(
        choices=IncidentSeverity.choices, default=IncidentSeverity.SEV3
    )
    dedup_key = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    commander = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignees = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )


class IncidentUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=IncidentSeverity.choices, required=False)


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ActionNoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional; written into the action's own timeline entry.",
    )


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    assignees = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    commander = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give assignees, commander or both.")
        return attrs


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000)
