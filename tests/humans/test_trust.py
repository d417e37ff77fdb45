"""Trust figures per agent, action and window; the recommendation just below and at its
thresholds; and the draft one click proposes: only that action's mode changes, and the
normal review still applies (its author may not approve it)."""

from collections.abc import Iterable
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.agents.models import Agent, AgentKey
from apps.audit.models import AuditEvent
from apps.checks.grants import grant_from_key
from apps.checks.models import Decision
from apps.checks.services import decision_row, decisions_record
from apps.core.errors import Conflict, PermissionRefused
from apps.engine.types import Decision as Answer
from apps.engine.types import Reason
from apps.humans import services
from apps.humans.models import Approval
from apps.humans.trust import agent_trust, agents_trust
from apps.policies import services as policy_services
from apps.policies.constants import VersionState
from apps.policies.models import Policy, PolicyVersion
from apps.policies.selectors import policy_version_diff
from tests.conftest import SIMPLE_DOCUMENT

pytestmark = pytest.mark.django_db

TRUST_DOCUMENT = {
    **SIMPLE_DOCUMENT,
    "actions": {
        **SIMPLE_DOCUMENT["actions"],
        "draft_proposal": {
            "mode": "approval",
            "templates": ["proposal-project"],
            "approver_team": "deal-desk",
        },
    },
}


def activate(world, document=TRUST_DOCUMENT) -> PolicyVersion:
    """Make `document` the active version of the world's policy "pipeline"."""
    policy = Policy.objects.get(organization=world.org, key="pipeline")
    author, reviewer = world.people["author"], world.people["reviewer"]
    version = policy_services.policy_version_create(policy=policy, by=author, document=document)
    policy_services.policy_version_submit(version=version, by=author)
    policy_services.policy_version_approve(version=version, by=reviewer)
    return policy_services.policy_version_publish(version=version, by=reviewer)


def asked(key: AgentKey, action: str, at) -> Decision:
    """A require_approval decision recorded as the check API records it, at `at` (the log
    is append-only: a decision's time is set when it is written)."""
    row = decision_row(
        grant=grant_from_key(key, active_version_id=None),
        body={"action": action, "confidence": 0.9},
        outcome=Answer(
            "require_approval",
            (Reason("action.requires_approval", "A person decides."),),
            {"approver_team": "deal-desk", "expires_after_hours": 48},
        ),
        policy=None,
        version_id=None,
        request_id="",
        evaluated_at=at,
        evaluation_us=1,
    )
    return decisions_record(rows=[row])[0]


def record(
    world,
    statuses: Iterable[str],
    *,
    action: str = "draft_proposal",
    days_ago: float = 1,
    outcome: bool | None = None,
) -> list[Approval]:
    """Approvals of the world's agent ("copilot") with these statuses, `days_ago` old, each
    decided by the deal desk (or left to expire), with an outcome reported if asked."""
    key = AgentKey.objects.select_related("agent", "organization").get(agent__key="copilot")
    member = world.people["member"]
    made = []
    at = timezone.now() - timedelta(days=days_ago)
    for status in statuses:
        decision = asked(key, action, at)
        approval, _ = services.approval_submit(
            agent=key.agent,
            decision_id=decision.decision_id,
            draft={"kind": "email", "body": "Hi"},
            context={"summary": "A proposal."},
        )
        if status == "approved":
            services.approval_decide(approval=approval, by=member, verdict="approve")
        elif status == "edited":
            services.approval_decide(
                approval=approval,
                by=member,
                verdict="edit",
                final_draft={"kind": "email", "body": "Hello"},
            )
        elif status == "rejected":
            services.approval_decide(approval=approval, by=member, verdict="reject", comment="No")
        elif status == "expired":
            Approval.objects.filter(pk=approval.pk).update(due_at=timezone.now())
            services.approvals_expire_due()
        if outcome is not None:
            services.decision_outcome_report(
                agent=key.agent,
                decision_id=decision.decision_id,
                executed=outcome,
                detail="sent" if outcome else "not sent",
            )
        Approval.objects.filter(pk=approval.pk).update(created_at=at)
        made.append(approval)
    return made


def figures(world, days: int = 30, action: str = "draft_proposal"):
    agent = next(
        a for a in agents_trust(organization=world.org, days=days) if a.agent.key == "copilot"
    )
    row = next((r for r in agent.actions if r.action == action), None)
    return agent, row


