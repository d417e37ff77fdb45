"""The key cache of the check path: a warm check reads nothing from the database, yet every
change an agent's check depends on is seen on the next check, and Redis going away costs
speed, never correctness."""

import time
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from apps.agents import services as agent_services
from apps.agents.models import Agent, AgentKey
from apps.checks import grants
from apps.checks.agent_api import KEY_PREFIX_LENGTH
from apps.checks.models import Decision
from apps.core import epoch
from apps.core.redis import redis_client
from tests.checks.support import post

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="the shared epoch lives in Redis")
ALLOWED = {"action": "log_call_notes", "confidence": 0.99}


def _statements(raw_key, body=ALLOWED):
    with CaptureQueriesContext(connection) as captured:
        response = post(raw_key, body)
    return response, [q["sql"].split()[0].upper() for q in captured.captured_queries]


@needs_redis
def test_a_warm_check_reads_nothing_and_writes_one_row(agent_world):
    post(agent_world.raw_key, ALLOWED)  # loads the key, compiles the version
    post(agent_world.raw_key, ALLOWED)  # the epoch was just started: loads once more
    response, statements = _statements(agent_world.raw_key)
    assert response.status_code == 200, response.content
    assert statements == ["INSERT"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("revoke", 401),
        ("suspend", "deny"),
        ("pause", "require_approval"),
    ],
)
def test_changes_are_seen_on_the_very_next_check(agent_world, change, expected):
    for _ in range(3):
        assert post(agent_world.raw_key, ALLOWED).json()["decision"] == "allow"
    owner = agent_world.people["owner"]
    if change == "revoke":
        agent_services.agent_key_revoke(
            agent=agent_world.agent, by=owner, prefix=agent_world.raw_key[:KEY_PREFIX_LENGTH]
        )
    elif change == "suspend":
        agent_services.agent_suspend(agent=agent_world.agent, by=owner)
    else:
        agent_services.organization_autonomy_set(
            organization=agent_world.org, by=owner, paused=True, reason="Incident"
        )
    response = post(agent_world.raw_key, ALLOWED)
    if expected == 401:
        assert response.status_code == 401
    else:
        assert response.json()["decision"] == expected


@needs_redis
def test_another_process_change_is_seen_through_the_epoch(agent_world):
    for _ in range(3):
        post(agent_world.raw_key, ALLOWED)
    # Another process suspends the agent: the row changes, and it publishes a new epoch.
    Agent.objects.filter(pk=agent_world.agent.pk).update(status="suspended")
    assert post(agent_world.raw_key, ALLOWED).json()["decision"] == "allow"  # cached
    redis_client().set(epoch.REDIS_KEY, "published-by-another-process")
    assert post(agent_world.raw_key, ALLOWED).json()["decision"] == "deny"


@needs_redis
def test_a_lost_epoch_publication_is_outlived_by_the_age_limit(agent_world):
    for _ in range(3):
        post(agent_world.raw_key, ALLOWED)
    Agent.objects.filter(pk=agent_world.agent.pk).update(status="suspended")
    later = time.monotonic() + grants.MAX_AGE_SECONDS + 0.01
    with mock.patch("apps.checks.grants.time.monotonic", return_value=later):
        assert post(agent_world.raw_key, ALLOWED).json()["decision"] == "deny"


@needs_redis
def test_redis_losing_the_epoch_never_revives_a_stale_cache(agent_world):
    for _ in range(3):
        post(agent_world.raw_key, ALLOWED)
    redis_client().delete(epoch.REDIS_KEY)  # a Redis restart
    Agent.objects.filter(pk=agent_world.agent.pk).update(status="suspended")
    assert post(agent_world.raw_key, ALLOWED).json()["decision"] == "deny"
    assert post(agent_world.raw_key, ALLOWED).json()["decision"] == "deny"


def test_without_reachable_redis_checks_stay_correct(agent_world):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        for _ in range(3):
            response, statements = _statements(agent_world.raw_key)
            assert response.json()["decision"] == "allow"
            assert "SELECT" in statements  # no epoch to trust a cache with: read the key
        AgentKey.objects.filter(prefix=agent_world.raw_key[:KEY_PREFIX_LENGTH]).update(
            revoked_at=agent_world.agent.created_at
        )
        assert post(agent_world.raw_key, ALLOWED).status_code == 401
    assert Decision.objects.filter(agent=agent_world.agent, action="log_call_notes").count() == 3


def test_the_rate_limit_applies_and_answers_429(agent_world):
    with (
        override_settings(MANDATE_CHECK_RATE_PER_SECOND=2),
        mock.patch("apps.checks.throttle.time.time", return_value=1_000_000.5),
    ):
        codes = [post(agent_world.raw_key, ALLOWED).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
