from django.utils import timezone

from core.models import ApiToken, Heartbeat
from core.tokens import token_digest


def api_token_active_by_secret(secret: str) -> ApiToken | None:
    """The active token whose secret this is, with its user, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or not token.is_active(timezone.now()):
        return None
    return token


def api_token_list(*, user):
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def heartbeat_age_seconds(name: str, now=None) -> float | None:
    """Seconds since ``name`` last beat, or None if it never has."""
    beat_at = Heartbeat.objects.filter(name=name).values_list("beat_at", flat=True).first()
    if beat_at is None:
        return None
    return ((now or timezone.now()) - beat_at).total_seconds()
