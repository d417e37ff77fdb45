"""Trust figures per agent, action and window; the recommendation just below and at its
thresholds; and the draft one click proposes: only that action's mode changes, and the
normal review still applies (its author may not approve it)."""

import pytest

from apps.agents.models import Agent
from apps.audit.models import AuditEvent
from apps.core.errors import Conflict, PermissionRefused
from apps.humans.models import Approval
from apps.humans.trust import agent_trust, agents_trust
from apps.policies import services as policy_services
from apps.policies.constants import VersionState
from apps.policies.models import Policy, PolicyVersion
from apps.policies.selectors import policy_version_diff
from tests.humans.trust_records import activate, record

pytestmark = pytest.mark.django_db


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
    first = activate(world)
    record(world, ["approved"] * 20)
    stale = Agent.objects.select_related("policy").get(organization=world.org, key="copilot")
    # Meanwhile the agent is moved to another policy, also with draft_proposal on approval.
    policy_services.policy_create(
        organization=world.org, by=world.people["author"], key="other", name="Other"
    )
    now_active = activate(world, policy="other")
    Agent.objects.filter(pk=stale.pk).update(policy=now_active.policy)

    draft = policy_services.policy_version_propose_autonomous(
        agent=stale, action="draft_proposal", days=30, by=world.people["author"]
    )

    assert draft.policy == now_active.policy
    assert draft.based_on == now_active
    assert not PolicyVersion.objects.filter(based_on=first).exists()


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
