from django.core.management.base import BaseCommand, CommandError

from catalog.models import Service
from incidents import services
from incidents.integration_config import integration_example_config
from incidents.models import IntegrationKind


class Command(BaseCommand):
    help = (
        "Create an integration for a service and print its secret (shown only this once) "
        "with the sender's configuration to copy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--service", required=True, help="The service's slug.")
        parser.add_argument("--kind", required=True, choices=IntegrationKind.values)
        parser.add_argument("--name", help="Default: the kind's name.")
        parser.add_argument("--no-auto-resolve", action="store_true")

    def handle(self, *args, service, kind, name, no_auto_resolve, **options):
        try:
            target = Service.objects.get(slug=service)
        except Service.DoesNotExist as exc:
            raise CommandError(f"No service with slug {service!r}.") from exc
        name = name or IntegrationKind(kind).label
        if target.integrations.filter(name=name).exists():
            raise CommandError(f"{target.name} already has an integration named {name!r}.")
        issued = services.integration_create(
            service=target, kind=kind, name=name, auto_resolve=not no_auto_resolve
        )
        self.stderr.write(
            f"Created integration {name!r} for {target.name}. Copy the secret now; "
            "it is not stored and will not be shown again.\n\n"
            + integration_example_config(issued.integration, issued.secret)
        )
        self.stdout.write(issued.secret)
