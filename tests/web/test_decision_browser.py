"""The decision log and an agent's keys in a real browser: filter the log with its pickers
and a time range, open one decision (masked fields read as masked), rotate a key and copy
the new one, shown once."""

import json
from datetime import UTC, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.agents.constants import KEY_VISIBLE_CHARS
from apps.core.constants import AGENT_KEY_PREFIX
from apps.humans.models import Approval
from apps.humans.services import approval_decide
from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHECKS = [
    {
        "action": "send_follow_up",
        "confidence": 0.95,
        "context": {
            "channel": "email",
            "template": "meeting-confirmation",
            "email": "priya.shah@northwind.example",
            "body": "Hi Priya, confirming Thursday at 10:00.",
        },
        "subject": {"type": "deal", "id": "D-1042"},
        "request_id": "walk-1",
    },
    {"action": "offer_discount", "confidence": 0.9, "context": {"discount_pct": 12}},
    {"action": "offer_discount", "confidence": 0.92, "context": {"discount_pct": 4}},
    {"action": "quote_price"},
    {"action": "negotiate_terms", "signals": ["human_requested"]},
    {"action": "fly_to_the_moon"},
]


def agent_key() -> str:
    out = StringIO()
    call_command("create_agent_key", "acme", "follow-up-copilot", stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()[-1]


def agent_post(key: str, path: str, body: dict) -> dict:
    response = Client().post(
        path, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code in (200, 201), response.content
    return response.json()


def test_filter_the_log_open_a_decision_and_rotate_a_key(page):
    call_command("seed_demo", stdout=StringIO())
    key = agent_key()
    answers = [agent_post(key, "/api/v1/check", body) for body in CHECKS]
    # The 12% discount waits for a person: the agent submits its draft, the owner approves
    # it, and the agent reports that it sent it.
    asked = answers[1]
    assert asked["decision"] == "require_approval"
    submitted = agent_post(
        key,
        "/api/v1/approvals",
        {
            "decision_id": asked["decision_id"],
            "draft": {"kind": "email", "subject": "12% for 40 seats", "body": "Hi Priya, …"},
            "context": {"summary": "Asked for 12% on 40 seats."},
        },
    )
    approval_decide(
        approval=Approval.objects.get(public_id=submitted["id"]),
        by=User.objects.get(username="olivia"),
        verdict="approve",
        comment="Fine for a 40-seat deal.",
    )
    agent_post(
        key,
        f"/api/v1/decisions/{asked['decision_id']}/outcome",
        {"executed": True, "detail": "sent"},
    )

    sign_in(page, "olivia", "mandate-demo")
    page.wait_for_url("**/o/acme/")
    page.click("nav.sidebar >> text=Decision log")
    page.wait_for_url("**/o/acme/decisions/")
    shot(page, "70-decision-log")

    # Pickers, not free text: choose the agent and the action.
    page.select_option("#f-agent", "follow-up-copilot")
    page.select_option("#f-action", "offer_discount")
    since = (timezone.now() - timedelta(hours=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    page.fill("#f-since", since)
    page.click("[data-testid=log-filters] button[type=submit]")
    page.wait_for_url("**/decisions/?*")
    rows = page.locator(".log-table tbody tr")
    assert rows.count() == 2
    assert page.locator(".log-table tbody code", has_text="quote_price").count() == 0
    assert page.input_value("#f-since") == since
    shot(page, "71-decision-log-filtered")

    page.click("[data-testid=clear-filters]")
    page.wait_for_url("**/o/acme/decisions/")
    assert page.input_value("#f-action") == ""
    assert page.locator(".log-table tbody tr").count() >= len(CHECKS)

    # Open the follow-up: its e-mail address and body were masked before they were stored.
    page.locator("tr", has=page.locator("code", has_text="send_follow_up")).first.locator(
        "[data-testid=decision-link]"
    ).click()
    page.wait_for_url("**/o/acme/decisions/dec_*/")
    request = page.locator("[data-testid=recorded-request]")
    assert request.locator(".masked-badge").count() == 2
    assert "priya.shah@northwind.example" not in page.content()
    assert "context.email" in page.locator("[data-testid=masked-paths]").inner_text()
    assert page.locator("[data-testid=version-link]").is_visible()
    shot(page, "72-decision-detail")
    page.click("[data-testid=version-link]")
    page.wait_for_url("**/policies/sales-pipeline/v/*/")

    # The discount that went to a person: the approval and what the agent then reported.
    page.goto("/o/acme/decisions/?action=offer_discount&decision=require_approval")
    page.locator(f"a[href$='/decisions/{asked['decision_id']}/']").click()
    page.wait_for_url(f"**/decisions/{asked['decision_id']}/")
    follow_up = page.locator("[data-testid=follow-up]")
    assert "Approval" in follow_up.inner_text()
    assert "executed" in follow_up.inner_text()
    shot(page, "77-decision-approved-and-executed")

    # Rotate the agent's key: the old one keeps working for the overlap chosen.
    page.goto("/o/acme/agents/follow-up-copilot/")
    row = page.locator(f"li[data-prefix='{key[: len(AGENT_KEY_PREFIX) + KEY_VISIBLE_CHARS]}']")
    row.locator("summary", has_text="Rotate…").click()
    until = row.locator("input[name=old_valid_until]")
    assert until.is_visible()
    assert until.input_value()  # a default: a day from now
    shot(page, "73-rotate-form")
    row.locator("button", has_text="Rotate key").click()
    page.wait_for_url("**/o/acme/agents/follow-up-copilot/")
    callout = page.locator("[data-testid=new-key]")
    assert callout.is_visible()
    assert "shown only once" in callout.inner_text().lower()
    assert "keeps working until" in callout.inner_text()
    new_key = page.locator("#new-key-value").inner_text().strip()
    assert new_key.startswith("mnd_agent_")
    assert new_key != key

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click(".copy-button")
    expect(page.locator(".copy-button")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == new_key
    shot(page, "74-rotated-key")

    for raw in (key, new_key):  # both work during the overlap
        agent_post(raw, "/api/v1/check", {"action": "quote_price"})

    page.reload()
    assert page.locator("[data-testid=new-key]").count() == 0
    page.locator("[data-testid=keys] summary", has_text="Revoke…").first.click()
    shot(page, "75-revoke-confirm")

    # On a phone the log scrolls sideways rather than breaking identifiers in two.
    page.set_viewport_size({"width": 420, "height": 860})
    page.goto("/o/acme/decisions/")
    cell = page.locator(".log-table tbody code", has_text="send_follow_up").first
    assert cell.evaluate("e => e.getClientRects().length") == 1  # one line, not split
    shot(page, "76-decision-log-narrow")
    assert page.console_errors == []
