"""Webhooks an agent registers with its key: registered, listed and removed through the
agent API, refused like every webhook (internal addresses, unknown events, too many), told
only of that agent's own approvals and handoffs, audited with the agent as actor, and seen
(and disabled) by people."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from apps.agents import services as agent_services
from apps.agents.models import Agent
from apps.audit.models import AuditEvent
from apps.core.errors import Conflict
from apps.humans import services, tasks
from apps.humans.constants import MAX_AGENT_WEBHOOK_ENDPOINTS, WebhookStatus
from apps.humans.models import WebhookEndpoint, WebhookMessage
from apps.policies import services as policy_services
from apps.policies.models import PolicyVersion
from tests.factories import record_routed_decision
from tests.humans.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.example.com/agent"
AGENT_EVENTS = [
    "approval.created",
    "approval.resolved",
    "handoff.created",
    "handoff.overdue",
    "handoff.resolved",
]


def client_for(key_raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key_raw}")
    return client


class Caller:
    """One agent of the world's organization, with a key and a client."""

    def __init__(self, world, key: str):
        agent = world.org.agents.filter(key=key).first() or agent_services.agent_create(
            organization=world.org,
            by=world.people["owner"],
            key=key,
            name=key.title(),
            team="deal-desk",
            policy="pipeline",
        )
        issued = agent_services.agent_key_create(agent=agent, by=world.people["owner"])
        self.agent, self.key, self.raw = agent, issued.key, issued.raw
        self.client = client_for(issued.raw)

    def register(self, url=HOOK, events=("approval.resolved",), **extra):
        body = {"url": url, "events": list(events), **extra}
        return self.client.post("/api/v1/webhooks", body, format="json")

    def approval(self):
        asked = record_routed_decision(
            self.key,
            action="offer_discount",
            outcome="require_approval",
            obligations={"approver_team": "deal-desk", "expires_after_hours": 4},
        )
        approval, _ = services.approval_submit(
            agent=self.agent,
            decision_id=asked.decision_id,
            draft={"kind": "email", "subject": "12%", "body": "We can do 12%."},
            context={"summary": "Asked for 12% off."},
        )
        return approval

    def handoff(self):
        escalated = record_routed_decision(
            self.key,
            action="quote_price",
            outcome="escalate",
            obligations={"route_to_team": "deal-desk", "respond_within_minutes": 15},
        )
        handoff, _ = services.handoff_create(
            agent=self.agent, decision_id=escalated.decision_id, context={"summary": "Quote."}
        )
        return handoff


@pytest.fixture
def copilot(world, monkeypatch, public_dns):
    public_dns({"hooks.example.com": "93.184.216.34"})
    return Caller(world, "copilot")


@pytest.fixture
def scout(world):
    return Caller(world, "scout")


# ---- register, list, delete -------------------------------------------------------------


def test_register_list_and_delete(copilot):
    created = copilot.register(events=["approval.resolved", "handoff.resolved"])
    assert created.status_code == 201, created.content
    assert created["Cache-Control"] == "no-store"
    body = created.json()
    assert body["id"].startswith("whe_")
    assert body["secret"].startswith("whsec_")
    assert body["url"] == HOOK
    assert body["events"] == ["approval.resolved", "handoff.resolved"]
    assert body["active"] is True
    endpoint = WebhookEndpoint.objects.get(public_id=body["id"])
    assert (endpoint.agent, endpoint.organization) == (copilot.agent, copilot.agent.organization)
    assert endpoint.format == "standard"

    listed = copilot.client.get("/api/v1/webhooks")
    assert listed.status_code == 200
    [item] = listed.json()["results"]
    assert item["id"] == body["id"]
    assert "secret" not in item
    assert item["secret_hint"] == body["secret"][:10] + "…"

    removed = copilot.client.delete(f"/api/v1/webhooks/{body['id']}")
    assert removed.status_code == 204
    assert not WebhookEndpoint.objects.filter(public_id=body["id"]).exists()
    assert copilot.client.get("/api/v1/webhooks").json() == {"results": []}
    again = copilot.client.delete(f"/api/v1/webhooks/{body['id']}")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "not_found"


