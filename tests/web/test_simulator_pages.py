"""The simulator on a version's page: pickers from the catalogs, the decision an agent would
get (the same as the check API's), errors next to their field with the input kept, nothing
recorded, and the organization's walls."""

import html as html_module
import json
import re

import pytest
from django.test import Client
from django.utils.html import escape
from guardian.shortcuts import remove_perm

from apps.agents.models import Agent
from apps.agents.services import agent_key_create
from apps.audit.models import AuditEvent
from apps.checks.models import Decision
from apps.organizations.constants import Capability, perm_name
from apps.policies import services as policy_services
from apps.policies.models import PolicyVersion
from tests.checks.support import FULL


def url(world, number):
    return f"/o/{world.org.slug}/policies/pipeline/v/{number}/"


@pytest.fixture
def versions(world):
    """v1: a draft holding FULL; v3 (SIMPLE_DOCUMENT) published, so it is the active one."""
    draft = PolicyVersion.objects.get(policy__key="pipeline", number=1)
    policy_services.policy_version_edit(version=draft, by=world.people["author"], document=FULL)
    active = PolicyVersion.objects.get(policy__key="pipeline", number=3)
    policy_services.policy_version_publish(version=active, by=world.people["reviewer"])
    return {"draft": 1, "active": 3}


def field_block(html: str, name: str) -> str:
    """The markup of the form field holding the input named `name`, up to the next field."""
    blocks = re.split(r'(?=<div class="field[ "])', html)
    found = [b for b in blocks if f'name="{name}"' in b]
    assert found, f"no field {name}"
    return found[0]


def answer_of(html: str) -> dict:
    """The answer as the page prints it in full (the JSON under the reasons)."""
    match = re.search(r'<div class="label">Answer</div><pre>(.*?)</pre>', html, re.S)
    assert match, "no answer on the page"
    return json.loads(html_module.unescape(match.group(1)))


def test_the_form_offers_the_catalogs_and_the_versions_actions(world, client, versions):
    client.force_login(world.people["member"])
    response = client.get(url(world, versions["draft"]))
    assert response.status_code == 200
    html = response.content.decode()
    simulator = html[html.index('id="simulator"') :]
    in_version, _, outside = simulator.partition('label="Not in this version: denied"')
    for key in FULL["actions"]:
        assert f'value="{key}"' in in_version
    # A catalog action the version does not list is offered, marked as denied.
    assert 'value="schedule_meeting"' in outside
    for signal in ("buying_intent", "pricing_question", "human_requested"):
        assert f'name="signals" value="{signal}"' in simulator
    assert "→ deal-desk within 30 min" in simulator  # what the trigger does here
    for category in ("contact_details", "payment_card"):
        assert f'name="data_categories" value="{category}"' in simulator
    assert "never allowed" in field_block(simulator, "data_categories")
    assert '<option value="check-in-after-proposal">' in simulator
    assert 'name="limit_discount_pct"' in simulator
    assert 'name="request_json"' in simulator
    assert 'data-testid="sim-answer"' not in simulator


def simulate_page(client, world, number, data, **extra):
    return client.post(url(world, number), {"use": "form", **data}, **extra)


CASES = [
    # (version, form, decision, decisive reason, other reasons, obligations)
    (
        "draft",
        {"action": "send_follow_up", "confidence": "0.9", "channel": "email"},
        "allow",
        "action.allowed",
        [],
        {"templates": ["check-in-after-proposal"], "channels": ["email"]},
    ),
    (
        "draft",
        {"action": "schedule_meeting", "confidence": "0.99"},
        "deny",
        "action.unknown",
        [],
        {},
    ),
    (
        "draft",
        {"action": "send_follow_up", "confidence": "0.9", "data_categories": ["payment_card"]},
        "deny",
        "data.not_permitted",
        [],
        {},
    ),
    (
        "draft",
        {"action": "quote_price", "confidence": "0.9"},
        "escalate",
        "action.escalate",
        [],
        {"route_to_team": "deal-desk"},
    ),
    (
        "active",
        {"action": "offer_discount", "confidence": "0.7", "limit_discount_pct": "8"},
        "require_approval",
        "confidence.below_threshold",
        ["limit.exceeded"],
        {"approver_team": "deal-desk"},
    ),
    (
        "active",
        {"action": "offer_discount", "confidence": "0.95", "limit_discount_pct": "4"},
        "allow",
        "action.allowed",
        [],
        {},
    ),
    (
        "active",
        {"action": "send_follow_up", "confidence": "0.95", "signals": ["pricing_question"]},
        "escalate",
        "trigger.pricing_question",
        [],
        {"route_to_team": "deal-desk", "respond_within_minutes": 30},
    ),
]


