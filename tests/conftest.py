"""Shared fixtures: a world of two organizations with one person per role, API clients."""

from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.services import personal_token_create
from apps.agents import services as agent_services
from apps.catalogs import services as catalog_services
from apps.catalogs.constants import CatalogKind
from apps.organizations.constants import Role
from apps.organizations.models import Organization, Team
from apps.organizations.services import invitation_create
from apps.policies import services as policy_services
from tests.factories import (
    UserFactory,
    make_member,
    make_organization,
    make_team,
    record_routed_decision,
)

pytest_plugins = ["tests.browser"]


@dataclass
class World:
    org: Organization
    other: Organization
    people: dict[str, User] = field(default_factory=dict)
    team: Team | None = None
    other_team: Team | None = None
    stranger: User | None = None  # owner of the other organization
    names: dict[str, str] = field(default_factory=dict)  # objects named in paths
    foreign_names: dict[str, str] = field(default_factory=dict)  # the other org's


@pytest.fixture(autouse=True)
def _cold_check_caches():
    """Every test starts with the check path's process caches empty, as a new process
    would: database ids are reused between tests, never in a real deployment."""
    from apps.checks.grants import grants_forget
    from apps.checks.policy_cache import compiled_versions_forget
    from apps.checks.throttle import gate_reset

    for forget in (grants_forget, compiled_versions_forget, gate_reset):
        forget()
    yield
    for forget in (grants_forget, compiled_versions_forget, gate_reset):
        forget()


@pytest.fixture
def world(db) -> World:
    owner = UserFactory(username="owner")
    org = make_organization(owner=owner, slug="acme-test", name="Acme Test")
    people = {Role.OWNER.value: owner}
    for role in (Role.AUTHOR, Role.REVIEWER, Role.AUDITOR, Role.MEMBER):
        people[role.value] = make_member(org, [role], UserFactory(username=role.value))
    team = make_team(org, "deal-desk", members=[people["member"]])

    stranger = UserFactory(username="stranger")
    other = make_organization(owner=stranger, slug="globex-test", name="Globex Test")
    outsider = make_member(other, [Role.MEMBER], UserFactory(username="outsider"))
    other_team = make_team(other, "other-team", members=[outsider])
    make_team(org, "spare")  # named by no policy: may be deleted
    make_policy_history(org, author=people["author"], reviewer=people["reviewer"])
    make_foreign_objects(other, owner=stranger)
    invitation = invitation_create(
        organization=org, by=owner, email="pending@example.com", roles=["member"]
    )
    foreign_invitation = invitation_create(
        organization=other, by=stranger, email="elsewhere@example.com", roles=["member"]
    )
    agent = agent_services.agent_create(
        organization=org,
        by=owner,
        key="copilot",
        name="Copilot",
        team="deal-desk",
        policy="pipeline",
    )
    agent_key = agent_services.agent_key_create(agent=agent, by=owner)
    other_agent = agent_services.agent_create(
        organization=other, by=stranger, key="their-agent", name="Theirs"
    )
    other_key = agent_services.agent_key_create(agent=other_agent, by=stranger)
    decision = record_decision(agent_key.key, {"action": "send_follow_up"})
    other_decision = record_decision(other_key.key, {"action": "send_follow_up"})
    webhook = make_webhook(org, by=owner)
    other_webhook = make_webhook(other, by=stranger)
    approval, handoff = record_human_work(agent_key.key, team="deal-desk")
    other_approval, other_handoff = record_human_work(other_key.key, team="other-team")
    names = {
        "member": "member",
        "team": "deal-desk",
        "spare_team": "spare",
        "policy": "pipeline",
        "invitation": str(invitation.pk),
        "agent": "copilot",
        "agent_key": agent_key.key.prefix,
        "decision": decision.decision_id,
        "approval": approval.public_id,
        "handoff": handoff.public_id,
        "webhook": webhook.public_id,
        "webhook_message": webhook.messages.get().public_id,
        "actions": "send_follow_up",
        "signals": "buying_intent",
        "data_categories": "contact_details",
        "templates": "meeting-confirmation",
    }
    foreign_names = {
        "member": "outsider",
        "team": "other-team",
        "spare_team": "other-team",
        "policy": "other-policy",
        "invitation": str(foreign_invitation.pk),
        "agent": "their-agent",
        "agent_key": other_key.key.prefix,
        "decision": other_decision.decision_id,
        "approval": other_approval.public_id,
        "handoff": other_handoff.public_id,
        "webhook": other_webhook.public_id,
        "webhook_message": other_webhook.messages.get().public_id,
        "actions": "other_only",
        "signals": "other_only",
        "data_categories": "other_only",
        "templates": "other-only",
    }
    return World(
        org=org,
        other=other,
        people=people,
        team=team,
        other_team=other_team,
        stranger=stranger,
        names=names,
        foreign_names=foreign_names,
    )


