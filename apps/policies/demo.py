"""The demo organization's policy history, following the rollout teams describe: two weeks
with every outbound action on approval, then routine follow-ups made autonomous; a later
proposal to loosen pricing was rejected, and another waits for review."""

import copy
from pathlib import Path

from apps.accounts.models import User
from apps.policies import document, services
from apps.policies.models import Policy

EXAMPLE = Path(__file__).parent / "examples" / "sales-pipeline.yaml"


def _example() -> dict:
    return document.parse(EXAMPLE.read_text())


def _first_two_weeks() -> dict:
    doc = _example()
    doc["description"] = "Rollout: for the first two weeks every action waits for a person."
    for key, spec in doc["actions"].items():
        if spec["mode"] == "autonomous":
            spec["mode"] = "approval"
            spec.setdefault(
                "approver_team", "deal-desk" if key == "offer_discount" else "sales-leadership"
            )
    return doc


def _loosen_pricing() -> dict:
    doc = _example()
    doc["actions"]["offer_discount"]["limits"] = {"discount_pct": 15}
    doc["actions"]["quote_price"] = {"mode": "autonomous", "templates": ["proposal-project"]}
    return doc


def _next_step() -> dict:
    doc = copy.deepcopy(_example())
    doc["actions"]["offer_discount"]["limits"] = {"discount_pct": 10}
    doc["actions"]["send_follow_up"]["min_confidence"] = 0.85
    doc["actions"]["schedule_meeting"] = {
        "mode": "autonomous",
        "channels": ["email"],
        "templates": ["meeting-confirmation"],
        "data": ["contact_details"],
    }
    return doc


def demo_policy_history(*, organization, author: User, reviewer: User) -> Policy:
    """Create the sales-pipeline policy with its history, once."""
    policy = Policy.objects.filter(organization=organization, key="sales-pipeline").first()
    if policy is not None:
        return policy
    policy = services.policy_create(
        organization=organization,
        by=author,
        key="sales-pipeline",
        name="Sales pipeline agents",
        description="What the pipeline agents may do between calls.",
    )

    def reviewed(doc: dict, *, approve: bool, comment: str, based_on=None):
        version = services.policy_version_create(
            policy=policy, by=author, document=doc, based_on=based_on
        )
        services.policy_version_submit(version=version, by=author)
        if approve:
            return services.policy_version_approve(version=version, by=reviewer, comment=comment)
        return services.policy_version_reject(version=version, by=reviewer, comment=comment)

    first = reviewed(_first_two_weeks(), approve=True, comment="Start with everything on approval.")
    services.policy_version_publish(version=first, by=reviewer)
    second = reviewed(
        _example(),
        based_on=first,
        approve=True,
        comment="Two weeks of approvals: follow-ups and CRM updates went out unchanged. "
        "Make them autonomous; pricing stays with the deal desk.",
    )
    services.policy_version_publish(version=second, by=reviewer)
    reviewed(
        _loosen_pricing(),
        based_on=second,
        approve=False,
        comment="Quoting prices stays with the deal desk; 15% is far above what we approve.",
    )
    # Each later version is written from the active one, as authors do in the editor.
    pending = services.policy_version_create(
        policy=policy, by=author, document=_next_step(), based_on=second
    )
    services.policy_version_submit(version=pending, by=author)
    return policy
