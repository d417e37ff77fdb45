"""Agents, keys, the kill switch and the decision log in the pages."""

from apps.agents.models import Agent, AgentKey
from apps.checks.models import Decision


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
    page = client.post(f"/o/{world.org.slug}/agents/scribe/", {"action": "create_key"})
    assert page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert "Copy the new key now" in html
    raw = html.split('<pre class="secret">')[1].split("</pre>")[0]
    assert AgentKey.objects.filter(agent__key="scribe").count() == 1
    assert raw not in client.get(f"/o/{world.org.slug}/agents/scribe/").content.decode()


def test_kill_switch_from_the_home_page_is_loud_and_takes_effect(world, client):
    client.force_login(world.people["owner"])
    refused = client.post(
        f"/o/{world.org.slug}/autonomy/", {"paused": "1", "reason": ""}, follow=True
    )
    assert "Say why" in refused.content.decode()
    client.post(f"/o/{world.org.slug}/autonomy/", {"paused": "1", "reason": "Wrong prices"})
    client.force_login(world.people["member"])
    html = client.get(f"/o/{world.org.slug}/teams/").content.decode()
    assert "Autonomy is paused" in html
    assert "Wrong prices" in html


def test_decision_log_filters_and_pages(world, client):
    from tests.conftest import record_decision

    key = AgentKey.objects.filter(agent__key="copilot").first()
    for n in range(60):
        record_decision(key, {"action": f"action_{n % 3}"})
    client.force_login(world.people["auditor"])
    first = client.get(f"/o/{world.org.slug}/decisions/").content.decode()
    assert first.count("<tr>") == 51  # header + 50
    assert "Older" in first
    only = client.get(f"/o/{world.org.slug}/decisions/?action=action_1").content.decode()
    assert "action_2" not in only
    assert "action_1" in only
    cursor = first.split("before=")[1].split('"')[0]
    second = client.get(f"/o/{world.org.slug}/decisions/?before={cursor}".replace("&amp;", "&"))
    assert second.status_code == 200
    assert Decision.objects.filter(organization=world.org).count() == 61
