"""POST /api/v1/check and /check/batch through HTTP with real keys: every decision, every
reason kind, every error of the contract, and the decision log behind them."""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from apps.agents import services as agent_services
from apps.agents.models import AgentKey
from apps.checks.models import Decision
from apps.policies import services as policy_services
from apps.policies.models import PolicyVersion
from tests.checks.support import post

CASES = [
    (
        {
            "action": "send_follow_up",
            "confidence": 0.95,
            "context": {"channel": "email", "template": "check-in-after-proposal"},
        },
        "allow",
        "action.allowed",
    ),
    ({"action": "fly"}, "deny", "action.unknown"),
    ({"action": "negotiate_terms"}, "deny", "action.out_of_scope"),
    ({"action": "send_follow_up", "context": {"template": "x"}}, "deny", "template.not_approved"),
    ({"action": "send_follow_up", "context": {"channel": "sms"}}, "deny", "channel.not_allowed"),
    (
        {"action": "log_call_notes", "context": {"crm_fields": ["amount"]}},
        "deny",
        "field.not_allowed",
    ),
    (
        {"action": "log_call_notes", "context": {"data_categories": ["payment_card"]}},
        "deny",
        "data.not_permitted",
    ),
    (
        {"action": "draft_proposal", "confidence": 0.99},
        "require_approval",
        "action.requires_approval",
    ),
    (
        {"action": "send_follow_up", "confidence": 0.5},
        "require_approval",
        "confidence.below_threshold",
    ),
    ({"action": "send_follow_up"}, "require_approval", "confidence.below_threshold"),
    (
        {"action": "offer_discount", "confidence": 0.9, "context": {"discount_pct": 10}},
        "require_approval",
        "limit.exceeded",
    ),
    ({"action": "quote_price"}, "escalate", "action.escalate"),
    (
        {"action": "negotiate_terms", "signals": ["pricing_question"]},
        "escalate",
        "trigger.pricing_question",
    ),
]


@pytest.mark.parametrize(("body", "decision", "reason"), CASES, ids=[c[2] for c in CASES])
def test_each_decision_and_reason_through_http(agent_world, body, decision, reason):
    response = post(agent_world.raw_key, {**body, "request_id": "r-1"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["decision"] == decision
    assert data["reasons"][0]["code"] == reason
    assert data["decision_id"].startswith("dec_")
    assert data["policy"] == {"id": "pipeline", "name": "Pipeline", "version": 1}
    assert data["agent"] == {"id": "copilot", "name": "Follow-up copilot"}
    assert data["request_id"] == "r-1"
    assert data["evaluated_at"].endswith("Z")
    row = Decision.objects.get(decision_id=data["decision_id"])
    assert (row.decision, row.primary_reason, row.policy_version.number) == (decision, reason, 1)
    assert row.key_prefix == agent_world.raw_key[: len(row.key_prefix)]


def test_escalation_obligations(agent_world):
    data = post(
        agent_world.raw_key, {"action": "send_follow_up", "signals": ["pricing_question"]}
    ).json()
    assert data["obligations"] == {"route_to_team": "deal-desk", "respond_within_minutes": 30}


def test_kill_switch_and_suspension_take_effect_on_the_next_check(agent_world):
    owner = agent_world.people["owner"]
    body = {"action": "send_follow_up", "confidence": 0.95}
    assert post(agent_world.raw_key, body).json()["decision"] == "allow"
    agent_services.organization_autonomy_set(
        organization=agent_world.org, by=owner, paused=True, reason="incident"
    )
    paused = post(agent_world.raw_key, body).json()
    assert (paused["decision"], paused["reasons"][0]["code"]) == (
        "require_approval",
        "org.autonomy_paused",
    )
    agent_services.agent_suspend(agent=agent_world.agent, by=owner)
    suspended = post(agent_world.raw_key, body)
    assert suspended.status_code == 200
    assert suspended.json()["reasons"][0]["code"] == "agent.suspended"


def test_no_policy_is_deny(agent_world):
    agent_services.agent_update(agent=agent_world.agent, by=agent_world.people["owner"], policy="")
    data = post(agent_world.raw_key, {"action": "send_follow_up"}).json()
    assert (data["decision"], data["reasons"][0]["code"], data["policy"]) == (
        "deny",
        "policy.none_active",
        None,
    )


def test_publication_is_seen_on_the_next_check(agent_world):
    author, reviewer = agent_world.people["author"], agent_world.people["reviewer"]
    policy = PolicyVersion.objects.get(policy__key="pipeline", number=1).policy
    new = policy_services.policy_version_create(policy=policy, by=author)
    doc = new.document
    doc["actions"]["offer_discount"]["limits"]["discount_pct"] = 20
    policy_services.policy_version_edit(version=new, by=author, document=doc, submit=True)
    policy_services.policy_version_approve(version=new, by=reviewer)
    policy_services.policy_version_publish(version=new, by=reviewer)
    data = post(
        agent_world.raw_key,
        {"action": "offer_discount", "confidence": 0.9, "context": {"discount_pct": 10}},
    ).json()
    assert data["decision"] == "allow"
    assert data["policy"]["version"] == new.number


@pytest.mark.parametrize(
    ("header_key", "expected"),
    [("mnd_agent_unknown", 401), ("mnd_pat_xyz", 401), ("", 401)],
)
def test_bad_keys_are_401(agent_world, header_key, expected):
    before = Decision.objects.count()
    response = post(header_key, {"action": "x"})
    assert response.status_code == expected
    assert response.json()["error"]["code"] == "unauthenticated"
    assert Decision.objects.count() == before


def test_revoked_and_expired_keys_fail_on_the_very_next_call(agent_world):
    assert post(agent_world.raw_key, {"action": "x"}).status_code == 200
    prefix = AgentKey.objects.filter(agent=agent_world.agent).latest("created_at").prefix
    agent_services.agent_key_revoke(
        agent=agent_world.agent, by=agent_world.people["owner"], prefix=prefix
    )
    assert post(agent_world.raw_key, {"action": "x"}).status_code == 401
    issued = agent_services.agent_key_create(agent=agent_world.agent, by="test")
    AgentKey.objects.filter(pk=issued.key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert post(issued.raw, {"action": "x"}).status_code == 401


def test_rotation_keeps_the_old_key_until_its_time(agent_world):
    prefix = AgentKey.objects.filter(agent=agent_world.agent).latest("created_at").prefix
    new = agent_services.agent_key_rotate(
        agent=agent_world.agent,
        by=agent_world.people["owner"],
        prefix=prefix,
        old_valid_until=timezone.now() + timedelta(hours=1),
    )
    assert post(agent_world.raw_key, {"action": "x"}).status_code == 200
    assert post(new.raw, {"action": "x"}).status_code == 200
    later = timezone.now() + timedelta(hours=1, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert post(agent_world.raw_key, {"action": "x"}).status_code == 401
        assert post(new.raw, {"action": "x"}).status_code == 200


def test_a_key_of_another_organization_sees_only_its_own(agent_world):
    other_agent = agent_services.agent_create(
        organization=agent_world.other, by=agent_world.stranger, key="copilot", name="Theirs"
    )
    other = agent_services.agent_key_create(agent=other_agent, by="test")
    data = post(other.raw, {"action": "send_follow_up"}).json()
    assert data["agent"]["name"] == "Theirs"
    assert data["reasons"][0]["code"] == "policy.none_active"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "action"),
        ({"action": ""}, "action"),
        ({"action": 5}, "action"),
        ({"action": "x", "confidence": 1.5}, "confidence"),
        ({"action": "x", "confidence": -0.1}, "confidence"),
        ({"action": "x", "confidence": "high"}, "confidence"),
        ({"action": "x", "confidence": True}, "confidence"),
        ({"action": "x", "signals": "pricing_question"}, "signals"),
        ({"action": "x", "signals": [1]}, "signals"),
        ({"action": "x", "context": []}, "context"),
        ({"action": "x", "context": {"data_categories": "pii"}}, "context.data_categories"),
        ({"action": "x", "context": {"channel": 3}}, "context.channel"),
        ({"action": "offer_discount", "context": {"discount_pct": "ten"}}, "context.discount_pct"),
        ({"action": "x", "subject": "D-1"}, "subject"),
        ({"action": "x", "request_id": 7}, "request_id"),
        ({"action": "x", "confidense": 0.9}, "confidense"),
        ([1, 2], "body"),
    ],
)
def test_malformed_requests_are_400_and_record_nothing(agent_world, body, field):
    before = Decision.objects.count()
    response = post(agent_world.raw_key, body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["fields"], error
    assert Decision.objects.count() == before


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        ('{"action": NaN}', 400, "malformed_json"),
        ('{"action": "x", "context": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}", 400, "too_deep"),
        ('{"action": "' + "x" * 70000 + '"}', 413, "too_large"),
        ('{"action": "x", "context": {"a": {"b": [1e400]}}}', 400, "malformed_json"),
        ('{"action": "x", "confidence": 1' + "0" * 400 + "}", 400, "invalid"),
        ("[" * 60000, 400, "malformed_json"),
    ],
)
def test_broken_deep_and_huge_bodies(agent_world, raw, status, code):
    response = post(agent_world.raw_key, None, raw=raw)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_text_no_database_holds_is_recorded_with_replacement_characters(agent_world):
    raw = '{"action": "a\\u0000b", "context": {"note\\u0000": ["\\ud800", "\\ud83d\\ude00"]}}'
    response = post(agent_world.raw_key, None, raw=raw)
    assert response.status_code == 200
    assert response.json()["reasons"][0]["code"] == "action.unknown"
    row = Decision.objects.get(decision_id=response.json()["decision_id"])
    assert row.action == "a\ufffdb"
    assert row.request["context"] == {"note\ufffd": ["\ufffd", "\U0001f600"]}


def test_bodies_other_than_utf8_are_refused(agent_world):
    raw = '{"action": "x", "context": {"n": "\\ud800"}}'.encode("utf-16")
    client = Client()
    response = client.post(
        "/api/v1/check",
        raw,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {agent_world.raw_key}",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


@pytest.mark.parametrize("path", ["/api/v1/check/", "/api/v1/check/batch/"])
def test_a_trailing_slash_is_named_not_redirected(agent_world, path):
    response = post(agent_world.raw_key, {"action": "x"}, path=path)
    assert response.status_code == 404
    assert path.rstrip("/") + " (no trailing slash)" in response.json()["error"]["message"]


def test_get_is_405_json(agent_world):
    response = Client().get("/api/v1/check", HTTP_AUTHORIZATION=f"Bearer {agent_world.raw_key}")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_batch_keeps_order_and_fails_whole_on_one_bad_item(agent_world):
    checks = [
        {"action": "fly"},
        {"action": "quote_price"},
        {"action": "send_follow_up", "confidence": 0.9},
    ]
    before = Decision.objects.count()
    response = post(agent_world.raw_key, {"checks": checks}, path="/api/v1/check/batch")
    assert response.status_code == 200
    assert [r["decision"] for r in response.json()["results"]] == ["deny", "escalate", "allow"]
    assert Decision.objects.count() == before + 3
    bad = post(
        agent_world.raw_key,
        {"checks": [{"action": "x"}, {"action": "x", "confidence": 9}]},
        path="/api/v1/check/batch",
    )
    assert bad.status_code == 400
    assert "checks.1.confidence" in bad.json()["error"]["fields"]
    assert Decision.objects.count() == before + 3
    for body in ({"checks": []}, {"checks": [{"action": "x"}] * 101}, {"nope": 1}):
        assert post(agent_world.raw_key, body, path="/api/v1/check/batch").status_code == 400


def test_sensitive_context_is_masked_in_the_log(agent_world):
    data = post(
        agent_world.raw_key,
        {
            "action": "send_follow_up",
            "context": {"email": "jo@example.com", "channel": "email", "nested": {"phone": "555"}},
        },
    ).json()
    row = Decision.objects.get(decision_id=data["decision_id"])
    assert row.request["context"]["email"] == "***"
    assert row.request["context"]["nested"]["phone"] == "***"
    assert row.request["context"]["channel"] == "email"
    assert sorted(row.masked_paths) == ["context.email", "context.nested.phone"]


def test_a_decision_that_cannot_be_recorded_is_not_given(agent_world, monkeypatch):
    from django.db import DatabaseError

    from apps.checks import agent_api

    def broken(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(agent_api, "decisions_record", broken)
    response = post(agent_world.raw_key, {"action": "send_follow_up"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


def test_rate_limit_answers_429_with_retry_after(agent_world, settings):
    settings.MANDATE_CHECK_RATE_PER_SECOND = 2
    statuses = [post(agent_world.raw_key, {"action": "x"}).status_code for _ in range(5)]
    assert 429 in statuses
    limited = post(agent_world.raw_key, {"action": "x"})
    if limited.status_code == 429:
        assert limited["Retry-After"] == "1"
