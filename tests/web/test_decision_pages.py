"""The decision log page (filters, pickers, paging both ways) and one decision's page."""

import json
import re
from datetime import UTC, datetime, timedelta

from django.test import Client
from django.utils import timezone

from apps.agents import services as agent_services
from apps.agents.models import Agent, AgentKey
from apps.checks.models import Decision
from apps.humans.models import Approval, Handoff, Outcome
from apps.policies import services as policy_services
from apps.policies.models import PolicyVersion
from tests.conftest import record_decision


def log(client, world, query: str = "") -> str:
    response = client.get(f"/o/{world.org.slug}/decisions/{query}")
    assert response.status_code == 200
    return response.content.decode()


def shown_ids(html: str) -> list[str]:
    return re.findall(r'<code class="small muted">(dec_[^<]+)</code>', html)


def decided_at(key: AgentKey, action: str, moment: datetime) -> Decision:
    """A decision as the check API records it, at a chosen time (the log is append-only)."""
    from apps.checks.grants import grant_from_key
    from apps.checks.services import decision_row, decisions_record
    from apps.engine.evaluate import decide
    from apps.engine.types import AgentFacts, CheckRequest

    row = decision_row(
        grant=grant_from_key(key, active_version_id=None),
        body={"action": action},
        outcome=decide(None, AgentFacts(), CheckRequest(action)),
        policy=None,
        version_id=None,
        request_id="",
        evaluated_at=moment,
        evaluation_us=1,
    )
    return decisions_record(rows=[row])[0]


def test_pickers_list_the_organizations_agents_and_catalog_actions(world, client):
    client.force_login(world.people["auditor"])
    html = log(client, world)
    agent = html.split('<select id="f-agent" name="agent">')[1].split("</select>")[0]
    assert '<option value="">Any agent</option>' in agent
    assert '<option value="copilot">Copilot</option>' in agent
    assert "their-agent" not in agent  # another organization's
    action = html.split('<select id="f-action" name="action">')[1].split("</select>")[0]
    assert '<option value="">Any action</option>' in action
    assert '<option value="send_follow_up">' in action
    assert "other_only" not in action
    # Placeholders read as empty, not as a filter already applied.
    assert 'placeholder="follow-up-copilot"' not in html
    assert 'placeholder="send_follow_up"' not in html
    assert "Clear filters" not in html  # nothing to clear
    assert "From (UTC)" in html
    assert 'type="datetime-local" name="since"' in html


def test_filters_by_agent_action_decision_and_reason(world, client):
    key = AgentKey.objects.get(agent__key="copilot")
    scribe = agent_services.agent_create(
        organization=world.org, by=world.people["owner"], key="scribe", name="Scribe"
    )
    scribe_key = agent_services.agent_key_create(agent=scribe, by=world.people["owner"]).key
    mine = record_decision(scribe_key, {"action": "log_call_notes"})
    theirs = record_decision(key, {"action": "log_call_notes"})
    client.force_login(world.people["auditor"])

    html = log(client, world, "?agent=scribe")
    assert shown_ids(html) == [mine.decision_id]
    assert '<option value="scribe" selected>Scribe</option>' in html
    assert f'href="/o/{world.org.slug}/decisions/"' in html.split("Clear filters")[0][-200:]

    html = log(client, world, "?action=log_call_notes")
    assert set(shown_ids(html)) == {mine.decision_id, theirs.decision_id}
    assert '<option value="log_call_notes" selected>' in html

    assert shown_ids(log(client, world, "?action=send_follow_up&agent=scribe")) == []
    denied = shown_ids(log(client, world, "?decision=deny"))
    assert mine.decision_id in denied
    assert all(
        d == "deny"
        for d in Decision.objects.filter(decision_id__in=denied).values_list("decision", flat=True)
    )
    by_reason = shown_ids(log(client, world, "?reason=policy.none_active"))
    assert mine.decision_id in by_reason
    assert shown_ids(log(client, world, "?reason=limit.exceeded")) == []
    # An action the catalog does not know still filters, and stays selected.
    moon = record_decision(key, {"action": "fly_to_the_moon"})
    html = log(client, world, "?action=fly_to_the_moon")
    assert shown_ids(html) == [moon.decision_id]
    assert '<option value="fly_to_the_moon" selected>' in html
    # An agent of another organization is not a choice: said so, and not applied.
    html = log(client, world, "?agent=their-agent")
    assert "Select a valid choice" in html


