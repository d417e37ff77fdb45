"""The auditor's pages: verification (intact, each problem named with its event, the
checkpoints to download, kept ones to upload and every way an upload can be wrong), one
audit event, and the dashboard's numbers, counted per UTC day by the database."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from apps.agents.models import Agent, AgentKey
from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.audit.services import audit_checkpoints_take, event_hash
from apps.audit.verification import checkpoint_document
from apps.checks.grants import grant_from_key
from apps.checks.services import decision_row, decisions_record
from apps.engine.types import Decision as Answer
from apps.engine.types import Reason
from apps.humans import services as human_services
from apps.humans.models import Approval
from tests.audit.tampering import tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(world):
    client = Client()
    client.force_login(world.people["auditor"])
    world.client = client
    world.base = f"/o/{world.org.slug}/"
    return world


def get(world, path: str, status: int = 200):
    response = world.client.get(world.base + path)
    assert response.status_code == status, response.content[:800]
    return response


def upload(world, content: bytes, name: str = "checkpoints.json"):
    return world.client.post(
        world.base + "audit/verify/",
        {"checkpoints": SimpleUploadedFile(name, content, content_type="application/json")},
    )


# ---- verification ------------------------------------------------------------------------


def test_an_intact_trail_says_so_with_its_head_and_checkpoints(auditor):
    audit_checkpoints_take()
    response = get(auditor, "audit/verify/")
    html = response.content.decode()
    head = AuditEvent.objects.filter(organization=auditor.org).order_by("-seq").first()
    assert 'data-ok="true"' in html
    assert "The audit trail is intact" in html
    assert f'href="/o/{auditor.org.slug}/audit/events/{head.seq}/"' in html
    result = response.context["result"]
    assert result.head_seq == head.seq
    assert result.events == AuditEvent.objects.filter(organization=auditor.org).count()
    assert result.checkpoints_checked == 1
    checkpoint = AuditCheckpoint.objects.get(organization=auditor.org)
    assert checkpoint.hash[:16] in html
    assert "Download all (1) as JSON" in html


def test_the_checkpoints_download_is_what_verification_reads(auditor):
    audit_checkpoints_take()
    response = get(auditor, "audit/checkpoints.json")
    assert response["Content-Disposition"].startswith('attachment; filename="checkpoints-acme-test')
    assert response["Content-Type"] == "application/json"
    documents = json.loads(response.content)
    expected = [
        checkpoint_document(c) for c in AuditCheckpoint.objects.filter(organization=auditor.org)
    ]
    assert documents == json.loads(json.dumps(expected))
    # Another organization's checkpoints never travel with these.
    assert {d["organization_id"] for d in documents} == {auditor.org.pk}


def test_an_altered_event_is_named_and_linked(auditor):
    with tampering() as sql:
        sql.execute(
            "UPDATE audit_auditevent SET object_repr = 'nothing to see' "
            "WHERE organization_id = %s AND seq = 5",
            [auditor.org.pk],
        )
    html = get(auditor, "audit/verify/").content.decode()
    assert 'data-ok="false"' in html
    assert "The audit trail does not verify" in html
    assert "An event&#x27;s content was changed" in html
    assert f'href="/o/{auditor.org.slug}/audit/events/5/"' in html
    assert f'href="/o/{auditor.org.slug}/activity/?page=1"' in html
    assert "Event #5 (" in html
    assert "was altered" in html
    event = get(auditor, "audit/events/5/").content.decode()
    assert "the content above no longer hashes to it" in event
    assert "the hash of #4" in event  # still linked: only its content changed


def test_a_removed_event_is_named_but_not_linked(auditor):
    with tampering() as sql:
        sql.execute(
            "DELETE FROM audit_auditevent WHERE organization_id = %s AND seq = 7",
            [auditor.org.pk],
        )
    response = get(auditor, "audit/verify/")
    html = response.content.decode()
    problem = response.context["problems"][0]
    assert (problem["kind"], problem["seq"], problem["exists"]) == ("removed", 7, False)
    assert "no longer in the trail" in html
    assert f'href="/o/{auditor.org.slug}/audit/events/7/"' not in html


def _recompute_from(org, seq: int) -> None:
    """Alter event `seq` and rewrite every hash after it: the chain alone then verifies."""
    with tampering() as sql:
        sql.execute(
            "UPDATE audit_auditevent SET object_repr = 'rewritten' "
            "WHERE organization_id = %s AND seq = %s",
            [org.pk, seq],
        )
        previous = AuditEvent.objects.get(organization=org, seq=seq - 1).hash
        for event in AuditEvent.objects.filter(organization=org, seq__gte=seq).order_by("seq"):
            event.prev_hash = previous
            event.hash = event_hash(event)
            sql.execute(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [event.prev_hash, event.hash, event.pk],
            )
            previous = event.hash
        sql.execute("DELETE FROM audit_auditcheckpoint WHERE organization_id = %s", [org.pk])


def test_kept_checkpoints_catch_a_rewrite_the_database_no_longer_can(auditor):
    audit_checkpoints_take()
    kept = get(auditor, "audit/checkpoints.json").content
    _recompute_from(auditor.org, 3)
    assert 'data-ok="true"' in get(auditor, "audit/verify/").content.decode()

    response = upload(auditor, kept, name="kept-in-the-vault.json")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="uploaded"' in html
    assert "kept-in-the-vault.json" in html
    assert 'data-ok="false"' in html
    assert "The chain was rewritten" in html
    assert [p["kind"] for p in response.context["problems"]] == ["rewritten"]


def test_a_forged_checkpoint_is_a_finding_not_an_input_error(auditor):
    audit_checkpoints_take()
    forged = checkpoint_document(AuditCheckpoint.objects.get(organization=auditor.org))
    forged["hash"] = "0" * 64
    response = upload(auditor, json.dumps(forged).encode())
    assert response.status_code == 200
    assert [p["kind"] for p in response.context["problems"]] == ["bad_checkpoint"]
    assert "not signed with this deployment" in response.content.decode()


def _good(world) -> dict:
    audit_checkpoints_take()
    return checkpoint_document(AuditCheckpoint.objects.get(organization=world.org))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: b"", "The file is empty."),
        (lambda d: b"\xff\xfe not text", "The file is not UTF-8 text"),
        (lambda d: b'[{"seq": 1,', "The file is not valid JSON (line 1, column"),
        (lambda d: b"[]", "The file holds no checkpoints"),
        (lambda d: b"[42]", "Checkpoint 1: not an object."),
        (
            lambda d: json.dumps([{k: v for k, v in d.items() if k != "seq"}]).encode(),
            "Checkpoint 1: missing seq.",
        ),
        (lambda d: json.dumps([d, {**d, "seq": "12"}]).encode(), "Checkpoint 2: seq must be"),
        (lambda d: json.dumps({**d, "hash": "XYZ"}).encode(), "hash must be 64 lowercase"),
        (lambda d: json.dumps({**d, "at": "yesterday"}).encode(), "at must be an ISO 8601 time"),
        (lambda d: json.dumps({**d, "at": "2026-13-45T00:00:00"}).encode(), "at must be an ISO"),
        (
            lambda d: json.dumps({**d, "organization_id": d["organization_id"] + 1000}).encode(),
            "None of these checkpoints is of Acme Test",
        ),
    ],
)
def test_a_bad_upload_is_refused_with_a_clear_error(auditor, make, message):
    response = upload(auditor, make(_good(auditor)))
    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert message in html
    assert 'role="alert"' in html
    assert 'data-testid="uploaded"' not in html


def test_no_file_and_a_file_too_large_are_refused(auditor, monkeypatch):
    from apps.web.views import audit as views

    response = auditor.client.post(auditor.base + "audit/verify/", {})
    assert response.status_code == 400
    assert "Choose the JSON file" in response.content.decode()
    monkeypatch.setattr(views, "MAX_UPLOAD", 10)
    response = upload(auditor, json.dumps([_good(auditor)]).encode())
    assert response.status_code == 400
    assert "checkpoint files are at most" in response.content.decode()


def test_checkpoints_of_other_organizations_are_left_aside(auditor):
    good = _good(auditor)
    theirs = checkpoint_document(AuditCheckpoint.objects.get(organization=auditor.other))
    response = upload(auditor, json.dumps([good, theirs]).encode())
    assert response.status_code == 200
    assert response.context["uploaded"]["used"] == 1
    assert response.context["uploaded"]["others"] == 1
    assert "1 of other organizations left aside" in response.content.decode()
    assert response.context["result"].ok


# ---- one event ---------------------------------------------------------------------------


def test_an_event_page_shows_its_change_and_hashes(auditor):
    event = AuditEvent.objects.filter(organization=auditor.org, verb="policy_version.approved")
    event = event.get()
    html = get(auditor, f"audit/events/{event.seq}/").content.decode()
    assert event.hash in html
    assert event.prev_hash in html
    assert "policy_version.approved" in html
    assert "&quot;state&quot;: &quot;approved&quot;" in html
    assert f"/audit/events/{event.seq - 1}/" in html
    assert "the content above still hashes to it" in html
    assert f"the hash of #{event.seq - 1}" in html
    get(auditor, "audit/events/99999/", status=404)
    other = AuditEvent.objects.filter(organization=auditor.other).order_by("-seq").first()
    if other.seq > AuditEvent.objects.filter(organization=auditor.org).count():
        get(auditor, f"audit/events/{other.seq}/", status=404)


# ---- the dashboard -----------------------------------------------------------------------


def _decide(key: AgentKey, *, action: str, outcome: str, code: str, at, obligations=None):
    """A decision as the check path records it, at a chosen time."""
    row = decision_row(
        grant=grant_from_key(key, active_version_id=None),
        body={"action": action, "confidence": 0.9},
        outcome=Answer(outcome, (Reason(code, "Recorded for the dashboard."),), obligations or {}),
        policy=None,
        version_id=None,
        request_id="",
        evaluated_at=at,
        evaluation_us=1,
    )
    return decisions_record(rows=[row])[0]


@pytest.fixture
def busy(auditor):
    """Three days ago: 2 allowed, 1 denied; 40 days ago (outside): 1 allowed; five
    approvals the deal desk decided after 1, 2, 3, 4 and 10 hours; handoffs by trigger."""
    w = auditor
    key = AgentKey.objects.filter(agent__organization=w.org, agent__key="copilot").first()
    now = timezone.now()
    w.now = now
    three_days = now - timedelta(days=3)
    for outcome, code in (("allow", "action.allowed"), ("allow", "action.allowed")):
        _decide(key, action="send_follow_up", outcome=outcome, code=code, at=three_days)
    _decide(key, action="negotiate", outcome="deny", code="action.out_of_scope", at=three_days)
    _decide(key, action="log_call_notes", outcome="allow", code="ok", at=now - timedelta(days=40))

    agent = Agent.objects.get(organization=w.org, key="copilot")
    for hours, verdict in (
        (1, "approve"),
        (2, "approve"),
        (3, "reject"),
        (4, "approve"),
        (10, "approve"),
    ):
        decision = _decide(
            key,
            action="draft_proposal",
            outcome="require_approval",
            code="action.requires_approval",
            at=now - timedelta(days=2),
            obligations={"approver_team": "deal-desk", "expires_after_hours": 48},
        )
        approval, _ = human_services.approval_submit(
            agent=agent, decision_id=decision.decision_id, draft={"body": "Hi"}, context={}
        )
        created = now - timedelta(days=2)
        Approval.objects.filter(pk=approval.pk).update(
            created_at=created, due_at=created + timedelta(hours=48)
        )
        approval.refresh_from_db()
        human_services.approval_decide(
            approval=approval,
            by=w.people["member"],
            verdict=verdict,
            comment="no" if verdict == "reject" else "",
            now=created + timedelta(hours=hours),
        )
    for signal in ("pricing_question", "pricing_question", "buying_intent"):
        decision = _decide(
            key,
            action="send_follow_up",
            outcome="escalate",
            code=f"trigger.{signal}",
            at=now - timedelta(days=1),
            obligations={"route_to_team": "deal-desk", "respond_within_minutes": 30},
        )
        human_services.handoff_create(
            agent=agent, decision_id=decision.decision_id, context={"summary": "Asked."}
        )
    return w


def _day(figures, moment):
    return next(d["counts"] for d in figures["days"] if d["day"] == moment.date())


def test_the_dashboard_counts_decisions_per_day_in_the_window(busy):
    response = get(busy, "audit/dashboard/")
    figures = response.context["figures"]
    assert len(figures["days"]) == 30
    assert figures["days"][-1]["day"] == busy.now.date()
    three = _day(figures, busy.now - timedelta(days=3))
    assert three == {"allow": 2, "require_approval": 0, "escalate": 0, "deny": 1}
    # The world's own three of today (deny, require_approval, escalate), the five approvals'
    # decisions and three escalations; not the one 40 days old, nor another organization's.
    assert figures["totals"] == {"allow": 2, "require_approval": 6, "escalate": 4, "deny": 2}
    assert figures["decisions"] == 14
    assert figures["allowed_share"] == 14  # 2 of 14, rounded
    html = response.content.decode()
    assert 'data-testid="kpi-decisions">14<' in html
    assert html.count('class="seg seg-allow"') == 1  # one day had allowed decisions
    assert "<svg" in html
    assert "<script" not in html.split("<main", 1)[1]

    week = get(busy, "audit/dashboard/?days=7").context["figures"]
    assert len(week["days"]) == 7
    assert week["decisions"] == 14
    nonsense = get(busy, "audit/dashboard/?days=1000").context
    assert nonsense["days"] == 30


def test_the_dashboard_measures_approval_turnaround_per_team(busy):
    figures = get(busy, "audit/dashboard/").context["figures"]
    desk = next(r for r in figures["turnaround"] if r["team"] == "Deal Desk")
    assert desk["decided"] == 5
    assert desk["median"] == timedelta(hours=3)
    assert desk["p90"] == timedelta(hours=10)  # nearest rank: the 5th of 5
    assert desk["statuses"]["approved"] == 4
    assert desk["statuses"]["rejected"] == 1
    assert desk["statuses"]["pending"] == 1  # the world's waiting draft
    assert figures["approvals_decided"] == 5
    assert figures["approvals_median"] == timedelta(hours=3)
    assert figures["approvals_pending"] == 1


def test_the_dashboard_counts_handoffs_by_trigger(busy):
    response = get(busy, "audit/dashboard/")
    rows = {r["reason"]: r for r in response.context["figures"]["escalations"]}
    assert rows["trigger.pricing_question"]["total"] == 2
    assert rows["trigger.buying_intent"]["total"] == 1
    assert rows["action.escalate"]["total"] == 1  # the world's handoff
    assert next(iter(rows)) == "trigger.pricing_question"  # the most frequent first
    assert all(r["waiting"] == r["total"] for r in rows.values())
    assert response.context["figures"]["handoffs"] == 4
    assert "Pricing question" in response.content.decode()  # the signal's catalog label


def test_the_verification_badge_is_for_those_who_read_the_trail(busy):
    html = get(busy, "audit/dashboard/").content.decode()
    assert 'data-testid="verification-badge"' in html
    assert "Audit trail verified" in html
    reviewer = Client()
    reviewer.force_login(busy.people["reviewer"])
    response = reviewer.get(busy.base + "audit/dashboard/")
    assert response.status_code == 200
    assert 'data-testid="verification-badge"' not in response.content.decode()


def test_the_badge_turns_red_when_the_trail_breaks(busy):
    with tampering() as sql:
        sql.execute(
            "UPDATE audit_auditevent SET actor = 'someone else' "
            "WHERE organization_id = %s AND seq = 2",
            [busy.org.pk],
        )
    html = get(busy, "audit/dashboard/").content.decode()
    assert "Audit trail: 1 problem" in html
