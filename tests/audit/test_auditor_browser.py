"""The auditor's walk in a real browser, on the demo with a month of agent work: the
dashboard, the decision log, one decision's evidence chain, every decision of its version,
verification (download the checkpoints, upload them back), and a tampered trail named."""

import random
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.agents.models import Agent, AgentKey
from apps.audit.services import audit_checkpoints_take
from apps.checks.grants import grant_from_key
from apps.checks.parsing import parse_check
from apps.checks.policy_cache import compiled_version
from apps.checks.services import decision_row, decisions_record
from apps.engine.evaluate import decide
from apps.engine.types import AgentFacts
from apps.humans.models import Approval
from apps.policies.selectors import policy_active_version
from tests.audit.tampering import tampering
from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the follow-up copilot asks on an ordinary day, with how often.
ROUTINE = [
    ({"action": "log_call_notes", "confidence": 0.95}, 5),
    (
        {
            "action": "send_follow_up",
            "confidence": 0.9,
            "context": {"template": "check-in-after-proposal", "channel": "email"},
        },
        3,
    ),
    ({"action": "update_deal_stage", "confidence": 0.93}, 2),
    ({"action": "update_deal_stage", "confidence": 0.84}, 1),
    ({"action": "offer_discount", "confidence": 0.9, "context": {"discount_pct": 3}}, 1),
    ({"action": "offer_discount", "confidence": 0.9, "context": {"discount_pct": 9}}, 1),
    ({"action": "negotiate_terms", "confidence": 0.9}, 1),
    (
        {
            "action": "send_follow_up",
            "confidence": 0.9,
            "context": {"template": "cold-outreach", "channel": "email"},
        },
        1,
    ),
]


def a_month_of_checks(organization) -> None:
    """The demo's agent asking, through the check path, over the last 30 days: more on
    weekdays, fewer at weekends, recorded at the time it asked."""
    agent = Agent.objects.select_related("policy").get(
        organization=organization, key="follow-up-copilot"
    )
    version = policy_active_version(policy=agent.policy)
    policy = compiled_version(version.pk, version.content_hash)
    key = AgentKey.objects.filter(agent=agent, revoked_at__isnull=True).order_by("pk").first()
    grant = grant_from_key(
        key, active_version_id=version.pk, active_version_hash=version.content_hash
    )
    facts = AgentFacts(suspended=False, autonomy_paused=False, team=grant.agent_team)
    chance = random.Random(8)
    now = timezone.now()
    rows = []
    for days_ago in range(30, 0, -1):
        day = now - timedelta(days=days_ago)
        busy = 1.0 if day.weekday() < 5 else 0.25
        for body, per_day in ROUTINE:
            for _ in range(chance.randint(0, round(per_day * busy * 2))):
                at = day.replace(hour=chance.randint(8, 18), minute=chance.randint(0, 59))
                request, request_id = parse_check(body)
                rows.append(
                    decision_row(
                        grant=grant,
                        body=body,
                        outcome=decide(policy, facts, request),
                        policy=policy,
                        version_id=version.pk,
                        request_id=request_id,
                        evaluated_at=at,
                        evaluation_us=41,
                    )
                )
    decisions_record(rows=rows)


@pytest.fixture
def demo():
    from apps.organizations.models import Organization

    call_command("seed_demo", stdout=StringIO())
    a_month_of_checks(Organization.objects.get(slug="acme"))
    audit_checkpoints_take()


