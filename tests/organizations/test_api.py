"""The management API for organizations, members and teams: every endpoint, every role,
cross-organization access, authentication and the error shape."""

import pytest

from apps.organizations.constants import ROLE_CAPABILITIES, Role
from apps.organizations.models import Membership, Team
from tests.tenancy import API_ENDPOINTS, FOREIGN_NAMES, OWN_NAMES, Endpoint

PREFIX = "/api/v1/orgs/{org}/"


def call(client, endpoint: Endpoint, url: str):
    return getattr(client, endpoint.method.lower())(url, endpoint.body, format="json")


@pytest.mark.parametrize("endpoint", API_ENDPOINTS, ids=str)
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_gets_exactly_its_capabilities(world, api_as, endpoint, role):
    url = endpoint.url(PREFIX, world.org.slug, OWN_NAMES)
    response = call(api_as(world.people[role]), endpoint, url)
    if endpoint.capability in ROLE_CAPABILITIES[role]:
        assert response.status_code == endpoint.ok, response.content
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("endpoint", API_ENDPOINTS, ids=str)
def test_another_organizations_owner_gets_404(world, api_as, endpoint):
    url = endpoint.url(PREFIX, world.org.slug, OWN_NAMES)
    response = call(api_as(world.stranger), endpoint, url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("endpoint", [e for e in API_ENDPOINTS if "{" in e.path], ids=str)
def test_foreign_objects_through_own_organization_get_404(world, api_as, endpoint):
    url = endpoint.url(PREFIX, world.org.slug, FOREIGN_NAMES)
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
    url = endpoint.url(PREFIX, world.org.slug, OWN_NAMES)
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
    ("body", "field"),
    [
        ({"name": "X"}, "slug"),
        ({"name": "X", "slug": "Not A Slug"}, "slug"),
        ({"name": "X", "slug": "acme-test"}, "slug"),
        ({"name": "", "slug": "fine"}, "name"),
        ({"name": "X", "slug": "api"}, "slug"),
    ],
)
def test_create_organization_rejects_bad_input(world, api_as, body, field):
    response = api_as(world.people["owner"]).post("/api/v1/orgs/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_members_list_shape(world, api_as):
    body = api_as(world.people["auditor"]).get(f"/api/v1/orgs/{world.org.slug}/members/").json()
    assert body["count"] == 5
    member = next(m for m in body["results"] if m["username"] == "member")
    assert member["roles"] == ["member"]
    assert member["teams"] == ["deal-desk"]
    assert set(member) == {"username", "email", "name", "roles", "teams", "joined_at"}


def test_add_existing_user_by_username(world, api_as):
    from tests.factories import UserFactory

    UserFactory(username="newbie")
    response = api_as(world.people["owner"]).post(
        f"/api/v1/orgs/{world.org.slug}/members/",
        {"username": "newbie", "roles": ["reviewer", "author"]},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["roles"] == ["author", "reviewer"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"roles": ["member"]}, "email"),
        ({"email": "x@example.com", "roles": []}, "roles"),
        ({"email": "x@example.com", "roles": ["emperor"]}, "roles.0"),
        ({"email": "not-an-email", "roles": ["member"]}, "email"),
        ({"username": "ghost", "roles": ["member"]}, "username"),
        ({"username": "author", "roles": ["member"]}, "username"),
        ({"email": "x@example.com", "roles": "member"}, "roles"),
    ],
)
def test_add_member_rejects_bad_input_and_saves_nothing(world, api_as, body, field):
    before = Membership.objects.count()
    response = api_as(world.people["owner"]).post(
        f"/api/v1/orgs/{world.org.slug}/members/", body, format="json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert Membership.objects.count() == before


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
    assert duplicate.status_code == 400
    assert "key" in duplicate.json()["error"]["fields"]

    stranger = client.post(url, {"key": "t2", "name": "T2", "members": ["outsider"]}, format="json")
    assert stranger.status_code == 400
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
