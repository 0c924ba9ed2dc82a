from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError, RestrictedError
from django.utils import timezone

from core.errors import Conflict
from core.models import ApiToken, Heartbeat, Sequence
from core.tokens import token_digest, token_generate, token_prefix

# A token used in many requests a minute is written back at most once a minute.
TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=1)


def model_update(*, instance, fields: dict, clean: bool = True) -> list[str]:
    """Set the ``fields`` whose values differ, validate the row (``full_clean``), and save
    only those; the names changed (empty: nothing was written)."""
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(instance, name, fields[name])
    if clean:
        instance.full_clean()
    names = {field.name for field in instance._meta.concrete_fields}
    extra = ["updated_at"] if "updated_at" in names else []
    instance.save(update_fields=[name for name in changed if name in names] + extra)
    return changed


def model_create(model, **fields):
    """A new validated row of ``model`` (``full_clean`` before the insert)."""
    instance = model(**fields)
    instance.full_clean()
    instance.save(force_insert=True)
    return instance


def model_delete(*, instance, refusal: str) -> None:
    """Delete ``instance`` unless rows elsewhere still need it (``on_delete=PROTECT`` or
    ``RESTRICT``): then refuse with 409, naming what still uses it."""
    try:
        instance.delete()
    except (ProtectedError, RestrictedError) as exc:
        used_by = sorted({obj._meta.verbose_name_plural for obj in exc.args[1]})
        raise Conflict(
            f"{refusal} Still used by: {', '.join(map(str, used_by))}.",
            fields={"used_by": [str(name) for name in used_by]},
        ) from exc


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the user once; never stored


@transaction.atomic
def api_token_create(*, user, name: str, expires_at: datetime | None = None) -> IssuedToken:
    secret = token_generate()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=token_prefix(secret),
        digest=token_digest(secret),
        expires_at=expires_at,
    )
    return IssuedToken(token=token, secret=secret)


_UNCHANGED = object()


@transaction.atomic
def api_token_update(*, token: ApiToken, name=_UNCHANGED, expires_at=_UNCHANGED) -> ApiToken:
    """Rename a token or change when it expires; its owner and secret never change."""
    fields = {"name": name, "expires_at": expires_at}
    model_update(
        instance=token,
        fields={field: value for field, value in fields.items() if value is not _UNCHANGED},
    )
    return token


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke ``token``; revoking a revoked token changes nothing."""
    if token.revoked_at is None:
        now = timezone.now()
        # Guarded update: two revocations at once keep the first timestamp.
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        token.refresh_from_db(fields=["revoked_at"])
    return token


def api_token_mark_used(*, token: ApiToken, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if token.last_used_at and now - token.last_used_at < TOKEN_LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def heartbeat_record(*, name: str, now: datetime | None = None) -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": now or timezone.now()}
    )
    return heartbeat


def sequence_next(*, name: str) -> int:
    """The next value of the counter ``name``. Call it inside the transaction that uses
    the value: the row stays locked until that transaction ends, so two transactions
    never get the same value and a rollback leaves no gap."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside a transaction")
    if not Sequence.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                Sequence.objects.create(name=name)
        except IntegrityError:
            pass  # created by a concurrent transaction; the update below waits for it
    Sequence.objects.filter(name=name).update(last_value=F("last_value") + 1)
    return Sequence.objects.filter(name=name).values_list("last_value", flat=True).get()
