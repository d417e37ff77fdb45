"""Two reviewers acting on the same version at the same moment: exactly one transition
happens, the other is told it conflicts. Runs on real connections in parallel threads
(row locks on PostgreSQL; serialised write transactions on SQLite)."""

import threading

import pytest
from django.db import connection

from apps.agents.models import Agent
from apps.core.errors import Conflict
from apps.organizations.constants import Role
from apps.policies import services
from apps.policies.constants import VersionState
from apps.policies.models import PolicyVersion
from tests.factories import UserFactory, make_member
from tests.humans.trust_records import activate, record

pytestmark = pytest.mark.django_db(transaction=True)


def race(calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_parallel_approve_and_reject_make_exactly_one_transition(world):
    target = PolicyVersion.objects.get(policy__key="pipeline", number=2)
    second = make_member(world.org, [Role.REVIEWER], UserFactory(username="reviewer2"))
    results = race(
        [
            lambda: services.policy_version_approve(
                version=target, by=world.people["reviewer"], comment="yes"
            ),
            lambda: services.policy_version_reject(version=target, by=second, comment="no"),
        ]
    )
    conflicts = [r for r in results if isinstance(r, Conflict)]
    done = [r for r in results if isinstance(r, PolicyVersion)]
    assert len(done) == 1, results
    assert len(conflicts) == 1, results
    target.refresh_from_db()
    assert target.state in (VersionState.APPROVED, VersionState.REJECTED)
    assert target.state == done[0].state


def test_parallel_double_approval(world):
    target = PolicyVersion.objects.get(policy__key="pipeline", number=2)
    second = make_member(world.org, [Role.REVIEWER], UserFactory(username="reviewer2"))
    results = race(
        [
            lambda: services.policy_version_approve(version=target, by=world.people["reviewer"]),
            lambda: services.policy_version_approve(version=target, by=second),
        ]
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "PolicyVersion"], results


def test_parallel_publications_leave_one_active_version(world):
    reviewer = world.people["reviewer"]
    policy = PolicyVersion.objects.get(policy__key="pipeline", number=3).policy
    services.policy_version_approve(
        version=PolicyVersion.objects.get(policy=policy, number=2), by=reviewer
    )
    v2, v3 = (PolicyVersion.objects.get(policy=policy, number=n) for n in (2, 3))
    results = race(
        [
            lambda: services.policy_version_publish(version=v2, by=reviewer),
            lambda: services.policy_version_publish(version=v3, by=reviewer),
        ]
    )
    assert not any(isinstance(r, Exception) and not isinstance(r, Conflict) for r in results), (
        results
    )
    # Either order ends with the newer version active: v3 after v2 supersedes it; v2 after
    # v3 is refused as older than the active version.
    active = PolicyVersion.objects.get(policy=policy, state=VersionState.ACTIVE)
    assert active.number == 3


def test_parallel_proposals_of_autonomy_make_one_draft(world):
    active = activate(world)
    record(world, ["approved"] * 20)
    agent = Agent.objects.get(organization=world.org, key="copilot")
    results = race(
        [
            lambda who=who: services.policy_version_propose_autonomous(
                agent=agent, action="draft_proposal", days=30, by=world.people[who]
            )
            for who in ("author", "owner")
        ]
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "PolicyVersion"], results
    assert next(r for r in results if isinstance(r, Conflict)).code == "already_proposed"
    assert PolicyVersion.objects.filter(based_on=active).count() == 1
