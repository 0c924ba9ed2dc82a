from rest_framework import viewsets
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import IsAuthenticated

from catalog import selectors, services
from catalog.api import serializers as s
from core.api.fields import FilterBackend
from core.api.permissions import RoleModelPermissions


class ServiceViewSet(viewsets.ModelViewSet):
    """Services that incidents are about. Viewers read; Managers create, edit and delete
    (a service with incidents cannot be deleted)."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.ServiceSerializer
    filter_backends = [FilterBackend, SearchFilter, OrderingFilter]
    filterset_fields = ["team", "tier"]
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["name", "tier", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.service_list()

    def perform_create(self, serializer):
        service = services.service_create(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=service.pk)

    def perform_update(self, serializer):
        services.service_update(service=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.service_delete(service=instance)


class TeamViewSet(viewsets.ModelViewSet):
    """Teams own services, schedules and escalation policies. Viewers read; Managers
    create, edit and delete (a team that still owns something cannot be deleted)."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.TeamSerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.team_list()

    def perform_create(self, serializer):
        team = services.team_create(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=team.pk)

    def perform_update(self, serializer):
        services.team_update(team=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.team_delete(team=instance)
