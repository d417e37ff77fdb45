"""The one adapter from stored versions to the engine's compiled form. Versions never
change once active, so a compiled version is cached in the process for good; which version
is active is read with the key, so a publication is seen on the very next check."""

import threading

from apps.engine.compiler import compile_policy
from apps.engine.types import CompiledPolicy
from apps.policies.models import PolicyVersion

_cache: dict[int, CompiledPolicy] = {}
_lock = threading.Lock()
MAX_ENTRIES = 2048


def compiled_version(version_id: int) -> CompiledPolicy:
    found = _cache.get(version_id)
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
        _cache[version_id] = found
    return found
