"""How personal API tokens look and are hashed."""

import hashlib

from django.conf import settings

from core.secrets import secret_generate


def token_generate() -> str:
    return settings.API_TOKEN_PREFIX + secret_generate()


def token_digest(secret: str) -> str:
    # The secret carries 256 random bits, so a fast hash is enough: nobody can
    # guess their way to a preimage, and lookups stay one indexed query.
    return hashlib.sha256(secret.encode()).hexdigest()


def token_prefix(secret: str) -> str:
    return secret[: len(settings.API_TOKEN_PREFIX) + 6]