def test_the_auditors_walk(page, demo, tmp_path):
    sign_in(page, "aude", "mandate-demo")
    page.wait_for_url("**/o/acme/")
    page.click("nav.sidebar >> text=Dashboard")
    page.wait_for_url("**/audit/dashboard/")
    assert page.locator("[data-testid=verification-badge]").inner_text().startswith("✓")
    assert page.locator("[data-testid=chart-decisions] svg rect.seg-allow").count() > 15
    assert page.locator("[data-testid=chart-turnaround] svg rect.seg-median").count() >= 1
    assert page.locator("[data-testid=chart-escalations] svg rect.seg").count() >= 1
    shot(page, "80-dashboard")

    page.click("nav.sidebar >> text=Decision log")
    page.wait_for_url("**/decisions/")
    assert page.locator("[data-testid=evidence-link]").count() == 50
    shot(page, "81-decision-log")

    edited = Approval.objects.get(organization__slug="acme", status="edited").decision
    page.goto("/o/acme/decisions/?action=draft_proposal")
    page.click(f"[data-testid=evidence-link][href*='/evidence/decisions/{edited.decision_id}/']")
    page.wait_for_url(f"**/evidence/decisions/{edited.decision_id}/#evidence")
    assert page.locator("[data-testid=draft-diff] ins").count() >= 1
    assert page.locator("[data-testid=version-record]").is_visible()
    assert "executed" in page.locator("[data-testid=outcome]").inner_text()
    shot(page, "82-evidence-chain")

    page.click("[data-testid=version-evidence-link]")
    page.wait_for_url("**/evidence/versions/sales-pipeline/2/")
    assert page.locator("[data-testid=version-decisions] tbody tr").count() == 50
    shot(page, "83-version-decisions")

    page.click("nav.sidebar >> text=Verification")
    page.wait_for_url("**/audit/verify/")
    assert page.locator("[data-testid=verification]").get_attribute("data-ok") == "true"
    shot(page, "84-verification")

    with page.expect_download() as download:
        page.click("[data-testid=download-checkpoints]")
    kept = tmp_path / "checkpoints.json"
    download.value.save_as(kept)
    page.set_input_files("input[name=checkpoints]", str(kept))
    page.click("text=Verify against this file")
    assert page.locator("[data-testid=uploaded]").is_visible()
    assert page.locator("[data-testid=verification]").get_attribute("data-ok") == "true"
    shot(page, "85-verification-upload")

    (tmp_path / "notes.txt").write_text("not checkpoints")
    page.set_input_files("input[name=checkpoints]", str(tmp_path / "notes.txt"))
    page.click("text=Verify against this file")
    assert page.locator(".field .error").inner_text().startswith("The file is not valid JSON")

    with tampering() as sql:
        sql.execute(
            "UPDATE audit_auditevent SET object_repr = 'Sales pipeline agents v9' "
            "WHERE organization_id = (SELECT id FROM organizations_organization "
            "WHERE slug = 'acme') AND seq = 23"
        )
    page.goto("/o/acme/audit/verify/")
    assert page.locator("[data-testid=verification]").get_attribute("data-ok") == "false"
    assert "#23" in page.locator("[data-testid=problems]").inner_text()
    shot(page, "86-verification-problem")
    page.click("[data-testid=problem-event]")
    page.wait_for_url("**/audit/events/23/")
    shot(page, "87-audit-event")
    assert page.console_errors == []


def test_the_auditor_reads_a_policys_history_and_follows_a_decision_to_its_evidence(page, demo):
    sign_in(page, "aude", "mandate-demo")
    page.wait_for_url("**/o/acme/")
    page.goto("/o/acme/policies/sales-pipeline/")
    items = page.locator("[data-testid=history] > li")
    numbers = [
        int(testid.removeprefix("version-"))
        for testid in items.evaluate_all("els => els.map(e => e.dataset.testid)")
    ]
    assert len(numbers) >= 2
    assert numbers == sorted(numbers, reverse=True)
    assert page.locator("[data-testid=version-changes] li").count() >= len(numbers)
    assert page.locator("[data-testid=history] form").count() == 0  # read-only
    shot(page, "88-policy-history")

    page.locator(f"[data-testid=version-{numbers[0]}] [data-testid=version-evidence]").click()
    page.wait_for_url(f"**/evidence/versions/sales-pipeline/{numbers[0]}/")

    page.click("nav.sidebar >> text=Decision log")
    page.locator("table a[href*='/decisions/dec_']").first.click()
    page.wait_for_selector("[data-testid=evidence-chain-link]")
    shot(page, "89-decision-evidence-link")
    page.click("[data-testid=evidence-chain-link]")
    page.wait_for_url("**/evidence/decisions/**")
    page.click("[data-testid=decision-link]")
    page.wait_for_selector("[data-testid=evidence-chain-link]")
    assert page.console_errors == []
