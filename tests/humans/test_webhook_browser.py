"""The webhooks page in a real browser: add an endpoint (its secret shown once), see a
failed delivery in the history, redeliver it with one click."""

import pytest

from apps.humans.constants import WebhookStatus
from apps.humans.models import WebhookMessage
from tests.browser import shot, sign_in
from tests.factories import PASSWORD, submit_handoff
from tests.humans.webhook_receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_a_webhook_watch_it_fail_and_redeliver(world, page, settings, monkeypatch):
    from apps.humans import tasks

    settings.MANDATE_WEBHOOKS_ALLOW_PRIVATE = True
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda *a: tasks.deliver_webhook(*a))
    monkeypatch.setattr(tasks.send_notification, "delay", lambda *a: None)
    receiver = Receiver(statuses=[503, 200]).start()
    try:
        sign_in(page, "owner", PASSWORD)
        page.wait_for_url(f"**/o/{world.org.slug}/")
        page.click("nav.sidebar >> text=Webhooks")
        page.wait_for_url(f"**/o/{world.org.slug}/webhooks/")
        page.fill("input[name=url]", receiver.url)
        page.uncheck("input[value='policy_version.published']")
        page.fill("input[name=description]", "Deal desk's CRM")
        page.click("button:has-text('Add webhook')")
        secret = page.locator("[data-testid=new-secret] pre").inner_text().strip()
        assert secret.startswith("whsec_")
        shot(page, "60-webhook-secret")
        assert page.console_errors == []

        handoff = submit_handoff(world)  # the delivery runs when it commits: 503
        message = WebhookMessage.objects.get(endpoint__url=receiver.url)
        assert message.status == WebhookStatus.PENDING
        page.goto(f"/o/{world.org.slug}/webhooks/")
        assert secret not in page.content()
        row = page.locator(f"[data-testid=delivery]:has-text('{message.public_id}')")
        assert "HTTP 503" in row.inner_text()
        row.locator("summary:has-text('history')").click()
        shot(page, "61-webhook-history")

        row.locator("button:has-text('Redeliver')").click()
        page.wait_for_url(f"**/o/{world.org.slug}/webhooks/")
        row = page.locator(f"[data-testid=delivery]:has-text('{message.public_id}')")
        assert "Delivered" in row.inner_text()
        assert "HTTP 200" in row.inner_text()
        shot(page, "62-webhook-redelivered")
        assert receiver.ids() == [message.public_id, message.public_id]
        assert handoff.public_id in receiver.received[-1].body
        assert page.console_errors == []
    finally:
        receiver.stop()
