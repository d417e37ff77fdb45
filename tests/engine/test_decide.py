"""The engine, without a database: a table of cases from the agent API's decision procedure,
and properties that must hold for any request."""

from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.engine.compiler import compile_policy
from apps.engine.evaluate import context_type_problems, decide
from apps.engine.types import AgentFacts, CheckRequest

DOCUMENT = {
    "format": 1,
    "name": "Sales pipeline agents",
    "defaults": {"min_confidence": 0.8, "approval_expires_after_hours": 48},
    "actions": {
        "log_call_notes": {"mode": "autonomous", "fields": ["activity_log", "next_step"]},
        "update_deal_stage": {
            "mode": "autonomous",
            "min_confidence": 0.9,
            "fields": ["deal_stage"],
        },
        "send_follow_up": {
            "mode": "autonomous",
            "channels": ["email"],
            "templates": ["check-in-after-proposal", "meeting-confirmation"],
            "data": ["contact_details", "deal_status"],
        },
        "draft_proposal": {
            "mode": "approval",
            "approver_team": "deal-desk",
            "templates": ["proposal-retainer", "proposal-project"],
        },
        "offer_discount": {
            "mode": "autonomous",
            "limits": {"discount_pct": 5},
            "approver_team": "deal-desk",
        },
        "quote_price": {"mode": "escalate", "route_to_team": "deal-desk"},
        "negotiate_terms": {"mode": "forbidden"},
    },
    "triggers": {
        "buying_intent": {"route_to_team": "sales-leadership", "respond_within_minutes": 15},
        "pricing_question": {"route_to_team": "deal-desk", "respond_within_minutes": 30},
        "human_requested": {"route_to_team": "sales-leadership", "respond_within_minutes": 5},
    },
    "data": {"never": ["payment_card", "health"]},
}
POLICY = compile_policy(DOCUMENT, policy_id="p1", name="Sales pipeline agents", version=7)
OK = AgentFacts()


def check(action, confidence=0.95, signals=(), agent=OK, policy=POLICY, **context):
    request = CheckRequest(action, confidence, tuple(signals), MappingProxyType(context))
    return decide(policy, agent, request)


