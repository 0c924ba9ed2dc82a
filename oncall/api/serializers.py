from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.api.fields import ModelSerializer
from core.api.serializers import UserRefSerializer
from oncall.models import ContactMethod, Schedule, ScheduleLayer, ScheduleOverride

User = get_user_model()


class LayerSerializer(ModelSerializer):
    """A layer as written inside its schedule; the rules on its values are the model's."""

    members = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        many=True,
        help_text="User ids in rotation order.",
    )

    class Meta:
        model = ScheduleLayer
        fields = [
            "id",
            "name",
            "priority",
            "rotation_length",
            "handoff_date",
            "handoff_time",
            "restrictions",
            "members",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {
            "priority": {"min_value": 1, "default": 1},
            "rotation_length": {"help_text": 'e.g. "1 00:00:00" (a day), "7 00:00:00"'},
            "handoff_date": {"help_text": "First handoff's date, in the schedule's zone."},
            "handoff_time": {"help_text": "Handoff time of day, in the schedule's zone."},
        }

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


class ScheduleSerializer(ModelSerializer):
    layers = LayerSerializer(many=True, required=False)

    class Meta:
        model = Schedule
        fields = ["id", "name", "team", "time_zone", "description", "layers", "created_at"]
        read_only_fields = ["id", "created_at"]


class OverrideSerializer(ModelSerializer):
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
        from datetime import UTC, datetime, timedelta

        from django.utils import timezone

        start = attrs.setdefault("start", timezone.now())
        # Near year 9999 the default 14 days runs to the last representable instant.
        last = datetime.max.replace(tzinfo=UTC)
        end = attrs.setdefault("end", min(start, last - timedelta(days=14)) + timedelta(days=14))
        if end <= start:
            raise serializers.ValidationError("end must be after start.")
        if end - start > timedelta(days=366):
            raise serializers.ValidationError("At most 366 days at a time.")
        return attrs


class ContactMethodSerializer(ModelSerializer):
    """A contact method as read and written: its signing secret is not part of it."""

    class Meta:
        model = ContactMethod
        fields = ["id", "kind", "address", "enabled", "created_at"]
        read_only_fields = ["id", "created_at"]


class ContactMethodIssuedSerializer(ContactMethodSerializer):
    """The answer to the request that creates a contact method (always the caller's
    own): the only one with its secret."""

    secret = serializers.CharField(
        read_only=True,
        help_text="Signs webhook bodies. Shown only in this response: copy it now.",
    )

    class Meta(ContactMethodSerializer.Meta):
        fields = [*ContactMethodSerializer.Meta.fields, "secret"]