def test_time_range_in_utc(world, client):
    key = AgentKey.objects.get(agent__key="copilot")
    base = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    early = decided_at(key, "send_follow_up", base)
    middle = decided_at(key, "send_follow_up", base + timedelta(hours=2))
    late = decided_at(key, "send_follow_up", base + timedelta(hours=4))
    client.force_login(world.people["auditor"])
    # datetime-local sends no offset: the time is UTC.
    html = log(client, world, "?since=2026-03-10T10:00&until=2026-03-10T12:30")
    assert shown_ids(html) == [middle.decision_id]
    assert 'value="2026-03-10T10:00"' in html
    assert "Clear filters" in html
    assert shown_ids(log(client, world, "?since=2026-03-10T10:00&until=2026-03-10T11:00")) == []
    # `until` excludes its own instant; an explicit offset is honoured.
    html = log(client, world, "?until=2026-03-10T11:00:00%2B00:00&since=2026-03-10T08:00")
    assert shown_ids(html) == [early.decision_id]
    assert shown_ids(log(client, world, "?since=2026-03-10T14:00:00%2B01:00")) == [
        d.decision_id
        for d in Decision.objects.filter(
            organization=world.org, evaluated_at__gte=base + timedelta(hours=4)
        ).order_by("-evaluated_at", "-id")
    ]
    assert late.decision_id in shown_ids(log(client, world, "?since=2026-03-10T13:00"))
    # A malformed time is reported and not applied, never a 500.
    html = log(client, world, "?since=2026-13-45T00:00")
    assert "Enter a valid date/time." in html
    assert early.decision_id in shown_ids(html)
    html = log(client, world, "?since=2026-03-10T12:00&until=2026-03-10T10:00")
    assert "Must be after the start." in html


