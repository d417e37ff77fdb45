"""The API's one error shape, its exception handler and pagination, and the input fields
and serializers whose OpenAPI description is exactly what they accept."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from rest_framework import exceptions, serializers
from rest_framework.fields import empty
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import set_rollback

from apps.core.errors import ApplicationError, Conflict, ValidationFailed

_DRF_CODES = {
    exceptions.ParseError: "malformed_json",
    exceptions.AuthenticationFailed: "unauthenticated",
    exceptions.NotAuthenticated: "unauthenticated",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.ValidationError: "invalid",
}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, str]:
    """Turn DRF's nested error detail into {"a.b.0": "message"}, one message per path."""
    if isinstance(detail, dict):
        flat: dict[str, str] = {}
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                path = prefix or "_"
            flat.update(flatten_errors(value, path))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "_": " ".join(str(item) for item in detail)}
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "_": str(detail)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("too_large", "The request body is larger than this endpoint accepts."),
            status=413,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)

    if not isinstance(exc, exceptions.APIException):
        return None

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]

    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_errors(exc.detail)
        message = (
            "The request is not valid: "
            + "; ".join(f"{path}: {text.rstrip('.')}" for path, text in list(fields.items())[:5])
            + "."
        )
        body = error_body(code, message, fields)
    else:
        body = error_body(code, str(exc.detail))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def json_error_response(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


@contextmanager
def refusals_of_state() -> Iterator[None]:
    """Around a service call whose input a serializer has already checked against everything
    the schema says: what the service still refuses (a key already taken, a name the
    organization does not hold, a time already past) depends on the current state, not on the
    request's form, and answers 409 like every other conflict with the current state."""
    try:
        yield
    except ValidationFailed as exc:
        code = "conflict" if exc.code == ValidationFailed.code else exc.code
        raise Conflict(exc.message, code=code, fields=exc.fields) from exc


# ---- text the schema can describe exactly ----------------------------------------------
#
# Patterns are checked with re.fullmatch on the text as sent, and the schema carries the same
# pattern, so that a client, a JSON Schema validator and the server agree on every string.
# Whitespace is spelled out (what str.strip() removes) rather than written \s, which Python
# and JavaScript read differently; each pattern has one way to match, so none backtracks.

_SPACE_ABOVE_CONTROLS = r"\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f" + _SPACE_ABOVE_CONTROLS

ANY_TEXT = r"^[^\x00]*$"
SOME_TEXT = rf"^[{_SPACE}]*[^\x00{_SPACE}][^\x00]*$"
ONE_LINE = rf"^[{_SPACE_ABOVE_CONTROLS}]*[^\x00-\x1f{_SPACE_ABOVE_CONTROLS}][^\x00-\x1f]*$"
KEY = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
_EMAIL_PART = rf"[^@\x00-\x1f{_SPACE_ABOVE_CONTROLS}]+"
EMAIL = rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$"

KEY_MESSAGE = "Use lowercase letters and digits, joined by single '-' or '_' (e.g. deal-desk)."
ONE_LINE_MESSAGE = "Give one line of text (no line breaks or control characters)."
SOME_TEXT_MESSAGE = "This field may not be blank."
ANY_TEXT_MESSAGE = "NUL characters are not allowed."


class Text(serializers.CharField):
    """A string (never a number turned into one) that matches `pattern` as a whole and fits
    `max_length`, both as sent, before any trimming."""

    default_error_messages = {"pattern": ANY_TEXT_MESSAGE, "reserved": "{value!r} is reserved."}

    def __init__(
        self,
        *,
        pattern: str = ANY_TEXT,
        message: str | None = None,
        reserved: frozenset[str] = frozenset(),
        schema_format: str | None = None,
        **kwargs: Any,
    ):
        self.pattern = pattern
        self.reserved = reserved
        # A format the schema names for what the text must be beyond the pattern (what it
        # must parse into, say); it stands in for the pattern there.
        self.schema_format = schema_format
        self._regex = re.compile(pattern)
        super().__init__(**kwargs)
        if message is not None:
            self.error_messages["pattern"] = message

    def run_validation(self, data: Any = empty) -> Any:
        if isinstance(data, str):
            if self.max_length is not None and len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length)
            if not self._regex.fullmatch(data):
                self.fail("pattern")
            if data in self.reserved:
                self.fail("reserved", value=data)
        elif data is not empty and data is not None:
            self.fail("invalid")
        return super().run_validation(data)


def key_field(*, max_length: int, **kwargs: Any) -> Text:
    return Text(pattern=KEY, message=KEY_MESSAGE, max_length=max_length, **kwargs)


def name_field(*, max_length: int = 200, **kwargs: Any) -> Text:
    return Text(pattern=ONE_LINE, message=ONE_LINE_MESSAGE, max_length=max_length, **kwargs)


def text_field(**kwargs: Any) -> Text:
    """Free text, possibly empty (descriptions, comments)."""
    kwargs.setdefault("required", False)
    return Text(allow_blank=True, **kwargs)


