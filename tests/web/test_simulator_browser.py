"""The simulator in a real browser: a sales leader describes a check on the active version
and on the version waiting for review, and reads the decisions side by side in time."""

from io import StringIO

import pytest
from django.core.management import call_command

from apps.checks.models import Decision
from tests.browser import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(target, name: str) -> None:
    """A page (in full) or one element, as tests.browser.shot does, but leaving the caret
    alone: hiding it puts a style attribute on every input, which htmx then carries over when
    it swaps the simulator in (a CSP violation only the screenshot would cause)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"{name}.png")
    if hasattr(target, "goto"):
        target.screenshot(path=path, full_page=True, caret="initial")
    else:
        target.screenshot(path=path, caret="initial")


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=StringIO())


def test_a_sales_leader_tries_a_discount_on_two_versions(page, demo):
    decisions = Decision.objects.count()
    sign_in(page, "leo", "mandate-demo")
    active = "/o/acme/policies/sales-pipeline/v/2/"
    page.goto(active)
    shot(page, "40-version-with-simulator")
    # Tall enough for the simulator to be photographed whole, under the sticky top bar.
    page.set_viewport_size({"width": 1360, "height": 1600})
    page.click("text=Simulate a check ↓")
    simulator = page.locator("[data-testid=simulator]")
    assert simulator.is_visible()

    page.evaluate("window.beforeTheCheck = true")
    page.select_option("#sim-action", "offer_discount")
    page.fill("#sim-confidence", "0.9")
    page.fill("#sim-limit_discount_pct", "8")
    page.click("button:has-text('Simulate the check')")
    decision = page.locator("[data-testid=sim-decision]")
    decision.wait_for()
    assert decision.inner_text() == "require_approval"
    reasons = page.locator("[data-testid=sim-reasons]").inner_text()
    assert "limit.exceeded" in reasons
    assert "discount_pct 8 is above the autonomous maximum 5" in reasons
    assert "deal-desk" in page.locator("[data-testid=sim-obligations]").inner_text()
    assert page.evaluate("window.beforeTheCheck") is True  # answered in place (htmx)
    # What was typed is kept for the next try.
    assert page.input_value("#sim-limit_discount_pct") == "8"
    shot(simulator, "41-simulator-require-approval")

    page.check("input[name=signals][value=human_requested]")
    page.click("button:has-text('Simulate the check')")
    page.wait_for_selector("[data-testid=sim-decision]:has-text('escalate')")
    assert "trigger.human_requested" in page.locator("[data-testid=sim-reasons]").inner_text()
    obligations = page.locator("[data-testid=sim-obligations]").inner_text()
    assert "sales-leadership" in obligations
    assert "5" in obligations

    # The version waiting for review raises the limit to 10: the same discount goes through.
    page.goto("/o/acme/policies/sales-pipeline/v/4/#simulator")
    page.select_option("#sim-action", "offer_discount")
    page.fill("#sim-confidence", "0.9")
    page.fill("#sim-limit_discount_pct", "8")
    page.click("button:has-text('Simulate the check')")
    page.wait_for_selector("[data-testid=sim-decision]:has-text('allow')")
    assert "action.allowed" in page.locator("[data-testid=sim-reasons]").inner_text()
    shot(page.locator("[data-testid=simulator]"), "42-simulator-allow-in-review")

    page.click("text=Advanced: the raw JSON request")
    page.fill(
        "#sim-request_json", '{"action": "offer_discount", "context": {"discount_pct": "a lot"}}'
    )
    page.click("button:has-text('Simulate this JSON')")
    error = page.locator("#simulator .field.has-error .error")
    error.wait_for()
    assert "context.discount_pct: must be a number" in error.inner_text()
    shot(page.locator("[data-testid=simulator]"), "43-simulator-json-error")

    assert Decision.objects.count() == decisions
    assert page.console_errors == []