@pytest.mark.parametrize(
    ("which", "form", "decision", "decisive", "others", "obligations"), CASES, ids=str
)
def test_the_page_shows_the_decision_its_reasons_and_obligations(
    world, client, versions, which, form, decision, decisive, others, obligations
):
    client.force_login(world.people["member"])
    response = simulate_page(client, world, versions[which], form)
    assert response.status_code == 200, response.content.decode()[-3000:]
    html = response.content.decode()
    assert f'<span class="verdict verdict-{decision}" data-testid="sim-decision">' in html
    answer = answer_of(html)
    assert answer["decision"] == decision
    assert [r["code"] for r in answer["reasons"]] == [decisive, *others]
    assert answer["obligations"] == obligations
    reasons = html[html.index('data-testid="sim-reasons"') :]
    for reason in answer["reasons"]:
        assert f"<code>{reason['code']}</code>" in reasons
    for key in obligations:
        assert f"<code>{key}</code>" in html
    assert answer["policy"]["version"] == versions[which]
    assert answer["decision_id"] is None


def test_the_active_version_answers_as_the_check_api_does(world, client, versions):
    agent = Agent.objects.get(organization=world.org, key="copilot")
    raw_key = agent_key_create(agent=agent, by=world.people["owner"]).raw
    client.force_login(world.people["auditor"])
    for _, form, *_ in [c for c in CASES if c[0] == "active"]:
        page = answer_of(simulate_page(client, world, versions["active"], form).content.decode())
        body = {"action": form["action"], "confidence": float(form["confidence"])}
        if "limit_discount_pct" in form:
            body["context"] = {"discount_pct": int(form["limit_discount_pct"])}
        if "signals" in form:
            body["signals"] = form["signals"]
        api = Client().post(
            "/api/v1/check",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw_key}",
        )
        assert api.status_code == 200
        expected = api.json()
        for key in ("decision", "reasons", "obligations", "policy"):
            assert page[key] == expected[key]


def test_the_request_can_be_written_as_json(world, client, versions):
    client.force_login(world.people["member"])
    body = {
        "action": "log_call_notes",
        "confidence": 0.95,
        "context": {"crm_fields": ["next_step", "amount"]},
        "request_id": "r-42",
    }
    response = client.post(
        url(world, versions["draft"]),
        # The pickers hold junk: a JSON request ignores them.
        {"use": "json", "request_json": json.dumps(body), "confidence": "7"},
    )
    assert response.status_code == 200
    answer = answer_of(response.content.decode())
    assert answer["decision"] == "deny"
    assert [r["code"] for r in answer["reasons"]] == ["field.not_allowed"]
    assert answer["request_id"] == "r-42"


