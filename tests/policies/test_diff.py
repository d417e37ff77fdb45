"""The structural diff names every kind of change in words a reviewer reads at a glance."""

import copy

import pytest

from apps.policies import document
from apps.policies.diff import diff
from tests.policies.test_document import KEYS, example


def base() -> dict:
    return document.validate(example(), KEYS)


def texts(before, after) -> list[str]:
    return [c.text for c in diff(before, after)]


def changed(edit) -> list[str]:
    before = base()
    after = copy.deepcopy(before)
    edit(after)
    return texts(before, after)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(name="Pipeline v2"), "name: “Sales pipeline agents” → “Pipeline v2”"),
        (
            lambda d: d.update(description="New"),
            "description: “What the pipeline agents may do between calls.” → “New”",
        ),
        (
            lambda d: d["defaults"].update(min_confidence=0.85),
            "defaults: min_confidence 0.8 → 0.85",
        ),
        (
            lambda d: d["defaults"].pop("approval_expires_after_hours"),
            "defaults: approval_expires_after_hours 48 → none",
        ),
        (
            lambda d: d["actions"]["update_deal_stage"].update(min_confidence=0.95),
            "update_deal_stage: min_confidence 0.9 → 0.95",
        ),
        (
            lambda d: d["actions"]["send_follow_up"].update(min_confidence=0.8),
            "send_follow_up: min_confidence none → 0.8",
        ),
        (
            lambda d: d["actions"]["draft_proposal"].update(mode="autonomous"),
            "draft_proposal: mode approval → autonomous",
        ),
        (
            lambda d: d["actions"]["offer_discount"]["limits"].update(discount_pct=10),
            "offer_discount: limit discount_pct 5 → 10",
        ),
        (
            lambda d: d["actions"]["offer_discount"]["limits"].update(deal_value=50000),
            "offer_discount: limit deal_value set to 50000",
        ),
        (
            lambda d: d["actions"]["offer_discount"].pop("limits"),
            "offer_discount: limit discount_pct 5 removed",
        ),
        (
            lambda d: d["actions"]["offer_discount"].update(approver_team="sales-leadership"),
            "offer_discount: approver_team deal-desk → sales-leadership",
        ),
        (
            lambda d: d["actions"]["quote_price"].update(route_to_team="sales-leadership"),
            "quote_price: route_to_team deal-desk → sales-leadership",
        ),
        (
            lambda d: d["actions"]["send_follow_up"]["templates"].append("proposal-project"),
            "send_follow_up: templates + proposal-project",
        ),
        (
            lambda d: d["actions"]["send_follow_up"]["templates"].remove("meeting-confirmation"),
            "send_follow_up: templates \u2212 meeting-confirmation",
        ),
        (
            lambda d: d["actions"]["send_follow_up"].pop("channels"),
            "send_follow_up: channels no longer restricted (was email)",
        ),
        (
            lambda d: d["actions"]["offer_discount"].update(channels=["email"]),
            "offer_discount: channels now only email",
        ),
        (
            lambda d: d["actions"]["log_call_notes"]["fields"].append("deal_stage"),
            "log_call_notes: fields + deal_stage",
        ),
        (
            lambda d: d["actions"]["send_follow_up"]["data"].append("health"),
            "send_follow_up: data + health",
        ),
        (
            lambda d: d["actions"].update(
                schedule_meeting={"mode": "autonomous", "channels": ["email"]}
            ),
            "schedule_meeting: added (autonomous; channels email)",
        ),
        (
            lambda d: d["actions"].pop("negotiate_terms"),
            "negotiate_terms: removed (now outside the envelope: deny)",
        ),
        (
            lambda d: d["triggers"]["pricing_question"].update(respond_within_minutes=15),
            "trigger pricing_question: respond_within_minutes 30 → 15",
        ),
        (
            lambda d: d["triggers"]["pricing_question"].update(route_to_team="sales-leadership"),
            "trigger pricing_question: route_to_team deal-desk → sales-leadership",
        ),
        (lambda d: d["triggers"].pop("buying_intent"), "trigger buying_intent: removed"),
        (lambda d: d["data"]["never"].append("deal_status"), "data never allowed: + deal_status"),
        (
            lambda d: d["decision_rights"]["deal-desk"].append("renewals"),
            "decision rights of deal-desk: + renewals",
        ),
        (
            lambda d: d["decision_rights"].pop("solutions-engineering"),
            "decision rights of solutions-engineering: removed",
        ),
    ],
)
def test_each_kind_of_change_reads_clearly(edit, expected):
    assert expected in changed(edit)


def test_added_trigger_and_team():
    before = base()
    del before["triggers"]["human_requested"]
    del before["decision_rights"]["deal-desk"]
    after = base()
    result = texts(before, after)
    assert "trigger human_requested: added → sales-leadership within 5 min" in result
    assert "decision rights of deal-desk: pricing, discounts, proposals" in result


def test_identical_documents_have_no_changes():
    assert diff(base(), base()) == []


def test_against_nothing_lists_every_action_as_added():
    result = diff(None, base())
    assert sum(1 for c in result if c.kind == "added" and c.section == "actions") == 7
