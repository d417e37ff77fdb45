"""Every organization page: role permissions, cross-organization 404s, and bad form input
answered with errors next to the field while nothing is saved."""

import pytest
from django.core import mail

from apps.audit.models import AuditEvent
from apps.organizations.constants import ROLE_CAPABILITIES, Role
from apps.organizations.models import Membership, Organization, Team
from tests.tenancy import PAGES, Endpoint

PREFIX = "/o/{org}/"


def visit(client, endpoint: Endpoint, url: str):
    if endpoint.method == "GET":
        return client.get(url)
    return client.post(url, endpoint.body or {})


@pytest.mark.parametrize("page", PAGES, ids=str)
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_sees_exactly_its_pages(world, client, page, role):
    client.force_login(world.people[role])
    response = visit(client, page, page.url(PREFIX, world.org.slug, world.names))
    if page.capability in ROLE_CAPABILITIES[role]:
        assert response.status_code == page.ok, response.content[:500]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_another_organizations_owner_gets_404(world, client, page):
    client.force_login(world.stranger)
    response = visit(client, page, page.url(PREFIX, world.org.slug, world.names))
    assert response.status_code == 404


@pytest.mark.parametrize("page", [p for p in PAGES if "{" in p.path], ids=str)
def test_foreign_objects_through_own_organization_get_404(world, client, page):
    client.force_login(world.people["owner"])
    response = visit(client, page, page.url(PREFIX, world.org.slug, world.foreign_names))
    assert response.status_code == 404


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_anonymous_is_sent_to_sign_in(world, client, page):
    response = visit(client, page, page.url(PREFIX, world.org.slug, world.names))
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
    from apps.organizations.models import Invitation

    return (
        Invitation.objects.count(),
        Membership.objects.count(),
        Team.objects.count(),
        Organization.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(
    ("path", "data", "field_error"),
    [
        ("members/", {"email": "", "roles": ["member"]}, "This field is required"),
        ("members/", {"email": "x@example.com"}, "Choose at least one role"),
        ("members/", {"email": "x@example.com", "roles": ["emperor"]}, "Select a valid choice"),
        ("members/", {"email": "bad@", "roles": ["member"]}, "Enter a valid e-mail address"),
        ("members/", {"email": "author@example.com", "roles": ["member"]}, "Already a member"),
        ("members/", {"email": "pending@example.com", "roles": ["member"]}, "Already invited"),
        ("members/", {"email": "a\nb@example.com", "roles": ["member"]}, "Enter a valid e-mail"),
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


@pytest.fixture
def sent_invitations(monkeypatch, django_capture_on_commit_callbacks):
    """Run the invitation task in-process so the test can read the e-mail."""
    from apps.organizations.tasks import send_invitation

    monkeypatch.setattr(send_invitation, "delay", lambda *args: send_invitation(*args))
    return mail.outbox


def invite(client, world, email, roles, django_capture_on_commit_callbacks):
    client.force_login(world.people["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/o/{world.org.slug}/members/", {"email": email, "roles": roles})
    assert response.status_code == 302
    body = mail.outbox[-1].body
    link = next(w for w in body.replace("=\n", "").split() if "/invitations/" in w)
    return link.split("127.0.0.1:8000", 1)[1]


def test_new_person_accepts_invitation_with_a_new_account(
    world, client, sent_invitations, django_capture_on_commit_callbacks
):
    path = invite(
        client, world, "Dana@Example.com", ["reviewer"], django_capture_on_commit_callbacks
    )
    assert mail.outbox[-1].to == ["dana@example.com"]
    client.logout()
    page = client.get(path)
    assert b"Join Acme Test" in page.content
    weak = client.post(path, {"username": "dana", "password": "123"})
    assert weak.status_code == 400
    assert not Membership.objects.filter(user__username="dana").exists()
    taken = client.post(path, {"username": "author", "password": "a-long-enough-secret"})
    assert "taken" in taken.content.decode()
    done = client.post(path, {"username": "dana", "password": "a-long-enough-secret"})
    assert done.status_code == 302
    membership = Membership.objects.get(organization=world.org, user__username="dana")
    assert membership.roles == ["reviewer"]
    assert membership.user.email == "dana@example.com"
    assert client.get(f"/o/{world.org.slug}/").status_code == 200  # signed in
    assert client.get(path).status_code == 410  # used


def test_existing_person_accepts_while_signed_in(
    world, client, sent_invitations, django_capture_on_commit_callbacks
):
    path = invite(
        client, world, "stranger@example.com", ["auditor"], django_capture_on_commit_callbacks
    )
    client.force_login(world.stranger)
    assert b"Join as stranger" in client.get(path).content
    assert client.post(path).status_code == 302
    assert Membership.objects.get(organization=world.org, user=world.stranger).roles == ["auditor"]


def test_revoked_and_unknown_invitation_links(
    world, client, sent_invitations, django_capture_on_commit_callbacks
):
    from apps.organizations.models import Invitation

    path = invite(client, world, "x@example.com", ["member"], django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(email="x@example.com")
    client.post(
        f"/o/{world.org.slug}/members/", {"action": "revoke", "invitation": str(invitation.pk)}
    )
    client.logout()
    assert client.get(path).status_code == 410
    assert (
        client.post(path, {"username": "x", "password": "a-long-enough-secret"}).status_code == 410
    )
    assert client.get("/invitations/not-a-token/").status_code == 404


def test_remove_member_and_delete_team(world, client):
    client.force_login(world.people["owner"])
    response = client.post(f"/o/{world.org.slug}/members/member/", {"action": "remove"})
    assert response.status_code == 302
    assert not Membership.objects.filter(organization=world.org, user__username="member").exists()
    assert not world.team.team_memberships.exists()
    spare = Team.objects.get(organization=world.org, key="spare")
    response = client.post(f"/o/{world.org.slug}/teams/spare/", {"action": "delete"})
    assert response.status_code == 302
    assert not Team.objects.filter(pk=spare.pk).exists()
    # A team that a live policy version routes work to stays.
    refused = client.post(
        f"/o/{world.org.slug}/teams/deal-desk/", {"action": "delete"}, follow=True
    )
    assert "Policies route work to deal-desk" in refused.content.decode()
    assert Team.objects.filter(pk=world.team.pk).exists()


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
