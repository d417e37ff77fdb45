"""Factories for test data. Organizations and memberships go through the services, so that
permissions and audit events are exactly what production makes."""

from collections.abc import Iterable
from datetime import timedelta

import factory
from django.utils import timezone

from apps.accounts.models import User
from apps.agents.models import AgentKey
from apps.checks.grants import grant_from_key
from apps.checks.services import decision_row, decisions_record
from apps.engine.types import Decision as Outcome
from apps.engine.types import Reason
from apps.humans import services as human_services
from apps.humans.constants import HandoffStatus
from apps.humans.models import Approval, Handoff
from apps.organizations import services
from apps.organizations.models import Membership, Organization, Team

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


def make_organization(*, owner: User | None = None, slug: str = "", name: str = "") -> Organization:
    owner = owner or UserFactory()
    n = Organization.objects.count() + 1
    return services.organization_create(
        name=name or f"Org {n}", slug=slug or f"org-{n}-{owner.username}", by=owner
    )


def make_member(organization: Organization, roles: Iterable[str], user: User | None = None) -> User:
    user = user or UserFactory()
    owner = Membership.objects.filter(organization=organization, roles__icontains="owner").first()
    services.membership_add(organization=organization, by=owner.user, user=user, roles=list(roles))
    return user


def make_team(organization: Organization, key: str, members: Iterable[User] = ()) -> Team:
    owner = Membership.objects.filter(organization=organization, roles__icontains="owner").first()
    return services.team_create(
        organization=organization,
        by=owner.user,
        key=key,
        name=key.replace("-", " ").title(),
        members=[m.username for m in members],
    )


def record_routed_decision(key, *, action: str, outcome: str, obligations: dict):
    """A require_approval or escalate decision as the check API records it."""
    code = "action.requires_approval" if outcome == "require_approval" else "action.escalate"
    row = decision_row(
        grant=grant_from_key(key, active_version_id=None),
        body={"action": action, "confidence": 0.9},
        outcome=Outcome(outcome, (Reason(code, "A person decides."),), obligations),
        policy=None,
        version_id=None,
        request_id="",
        evaluated_at=timezone.now(),
        evaluation_us=1,
    )
    return decisions_record(rows=[row])[0]


def submit_approval(world, *, team: str = "deal-desk") -> Approval:
    """A pending approval the world's first agent asks `team` for, through the service."""
    key = AgentKey.objects.filter(agent__organization=world.org).first()
    asked = record_routed_decision(
        key,
        action="offer_discount",
        outcome="require_approval",
        obligations={"approver_team": team, "expires_after_hours": 4},
    )
    approval, _ = human_services.approval_submit(
        agent=key.agent,
        decision_id=asked.decision_id,
        draft={"kind": "email", "subject": "12%", "body": "We can do 12%."},
        context={"summary": "Asked for 12% off."},
    )
    return approval


def submit_handoff(world) -> Handoff:
    """An open handoff the world's first agent routes to the deal desk, through the service."""
    key = AgentKey.objects.filter(agent__organization=world.org).first()
    escalated = record_routed_decision(
        key,
        action="quote_price",
        outcome="escalate",
        obligations={"route_to_team": "deal-desk", "respond_within_minutes": 15},
    )
    handoff, _ = human_services.handoff_create(
        agent=key.agent, decision_id=escalated.decision_id, context={"summary": "Needs a quote."}
    )
    return handoff


def handoff_at(world, *, team, created, due, claimed=None, closed=None, status=None) -> Handoff:
    """A handoff of the organization's with the given times (offsets from `world.now`)."""
    row = submit_handoff(world)
    now = world.now
    status = status or (
        HandoffStatus.RESOLVED if closed else HandoffStatus.CLAIMED if claimed else "open"
    )
    Handoff.objects.filter(pk=row.pk).update(
        team=team,
        status=status,
        created_at=now + created,
        due_at=now + created + due,
        claimed_at=now + created + claimed if claimed is not None else None,
        closed_at=now + created + closed if closed is not None else None,
    )
    return row


def make_service_level_handoffs(world):
    """Handoffs whose service-level figures are known: per team, late, on time, overdue and
    outside the window; and another organization's overdue one. Sets `world.now`."""
    minute = timedelta(minutes=1)
    world.now = timezone.now()
    Handoff.objects.filter(organization=world.org).delete()
    desk, spare = world.team, Team.objects.get(organization=world.org, key="spare")
    # Deal desk: one closed late, one on time, one open and overdue, one before the window.
    handoff_at(
        world,
        team=desk,
        created=-120 * minute,
        due=15 * minute,
        claimed=10 * minute,
        closed=40 * minute,
    )
    handoff_at(
        world,
        team=desk,
        created=-timedelta(days=1),
        due=15 * minute,
        claimed=5 * minute,
        closed=12 * minute,
    )
    handoff_at(world, team=desk, created=-180 * minute, due=15 * minute)
    handoff_at(
        world,
        team=desk,
        created=-timedelta(days=40),
        due=15 * minute,
        claimed=minute,
        closed=90 * minute,
    )
    # Spare: claimed, not yet due.
    handoff_at(world, team=spare, created=-10 * minute, due=15 * minute, claimed=2 * minute)
    # Routed to no team, handed back to the agent late without a claim first.
    handoff_at(
        world,
        team=None,
        created=-timedelta(days=5),
        due=15 * minute,
        claimed=20 * minute,
        closed=20 * minute,
        status=HandoffStatus.RETURNED,
    )
    # Another organization's overdue handoff counts for it alone.
    Handoff.objects.filter(organization=world.other).update(
        created_at=world.now - 60 * minute, due_at=world.now - 45 * minute
    )
    return world
