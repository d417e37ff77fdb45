"""Per-key rate limits for the check API: a fixed one-second window counted in Redis when
REDIS_URL is set (shared by every process), in this process otherwise.

When Redis cannot be reached the limit is not applied and a warning is logged: a throttle
must never stop the check path from answering (checks keep being decided and recorded).
"""

import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)
_local: dict[tuple[str, int], int] = {}
_local_lock = threading.Lock()
_redis = None
_last_warning = 0.0


def _client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=0.05, socket_connect_timeout=0.05
        )
    return _redis


def allow(key_prefix: str, limit: int) -> bool:
    """Whether one more check fits in this second's window for the key."""
    if limit <= 0:
        return True
    window = int(time.time())
    if settings.REDIS_URL:
        try:
            name = f"mandate:rl:{key_prefix}:{window}"
            pipe = _client().pipeline()
            pipe.incr(name)
            pipe.expire(name, 2)
            count = pipe.execute()[0]
        except Exception:  # Redis down: answer the check, unthrottled
            global _last_warning
            if time.monotonic() - _last_warning > 60:
                _last_warning = time.monotonic()
                logger.warning("Rate limiting is off: Redis is unreachable", exc_info=True)
            return True
        return count <= limit
    with _local_lock:
        for stale in [k for k in _local if k[1] < window]:
            del _local[stale]
        count = _local.get((key_prefix, window), 0) + 1
        _local[(key_prefix, window)] = count
    return count <= limit
