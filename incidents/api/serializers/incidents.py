from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.api.serializers import ServiceRefSerializer, TeamRefSerializer
from catalog.models import Service
from core.api.fields import ModelSerializer
from core.api.serializers import UserRefSerializer, user_ref
from core.net import is_http_url
from incidents.api.serializers.alerts import AlertSerializer
from incidents.lifecycle import allowed_actions
from incidents.models import Incident, IncidentSeverity, TimelineEntry

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


_DATETIME = serializers.DateTimeField()


def _iso(value):
    return None if value is None else _DATETIME.to_representation(value)


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
        snapshot = incident.escalation if isinstance(incident.escalation, dict) else {}
        steps = snapshot.get("steps") if isinstance(snapshot.get("steps"), list) else []
        return {
            "policy": snapshot.get("name") if steps else None,
            "level": incident.escalation_level + 1 if steps else None,
            "levels": len(steps),
            "repeat": incident.escalation_repeat,
            "next_at": _iso(incident.escalation_next_at),
        }

    def _alerts(self, incident):
        return getattr(incident, "recent_alerts", None) or []

    def get_recent_alerts(self, incident) -> list[dict]:
        return AlertSerializer(self._alerts(incident), many=True).data

    def get_annotations(self, incident) -> dict[str, str]:
        merged = {}
        for alert in self._alerts(incident):  # newest first: the first value seen wins
            for key, value in alert.annotations.items():
                merged.setdefault(key, value)
        return merged

    def get_runbook_urls(self, incident) -> list[str]:
        """The alerts' ``runbook_url`` annotations and the service's runbook, newest
        first, http(s) only: a client may render them as links, so a ``javascript:``
        URL from an alert is dropped."""
        urls = [
            alert.annotations.get("runbook_url")
            for alert in self._alerts(incident)
            if isinstance(alert.annotations, dict)
        ]
        urls.append(incident.service.runbook_url)
        return list(dict.fromkeys(url for url in urls if is_http_url(url)))

    def to_representation(self, incident):
        return serializers.ModelSerializer.to_representation(self, incident)


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
