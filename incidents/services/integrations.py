"""Integrations: created and rotated here; their secrets are shown once."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.models import Integration

SECRET_PREFIX = "vgi_"
# last_received_at is written at most this often, not on every delivery.
LAST_RECEIVED_RESOLUTION = timedelta(seconds=30)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedIntegration:
    integration: Integration
    secret: str  # shown once; only its digest is stored


def _new_secret() -> tuple[str, dict]:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, {"secret_prefix": secret[:10], "secret_digest": secret_digest(secret)}


@transaction.atomic
def integration_create(*, service, kind: str, name: str, **options) -> IssuedIntegration:
    secret, stored = _new_secret()
    integration = Integration.objects.create(
        service=service, kind=kind, name=name, **stored, **options
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
    changed = [name for name, value in fields.items() if getattr(integration, name) != value]
    for name in changed:
        setattr(integration, name, fields[name])
    if changed:
        integration.save(update_fields=changed)
    return integration


def integration_mark_received(*, integration: Integration, now=None) -> None:
    now = now or timezone.now()
    last = integration.last_received_at
    if last and now - last < LAST_RECEIVED_RESOLUTION:
        return
    Integration.objects.filter(pk=integration.pk).update(last_received_at=now)
    integration.last_received_at = now
