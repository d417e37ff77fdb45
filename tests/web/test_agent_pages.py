"""Agents, keys and the kill switch in the pages."""

import json
import re
from datetime import UTC, datetime, timedelta
from unittest import mock

from django.test import Client
from django.utils import timezone

from apps.agents.models import Agent, AgentKey
from apps.audit.models import AuditEvent


def shown_key(html: str) -> str | None:
    if 'id="new-key-value"' not in html:
        return None
    return html.split('id="new-key-value">')[1].split("</pre>")[0]


def local(moment) -> str:
    """What a datetime-local input sends: minutes, no offset (read as UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def check(raw_key: str) -> int:
    return (
        Client()
        .post(
            "/api/v1/check",
            json.dumps({"action": "send_follow_up"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw_key}",
        )
        .status_code
    )


def test_register_an_agent_and_show_its_key_once(world, client):
    client.force_login(world.people["owner"])
    bad = client.post(f"/o/{world.org.slug}/agents/", {"key": "Bad Key", "name": ""})
    assert bad.status_code == 400
    assert "Use lowercase letters" in bad.content.decode()
    assert not Agent.objects.filter(organization=world.org, name="").exists()
    ok = client.post(
        f"/o/{world.org.slug}/agents/",
        {"key": "scribe", "name": "CRM scribe", "team": "deal-desk", "policy": "pipeline"},
    )
    assert ok.status_code == 302
    url = f"/o/{world.org.slug}/agents/scribe/"
    # POST, redirect, GET: the key is never in the POST's answer, so a refresh cannot
    # make another one.
    posted = client.post(url, {"action": "create_key"})
    assert posted.status_code == 302
    assert posted["Location"] == url
    assert "mnd_agent_" not in posted.content.decode()
    page = client.get(url)
    assert page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert "Copy the new key now" in html
    assert "Shown only once" in html
    assert 'data-copy-target="new-key-value"' in html
    assert "js/copy.js" in html
    raw = shown_key(html)
    key = AgentKey.objects.get(agent__key="scribe")
    assert raw.startswith(key.prefix)
    assert key.expires_at is None
    # Shown once: the next GET has neither the key nor anything left in the session.
    again = client.get(url).content.decode()
    assert shown_key(again) is None
    assert raw not in again
    assert raw not in str(dict(client.session))
    assert AgentKey.objects.filter(agent__key="scribe").count() == 1
    assert check(raw) == 200


def test_a_new_key_is_shown_only_on_its_own_agents_page(world, client):
    client.force_login(world.people["owner"])
    client.post(f"/o/{world.org.slug}/agents/", {"key": "scribe", "name": "CRM scribe", "team": ""})
    client.post(f"/o/{world.org.slug}/agents/copilot/", {"action": "create_key"})
    elsewhere = client.get(f"/o/{world.org.slug}/agents/scribe/").content.decode()
    assert shown_key(elsewhere) is None
    # ...and it is gone, not kept for later.
    assert shown_key(client.get(f"/o/{world.org.slug}/agents/copilot/").content.decode()) is None


def test_a_key_with_an_expiry(world, client):
    client.force_login(world.people["owner"])
    url = f"/o/{world.org.slug}/agents/copilot/"
    assert 'name="expires_at"' in client.get(url).content.decode()
    past = client.post(
        url, {"action": "create_key", "expires_at": local(timezone.now() - timedelta(hours=1))}
    )
    assert past.status_code == 400
    assert "Must be in the future." in past.content.decode()
    garbage = client.post(url, {"action": "create_key", "expires_at": "2026-13-45T00:00"})
    assert garbage.status_code == 400
    assert "Enter a valid date/time." in garbage.content.decode()
    assert AgentKey.objects.filter(agent__key="copilot").count() == 1

    when = (timezone.now() + timedelta(days=30)).replace(second=0, microsecond=0)
    assert client.post(url, {"action": "create_key", "expires_at": local(when)}).status_code == 302
    html = client.get(url).content.decode()
    newest = AgentKey.objects.filter(agent__key="copilot").latest("created_at")
    assert newest.expires_at == when  # the time typed is UTC
    assert f"it expires {when:%b} {when.day}, {when:%Y %H:%M} UTC" in html


def test_rotate_a_key_with_an_overlap(world, client):
    client.force_login(world.people["owner"])
    url = f"/o/{world.org.slug}/agents/copilot/"
    client.post(url, {"action": "create_key"})
    old_raw = shown_key(client.get(url).content.decode())
    old = AgentKey.objects.filter(agent__key="copilot").latest("created_at")
    assert old_raw.startswith(old.prefix)
    page = client.get(url).content.decode()
    # Each active key offers "Rotate…", defaulting to a day of overlap, in UTC.
    assert page.count("Rotate…") == AgentKey.objects.filter(agent__key="copilot").count()
    assert "Old key keeps working until (UTC)" in page
    default = re.search(r'name="old_valid_until" value="([^"]+)"', page).group(1)
    offered = datetime.strptime(default, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    assert abs(offered - (timezone.now() + timedelta(hours=24))) < timedelta(minutes=2)

    refused = client.post(
        url,
        {
            "action": "rotate_key",
            "prefix": old.prefix,
            "old_valid_until": local(timezone.now() - timedelta(minutes=5)),
        },
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Must be in the future." in html
    assert '<details class="key-confirm" open>' in html  # the form stays open at its error
    assert AgentKey.objects.filter(agent__key="copilot").count() == 2
    assert (
        client.post(
            url, {"action": "rotate_key", "prefix": "mnd_agent_nosuch", "old_valid_until": default}
        ).status_code
        == 404
    )

    until = (timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    new_expiry = (timezone.now() + timedelta(days=90)).replace(second=0, microsecond=0)
    rotated = client.post(
        url,
        {
            "action": "rotate_key",
            "prefix": old.prefix,
            "old_valid_until": local(until),
            "expires_at": local(new_expiry),
        },
    )
    assert rotated.status_code == 302
    html = client.get(url).content.decode()
    new_raw = shown_key(html)
    assert new_raw
    assert new_raw != old_raw
    assert f"{until:%b} {until.day}, {until:%Y %H:%M} UTC" in html
    assert shown_key(client.get(url).content.decode()) is None
    old.refresh_from_db()
    assert old.expires_at == until
    assert AgentKey.objects.get(prefix=new_raw[: len(old.prefix)]).expires_at == new_expiry
    assert AuditEvent.objects.filter(verb="agent_key.rotated").count() == 1

    # Both work during the overlap; after it, only the new one.
    assert check(old_raw) == 200
    assert check(new_raw) == 200
    later = timezone.now() + timedelta(hours=3)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert check(old_raw) == 401
        assert check(new_raw) == 200


def test_revoke_asks_first(world, client):
    client.force_login(world.people["owner"])
    url = f"/o/{world.org.slug}/agents/copilot/"
    key = AgentKey.objects.get(agent__key="copilot")
    html = client.get(url).content.decode()
    # The same pattern as Suspend: a summary that opens a confirmation, then the POST.
    revoke = html.split('<summary class="btn small danger-outline">Revoke…</summary>')[1]
    revoke = revoke.split("</details>")[0]
    assert "Yes, revoke" in revoke
    assert f'value="{key.prefix}"' in revoke
    assert "Cancel" in revoke
    assert 'type="submit">Revoke</button>' not in html
    done = client.post(url, {"action": "revoke_key", "prefix": key.prefix}, follow=True)
    assert "Key revoked" in done.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Rotate…" not in done.content.decode()  # nothing left to rotate


def test_only_managers_see_keys(world, client):
    client.force_login(world.people["auditor"])
    html = client.get(f"/o/{world.org.slug}/agents/copilot/").content.decode()
    assert "Rotate…" not in html
    assert "Create a key" not in html


def test_kill_switch_from_the_home_page_is_loud_and_takes_effect(world, client):
    client.force_login(world.people["owner"])
    home = client.get(f"/o/{world.org.slug}/").content.decode()
    confirm = home.split('<details class="kill-confirm">')[1].split("</details>")[0]
    assert "Yes, pause every agent" in confirm
    assert f'href="/o/{world.org.slug}/">Cancel</a>' in confirm
    refused = client.post(
        f"/o/{world.org.slug}/autonomy/", {"paused": "1", "reason": ""}, follow=True
    )
    assert "Say why" in refused.content.decode()
    paused = client.post(
        f"/o/{world.org.slug}/autonomy/", {"paused": "1", "reason": "Wrong prices"}, follow=True
    ).content.decode()
    flash = paused.split('<div class="flash flash-warning">')[1].split("</div>")[0]
    assert "every would-be allow now waits for a person" in flash
    assert "denies still deny" in flash
    assert "flash-success" not in paused
    client.force_login(world.people["member"])
    html = client.get(f"/o/{world.org.slug}/teams/").content.decode()
    banner = html.split('<div class="kill-banner" role="alert">')[1].split("</div>")[0]
    assert "Autonomy is paused" in banner
    assert f"{timezone.now():%Y}" in banner
    assert "<strong>Reason:</strong> Wrong prices" in banner
    client.force_login(world.people["owner"])
    resumed = client.post(
        f"/o/{world.org.slug}/autonomy/", {"paused": "0"}, follow=True
    ).content.decode()
    assert "flash-success" in resumed
    assert "kill-banner" not in resumed