CASES = [
    # (description, kwargs, decision, first reason)
    (
        "autonomous within bounds",
        dict(
            action="send_follow_up",
            channel="email",
            template="meeting-confirmation",
            data_categories=["contact_details"],
        ),
        "allow",
        "action.allowed",
    ),
    ("unknown action", dict(action="fly_to_the_moon"), "deny", "action.unknown"),
    ("out of scope", dict(action="negotiate_terms"), "deny", "action.out_of_scope"),
    (
        "template not approved",
        dict(action="send_follow_up", template="proposal-project"),
        "deny",
        "template.not_approved",
    ),
    (
        "channel not allowed",
        dict(action="send_follow_up", channel="sms"),
        "deny",
        "channel.not_allowed",
    ),
    (
        "CRM field not allowed",
        dict(action="log_call_notes", crm_fields=["next_step", "amount"]),
        "deny",
        "field.not_allowed",
    ),
    (
        "data never allowed",
        dict(action="log_call_notes", data_categories=["payment_card"]),
        "deny",
        "data.not_permitted",
    ),
    (
        "data outside the action's list",
        dict(action="send_follow_up", data_categories=["pricing"]),
        "deny",
        "data.not_permitted",
    ),
    (
        "approval mode",
        dict(action="draft_proposal", template="proposal-retainer"),
        "require_approval",
        "action.requires_approval",
    ),
    (
        "confidence below default",
        dict(action="send_follow_up", confidence=0.7),
        "require_approval",
        "confidence.below_threshold",
    ),
    (
        "confidence missing",
        dict(action="send_follow_up", confidence=None),
        "require_approval",
        "confidence.below_threshold",
    ),
    (
        "confidence below the action's own",
        dict(action="update_deal_stage", confidence=0.85),
        "require_approval",
        "confidence.below_threshold",
    ),
    (
        "limit exceeded",
        dict(action="offer_discount", discount_pct=8),
        "require_approval",
        "limit.exceeded",
    ),
    ("limit value missing", dict(action="offer_discount"), "require_approval", "limit.exceeded"),
    (
        "limit at the bound",
        dict(action="offer_discount", discount_pct=5),
        "allow",
        "action.allowed",
    ),
    ("escalate mode", dict(action="quote_price"), "escalate", "action.escalate"),
    (
        "trigger beats allow",
        dict(action="send_follow_up", signals=["pricing_question"]),
        "escalate",
        "trigger.pricing_question",
    ),
    (
        "trigger beats deny",
        dict(action="negotiate_terms", signals=["human_requested"]),
        "escalate",
        "trigger.human_requested",
    ),
    (
        "trigger beats unknown",
        dict(action="fly", signals=["buying_intent"]),
        "escalate",
        "trigger.buying_intent",
    ),
    (
        "unlisted signal has no effect",
        dict(action="send_follow_up", signals=["weather_talk"]),
        "allow",
        "action.allowed",
    ),
    (
        "deny beats escalate mode",
        dict(action="quote_price", data_categories=["health"]),
        "deny",
        "data.not_permitted",
    ),
    (
        "deny beats approval",
        dict(action="draft_proposal", template="nope"),
        "deny",
        "template.not_approved",
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "decision", "first"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_decision_table(kwargs, decision, first):
    result = check(**kwargs)
    assert result.decision == decision, result
    assert result.reasons[0].code == first
    assert all(r.message for r in result.reasons)


def test_no_policy_suspended_and_unavailable_fail_closed():
    assert check("send_follow_up", policy=None).reasons[0].code == "policy.none_active"
    suspended = check(
        "send_follow_up", agent=AgentFacts(suspended=True), signals=["human_requested"]
    )
    assert (suspended.decision, suspended.reasons[0].code) == ("deny", "agent.suspended")
    broken = POLICY.__class__(
        **{**{f: getattr(POLICY, f) for f in POLICY.__slots__}, "actions": None}
    )
    failed = check("send_follow_up", policy=broken)
    assert (failed.decision, failed.reasons[0].code) == ("deny", "policy.unavailable")
    assert "AttributeError" in failed.error


def test_kill_switch_turns_allow_into_approval():
    result = check("send_follow_up", agent=AgentFacts(autonomy_paused=True))
    assert result.decision == "require_approval"
    assert [r.code for r in result.reasons] == ["org.autonomy_paused"]
    assert check("quote_price", agent=AgentFacts(autonomy_paused=True)).decision == "escalate"


def test_every_matching_rule_adds_a_reason_decisive_first():
    result = check(
        "send_follow_up",
        confidence=0.5,
        signals=["pricing_question", "buying_intent"],
        channel="sms",
        template="proposal-project",
    )
    assert [r.code for r in result.reasons] == [
        "trigger.pricing_question",
        "trigger.buying_intent",
        "template.not_approved",
        "channel.not_allowed",
        "confidence.below_threshold",
    ]
    # The most urgent trigger routes, whatever the order of the signals.
    assert dict(result.obligations) == {
        "route_to_team": "sales-leadership",
        "respond_within_minutes": 15,
    }


def test_the_most_urgent_trigger_routes_in_any_order_and_repeats_count_once():
    forward = check("send_follow_up", signals=["pricing_question", "buying_intent"])
    backward = check("send_follow_up", signals=["buying_intent", "pricing_question"])
    assert dict(forward.obligations) == dict(backward.obligations)
    twice = check("send_follow_up", signals=["pricing_question", "pricing_question"])
    assert [r.code for r in twice.reasons] == ["trigger.pricing_question"]


def test_the_agents_own_team_approves_where_the_action_names_none():
    request = CheckRequest("send_follow_up", 0.5, (), {})
    owned = decide(POLICY, AgentFacts(team="sales-leadership"), request)
    assert owned.decision == "require_approval"
    assert owned.obligations["approver_team"] == "sales-leadership"
    assert "approver_team" not in decide(POLICY, AgentFacts(), request).obligations
    named = decide(
        POLICY, AgentFacts(team="x"), CheckRequest("offer_discount", 0.9, (), {"discount_pct": 9})
    )
    assert named.obligations["approver_team"] == "deal-desk"


def test_obligations_name_the_teams():
    assert dict(check("offer_discount", discount_pct=10).obligations) == {
        "approver_team": "deal-desk",
        "expires_after_hours": 48,
    }
    assert dict(check("quote_price").obligations) == {"route_to_team": "deal-desk"}
    allow = check("send_follow_up", channel="email")
    assert allow.obligations["templates"] == ["check-in-after-proposal", "meeting-confirmation"]


def test_limit_values_of_the_wrong_type_are_reported():
    request = CheckRequest("offer_discount", 0.9, (), {"discount_pct": "lots"})
    assert context_type_problems(POLICY, request) == {
        "context.discount_pct": "must be a number ≥ 0 (a limit of offer_discount applies to it)"
    }
    assert context_type_problems(
        POLICY, CheckRequest("offer_discount", 0.9, (), {"discount_pct": -50})
    )
    assert context_type_problems(
        POLICY, CheckRequest("offer_discount", 0.9, (), {"discount_pct": True})
    )
    assert decide(POLICY, OK, request).decision == "require_approval"  # never a silent pass


# ---- properties ---------------------------------------------------------------------------

keys = st.sampled_from(
    [
        *DOCUMENT["actions"],
        "fly",
        "schedule_meeting",
        *DOCUMENT["triggers"],
        "weather_talk",
        "payment_card",
        "health",
        "contact_details",
        "email",
        "sms",
    ]
)
contexts = st.fixed_dictionaries(
    {},
    optional={
        "channel": keys,
        "template": st.sampled_from(["meeting-confirmation", "proposal-project", "x"]),
        "data_categories": st.lists(keys, max_size=3),
        "crm_fields": st.lists(st.sampled_from(["next_step", "deal_stage", "amount"]), max_size=3),
        "discount_pct": st.one_of(
            st.integers(-5, 50), st.floats(allow_nan=False, allow_infinity=False)
        ),
    },
)
requests = st.builds(
    lambda action, confidence, signals, context: CheckRequest(
        action, confidence, tuple(signals), context
    ),
    keys,
    st.one_of(st.none(), st.floats(0, 1)),
    st.lists(keys, max_size=3),
    contexts,
)
agents = st.builds(AgentFacts, suspended=st.booleans(), autonomy_paused=st.booleans())


@settings(max_examples=500, deadline=None)
@given(requests, agents)
def test_allow_only_for_autonomous_actions_of_the_policy(request, agent):
    result = decide(POLICY, agent, request)
    assert result.decision in ("allow", "require_approval", "escalate", "deny")
    if result.decision == "allow":
        spec = DOCUMENT["actions"][request.action]
        assert spec["mode"] == "autonomous"
        assert not agent.suspended
        assert not agent.autonomy_paused
        assert not set(request.signals) & set(DOCUMENT["triggers"])


@settings(max_examples=300, deadline=None)
@given(requests, st.sampled_from(sorted(DOCUMENT["triggers"])))
def test_adding_a_trigger_never_turns_an_escalate_into_anything_else(request, extra):
    before = decide(POLICY, OK, request)
    signals = (*request.signals, extra)
    after = decide(
        POLICY, OK, CheckRequest(request.action, request.confidence, signals, request.context)
    )
    assert after.decision == "escalate"
    if before.decision == "escalate":
        assert after.decision == "escalate"


@settings(max_examples=300, deadline=None)
@given(requests, agents)
def test_suspended_agents_are_always_denied_and_never_raise(request, agent):
    result = decide(
        POLICY, AgentFacts(suspended=True, autonomy_paused=agent.autonomy_paused), request
    )
    assert result.decision == "deny"
    assert result.error is None


@settings(max_examples=200, deadline=None)
@given(requests)
def test_a_signal_only_policy_without_actions_never_allows(request):
    empty = compile_policy({"format": 1, "name": "x"}, policy_id="p", name="x", version=1)
    assert decide(empty, OK, request).decision == "deny"
