"""Sign-ins, failed sign-ins and refused permission checks are recorded, each once: a
person's in every organization they belong to (with the address and browser), a name that
belongs to no member as a SignInAttempt, a refusal as permission.refused in the
organization whose page or endpoint refused."""

import pytest
from django.test import Client

from apps.accounts.models import SignInAttempt
from apps.audit.models import AuditEvent
from apps.audit.verification import audit_verify
from apps.organizations.constants import Role
from apps.organizations.models import Membership
from apps.organizations.services import membership_set_roles
from tests.conftest import token_client
from tests.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36"
WHERE = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": BROWSER}


def sign_in(username: str, password: str):
    return Client().post("/accounts/login/", {"username": username, "password": password}, **WHERE)


def events(verb: str):
    return AuditEvent.objects.filter(verb=verb).order_by("organization_id", "seq")


def test_a_sign_in_is_recorded_once_in_each_of_the_persons_organizations(world):
    make_member(world.other, [Role.AUDITOR], world.people["author"])
    before = AuditEvent.objects.count()
    response = sign_in("author", PASSWORD)
    assert response.status_code == 302
    recorded = list(events("user.signed_in"))
    assert [e.organization_id for e in recorded] == sorted([world.org.pk, world.other.pk])
    for event in recorded:
        assert event.actor == "author"
        assert event.actor_user == world.people["author"]
        assert (event.object_type, event.object_repr) == ("accounts.user", "author")
        assert (event.ip, event.user_agent, event.via) == ("203.0.113.7", BROWSER, "web")
    assert AuditEvent.objects.count() == before + 2
    assert not SignInAttempt.objects.exists()
    assert audit_verify(organization=world.org).ok


def test_a_failed_sign_in_of_a_member_is_recorded_in_their_organizations(world):
    response = sign_in("reviewer", "not-the-password")
    assert response.status_code == 200  # the form again, with its error
    recorded = list(events("user.sign_in_failed"))
    assert len(recorded) == 1
    event = recorded[0]
    assert event.organization_id == world.org.pk
    assert (event.actor_type, event.actor_user) == ("system", None)
    assert event.object_repr == "reviewer"
    assert event.after == {"username": "reviewer"}
    assert (event.ip, event.user_agent) == ("203.0.113.7", BROWSER)
    assert not events("user.signed_in").exists()
    assert not SignInAttempt.objects.exists()


def test_a_failed_sign_in_naming_nobody_is_kept_outside_every_organization(world):
    before = AuditEvent.objects.count()
    sign_in("mallory", "guess")
    assert AuditEvent.objects.count() == before
    attempt = SignInAttempt.objects.get()
    assert (attempt.username, attempt.ip, attempt.user_agent) == ("mallory", "203.0.113.7", BROWSER)


def test_a_person_in_no_organization(world):
    UserFactory(username="loner")
    before = AuditEvent.objects.count()
    sign_in("loner", "wrong")
    assert SignInAttempt.objects.get().username == "loner"
    assert sign_in("loner", PASSWORD).status_code == 302
    assert AuditEvent.objects.count() == before  # nowhere to record it, and nothing to see
    assert SignInAttempt.objects.count() == 1


def test_a_session_opened_without_a_request_is_nobodys_sign_in(world):
    before = AuditEvent.objects.count()
    client = Client()
    client.force_login(world.people["author"])
    assert not client.login(username="author", password="wrong")
    assert AuditEvent.objects.count() == before
    assert not SignInAttempt.objects.exists()


def test_a_refused_page_is_recorded_once(world):
    client = Client(**WHERE)
    client.force_login(world.people["member"])
    before = AuditEvent.objects.count()
    response = client.get(f"/o/{world.org.slug}/activity/", **WHERE)
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before + 1
    event = events("permission.refused").get()
    assert event.organization_id == world.org.pk
    assert event.actor == "member"
    assert event.after == {
        "method": "GET",
        "path": f"/o/{world.org.slug}/activity/",
        "capability": "view_audit",
    }
    assert (event.ip, event.user_agent, event.via) == ("203.0.113.7", BROWSER, "web")
    assert event.object_repr == f"GET /o/{world.org.slug}/activity/"
    assert audit_verify(organization=world.org).ok


def test_a_refused_form_is_recorded_and_changes_nothing_else(world):
    client = Client()
    client.force_login(world.people["auditor"])
    before = AuditEvent.objects.count()
    response = client.post(f"/o/{world.org.slug}/teams/", {"key": "x", "name": "X"})
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before + 1
    assert events("permission.refused").get().after["capability"] == "manage_teams"


