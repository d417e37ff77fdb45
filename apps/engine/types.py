"""The engine's values: a compiled policy, the agent's facts, a request, a decision."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

ALLOW = "allow"
REQUIRE_APPROVAL = "require_approval"
ESCALATE = "escalate"
DENY = "deny"
DECISIONS = (ALLOW, REQUIRE_APPROVAL, ESCALATE, DENY)

AUTONOMOUS = "autonomous"
APPROVAL = "approval"
ESCALATE_MODE = "escalate"
FORBIDDEN = "forbidden"

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class CompiledAction:
    key: str
    mode: str
    min_confidence: float | None  # the action's, or the policy default
    channels: frozenset[str] | None  # None: no restriction
    templates: frozenset[str] | None
    data: frozenset[str] | None
    fields: frozenset[str] | None
    limits: tuple[tuple[str, float], ...]
    approver_team: str | None
    route_to_team: str | None


@dataclass(frozen=True, slots=True)
class Trigger:
    signal: str
    route_to_team: str
    respond_within_minutes: int | None


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    policy_id: str
    name: str
    version: int
    actions: Mapping[str, CompiledAction]
    triggers: Mapping[str, Trigger]
    never: frozenset[str]
    approval_expires_after_hours: int | None


@dataclass(frozen=True, slots=True)
class AgentFacts:
    suspended: bool = False
    autonomy_paused: bool = False
    team: str | None = None  # the agent's owning team: approves where the policy names none


@dataclass(frozen=True, slots=True)
class CheckRequest:
    action: str
    confidence: float | None = None
    signals: tuple[str, ...] = ()
    context: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str
    reasons: tuple[Reason, ...]
    obligations: Mapping[str, Any]
    error: str | None = None  # what went wrong when the engine failed closed
