"""The agents' side in a real browser: a check by the demo agent lands in the decision log;
the kill switch is one click (with a confirmation) from the home page."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agents_kill_switch_and_decision_log(page):
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("create_agent_key", "acme", "follow-up-copilot", stdout=out, stderr=StringIO())
    key = out.getvalue().strip().splitlines()[-1]
    for body in (
        {
            "action": "send_follow_up",
            "confidence": 0.95,
            "context": {"channel": "email", "template": "meeting-confirmation"},
        },
        {"action": "offer_discount", "confidence": 0.9, "context": {"discount_pct": 12}},
        {"action": "quote_price"},
        {"action": "negotiate_terms", "signals": ["human_requested"]},
        {"action": "fly_to_the_moon"},
    ):
        response = Client().post(
            "/api/v1/check",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code == 200

    sign_in(page, "olivia", "mandate-demo")
    page.wait_for_url("**/o/acme/")
    page.click("[data-testid=kill-switch] summary")
    page.fill("input[name=reason]", "Wrong prices in follow-ups")
    shot(page, "30-kill-switch-confirm")
    page.click("text=Yes, pause every agent's autonomy")
    assert page.locator(".kill-banner").is_visible()
    shot(page, "31-autonomy-paused")
    page.click("nav.sidebar a:text-is('Agents')")
    page.wait_for_url("**/o/acme/agents/")
    shot(page, "32-agents")
    page.goto("/o/acme/agents/follow-up-copilot/")
    page.click("button:has-text('Create a key')")
    assert page.locator("[data-testid=new-key]").is_visible()
    shot(page, "33-agent-key")
    page.click("nav.sidebar >> text=Decision log")
    assert page.locator(".verdict-escalate").count() >= 2
    shot(page, "34-decision-log")
    page.goto("/o/acme/")
    page.click("text=Resume autonomy")
    assert page.locator(".kill-banner").count() == 0
    assert page.console_errors == []
