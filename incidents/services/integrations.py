"""Integrations: created and rotated here; their secrets are shown once."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.secrets import secret_generate
from core.services import model_create, model_delete, model_update
from core.tokens import token_digest
from incidents.models import Integration

SECRET_PREFIX = "vgi_"
# last_received_at is written at most this often, not on every delivery.
LAST_RECEIVED_RESOLUTION = timedelta(seconds=30)


@dataclass(frozen=True)
class IssuedIntegration:
    integration: Integration
    secret: str  # shown once; only its digest is stored


def _new_secret() -> tuple[str, dict]:
    secret = SECRET_PREFIX + secret_generate()
    return secret, {"secret_prefix": secret[:10], "secret_digest": token_digest(secret)}


@transaction.atomic
def integration_create(*, service, kind: str, name: str, **options) -> IssuedIntegration:
    secret, stored = _new_secret()
    integration = model_create(
        Integration, service=service, kind=kind, name=name, **stored, **options
    )
    return IssuedIntegration(integration, secret)


@transaction.atomic
def integration_rotate_secret(*, integration: Integration) -> IssuedIntegration:
    """A new secret; the old one stops working at once."""
    secret, stored = _new_secret()
    Integration.objects.filter(pk=integration.pk).update(**stored)
    integration.refresh_from_db()
    return IssuedIntegration(integration, secret)


@transaction.atomic
def integration_update(*, integration: Integration, **fields) -> Integration:
    model_update(instance=integration, fields=fields)
    return integration


@transaction.atomic
def integration_delete(*, integration: Integration) -> None:
    """Refused once it has delivered alerts (they are the incidents' evidence): disable
    it instead."""
    model_delete(
        instance=integration,
        refusal=f"Integration {integration.name} has delivered alerts; disable it instead.",
    )


def integration_mark_received(*, integration: Integration, now=None) -> None:
    now = now or timezone.now()
    last = integration.last_received_at
    if last and now - last < LAST_RECEIVED_RESOLUTION:
        return
    Integration.objects.filter(pk=integration.pk).update(last_received_at=now)
    integration.last_received_at = now
