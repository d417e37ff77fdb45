"""The trust page in a real browser, on the demo data: the author reads the record, proposes
the recommended change with one click and lands on the new draft; the decision log shows
what the agent reported doing."""

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


def test_author_proposes_autonomy_from_the_record(page, demo):
    sign_in(page, "adam", "mandate-demo")
    page.goto("/o/acme/trust/")
    card = page.locator("[data-testid=trust-follow-up-copilot]")
    recommendation = card.locator("[data-testid=recommendation]")
    assert "move draft_proposal to autonomous" in recommendation.inner_text()
    assert card.locator("tr.trust-recommended").count() == 1
    # The bar's layers: 23 of 25 closed approvals unchanged, then 1 edited, 1 expired.
    row = card.locator("tr.trust-recommended")
    assert row.locator(".trust-bar").bounding_box()["width"] > 150
    approved = row.locator(".seg-approved").evaluate("bar => bar.position")
    edited = row.locator(".seg-edited").evaluate("bar => bar.position")
    assert (approved, edited) == (pytest.approx(23 / 25), pytest.approx(24 / 25))
    shot(page, "63-trust")

    page.click("text=7 days")
    page.wait_for_url("**/trust/?days=7")
    assert card.locator("[data-testid=recommendation]").count() == 0
    page.click("text=30 days")

    page.click("button:has-text('Propose as a draft version')")
    page.wait_for_url("**/policies/sales-pipeline/v/5/")
    assert page.locator(".flash-success").is_visible()
    assert "draft_proposal: mode approval → autonomous" in page.content()
    draft = PolicyVersion.objects.get(policy__key="sales-pipeline", number=5)
    assert draft.state == VersionState.DRAFT
    shot(page, "64-trust-draft")

    page.goto("/o/acme/decisions/?agent=follow-up-copilot&action=draft_proposal")
    assert page.locator(".outcome-executed").first.is_visible()
    shot(page, "65-decision-log-outcomes")
    assert page.console_errors == []
