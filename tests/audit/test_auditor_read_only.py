"""Auditors change nothing: every write endpoint and form of the registry, sent by an
auditor, is refused (403) and leaves every table as it was, but for the one
permission.refused event that records the refusal; the few writes an auditor's capabilities
allow (the simulator, verifying against kept checkpoints) change nothing either. The agent
API's human loop takes agent keys only: a person's token is refused there."""

import json

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.accounts.models import PersonalAccessToken, SignInAttempt
from apps.audit.models import AuditEvent
from apps.audit.services import audit_checkpoints_take
from apps.humans.models import Approval, Handoff
from apps.organizations.constants import ROLE_CAPABILITIES, Role
from tests.conftest import token_client
from tests.tenancy import API_ENDPOINTS, PAGES, Endpoint

pytestmark = pytest.mark.django_db

WRITES = ("POST", "PUT", "PATCH", "DELETE")
AUDITOR = ROLE_CAPABILITIES[Role.AUDITOR]
# Counted apart: the audit trail (a refusal adds its event) and failed sign-ins.
UNCOUNTED = {AuditEvent, SignInAttempt}


def snapshot() -> dict[str, object]:
    """Every table of the project: its row count, and for the audit trail, the events
    other than refusals (their count and last seq per organization)."""
    counts: dict[str, object] = {
        model._meta.label: model._default_manager.count()
        for model in django_apps.get_models()
        if model.__module__.startswith("apps.") and model not in UNCOUNTED
    }
    kept = AuditEvent.objects.exclude(verb="permission.refused")
    counts["audit events other than refusals"] = kept.count()
    counts["their newest"] = list(kept.order_by("-id").values_list("verb", flat=True)[:1])
    return counts


def refusals() -> int:
    return AuditEvent.objects.filter(verb="permission.refused").count()


def writes(endpoints: list[Endpoint]) -> list[Endpoint]:
    return [e for e in endpoints if e.method in WRITES]


@pytest.mark.parametrize("endpoint", writes(API_ENDPOINTS), ids=str)
def test_no_write_of_the_api_is_an_auditors(world, endpoint):
    client = token_client(world.people["auditor"])
    url = endpoint.url("/api/v1/orgs/{org}/", world.org.slug, world.names)
    before, refused = snapshot(), refusals()
    response = getattr(client, endpoint.method.lower())(url, endpoint.body, format="json")
    if endpoint.capability in AUDITOR:
        # Allowed to an auditor only because it records nothing (the simulator).
        assert response.status_code == endpoint.ok, response.content
        assert refusals() == refused
    else:
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "forbidden"
        assert refusals() == refused + 1
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", writes(PAGES), ids=str)
def test_no_form_is_an_auditors(world, endpoint):
    client = Client()
    client.force_login(world.people["auditor"])
    url = endpoint.url("/o/{org}/", world.org.slug, world.names)
    before, refused = snapshot(), refusals()
    response = client.post(url, endpoint.body or {})
    if endpoint.capability in AUDITOR:
        # The simulator, and verification against no file: they read, and answer.
        assert response.status_code == endpoint.ok, response.content[:500]
        assert refusals() == refused
    else:
        assert response.status_code == 403, response.content[:500]
        assert refusals() == refused + 1
    assert snapshot() == before


def test_verifying_against_kept_checkpoints_writes_nothing(world):
    audit_checkpoints_take()
    client = Client()
    client.force_login(world.people["auditor"])
    kept = client.get(f"/o/{world.org.slug}/audit/checkpoints.json").content
    before = snapshot()
    response = client.post(
        f"/o/{world.org.slug}/audit/verify/",
        {"checkpoints": SimpleUploadedFile("kept.json", kept, content_type="application/json")},
    )
    assert response.status_code == 200
    assert snapshot() == before


def test_the_registry_has_writes_to_refuse():
    api, pages = writes(API_ENDPOINTS), writes(PAGES)
    assert len([e for e in api if e.capability not in AUDITOR]) > 30
    assert len([e for e in pages if e.capability not in AUDITOR]) > 15


@pytest.fixture
def loop(world):
    world.approval = Approval.objects.get(public_id=world.names["approval"])
    world.handoff = Handoff.objects.get(public_id=world.names["handoff"])
    return world


def test_the_agent_api_refuses_a_persons_token(loop):
    """Approvals, handoffs and outcomes are the agent's to submit: an auditor's (or any
    person's) token is not an agent key."""
    client = token_client(loop.people["auditor"])
    asked = loop.approval.decision.decision_id
    escalated = loop.handoff.decision.decision_id
    calls = [
        ("post", "/api/v1/approvals", {"decision_id": asked, "draft": {"body": "x"}}),
        ("get", f"/api/v1/approvals/{loop.approval.public_id}", None),
        ("post", "/api/v1/handoffs", {"decision_id": escalated, "context": {"summary": "x"}}),
        ("get", f"/api/v1/handoffs/{loop.handoff.public_id}", None),
        ("post", f"/api/v1/decisions/{asked}/outcome", {"executed": True}),
        ("post", "/api/v1/check", {"action": "send_follow_up", "confidence": 0.9}),
    ]
    before = snapshot()
    for method, path, body in calls:
        if body is None:
            response = getattr(client, method)(path)
        else:
            response = getattr(client, method)(
                path, json.dumps(body), content_type="application/json"
            )
        assert response.status_code in (401, 403), (path, response.status_code)
    assert snapshot() == before
    assert PersonalAccessToken.objects.filter(user=loop.people["auditor"]).exists()