def test_a_refused_api_call_is_recorded_once(world):
    response = token_client(world.people["member"]).get(
        f"/api/v1/orgs/{world.org.slug}/decisions/", **WHERE
    )
    assert response.status_code == 403
    event = events("permission.refused").get()
    assert event.after == {
        "method": "GET",
        "path": f"/api/v1/orgs/{world.org.slug}/decisions/",
        "capability": "view_decisions",
    }
    assert (event.via, event.ip) == ("api", "203.0.113.7")


def test_a_refusal_by_a_service_is_recorded_with_its_reason(world):
    """The author may review in general, but never their own version: a 403 from the
    service, recorded once its transaction has rolled back."""
    membership_set_roles(
        membership=Membership.objects.get(organization=world.org, user=world.people["author"]),
        by=world.people["owner"],
        roles=[Role.AUTHOR, Role.REVIEWER],
    )
    before = AuditEvent.objects.exclude(verb="permission.refused").count()
    response = token_client(world.people["author"]).post(
        f"/api/v1/orgs/{world.org.slug}/policies/pipeline/versions/2/approve/",
        {"comment": "mine"},
        format="json",
    )
    assert response.status_code == 403, response.content
    event = events("permission.refused").get()
    assert event.after["capability"] == "review_policies"
    assert event.after["reason"] == response.json()["error"]["message"]
    assert AuditEvent.objects.exclude(verb="permission.refused").count() == before


@pytest.mark.parametrize(
    ("path", "data", "capability", "reason"),
    [
        (
            "inbox/approvals/{approval}/",
            {"verdict": "approve"},
            "work_inbox",
            "Only members of the routed team (or owners) decide this approval.",
        ),
        (
            "inbox/handoffs/{handoff}/",
            {"action": "claim"},
            "work_inbox",
            "Only members of the routed team (or owners) work this handoff.",
        ),
    ],
)
def test_a_refusal_by_a_service_on_an_inbox_page_is_recorded_with_its_reason(
    world, path, data, capability, reason
):
    """Someone who works the inbox, but not in the team the item is routed to: the page
    says no and records the refusal, as the API does; nothing else is written."""
    nina = make_member(world.org, [Role.MEMBER], UserFactory(username="nina"))
    client = Client(**WHERE)
    client.force_login(nina)
    url = f"/o/{world.org.slug}/" + path.format(**world.names)
    before = AuditEvent.objects.exclude(verb="permission.refused").count()
    response = client.post(url, data, follow=True, **WHERE)
    assert reason in response.content.decode()
    event = events("permission.refused").get()
    assert event.organization_id == world.org.pk
    assert event.actor == "nina"
    assert event.after == {
        "method": "POST",
        "path": url,
        "capability": capability,
        "reason": reason,
    }
    assert (event.ip, event.via) == ("203.0.113.7", "web")
    assert AuditEvent.objects.exclude(verb="permission.refused").count() == before
    assert audit_verify(organization=world.org).ok


def test_reviewing_ones_own_version_on_its_page_is_recorded(world):
    membership_set_roles(
        membership=Membership.objects.get(organization=world.org, user=world.people["author"]),
        by=world.people["owner"],
        roles=[Role.AUTHOR, Role.REVIEWER],
    )
    client = Client()
    client.force_login(world.people["author"])
    response = client.post(
        f"/o/{world.org.slug}/policies/pipeline/v/2/approve/", {"comment": "mine"}, follow=True
    )
    assert "Nobody reviews a version they wrote" in response.content.decode()
    event = events("permission.refused").get()
    assert event.after["capability"] == "review_policies"
    assert event.after["reason"].startswith("Nobody reviews a version they wrote")


def test_a_conflict_on_an_inbox_page_is_no_refusal(world):
    """Coming second is not being refused: nothing is recorded for it."""
    from apps.humans.models import Handoff
    from apps.humans.services import handoff_claim

    handoff = Handoff.objects.get(public_id=world.names["handoff"])
    handoff_claim(handoff=handoff, by=world.people["member"])
    client = Client()
    client.force_login(world.people["owner"])
    response = client.post(
        f"/o/{world.org.slug}/inbox/handoffs/{handoff.public_id}/", {"action": "claim"}, follow=True
    )
    assert "already being worked" in response.content.decode()
    assert not events("permission.refused").exists()


def test_strangers_get_404_and_leave_no_trace_in_the_organization(world):
    client = Client()
    client.force_login(world.stranger)
    before = AuditEvent.objects.filter(organization=world.org).count()
    assert client.get(f"/o/{world.org.slug}/activity/").status_code == 404
    assert AuditEvent.objects.filter(organization=world.org).count() == before
