"""POST /api/v1/check and /api/v1/check/batch: the agent API's hot path. Plain Django views
(no serializer, no content negotiation): authenticate the key, read the body, decide with
the engine, record, answer. Errors take the one JSON shape."""

import logging
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.agents.services import agent_key_hash
from apps.checks import throttle
from apps.checks.constants import MAX_BATCH, MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES
from apps.checks.grants import Grant, grant_for, grant_touch
from apps.checks.parsing import CheckInputError, decode_body, parse_check
from apps.checks.policy_cache import compiled_version
from apps.checks.services import decision_row, decisions_record
from apps.core.constants import AGENT_KEY_PREFIX
from apps.core.json_body import BodyError
from apps.engine.evaluate import context_type_problems, decide
from apps.engine.types import AgentFacts, CompiledPolicy

logger = logging.getLogger(__name__)


class CheckError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or {}
        self.headers = headers or {}


def _error(exc: CheckError) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}},
        status=exc.status,
    )
    for name, value in exc.headers.items():
        response[name] = value
    return response


def _authenticate(request: HttpRequest) -> Grant:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, raw = header.partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw.startswith(AGENT_KEY_PREFIX):
        raise CheckError(
            401,
            "unauthenticated",
            "Send an agent key: Authorization: Bearer mnd_agent_…",
            headers={"WWW-Authenticate": "Bearer"},
        )
    key_hash = agent_key_hash(raw)
    passage = throttle.gate(key_hash, settings.MANDATE_CHECK_RATE_PER_SECOND)
    grant = grant_for(key_hash=key_hash, token=passage.epoch)
    if grant is None or not grant.is_active(timezone.now()):
        raise CheckError(
            401,
            "unauthenticated",
            "Unknown, revoked or expired agent key.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    grant_touch(grant)
    if not passage.allowed:
        raise CheckError(
            429,
            "rate_limited",
            "Too many checks for this key; retry shortly.",
            headers={"Retry-After": "1"},
        )
    return grant


def _body(request: HttpRequest, limit: int) -> Any:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > limit:
        raise CheckError(413, "too_large", f"The body is larger than {limit // 1024} KiB.")
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise CheckError(413, "too_large", f"The body is larger than {limit // 1024} KiB.")
    try:
        return decode_body(raw)
    except BodyError as exc:
        raise CheckError(400, exc.code, exc.message, {"body": exc.message}) from exc


def _policy(grant: Grant) -> CompiledPolicy | None:
    if grant.active_version_id is None:
        return None
    return compiled_version(grant.active_version_id, grant.active_version_hash)


def _evaluate(grant: Grant, policy: CompiledPolicy | None, body: dict[str, Any], prefix: str = ""):
    request, request_id = parse_check(body, prefix)
    problems = context_type_problems(policy, request)
    if problems:
        raise CheckInputError({prefix + path: message for path, message in problems.items()})
    facts = AgentFacts(
        suspended=grant.suspended, autonomy_paused=grant.autonomy_paused, team=grant.agent_team
    )
    started = time.perf_counter_ns()
    outcome = decide(policy, facts, request)
    elapsed_us = (time.perf_counter_ns() - started) // 1000
    if outcome.error:
        logger.error(
            "Policy evaluation failed closed for agent %s: %s", grant.agent_key, outcome.error
        )
    return outcome, request_id, elapsed_us


def _answer(row, outcome, policy: CompiledPolicy | None, grant: Grant) -> dict[str, Any]:
    return {
        "decision_id": row.decision_id,
        "decision": outcome.decision,
        "reasons": [{"code": r.code, "message": r.message} for r in outcome.reasons],
        "obligations": dict(outcome.obligations),
        "policy": {"id": policy.policy_id, "name": policy.name, "version": policy.version}
        if policy
        else None,
        "agent": {"id": grant.agent_key, "name": grant.agent_name},
        "request_id": row.request_id or None,
        "evaluated_at": row.evaluated_at.isoformat().replace("+00:00", "Z"),
    }


def _decide_all(grant: Grant, bodies: list[Any], batch: bool) -> list[dict[str, Any]]:
    try:
        policy = _policy(grant)
    except Exception:
        logger.exception("Policy of agent %s could not be loaded", grant.agent_key)
        policy = None
        unavailable = True
    else:
        unavailable = False
    rows, outcomes = [], []
    for index, body in enumerate(bodies):
        prefix = f"checks.{index}." if batch else ""
        try:
            outcome, request_id, elapsed_us = _evaluate(grant, policy, body, prefix)
        except CheckInputError as exc:
            raise CheckError(400, "invalid", "The check request is not valid.", exc.fields) from exc
        if unavailable:
            from apps.engine.types import DENY, Decision, Reason

            outcome = Decision(
                DENY,
                (
                    Reason(
                        "policy.unavailable",
                        "The policy could not be loaded; the action is denied.",
                    ),
                ),
                {},
                "load failed",
            )
        rows.append(
            decision_row(
                grant=grant,
                body=body,
                outcome=outcome,
                policy=policy,
                version_id=grant.active_version_id,
                request_id=request_id,
                evaluated_at=timezone.now(),
                evaluation_us=elapsed_us,
            )
        )
        outcomes.append(outcome)
    try:
        decisions_record(rows=rows)
    except Exception as exc:  # whatever it is, an unrecorded decision is not given
        logger.exception("Decisions could not be recorded; none is given")
        raise CheckError(
            503, "unavailable", "The decision could not be recorded; treat it as deny and retry."
        ) from exc
    return [
        _answer(row, outcome, policy, grant) for row, outcome in zip(rows, outcomes, strict=True)
    ]


@csrf_exempt
@require_POST
def check(request: HttpRequest) -> JsonResponse:
    try:
        grant = _authenticate(request)
        body = _body(request, MAX_BODY_BYTES)
        return JsonResponse(_decide_all(grant, [body], batch=False)[0])
    except CheckError as exc:
        return _error(exc)


@csrf_exempt
@require_POST
def check_batch(request: HttpRequest) -> JsonResponse:
    try:
        grant = _authenticate(request)
        body = _body(request, MAX_BATCH_BODY_BYTES)
        checks = body.get("checks") if isinstance(body, dict) else None
        if not isinstance(checks, list) or not checks or len(checks) > MAX_BATCH:
            raise CheckError(
                400,
                "invalid",
                "The body is not valid.",
                {"checks": f"must be a list of 1 to {MAX_BATCH} check requests"},
            )
        if set(body) - {"checks"}:
            raise CheckError(
                400,
                "invalid",
                "The body is not valid.",
                dict.fromkeys(set(body) - {"checks"}, "is not a field of a batch"),
            )
        return JsonResponse({"results": _decide_all(grant, checks, batch=True)})
    except CheckError as exc:
        return _error(exc)


@csrf_exempt
def with_trailing_slash(request: HttpRequest) -> JsonResponse:
    """The agent API's paths have no trailing slash; a redirect could lose the body, so say
    which path is meant instead."""
    path = request.path.rstrip("/")
    return _error(
        CheckError(404, "not_found", f"No such path: use POST {path} (no trailing slash).")
    )
