"""The inbox's response-times tab in a real browser, on the demo data: a deal desk member
walks from the inbox to each team's figures, sees the breaches stand out, and changes the
window."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=StringIO())


def test_a_team_member_reads_each_teams_response_times(page, demo):
    sign_in(page, "sam", "mandate-demo")
    page.goto("/o/acme/inbox/")
    page.click("[data-testid=tab-sla]")
    page.wait_for_url("**/inbox/sla/")
    assert page.locator("[data-testid=tab-sla]").get_attribute("class") == "active"

    desk = page.locator("[data-testid=sla-deal-desk]")
    assert desk.is_visible()
    cells = desk.locator("td").all_inner_texts()
    assert cells[1] == "8"  # seven closed over three weeks, one open now
    assert desk.locator("[data-testid=breaches]").inner_text() == "2"
    assert desk.locator(".sla-breach").evaluate("e => getComputedStyle(e).color") == (
        "rgb(185, 28, 28)"
    )
    leadership = page.locator("[data-testid=sla-sales-leadership]")
    assert leadership.locator("[data-testid=overdue-now]").inner_text() == "1"
    assert "row-late" in leadership.get_attribute("class")
    summary = page.locator("[data-testid=sla-summary]")
    assert "median time to claim" in summary.inner_text()
    shot(page, "66-handoff-response-times")

    page.click("text=7 days")
    page.wait_for_url("**/inbox/sla/?days=7")
    assert page.locator("[aria-current=page]").inner_text() == "7 days"
    assert int(page.locator("[data-testid=sla-deal-desk] td").nth(1).inner_text()) < 8
    assert page.console_errors == []
