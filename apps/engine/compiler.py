"""Turns a validated policy document into the engine's immutable, pre-indexed form."""

from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

from apps.engine.types import CompiledAction, CompiledPolicy, Trigger


def _keys(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def compile_policy(
    document: dict[str, Any], *, policy_id: str, name: str, version: int
) -> CompiledPolicy:
    defaults = document.get("defaults") or {}
    default_confidence = defaults.get("min_confidence")
    actions = {}
    for key, spec in (document.get("actions") or {}).items():
        confidence = spec.get("min_confidence", default_confidence)
        actions[key] = CompiledAction(
            key=key,
            mode=spec["mode"],
            min_confidence=float(confidence) if confidence is not None else None,
            channels=_keys(spec.get("channels")),
            templates=_keys(spec.get("templates")),
            data=_keys(spec.get("data")),
            fields=_keys(spec.get("fields")),
            limits=tuple((n, float(b)) for n, b in (spec.get("limits") or {}).items()),
            approver_team=spec.get("approver_team"),
            route_to_team=spec.get("route_to_team"),
        )
    triggers = {
        signal: Trigger(
            signal=signal,
            route_to_team=spec["route_to_team"],
            respond_within_minutes=spec.get("respond_within_minutes"),
        )
        for signal, spec in (document.get("triggers") or {}).items()
    }
    return CompiledPolicy(
        policy_id=policy_id,
        name=name,
        version=version,
        actions=MappingProxyType(actions),
        triggers=MappingProxyType(triggers),
        never=frozenset((document.get("data") or {}).get("never", ())),
        approval_expires_after_hours=defaults.get("approval_expires_after_hours"),
    )
