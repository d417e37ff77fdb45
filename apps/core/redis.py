"""One Redis client per process for the check path's shared state (rate windows, the
check-state epoch). Short timeouts: the check path must never wait on Redis for long."""

import functools

from django.conf import settings

TIMEOUT_SECONDS = 0.05


def redis_client():
    return _client(settings.REDIS_URL)


@functools.cache
def _client(url: str):
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )
