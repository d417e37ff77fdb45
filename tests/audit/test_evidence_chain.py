"""The evidence chain: from a decision made through the check API, the request as recorded
(masked), the version that decided it and its review, the approval or handoff, what the
person did (with the word diff of an edit) and the outcome the agent reported — on the page
and in the API; and backwards, every decision one version made, paged by keyset."""

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.agents import services as agent_services
from apps.agents.models import Agent
from apps.checks.models import Decision
from apps.policies import services as policy_services
from apps.policies.models import PolicyVersion
from tests.checks.support import FULL
from tests.conftest import token_client

pytestmark = pytest.mark.django_db

COMMENT = "Discounts above 5 % go to the deal desk; the rest is routine."
DRAFT = {"kind": "email", "subject": "Your discount", "body": "We can offer 8% on 40 seats."}
EDITED = {**DRAFT, "body": "We can offer 7% on 40 seats, signed this month."}


def check(raw_key: str, body: dict) -> dict:
    response = Client().post(
        "/api/v1/check",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def published(world):
    """The world's policy published with FULL (reviewed with a comment), and an agent key."""
    author, reviewer = world.people["author"], world.people["reviewer"]
    version = PolicyVersion.objects.get(organization=world.org, policy__key="pipeline", number=1)
    policy_services.policy_version_edit(version=version, by=author, document=FULL, submit=True)
    policy_services.policy_version_approve(version=version, by=reviewer, comment=COMMENT)
    policy_services.policy_version_publish(version=version, by=reviewer)
    version.refresh_from_db()
    agent = Agent.objects.get(organization=world.org, key="copilot")
    issued = agent_services.agent_key_create(agent=agent, by=world.people["owner"])
    world.version, world.raw = version, issued.raw
    world.agent_api = APIClient()
    world.agent_api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    world.auditor = Client()
    world.auditor.force_login(world.people["auditor"])
    return world


@pytest.fixture
def edited(published):
    """offer_discount at 8 % (limit 5): approval by the deal desk, who edit the draft; the
    agent sends it and says so."""
    w = published
    answer = check(
        w.raw,
        {
            "action": "offer_discount",
            "confidence": 0.95,
            "context": {"discount_pct": 8, "email": "priya@northwind.example"},
        },
    )
    assert answer["decision"] == "require_approval"
    submitted = w.agent_api.post(
        "/api/v1/approvals",
        {"decision_id": answer["decision_id"], "draft": DRAFT, "context": {"summary": "40 seats"}},
        format="json",
    )
    assert submitted.status_code == 201, submitted.content
    approval_id = submitted.json()["id"]
    decided = token_client(w.people["member"]).post(
        f"/api/v1/orgs/{w.org.slug}/approvals/{approval_id}/edit/",
        {"final_draft": EDITED, "comment": "Seven is our ceiling."},
        format="json",
    )
    assert decided.status_code == 200, decided.content
    reported = w.agent_api.post(
        f"/api/v1/decisions/{answer['decision_id']}/outcome",
        {"executed": True, "detail": "Sent as edited."},
        format="json",
    )
    assert reported.status_code == 201, reported.content
    w.decision_id, w.approval_id = answer["decision_id"], approval_id
    return w


def page(world, path: str) -> str:
    response = world.auditor.get(f"/o/{world.org.slug}/{path}")
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def api(world, path: str) -> dict:
    response = token_client(world.people["auditor"]).get(f"/api/v1/orgs/{world.org.slug}/{path}")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_page_walks_from_the_request_to_the_outcome(edited):
    html = page(edited, f"evidence/decisions/{edited.decision_id}/")
    # 1. the request as recorded, the e-mail address masked and never shown
    assert "context.email" in html
    assert "masked" in html
    assert "priya@northwind.example" not in html
    # 2. the version, its review, hashes, and a link to its page
    version = edited.version
    assert f'href="/o/{edited.org.slug}/policies/pipeline/v/1/"' in html
    assert "reviewer</strong> approved it" in html
    assert COMMENT in html
    assert version.content_hash in html
    assert "in force when it decided" in html
    assert "the stored document still hashes to it" in html
    # 3. the approval, 4. the person's edit as a word diff, 5. the outcome
    assert edited.approval_id in html
    assert "within its window" in html
    assert "edited the draft, then approved it." in html
    assert "Seven is our ceiling." in html
    assert "<del>8%</del>" in html
    assert "<ins>7%</ins>" in html
    assert "signed this month.</ins>" in html
    assert 'data-testid="outcome">executed' in html
    assert "Sent as edited." in html
    # … and each step's audit events, linked
    for verb in ("approval.created", "approval.edited", "decision.outcome_reported"):
        assert verb in html
    assert f'href="/o/{edited.org.slug}/evidence/versions/pipeline/1/"' in html


def test_the_api_gives_the_same_chain(edited):
    body = api(edited, f"evidence/decisions/{edited.decision_id}/")
    decision = body["decision"]
    assert decision["decision"] == "require_approval"
    assert decision["request"]["context"]["email"] == "***"
    assert decision["masked_paths"] == ["context.email"]
    version = body["policy_version"]
    assert (version["policy"], version["number"], version["state"]) == ("pipeline", 1, "active")
    assert (version["author"], version["reviewer"]) == ("author", "reviewer")
    assert version["approval_comment"] == COMMENT
    assert version["approved_hash"] == version["content_hash"] == edited.version.content_hash
    assert version["document_matches_hash"]
    assert version["approved_hash_matches"]
    assert version["in_force_at_decision"] is True
    assert version["published_by"] == "reviewer"
    assert version["published_at"]
    assert [e["verb"] for e in version["events"]][-3:] == [
        "policy_version.submitted",
        "policy_version.approved",
        "policy_version.activated",
    ]
    approval = body["approval"]
    assert approval["approval_id"] == edited.approval_id
    assert (approval["status"], approval["decided_by"], approval["team"]) == (
        "edited",
        "member",
        "deal-desk",
    )
    assert approval["draft"] == DRAFT
    assert approval["final_draft"] == EDITED
    assert approval["changed_fields"] == ["body"]
    assert approval["decided_in_time"] is True
    assert approval["seconds_to_decision"] >= 0
    assert body["handoff"] is None
    assert body["outcome"]["executed"] is True
    assert body["outcome"]["detail"] == "Sent as edited."
    verbs = [e["verb"] for e in body["events"]]
    assert verbs == ["approval.created", "approval.edited", "decision.outcome_reported"]
    assert [e["seq"] for e in body["events"]] == sorted(e["seq"] for e in body["events"])


def test_a_handoff_chain_shows_who_took_it_and_how_it_ended(published):
    w = published
    answer = check(
        w.raw, {"action": "send_follow_up", "confidence": 0.9, "signals": ["pricing_question"]}
    )
    assert answer["decision"] == "escalate"
    created = w.agent_api.post(
        "/api/v1/handoffs",
        {"decision_id": answer["decision_id"], "context": {"summary": "Wants a price."}},
        format="json",
    )
    assert created.status_code == 201, created.content
    handoff_id = created.json()["id"]
    member = token_client(w.people["member"])
    base = f"/api/v1/orgs/{w.org.slug}/handoffs/{handoff_id}"
    assert member.post(f"{base}/claim/").status_code == 200
    closed = member.post(f"{base}/resolve/", {"resolution": "Called; quote sent."}, format="json")
    assert closed.status_code == 200, closed.content

    body = api(w, f"evidence/decisions/{answer['decision_id']}/")
    handoff = body["handoff"]
    assert (handoff["handoff_id"], handoff["reason"]) == (handoff_id, "trigger.pricing_question")
    assert (handoff["status"], handoff["assignee"], handoff["closed_by"]) == (
        "resolved",
        "member",
        "member",
    )
    assert handoff["answered_in_time"] is True
    assert handoff["seconds_to_close"] >= 0
    assert body["approval"] is None
    assert body["outcome"] is None
    assert [e["verb"] for e in body["events"]] == [
        "handoff.created",
        "handoff.claimed",
        "handoff.resolved",
    ]
    html = page(w, f"evidence/decisions/{answer['decision_id']}/")
    assert "took the conversation and resolved it." in html
    assert "Called; quote sent." in html
    assert "has not reported what it did" in html


def test_a_decision_no_policy_governed_says_so(world):
    auditor = Client()
    auditor.force_login(world.people["auditor"])
    html = auditor.get(f"/o/{world.org.slug}/evidence/decisions/{world.names['decision']}/")
    assert html.status_code == 200
    assert "No policy version: no active policy governed" in html.content.decode()
    body = token_client(world.people["auditor"]).get(
        f"/api/v1/orgs/{world.org.slug}/evidence/decisions/{world.names['decision']}/"
    )
    assert body.json()["policy_version"] is None
    assert body.json()["decision"]["decision"] == "deny"


def test_another_organizations_decision_is_not_found(world):
    foreign = world.foreign_names["decision"]
    auditor = Client()
    auditor.force_login(world.people["auditor"])
    assert auditor.get(f"/o/{world.org.slug}/evidence/decisions/{foreign}/").status_code == 404
    response = token_client(world.people["auditor"]).get(
        f"/api/v1/orgs/{world.org.slug}/evidence/decisions/{foreign}/"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


BODIES = [
    {"action": "send_follow_up", "confidence": 0.9},  # allow
    {"action": "negotiate_terms", "confidence": 0.9},  # deny: out of scope
    {"action": "offer_discount", "confidence": 0.9, "context": {"discount_pct": 9}},
    {"action": "quote_price", "confidence": 0.9},  # escalate
    {"action": "log_call_notes", "confidence": 0.9},  # allow
]


def test_every_decision_of_a_version_pages_by_keyset_with_counts(published):
    w = published
    made = [check(w.raw, BODIES[i % len(BODIES)])["decision_id"] for i in range(12)]
    expected = dict.fromkeys(("allow", "require_approval", "escalate", "deny"), 0)
    for row in Decision.objects.filter(policy_version=w.version).values_list("decision", flat=True):
        expected[row] += 1
    assert sum(expected.values()) == 12
    assert all(expected.values())

    client = token_client(w.people["auditor"])
    url = f"/api/v1/orgs/{w.org.slug}/evidence/versions/pipeline/1/?page_size=5"
    seen, pages = [], 0
    while url:
        body = client.get(url).json()
        pages += 1
        assert body["total"] == 12
        assert body["by_decision"] == expected
        assert body["version"]["number"] == 1
        assert body["version"]["reviewer"] == "reviewer"
        seen += [row["decision_id"] for row in body["results"]]
        url = body["next"]
    assert pages == 3
    assert seen == made[::-1]  # newest first, each once
    assert body["reported"] == {"executed": 0, "not_executed": 0, "unreported": 12}

    html = page(w, "evidence/versions/pipeline/1/")
    assert "Every decision Pipeline v1 made" in html
    assert html.count('data-testid="evidence-link"') == 12
    assert f"/o/{w.org.slug}/evidence/decisions/{made[-1]}/" in html


def test_the_version_page_is_paged_by_a_cursor(published, monkeypatch):
    from apps.web.views import audit as views

    w = published
    made = [check(w.raw, BODIES[0])["decision_id"] for _ in range(5)]
    monkeypatch.setattr(views, "PAGE", 2)
    first = w.auditor.get(f"/o/{w.org.slug}/evidence/versions/pipeline/1/")
    older = first.context["older_url"]
    assert [d.decision_id for d in first.context["decisions"]] == made[::-1][:2]
    second = w.auditor.get(f"/o/{w.org.slug}/evidence/versions/pipeline/1/{older}")
    assert [d.decision_id for d in second.context["decisions"]] == made[::-1][2:4]
    for garbage in ("nonsense", "2026-13-45T00:00:00|12", "2026-01-01T00:00:00|١٢"):
        response = w.auditor.get(f"/o/{w.org.slug}/evidence/versions/pipeline/1/?before={garbage}")
        assert response.status_code == 200  # no cursor: the newest page
        assert response.context["decisions"][0].decision_id == made[-1]


def test_links_to_the_evidence_are_offered_to_those_who_may_follow_them(edited):
    w = edited
    for role, shown in (("auditor", True), ("owner", True), ("author", False)):
        client = Client()
        client.force_login(w.people[role])
        log = client.get(f"/o/{w.org.slug}/decisions/").content.decode()
        assert (f"/evidence/decisions/{w.decision_id}/" in log) is shown, role
        version = client.get(f"/o/{w.org.slug}/policies/pipeline/v/1/").content.decode()
        assert ("/evidence/versions/pipeline/1/" in version) is shown, role
    index = page(w, "evidence/")
    assert "/evidence/versions/pipeline/1/" in index
    assert f"/evidence/decisions/{w.decision_id}/" in index
