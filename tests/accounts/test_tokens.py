"""Personal access tokens: hashed at rest, shown once, revocable, expiring, and refused
for agent keys."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import PersonalAccessToken
from apps.accounts.services import personal_token_create, personal_token_revoke, token_hash
from apps.core.constants import AGENT_KEY_PREFIX, PERSONAL_TOKEN_PREFIX
from apps.core.errors import NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_token_is_stored_only_as_a_hash(world):
    issued = personal_token_create(user=world.people["owner"], name="ci")
    assert issued.raw.startswith(PERSONAL_TOKEN_PREFIX)
    assert len(issued.raw) > 40
    row = PersonalAccessToken.objects.get(pk=issued.token.pk)
    assert row.token_hash == token_hash(issued.raw)
    assert issued.raw not in {row.prefix, row.token_hash, row.name}
    assert issued.raw.startswith(row.prefix)


def test_token_authenticates_and_records_last_use(world):
    issued = personal_token_create(user=world.people["owner"], name="ci")
    assert bearer(issued.raw).get("/api/v1/orgs/").status_code == 200
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


def test_revoked_token_stops_working_at_once(world):
    issued = personal_token_create(user=world.people["owner"], name="ci")
    client = bearer(issued.raw)
    assert client.get("/api/v1/orgs/").status_code == 200
    personal_token_revoke(user=world.people["owner"], prefix=issued.token.prefix)
    response = client.get("/api/v1/orgs/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_expired_token_is_refused(world):
    issued = personal_token_create(
        user=world.people["owner"], name="ci", expires_at=timezone.now() + timedelta(seconds=30)
    )
    PersonalAccessToken.objects.filter(pk=issued.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert bearer(issued.raw).get("/api/v1/orgs/").status_code == 401


@pytest.mark.parametrize("raw", ["garbage", PERSONAL_TOKEN_PREFIX + "unknown", ""])
def test_unknown_tokens_get_401(db, raw):
    assert bearer(raw).get("/api/v1/orgs/").status_code == 401


def test_agent_key_is_refused_with_403(db):
    response = bearer(AGENT_KEY_PREFIX + "abcdef").get("/api/v1/orgs/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_token_of_deactivated_user_is_refused(world):
    user = world.people["author"]
    issued = personal_token_create(user=user, name="ci")
    user.is_active = False
    user.save()
    assert bearer(issued.raw).get("/api/v1/orgs/").status_code == 401


def test_cannot_revoke_someone_elses_token(world):
    issued = personal_token_create(user=world.people["owner"], name="ci")
    with pytest.raises(NotFound):
        personal_token_revoke(user=world.people["author"], prefix=issued.token.prefix)


def test_bad_input(world):
    with pytest.raises(ValidationFailed):
        personal_token_create(user=world.people["owner"], name="  ")
    with pytest.raises(ValidationFailed):
        personal_token_create(
            user=world.people["owner"], name="x", expires_at=timezone.now() - timedelta(days=1)
        )


def test_tokens_api_create_list_revoke(world, api_as):
    client = api_as(world.people["owner"])
    created = client.post("/api/v1/tokens/", {"name": "pipeline"}, format="json")
    assert created.status_code == 201
    raw = created.json()["token"]
    listed = client.get("/api/v1/tokens/").json()
    assert {t["prefix"] for t in listed} >= {created.json()["prefix"]}
    assert all("token" not in t for t in listed)
    assert bearer(raw).get("/api/v1/orgs/").status_code == 200
    revoked = client.post(f"/api/v1/tokens/{created.json()['prefix']}/revoke/")
    assert revoked.status_code == 200
    assert bearer(raw).get("/api/v1/orgs/").status_code == 401
    bad = client.post("/api/v1/tokens/", {"name": ""}, format="json")
    assert bad.status_code == 400
    assert "name" in bad.json()["error"]["fields"]


def test_create_user_token_command_prints_token_last(world):
    out = StringIO()
    call_command("create_user_token", "owner", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip().splitlines()[-1]
    assert bearer(raw).get("/api/v1/orgs/").status_code == 200
    with pytest.raises(CommandError):
        call_command("create_user_token", "nobody", stdout=StringIO(), stderr=StringIO())
