"""The inbox pages: what each shows, every action (approve, edit then approve with its diff,
reject, claim, resolve, hand back), the refusals the services give (someone outside the
team, a second decider, a closed window), errors next to their field with nothing changed,
and the home page's view of the human loop."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.agents import services as agent_services
from apps.audit.models import AuditEvent
from apps.checks.grants import grant_from_key
from apps.checks.services import decision_row, decisions_record
from apps.engine.types import Decision as Outcome
from apps.engine.types import Reason
from apps.humans import services
from apps.humans.constants import ApprovalStatus, HandoffStatus
from apps.humans.models import Approval, Handoff
from apps.organizations.constants import Role
from apps.web.draft_diff import Run, draft_changes, word_diff
from tests.factories import UserFactory, make_member, make_team

pytestmark = pytest.mark.django_db

DRAFT = {
    "kind": "email",
    "to": "priya@northwind.example",
    "subject": "12% on 40 seats",
    "body": "Hi Priya,\n\nWe can offer 12% off the retainer.\n\nBest,\nAcme",
    "discount_pct": 12,
}
CONTEXT = {
    "summary": "Priya asked for a better price on 40 seats.",
    "intent_tags": ["discount", "end of quarter"],
    "deal": {"id": "D-2041", "stage": "proposal", "value": 48000},
    "needs_next": "A price her CFO signs this month",
    "thread": [
        {"from": "Priya Raman", "at": "2026-11-20T09:12:00Z", "text": "Can you do better?"},
        {"from": "copilot", "at": "2026-11-20T09:13:00Z", "text": "Let me check."},
    ],
}
HANDOFF_CONTEXT = {
    "summary": "Jonas wants a price for 60 seats and asks about SSO.",
    "intent_tags": ["pricing", "SSO"],
    "qualification": {"budget": "€60-80k", "timeline": "decides by Friday"},
    "needs_next": ["A price for 60 seats", "Whether SSO is included"],
    "deal": {"id": "D-2077", "company": "Globetrek GmbH"},
    "thread": [{"from": "Jonas Weber", "at": "2026-11-20T10:00:00Z", "text": "Is SSO in?"}],
}


@pytest.fixture
def loop(world):
    agent = world.org.agents.get(key="copilot")
    world.key = agent_services.agent_key_create(agent=agent, by=world.people["owner"]).key
    world.url = f"/o/{world.org.slug}/inbox/"
    return world


def routed(key, *, action: str, outcome: str, reason: Reason, obligations: dict, context=None):
    row = decision_row(
        grant=grant_from_key(key, active_version_id=None),
        body={"action": action, "confidence": 0.92, "context": context or {}},
        outcome=Outcome(outcome, (reason,), obligations),
        policy=None,
        version_id=None,
        request_id="",
        evaluated_at=timezone.now(),
        evaluation_us=1,
    )
    return decisions_record(rows=[row])[0]


def make_approval(loop, *, team: str = "deal-desk", draft=None, context=None) -> Approval:
    decision = routed(
        loop.key,
        action="offer_discount",
        outcome="require_approval",
        reason=Reason("limit.exceeded", "discount_pct 12 is above the autonomous maximum 5."),
        obligations={"approver_team": team, "expires_after_hours": 24},
        context={"discount_pct": 12},
    )
    approval, _ = services.approval_submit(
        agent=loop.key.agent,
        decision_id=decision.decision_id,
        draft=draft or DRAFT,
        context=CONTEXT if context is None else context,
    )
    return approval


def make_handoff(loop, *, team: str = "deal-desk", minutes: int = 30) -> Handoff:
    decision = routed(
        loop.key,
        action="send_follow_up",
        outcome="escalate",
        reason=Reason(
            "trigger.pricing_question", "“pricing_question” ends the agent's turn: deal-desk."
        ),
        obligations={"route_to_team": team, "respond_within_minutes": minutes},
    )
    handoff, _ = services.handoff_create(
        agent=loop.key.agent, decision_id=decision.decision_id, context=HANDOFF_CONTEXT
    )
    return handoff


def outsider(loop):
    """A member of the organization who is not in the routed team."""
    return make_member(loop.org, [Role.MEMBER], UserFactory(username="nina"))


def approval_url(loop, approval: Approval) -> str:
    return f"{loop.url}approvals/{approval.public_id}/"


def handoff_url(loop, handoff: Handoff) -> str:
    return f"{loop.url}handoffs/{handoff.public_id}/"


def state(model, pk):
    """The item's status and the trail's changes (a refusal is recorded, but changes nothing)."""
    row = model.objects.get(pk=pk)
    return row.status, AuditEvent.objects.exclude(verb="permission.refused").count()


# The inbox


def test_inbox_lists_what_is_routed_to_my_teams(loop, client):
    mine = make_approval(loop)
    make_team(loop.org, "sales-leadership")
    theirs = make_approval(loop, team="sales-leadership")
    client.force_login(loop.people["member"])
    page = client.get(loop.url).content.decode()
    assert approval_url(loop, mine) in page
    assert approval_url(loop, theirs) not in page
    assert "discount_pct 12 is above the autonomous maximum 5." in page
    assert "12% on 40 seats" in page  # which deal, at a glance
    assert "Deal Desk" in page
    assert "23 h 59 min left" in page or "1 d left" in page
    assert "My teams" in page
    assert "All teams" in page

    page = client.get(loop.url + "?scope=all").content.decode()
    assert 'data-testid="section-others"' in page
    assert page.index(approval_url(loop, mine)) < page.index(approval_url(loop, theirs))


def test_owners_see_everything_without_a_toggle(loop, client):
    make_team(loop.org, "sales-leadership")
    theirs = make_approval(loop, team="sales-leadership")
    client.force_login(loop.people["owner"])
    page = client.get(loop.url).content.decode()
    assert approval_url(loop, theirs) in page
    assert "All teams" not in page
    assert "you see, and may decide, everything" in page


def test_status_filter(loop, client):
    approval = make_approval(loop)
    services.approval_decide(approval=approval, by=loop.people["member"], verdict="approve")
    client.force_login(loop.people["member"])
    assert approval_url(loop, approval) not in client.get(loop.url).content.decode()
    decided = client.get(loop.url + "?status=approved").content.decode()
    assert approval_url(loop, approval) in decided
    assert 'class="state appr-approved"' in decided
    # An unknown status falls back to what waits.
    assert client.get(loop.url + "?status=bogus").status_code == 200


def test_handoffs_tab_flags_overdue_loudly(loop, client):
    late = make_handoff(loop)
    Handoff.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(minutes=12))
    fine = make_handoff(loop, minutes=60)
    services.handoff_claim(handoff=fine, by=loop.people["member"])
    client.force_login(loop.people["member"])
    page = client.get(loop.url + "?tab=handoffs").content.decode()
    assert handoff_url(loop, late) in page
    assert handoff_url(loop, fine) in page
    assert page.count('class="overdue-flag"') >= 1
    assert "by 12 min" in page
    assert "row-late" in page
    assert "Pricing question" in page  # the trigger, as the catalog names it
    assert "nobody yet" in page


def test_sidebar_counts_what_waits_for_me(loop, client):
    make_approval(loop)
    client.force_login(loop.people["member"])
    page = client.get(f"/o/{loop.org.slug}/").content.decode()
    # The world's approval and handoff, and this approval, are routed to the deal desk.
    assert 'data-testid="inbox-count"' in page
    assert ">3</span>" in page
    client.force_login(loop.people["author"])
    assert "/inbox/" not in client.get(f"/o/{loop.org.slug}/").content.decode()


# An approval


def test_approval_page_shows_draft_context_and_why(loop, client):
    approval = make_approval(loop)
    client.force_login(loop.people["member"])
    page = client.get(approval_url(loop, approval)).content.decode()
    for text in (
        "limit.exceeded",
        "discount_pct 12 is above the autonomous maximum 5.",
        "Discount pct",  # the request the decision was made on
        "priya@northwind.example",
        "We can offer 12% off the retainer.",
        "Priya asked for a better price on 40 seats.",
        "D-2041",
        "48,000",
        "A price her CFO signs this month",
        "Can you do better?",
        "Approve as written",
        "Edit, then approve",
        "Reject",
    ):
        assert text in page, text


def test_approve(loop, client):
    approval = make_approval(loop)
    client.force_login(loop.people["member"])
    response = client.post(approval_url(loop, approval), {"verdict": "approve"}, follow=True)
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED
    assert approval.decided_by == loop.people["member"]
    page = response.content.decode()
    assert "Approved: the agent may send it as written." in page
    assert 'data-testid="decided"' in page
    assert 'data-testid="decide"' not in page


def edit_data(**changes) -> dict:
    data = {"verdict": "edit", "edit-comment": ""}
    data.update({f"draft-{k}": v for k, v in DRAFT.items() if k != "kind"})
    data.update({f"draft-{k}": v for k, v in changes.items()})
    return data


def test_edit_then_approve_shows_both_versions_and_the_difference(loop, client):
    approval = make_approval(loop)
    client.force_login(loop.people["member"])
    body = DRAFT["body"].replace("\n", "\r\n").replace("12%", "10%")  # as browsers send it
    response = client.post(
        approval_url(loop, approval),
        edit_data(subject="10% on 40 seats", body=body, discount_pct="10")
        | {"edit-comment": "10% is our usual."},
        follow=True,
    )
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.EDITED
    assert approval.final_draft == {
        **DRAFT,
        "subject": "10% on 40 seats",
        "body": DRAFT["body"].replace("12%", "10%"),
        "discount_pct": 10,
    }
    assert approval.comment == "10% is our usual."
    page = response.content.decode()
    assert "<del>12%</del><ins>10%</ins> on 40 seats" in page
    assert "<del>12</del><ins>10</ins>" in page
    assert "The agent's draft" in page
    assert 'data-testid="final-draft"' in page
    assert "10% is our usual." in page


def test_edit_with_nothing_changed_is_refused_next_to_the_form(loop, client):
    approval = make_approval(loop)
    before = state(Approval, approval.pk)
    client.force_login(loop.people["member"])
    response = client.post(approval_url(loop, approval), edit_data())
    assert response.status_code == 400
    page = response.content.decode()
    assert "The edited draft is the same as the agent&#x27;s: approve it instead." in page
    assert '<details class="decide-panel" open data-testid="edit-panel">' in page
    assert state(Approval, approval.pk) == before


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("subject", "", "The subject cannot be empty."),
        ("body", "   ", "The body cannot be empty."),
        ("discount_pct", "ten", "Enter a whole number."),
        ("to", "x" * 20_001, "Ensure this value has at most 20000 characters"),
    ],
)
def test_edit_errors_show_next_to_their_field_and_change_nothing(loop, client, field, value, error):
    approval = make_approval(loop)
    before = state(Approval, approval.pk)
    client.force_login(loop.people["member"])
    response = client.post(approval_url(loop, approval), edit_data(**{field: value}))
    assert response.status_code == 400
    page = response.content.decode()
    field_html = page[page.index(f'name="draft-{field}"') :]
    assert error in field_html[: field_html.index("</div>") + 200]
    assert "has-error" in page
    assert state(Approval, approval.pk) == before


def test_reject_needs_a_comment(loop, client):
    approval = make_approval(loop)
    before = state(Approval, approval.pk)
    client.force_login(loop.people["member"])
    response = client.post(
        approval_url(loop, approval), {"verdict": "reject", "reject-comment": "  "}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Say why: the agent and the audit trail read this." in page
    assert 'name="reject-comment"' in page
    assert state(Approval, approval.pk) == before

    response = client.post(
        approval_url(loop, approval),
        {"verdict": "reject", "reject-comment": "We never discount in the first call."},
        follow=True,
    )
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.REJECTED
    assert approval.comment == "We never discount in the first call."
    assert "We never discount in the first call." in response.content.decode()


def test_someone_outside_the_team_is_refused_and_nothing_changes(loop, client):
    approval = make_approval(loop)
    nina = outsider(loop)
    before = state(Approval, approval.pk)
    client.force_login(nina)
    page = client.get(approval_url(loop, approval)).content.decode()
    assert 'data-testid="not-yours"' in page
    assert 'data-testid="decide"' not in page
    response = client.post(approval_url(loop, approval), {"verdict": "approve"}, follow=True)
    assert "Only members of the routed team (or owners) decide this approval." in (
        response.content.decode()
    )
    assert state(Approval, approval.pk) == before
    assert AuditEvent.objects.filter(verb="permission.refused", actor=nina.username).count() == 1


def test_the_second_decider_is_told_who_decided(loop, client):
    approval = make_approval(loop)
    client.force_login(loop.people["member"])
    client.get(approval_url(loop, approval))  # both have the page open
    services.approval_decide(approval=approval, by=loop.people["owner"], verdict="approve")
    before = state(Approval, approval.pk)
    response = client.post(approval_url(loop, approval), edit_data(subject="Changed"), follow=True)
    page = response.content.decode()
    assert "Already approved (owner). Nothing was recorded." in page
    assert 'data-testid="decided"' in page
    assert state(Approval, approval.pk) == before
    approval.refresh_from_db()
    assert approval.final_draft is None


def test_a_closed_window_is_refused(loop, client):
    approval = make_approval(loop)
    Approval.objects.filter(pk=approval.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    client.force_login(loop.people["member"])
    response = client.post(approval_url(loop, approval), {"verdict": "approve"}, follow=True)
    assert "The approval window has closed; the agent must not act." in response.content.decode()
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.EXPIRED


def test_an_unknown_verdict_changes_nothing(loop, client):
    approval = make_approval(loop)
    before = state(Approval, approval.pk)
    client.force_login(loop.people["member"])
    response = client.post(approval_url(loop, approval), {"verdict": "maybe"}, follow=True)
    assert "Choose approve, edit or reject." in response.content.decode()
    assert state(Approval, approval.pk) == before


def test_the_agents_text_is_escaped(loop, client):
    approval = make_approval(
        loop,
        draft={**DRAFT, "body": "<script>alert(1)</script> & more"},
        context={"summary": "<b>bold</b>", "thread": [{"from": "<i>x</i>", "text": "<img>"}]},
    )
    client.force_login(loop.people["member"])
    page = client.get(approval_url(loop, approval)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<b>bold</b>" not in page
    assert "<img>" not in page


# A handoff


def test_handoff_page_puts_the_brief_first(loop, client):
    handoff = make_handoff(loop)
    client.force_login(loop.people["member"])
    page = client.get(handoff_url(loop, handoff)).content.decode()
    brief = page[page.index('data-testid="brief"') : page.index('data-testid="thread"')]
    for text in (
        "“pricing_question” ends the agent",
        "Jonas wants a price for 60 seats and asks about SSO.",
        "SSO",
        "A price for 60 seats",
        "Whether SSO is included",
        "€60-80k",
        "Globetrek GmbH",
    ):
        assert text in brief, text
    assert "Respond within" in page
    assert "left" in page
    assert "Is SSO in?" in page[page.index('data-testid="thread"') :]
    assert "Claim it" in page


def test_claim_then_hand_back_to_the_agent(loop, client):
    handoff = make_handoff(loop)
    client.force_login(loop.people["member"])
    response = client.post(handoff_url(loop, handoff), {"action": "claim"}, follow=True)
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.CLAIMED
    assert handoff.assignee == loop.people["member"]
    assert "(you)" in response.content.decode()

    response = client.post(
        handoff_url(loop, handoff),
        {
            "action": "hand_back",
            "back-follow_up": "Send the SSO one-pager on Monday.",
            "back-resolution": "Quoted €68k.",
        },
        follow=True,
    )
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.RETURNED
    assert handoff.follow_up == "Send the SSO one-pager on Monday."
    assert handoff.resolution == "Quoted €68k."
    page = response.content.decode()
    assert "Task for the agent" in page
    assert "Send the SSO one-pager on Monday." in page


def test_resolve(loop, client):
    handoff = make_handoff(loop)
    client.force_login(loop.people["member"])
    client.post(handoff_url(loop, handoff), {"action": "resolve", "resolve-resolution": "Signed."})
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.RESOLVED
    assert handoff.resolution == "Signed."
    assert handoff.assignee == loop.people["member"]


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        (
            {"action": "resolve", "resolve-resolution": " "},
            "resolve-resolution",
            "Say how it ended",
        ),
        (
            {"action": "hand_back", "back-follow_up": "", "back-resolution": "Called"},
            "back-follow_up",
            "Tell the agent what to do next.",
        ),
    ],
)
def test_handoff_errors_show_next_to_their_field_and_change_nothing(
    loop, client, data, field, error
):
    handoff = make_handoff(loop)
    before = state(Handoff, handoff.pk)
    client.force_login(loop.people["member"])
    response = client.post(handoff_url(loop, handoff), data)
    assert response.status_code == 400
    page = response.content.decode()
    after_field = page[page.index(f'name="{field}"') :]
    assert error in after_field[:600]
    assert state(Handoff, handoff.pk) == before


def test_handoff_refusals(loop, client):
    handoff = make_handoff(loop)
    nina = outsider(loop)
    client.force_login(nina)
    before = state(Handoff, handoff.pk)
    response = client.post(handoff_url(loop, handoff), {"action": "claim"}, follow=True)
    assert "Only members of the routed team (or owners) work this handoff." in (
        response.content.decode()
    )
    assert state(Handoff, handoff.pk) == before

    services.handoff_claim(handoff=handoff, by=loop.people["member"])
    client.force_login(loop.people["owner"])
    before = state(Handoff, handoff.pk)
    response = client.post(handoff_url(loop, handoff), {"action": "claim"}, follow=True)
    assert "The handoff is already being worked (member)." in response.content.decode()
    assert state(Handoff, handoff.pk) == before
    assert client.post(handoff_url(loop, handoff), {"action": "dance"}).status_code == 404


# The home page


def test_home_page_alarms_on_an_unworked_inbox(loop, client):
    client.force_login(loop.people["member"])
    page = client.get(f"/o/{loop.org.slug}/").content.decode()
    assert "loop-calm" in page
    assert "Open the inbox" in page

    late = make_handoff(loop)
    Handoff.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    page = client.get(f"/o/{loop.org.slug}/").content.decode()
    assert "loop-alarm" in page
    assert "The inbox needs people now" in page
    assert "1 handoff past due" in page

    Handoff.objects.filter(pk=late.pk).update(due_at=timezone.now() + timedelta(minutes=5))
    stale = make_approval(loop)
    Approval.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=5))
    page = client.get(f"/o/{loop.org.slug}/").content.decode()
    assert "loop-alarm" in page
    assert "The oldest draft has waited 5 h" in page

    client.force_login(loop.people["auditor"])
    page = client.get(f"/o/{loop.org.slug}/").content.decode()
    assert "The inbox needs people now" in page  # they see it; they cannot work it
    assert "Open the inbox" not in page


# The diff


def test_word_diff_keeps_spacing_and_marks_words():
    assert word_diff("offer 12% off", "offer 10% off") == (
        Run("same", "offer "),
        Run("del", "12%"),
        Run("ins", "10%"),
        Run("same", " off"),
    )
    assert word_diff("a\nb", "a\nb") == (Run("same", "a\nb"),)
    changes = draft_changes(
        {"kind": "email", "n": 1, "s": "x"}, {"kind": "email", "n": 2, "s": "x"}
    )
    assert [(c.key, c.runs) for c in changes] == [("n", (Run("del", "1"), Run("ins", "2")))]