def test_pages_older_and_newer_by_keyset(world, client):
    key = AgentKey.objects.filter(agent__key="copilot").first()
    start = timezone.now() - timedelta(days=1)
    for n in range(120):
        decided_at(key, f"action_{n % 3}", start + timedelta(seconds=n // 2))
    client.force_login(world.people["auditor"])
    everything = list(
        Decision.objects.filter(organization=world.org)
        .order_by("-evaluated_at", "-id")
        .values_list("decision_id", flat=True)
    )
    first = log(client, world)
    assert shown_ids(first) == everything[:50]
    assert "Newer" not in first
    older = re.search(r'href="(\?before=[^"]+)" rel="next"', first).group(1)
    second = log(client, world, older.replace("&amp;", "&"))
    assert shown_ids(second) == everything[50:100]
    newer = re.search(r'href="(\?after=[^"]+)" rel="prev"', second).group(1)
    back = log(client, world, newer.replace("&amp;", "&"))
    assert shown_ids(back) == everything[:50]
    assert "Newer" not in back
    third = log(
        client,
        world,
        re.search(r'href="(\?before=[^"]+)" rel="next"', second).group(1).replace("&amp;", "&"),
    )
    assert shown_ids(third) == everything[100:]
    assert "Older" not in third
    assert "Newest" in third

    # Filters travel with the cursor, both ways.
    filtered = log(client, world, "?decision=deny")
    older = re.search(r'href="(\?[^"]+)" rel="next"', filtered).group(1).replace("&amp;", "&")
    assert "decision=deny" in older
    denied = list(
        Decision.objects.filter(organization=world.org, decision="deny")
        .order_by("-evaluated_at", "-id")
        .values_list("decision_id", flat=True)
    )
    assert shown_ids(log(client, world, older)) == denied[50:100]
    newer = re.search(r'href="(\?[^"]+)" rel="prev"', log(client, world, older)).group(1)
    assert "decision=deny" in newer


def test_a_bad_cursor_is_ignored(world, client):
    client.force_login(world.people["auditor"])
    newest = shown_ids(log(client, world))
    for cursor in (
        "2026-13-45T00:00:00|5",
        "2026-13-45T00:00:00%7C5",
        "yesterday|5",
        "2026-01-01T00:00:00|x",
        "|",
        "2026-01-01T00:00:00",
    ):
        assert shown_ids(log(client, world, f"?before={cursor}")) == newest
        assert shown_ids(log(client, world, f"?after={cursor}")) == newest
    # A naive cursor time is UTC.
    decision = Decision.objects.filter(organization=world.org).order_by("evaluated_at").last()
    naive = decision.evaluated_at.astimezone(UTC).replace(tzinfo=None).isoformat()
    assert decision.decision_id not in shown_ids(
        log(client, world, f"?before={naive}%7C{decision.pk}")
    )


def test_each_row_links_to_its_decision(world, client):
    client.force_login(world.people["auditor"])
    html = log(client, world)
    decision = Decision.objects.get(decision_id=world.names["decision"])
    assert f'href="/o/{world.org.slug}/decisions/{decision.decision_id}/"' in html


def test_the_decision_page_shows_what_was_recorded(world, client):
    key = AgentKey.objects.get(agent__key="copilot")
    decision = record_decision(
        key,
        {
            "action": "send_follow_up",
            "confidence": 0.92,
            "signals": ["buying_intent"],
            "context": {
                "channel": "email",
                "email": "priya@example.com",
                "body": "Dear Priya, the price is 40,000.",
                "deal_value": 40000,
            },
            "request_id": "req-77",
        },
    )
    client.force_login(world.people["auditor"])
    response = client.get(f"/o/{world.org.slug}/decisions/{decision.decision_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "priya@example.com" not in html
    assert "Dear Priya" not in html
    assert "context.email" in html
    assert "context.body" in html
    masked = html.split('data-testid="masked-paths"')[1].split("</p>")[0]
    assert "<code>context.email</code>" in masked
    assert "<code>context.body</code>" in masked
    assert html.count('<span class="badge masked-badge">masked</span>') == 2
    assert "<code>context.channel</code>" in html
    assert "40000" in html
    assert "buying_intent" in html
    assert key.prefix in html
    assert "Copilot" in html
    assert "req-77" in html
    assert "policy.none_active" in html
    assert "decisive" in html
    assert f"{decision.evaluated_at:%Y}" in html
    assert 'data-testid="follow-up"' not in html  # nothing came of it


def test_the_decision_page_links_the_version_that_decided(world, client):
    version = PolicyVersion.objects.get(policy__organization=world.org, number=3)
    policy_services.policy_version_publish(version=version, by=world.people["reviewer"])
    copilot = Agent.objects.get(organization=world.org, key="copilot")
    raw = agent_services.agent_key_create(agent=copilot, by=world.people["owner"]).raw
    answer = (
        Client()
        .post(
            "/api/v1/check",
            json.dumps(
                {"action": "offer_discount", "confidence": 0.9, "context": {"discount_pct": 8}}
            ),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )
        .json()
    )
    client.force_login(world.people["auditor"])
    html = client.get(f"/o/{world.org.slug}/decisions/{answer['decision_id']}/").content.decode()
    assert f'href="/o/{world.org.slug}/policies/pipeline/v/3/"' in html
    assert "Pipeline v3" in html
    assert "limit.exceeded" in html
    assert "approver_team" in html  # an obligation
    assert "deal-desk" in html
    log_html = log(client, world, "?action=offer_discount")
    assert f'href="/o/{world.org.slug}/policies/pipeline/v/3/"' in log_html


def test_the_decision_page_shows_what_followed(world, client):
    approval = Approval.objects.get(public_id=world.names["approval"])
    handoff = Handoff.objects.get(public_id=world.names["handoff"])
    Outcome.objects.create(
        organization=world.org,
        agent=approval.agent,
        decision=approval.decision,
        executed=True,
        detail="Sent after approval.",
    )
    client.force_login(world.people["auditor"])
    html = client.get(f"/o/{world.org.slug}/decisions/{approval.decision.decision_id}/")
    follow_up = html.content.decode().split('data-testid="follow-up"')[1]
    assert approval.public_id in follow_up
    assert "Waiting for a person" in follow_up
    assert "Sent after approval." in follow_up
    assert "executed" in follow_up
    html = client.get(f"/o/{world.org.slug}/decisions/{handoff.decision.decision_id}/")
    follow_up = html.content.decode().split('data-testid="follow-up"')[1]
    assert handoff.public_id in follow_up
    assert "Waiting for someone" in follow_up


def test_another_organizations_decision_is_404(world, client):
    client.force_login(world.people["owner"])
    foreign = world.foreign_names["decision"]
    assert client.get(f"/o/{world.org.slug}/decisions/{foreign}/").status_code == 404
    assert client.get(f"/o/{world.other.slug}/decisions/{foreign}/").status_code == 404
    assert client.get(f"/o/{world.org.slug}/decisions/dec_nosuch/").status_code == 404
    client.force_login(world.people["member"])  # may not read the log at all
    mine = world.names["decision"]
    assert client.get(f"/o/{world.org.slug}/decisions/{mine}/").status_code == 403


def test_the_decision_page_and_its_evidence_chain_link_to_each_other(world, client):
    decision_id = world.names["decision"]
    decision_url = f"/o/{world.org.slug}/decisions/{decision_id}/"
    evidence_url = f"/o/{world.org.slug}/evidence/decisions/{decision_id}/"
    client.force_login(world.people["auditor"])
    html = client.get(decision_url).content.decode()
    link = html.split('data-testid="evidence-chain-link"')[0].rsplit("<a ", 1)[1]
    assert f'href="{evidence_url}"' in link
    evidence = client.get(evidence_url)
    assert evidence.status_code == 200
    back = evidence.content.decode().split('data-testid="decision-link"')[0].rsplit("<a ", 1)[1]
    assert f'href="{decision_url}"' in back
    # Whoever may read the log but not the audit trail is not sent to a page refused to them.
    client.force_login(world.people["author"])
    html = client.get(decision_url).content.decode()
    assert 'data-testid="evidence-chain-link"' not in html
    assert client.get(evidence_url).status_code == 403
