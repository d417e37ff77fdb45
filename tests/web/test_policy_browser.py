"""The envelope in a real browser: the author edits a draft (and sees an error next to its
field), submits it; the reviewer reads the side-by-side diff, approves and publishes."""

from io import StringIO

import pytest
from django.core.management import call_command

from apps.policies.constants import VersionState
from apps.policies.models import PolicyVersion
from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=StringIO())


def test_author_then_reviewer(page, demo):
    sign_in(page, "adam", "mandate-demo")
    page.goto("/o/acme/policies/")
    shot(page, "20-policies")
    page.click("text=Sales pipeline agents")
    shot(page, "21-policy-history")
    page.click("text=New draft from v2")
    page.wait_for_url("**/v/5/edit/")
    shot(page, "22-editor")

    page.click("tbody:has(select[name=action-offer_discount-mode]) summary")
    page.fill("input[name=action-offer_discount-limits]", "discount_pct=-2")
    page.click("button[value=stay]")
    assert page.locator(".form-errors").is_visible()
    assert page.locator("text=must be a number ≥ 0").is_visible()
    shot(page, "23-editor-error")

    page.fill("input[name=action-offer_discount-limits]", "discount_pct=8")
    page.select_option("select[name=action-schedule_meeting-mode]", "autonomous")
    page.fill("input[name=action-send_follow_up-min_confidence]", "0.85")
    page.click("button[value=submit]")
    page.wait_for_url("**/v/5/")
    assert page.locator(".flash-success").is_visible()
    assert (
        PolicyVersion.objects.get(policy__key="sales-pipeline", number=5).state
        == VersionState.IN_REVIEW
    )
    assert page.locator("text=Waiting for a reviewer").is_visible()
    page.context.clear_cookies()

    sign_in(page, "rita", "mandate-demo")
    page.goto("/o/acme/policies/sales-pipeline/v/5/")
    changes = page.locator("[data-testid=changes]").inner_text()
    assert "offer_discount: limit discount_pct 5 → 8" in changes
    assert "send_follow_up: min_confidence none → 0.85" in changes
    assert "schedule_meeting: added" in changes
    shot(page, "24-review-side-by-side")
    page.fill("textarea[name=comment]", "8% is within what the deal desk approves anyway.")
    page.click("button:has-text('Approve')")
    assert page.locator("text=Publish it to make agents follow it").is_visible()
    shot(page, "25-approved")
    page.click("button:has-text('Publish')")
    assert page.locator(".flash-success").is_visible()
    assert (
        PolicyVersion.objects.get(policy__key="sales-pipeline", number=5).state
        == VersionState.ACTIVE
    )
    page.goto("/o/acme/policies/sales-pipeline/")
    shot(page, "26-history-after-publish")
    assert page.console_errors == []


def test_catalog_page(page, demo):
    sign_in(page, "adam", "mandate-demo")
    page.goto("/o/acme/catalog/")
    shot(page, "27-catalog")
    page.fill("#signals-key", "renewal_risk")
    page.fill("#signals-label", "Renewal at risk")
    page.click("text=Add signal")
    assert page.locator(".flash-success").is_visible()
