"""The inbox in a real browser, as the deal desk's Sam works it: the home page says the
inbox is waiting; Sam opens a discount the agent drafted, edits it, approves it and sees
the difference; then takes a handed-off pricing question, claims it and hands the next
step back to the agent."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from apps.humans.constants import ApprovalStatus, HandoffStatus
from apps.humans.models import Approval, Handoff
from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _ago(minutes: int) -> str:
    return (timezone.now() - timedelta(minutes=minutes)).isoformat(timespec="seconds")


class Agent:
    """The demo agent `proposal-drafter` speaking the agent API."""

    def __init__(self) -> None:
        out = StringIO()
        call_command("create_agent_key", "acme", "proposal-drafter", stdout=out, stderr=StringIO())
        self.key = out.getvalue().strip().splitlines()[-1]

    def post(self, path: str, body: dict) -> dict:
        response = Client().post(
            path,
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.key}",
        )
        assert response.status_code in (200, 201), response.content
        return response.json()

    def check(self, body: dict, expected: str) -> str:
        answer = self.post("/api/v1/check", body)
        assert answer["decision"] == expected, answer
        return answer["decision_id"]


DISCOUNT_DRAFT = {
    "kind": "email",
    "to": "priya.raman@northwind.example",
    "subject": "Northwind and Acme: 12% on the 40-seat retainer",
    "body": (
        "Hi Priya,\n\n"
        "Thanks for your time on Tuesday. As discussed, we can offer 12% off the annual "
        "retainer for 40 seats if you sign by the end of the month.\n\n"
        "The proposal is attached; I'd be glad to walk your CFO through it.\n\n"
        "Best regards,\nAcme Consulting"
    ),
    "discount_pct": 12,
}

DISCOUNT_CONTEXT = {
    "summary": "Priya (VP Operations, Northwind) asked for a better price on 40 seats after "
    "the demo; her CFO signs this month.",
    "intent_tags": ["discount", "ready to buy", "end of quarter"],
    "deal": {"id": "D-2041", "stage": "proposal", "value": 48000, "seats": 40},
    "qualification": {"budget": "approved for Q3", "authority": "CFO signs", "timeline": "June"},
    "needs_next": ["A price her CFO can sign this month"],
    "thread": [
        {
            "from": "Priya Raman",
            "at": _ago(95),
            "text": "The demo went well. 40 seats is more than we budgeted, though: "
            "can you do better on the price?",
        },
        {
            "from": "proposal-drafter",
            "at": _ago(90),
            "text": "Thanks, Priya. I'll come back to you today with a proposal.",
        },
    ],
}

PRICING_CONTEXT = {
    "summary": "Jonas asked what 60 seats would cost and whether SSO is included; he compares "
    "two vendors this week.",
    "intent_tags": ["pricing", "buying intent", "SSO"],
    "qualification": {
        "budget": "€60-80k",
        "authority": "Head of Sales Ops, recommends",
        "need": "onboarding for 60 reps",
        "timeline": "decides by Friday",
    },
    "needs_next": ["A price for 60 seats", "Whether SSO is included"],
    "deal": {"id": "D-2077", "company": "Globetrek GmbH", "stage": "discovery", "value": 72000},
    "thread": [
        {
            "from": "Jonas Weber",
            "at": _ago(9),
            "text": "We liked the walkthrough. What would 60 seats cost us per year?",
        },
        {
            "from": "proposal-drafter",
            "at": _ago(8),
            "text": "Good question: let me bring in a colleague from our deal desk who can "
            "answer that precisely.",
        },
        {"from": "Jonas Weber", "at": _ago(7), "text": "Sure. And is SSO part of it?"},
    ],
}


@pytest.fixture
def inbox():
    """The demo, plus what the proposal drafter routed to people through the agent API:
    a discount above its limit, a pricing question, and older work nobody picked up."""
    call_command("seed_demo", stdout=StringIO())
    agent = Agent()
    asked = agent.check(
        {"action": "offer_discount", "confidence": 0.92, "context": {"discount_pct": 12}},
        "require_approval",
    )
    discount = agent.post(
        "/api/v1/approvals",
        {"decision_id": asked, "draft": DISCOUNT_DRAFT, "context": DISCOUNT_CONTEXT},
    )
    proposal = agent.check({"action": "draft_proposal", "confidence": 0.9}, "require_approval")
    stale = agent.post(
        "/api/v1/approvals",
        {
            "decision_id": proposal,
            "draft": {
                "kind": "document",
                "title": "Proposal: Contoso onboarding",
                "body": "Scope: onboarding for 25 reps.\nFee: €18,000, paid quarterly.",
            },
            "context": {"summary": "Contoso asked for a written proposal.", "deal": "D-1990"},
        },
    )
    waited = timedelta(hours=6)
    stale_row = Approval.objects.get(public_id=stale["id"])
    Approval.objects.filter(pk=stale_row.pk).update(
        created_at=stale_row.created_at - waited, due_at=stale_row.due_at - waited
    )
    escalated = agent.check(
        {"action": "send_follow_up", "signals": ["pricing_question"], "confidence": 0.9},
        "escalate",
    )
    pricing = agent.post("/api/v1/handoffs", {"decision_id": escalated, "context": PRICING_CONTEXT})
    late = agent.check({"action": "quote_price", "confidence": 0.9}, "escalate")
    overdue = agent.post(
        "/api/v1/handoffs",
        {
            "decision_id": late,
            "context": {
                "summary": "Fabrikam wants a quote for a two-day workshop.",
                "intent_tags": ["pricing"],
            },
        },
    )
    Handoff.objects.filter(public_id=overdue["id"]).update(
        created_at=timezone.now() - timedelta(minutes=50),
        due_at=timezone.now() - timedelta(minutes=20),
    )
    return {"discount": discount["id"], "pricing": pricing["id"], "overdue": overdue["id"]}


def test_a_deal_desk_member_works_the_inbox(page, inbox):
    sign_in(page, "sam", "mandate-demo")
    page.wait_for_url("**/o/acme/")
    loop = page.locator("[data-testid=human-loop]")
    assert "The inbox needs people now" in loop.inner_text()
    assert int(page.locator("[data-testid=inbox-count]").inner_text()) >= 4
    shot(page, "50-home-inbox-alarm")

    loop.locator("text=Open the inbox").click()
    page.wait_for_url("**/o/acme/inbox/")
    link = f"a[href$='/inbox/approvals/{inbox['discount']}/']"
    row = page.locator("[data-testid=section-mine] tbody tr", has=page.locator(link))
    assert "discount_pct 12 is above the autonomous maximum 5" in row.inner_text()
    shot(page, "51-inbox-approvals")

    page.click(link)
    page.wait_for_url(f"**/inbox/approvals/{inbox['discount']}/")
    assert page.locator("[data-testid=why]").inner_text().count("limit.exceeded") == 1
    assert "D-2041" in page.locator("[data-testid=context]").inner_text()
    shot(page, "52-approval")

    page.click("[data-testid=edit-panel] summary")
    page.fill("input[name=draft-subject]", "")
    page.click("button[value=edit]")
    assert page.locator(".field.has-error >> text=The subject cannot be empty.").is_visible()
    shot(page, "53-approval-edit-error")

    page.fill("input[name=draft-subject]", "Northwind and Acme: 10% on the 40-seat retainer")
    body = page.input_value("textarea[name=draft-body]")
    page.fill("textarea[name=draft-body]", body.replace("12% off", "10% off"))
    page.fill("input[name=draft-discount_pct]", "10")
    page.fill("textarea[name=edit-comment]", "10% is what the deal desk gives on 40 seats.")
    page.click("button[value=edit]")
    assert page.locator(".flash-success").is_visible()
    changes = page.locator("[data-testid=changes]")
    assert changes.locator(".word-diff del").first.inner_text() == "12%"
    assert changes.locator(".word-diff ins").first.inner_text() == "10%"
    assert "10% off the annual retainer" in page.locator("[data-testid=final-draft]").inner_text()
    shot(page, "54-approval-edited-diff")
    approval = Approval.objects.get(public_id=inbox["discount"])
    assert approval.status == ApprovalStatus.EDITED
    assert approval.final_draft["discount_pct"] == 10

    page.click("nav.sidebar >> text=Inbox")
    page.click("[data-testid=tab-handoffs]")
    overdue = page.locator(
        "tr.row-late", has=page.locator(f"a[href$='/inbox/handoffs/{inbox['overdue']}/']")
    )
    assert overdue.locator(".overdue-flag").is_visible()
    shot(page, "55-inbox-handoffs")

    page.click(f"a[href$='/inbox/handoffs/{inbox['overdue']}/']")
    assert page.locator("[data-testid=overdue]").is_visible()
    assert "Quote a price" in page.locator("h1").inner_text()
    shot(page, "55-handoff-overdue")
    page.go_back()

    page.click(f"a[href$='/inbox/handoffs/{inbox['pricing']}/']")
    page.wait_for_url(f"**/inbox/handoffs/{inbox['pricing']}/")
    brief = page.locator("[data-testid=brief]").inner_text()
    assert "A price for 60 seats" in brief
    assert "Globetrek GmbH" in brief
    assert "And is SSO part of it?" in page.locator("[data-testid=thread]").inner_text()
    shot(page, "56-handoff")

    page.click("text=Claim it")
    assert "Sam Patel (you)" in page.locator("[data-testid=work]").inner_text()
    page.click("[data-testid=hand-back-panel] summary")
    page.fill("textarea[name=back-resolution]", "Called Jonas: €68k a year for 60 seats, SSO in.")
    page.click("[data-testid=hand-back-panel] button[type=submit]")
    assert page.locator("[data-testid=hand-back-panel] .error").is_visible()
    shot(page, "57-handoff-hand-back-error")
    page.fill(
        "textarea[name=back-follow_up]",
        "Send Jonas the 60-seat proposal and the SSO one-pager on Monday.",
    )
    page.click("[data-testid=hand-back-panel] button[type=submit]")
    assert page.locator(".flash-success").is_visible()
    assert "Send Jonas the 60-seat proposal" in page.locator("[data-testid=closed]").inner_text()
    shot(page, "58-handoff-handed-back")
    handoff = Handoff.objects.get(public_id=inbox["pricing"])
    assert handoff.status == HandoffStatus.RETURNED
    assert handoff.follow_up.startswith("Send Jonas")
    assert page.console_errors == []


def test_someone_outside_the_team_reads_but_cannot_decide(page, inbox):
    sign_in(page, "nina", "mandate-demo")
    page.wait_for_url("**/o/acme/")
    page.goto("/o/acme/inbox/?scope=all")
    others = page.locator("[data-testid=section-others]")
    assert others.locator(f"a[href$='/inbox/approvals/{inbox['discount']}/']").count() == 1
    shot(page, "59-inbox-other-teams")
    page.goto(f"/o/acme/inbox/approvals/{inbox['discount']}/")
    assert page.locator("[data-testid=not-yours]").is_visible()
    assert page.locator("[data-testid=decide]").count() == 0
    assert page.console_errors == []
