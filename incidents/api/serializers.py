from django.contrib.auth import get_user_model
from rest_framework import serializers

from incidents.integration_config import integration_endpoint_url
from incidents.lifecycle import allowed_actions
from incidents.models import (
    WEBHOOK_EVENTS,
    Alert,
    ChangeEvent,
    ContactMethod,
    EscalationPolicy,
    Incident,
    Integration,
    OutgoingWebhook,
    Schedule,
    ScheduleOverride,
    Service,
    Severity,
    Team,
    TimelineEntry,
    WebhookDelivery,
)

User = get_user_model()


class UserRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields


class TeamRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class ServiceRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.filter(is_active=True), required=False
    )
    service_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description", "members", "service_count", "created_at"]
        read_only_fields = ["id", "service_count", "created_at"]


class ServiceSerializer(serializers.ModelSerializer):
    team_detail = TeamRefSerializer(source="team", read_only=True)
    open_incidents = serializers.IntegerField(read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "team",
            "team_detail",
            "tier",
            "runbook_url",
            "escalation_policy",
            "open_incidents",
            "created_at",
        ]
        read_only_fields = ["id", "team_detail", "open_incidents", "created_at"]


class TimelineEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "message", "actor", "actor_user", "data", "created_at"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
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
            "commander": _user_ref(commander) if commander else None,
            "assignees": [_user_ref(user) for user in incident.assignees.all()],
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


def _user_ref(user) -> dict:
    return {"id": user.pk, "username": user.get_username(), "name": user.get_full_name()}


_DATETIME = serializers.DateTimeField()


def _iso(value):
    return None if value is None else _DATETIME.to_representation(value)


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
            "runbook_urls",
            "annotations",
            "recent_alerts",
            "timeline",
        ]
        read_only_fields = fields

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
        urls = [alert.annotations.get("runbook_url") for alert in self._alerts(incident)]
        urls.append(incident.service.runbook_url)
        return list(dict.fromkeys(url for url in urls if url))

    def to_representation(self, incident):
        return serializers.ModelSerializer.to_representation(self, incident)


class IncidentCreateSerializer(serializers.Serializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all())
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.SEV3)
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
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


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


class ResponseTimesQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(
        choices=["service", "team", "severity", "period"], required=False
    )
    period = serializers.ChoiceField(choices=["day", "week", "month"], default="week")
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class ResponseTimesRowSerializer(serializers.Serializer):
    service__slug = serializers.CharField(required=False)
    service__name = serializers.CharField(required=False)
    service__team__slug = serializers.CharField(required=False)
    service__team__name = serializers.CharField(required=False)
    severity = serializers.CharField(required=False)
    period = serializers.DateTimeField(required=False)
    incidents = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    resolved = serializers.IntegerField()
    mtta_mean = serializers.FloatField(allow_null=True)
    mtta_median = serializers.FloatField(allow_null=True)
    mtta_p90 = serializers.FloatField(allow_null=True)
    mttr_mean = serializers.FloatField(allow_null=True)
    mttr_median = serializers.FloatField(allow_null=True)
    mttr_p90 = serializers.FloatField(allow_null=True)


class IntegrationSerializer(serializers.ModelSerializer):
    endpoint_url = serializers.SerializerMethodField()

    class Meta:
        model = Integration
        fields = [
            "id",
            "service",
            "kind",
            "name",
            "enabled",
            "severity_mapping",
            "auto_resolve",
            "hmac_secret",
            "hmac_timestamp_header",
            "secret_prefix",
            "last_received_at",
            "created_at",
            "endpoint_url",
        ]
        read_only_fields = ["id", "secret_prefix", "last_received_at", "created_at", "endpoint_url"]
        extra_kwargs = {"hmac_secret": {"write_only": True}}

    def get_endpoint_url(self, integration) -> str:
        return integration_endpoint_url(integration)

    def validate_severity_mapping(self, value):
        if not isinstance(value, dict) or not isinstance(value.get("values", {}), dict):
            raise serializers.ValidationError(
                'Expected {"label": ..., "values": {...}, "default": ...}.'
            )
        bad = sorted(
            v
            for v in [*value.get("values", {}).values(), value.get("default", "SEV3")]
            if v not in Severity.values
        )
        if bad:
            raise serializers.ValidationError(f"Not a severity: {', '.join(map(str, bad))}.")
        return value


