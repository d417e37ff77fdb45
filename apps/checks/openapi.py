"""The agent API in the OpenAPI schema. /api/v1/check and /check/batch are plain Django
views (the hot path has no serializer), so drf-spectacular cannot see them: a preprocessing
hook adds them, described here by hand, field for field, from the contract
(docs: agent-api.md) and from the limits the views enforce (apps.checks.constants)."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from apps.checks.constants import (
    MAX_BATCH,
    MAX_BATCH_BODY_BYTES,
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    MAX_REQUEST_ID,
    MAX_SIGNALS,
    MAX_STRING,
)
from apps.engine.types import ALLOW, DENY, ESCALATE, REQUIRE_APPROVAL

TAG = "Agent API"
SECURITY = [{"agentKey": []}]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_STRING}
_TEXT_LIST = {"type": "array", "items": _TEXT}

COMPONENTS: dict[str, Any] = {
    "securitySchemes": {
        "agentKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "An agent key (mnd_agent_…), shown once when it is created.",
        }
    },
    "schemas": {
        "CheckContext": {
            "type": "object",
            "description": (
                "What the action is about. The named fields are checked against the policy; "
                "any other field is free, and a number named by a limit of the action "
                "(e.g. discount_pct) is compared with it (it must then be a number)."
            ),
            "properties": {
                "channel": _TEXT,
                "template": _TEXT,
                "deal_stage": _TEXT,
                "data_categories": _TEXT_LIST,
                "crm_fields": _TEXT_LIST,
            },
            "additionalProperties": True,
        },
        "CheckSubject": {
            "type": "object",
            "properties": {"type": _TEXT, "id": _TEXT},
            "additionalProperties": False,
            "nullable": True,
        },
        "CheckRequest": {
            "type": "object",
            "description": (
                f"A UTF-8 JSON object of at most {MAX_BODY_BYTES // 1024} KiB (a batch: "
                f"{MAX_BATCH_BODY_BYTES // (1024 * 1024)} MiB in all), nested at most "
                f"{MAX_JSON_DEPTH} levels, its numbers finite. A context value named by a "
                "limit of the action must be a number ≥ 0."
            ),
            "required": ["action"],
            "properties": {
                "action": {**_TEXT, "description": "An action key; unknown ones are denied."},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1, "nullable": True},
                "signals": {**_TEXT_LIST, "maxItems": MAX_SIGNALS},
                "context": _ref("CheckContext"),
                "subject": _ref("CheckSubject"),
                "request_id": {"type": "string", "maxLength": MAX_REQUEST_ID, "nullable": True},
            },
            "additionalProperties": False,
        },
        "CheckReason": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "additionalProperties": False,
        },
        "CheckResponse": {
            "type": "object",
            "required": [
                "decision_id",
                "decision",
                "reasons",
                "obligations",
                "policy",
                "agent",
                "request_id",
                "evaluated_at",
            ],
            "properties": {
                "decision_id": {"type": "string", "pattern": "^dec_"},
                "decision": {
                    "type": "string",
                    "enum": [ALLOW, REQUIRE_APPROVAL, ESCALATE, DENY],
                },
                "reasons": {
                    "type": "array",
                    "items": _ref("CheckReason"),
                    "minItems": 1,
                    "description": "Every matching rule; the decisive one first.",
                },
                "obligations": {"type": "object", "additionalProperties": True},
                "policy": {
                    "type": "object",
                    "nullable": True,
                    "required": ["id", "name", "version"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "version": {"type": "integer"},
                    },
                    "additionalProperties": False,
                },
                "agent": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                    "additionalProperties": False,
                },
                "request_id": {"type": "string", "nullable": True},
                "evaluated_at": {"type": "string", "format": "date-time"},
            },
            "additionalProperties": False,
        },
        "CheckBatchRequest": {
            "type": "object",
            "required": ["checks"],
            "properties": {
                "checks": {
                    "type": "array",
                    "items": _ref("CheckRequest"),
                    "minItems": 1,
                    "maxItems": MAX_BATCH,
                }
            },
            "additionalProperties": False,
        },
        "CheckBatchResponse": {
            "type": "object",
            "required": ["results"],
            "properties": {"results": {"type": "array", "items": _ref("CheckResponse")}},
            "additionalProperties": False,
        },
        "CheckError": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "fields"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": "The path of every bad field and what is wrong.",
                        },
                    },
                    "additionalProperties": False,
                }
            },
            "additionalProperties": False,
        },
    },
}

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    description="Seconds to wait before the next check.",
    response=[429],
)


def _errors() -> dict[int, OpenApiResponse]:
    error = _ref("CheckError")
    return {
        400: OpenApiResponse(error, description="Malformed JSON, or a field of a wrong type."),
        401: OpenApiResponse(error, description="No key, or an unknown, revoked or expired one."),
        413: OpenApiResponse(error, description="The body is over the size limit."),
        429: OpenApiResponse(error, description="Over the key's rate limit; see Retry-After."),
        503: OpenApiResponse(error, description="Cannot decide now: treat as deny and retry."),
    }


_AGENT_ERRORS = {
    400: "Malformed JSON, or a field missing, unknown or of a wrong type or value: "
    "`fields` names each.",
    401: "No key, or an unknown, revoked or expired one.",
    404: "None of this agent's by that id (another agent's answers the same).",
    409: "Well-formed, but the current state refuses it (e.g. the agent has as many "
    "webhooks as it may, or the URL's host resolves to an internal address): `fields` "
    "names what.",
    413: "The body is over the size limit.",
    422: "The idempotency key was already used with a different body.",
}


def agent_errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error answers of an agent API operation, in the one error shape."""
    return {
        status: OpenApiResponse(_ref("CheckError"), description=_AGENT_ERRORS[status])
        for status in statuses
    }


