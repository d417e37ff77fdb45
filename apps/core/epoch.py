"""The check-state epoch: a token that changes whenever something an agent's check depends
on changes (its keys, the agent, the kill switch, which policy version is active).

The check path caches what it needs per key and trusts the cache only while the token it
was loaded under is still current, so that no check reads the database once warm and yet a
revocation, suspension or publication is seen on the very next check in every process.
The token lives in Redis (shared by every process); a process also keeps a local
generation, so that its own changes are seen at once even before Redis hears of them.
There is one token for the whole deployment: any change anywhere makes every process
re-read the keys it uses, once — cheap, as such changes are rare next to checks.
"""

import logging
import threading
import uuid

from django.conf import settings
from django.db import transaction

from apps.core.constants import CHECK_EPOCH_REDIS_KEY

logger = logging.getLogger(__name__)

REDIS_KEY = CHECK_EPOCH_REDIS_KEY
_lock = threading.Lock()
_generation = 0


def local_generation() -> int:
    return _generation


def _advance() -> None:
    global _generation
    with _lock:
        _generation += 1


def _publish() -> None:
    _advance()
    if not settings.REDIS_URL:
        return
    from apps.core.redis import redis_client

    try:
        redis_client().set(REDIS_KEY, uuid.uuid4().hex)
    except Exception:
        # Other processes keep their cache for at most apps.checks.constants.GRANT_MAX_AGE_SECONDS.
        logger.exception("The check-state epoch could not be published")


def check_state_changed() -> None:
    """Call inside the transaction that changes check-relevant state."""
    _advance()
    transaction.on_commit(_publish)