SIMPLE_DOCUMENT = {
    "format": 1,
    "name": "Pipeline",
    "defaults": {"min_confidence": 0.8},
    "actions": {
        "send_follow_up": {"mode": "autonomous", "templates": ["check-in-after-proposal"]},
        "offer_discount": {
            "mode": "autonomous",
            "limits": {"discount_pct": 5},
            "approver_team": "deal-desk",
        },
    },
    "triggers": {"pricing_question": {"route_to_team": "deal-desk", "respond_within_minutes": 30}},
}


def make_policy_history(org: Organization, *, author: User, reviewer: User):
    """Policy "pipeline": v1 draft, v2 in review, v3 approved (not yet published)."""
    policy = policy_services.policy_create(
        organization=org, by=author, key="pipeline", name="Pipeline"
    )
    policy_services.policy_version_create(policy=policy, by=author, document=SIMPLE_DOCUMENT)
    v2 = policy_services.policy_version_create(policy=policy, by=author, document=SIMPLE_DOCUMENT)
    policy_services.policy_version_submit(version=v2, by=author)
    v3 = policy_services.policy_version_create(policy=policy, by=author, document=SIMPLE_DOCUMENT)
    policy_services.policy_version_submit(version=v3, by=author)
    policy_services.policy_version_approve(version=v3, by=reviewer)
    return policy


def record_decision(key, body):
    """A decision row as the check API writes it (deny: no active policy)."""
    from django.utils import timezone

    from apps.checks.grants import grant_from_key
    from apps.checks.services import decision_row, decisions_record
    from apps.engine.evaluate import decide
    from apps.engine.types import AgentFacts, CheckRequest

    outcome = decide(None, AgentFacts(), CheckRequest(body["action"]))
    row = decision_row(
        grant=grant_from_key(key, active_version_id=None),
        body=body,
        outcome=outcome,
        policy=None,
        version_id=None,
        request_id="",
        evaluated_at=timezone.now(),
        evaluation_us=1,
    )
    return decisions_record(rows=[row])[0]


def record_human_work(key, *, team: str):
    """One pending approval and one open handoff of the key's agent, routed to `team`."""
    from apps.humans import services as human_services

    asked = record_routed_decision(
        key,
        action="draft_proposal",
        outcome="require_approval",
        obligations={"approver_team": team, "expires_after_hours": 48},
    )
    approval, _ = human_services.approval_submit(
        agent=key.agent,
        decision_id=asked.decision_id,
        draft={"kind": "email", "subject": "Proposal", "body": "Dear Priya, …"},
        context={"summary": "Asked for a proposal after the demo."},
    )
    escalated = record_routed_decision(
        key,
        action="quote_price",
        outcome="escalate",
        obligations={"route_to_team": team, "respond_within_minutes": 30},
    )
    handoff, _ = human_services.handoff_create(
        agent=key.agent,
        decision_id=escalated.decision_id,
        context={"summary": "Wants a price for 40 seats.", "intent_tags": ["pricing"]},
    )
    return approval, handoff


def make_webhook(org: Organization, *, by: User):
    """An endpoint told of new approvals: the human work recorded next leaves one message
    in its outbox. Its host never resolves (.invalid), so no worker ever calls out."""
    from apps.humans import services as human_services

    return human_services.webhook_endpoint_create(
        organization=org,
        by=by,
        url=f"https://hooks.example.invalid/{org.slug}",
        events=["approval.created"],
    )


def make_foreign_objects(org: Organization, *, owner: User) -> None:
    policy = policy_services.policy_create(organization=org, by=owner, key="other-policy", name="O")
    for _ in range(3):
        policy_services.policy_version_create(policy=policy, by=owner, document=None)
    for kind, key in [
        (CatalogKind.ACTIONS, "other_only"),
        (CatalogKind.SIGNALS, "other_only"),
        (CatalogKind.DATA_CATEGORIES, "other_only"),
    ]:
        catalog_services.catalog_entry_create(
            organization=org, by=owner, kind=kind, values={"key": key, "label": "Other"}
        )
    catalog_services.catalog_entry_create(
        organization=org,
        by=owner,
        kind=CatalogKind.TEMPLATES,
        values={"key": "other-only", "label": "Other", "body": "Hi"},
    )


def token_client(user: User) -> APIClient:
    client = APIClient()
    issued = personal_token_create(user=user, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    return client


@pytest.fixture
def api_as():
    """api_as(user) -> an API client authenticated with a fresh personal access token."""
    return token_client


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database lets the test runner empty the append-only tables with TRUNCATE
    between tests (PostgreSQL); their UPDATE and DELETE guards stay on."""
    from django.db import connection

    from apps.audit.constants import APPEND_ONLY_TABLES

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in APPEND_ONLY_TABLES:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_truncate")
