"""Every organization page: role permissions, cross-organization 404s, and bad form input
answered with errors next to the field while nothing is saved."""

import pytest
from django.core import mail

from apps.audit.models import AuditEvent
from apps.organizations.constants import ROLE_CAPABILITIES, Role
from apps.organizations.models import Membership, Organization, Team
from tests.tenancy import FOREIGN_NAMES, OWN_NAMES, PAGES, Endpoint

PREFIX = "/o/{org}/"


def visit(client, endpoint: Endpoint, url: str):
    if endpoint.method == "GET":
        return client.get(url)
    return client.post(url, endpoint.body or {})


@pytest.mark.parametrize("page", PAGES, ids=str)
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_sees_exactly_its_pages(world, client, page, role):
    client.force_login(world.people[role])
    response = visit(client, page, page.url(PREFIX, world.org.slug, OWN_NAMES))
    if page.capability in ROLE_CAPABILITIES[role]:
        assert response.status_code == page.ok, response.content[:500]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_another_organizations_owner_gets_404(world, client, page):
    client.force_login(world.stranger)
    response = visit(client, page, page.url(PREFIX, world.org.slug, OWN_NAMES))
    assert response.status_code == 404


@pytest.mark.parametrize("page", [p for p in PAGES if "{" in p.path], ids=str)
def test_foreign_objects_through_own_organization_get_404(world, client, page):
    client.force_login(world.people["owner"])
    response = visit(client, page, page.url(PREFIX, world.org.slug, FOREIGN_NAMES))
    assert response.status_code == 404


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_anonymous_is_sent_to_sign_in(world, client, page):
    response = visit(client, page, page.url(PREFIX, world.org.slug, OWN_NAMES))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_and_land_on_the_only_organization(world, client):
    response = client.post(
        "/accounts/login/", {"username": "author", "password": "correct-horse-battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/o/{world.org.slug}/"
    assert b"Acme Test" in response.content
    assert b"Globex Test" not in response.content


def test_wrong_password_shows_an_error(world, client):
    response = client.post("/accounts/login/", {"username": "author", "password": "nope"})
    assert response.status_code == 200
    assert b"didn&#x27;t match" in response.content or b"didn't match" in response.content


def test_switcher_lists_only_own_organizations(world, client):
    from tests.factories import make_member

    make_member(world.other, [Role.AUDITOR], world.people["author"])
    client.force_login(world.people["author"])
    assert client.get("/").status_code == 302
    page = client.get("/o/").content.decode()
    assert "Acme Test" in page
    assert "Globex Test" in page
    client.force_login(world.people["reviewer"])
    page = client.get("/o/").content.decode()
    assert "Acme Test" in page
    assert "Globex Test" not in page


def count_state():
    return (
        Membership.objects.count(),
        Team.objects.count(),
        Organization.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(
    ("path", "data", "field_error"),
    [
        ("members/", {"person": "", "roles": ["member"]}, "This field is required"),
        ("members/", {"person": "x@example.com"}, "Choose at least one role"),
        ("members/", {"person": "x@example.com", "roles": ["emperor"]}, "Select a valid choice"),
        ("members/", {"person": "bad@", "roles": ["member"]}, "Enter a valid e-mail address"),
        ("members/", {"person": "author", "roles": ["member"]}, "Already a member"),
        ("members/", {"person": "ghost", "roles": ["member"]}, "No such user"),
        ("members/member/", {"roles": []}, "Choose at least one role"),
        ("members/owner/", {"roles": ["member"]}, "last owner"),
        ("teams/", {"name": "X", "key": "Bad Key"}, "Enter a valid"),
        ("teams/", {"name": "", "key": "ok"}, "This field is required"),
        ("teams/", {"name": "Again", "key": "deal-desk"}, "Already used by another team"),
        ("teams/deal-desk/", {"name": "", "members": []}, "This field is required"),
        ("teams/deal-desk/", {"name": "DD", "members": ["outsider"]}, "Select a valid choice"),
    ],
)
def test_bad_form_input_shows_errors_and_saves_nothing(world, client, path, data, field_error):
    client.force_login(world.people["owner"])
    before = count_state()
    response = client.post(f"/o/{world.org.slug}/{path}", data)
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert count_state() == before


def test_create_organization_form_errors(world, client):
    client.force_login(world.people["member"])
    before = count_state()
    response = client.post("/o/", {"name": "X", "slug": "acme-test"})
    assert response.status_code == 400
    assert "is taken" in response.content.decode()
    assert count_state() == before
    ok = client.post("/o/", {"name": "Initech", "slug": "initech"})
    assert ok.status_code == 302
    assert ok["Location"] == "/o/initech/"


def test_invite_new_person_by_email_sends_invitation_after_commit(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.people["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/o/{world.org.slug}/members/", {"person": "Dana@Example.com", "roles": ["reviewer"]}
        )
    assert response.status_code == 302
    membership = Membership.objects.get(organization=world.org, user__email="dana@example.com")
    assert membership.roles == ["reviewer"]
    assert not membership.user.has_usable_password()
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/reset/" in w)
    path = link.split("127.0.0.1:8000", 1)[1]
    page = client.get(path, follow=True)
    assert b"Choose your password" in page.content


def test_remove_member_and_delete_team(world, client):
    client.force_login(world.people["owner"])
    response = client.post(f"/o/{world.org.slug}/members/member/", {"action": "remove"})
    assert response.status_code == 302
    assert not Membership.objects.filter(organization=world.org, user__username="member").exists()
    assert not world.team.team_memberships.exists()
    response = client.post(f"/o/{world.org.slug}/teams/deal-desk/", {"action": "delete"})
    assert response.status_code == 302
    assert not Team.objects.filter(pk=world.team.pk).exists()


def test_removed_member_loses_access_at_once(world, client):
    client.force_login(world.people["member"])
    assert client.get(f"/o/{world.org.slug}/").status_code == 200
    owner = world.people["owner"]
    from apps.organizations.services import membership_remove

    membership_remove(
        membership=Membership.objects.get(organization=world.org, user=world.people["member"]),
        by=owner,
    )
    assert client.get(f"/o/{world.org.slug}/").status_code == 404


def test_tokens_page_shows_token_once(world, client):
    client.force_login(world.people["owner"])
    response = client.post("/settings/tokens/", {"name": "laptop"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "mnd_pat_" in page
    assert "Copy your new token now" in page
    again = client.get("/settings/tokens/").content.decode()
    assert "Copy your new token now" not in again
    assert "laptop" in again
    bad = client.post("/settings/tokens/", {"name": "", "expires_in_days": "0"})
    assert bad.status_code == 400


def test_pages_carry_a_strict_csp(world, client):
    client.force_login(world.people["owner"])
    response = client.get(f"/o/{world.org.slug}/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in response.content.decode()
