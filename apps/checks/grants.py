"""What a check needs to know about the key it came with — its agent, organization and the
active version — cached per process so that a warm check reads nothing from the database.

An entry is trusted only while the check-state epoch it was loaded under is current (Redis
says so on every check, in the same round trip as the rate limit) and for at most
GRANT_MAX_AGE_SECONDS. Without Redis there is no shared epoch, and every check reads the key.
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from apps.agents.constants import KEY_LAST_USED_RESOLUTION_SECONDS, AgentStatus
from apps.agents.models import AgentKey
from apps.agents.services import agent_key_touch
from apps.checks.constants import GRANT_MAX_AGE_SECONDS, GRANT_MAX_ENTRIES
from apps.checks.selectors import agent_key_for_check
from apps.core import epoch


@dataclass(frozen=True, slots=True)
class Grant:
    """A key as the check path sees it: frozen at load time."""

    key_id: int
    prefix: str
    organization_id: int
    agent_id: int
    agent_key: str
    agent_name: str
    agent_team: str | None
    suspended: bool
    autonomy_paused: bool
    policy_id: int | None
    active_version_id: int | None
    active_version_hash: str
    revoked: bool
    expires_at: datetime | None
    last_used_at: datetime | None

    def is_active(self, now: datetime) -> bool:
        return not self.revoked and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, slots=True)
class _Entry:
    grant: Grant
    token: str
    generation: int
    loaded_at: float


_entries: dict[str, _Entry] = {}
_last_used_written: dict[int, float] = {}
_lock = threading.Lock()


def grant_from_key(
    key: AgentKey, *, active_version_id: int | None, active_version_hash: str = ""
) -> Grant:
    return Grant(
        key_id=key.pk,
        prefix=key.prefix,
        organization_id=key.organization_id,
        agent_id=key.agent_id,
        agent_key=key.agent.key,
        agent_name=key.agent.name,
        agent_team=key.agent.team.key if key.agent.team is not None else None,
        suspended=key.agent.status == AgentStatus.SUSPENDED,
        autonomy_paused=key.organization.autonomy_paused_at is not None,
        policy_id=key.agent.policy_id,
        active_version_id=active_version_id,
        active_version_hash=active_version_hash,
        revoked=key.revoked_at is not None,
        expires_at=key.expires_at,
        last_used_at=key.last_used_at,
    )


def grant_for(*, key_hash: str, token: str | None) -> Grant | None:
    """The grant of a key hash, from the cache when `token` (the current epoch) vouches
    for it; None for an unknown key."""
    generation = epoch.local_generation()  # read before the database, like the token
    now = time.monotonic()
    entry = _entries.get(key_hash)
    if (
        entry is not None
        and token is not None
        and entry.token == token
        and entry.generation == generation
        and now - entry.loaded_at < GRANT_MAX_AGE_SECONDS
    ):
        return entry.grant
    key = agent_key_for_check(key_hash=key_hash)
    if key is None:
        return None
    grant = grant_from_key(
        key,
        active_version_id=key.active_version_id,  # type: ignore[attr-defined]
        active_version_hash=key.active_version_hash or "",  # type: ignore[attr-defined]
    )
    if token is not None:
        with _lock:
            if len(_entries) >= GRANT_MAX_ENTRIES:
                _entries.clear()
            _entries[key_hash] = _Entry(grant, token, generation, now)
    return grant


def grant_touch(grant: Grant) -> None:
    """Record that the key was used, at most once a minute per key and process."""
    now = timezone.now()
    resolution = timedelta(seconds=KEY_LAST_USED_RESOLUTION_SECONDS)
    if grant.last_used_at is not None and now - grant.last_used_at < resolution:
        return
    written = _last_used_written.get(grant.key_id)
    if written is not None and time.monotonic() - written < resolution.total_seconds():
        return
    if len(_last_used_written) >= GRANT_MAX_ENTRIES:
        _last_used_written.clear()
    _last_used_written[grant.key_id] = time.monotonic()
    agent_key_touch(key_id=grant.key_id, at=now)


def grants_forget() -> None:
    """Drop every cached grant (tests and benchmarks start cold with it)."""
    with _lock:
        _entries.clear()
        _last_used_written.clear()
