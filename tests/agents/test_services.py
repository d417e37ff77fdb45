"""Agents, keys and the kill switch through their services and the management API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.agents import services
from apps.agents.models import Agent, AgentKey
from apps.audit.models import AuditEvent
from apps.core.errors import Conflict, ValidationFailed


def test_keys_are_shown_once_and_stored_hashed(world):
    agent = Agent.objects.get(organization=world.org, key="copilot")
    issued = services.agent_key_create(agent=agent, by=world.people["owner"])
    assert issued.raw.startswith("mnd_agent_")
    row = AgentKey.objects.get(pk=issued.key.pk)
    assert row.key_hash == services.agent_key_hash(issued.raw)
    assert issued.raw not in (row.prefix, row.key_hash)


def test_every_agent_change_is_audited(world):
    owner = world.people["owner"]
    agent = Agent.objects.get(organization=world.org, key="copilot")
    services.agent_suspend(agent=agent, by=owner)
    services.agent_resume(agent=agent, by=owner)
    services.organization_autonomy_set(
        organization=world.org, by=owner, paused=True, reason="incident"
    )
    services.organization_autonomy_set(organization=world.org, by=owner, paused=False)
    verbs = list(
        AuditEvent.objects.filter(organization=world.org)
        .order_by("-seq")
        .values_list("verb", flat=True)[:4]
    )
    assert verbs == ["autonomy.resumed", "autonomy.paused", "agent.resumed", "agent.suspended"]


def test_state_rules(world):
    owner = world.people["owner"]
    agent = Agent.objects.get(organization=world.org, key="copilot")
    with pytest.raises(Conflict):
        services.agent_resume(agent=agent, by=owner)
    with pytest.raises(ValidationFailed):
        services.organization_autonomy_set(organization=world.org, by=owner, paused=True, reason="")
    with pytest.raises(ValidationFailed):
        services.agent_create(
            organization=world.org, by=owner, key="x", name="X", team="no-such-team"
        )
    with pytest.raises(ValidationFailed):
        services.agent_create(organization=world.org, by=owner, key="copilot", name="Again")
    with pytest.raises(ValidationFailed):
        services.agent_key_create(
            agent=agent, by=owner, expires_at=timezone.now() - timedelta(days=1)
        )


def test_management_api_creates_keys_once_and_never_lists_them(world, api_as):
    client = api_as(world.people["owner"])
    base = f"/api/v1/orgs/{world.org.slug}/agents/copilot/keys/"
    created = client.post(base, {})
    assert created.status_code == 201
    assert created.json()["key"].startswith("mnd_agent_")
    assert all("key" not in k for k in client.get(base).json())
    rotated = client.post(
        base,
        {
            "rotate": created.json()["prefix"],
            "old_valid_until": (timezone.now() + timedelta(hours=1)).isoformat(),
        },
    )
    assert rotated.status_code == 201
    assert client.post(base, {"rotate": "x"}).status_code == 400


def test_an_agents_team_cannot_be_deleted(world):
    from apps.organizations.models import Team
    from apps.organizations.services import team_delete

    spare = Team.objects.get(organization=world.org, key="spare")
    agent = Agent.objects.get(organization=world.org, key="copilot")
    services.agent_update(agent=agent, by=world.people["owner"], team="spare")
    with pytest.raises(Conflict, match="Agents belong"):
        team_delete(team=spare, by=world.people["owner"])
