from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for USER and print its secret (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument(
            "--expires-in-days", type=int, default=None, help="Default: never expires."
        )

    def handle(self, *args, username, name, expires_in_days, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        if expires_in_days is not None and expires_in_days <= 0:
            raise CommandError("--expires-in-days must be positive.")
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        issued = api_token_create(user=user, name=name, expires_at=expires_at)
        self.stderr.write(
            f"Created token {issued.token.prefix}… for {username}. "
            "Copy the secret below now; it is not stored and will not be shown again."
        )
        # The secret alone on stdout, so scripts can capture it.
        self.stdout.write(issued.secret)
