"""The simulator: what a version (draft included) would decide for a check, exactly as the
agent API would answer, without recording anything."""

from typing import Any

from django.utils import timezone

from apps.checks.parsing import CheckInputError, parse_check
from apps.core.errors import ValidationFailed
from apps.engine.compiler import compile_policy
from apps.engine.evaluate import context_type_problems, decide
from apps.engine.types import AgentFacts
from apps.policies.models import PolicyVersion


def simulate(*, version: PolicyVersion, organization, body: Any) -> dict[str, Any]:
    try:
        request, request_id = parse_check(body)
    except CheckInputError as exc:
        raise ValidationFailed("The check request is not valid.", fields=exc.fields) from exc
    compiled = compile_policy(
        version.document,
        policy_id=version.policy.key,
        name=version.policy.name,
        version=version.number,
    )
    problems = context_type_problems(compiled, request)
    if problems:
        raise ValidationFailed("The check request is not valid.", fields=problems)
    outcome = decide(
        compiled, AgentFacts(autonomy_paused=organization.autonomy_paused_at is not None), request
    )
    return {
        "decision_id": None,
        "decision": outcome.decision,
        "reasons": [{"code": r.code, "message": r.message} for r in outcome.reasons],
        "obligations": dict(outcome.obligations),
        "policy": {"id": compiled.policy_id, "name": compiled.name, "version": compiled.version},
        "agent": None,
        "request_id": request_id or None,
        "evaluated_at": timezone.now().isoformat().replace("+00:00", "Z"),
        "simulated": True,
    }
