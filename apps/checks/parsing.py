"""Reading a check request: the agent API's field types and ranges, checked by hand (the
hot path has no serializer), every problem named by its path."""

import math
from types import MappingProxyType
from typing import Any

from apps.checks.constants import MAX_JSON_DEPTH, MAX_REQUEST_ID, MAX_SIGNALS, MAX_STRING
from apps.core.json_body import decode_json
from apps.engine.types import CheckRequest

TOP_LEVEL = frozenset({"action", "confidence", "signals", "context", "subject", "request_id"})
STRING_CONTEXT = ("channel", "template", "deal_stage")
LIST_CONTEXT = ("data_categories", "crm_fields")


class CheckInputError(Exception):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def decode_body(raw: bytes | str) -> Any:
    """A check body as the agent API reads it: UTF-8 JSON without NaN, Infinity or numbers
    out of range, nested at most MAX_JSON_DEPTH levels, text PostgreSQL cannot store replaced
    (the decision recorded is exactly the one made)."""
    return decode_json(raw, max_depth=MAX_JSON_DEPTH, replace=True)


def _string(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_STRING


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(_string(v) for v in value)


def parse_check(body: Any, prefix: str = "") -> tuple[CheckRequest, str]:
    """The engine's request and the agent's request_id; CheckInputError otherwise."""
    problems: dict[str, str] = {}
    if not isinstance(body, dict):
        raise CheckInputError({prefix.rstrip(".") or "body": "must be a JSON object"})
    for key in sorted(set(body) - TOP_LEVEL):
        problems[prefix + key] = "is not a field of a check"
    action = body.get("action")
    if action is None:
        problems[prefix + "action"] = "is required"
    elif not _string(action):
        problems[prefix + "action"] = (
            f"must be a non-empty string of at most {MAX_STRING} characters"
        )
    confidence = body.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not 0 <= confidence <= 1  # before any float(): a huge integer would overflow
        or not math.isfinite(confidence)
    ):
        problems[prefix + "confidence"] = "must be a number from 0 to 1"
    signals = body.get("signals", [])
    if not _string_list(signals) or len(signals) > MAX_SIGNALS:
        problems[prefix + "signals"] = f"must be a list of at most {MAX_SIGNALS} strings"
    context = body.get("context", {})
    if not isinstance(context, dict):
        problems[prefix + "context"] = "must be an object"
        context = {}
    for key in STRING_CONTEXT:
        if key in context and not _string(context[key]):
            problems[f"{prefix}context.{key}"] = "must be a non-empty string"
    for key in LIST_CONTEXT:
        if key in context and not _string_list(context[key]):
            problems[f"{prefix}context.{key}"] = "must be a list of strings"
    for key, value in context.items():
        if isinstance(value, float) and not math.isfinite(value):
            problems[f"{prefix}context.{key}"] = "must be a finite number"
    subject = body.get("subject")
    if subject is not None and not (
        isinstance(subject, dict)
        and all(k in ("type", "id") and _string(v) for k, v in subject.items())
    ):
        problems[prefix + "subject"] = "must be an object with string type and id"
    request_id = body.get("request_id")
    if request_id is not None and not (
        isinstance(request_id, str) and len(request_id) <= MAX_REQUEST_ID
    ):
        problems[prefix + "request_id"] = f"must be a string of at most {MAX_REQUEST_ID} characters"
    if problems:
        raise CheckInputError(problems)
    request = CheckRequest(
        action=str(action),
        confidence=float(confidence) if confidence is not None else None,
        signals=tuple(signals),
        context=MappingProxyType(context),
    )
    return request, request_id or ""
