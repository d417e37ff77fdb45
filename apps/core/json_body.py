"""Reading a JSON request body the way every API path of the site does: UTF-8 only, no
NaN or Infinity or numbers out of range, bounded nesting — and text PostgreSQL cannot store
(NUL, lone surrogates) replaced where nothing narrower says what the text may be — so that
bad input is a 400 naming what is wrong, never a database error."""

import json
import math
from typing import Any


class BodyError(Exception):
    """A body that is not a JSON document the API accepts; `code` is the API's."""

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


def storable(value: Any) -> Any:
    """A JSON value with every text in it (keys too) made storable: for free JSON a person or
    an agent sends (a draft, a context package), which no schema constrains further."""
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, dict):
        return {_storable_text(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


def _inspected(body: Any, max_depth: int, replace: bool) -> Any:
    """The body, its text made storable when `replace`; BodyError when nested too deep.
    One walk."""

    def walk(node: Any, depth: int) -> Any:
        if depth > max_depth:
            raise BodyError("too_deep", f"The body is nested more than {max_depth} levels deep.")
        if isinstance(node, str):
            return _storable_text(node) if replace else node
        if isinstance(node, dict):
            return {
                (_storable_text(k) if replace else k): walk(v, depth + 1) for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v, depth + 1) for v in node]
        return node

    return walk(body, 1)


def decode_json(raw: bytes | str, *, max_depth: int, replace: bool = False) -> Any:
    """A request body as the API reads it: UTF-8 JSON without NaN, Infinity or numbers out
    of range, nested at most `max_depth` levels. With `replace`, text PostgreSQL cannot store
    (NUL, lone surrogates) becomes U+FFFD; without, it is left for the fields to refuse (a
    text field's pattern) or make storable (free JSON, `storable`)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BodyError("malformed_json", "The body must be UTF-8 JSON.") from exc
    try:
        body = json.loads(raw, parse_constant=_no_constants, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise BodyError("malformed_json", f"The body is not valid JSON: {exc}") from exc
    return _inspected(body, max_depth, replace)
