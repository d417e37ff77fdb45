"""The demo data: who is where, and running it twice changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.organizations.models import Membership, Organization, Team, TeamMembership

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "users": list(User.objects.order_by("pk").values_list("username", "password", "email")),
        "orgs": list(Organization.objects.order_by("pk").values_list("slug", "name")),
        "memberships": list(
            Membership.objects.order_by("pk").values_list("user__username", "roles")
        ),
        "teams": list(Team.objects.order_by("pk").values_list("organization__slug", "key")),
        "team_members": TeamMembership.objects.count(),
        "events": AuditEvent.objects.count(),
    }


def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=StringIO())
    first = snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert snapshot() == first


def test_seed_demo_people_and_roles():
    call_command("seed_demo", stdout=StringIO())
    acme = Organization.objects.get(slug="acme")
    assert acme.name == "Acme Consulting"
    roles = {m.user.username: m.roles for m in Membership.objects.filter(organization=acme)}
    assert roles["olivia"] == ["owner"]
    assert roles["adam"] == ["author"]
    assert roles["rita"] == ["reviewer"]
    assert roles["aude"] == ["auditor"]
    assert roles["sam"] == ["member"]
    assert set(Team.objects.filter(organization=acme).values_list("key", flat=True)) == {
        "deal-desk",
        "solutions-engineering",
        "sales-leadership",
    }
    assert TeamMembership.objects.filter(
        team__key="deal-desk", team__organization=acme, user__username="sam"
    ).exists()
    globex = Organization.objects.get(slug="globex")
    assert Membership.objects.get(organization=globex, user__username="gina").roles == ["owner"]


@pytest.mark.parametrize(
    ("username", "visible", "hidden"), [("olivia", "acme", "globex"), ("gina", "globex", "acme")]
)
def test_demo_users_sign_in_and_see_only_their_organizations(username, visible, hidden):
    call_command("seed_demo", stdout=StringIO())
    client = Client()
    assert client.login(username=username, password="mandate-demo")
    assert client.get(f"/o/{visible}/").status_code == 200
    assert client.get(f"/o/{hidden}/").status_code == 404


def test_seed_demo_refuses_where_demo_data_is_not_allowed(settings):
    from django.core.management import CommandError

    settings.MANDATE_ALLOW_DEMO_DATA = False
    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", stdout=StringIO())
    assert not Organization.objects.exists()