def test_figures_per_window(world):
    activate(world)
    record(world, ["approved", "approved", "edited", "rejected"], days_ago=3, outcome=True)
    record(world, ["approved", "approved", "approved", "expired"], days_ago=20, outcome=False)
    record(world, ["approved"] * 5, days_ago=60)
    record(world, ["approved"] * 7, days_ago=100)  # outside every window

    _, week = figures(world, 7)
    # The world's own pending approval of draft_proposal is a day old.
    assert (week.approved, week.edited, week.rejected, week.expired, week.pending) == (
        2,
        1,
        1,
        0,
        1,
    )
    assert (week.decided, week.unchanged_rate, week.unchanged_percent) == (4, 0.5, 50)
    assert (week.executed, week.not_executed) == (4, 0)
    assert week.mode == "approval"

    _, month = figures(world, 30)
    assert (month.approved, month.edited, month.rejected, month.expired) == (5, 1, 1, 1)
    assert month.decided == 7  # expired approvals are not decisions about the draft
    assert month.unchanged_percent == 71  # 5 of 7, rounded down
    assert (month.executed, month.not_executed) == (4, 4)
    assert month.bar == {"approved": 5, "edited": 6, "rejected": 7, "expired": 8}

    _, quarter = figures(world, 90)
    assert (quarter.approved, quarter.decided) == (10, 12)
    assert quarter.note == "12 of the 20 decided approvals needed."


def test_figures_are_per_organization_and_agent(world):
    activate(world)
    record(world, ["approved"] * 3)
    others = agents_trust(organization=world.other)
    assert [a.agent.key for a in others] == ["their-agent"]
    assert all(r.action != "draft_proposal" or r.approved == 0 for r in others[0].actions)


@pytest.mark.parametrize(
    ("approved", "others", "recommended", "note"),
    [
        (19, [], False, "19 of the 20 decided approvals needed."),  # one too few
        (20, [], True, "Recommended."),  # exactly enough
        (18, ["edited", "rejected"], True, "Recommended."),  # exactly 90%
        (17, ["edited", "rejected", "edited"], False, "85% unchanged; 90% needed."),
        (26, ["edited", "rejected", "edited"], False, "89% unchanged; 90% needed."),  # 89.7%
        (27, ["edited", "rejected", "edited"], True, "Recommended."),  # 90% of 30
    ],
)
def test_recommendation_thresholds(world, approved, others, recommended, note):
    activate(world)
    record(world, ["approved"] * approved + others + ["expired"] * 3, days_ago=5)
    agent, row = figures(world)
    assert row.note == note
    assert row.recommended is recommended
    assert bool(agent.recommendations) is recommended
    if recommended:
        (recommendation,) = agent.recommendations
        assert recommendation.text == "move draft_proposal to autonomous"
        assert recommendation.evidence["decided"] == approved + len(others)
        assert recommendation.evidence["expired"] == 3


def test_thresholds_come_from_settings(world, settings):
    settings.MANDATE_TRUST_MIN_APPROVALS = 3
    settings.MANDATE_TRUST_MIN_UNCHANGED_RATE = 0.75
    activate(world)
    record(world, ["approved", "approved", "approved", "edited"])
    assert figures(world)[1].recommended


def test_only_actions_on_approval_are_recommended(world):
    activate(world)
    record(world, ["approved"] * 25, action="offer_discount")  # autonomous, above its limit
    agent, row = figures(world, action="offer_discount")
    assert row.mode == "autonomous"
    assert not row.recommended
    assert agent.recommendations == []


def test_no_recommendation_without_an_active_version(world):
    record(world, ["approved"] * 25)  # "pipeline" has no active version in the world
    agent, row = figures(world)
    assert row.mode is None
    assert row.note == "Not in the active version."
    assert agent.active_version is None
    assert agent.recommendations == []


def test_the_window_decides_the_recommendation(world):
    activate(world)
    record(world, ["approved"] * 22, days_ago=12)
    copilot = world.org.agents.get(key="copilot")
    assert agent_trust(agent=copilot, days=30).recommendation_for("draft_proposal")
    assert agent_trust(agent=copilot, days=7).recommendation_for("draft_proposal") is None
    assert agent_trust(agent=copilot, days=30).recommendation_for("offer_discount") is None


def test_a_later_version_that_already_proposes_it_is_named(world):
    active = activate(world)
    record(world, ["approved"] * 20)
    recommendation = figures(world)[0].recommendations[0]
    assert recommendation.proposed_in is None
    draft = policy_services.policy_version_create_autonomous(
        policy=active.policy,
        by=world.people["author"],
        action="draft_proposal",
        evidence=recommendation.evidence,
    )
    assert figures(world)[0].recommendations[0].proposed_in == draft


