from django.contrib.auth import get_user_model
from rest_framework import serializers

from catalog.models import Service, Team
from core.api.fields import ModelSerializer

User = get_user_model()


class TeamRefSerializer(ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class ServiceRefSerializer(ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class TeamSerializer(ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.filter(is_active=True), required=False
    )
    service_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description", "members", "service_count", "created_at"]
        read_only_fields = ["id", "service_count", "created_at"]


class ServiceSerializer(ModelSerializer):
    team_detail = TeamRefSerializer(source="team", read_only=True)

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
            "created_at",
        ]
        read_only_fields = ["id", "team_detail", "created_at"]
