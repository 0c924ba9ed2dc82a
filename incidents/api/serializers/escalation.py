from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.api.fields import ModelSerializer
from core.api.serializers import UserRefSerializer
from incidents.models import EscalationPolicy, ServiceEscalationRule
from incidents.models.escalation import validate_step_delay
from oncall.models import Schedule

User = get_user_model()


class EscalationStepSerializer(serializers.Serializer):
    delay = serializers.DurationField(
        validators=[validate_step_delay],
        help_text="Wait this long for an acknowledgement, e.g. 00:05:00.",
    )
    users = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    schedules = serializers.PrimaryKeyRelatedField(
        queryset=Schedule.objects.all(), many=True, required=False
    )

    def to_representation(self, step):
        return {
            "delay": serializers.DurationField().to_representation(step.delay),
            "users": [user.pk for user in step.users.all()],
            "schedules": [schedule.pk for schedule in step.schedules.all()],
        }


class EscalationPolicySerializer(ModelSerializer):
    steps = EscalationStepSerializer(many=True, required=False)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "team", "repeat", "steps", "created_at"]
        read_only_fields = ["id", "created_at"]


class ServiceEscalationRuleSerializer(ModelSerializer):
    class Meta:
        model = ServiceEscalationRule
        fields = ["id", "service", "severity", "policy"]
        read_only_fields = ["id"]
        # The rule is unique per service and severity; a second one updates the first.
        validators = []


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
