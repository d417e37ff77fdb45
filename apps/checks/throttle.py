"""Per-key rate limits for the check API, read together with the check-state epoch in one
Redis round trip: a fixed one-second window counted in Redis when REDIS_URL is set (shared
by every process), in this process otherwise.

Windows are counted per key hash, never per visible prefix, so that nobody can spend a real
agent's allowance by sending made-up keys with its prefix. When Redis cannot be reached the
limit falls back to this process's own count, Redis is left alone for a few seconds, and a
warning is logged: a throttle must never stop the check path from answering (checks keep
being decided and recorded, and the key cache is bypassed, so they stay correct — see
apps.checks.grants).
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings

from apps.checks.constants import (
    RATE_REDIS_PREFIX,
    RATE_WINDOW_TTL_SECONDS,
    REDIS_RETRY_AFTER_SECONDS,
    REDIS_WARNING_INTERVAL_SECONDS,
)
from apps.core import epoch
from apps.core.redis import redis_client

logger = logging.getLogger(__name__)
_local: dict[tuple[str, int], int] = {}
_local_lock = threading.Lock()
_last_warning = 0.0
_redis_down_until = 0.0


@dataclass(frozen=True, slots=True)
class Gate:
    allowed: bool
    epoch: str | None  # None: no shared epoch to trust a cache with


def _local_count(key_hash: str, window: int) -> int:
    with _local_lock:
        for stale in [k for k in _local if k[1] < window]:
            del _local[stale]
        count = _local.get((key_hash, window), 0) + 1
        _local[(key_hash, window)] = count
    return count


def _redis_failed() -> None:
    global _last_warning, _redis_down_until
    now = time.monotonic()
    _redis_down_until = now + REDIS_RETRY_AFTER_SECONDS
    if now - _last_warning > REDIS_WARNING_INTERVAL_SECONDS:
        _last_warning = now
        logger.warning(
            "Redis is unreachable: rate limits count per process and the key cache is off",
            exc_info=True,
        )


def gate(key_hash: str, limit: int) -> Gate:
    """Whether one more check fits in this second's window for the key, and the epoch."""
    window = int(time.time())
    if settings.REDIS_URL and time.monotonic() >= _redis_down_until:
        try:
            name = f"{RATE_REDIS_PREFIX}:{key_hash}:{window}"
            pipe = redis_client().pipeline(transaction=False)
            pipe.incr(name)
            pipe.expire(name, RATE_WINDOW_TTL_SECONDS)
            # Start an epoch if Redis has none (a restart): a new value never matches a
            # cached entry. SET NX then GET works on every Redis version.
            pipe.set(epoch.REDIS_KEY, uuid.uuid4().hex, nx=True)
            pipe.get(epoch.REDIS_KEY)
            count, _, _, token = pipe.execute()
        except Exception:
            _redis_failed()
        else:
            return Gate(
                allowed=limit <= 0 or count <= limit,
                epoch=token.decode() if token is not None else None,
            )
    if limit <= 0:
        return Gate(allowed=True, epoch=None)
    return Gate(allowed=_local_count(key_hash, window) <= limit, epoch=None)


def gate_reset() -> None:
    """Forget local windows and any Redis failure (tests start each case afresh)."""
    global _redis_down_until
    with _local_lock:
        _local.clear()
    _redis_down_until = 0.0