def test_registration_and_removal_are_audited_with_the_agent_as_actor(copilot):
    webhook_id = copilot.register().json()["id"]
    copilot.client.delete(f"/api/v1/webhooks/{webhook_id}")
    created, deleted = list(
        AuditEvent.objects.filter(
            organization=copilot.agent.organization, verb__startswith="webhook_endpoint."
        ).order_by("seq")
    )[-2:]
    assert (created.verb, deleted.verb) == ("webhook_endpoint.created", "webhook_endpoint.deleted")
    for event in (created, deleted):
        assert (event.actor_type, event.actor, event.actor_user) == ("agent", "copilot", None)
    assert created.after["agent"] == "copilot"
    assert created.after["events"] == ["approval.resolved"]
    assert deleted.before["agent"] == "copilot"
    assert "whsec_" not in json.dumps([created.after, deleted.before])


# ---- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://hooks.example.com/x", "events": ["approval.resolved"]}, "url"),
        ({"url": "not a url", "events": ["approval.resolved"]}, "url"),
        ({"url": "https://user:pw@hooks.example.com/", "events": ["approval.resolved"]}, "url"),
        ({"url": HOOK, "events": ["policy_version.published"]}, "events.0"),
        ({"url": HOOK, "events": ["approval.resolved", "nope"]}, "events.1"),
        ({"url": HOOK, "events": []}, "events"),
        ({"url": HOOK, "events": "approval.resolved"}, "events"),
        ({"url": HOOK}, "events"),
        ({"events": ["approval.resolved"]}, "url"),
        ({"url": HOOK, "events": ["approval.resolved"], "format": "slack"}, "format"),
    ],
)
def test_bad_registrations_are_400_naming_the_field(copilot, body, field):
    response = copilot.client.post("/api/v1/webhooks", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["fields"], error
    assert not WebhookEndpoint.objects.filter(agent=copilot.agent).exists()


def test_an_event_named_twice_is_refused_naming_the_field(copilot):
    response = copilot.register(events=["approval.resolved", "approval.resolved"])
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {
        "events": "Name each event once; repeated: approval.resolved."
    }
    assert not WebhookEndpoint.objects.filter(agent=copilot.agent).exists()


def test_an_event_of_the_organization_is_refused_with_the_events_an_agent_may_choose(copilot):
    response = copilot.register(events=["policy_version.published"])
    message = response.json()["error"]["fields"]["events.0"]
    assert "policy_version.published" in message
    assert all(event in message for event in AGENT_EVENTS)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest",
        "http://0/hook",
        "https://inside.example.com/hook",
    ],
)
def test_an_internal_address_is_refused_naming_the_url(copilot, monkeypatch, url, public_dns):
    """Well-formed, but where the host is (or what it resolves to) refuses it: 409."""
    public_dns({"inside.example.com": "192.168.1.20"})
    response = copilot.register(url=url)
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert "public addresses" in error["fields"]["url"]
    assert not WebhookEndpoint.objects.filter(agent=copilot.agent).exists()


def test_the_body_is_read_as_the_check_path_reads_it(copilot):
    for raw in ('{"url": "x", "events": [NaN]}', '{"url": ', "\xff"):
        response = copilot.client.generic(
            "POST", "/api/v1/webhooks", raw.encode("latin-1"), content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "malformed_json"


def test_an_agent_has_at_most_so_many_webhooks(world, copilot, scout):
    for number in range(MAX_AGENT_WEBHOOK_ENDPOINTS):
        assert copilot.register(url=f"{HOOK}/{number}").status_code == 201
    refused = copilot.register(url=f"{HOOK}/more")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "too_many_webhooks"
    # Another agent, and the organization's own webhooks, have their own allowance.
    assert scout.register().status_code == 201
    services.webhook_endpoint_create(
        organization=world.org, by=world.people["owner"], url=HOOK, events=["approval.created"]
    )


def test_a_revoked_key_cannot_call(world, copilot):
    copilot.register()
    agent_services.agent_key_revoke(
        agent=copilot.agent, by=world.people["owner"], prefix=copilot.key.prefix
    )
    for response in (copilot.client.get("/api/v1/webhooks"), copilot.register()):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
    assert client_for("").get("/api/v1/webhooks").status_code == 401


def test_a_deleted_agents_webhooks_go_with_it(world, monkeypatch, public_dns):
    public_dns({"hooks.example.com": "93.184.216.34"})
    brief = Caller(world, "brief")
    webhook_id = brief.register().json()["id"]
    Agent.objects.filter(pk=brief.agent.pk).delete()
    assert not WebhookEndpoint.objects.filter(public_id=webhook_id).exists()


# ---- ownership ----------------------------------------------------------------------------


def test_an_agent_sees_and_removes_only_its_own(world, copilot, scout):
    mine = copilot.register().json()["id"]
    theirs = scout.register().json()["id"]
    organizations = services.webhook_endpoint_create(
        organization=world.org, by=world.people["owner"], url=HOOK, events=["approval.created"]
    ).public_id
    foreign = world.names["webhook"], world.foreign_names["webhook"]
    assert [w["id"] for w in copilot.client.get("/api/v1/webhooks").json()["results"]] == [mine]
    for other in (theirs, organizations, *foreign, "whe_nothing"):
        response = copilot.client.delete(f"/api/v1/webhooks/{other}")
        assert response.status_code == 404, other
        assert response.json()["error"] == {
            "code": "not_found",
            "message": "No such webhook.",
            "fields": {},
        }
    assert WebhookEndpoint.objects.filter(public_id__in=[theirs, organizations]).count() == 2


# ---- what an agent's webhook is told ---------------------------------------------------------


def test_an_agents_webhook_is_told_only_of_its_own_approvals_and_handoffs(world, copilot, scout):
    everything = services.webhook_endpoint_create(
        organization=world.org,
        by=world.people["owner"],
        url="https://hooks.example.com/all",
        events=["approval.resolved", "handoff.resolved", "policy_version.published"],
    )
    mine = WebhookEndpoint.objects.get(public_id=copilot.register(events=AGENT_EVENTS).json()["id"])
    theirs = WebhookEndpoint.objects.get(public_id=scout.register(events=AGENT_EVENTS).json()["id"])
    own = copilot.approval()
    other = scout.approval()
    services.approval_decide(
        approval=other, by=world.people["member"], verdict="reject", comment="No."
    )
    services.approval_decide(approval=own, by=world.people["member"], verdict="approve")
    handoff = copilot.handoff()
    services.handoff_close(handoff=handoff, by=world.people["member"], follow_up="Send the quote.")

    version = PolicyVersion.objects.get(policy__organization=world.org, number=3)
    policy_services.policy_version_publish(version=version, by=world.people["reviewer"])

    def told(endpoint):
        return [
            (
                m.event_type,
                (m.payload["data"].get("approval") or m.payload["data"]["handoff"])["id"],
            )
            for m in WebhookMessage.objects.filter(endpoint=endpoint).order_by("id")
        ]

    assert told(mine) == [
        ("approval.created", own.public_id),
        ("approval.resolved", own.public_id),
        ("handoff.created", handoff.public_id),
        ("handoff.resolved", handoff.public_id),
    ]
    assert [event for event, _ in told(theirs)] == ["approval.created", "approval.resolved"]
    assert told(theirs)[1][1] == other.public_id
    # The organization's own endpoint is told of everything, its agents' events included.
    assert [m.event_type for m in WebhookMessage.objects.filter(endpoint=everything)] == [
        "policy_version.published",
        "handoff.resolved",
        "approval.resolved",
        "approval.resolved",
    ]
    resolved = WebhookMessage.objects.get(endpoint=mine, event_type="handoff.resolved")
    assert resolved.payload["data"]["handoff"]["status"] == "returned"


def test_a_disabled_agent_webhook_is_told_nothing(world, copilot):
    endpoint = WebhookEndpoint.objects.get(public_id=copilot.register().json()["id"])
    services.webhook_endpoint_update(endpoint=endpoint, by=world.people["owner"], active=False)
    approval = copilot.approval()
    services.approval_decide(approval=approval, by=world.people["member"], verdict="approve")
    assert not WebhookMessage.objects.filter(endpoint=endpoint).exists()
    listed = copilot.client.get("/api/v1/webhooks").json()["results"]
    assert listed[0]["active"] is False


def test_the_agents_receiver_gets_its_approvals_resolution_signed(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):

    settings.MANDATE_WEBHOOKS_ALLOW_PRIVATE = True
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda *a: tasks.deliver_webhook(*a))
    monkeypatch.setattr(tasks.send_notification, "delay", lambda *a: None)
    copilot, scout = Caller(world, "copilot"), Caller(world, "scout")
    receiver = Receiver().start()
    try:
        registered = copilot.register(url=receiver.url).json()
        own, other = copilot.approval(), scout.approval()
        with django_capture_on_commit_callbacks(execute=True):
            services.approval_decide(approval=other, by=world.people["member"], verdict="approve")
        assert receiver.received == []
        with django_capture_on_commit_callbacks(execute=True):
            services.approval_decide(
                approval=own, by=world.people["member"], verdict="reject", comment="Too much."
            )
        [got] = receiver.received
        payload = Webhook(registered["secret"]).verify(got.body, got.headers)
        assert payload["type"] == "approval.resolved"
        assert payload["data"]["approval"]["id"] == own.public_id
        assert payload["data"]["approval"]["status"] == "rejected"
        assert payload["data"]["approval"]["agent"] == "copilot"
        message = WebhookMessage.objects.get(endpoint__public_id=registered["id"])
        assert message.status == WebhookStatus.DELIVERED
        assert got.headers["webhook-id"] == message.public_id
    finally:
        receiver.stop()


# ---- what people may do with an agent's webhook ----------------------------------------------


def test_people_may_disable_or_delete_an_agents_webhook_but_not_repoint_it(world, copilot, api_as):
    webhook_id = copilot.register().json()["id"]
    client = api_as(world.people["owner"])
    base = f"/api/v1/orgs/{world.org.slug}/webhooks/{webhook_id}/"
    shown = client.get(base).json()
    assert shown["agent"] == "copilot"
    assert (
        client.get(f"/api/v1/orgs/{world.org.slug}/webhooks/").json()["results"][0]["agent"] is None
    )  # the organization's own
    repointed = client.patch(base, {"url": "https://elsewhere.example.com/"}, format="json")
    assert repointed.status_code == 409
    assert repointed.json()["error"]["code"] == "agent_webhook"
    assert client.post(base + "rotate-secret/").status_code == 409
    disabled = client.patch(base, {"active": False}, format="json")
    assert disabled.status_code == 200
    assert disabled.json()["active"] is False
    assert client.delete(base).status_code == 204
    assert not WebhookEndpoint.objects.filter(public_id=webhook_id).exists()


def test_the_webhooks_page_marks_an_agents_webhook_and_disables_it(world, copilot, client):
    webhook_id = copilot.register().json()["id"]
    client.force_login(world.people["owner"])
    page = client.get(f"/o/{world.org.slug}/webhooks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-agent="copilot"' in html
    assert "Registered by agent" in html
    action = f"/o/{world.org.slug}/webhooks/{webhook_id}/"
    assert client.post(action, {"action": "disable"}).status_code == 302
    assert WebhookEndpoint.objects.get(public_id=webhook_id).active is False
    client.post(action, {"action": "rotate"})
    assert WebhookEndpoint.objects.get(public_id=webhook_id).previous_secret == ""


def test_rotation_of_an_agents_webhook_is_refused_by_the_service(world, copilot):
    endpoint = WebhookEndpoint.objects.get(public_id=copilot.register().json()["id"])
    with pytest.raises(Conflict), transaction.atomic():
        services.webhook_endpoint_rotate_secret(endpoint=endpoint, by=world.people["owner"])


# ---- the schema ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_nothing_on_the_agent_webhooks(live_server, world, tmp_path):
    """Driven from the served schema with the agent's key: no 5xx, every answer as described
    (registrations past the cap answer 409, which the schema names)."""

    raw = Caller(world, "copilot").raw
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Bearer {raw}",
        "--include-path-regex",
        "^/api/v1/webhooks",
        "--max-examples",
        "40",
        "--seed",
        "7",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
