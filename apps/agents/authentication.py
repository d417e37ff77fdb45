"""Bearer authentication with agent keys for the agent API's DRF endpoints (approvals,
handoffs, outcomes). The check endpoints authenticate on their own hot path."""

from dataclasses import dataclass

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from apps.agents.models import Agent, AgentKey
from apps.agents.services import agent_key_hash
from apps.core.constants import AGENT_KEY_PREFIX


@dataclass(frozen=True)
class AgentPrincipal:
    """request.user on the agent API: the agent the key belongs to."""

    agent: Agent
    key: AgentKey
    is_authenticated: bool = True
    is_anonymous: bool = False

    @property
    def organization(self):
        return self.agent.organization


class AgentKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AgentPrincipal, AgentKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, raw = header.partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw.startswith(AGENT_KEY_PREFIX):
            raise exceptions.NotAuthenticated(
                "Send an agent key: Authorization: Bearer mnd_agent_…"
            )
        key = (
            AgentKey.objects.select_related("agent__organization")
            .filter(key_hash=agent_key_hash(raw))
            .first()
        )
        if (
            key is None
            or key.revoked_at is not None
            or (key.expires_at is not None and key.expires_at <= timezone.now())
        ):
            raise exceptions.AuthenticationFailed("Unknown, revoked or expired agent key.")
        return AgentPrincipal(agent=key.agent, key=key), key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IsAgent(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, AgentPrincipal)
