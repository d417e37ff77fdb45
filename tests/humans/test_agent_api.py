"""The human loop through HTTP with real agent keys: submitting drafts, handing off,
learning outcomes, reporting what was done — and every refusal the contract names."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.agents import services as agent_services
from apps.humans import services
from apps.humans.models import Approval, Handoff, Outcome
from tests.conftest import record_decision, record_routed_decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def loop(world):
    agent = world.org.agents.get(key="copilot")
    issued = agent_services.agent_key_create(agent=agent, by=world.people["owner"])
    world.agent, world.key = agent, issued.key
    world.client = APIClient()
    world.client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    world.asked = record_routed_decision(
        issued.key,
        action="offer_discount",
        outcome="require_approval",
        obligations={"approver_team": "deal-desk", "expires_after_hours": 24},
    )
    world.escalated = record_routed_decision(
        issued.key,
        action="quote_price",
        outcome="escalate",
        obligations={"route_to_team": "deal-desk", "respond_within_minutes": 15},
    )
    return world


DRAFT = {"kind": "email", "to": "priya@northwind.example", "subject": "12%", "body": "Hi Priya"}
CONTEXT = {"summary": "Asked for 12% on 40 seats", "intent_tags": ["discount"], "deal": "D-2041"}


def submit(loop, **overrides):
    body = {"decision_id": loop.asked.decision_id, "draft": DRAFT, "context": CONTEXT}
    body.update(overrides)
    return loop.client.post("/api/v1/approvals", body, format="json")


def test_a_draft_lands_in_the_routed_teams_inbox(loop):
    response = submit(loop, idempotency_key="k-1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"].startswith("apr_")
    assert body["status"] == "pending"
    assert body["approver_team"] == "deal-desk"
    approval = Approval.objects.get(public_id=body["id"])
    assert approval.team.key == "deal-desk"
    assert approval.due_at - approval.created_at == pytest.approx(
        timedelta(hours=24), abs=timedelta(seconds=5)
    )
    assert approval.draft == DRAFT
    assert approval.context == CONTEXT


def test_idempotency_same_body_same_approval_other_body_422(loop):
    first = submit(loop, idempotency_key="k-1").json()
    again = submit(loop, idempotency_key="k-1")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first["id"]
    clash = submit(loop, idempotency_key="k-1", draft={**DRAFT, "body": "Other"})
    assert clash.status_code == 422
    assert clash.json()["error"]["code"] == "idempotency_key_reused"
    assert Approval.objects.filter(decision=loop.asked).count() == 1


def test_a_decision_is_submitted_once(loop):
    submit(loop)
    other = submit(loop, draft={**DRAFT, "body": "Changed my mind"})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "already_submitted"


@pytest.mark.parametrize(
    ("decision", "status", "code"),
    [("escalated", 409, "wrong_decision"), ("denied", 409, "wrong_decision"), ("nope", 404, "")],
)
def test_only_own_require_approval_decisions_are_submitted(loop, decision, status, code):
    decision_id = {
        "escalated": loop.escalated.decision_id,
        "denied": record_decision(loop.key, {"action": "fly"}).decision_id,
        "nope": "dec_unknown",
    }[decision]
    response = submit(loop, decision_id=decision_id)
    assert response.status_code == status
    if code:
        assert response.json()["error"]["code"] == code


def test_another_agents_decision_is_not_found(loop):
    other = loop.other.agents.get(key="their-agent")
    key = agent_services.agent_key_create(agent=other, by=loop.stranger).key
    theirs = record_routed_decision(
        key, action="x", outcome="require_approval", obligations={"approver_team": "other-team"}
    )
    assert submit(loop, decision_id=theirs.decision_id).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"draft": "text"}, "draft"),
        ({"draft": {"body": "no kind"}}, "draft"),
        ({"context": [1]}, "context"),
        ({"surprise": 1}, "surprise"),
        ({"idempotency_key": "x" * 201}, "idempotency_key"),
    ],
)
def test_malformed_submissions_name_the_field(loop, body, field):
    response = submit(loop, **body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Approval.objects.filter(decision=loop.asked).exists()


def test_keys_are_required_and_checked(loop):
    client = APIClient()
    assert client.post("/api/v1/approvals", {}, format="json").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer mnd_agent_wrong")
    assert client.get("/api/v1/approvals/apr_x").status_code == 401
    prefix = loop.key.prefix
    agent_services.agent_key_revoke(agent=loop.agent, by=loop.people["owner"], prefix=prefix)
    assert submit(loop).status_code == 401


@pytest.mark.parametrize(
    ("verdict", "extra", "status"),
    [
        ("approve", {}, "approved"),
        ("edit", {"final_draft": {**DRAFT, "subject": "10%"}}, "edited"),
        ("reject", {"comment": "Not above 10% this quarter."}, "rejected"),
    ],
)
def test_the_agent_learns_each_outcome(loop, verdict, extra, status):
    approval_id = submit(loop).json()["id"]
    approval = Approval.objects.get(public_id=approval_id)
    services.approval_decide(approval=approval, by=loop.people["member"], verdict=verdict, **extra)
    seen = loop.client.get(f"/api/v1/approvals/{approval_id}").json()
    assert seen["status"] == status
    assert seen["decided_by"] == "member"
    if verdict == "edit":
        assert seen["final_draft"]["subject"] == "10%"
    if verdict == "reject":
        assert seen["comment"] == "Not above 10% this quarter."


def test_an_expired_approval_tells_the_agent_not_to_act(loop):
    approval_id = submit(loop).json()["id"]
    later = timezone.now() + timedelta(hours=25)
    assert services.approvals_expire_due(now=later)
    assert loop.client.get(f"/api/v1/approvals/{approval_id}").json()["status"] == "expired"


def test_an_agent_sees_only_its_own_approvals(loop):
    other_id = Approval.objects.get(organization=loop.other).public_id
    assert loop.client.get(f"/api/v1/approvals/{other_id}").status_code == 404


def test_handoff_carries_its_package_to_the_triggers_team(loop):
    package = {
        "summary": "Wants a price for 40 seats before Friday",
        "intent_tags": ["pricing", "buying_intent"],
        "qualification": {"seats": 40, "budget": "approved"},
        "thread": [{"from": "priya", "at": "2026-11-23T09:00:00Z", "text": "How much?"}],
        "needs_next": "A quote for 40 seats, annual.",
    }
    response = loop.client.post(
        "/api/v1/handoffs",
        {"decision_id": loop.escalated.decision_id, "context": package, "idempotency_key": "h1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["team"] == "deal-desk"
    assert body["status"] == "open"
    handoff = Handoff.objects.get(public_id=body["id"])
    assert handoff.context == package
    assert handoff.due_at - handoff.created_at == pytest.approx(
        timedelta(minutes=15), abs=timedelta(seconds=5)
    )
    services.handoff_claim(handoff=handoff, by=loop.people["member"])
    services.handoff_close(
        handoff=handoff, by=loop.people["member"], follow_up="Send the annual quote recap."
    )
    seen = loop.client.get(f"/api/v1/handoffs/{body['id']}").json()
    assert seen["status"] == "returned"
    assert seen["assignee"] == "member"
    assert seen["follow_up"] == "Send the annual quote recap."


def test_a_handoff_needs_an_escalate_decision_and_a_summary(loop):
    wrong = loop.client.post(
        "/api/v1/handoffs",
        {"decision_id": loop.asked.decision_id, "context": {"summary": "x"}},
        format="json",
    )
    assert wrong.status_code == 409
    empty = loop.client.post(
        "/api/v1/handoffs",
        {"decision_id": loop.escalated.decision_id, "context": {"intent_tags": []}},
        format="json",
    )
    assert empty.status_code == 400
    assert "context" in empty.json()["error"]["fields"]


def test_outcomes_are_reported_once(loop):
    path = f"/api/v1/decisions/{loop.asked.decision_id}/outcome"
    first = loop.client.post(path, {"executed": True, "detail": "sent"}, format="json")
    assert first.status_code == 201
    assert (
        loop.client.post(path, {"executed": True, "detail": "sent"}, format="json").status_code
        == 200
    )
    clash = loop.client.post(path, {"executed": False}, format="json")
    assert clash.status_code == 409
    assert Outcome.objects.get(decision=loop.asked).detail == "sent"
    assert loop.client.post(path, {"executed": "maybe"}, format="json").status_code == 400
    foreign = loop.client.post(
        "/api/v1/decisions/dec_nope/outcome", {"executed": True}, format="json"
    )
    assert foreign.status_code == 404


def _raw(loop, path: str, text: str):
    return loop.client.generic("POST", path, text.encode(), content_type="application/json")


def test_text_the_database_cannot_hold_is_stored_replaced_in_a_draft(loop):
    """NUL and lone surrogates cannot be stored as they are: U+FFFD, as the check path
    stores them, not a 500."""
    body = json.dumps(
        {
            "decision_id": loop.asked.decision_id,
            "draft": {"kind": "email", "body": "Hi\u0000there \ud800"},
            "context": CONTEXT,
        }
    )
    response = _raw(loop, "/api/v1/approvals", body)
    assert response.status_code == 201, response.content
    stored = Approval.objects.get(public_id=response.json()["id"]).draft
    assert stored["body"] == "Hi\ufffdthere \ufffd"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('{"decision_id": "x", "draft": {"kind": "email", "n": NaN}}', "malformed_json"),
        ('{"decision_id": "x", "draft": {"kind": ' + "[" * 40 + "]" * 40 + "}}", "too_deep"),
        ('{"decision_id": "x", "draft": {"kind": "email"}', "malformed_json"),
    ],
)
def test_a_body_the_check_path_refuses_is_refused_here_too(loop, text, code):
    for path in ("/api/v1/approvals", "/api/v1/handoffs"):
        response = _raw(loop, path, text)
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == code
    assert not Approval.objects.filter(decision__decision_id=loop.asked.decision_id).exists()