class CheckDoc(APIView):
    """Only for the schema: the real view is apps.checks.agent_api.check."""

    @extend_schema(
        operation_id="check",
        tags=[TAG],
        summary="May I do this?",
        description=(
            "Decide one action against the active version of the agent's policy. The "
            "decision is recorded before it is answered."
        ),
        request={"application/json": _ref("CheckRequest")},
        responses={200: OpenApiResponse(_ref("CheckResponse")), **_errors()},
        parameters=[RETRY_AFTER],
        auth=SECURITY,  # type: ignore[arg-type]
    )
    def post(self, request):  # pragma: no cover - never routed
        raise NotImplementedError


class CheckBatchDoc(APIView):
    """Only for the schema: the real view is apps.checks.agent_api.check_batch."""

    @extend_schema(
        operation_id="check_batch",
        tags=[TAG],
        summary="Several checks at once",
        description=(
            f"At most {MAX_BATCH} checks, answered in the same order; one malformed check "
            "fails the whole batch with 400 naming its index (checks.<i>.<field>)."
        ),
        request={"application/json": _ref("CheckBatchRequest")},
        responses={200: OpenApiResponse(_ref("CheckBatchResponse")), **_errors()},
        parameters=[RETRY_AFTER],
        auth=SECURITY,  # type: ignore[arg-type]
    )
    def post(self, request):  # pragma: no cover - never routed
        raise NotImplementedError


def agent_api_endpoints(endpoints: list[tuple]) -> list[tuple]:
    """drf-spectacular preprocessing hook: the agent API's two operations."""
    return [
        ("/api/v1/check", r"^api/v1/check$", "POST", CheckDoc.as_view()),
        ("/api/v1/check/batch", r"^api/v1/check/batch$", "POST", CheckBatchDoc.as_view()),
        *endpoints,
    ]


def agent_api_components(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the schemas the two operations refer to."""
    components = result.setdefault("components", {})
    for section, entries in COMPONENTS.items():
        components.setdefault(section, {}).update(entries)
    for path in ("/api/v1/check", "/api/v1/check/batch"):
        result["paths"][path]["post"]["requestBody"]["required"] = True
    return result