class IntegrationIssuedSerializer(IntegrationSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown only in this response.")

    class Meta(IntegrationSerializer.Meta):
        fields = [*IntegrationSerializer.Meta.fields, "secret"]


class AlertSerializer(serializers.ModelSerializer):
    incident_reference = serializers.CharField(
        source="incident.reference", default=None, read_only=True
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "integration",
            "incident",
            "incident_reference",
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
        ]
        read_only_fields = fields


class ChangeEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeEvent
        fields = [
            "id",
            "service",
            "integration",
            "summary",
            "source",
            "happened_at",
            "custom_details",
            "links",
            "received_at",
        ]
        read_only_fields = fields


class LayerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)
    priority = serializers.IntegerField(min_value=1, default=1)
    rotation_length = serializers.DurationField(help_text='e.g. "1 00:00:00" (a day), "7 00:00:00"')
    handoff_date = serializers.DateField(help_text="First handoff's date, in the schedule's zone.")
    handoff_time = serializers.TimeField(help_text="Handoff time of day, in the schedule's zone.")
    restrictions = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        default=list,
        help_text='[{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}], Monday = 0',
    )
    members = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        many=True,
        help_text="User ids in rotation order.",
    )

    def validate_rotation_length(self, value):
        if value.total_seconds() < 3600:
            raise serializers.ValidationError("At least one hour.")
        return value

    def validate_restrictions(self, value):
        from datetime import time

        for restriction in value:
            days = restriction.get("days", [])
            if not isinstance(days, list) or not all(d in range(7) for d in days):
                raise serializers.ValidationError("days: a list of 0 (Monday) to 6.")
            try:
                (
                    time.fromisoformat(restriction.get("start", "")),
                    time.fromisoformat(restriction.get("end", "")),
                )
            except (TypeError, ValueError) as exc:
                raise serializers.ValidationError("start and end: HH:MM.") from exc
        return value

    def to_representation(self, layer):
        return {
            "id": layer.pk,
            "name": layer.name,
            "priority": layer.priority,
            "rotation_length": serializers.DurationField().to_representation(layer.rotation_length),
            "handoff_date": layer.handoff_date.isoformat(),
            "handoff_time": layer.handoff_time.isoformat(timespec="minutes"),
            "restrictions": layer.restrictions,
            "members": [m.user_id for m in sorted(layer.members.all(), key=lambda m: m.position)],
        }


class ScheduleSerializer(serializers.ModelSerializer):
    layers = LayerSerializer(many=True, required=False)

    class Meta:
        model = Schedule
        fields = ["id", "name", "team", "time_zone", "description", "layers", "created_at"]
        read_only_fields = ["id", "created_at"]


class OverrideSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScheduleOverride
        fields = ["id", "user", "start", "end", "reason", "created_at"]
        read_only_fields = ["id", "created_at"]


class ShiftSerializer(serializers.Serializer):
    user = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    source = serializers.CharField(help_text='"layer:<id>", "override:<id>" or "gap"')


class OncallSerializer(serializers.Serializer):
    schedule = serializers.IntegerField()
    at = serializers.DateTimeField()
    user = UserRefSerializer(allow_null=True)


class ShiftsQuerySerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    gaps = serializers.BooleanField(default=False)

    def validate(self, attrs):
        from datetime import timedelta

        from django.utils import timezone

        start = attrs.setdefault("start", timezone.now())
        end = attrs.setdefault("end", start + timedelta(days=14))
        if end <= start:
            raise serializers.ValidationError("end must be after start.")
        if end - start > timedelta(days=366):
            raise serializers.ValidationError("At most 366 days at a time.")
        return attrs


class EscalationStepSerializer(serializers.Serializer):
    delay = serializers.DurationField(
        help_text="Wait this long for an acknowledgement, e.g. 00:05:00."
    )
    users = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    schedules = serializers.PrimaryKeyRelatedField(
        queryset=Schedule.objects.all(), many=True, required=False
    )

    def validate(self, attrs):
        if not attrs.get("users") and not attrs.get("schedules"):
            raise serializers.ValidationError("A step needs users, schedules or both.")
        return attrs

    def to_representation(self, step):
        return {
            "delay": serializers.DurationField().to_representation(step.delay),
            "users": [user.pk for user in step.users.all()],
            "schedules": [schedule.pk for schedule in step.schedules.all()],
        }


class EscalationPolicySerializer(serializers.ModelSerializer):
    steps = EscalationStepSerializer(many=True, required=False)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "team", "repeat", "steps", "created_at"]
        read_only_fields = ["id", "created_at"]


class ContactMethodSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactMethod
        fields = ["id", "kind", "address", "secret", "enabled", "created_at"]
        read_only_fields = ["id", "secret", "created_at"]

    def validate(self, attrs):
        from django.core.validators import EmailValidator, URLValidator

        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        address = attrs.get("address", getattr(self.instance, "address", ""))
        validator = EmailValidator() if kind == "email" else URLValidator(schemes=["http", "https"])
        try:
            validator(address)
        except Exception as exc:
            raise serializers.ValidationError(
                {"address": [f"Not a valid {kind} address."]}
            ) from exc
        return attrs


class OncallScheduleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    user = UserRefSerializer(allow_null=True)


class OncallLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    delay = serializers.CharField()
    users = UserRefSerializer(many=True)


class OncallPolicySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    levels = OncallLevelSerializer(many=True)


class OncallOverviewSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    schedules = OncallScheduleSerializer(many=True)
    escalation_policies = OncallPolicySerializer(many=True)


class OutgoingWebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutgoingWebhook
        fields = ["id", "name", "url", "secret", "events", "service", "enabled", "created_at"]
        read_only_fields = ["id", "secret", "created_at"]

    def validate_events(self, value):
        unknown = sorted(set(value) - set(WEBHOOK_EVENTS))
        if not isinstance(value, list) or not value or unknown:
            raise serializers.ValidationError(f"A non-empty list of: {', '.join(WEBHOOK_EVENTS)}.")
        return value


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "incident",
            "event",
            "payload",
            "status",
            "attempts",
            "response_status",
            "last_error",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields
