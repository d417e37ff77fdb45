"""Writes for people and their tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.accounts.constants import TOKEN_RANDOM_BYTES, TOKEN_VISIBLE_CHARS
from apps.accounts.models import PersonalAccessToken, User
from apps.core.constants import PERSONAL_TOKEN_PREFIX
from apps.core.errors import NotFound, ValidationFailed


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: PersonalAccessToken
    raw: str  # shown once, never stored


@transaction.atomic
def personal_token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> IssuedToken:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the token a name.", fields={"name": "This field is required."})
    if len(name) > 100:
        raise ValidationFailed("The name is too long.", fields={"name": "At most 100 characters."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(
            "The expiry must be in the future.", fields={"expires_at": "Must be in the future."}
        )
    raw = PERSONAL_TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_RANDOM_BYTES)
    token = PersonalAccessToken.objects.create(
        user=user,
        name=name,
        prefix=raw[: len(PERSONAL_TOKEN_PREFIX) + TOKEN_VISIBLE_CHARS],
        token_hash=token_hash(raw),
        expires_at=expires_at,
    )
    return IssuedToken(token=token, raw=raw)


@transaction.atomic
def personal_token_revoke(*, user: User, prefix: str) -> PersonalAccessToken:
    token = (
        PersonalAccessToken.objects.select_for_update()
        .filter(user=user, prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None:
        raise NotFound("No active token with that prefix.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token
