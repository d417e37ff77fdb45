"""Services for organizations, memberships and teams: rules, permissions, audit events."""

import itertools

import pytest
from django.db import transaction

from apps.audit.models import AuditEvent
from apps.core.errors import Conflict, ValidationFailed
from apps.organizations import services
from apps.organizations.constants import ALL_CAPABILITIES, ROLE_CAPABILITIES, Role, perm_name
from apps.organizations.models import Membership
from tests.factories import UserFactory


def events(org, verb=None):
    qs = AuditEvent.objects.filter(organization=org)
    return qs.filter(verb=verb) if verb else qs


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_roles_become_exactly_the_declared_object_permissions(world, role):
    user = world.people[role]
    for capability in ALL_CAPABILITIES:
        expected = capability in ROLE_CAPABILITIES[role]
        assert user.has_perm(perm_name(capability), world.org) is expected, capability
        assert not user.has_perm(perm_name(capability), world.other)


def test_several_roles_unite_their_permissions(world):
    membership = Membership.objects.get(organization=world.org, user=world.people["author"])
    services.membership_set_roles(
        membership=membership, by=world.people["owner"], roles=["author", "reviewer"]
    )
    user = type(world.people["author"]).objects.get(pk=world.people["author"].pk)
    assert user.has_perm("organizations.author_policies", world.org)
    assert user.has_perm("organizations.review_policies", world.org)
    assert not user.has_perm("organizations.manage_members", world.org)


def test_each_change_writes_exactly_one_event(world):
    owner = world.people["owner"]
    start = events(world.org).count()
    newbie = UserFactory()
    membership = services.membership_add(
        organization=world.org, by=owner, user=newbie, roles=["member"]
    )
    services.membership_set_roles(membership=membership, by=owner, roles=["auditor"])
    team = services.team_create(organization=world.org, by=owner, key="se", name="SE")
    services.team_edit(team=team, by=owner, name="Solutions", members=[newbie.username])
    services.team_delete(team=team, by=owner)
    services.membership_remove(membership=membership, by=owner)
    verbs = list(events(world.org).filter(seq__gt=start).values_list("verb", flat=True))
    assert verbs == [
        "membership.added",
        "membership.roles_changed",
        "team.created",
        "team.updated",
        "team.members_changed",
        "team.deleted",
        "membership.removed",
    ]
    changed = events(world.org, "membership.roles_changed").last()
    assert changed.before == {"roles": ["member"]}
    assert changed.after == {"roles": ["auditor"]}
    assert changed.actor == owner.username
    assert changed.actor_type == "user"


def test_no_event_and_no_change_when_the_transaction_rolls_back(world):
    owner = world.people["owner"]
    start = events(world.org).count()

    def create_then_fail():
        with transaction.atomic():
            services.team_create(organization=world.org, by=owner, key="se", name="SE")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert events(world.org).count() == start
    assert not world.org.teams.filter(key="se").exists()


def test_no_op_changes_write_no_event(world):
    owner = world.people["owner"]
    membership = Membership.objects.get(organization=world.org, user=world.people["member"])
    start = events(world.org).count()
    services.membership_set_roles(membership=membership, by=owner, roles=["member"])
    services.team_edit(team=world.team, by=owner, name=world.team.name, members=["member"])
    assert events(world.org).count() == start


def test_audit_chain_links_each_event_to_the_previous(world):
    chain = list(events(world.org).order_by("seq"))
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == "0" * 64
    for previous, event in itertools.pairwise(chain):
        assert event.prev_hash == previous.hash


def test_last_owner_rules(world):
    owner_membership = Membership.objects.get(organization=world.org, user=world.people["owner"])
    with pytest.raises(Conflict):
        services.membership_set_roles(
            membership=owner_membership, by=world.people["owner"], roles=["member"]
        )
    second = Membership.objects.get(organization=world.org, user=world.people["reviewer"])
    services.membership_set_roles(
        membership=second, by=world.people["owner"], roles=["owner", "reviewer"]
    )
    services.membership_set_roles(
        membership=owner_membership, by=world.people["owner"], roles=["member"]
    )


def test_removing_a_member_revokes_permissions_and_team_places(world):
    member = world.people["member"]
    membership = Membership.objects.get(organization=world.org, user=member)
    services.membership_remove(membership=membership, by=world.people["owner"])
    member = type(member).objects.get(pk=member.pk)
    assert not member.has_perm("organizations.view_org", world.org)
    assert not world.team.team_memberships.exists()


def test_team_members_must_belong_to_the_organization(world):
    with pytest.raises(ValidationFailed) as error:
        services.team_edit(team=world.team, by=world.people["owner"], members=["outsider"])
    assert "members" in error.value.fields


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_run_outside_a_transaction(world):
    from apps.audit.services import audit_record

    with pytest.raises(RuntimeError):
        audit_record(organization=world.org, by="test", verb="x.y")


def test_a_team_that_worked_approvals_keeps_their_history(world):
    from apps.core.errors import Conflict
    from apps.humans.models import Approval

    team = services.team_create(
        organization=world.org, by=world.people["owner"], key="se", name="SE"
    )
    Approval.objects.filter(organization=world.org).update(team=team)
    with pytest.raises(Conflict) as refused:
        services.team_delete(team=team, by=world.people["owner"])
    assert "keeps their history" in refused.value.message
