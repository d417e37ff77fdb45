"""One Redis client per process for the check path's shared state (rate windows, the
check-state epoch). Short timeouts: the check path must never wait on Redis for long."""

import functools

import redis
from django.conf import settings

from apps.core.constants import REDIS_TIMEOUT_SECONDS


def redis_client() -> redis.Redis:
    return _client(settings.REDIS_URL)


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
