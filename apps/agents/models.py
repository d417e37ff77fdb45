"""Registered AI agents and the keys they call the agent API with."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.agents.constants import AgentStatus


class Agent(models.Model):
    """A registered AI agent, owned by a team and governed by one policy."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="agents"
    )
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    team = models.ForeignKey(
        "organizations.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="agents"
    )
    policy = models.ForeignKey(
        "policies.Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="agents"
    )
    status = models.CharField(
        max_length=10, choices=AgentStatus.choices, default=AgentStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    is_agent = True  # audit actors: an agent is named by its key

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="unique_agent_key"),
        ]

    def __str__(self) -> str:
        return self.name


class AgentKey(models.Model):
    """One API key of an agent: a visible prefix, and the SHA-256 of the whole key."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="keys")
    prefix = models.CharField(max_length=32, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )
