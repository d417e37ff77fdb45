"""The management API for organizations, members and teams: every endpoint, every role,
cross-organization access, authentication and the error shape."""

import pytest

from apps.humans.models import Approval
from apps.organizations.constants import ROLE_CAPABILITIES, Role
from apps.organizations.models import Membership, Team
from tests.tenancy import API_ENDPOINTS, Endpoint

PREFIX = "/api/v1/orgs/{org}/"


def call(client, endpoint: Endpoint, url: str):
    return getattr(client, endpoint.method.lower())(url, endpoint.body, format="json")


@pytest.mark.parametrize("endpoint", API_ENDPOINTS, ids=str)
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_gets_exactly_its_capabilities(world, api_as, endpoint, role):
    url = endpoint.url(PREFIX, world.org.slug, world.names)
    response = call(api_as(world.people[role]), endpoint, url)
    if endpoint.capability in ROLE_CAPABILITIES[role]:
        assert response.status_code == endpoint.ok, response.content
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("endpoint", API_ENDPOINTS, ids=str)
def test_another_organizations_owner_gets_404(world, api_as, endpoint):
    url = endpoint.url(PREFIX, world.org.slug, world.names)
    response = call(api_as(world.stranger), endpoint, url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("endpoint", [e for e in API_ENDPOINTS if "{" in e.path], ids=str)
def test_foreign_objects_through_own_organization_get_404(world, api_as, endpoint):
    url = endpoint.url(PREFIX, world.org.slug, world.foreign_names)
    response = call(api_as(world.people["owner"]), endpoint, url)
    assert response.status_code == 404
    assert Membership.objects.filter(organization=world.other, user__username="outsider").exists()
    assert Team.objects.filter(pk=world.other_team.pk, name="Other Team").exists()


def test_missing_and_foreign_organizations_answer_identically(world, api_as):
    client = api_as(world.people["owner"])
    foreign = client.get(f"/api/v1/orgs/{world.other.slug}/members/")
    missing = client.get("/api/v1/orgs/no-such-org/members/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


@pytest.mark.parametrize("endpoint", API_ENDPOINTS, ids=str)
def test_unauthenticated_calls_get_401(world, client, endpoint):
    url = endpoint.url(PREFIX, world.org.slug, world.names)
    response = getattr(client, endpoint.method.lower())(url, content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthenticated"


def test_session_authentication_works_with_csrf(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.people["owner"])
    assert client.get(f"/api/v1/orgs/{world.org.slug}/members/").status_code == 200
    response = client.post(
        f"/api/v1/orgs/{world.org.slug}/teams/",
        {"key": "x", "name": "X"},
        content_type="application/json",
    )
    assert response.status_code == 403  # no CSRF token


def test_list_my_organizations_shows_only_mine_with_roles(world, api_as):
    response = api_as(world.people["author"]).get("/api/v1/orgs/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "slug": "acme-test",
            "name": "Acme Test",
            "created_at": response.json()[0]["created_at"],
            "roles": ["author"],
        }
    ]


def test_create_organization_makes_caller_owner(world, api_as):
    client = api_as(world.people["member"])
    response = client.post("/api/v1/orgs/", {"name": "Initech", "slug": "initech"}, format="json")
    assert response.status_code == 201
    assert response.json()["roles"] == ["owner"]
    assert client.get("/api/v1/orgs/initech/members/").json()["results"][0]["roles"] == ["owner"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "X"}, 400, "slug"),
        ({"name": "X", "slug": "Not A Slug"}, 400, "slug"),
        ({"name": "X", "slug": " fine"}, 400, "slug"),
        ({"name": "", "slug": "fine"}, 400, "name"),
        ({"name": "Two\nlines", "slug": "fine"}, 400, "name"),
        ({"name": "X", "slug": "api"}, 400, "slug"),
        ({"name": "X", "slug": "fine", "plan": "gold"}, 400, "plan"),
        # Well-formed, but another organization has the slug: the state refuses it.
        ({"name": "X", "slug": "acme-test"}, 409, "slug"),
    ],
)
def test_create_organization_rejects_bad_input(world, api_as, body, status, field):
    response = api_as(world.people["owner"]).post("/api/v1/orgs/", body, format="json")
    assert response.status_code == status
    assert field in response.json()["error"]["fields"]


def test_members_list_shape(world, api_as):
    body = api_as(world.people["auditor"]).get(f"/api/v1/orgs/{world.org.slug}/members/").json()
    assert body["count"] == 5
    member = next(m for m in body["results"] if m["username"] == "member")
    assert member["roles"] == ["member"]
    assert member["teams"] == ["deal-desk"]
    assert set(member) == {"username", "email", "name", "roles", "teams", "joined_at"}


def test_invite_answers_alike_for_known_and_unknown_people(world, api_as):
    """An owner learns nothing about people outside the organization by inviting them."""
    client = api_as(world.people["owner"])
    url = f"/api/v1/orgs/{world.org.slug}/members/"
    known = client.post(url, {"email": "stranger@example.com", "roles": ["member"]}, format="json")
    unknown = client.post(url, {"email": "nobody@example.com", "roles": ["member"]}, format="json")
    assert known.status_code == unknown.status_code == 201
    assert set(known.json()) == set(unknown.json())
    assert known.json()["status"] == "pending"
    # The invited person is not a member until they accept.
    assert not Membership.objects.filter(organization=world.org, user=world.stranger).exists()
    members = client.get(url).json()["results"]
    assert "stranger" not in {m["username"] for m in members}


def test_invitations_list_resend_revoke(world, api_as):
    client = api_as(world.people["owner"])
    base = f"/api/v1/orgs/{world.org.slug}/invitations/"
    listed = client.get(base).json()["results"]
    assert [i["email"] for i in listed] == ["pending@example.com"]
    pk = listed[0]["id"]
    assert client.post(f"{base}{pk}/resend/").json()["status"] == "pending"
    assert client.post(f"{base}{pk}/revoke/").json()["status"] == "revoked"
    again = client.post(f"{base}{pk}/revoke/")
    assert again.status_code == 409
    assert again.json()["error"]["fields"] == {"status": "revoked"}


def test_last_owner_cannot_be_demoted_or_removed(world, api_as):
    client = api_as(world.people["owner"])
    url = f"/api/v1/orgs/{world.org.slug}/members/owner/"
    response = client.patch(url, {"roles": ["member"]}, format="json")
    assert response.status_code == 409
    assert client.delete(url).status_code == 409
    assert Membership.objects.get(organization=world.org, user__username="owner").roles == ["owner"]


def test_team_create_with_members_and_errors(world, api_as):
    client = api_as(world.people["owner"])
    url = f"/api/v1/orgs/{world.org.slug}/teams/"
    ok = client.post(url, {"key": "se", "name": "SE", "members": ["author"]}, format="json")
    assert ok.status_code == 201
    assert ok.json()["members"] == ["author"]

    duplicate = client.post(url, {"key": "deal-desk", "name": "Again"}, format="json")
    assert duplicate.status_code == 409
    assert "key" in duplicate.json()["error"]["fields"]

    stranger = client.post(url, {"key": "t2", "name": "T2", "members": ["outsider"]}, format="json")
    assert stranger.status_code == 409
    assert "members" in stranger.json()["error"]["fields"]
    assert not Team.objects.filter(organization=world.org, key="t2").exists()

    bad_key = client.post(url, {"key": "Bad Key!", "name": "T3"}, format="json")
    assert bad_key.status_code == 400
    assert "key" in bad_key.json()["error"]["fields"]


def test_team_patch_members(world, api_as):
    client = api_as(world.people["owner"])
    url = f"/api/v1/orgs/{world.org.slug}/teams/deal-desk/"
    response = client.patch(url, {"members": ["member", "reviewer"]}, format="json")
    assert response.status_code == 200
    assert response.json()["members"] == ["member", "reviewer"]


def test_same_team_key_in_two_organizations_is_fine(world, api_as):
    response = api_as(world.stranger).post(
        f"/api/v1/orgs/{world.other.slug}/teams/", {"key": "deal-desk", "name": "DD"}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('{"key": "t", "name": NaN}', "malformed_json"),
        ('{"key": "t", "name": 1e400}', "malformed_json"),
        ('{"key": "t", "name": "x"', "malformed_json"),
        ('{"key": "t", "name": ' + "[" * 100 + "]" * 100 + "}", "too_deep"),
        ('{"key": "t", "name": ' + "[" * 5000 + "]" * 5000 + "}", "too_deep"),
    ],
)
def test_every_api_body_is_read_one_way(world, api_as, text, code):
    response = api_as(world.people["owner"]).generic(
        "POST", f"/api/v1/orgs/{world.org.slug}/teams/", text, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("text", [r"a\u0000b", r"a\ud800b"])
def test_text_the_database_cannot_hold_is_stored_replaced_in_free_json(world, api_as, text):
    """NUL and a lone surrogate inside free JSON (an edited draft), which no schema narrows,
    are stored as U+FFFD, not a database error."""
    approval = Approval.objects.get(organization=world.org)
    body = '{"final_draft": {"kind": "email", "body": "' + text + '"}}'
    response = api_as(world.people["member"]).generic(
        "POST",
        f"/api/v1/orgs/{world.org.slug}/approvals/{approval.public_id}/edit/",
        body,
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    approval.refresh_from_db()
    assert approval.final_draft["body"] == "a\ufffdb"


def test_malformed_json_is_a_clear_400(world, api_as):
    response = api_as(world.people["owner"]).generic(
        "POST",
        f"/api/v1/orgs/{world.org.slug}/teams/",
        "{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_unknown_api_path_is_json_404(world, api_as):
    response = api_as(world.people["owner"]).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_method_not_in_permission_map_is_405(world, api_as):
    response = api_as(world.people["owner"]).put(f"/api/v1/orgs/{world.org.slug}/members/", {})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/orgs/{org}/members/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"<script" in docs.content
    assert b"cdn" not in docs.content.lower()


def test_superuser_gets_no_capability_beyond_their_roles(world, api_as):
    member = world.people["member"]
    member.is_superuser = True
    member.save()
    response = api_as(member).post(
        f"/api/v1/orgs/{world.org.slug}/teams/", {"key": "x", "name": "X"}, format="json"
    )
    assert response.status_code == 403


def test_missing_trailing_slash_is_a_308_that_keeps_the_body(world, api_as):
    response = api_as(world.people["owner"]).post(
        f"/api/v1/orgs/{world.org.slug}/teams?x=1", {"key": "x", "name": "X"}, format="json"
    )
    assert response.status_code == 308
    assert response["Location"] == f"/api/v1/orgs/{world.org.slug}/teams/?x=1"
    assert response.json()["error"]["code"] == "trailing_slash"


@pytest.mark.parametrize("path", ["/api", "/api/nothing", "/api/v1/orgs/x/y/z/"])
def test_unknown_api_paths_are_json_even_with_debug(world, api_as, settings, path):
    settings.DEBUG = True
    response = api_as(world.people["owner"]).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_server_errors_are_json_even_with_debug(world, api_as, settings, monkeypatch):
    from apps.organizations import api

    settings.DEBUG = True
    monkeypatch.setattr(api, "members_list", lambda **kw: 1 / 0)
    client = api_as(world.people["owner"])
    client.raise_request_exception = False
    response = client.get(f"/api/v1/orgs/{world.org.slug}/members/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


def test_oversized_body_is_413(world, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(world.people["owner"]).post(
        f"/api/v1/orgs/{world.org.slug}/teams/",
        {"key": "x", "name": "X" * 5000},
        format="json",
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
