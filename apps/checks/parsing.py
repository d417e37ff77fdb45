"""Reading a check request: the agent API's field types and ranges, checked by hand (the
hot path has no serializer), every problem named by its path."""

import json
import math
from types import MappingProxyType
from typing import Any

from apps.checks.constants import MAX_JSON_DEPTH, MAX_REQUEST_ID, MAX_SIGNALS, MAX_STRING
from apps.engine.types import CheckRequest

TOP_LEVEL = frozenset({"action", "confidence", "signals", "context", "subject", "request_id"})
STRING_CONTEXT = ("channel", "template", "deal_stage")
LIST_CONTEXT = ("data_categories", "crm_fields")


class CheckInputError(Exception):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class BodyError(Exception):
    """A body that is not a JSON document the check path accepts; `code` is the API's."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as infinity
        raise ValueError(f"{text} is out of range")
    return value


def _storable_text(value: str) -> str:
    """NUL and lone surrogates, which PostgreSQL's text and jsonb refuse, become U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode()
    except UnicodeEncodeError:
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def _inspected(body: Any) -> Any:
    """The body with its text made storable; BodyError when nested too deep. One walk."""

    def walk(node: Any, depth: int) -> Any:
        if depth > MAX_JSON_DEPTH:
            raise BodyError(
                "too_deep", f"The body is nested more than {MAX_JSON_DEPTH} levels deep."
            )
        if isinstance(node, str):
            return _storable_text(node)
        if isinstance(node, dict):
            return {_storable_text(k): walk(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, depth + 1) for v in node]
        return node

    return walk(body, 1)


def decode_body(raw: bytes | str) -> Any:
    """A check body as the agent API reads it: UTF-8 JSON without NaN, Infinity or numbers
    out of range, nested at most MAX_JSON_DEPTH levels, its text storable as received."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BodyError("malformed_json", "The body must be UTF-8 JSON.") from exc
    try:
        body = json.loads(raw, parse_constant=_no_constants, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise BodyError("malformed_json", f"The body is not valid JSON: {exc}") from exc
    return _inspected(body)


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
