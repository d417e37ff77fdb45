"""Per-key rate limits for the check API, read together with the check-state epoch in one
Redis round trip: a fixed one-second window counted in Redis when REDIS_URL is set (shared
by every process), in this process otherwise.

When Redis cannot be reached the limit is not applied and a warning is logged: a throttle
must never stop the check path from answering (checks keep being decided and recorded, and
the key cache is bypassed, so they stay correct — see apps.checks.grants).
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings

from apps.core import epoch
from apps.core.redis import redis_client

logger = logging.getLogger(__name__)
_local: dict[tuple[str, int], int] = {}
_local_lock = threading.Lock()
_last_warning = 0.0


@dataclass(frozen=True, slots=True)
class Gate:
    allowed: bool
    epoch: str | None  # None: no shared epoch to trust a cache with


def _warn() -> None:
    global _last_warning
    if time.monotonic() - _last_warning > 60:
        _last_warning = time.monotonic()
        logger.warning(
            "Rate limiting and the key cache are off: Redis is unreachable", exc_info=True
        )


def gate(key_prefix: str, limit: int) -> Gate:
    """Whether one more check fits in this second's window for the key, and the epoch."""
    window = int(time.time())
    if settings.REDIS_URL:
        try:
            name = f"mandate:rl:{key_prefix}:{window}"
            pipe = redis_client().pipeline(transaction=False)
            pipe.incr(name)
            pipe.expire(name, 2)
            # Read the epoch, or start one if Redis lost it (a restart): never reuse a value.
            pipe.set(epoch.REDIS_KEY, uuid.uuid4().hex, nx=True, get=True)
            count, _, previous = pipe.execute()
        except Exception:
            _warn()
            return Gate(allowed=True, epoch=None)
        token = previous.decode() if previous is not None else None
        return Gate(allowed=limit <= 0 or count <= limit, epoch=token)
    if limit <= 0:
        return Gate(allowed=True, epoch=None)
    with _local_lock:
        for stale in [k for k in _local if k[1] < window]:
            del _local[stale]
        count = _local.get((key_prefix, window), 0) + 1
        _local[(key_prefix, window)] = count
    return Gate(allowed=count <= limit, epoch=None)
