from django.contrib import admin
from django.db.models import Count

from catalog import services
from catalog.models import Service, Team
from core.admin_writes import ServiceWritesAdmin


@admin.register(Team)
class TeamAdmin(ServiceWritesAdmin):
    list_display = ("name", "slug", "member_count", "service_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _members=Count("members", distinct=True), _services=Count("services", distinct=True)
            )
        )

    @admin.display(description="members", ordering="_members")
    def member_count(self, team):
        return team._members

    @admin.display(description="services", ordering="_services")
    def service_count(self, team):
        return team._services

    def create(self, request, data, parent=None):
        return services.team_create(**data)

    def update(self, request, instance, data):
        return services.team_update(team=instance, **data)

    def delete(self, request, instance):
        services.team_delete(team=instance)


@admin.register(Service)
class ServiceAdmin(ServiceWritesAdmin):
    """The incidents app registers a subclass that adds escalation rules and open counts."""

    list_display = ("name", "slug", "team", "tier")
    list_filter = ("team", "tier")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    list_select_related = ("team",)

    def create(self, request, data, parent=None):
        return services.service_create(**data)

    def update(self, request, instance, data):
        return services.service_update(service=instance, **data)

    def delete(self, request, instance):
        services.service_delete(service=instance)
