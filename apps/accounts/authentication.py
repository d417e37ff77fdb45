"""Bearer authentication for the management API with personal access tokens."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.accounts.constants import TOKEN_LAST_USED_RESOLUTION_SECONDS
from apps.accounts.models import PersonalAccessToken, User
from apps.accounts.services import token_hash
from apps.core.constants import AGENT_KEY_PREFIX, PERSONAL_TOKEN_PREFIX


class PersonalAccessTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, PersonalAccessToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        raw = raw.strip()
        if raw.startswith(AGENT_KEY_PREFIX):
            raise exceptions.PermissionDenied(
                "Agent keys are for the agent API; this path needs a personal access token."
            )
        if not raw.startswith(PERSONAL_TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed("Unknown or malformed token.")
        token = (
            PersonalAccessToken.objects.select_related("user")
            .filter(token_hash=token_hash(raw))
            .first()
        )
        if token is None or not token.is_active or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Unknown, revoked or expired token.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(
            seconds=TOKEN_LAST_USED_RESOLUTION_SECONDS
        ):
            PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
