"""The one adapter from stored versions to the engine's compiled form. A version's content
never changes once submitted, so its compiled form is cached in the process, keyed by id
and content hash (a hash that differs, as after a database restore, compiles afresh)."""

import threading

from apps.engine.compiler import compile_policy
from apps.engine.types import CompiledPolicy
from apps.policies.models import PolicyVersion

_cache: dict[tuple[int, str], CompiledPolicy] = {}
_lock = threading.Lock()
MAX_ENTRIES = 2048


def compiled_version(version_id: int, content_hash: str) -> CompiledPolicy:
    found = _cache.get((version_id, content_hash))
    if found is not None:
        return found
    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    found = compile_policy(
        version.document,
        policy_id=version.policy.key,
        name=version.policy.name,
        version=version.number,
    )
    with _lock:
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        _cache[(version_id, version.content_hash)] = found
    return found


def compiled_versions_forget() -> None:
    with _lock:
        _cache.clear()
