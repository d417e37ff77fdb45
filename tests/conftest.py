"""Shared fixtures: a world of two organizations with one person per role, API clients."""

from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.services import personal_token_create
from apps.organizations.constants import Role
from apps.organizations.models import Organization, Team
from tests.factories import UserFactory, make_member, make_organization, make_team

pytest_plugins = ["tests.browser"]


@dataclass
class World:
    org: Organization
    other: Organization
    people: dict[str, User] = field(default_factory=dict)
    team: Team | None = None
    other_team: Team | None = None
    stranger: User | None = None  # owner of the other organization


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
    return World(
        org=org, other=other, people=people, team=team, other_team=other_team, stranger=stranger
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
