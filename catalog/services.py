"""Writes to the catalogue of teams and services (configuration, not incidents)."""

from collections.abc import Iterable

from django.db import transaction

from catalog.models import Service, Team
from core.errors import Conflict
from core.services import model_create, model_delete, model_update


@transaction.atomic
def team_create(*, name: str, slug: str, description: str = "", members: Iterable = ()) -> Team:
    team = model_create(Team, name=name, slug=slug, description=description)
    team.members.set(members)
    return team


@transaction.atomic
def team_update(*, team: Team, members: Iterable | None = None, **fields) -> Team:
    model_update(instance=team, fields=fields)
    if members is not None:
        team.members.set(members)
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Refused while the team owns services, schedules or escalation policies."""
    if team.services.exists():
        raise Conflict(
            f"Team {team.name} still owns {team.services.count()} service(s); move them first.",
            fields={"services": list(team.services.values_list("slug", flat=True))},
        )
    model_delete(instance=team, refusal=f"Team {team.name} cannot be deleted; move what it owns.")


@transaction.atomic
def service_create(**fields) -> Service:
    return model_create(Service, **fields)


@transaction.atomic
def service_update(*, service: Service, **fields) -> Service:
    model_update(instance=service, fields=fields)
    return service


@transaction.atomic
def service_delete(*, service: Service) -> None:
    """Refused once a service has incidents: they would lose their history."""
    model_delete(instance=service, refusal=f"Service {service.name} cannot be deleted.")
