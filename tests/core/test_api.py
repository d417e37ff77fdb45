"""The management API accepts exactly what its schema says: strings as sent (no numbers turned
into text, no NUL), JSON booleans and integers, RFC 3339 times, one value per query parameter;
what breaks that answers 400, and what the current state refuses of a well-formed request
answers 409."""

from datetime import UTC, datetime

import pytest

from apps.core.api import parse_rfc3339


def org_url(world, path=""):
    return f"/api/v1/orgs/{world.org.slug}/{path}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-31T17:00:00Z", datetime(2026, 12, 31, 17, tzinfo=UTC)),
        ("2026-12-31t17:00:00.5+01:00", datetime(2026, 12, 31, 16, 0, 0, 500000, tzinfo=UTC)),
        ("0001-01-01T00:00:00+05:00", datetime.min.replace(tzinfo=UTC)),
        ("9999-12-31T23:00:00-05:00", datetime.max.replace(tzinfo=UTC)),
        ("2026-12-31", None),
        ("2026-12-31 17:00:00Z", None),
        ("2026-12-31T17:00:00", None),
        ("2026-02-30T17:00:00Z", None),
        ("٢٠٢٦-12-31T17:00:00Z", None),
    ],
)
def test_rfc3339_times(text, expected):
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": 5, "name": "Five"}, "key"),
        ({"key": "five", "name": 5}, "name"),
        ({"key": "five", "name": "Five", "description": "a\x00b"}, "description"),
        ({"key": "five", "name": "   "}, "name"),
        ({"key": "five", "name": "Five", "members": "owner"}, "members"),
    ],
)
def test_strings_are_strings_as_sent(world, api_as, body, field):
    response = api_as(world.people["owner"]).post(org_url(world, "teams/"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_booleans_and_integers_are_json_ones(world, api_as):
    owner = api_as(world.people["owner"])
    put = owner.put(org_url(world, "autonomy/"), {"paused": "true", "reason": "x"}, format="json")
    assert put.status_code == 400
    assert "paused" in put.json()["error"]["fields"]
    author = api_as(world.people["author"])
    rollback = author.post(org_url(world, "policies/pipeline/versions/"), {"based_on": "1"})
    assert rollback.status_code == 400
    assert "based_on" in rollback.json()["error"]["fields"]


def test_pausing_needs_a_reason_resuming_does_not(world, api_as):
    owner = api_as(world.people["owner"])
    refused = owner.put(org_url(world, "autonomy/"), {"paused": True}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()["error"]["fields"]
    paused = owner.put(org_url(world, "autonomy/"), {"paused": True, "reason": "Audit"})
    assert paused.status_code == 200
    again = owner.put(org_url(world, "autonomy/"), {"paused": True, "reason": "Audit"})
    assert again.status_code == 409
    assert owner.put(org_url(world, "autonomy/"), {"paused": False}).status_code == 200


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=x", "page_size=0", "page_size=1.5", "page=1&page=2", "page_size="],
)
def test_pagination_parameters_are_whole_numbers_given_once(world, api_as, query):
    response = api_as(world.people["owner"]).get(org_url(world, f"members/?{query}"))
    assert response.status_code == 400


def test_pagination_past_the_last_page_is_404_and_a_large_page_size_is_capped(world, api_as):
    client = api_as(world.people["owner"])
    assert client.get(org_url(world, "members/?page=99")).status_code == 404
    assert client.get(org_url(world, "members/?page_size=100000")).status_code == 200


@pytest.mark.parametrize(
    "query", ["since=2026-11-01", "until=yesterday", "decision=", "agent=a&agent=b", "agent=%00"]
)
def test_decision_filters_are_checked(world, api_as, query):
    response = api_as(world.people["owner"]).get(org_url(world, f"decisions/?{query}"))
    assert response.status_code == 400


def test_names_the_state_does_not_hold_are_conflicts(world, api_as):
    owner = api_as(world.people["owner"])
    agent = owner.post(
        org_url(world, "agents/"), {"key": "scout", "name": "Scout", "team": "nope"}, format="json"
    )
    assert agent.status_code == 409
    assert "team" in agent.json()["error"]["fields"]
    past = owner.post("/api/v1/tokens/", {"name": "ci", "expires_at": "2001-01-01T00:00:00Z"})
    assert past.status_code == 409
    assert "expires_at" in past.json()["error"]["fields"]


def test_a_document_that_breaks_the_format_is_400_one_naming_unknown_entries_409(world, api_as):
    author = api_as(world.people["author"])
    versions = org_url(world, "policies/pipeline/versions/")
    broken = {"format": 1, "name": "X", "actions": {"send_follow_up": {"mode": "escalate"}}}
    response = author.post(versions, {"document": broken}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "document.actions.send_follow_up.route_to_team": "is required when mode is escalate"
    }
    unknown = {"format": 1, "name": "X", "actions": {"fly_to_the_moon": {"mode": "autonomous"}}}
    response = author.post(versions, {"document": unknown}, format="json")
    assert response.status_code == 409
    assert "document.actions.fly_to_the_moon" in response.json()["error"]["fields"]


def test_imported_json_pairs_read_as_yaml_are_one_character(world, api_as):
    author = api_as(world.people["author"])
    text = '{"format": 1, "name": "Smile \\ud83d\\ude00"}'
    response = author.post(
        org_url(world, "policies/pipeline/versions/"), {"text": text, "format": "yaml"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["document"]["name"] == "Smile \U0001f600"