def test_one_click_draft_changes_only_that_mode_and_goes_through_review(world):
    active = activate(world)
    record(world, ["approved"] * 20)
    recommendation = figures(world)[0].recommendations[0]
    author, reviewer = world.people["author"], world.people["reviewer"]

    draft = policy_services.policy_version_create_autonomous(
        policy=active.policy, by=author, action="draft_proposal", evidence=recommendation.evidence
    )

    assert draft.state == VersionState.DRAFT
    assert draft.based_on == active
    assert draft.author == author
    changes = policy_version_diff(version=draft, against=active)
    assert [c.text for c in changes] == ["draft_proposal: mode approval → autonomous"]
    expected = active.document
    expected["actions"]["draft_proposal"]["mode"] = "autonomous"
    assert draft.document == expected  # templates and approver team kept, order kept
    assert list(draft.document["actions"]) == list(active.document["actions"])
    verbs = list(
        AuditEvent.objects.filter(
            object_type="policies.policyversion", object_id=str(draft.pk)
        ).values_list("verb", "after")
    )
    assert [v for v, _ in verbs] == ["policy_version.created", "policy_version.autonomy_proposed"]
    assert verbs[1][1]["evidence"]["approved_unchanged"] == 20
    assert verbs[1][1]["evidence"]["window_days"] == 30

    policy_services.policy_version_submit(version=draft, by=author)
    with pytest.raises(PermissionRefused):
        policy_services.policy_version_approve(version=draft, by=author)
    approved = policy_services.policy_version_approve(version=draft, by=reviewer)
    assert approved.state == VersionState.APPROVED


def test_the_draft_is_refused_without_an_active_version(world):
    policy = Policy.objects.get(organization=world.org, key="pipeline")
    with pytest.raises(Conflict) as refused:
        policy_services.policy_version_create_autonomous(
            policy=policy, by=world.people["author"], action="draft_proposal", evidence={}
        )
    assert refused.value.code == "no_active_version"
    assert "no active version" in refused.value.message


@pytest.mark.parametrize(
    ("action", "says"),
    [("send_follow_up", "(it is autonomous)"), ("quote_price", "(it is not in the envelope)")],
)
def test_the_draft_is_refused_for_an_action_not_on_approval(world, action, says):
    active = activate(world)
    before = PolicyVersion.objects.count()
    with pytest.raises(Conflict) as refused:
        policy_services.policy_version_create_autonomous(
            policy=active.policy, by=world.people["author"], action=action, evidence={}
        )
    assert refused.value.code == "not_on_approval"
    assert says in refused.value.message
    assert PolicyVersion.objects.count() == before


def test_a_proposal_follows_the_agent_to_the_policy_it_follows_now(world):
    active = activate(world)
    record(world, ["approved"] * 20)
    stale = Agent.objects.select_related("policy").get(organization=world.org, key="copilot")
    # Meanwhile the agent is moved to a policy whose record with it says nothing.
    other = policy_services.policy_create(
        organization=world.org, by=world.people["author"], key="other", name="Other"
    )
    Agent.objects.filter(pk=stale.pk).update(policy=other)
    before = PolicyVersion.objects.count()
    with pytest.raises(Conflict) as refused:
        policy_services.policy_version_propose_autonomous(
            agent=stale, action="draft_proposal", days=30, by=world.people["author"]
        )
    assert refused.value.code == "not_recommended"
    assert "its policy has no active version" in refused.value.message
    assert PolicyVersion.objects.count() == before
    assert not PolicyVersion.objects.filter(based_on=active).exists()


@pytest.mark.parametrize(
    ("action", "approved", "why"),
    [
        ("send_follow_up", 0, "(already autonomous)"),
        ("quote_price", 0, "(not in the active version)"),
        ("draft_proposal", 5, "(5 of the 20 decided approvals needed)"),
        ("draft_proposal", 0, "(0 of the 20 decided approvals needed)"),
    ],
)
def test_a_refused_proposal_says_why(world, action, approved, why):
    activate(world)
    Approval.objects.filter(organization=world.org).delete()  # the world's own, waiting
    record(world, ["approved"] * approved)
    agent = Agent.objects.get(organization=world.org, key="copilot")
    with pytest.raises(Conflict) as refused:
        policy_services.policy_version_propose_autonomous(
            agent=agent, action=action, days=30, by=world.people["author"]
        )
    assert why in refused.value.message
    assert refused.value.message.endswith("; nothing was proposed.")


def test_an_agent_without_a_policy_is_told_so(world):
    agent = Agent.objects.get(organization=world.org, key="copilot")
    Agent.objects.filter(pk=agent.pk).update(policy=None)
    with pytest.raises(Conflict) as refused:
        policy_services.policy_version_propose_autonomous(
            agent=agent, action="draft_proposal", days=30, by=world.people["author"]
        )
    assert "(the agent follows no policy)" in refused.value.message
