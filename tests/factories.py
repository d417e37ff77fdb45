"""Factories for test data. Organizations and memberships go through the services, so that
permissions and audit events are exactly what production makes."""

from collections.abc import Iterable

import factory

from apps.accounts.models import User
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
