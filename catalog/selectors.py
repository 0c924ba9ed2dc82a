"""Reads of the catalogue."""

from django.db.models import Count, QuerySet

from catalog.models import Service, Team


def service_list() -> QuerySet[Service]:
    return Service.objects.select_related("team")


def team_list() -> QuerySet[Team]:
    return Team.objects.prefetch_related("members").annotate(
        service_count=Count("services", distinct=True)
    )
