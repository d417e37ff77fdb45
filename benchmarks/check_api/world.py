"""The benchmark's organization: a realistic policy (the sales-pipeline example grown to 32
actions, with triggers, limits, templates and data rules), published through the real life
cycle, an agent governed by it, a key, and a mix of requests that reaches every decision.

Run inside the benchmark's environment: python -m benchmarks.check_api.world OUT.json
"""

import json
import sys

import django

django.setup()

from apps.accounts.models import User  # noqa: E402
from apps.agents import services as agents  # noqa: E402
from apps.catalogs import services as catalogs  # noqa: E402
from apps.catalogs.constants import CatalogKind  # noqa: E402
from apps.catalogs.models import Action  # noqa: E402
from apps.organizations import services as organizations  # noqa: E402
from apps.policies import demo  # noqa: E402
from apps.policies import services as policies  # noqa: E402

TEAMS = ("deal-desk", "sales-leadership", "solutions-engineering", "marketing-ops")
MORE_ACTIONS = [
    ("enrich_contact", "autonomous", {"fields": ["title", "linkedin_url"]}),
    ("tag_account", "autonomous", {"fields": ["segment"]}),
    ("create_task", "autonomous", {"fields": ["task"]}),
    ("log_email", "autonomous", {"fields": ["activity_log"]}),
    ("update_close_date", "autonomous", {"min_confidence": 0.9, "fields": ["close_date"]}),
    ("update_amount", "approval", {"approver_team": "deal-desk", "fields": ["amount"]}),
    ("send_meeting_confirmation", "autonomous", {"channels": ["email", "calendar"]}),
    ("send_re_engagement", "autonomous", {"channels": ["email"], "min_confidence": 0.85}),
    ("send_case_study", "autonomous", {"channels": ["email"], "data": ["company_info"]}),
    ("send_pricing_sheet", "approval", {"approver_team": "deal-desk", "data": ["pricing"]}),
    ("send_proposal", "approval", {"approver_team": "deal-desk"}),
    ("qualify_lead", "autonomous", {"min_confidence": 0.7}),
    ("route_lead", "autonomous", {}),
    ("book_demo", "autonomous", {"channels": ["calendar"]}),
    ("reschedule_meeting", "autonomous", {"channels": ["email", "calendar"]}),
    ("extend_trial", "autonomous", {"limits": {"trial_days": 14}, "approver_team": "deal-desk"}),
    ("offer_free_seats", "autonomous", {"limits": {"seats": 2}, "approver_team": "deal-desk"}),
    ("reallocate_budget", "approval", {"approver_team": "marketing-ops"}),
    ("launch_campaign", "approval", {"approver_team": "marketing-ops"}),
    ("pause_campaign", "autonomous", {"limits": {"daily_spend": 500}}),
    ("answer_security_questionnaire", "escalate", {"route_to_team": "solutions-engineering"}),
    ("de_escalate_complaint", "escalate", {"route_to_team": "sales-leadership"}),
    ("sign_contract", "forbidden", {}),
    ("change_billing", "forbidden", {}),
    ("delete_contact", "forbidden", {}),
]


def document() -> dict:
    doc = demo._example()
    doc["name"] = "Pipeline agents (benchmark)"
    for key, mode, spec in MORE_ACTIONS:
        doc["actions"][key] = {"mode": mode, **spec}
    doc["triggers"]["legal_question"] = {"route_to_team": "deal-desk", "respond_within_minutes": 60}
    doc["triggers"]["unsubscribe_request"] = {
        "route_to_team": "marketing-ops",
        "respond_within_minutes": 240,
    }
    return doc


MIX = [  # (expected decision, request)
    (
        "allow",
        {"action": "log_call_notes", "confidence": 0.95, "context": {"crm_fields": ["next_step"]}},
    ),
    (
        "allow",
        {
            "action": "send_follow_up",
            "confidence": 0.93,
            "context": {
                "channel": "email",
                "template": "check-in-after-proposal",
                "data_categories": ["contact_details"],
                "deal_value": 12000,
                "deal_stage": "proposal",
            },
            "subject": {"type": "deal", "id": "D-1042"},
            "request_id": "bench",
        },
    ),
    ("allow", {"action": "offer_discount", "confidence": 0.9, "context": {"discount_pct": 4}}),
    (
        "allow",
        {
            "action": "update_deal_stage",
            "confidence": 0.97,
            "context": {"crm_fields": ["deal_stage"], "deal_stage": "negotiation"},
        },
    ),
    ("allow", {"action": "book_demo", "confidence": 0.9, "context": {"channel": "calendar"}}),
    ("allow", {"action": "extend_trial", "confidence": 0.9, "context": {"trial_days": 7}}),
    (
        "require_approval",
        {"action": "offer_discount", "confidence": 0.9, "context": {"discount_pct": 12}},
    ),
    (
        "require_approval",
        {
            "action": "draft_proposal",
            "confidence": 0.99,
            "context": {"template": "proposal-project"},
        },
    ),
    (
        "require_approval",
        {"action": "send_follow_up", "confidence": 0.5, "context": {"channel": "email"}},
    ),
    (
        "escalate",
        {
            "action": "send_follow_up",
            "confidence": 0.95,
            "signals": ["pricing_question"],
            "context": {"channel": "email"},
        },
    ),
    ("escalate", {"action": "quote_price", "confidence": 0.9}),
    ("deny", {"action": "negotiate_terms", "confidence": 0.99}),
    ("deny", {"action": "wire_money"}),
    (
        "deny",
        {
            "action": "send_follow_up",
            "confidence": 0.95,
            "context": {"channel": "email", "data_categories": ["health"]},
        },
    ),
    (
        "deny",
        {"action": "log_call_notes", "confidence": 0.95, "context": {"crm_fields": ["amount"]}},
    ),
]


def build() -> dict:
    owner = User.objects.create_user(username="bench-owner", password=None)
    reviewer = User.objects.create_user(username="bench-reviewer", password=None)
    org = organizations.organization_create(name="Benchmark Co", slug="bench", by=owner)
    organizations.membership_add(organization=org, user=reviewer, roles=["reviewer"], by=owner)
    for team in TEAMS:
        organizations.team_create(organization=org, by=owner, key=team, name=team.title())
    known = set(Action.objects.filter(organization=org).values_list("key", flat=True))
    for key, _, _ in MORE_ACTIONS:
        if key not in known:
            catalogs.catalog_entry_create(
                organization=org,
                by=owner,
                kind=CatalogKind.ACTIONS,
                values={"key": key, "label": key.replace("_", " ").capitalize()},
            )
    policy = policies.policy_create(organization=org, by=owner, key="pipeline", name="Pipeline")
    version = policies.policy_version_create(policy=policy, by=owner, document=document())
    policies.policy_version_submit(version=version, by=owner)
    policies.policy_version_approve(version=version, by=reviewer)
    policies.policy_version_publish(version=version, by=reviewer)
    agent = agents.agent_create(
        organization=org, by=owner, key="copilot", name="Copilot", policy="pipeline"
    )
    issued = agents.agent_key_create(agent=agent, by=owner)
    return {
        "key": issued.raw,
        "version_id": version.pk,
        "actions": len(version.document["actions"]),
        "mix": [{"expect": expect, "body": body} for expect, body in MIX],
    }


if __name__ == "__main__":
    with open(sys.argv[1], "w") as out:
        json.dump(build(), out)
