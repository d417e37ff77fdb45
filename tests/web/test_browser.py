"""The foundation's pages in a real headless Chromium: sign-in, switching organizations,
members and teams, tokens; screenshots land in var/screenshots/."""

from io import StringIO

import pytest
from django.core.management import call_command

from apps.organizations.models import Invitation, Membership, Team
from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=StringIO())


def test_sign_in_page(page):
    page.goto("/")
    assert "/accounts/login/" in page.url
    shot(page, "01-sign-in")
    page.fill("input[name=username]", "olivia")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").is_visible()
    shot(page, "02-sign-in-error")


def test_owner_walks_members_and_teams(page, demo):
    sign_in(page, "olivia", "mandate-demo")
    page.wait_for_url("**/o/acme/")
    assert page.get_by_role("heading", name="Acme Consulting").is_visible()
    shot(page, "03-org-home-owner")

    page.click("nav.sidebar >> text=Members")
    page.wait_for_url("**/o/acme/members/")
    shot(page, "04-members")
    page.fill("input[name=email]", "not-an-email@")
    page.check("input[name=roles][value=reviewer]")
    page.click("text=Send invitation")
    assert page.locator(".field .error").first.is_visible()
    shot(page, "05-members-error")
    page.fill("input[name=email]", "dana@acme.example")
    page.click("text=Send invitation")
    assert page.locator(".flash-success").is_visible()
    assert page.locator("text=Pending invitations").is_visible()
    assert Invitation.objects.filter(organization__slug="acme", email="dana@acme.example").exists()

    page.click("nav.sidebar >> text=Teams")
    shot(page, "06-teams")
    page.fill("input[name=name]", "Customer success")
    page.fill("input[name=key]", "customer-success")
    page.click("text=Create team")
    page.wait_for_url("**/o/acme/teams/customer-success/")
    page.check("input[name=members][value=sam]")
    page.click("text=Save team")
    assert page.locator(".flash-success").is_visible()
    shot(page, "07-team-detail")
    team = Team.objects.get(organization__slug="acme", key="customer-success")
    assert list(team.members.values_list("username", flat=True)) == ["sam"]

    page.click("nav.sidebar >> text=Audit trail")
    assert page.locator("text=team.members_changed").first.is_visible()
    shot(page, "08-audit-trail")
    assert page.console_errors == []


def test_switching_organizations(page, demo):
    from apps.accounts.models import User
    from apps.organizations import services

    services.membership_add(
        organization=Membership.objects.get(user__username="gina").organization,
        by=User.objects.get(username="gina"),
        user=User.objects.get(username="olivia"),
        roles=["auditor"],
    )
    sign_in(page, "olivia", "mandate-demo")
    page.click("details.switcher summary")
    shot(page, "09-switcher")
    page.click("details.switcher >> text=Globex")
    page.wait_for_url("**/o/globex/")
    assert page.get_by_role("heading", name="Globex").is_visible()


def test_member_sees_a_read_only_organization(page, demo):
    sign_in(page, "sam", "mandate-demo")
    page.wait_for_url("**/o/acme/")
    shot(page, "10-org-home-member")
    page.goto("/o/acme/members/")
    assert page.locator("text=Add or invite a member").count() == 0
    response = page.goto("/o/globex/")
    assert response.status == 404
    shot(page, "11-not-found")


def test_tokens_page(page, demo):
    sign_in(page, "adam", "mandate-demo")
    page.goto("/settings/tokens/")
    page.fill("input[name=name]", "policy sync in CI")
    page.click("text=Create token")
    token = page.locator("pre.secret").inner_text()
    assert token.startswith("mnd_pat_")
    shot(page, "12-tokens")
