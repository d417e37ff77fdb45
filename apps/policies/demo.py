"""The demo organization's policy history, following the rollout teams describe: two weeks
with every outbound action on approval, then routine follow-ups made autonomous; a later
proposal to loosen pricing was rejected, and another waits for review.

The history happened over the last six weeks, so each step runs on a clock set to its day
(see `_on`): the decisions the humans demo records weeks back then fall under the version
that was in force at their time. Only the versions' times move; their audit events are
written at seeding time, since the audit trail is append-only."""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from django.utils import timezone

from apps.accounts.models import User
from apps.policies import document, services
from apps.policies.models import Policy, PolicyVersion

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


# When each step happened: (days ago, hour, minute), on working hours like the humans demo.
HISTORY = {
    "policy": (40, 9, 30),
    "v1": {"written": (40, 10), "submitted": (40, 11, 15), "approved": (39, 9, 40)},
    "v1 published": (39, 10),
    "v2": {"written": (25, 16), "submitted": (25, 16, 30), "approved": (24, 8, 10)},
    "v2 published": (24, 8, 30),  # v1 was in force for two weeks
    "v3": {"written": (12, 14), "submitted": (12, 14, 45), "rejected": (10, 11, 5)},
    "v4": {"written": (3, 15), "submitted": (3, 15, 40)},
}


def _day(now: datetime, days_ago: int, hour: int, minute: int = 0) -> datetime:
    day = now - timedelta(days=days_ago)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


@contextmanager
def _on(at: datetime) -> Iterator[None]:
    """Run the policy services as if it were `at`: they stamp submitted_at, reviewed_at,
    activated_at and superseded_at with their clock, and the database keeps a recorded
    submission or review from being changed afterwards. Only the services' own clock moves;
    the audit trail keeps the real time."""
    with mock.patch.object(services, "timezone", SimpleNamespace(now=lambda: at)):
        yield


def demo_policy_history(*, organization, author: User, reviewer: User) -> Policy:
    """Create the sales-pipeline policy with its history, once."""
    policy = Policy.objects.filter(organization=organization, key="sales-pipeline").first()
    if policy is not None:
        return policy
    now = timezone.now()

    def at(step) -> datetime:
        return _day(now, *step)

    policy = services.policy_create(
        organization=organization,
        by=author,
        key="sales-pipeline",
        name="Sales pipeline agents",
        description="What the pipeline agents may do between calls.",
    )
    Policy.objects.filter(pk=policy.pk).update(created_at=at(HISTORY["policy"]))

    def written(doc: dict, steps: dict, *, based_on=None) -> PolicyVersion:
        version = services.policy_version_create(
            policy=policy, by=author, document=doc, based_on=based_on
        )
        PolicyVersion.objects.filter(pk=version.pk).update(created_at=at(steps["written"]))
        with _on(at(steps["submitted"])):
            return services.policy_version_submit(version=version, by=author)

    def reviewed(doc: dict, steps: dict, *, comment: str, based_on=None) -> PolicyVersion:
        version = written(doc, steps, based_on=based_on)
        if "approved" in steps:
            with _on(at(steps["approved"])):
                return services.policy_version_approve(
                    version=version, by=reviewer, comment=comment
                )
        with _on(at(steps["rejected"])):
            return services.policy_version_reject(version=version, by=reviewer, comment=comment)

    def published(version: PolicyVersion, step) -> PolicyVersion:
        with _on(at(step)):
            version = services.policy_version_publish(version=version, by=reviewer)
        PolicyVersion.objects.filter(pk=version.pk).update(updated_at=at(step))
        return version

    first = reviewed(
        _first_two_weeks(), HISTORY["v1"], comment="Start with everything on approval."
    )
    first = published(first, HISTORY["v1 published"])
    second = reviewed(
        _example(),
        HISTORY["v2"],
        based_on=first,
        comment="Two weeks of approvals: follow-ups and CRM updates went out unchanged. "
        "Make them autonomous; pricing stays with the deal desk.",
    )
    published(second, HISTORY["v2 published"])
    PolicyVersion.objects.filter(pk=first.pk).update(updated_at=at(HISTORY["v2 published"]))
    third = reviewed(
        _loosen_pricing(),
        HISTORY["v3"],
        based_on=second,
        comment="Quoting prices stays with the deal desk; 15% is far above what we approve.",
    )
    PolicyVersion.objects.filter(pk=third.pk).update(updated_at=at(HISTORY["v3"]["rejected"]))
    # Each later version is written from the active one, as authors do in the editor.
    pending = written(_next_step(), HISTORY["v4"], based_on=second)
    PolicyVersion.objects.filter(pk=pending.pk).update(updated_at=at(HISTORY["v4"]["submitted"]))
    return policy
