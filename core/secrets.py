"""Random secrets: signing keys for webhooks, calendar feed tokens."""

import secrets


def secret_generate(nbytes: int = 32) -> str:
    """A URL-safe random string carrying ``nbytes`` of entropy."""
    return secrets.token_urlsafe(nbytes)