def test_the_request_is_built_from_every_picker(world, client, versions):
    client.force_login(world.people["member"])
    response = simulate_page(
        client,
        world,
        versions["draft"],
        {
            "action": "send_follow_up",
            "confidence": "0.9",
            "channel": "email",
            "template": "check-in-after-proposal",
            "deal_stage": "proposal",
            "data_categories": ["contact_details"],
            "crm_fields": "next_step, activity_log",
            "other_context": "deal_value = 12000\nregion: emea",
            "subject_type": "deal",
            "subject_id": "D-1042",
            "request_id": "corr-1",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    request = json.loads(
        html_module.unescape(
            re.search(r'<div class="label">Request</div><pre>(.*?)</pre>', html, re.S).group(1)
        )
    )
    assert request == {
        "action": "send_follow_up",
        "confidence": 0.9,
        "context": {
            "channel": "email",
            "template": "check-in-after-proposal",
            "deal_stage": "proposal",
            "crm_fields": ["next_step", "activity_log"],
            "data_categories": ["contact_details"],
            "deal_value": 12000,
            "region": "emea",
        },
        "subject": {"type": "deal", "id": "D-1042"},
        "request_id": "corr-1",
    }
    assert answer_of(html)["decision"] == "allow"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"action": "send_follow_up", "confidence": "2"}, "confidence", "from 0 to 1"),
        ({"action": "send_follow_up", "confidence": "high"}, "confidence", "from 0 to 1"),
        ({"action": "fly_to_the_moon"}, "action", "Select a valid choice"),
        ({"action": ""}, "action", "Choose the action"),
        (
            {"action": "offer_discount", "limit_discount_pct": "lots"},
            "limit_discount_pct",
            "Enter a number",
        ),
        (
            {"action": "offer_discount", "other_context": "discount_pct = 3"},
            "other_context",
            "has its own field",
        ),
        (
            {"action": "offer_discount", "other_context": "just words"},
            "other_context",
            "name = value",
        ),
        (
            {"action": "offer_discount", "data_categories": ["gossip"]},
            "data_categories",
            "Select a valid choice",
        ),
        (
            {
                "use": "json",
                "request_json": '{"action": "offer_discount", "context": {"discount_pct": "lots"}}',
            },
            "request_json",
            "context.discount_pct: must be a number ≥ 0 (a limit of offer_discount applies to it)",
        ),
        (
            {"use": "json", "request_json": '{"action": "send_follow_up", "colour": "red"}'},
            "request_json",
            "colour: is not a field of a check",
        ),
        (
            {"use": "json", "request_json": '{"action": "send_follow_up", "confidence": 2}'},
            "request_json",
            "confidence: must be a number from 0 to 1",
        ),
        ({"use": "json", "request_json": "{action: 1}"}, "request_json", "not valid JSON"),
    ],
    ids=str,
)
def test_bad_input_is_shown_next_to_its_field_and_kept(
    world, client, versions, data, field, message
):
    client.force_login(world.people["member"])
    response = simulate_page(client, world, versions["active"], {"deal_stage": "proposal", **data})
    assert response.status_code == 400
    html = response.content.decode()
    block = field_block(html, field)
    assert 'class="field has-error"' in block
    assert message in block
    assert 'data-testid="sim-answer"' not in html
    # What was typed is still there.
    assert 'value="proposal"' in field_block(html, "deal_stage")
    if field == "confidence":
        assert f'value="{data["confidence"]}"' in block
    if field == "request_json":
        assert escape(data["request_json"]) in block


def test_nothing_is_recorded(world, client, versions):
    decisions, events = Decision.objects.count(), AuditEvent.objects.count()
    client.force_login(world.people["owner"])
    for which, form, *_ in CASES:
        assert simulate_page(client, world, versions[which], form).status_code == 200
    assert simulate_page(client, world, 1, {"action": "x"}).status_code == 400
    assert Decision.objects.count() == decisions
    assert AuditEvent.objects.count() == events


def test_htmx_gets_the_simulator_alone(world, client, versions):
    client.force_login(world.people["member"])
    form = {"action": "offer_discount", "confidence": "0.9", "limit_discount_pct": "9"}
    response = simulate_page(client, world, versions["active"], form, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card simulator" id="simulator"')
    assert "<html" not in html
    assert answer_of(html)["decision"] == "require_approval"
    bad = simulate_page(
        client, world, versions["active"], {"confidence": "2"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 200  # htmx swaps only successful answers
    assert "Must be a number from 0 to 1." in field_block(bad.content.decode(), "confidence")


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organization_gets_404(world, client, versions, method):
    data = {"use": "form", "action": "send_follow_up"}
    client.force_login(world.stranger)
    assert getattr(client, method)(url(world, 1), data).status_code == 404
    client.force_login(world.people["owner"])
    foreign = f"/o/{world.org.slug}/policies/other-policy/v/1/"
    assert getattr(client, method)(foreign, data).status_code == 404
    assert getattr(client, method)(url(world, 99), data).status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_who_cannot_view_the_policy_is_refused(world, client, versions, method):
    data = {"use": "form", "action": "send_follow_up", "confidence": "0.9"}
    member = world.people["member"]
    remove_perm(perm_name(Capability.VIEW), member, world.org)
    client.force_login(member)
    assert getattr(client, method)(url(world, 1), data).status_code == 403
    client.logout()
    anonymous = getattr(client, method)(url(world, 1), data)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
