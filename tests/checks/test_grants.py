"""The key cache of the check path: a warm check reads nothing from the database, yet every
change an agent's check depends on is seen on the next check — in this process at once, in
every other through the epoch published when the change commits — and Redis going away
costs speed, never correctness."""

import time
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from apps.agents import services as agent_services
from apps.agents.constants import KEY_PREFIX_LENGTH
from apps.agents.models import Agent, AgentKey
from apps.checks.constants import GRANT_MAX_AGE_SECONDS
from apps.checks.models import Decision
from apps.core import epoch
from apps.core.redis import redis_client
from apps.policies import services as policy_services
from apps.policies.models import Policy, PolicyVersion
from tests.checks.support import FULL, post

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="the shared epoch lives in Redis")
ALLOWED = {"action": "log_call_notes", "confidence": 0.99}


def _statements(raw_key, body=ALLOWED):
    with CaptureQueriesContext(connection) as captured:
        response = post(raw_key, body)
    return response, [q["sql"].split()[0].upper() for q in captured.captured_queries]


def _warm(world):
    for _ in range(3):
        assert post(world.raw_key, ALLOWED).json()["decision"] == "allow"


@needs_redis
def test_a_warm_check_reads_nothing_and_writes_one_row(agent_world):
    _warm(agent_world)
    response, statements = _statements(agent_world.raw_key)
    assert response.status_code == 200, response.content
    assert statements == ["INSERT"]


def _revoke(world):
    prefix = world.raw_key[:KEY_PREFIX_LENGTH]
    agent_services.agent_key_revoke(agent=world.agent, by=world.people["owner"], prefix=prefix)


def _suspend(world):
    agent_services.agent_suspend(agent=world.agent, by=world.people["owner"])


def _pause(world):
    agent_services.organization_autonomy_set(
        organization=world.org, by=world.people["owner"], paused=True, reason="Incident"
    )


def _publish_stricter(world):
    author, reviewer = world.people["author"], world.people["reviewer"]
    policy = Policy.objects.get(organization=world.org, key="pipeline")
    doc = {**FULL, "actions": {**FULL["actions"], "log_call_notes": {"mode": "approval"}}}
    version = policy_services.policy_version_create(policy=policy, by=author, document=doc)
    policy_services.policy_version_submit(version=version, by=author)
    policy_services.policy_version_approve(version=version, by=reviewer)
    policy_services.policy_version_publish(version=version, by=reviewer)


def _move_to_no_policy(world):
    agent_services.agent_update(agent=world.agent, by=world.people["owner"], policy="")


CHANGES = [
    (_revoke, 401),
    (_suspend, "deny"),
    (_pause, "require_approval"),
    (_publish_stricter, "require_approval"),
    (_move_to_no_policy, "deny"),
]


def _answer(world):
    response = post(world.raw_key, ALLOWED)
    return 401 if response.status_code == 401 else response.json()["decision"]


@pytest.mark.parametrize(("change", "expected"), CHANGES, ids=lambda c: getattr(c, "__name__", c))
def test_changes_are_seen_on_the_next_check_in_this_process(agent_world, change, expected):
    _warm(agent_world)
    change(agent_world)
    assert _answer(agent_world) == expected


@needs_redis
@pytest.mark.parametrize(("change", "expected"), CHANGES, ids=lambda c: getattr(c, "__name__", c))
def test_changes_reach_other_processes_through_the_epoch_on_commit(
    agent_world, change, expected, django_capture_on_commit_callbacks
):
    _warm(agent_world)
    before = redis_client().get(epoch.REDIS_KEY)
    # Another process: its local generation never moves; only Redis tells it.
    with mock.patch.object(epoch, "local_generation", return_value=-1):
        _warm(agent_world)  # cached under generation -1
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            change(agent_world)
        assert _answer(agent_world) == "allow"  # committed, not yet published: still cached
        published = [callback for callback in callbacks if callback is epoch._publish]
        assert published
        for callback in published:
            callback()
        assert redis_client().get(epoch.REDIS_KEY) != before
        assert _answer(agent_world) == expected


@needs_redis
def test_a_lost_epoch_publication_is_outlived_by_the_age_limit(agent_world):
    _warm(agent_world)
    Agent.objects.filter(pk=agent_world.agent.pk).update(status="suspended")  # no epoch
    assert _answer(agent_world) == "allow"  # still trusted: nothing said otherwise
    later = time.monotonic() + GRANT_MAX_AGE_SECONDS + 0.01
    with mock.patch("apps.checks.grants.time.monotonic", return_value=later):
        assert _answer(agent_world) == "deny"


@needs_redis
def test_redis_losing_the_epoch_never_revives_a_stale_cache(agent_world):
    _warm(agent_world)
    redis_client().delete(epoch.REDIS_KEY)  # a Redis restart
    Agent.objects.filter(pk=agent_world.agent.pk).update(status="suspended")
    assert _answer(agent_world) == "deny"
    assert _answer(agent_world) == "deny"


def test_without_reachable_redis_checks_stay_correct_and_limited(agent_world):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0", MANDATE_CHECK_RATE_PER_SECOND=5):
        for _ in range(3):
            response, statements = _statements(agent_world.raw_key)
            assert response.json()["decision"] == "allow"
            assert "SELECT" in statements  # no epoch to trust a cache with: read the key
        with mock.patch("apps.checks.throttle.time.time", return_value=2_000_000.5):
            codes = [post(agent_world.raw_key, ALLOWED).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]  # the process's own count stands in
        AgentKey.objects.filter(prefix=agent_world.raw_key[:KEY_PREFIX_LENGTH]).update(
            revoked_at=timezone.now()
        )
        assert post(agent_world.raw_key, ALLOWED).status_code == 401
    assert Decision.objects.filter(agent=agent_world.agent, action="log_call_notes").count() == 8


def test_the_rate_limit_applies_and_answers_429(agent_world):
    with (
        override_settings(MANDATE_CHECK_RATE_PER_SECOND=2),
        mock.patch("apps.checks.throttle.time.time", return_value=1_000_000.5),
    ):
        codes = [post(agent_world.raw_key, ALLOWED).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_made_up_keys_with_a_real_prefix_spend_nothing_of_its_allowance(agent_world):
    forged = agent_world.raw_key[:KEY_PREFIX_LENGTH] + "x" * 30
    with (
        override_settings(MANDATE_CHECK_RATE_PER_SECOND=2),
        mock.patch("apps.checks.throttle.time.time", return_value=1_000_001.5),
    ):
        assert [post(forged, ALLOWED).status_code for _ in range(5)] == [401] * 5
        assert post(agent_world.raw_key, ALLOWED).status_code == 200


def test_the_active_version_never_outlives_its_replacement(agent_world):
    _warm(agent_world)
    _publish_stricter(agent_world)
    active = PolicyVersion.objects.get(policy__key="pipeline", state="active")
    assert post(agent_world.raw_key, ALLOWED).json()["policy"]["version"] == active.number
