"""The decision procedure of the agent API: every matching rule adds a reason, in order of
precedence (fail closed, triggers, outside the envelope, needs approval, allow); the first
reason decides. Anything unexpected is a deny that says so."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from apps.engine.types import (
    ALLOW,
    APPROVAL,
    AUTONOMOUS,
    DENY,
    ESCALATE,
    ESCALATE_MODE,
    FORBIDDEN,
    REQUIRE_APPROVAL,
    AgentFacts,
    CheckRequest,
    CompiledPolicy,
    Decision,
    Reason,
    Trigger,
)

_NO_OBLIGATIONS: Mapping[str, Any] = MappingProxyType({})


def _deny(code: str, message: str, error: str | None = None) -> Decision:
    return Decision(DENY, (Reason(code, message),), _NO_OBLIGATIONS, error)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def context_type_problems(policy: CompiledPolicy | None, request: CheckRequest) -> dict[str, str]:
    """Context values of the wrong type for a limit of the requested action (a 400, never a
    silent pass)."""
    if policy is None:
        return {}
    action = policy.actions.get(request.action)
    if action is None:
        return {}
    problems = {}
    for name, _bound in action.limits:
        value = request.context.get(name)
        if value is not None and (not _is_number(value) or value < 0):
            problems[f"context.{name}"] = (
                f"must be a number ≥ 0 (a limit of {action.key} applies to it)"
            )
    return problems


def _more_urgent(policy: CompiledPolicy, candidate: Trigger, current: Trigger) -> bool:
    order = list(policy.triggers)  # the policy's own order breaks ties

    def rank(trigger: Trigger) -> tuple[float, int]:
        minutes = trigger.respond_within_minutes
        return (minutes if minutes else float("inf"), order.index(trigger.signal))

    return rank(candidate) < rank(current)


def decide(policy: CompiledPolicy | None, agent: AgentFacts, request: CheckRequest) -> Decision:
    try:
        return _decide(policy, agent, request)
    except Exception as exc:  # fail closed, and say why
        return _deny(
            "policy.unavailable",
            "The policy could not be evaluated; the action is denied.",
            f"{type(exc).__name__}: {exc}",
        )


def _decide(policy: CompiledPolicy | None, agent: AgentFacts, request: CheckRequest) -> Decision:
    if policy is None:
        return _deny("policy.none_active", "No active policy governs this agent.")
    if agent.suspended:
        return _deny("agent.suspended", "This agent is suspended.")

    context = request.context
    escalations: list[Reason] = []
    denials: list[Reason] = []
    approvals: list[Reason] = []
    obligations: dict[str, Any] = {}

    # Every trigger among the signals is a reason, once, in the order the agent sent them;
    # the most urgent (shortest response window, then the policy's order) routes.
    trigger = None
    seen: set[str] = set()
    for signal in request.signals:
        found = policy.triggers.get(signal)
        if found is None or signal in seen:
            continue
        seen.add(signal)
        if trigger is None or _more_urgent(policy, found, trigger):
            trigger = found
        window = (
            f" within {found.respond_within_minutes} minutes"
            if found.respond_within_minutes
            else ""
        )
        escalations.append(
            Reason(
                f"trigger.{signal}",
                f"“{signal}” ends the agent's turn: {found.route_to_team} takes over{window}.",
            )
        )

    action = policy.actions.get(request.action)
    if action is None:
        denials.append(
            Reason(
                "action.unknown",
                f"“{request.action}” is not in the envelope: unknown means forbidden.",
            )
        )
    else:
        if action.mode == FORBIDDEN:
            denials.append(Reason("action.out_of_scope", f"“{action.key}” is out of scope."))
        template = context.get("template")
        if (
            action.templates is not None
            and template is not None
            and template not in action.templates
        ):
            denials.append(
                Reason(
                    "template.not_approved",
                    f"Template “{template}” is not approved for {action.key}.",
                )
            )
        channel = context.get("channel")
        if action.channels is not None and channel is not None and channel not in action.channels:
            denials.append(
                Reason(
                    "channel.not_allowed", f"Channel “{channel}” is not allowed for {action.key}."
                )
            )
        if action.fields is not None:
            for crm_field in context.get("crm_fields") or ():
                if crm_field not in action.fields:
                    denials.append(
                        Reason(
                            "field.not_allowed",
                            f"{action.key} may not write the CRM field “{crm_field}”.",
                        )
                    )
        for category in context.get("data_categories") or ():
            if category in policy.never:
                denials.append(Reason("data.not_permitted", f"“{category}” data is never allowed."))
            elif action.data is not None and category not in action.data:
                denials.append(
                    Reason("data.not_permitted", f"{action.key} may not use “{category}” data.")
                )

    if action is not None and action.mode == ESCALATE_MODE:
        escalations_after_deny = [
            Reason("action.escalate", f"“{action.key}” is always handled by a person.")
        ]
    else:
        escalations_after_deny = []

    if action is not None and action.mode in (APPROVAL, AUTONOMOUS):
        if action.mode == APPROVAL:
            approvals.append(
                Reason("action.requires_approval", f"A person approves every “{action.key}”.")
            )
        else:
            threshold = action.min_confidence
            if threshold is not None:
                confidence = request.confidence
                if confidence is None:
                    approvals.append(
                        Reason(
                            "confidence.below_threshold",
                            f"No confidence given; {action.key} needs {threshold:g} to act alone.",
                        )
                    )
                elif confidence < threshold:
                    approvals.append(
                        Reason(
                            "confidence.below_threshold",
                            f"Confidence {confidence:g} is below {threshold:g} for {action.key}.",
                        )
                    )
            for name, bound in action.limits:
                value = context.get(name)
                if value is None:
                    approvals.append(
                        Reason(
                            "limit.exceeded",
                            f"{name} is not given; {action.key} is limited to {bound:g}.",
                        )
                    )
                elif not _is_number(value) or value > bound:
                    approvals.append(
                        Reason(
                            "limit.exceeded",
                            f"{name} {value} is above the autonomous maximum {bound:g}.",
                        )
                    )
            if agent.autonomy_paused:
                approvals.append(
                    Reason(
                        "org.autonomy_paused", "Autonomy is paused: a person approves every action."
                    )
                )

    reasons = (*escalations, *denials, *escalations_after_deny, *approvals)
    if trigger is not None:
        obligations["route_to_team"] = trigger.route_to_team
        if trigger.respond_within_minutes:
            obligations["respond_within_minutes"] = trigger.respond_within_minutes
        return Decision(ESCALATE, reasons, MappingProxyType(obligations))
    if denials or action is None:
        return Decision(DENY, reasons, _NO_OBLIGATIONS)
    if escalations_after_deny:
        if action.route_to_team or agent.team:
            obligations["route_to_team"] = action.route_to_team or agent.team
        return Decision(ESCALATE, reasons, MappingProxyType(obligations))
    if approvals:
        if action.approver_team or agent.team:
            obligations["approver_team"] = action.approver_team or agent.team
        if policy.approval_expires_after_hours:
            obligations["expires_after_hours"] = policy.approval_expires_after_hours
        return Decision(REQUIRE_APPROVAL, reasons, MappingProxyType(obligations))
    for name, allowed in (
        ("templates", action.templates),
        ("channels", action.channels),
        ("fields", action.fields),
    ):
        if allowed is not None:
            obligations[name] = sorted(allowed)
    return Decision(
        ALLOW,
        (Reason("action.allowed", f"“{action.key}” is within the envelope."),),
        MappingProxyType(obligations),
    )
