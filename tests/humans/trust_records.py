"""Trust records for tests: the world's policy made active with an action on approval, and
approvals of its agent decided (or expired) at a chosen age, as the services make them."""

from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone

from apps.agents.models import AgentKey
from apps.checks.grants import grant_from_key
from apps.checks.models import Decision
from apps.checks.services import decision_row, decisions_record
from apps.engine.types import Decision as Answer
from apps.engine.types import Reason
from apps.humans import services
from apps.humans.models import Approval
from apps.policies import services as policy_services
from apps.policies.models import Policy, PolicyVersion
from tests.conftest import SIMPLE_DOCUMENT

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


def activate(world, document=TRUST_DOCUMENT, *, policy: str = "pipeline") -> PolicyVersion:
    """Make `document` the active version of one of the world's policies."""
    policy = Policy.objects.get(organization=world.org, key=policy)
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
