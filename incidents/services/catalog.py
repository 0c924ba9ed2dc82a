"""Writes to the catalogue of teams and services (configuration, not incidents)."""

from collections.abc import Iterable

from django.db import transaction

from core.errors import Conflict
from incidents.models import Service, Team


@transaction.atomic
def team_create(*, name: str, slug: str, description: str = "", members: Iterable = ()) -> Team:
    team = Team.objects.create(name=name, slug=slug, description=description)
    team.members.set(members)
    return team


@transaction.atomic
def team_update(*, team: Team, members: Iterable | None = None, **fields) -> Team:
    _assign(team, fields)
    if members is not None:
        team.members.set(members)
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    if team.services.exists():
        raise Conflict(
            f"Team {team.name} still owns {team.services.count()} service(s); move them first.",
            fields={"services": list(team.services.values_list("slug", flat=True))},
        )
    team.delete()


@transaction.atomic
def service_create(**fields) -> Service:
    return Service.objects.create(**fields)


@transaction.atomic
def service_update(*, service: Service, **fields) -> Service:
    _assign(service, fields)
    return service


@transaction.atomic
def service_delete(*, service: Service) -> None:
    if service.incidents.exists():
        raise Conflict(
            f"Service {service.name} has incidents; it cannot be deleted, as they would lose "
            "their history."
        )
    service.delete()


def _assign(instance, fields: dict) -> None:
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, fields[name])
    if changed:
        instance.save(update_fields=[*changed, "updated_at"])
