"""Reading a JSON request body the way every API path of the site does: UTF-8 only, no
NaN or Infinity or numbers out of range, bounded nesting, and text PostgreSQL can store
(NUL and lone surrogates become U+FFFD) — so that bad input is a 400 naming what is wrong,
never a database error."""

import json
import math
from typing import Any


class BodyError(Exception):
    """A body that is not a JSON document the API accepts; `code` is the API's, `path` the
    place in the body when there is one."""

    def __init__(self, code: str, message: str, path: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.path = code, message, path


UNSTORABLE = "NUL characters and lone surrogates are not allowed."


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


def _inspected(body: Any, max_depth: int, replace: bool) -> Any:
    """The body with its text made storable (or BodyError naming the first text that is not,
    when not `replace`); BodyError when nested too deep. One walk."""

    def text(value: str, path: str) -> str:
        stored = _storable_text(value)
        if stored != value and not replace:
            raise BodyError("invalid", UNSTORABLE, path or "_")
        return stored

    def walk(node: Any, depth: int, path: str) -> Any:
        if depth > max_depth:
            raise BodyError("too_deep", f"The body is nested more than {max_depth} levels deep.")
        if isinstance(node, str):
            return text(node, path)
        if isinstance(node, dict):
            walked = {}
            for key, value in node.items():
                here = f"{path}.{key}" if path else key
                walked[text(key, here)] = walk(value, depth + 1, here)
            return walked
        if isinstance(node, list):
            return [
                walk(value, depth + 1, f"{path}.{i}" if path else str(i))
                for i, value in enumerate(node)
            ]
        return node

    return walk(body, 1, "")


def decode_json(raw: bytes | str, *, max_depth: int, replace: bool = False) -> Any:
    """A request body as the API reads it: UTF-8 JSON without NaN, Infinity or numbers out
    of range, nested at most `max_depth` levels, and text PostgreSQL can store — refused
    where it cannot (NUL, lone surrogates), or with `replace`, those replaced by U+FFFD."""
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