class Boolean(serializers.BooleanField):
    """true or false, not "true", 1 or "on"."""

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class Integer(serializers.IntegerField):
    """A JSON integer, not "5" or 5.0."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def parse_rfc3339(value: str) -> datetime | None:
    """An RFC 3339 date-time (what format: date-time means) in UTC, or None. A time just
    outside the years 1-9999 once in UTC reads as the earliest or latest one there is."""
    match = _RFC3339.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction[1:] + "00000")[:6]) if fraction else 0
    if offset in ("Z", "z"):
        zone = UTC
    else:
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            return None
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, zone
        )
    except ValueError:
        return None
    try:
        return local.astimezone(UTC)
    except OverflowError:
        return _EARLIEST if local.year == 1 else _LATEST


class DateTime(serializers.DateTimeField):
    """An RFC 3339 date-time with its offset, e.g. 2026-12-31T17:00:00Z."""

    default_error_messages = {"invalid": "Use an RFC 3339 time, e.g. 2026-12-31T17:00:00Z."}

    def to_internal_value(self, value: Any) -> datetime:
        parsed = parse_rfc3339(value) if isinstance(value, str) else None
        if parsed is None:
            self.fail("invalid")
        return parsed


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know, so that a client never
    believes it changed something it cannot (a version's state, say). `schema_constraints`
    adds what its validate() checks across fields to its schema (anyOf, not)."""

    schema_constraints: dict[str, Any] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(dict.fromkeys(unknown, "Unknown field."))
        return super().to_internal_value(data)


def _blank_as_pattern(schema: Any) -> None:
    """drf-spectacular adds `oneOf: [the string, an empty string]` to a patterned string that
    may be blank; where the pattern already matches "", "" would match both and be refused."""
    if isinstance(schema, list):
        for child in schema:
            _blank_as_pattern(child)
        return
    if not isinstance(schema, dict):
        return
    branches = schema.get("oneOf")
    if (
        isinstance(branches, list)
        and len(branches) == 2
        and branches[1] == {"type": "string", "maxLength": 0}
        and re.fullmatch(branches[0].get("pattern", "(?!)"), "")
        and not branches[0].get("minLength")
    ):
        schema.update(schema.pop("oneOf")[0])
    for child in schema.values():
        _blank_as_pattern(child)


class StrictSerializerScheme(OpenApiSerializerExtension):
    """In the schema, a StrictSerializer allows no other properties."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        _blank_as_pattern(schema)
        for name, field in self.target.fields.items():
            if isinstance(field, Text) and field.schema_format and name in schema["properties"]:
                schema["properties"][name].pop("minLength", None)  # the format says more
        schema["additionalProperties"] = False
        if type(self.target).__doc__ is None:  # not StrictSerializer's own docstring
            schema.pop("description", None)
        schema.update(self.target.schema_constraints)
        return schema


_ANNOTATIONS = ("description", "title", "nullable", "readOnly", "writeOnly", "default")


class TextScheme(OpenApiSerializerFieldExtension):
    """In the schema, a Text field carries its pattern."""

    target_class = Text
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if self.target.schema_format:
            # The format says what the text must be; the pattern and lengths say less.
            kept = {k: v for k, v in schema.items() if k in _ANNOTATIONS}
            return {**kept, "type": "string", "format": self.target.schema_format}
        schema["pattern"] = self.target.pattern
        if self.target.reserved:
            schema["not"] = {"enum": sorted(self.target.reserved)}
        return schema


# ---- query parameters and pagination ---------------------------------------------------

_DIGITS = re.compile(r"[0-9]{1,18}")
_TOO_MANY = 10**18  # more digits than that: a page nobody has


def query_param(request: Request, name: str) -> str | None:
    """A query parameter given at most once: the schema says one value, not a list."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise exceptions.ValidationError({name: "Give this parameter once."})
    if values and "\x00" in values[0]:
        raise exceptions.ValidationError({name: ANY_TEXT_MESSAGE})
    return values[0] if values else None


def boolean_param(request: Request, name: str) -> bool | None:
    """true or false, as a boolean query parameter is written; anything else is refused."""
    value = query_param(request, name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise exceptions.ValidationError({name: "Use true or false."})
    return value == "true"


def positive_int_param(request: Request, name: str) -> int | None:
    value = query_param(request, name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit():
        raise exceptions.ValidationError({name: "Use a whole number from 1."})
    number = int(value) if _DIGITS.fullmatch(value) else _TOO_MANY
    if number < 1:
        raise exceptions.ValidationError({name: "Use a whole number from 1."})
    return number


def datetime_param(request: Request, name: str) -> datetime | None:
    value = query_param(request, name)
    if value is None:
        return None
    parsed = parse_rfc3339(value)
    if parsed is None:
        raise exceptions.ValidationError({name: DateTime.default_error_messages["invalid"]})
    return parsed


class StrictPageSize:
    """page_size: a whole number from 1; anything else is refused rather than ignored, and
    more than max_page_size reads as max_page_size."""

    page_size: int
    page_size_query_param = "page_size"
    max_page_size: int

    def get_page_size(self, request: Request) -> int:
        size = positive_int_param(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def page_size_parameter(self) -> dict[str, Any]:
        return {
            "name": self.page_size_query_param,
            "required": False,
            "in": "query",
            "description": f"Results per page (default {self.page_size}; more than "
            f"{self.max_page_size} reads as {self.max_page_size}).",
            "schema": {"type": "integer", "minimum": 1},
        }


class Pagination(StrictPageSize, PageNumberPagination):
    max_page_size = 200

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return positive_int_param(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "The page, from 1; a page past the last answers 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            self.page_size_parameter(),
        ]


class KeysetPagination(StrictPageSize, CursorPagination):
    """Cursor pagination: `next` and `previous` carry the cursor; a cursor this API did not
    give answers 404."""

    def decode_cursor(self, request: Request) -> Any:
        query_param(request, self.cursor_query_param)
        return super().decode_cursor(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The cursor from a previous page's next or previous link.",
                "schema": {"type": "string"},
            },
            self.page_size_parameter(),
        ]
