"""The agent world of the check API's tests: a published policy, an agent, its key."""

import pytest

from apps.agents import services as agent_services
from apps.agents.models import Agent
from apps.policies import services as policy_services
from apps.policies.models import PolicyVersion
from tests.checks.support import FULL


@pytest.fixture
def agent_world(world):
    """The world's policy published with FULL, an agent governed by it, and its key."""
    author, reviewer = world.people["author"], world.people["reviewer"]
    draft = PolicyVersion.objects.get(policy__key="pipeline", number=1)
    policy_services.policy_version_edit(version=draft, by=author, document=FULL, submit=True)
    policy_services.policy_version_approve(version=draft, by=reviewer)
    policy_services.policy_version_publish(version=draft, by=reviewer)
    agent = Agent.objects.get(organization=world.org, key="copilot")  # from the world
    agent_services.agent_update(agent=agent, by=world.people["owner"], name="Follow-up copilot")
    issued = agent_services.agent_key_create(agent=agent, by=world.people["owner"])
    world.agent, world.raw_key = agent, issued.raw
    return world
