"""The policy document: parsing (YAML or JSON), validation against the format's JSON Schema
and the organization's catalogs, the canonical form, its content hash, and export.

Plain Python: no ORM. Catalog keys come in as a CatalogKeys value.
"""

import hashlib
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from apps.policies.constants import (
    ACTION_ORDER,
    DEFAULTS_ORDER,
    MAX_DOCUMENT_BYTES,
    TOP_LEVEL_ORDER,
    TRIGGER_ORDER,
)

SCHEMA_PATH = Path(__file__).parent / "schema" / "policy-format-1.schema.json"

Problems = dict[str, str]  # "actions.offer_discount.limits.discount_pct" -> "must be …"


class DocumentError(Exception):
    """A document that cannot be parsed or is not valid; `problems` names each by its path."""

    def __init__(self, problems: Problems) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems.items()))
        self.problems = problems


@cache
def format_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(format_schema())


# ---- parsing ---------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """No aliases (they can expand a small file into a huge one) and no repeated keys (the
    second would silently win)."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is repeated", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} is repeated")
        result[key] = value
    return result


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


MAX_DEPTH = 32  # a policy document is about five levels deep


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def parse(text: str | bytes, fmt: str = "yaml") -> Any:
    """Parse YAML or JSON text; raise DocumentError saying where it is broken."""
    parsed = _parse(text, fmt)
    if _depth_exceeds(parsed, MAX_DEPTH):
        raise DocumentError({"document": "is nested too deeply"})
    return parsed


def _parse(text: str | bytes, fmt: str) -> Any:
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise DocumentError({"document": f"is larger than {MAX_DOCUMENT_BYTES // 1024} KiB"})
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DocumentError({"document": "must be UTF-8 text"}) from exc
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise DocumentError({"document": f"is larger than {MAX_DOCUMENT_BYTES // 1024} KiB"})
    if fmt == "json":
        try:
            return json.loads(text, object_pairs_hook=_json_pairs, parse_constant=_json_constant)
        except json.JSONDecodeError as exc:
            raise DocumentError(
                {"document": f"is not valid JSON (line {exc.lineno}, col {exc.colno}): {exc.msg}"}
            ) from exc
        except ValueError as exc:
            raise DocumentError({"document": f"is not valid JSON: {exc}"}) from exc
        except RecursionError as exc:
            raise DocumentError({"document": "is nested too deeply"}) from exc
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a safe loader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DocumentError({"document": f"is not valid YAML{where}: {problem}"}) from exc
    except RecursionError as exc:
        raise DocumentError({"document": "is nested too deeply"}) from exc


# ---- validation ------------------------------------------------------------------------


def _path(parts: Any) -> str:
    return ".".join(str(p) for p in parts) or "document"


def _schema_problems(error: Any) -> list[tuple[str, str]]:
    if error.validator == "additionalProperties":
        path = list(error.absolute_path)
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return [(_path([*path, key]), "is not a known key") for key in extra]
    return [_schema_problem(error)]


def _schema_problem(error: Any) -> tuple[str, str]:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return _path([*path, missing]), "is required"
    if error.validator == "propertyNames":
        return _path(
            [*path, error.instance]
        ), "must be a key: lowercase letters, digits, '-' or '_'"
    if error.validator == "uniqueItems":
        return _path(path), "must not repeat an entry"
    message = error.schema.get("x-error")
    if message is None:
        message = {
            "type": f"must be {'an' if str(error.validator_value)[0] in 'aeiou' else 'a'} "
            f"{error.validator_value}",
        }.get(error.validator, error.message)
    return _path(path), message


TEAM = "a team"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _check_catalogs(doc: dict[str, Any], keys: Any) -> Problems:
    """Names the catalogs do not hold. Runs over whatever parts are well-formed, so that
    these problems are reported together with the structural ones."""
    problems: Problems = {}

    def need(value: Any, pool: frozenset[str], path: str, what: str) -> None:
        if isinstance(value, str) and value not in pool:
            where = "of this organization" if what == TEAM else "in this organization's catalog"
            problems[path] = f"{value!r} is not {what} {where}"

    for action, spec in _dict(doc.get("actions")).items():
        base = f"actions.{action}"
        need(action, keys.actions, base, "an action")
        spec = _dict(spec)
        for i, template in enumerate(_list(spec.get("templates"))):
            need(template, keys.templates, f"{base}.templates.{i}", "an approved template")
        for i, category in enumerate(_list(spec.get("data"))):
            need(category, keys.data_categories, f"{base}.data.{i}", "a data category")
        for team_key in ("approver_team", "route_to_team"):
            need(spec.get(team_key), keys.teams, f"{base}.{team_key}", TEAM)
        if spec.get("mode") == "escalate" and "route_to_team" not in spec:
            problems[f"{base}.route_to_team"] = "is required when mode is escalate"
    for signal, spec in _dict(doc.get("triggers")).items():
        need(signal, keys.signals, f"triggers.{signal}", "a signal")
        need(
            _dict(spec).get("route_to_team"),
            keys.teams,
            f"triggers.{signal}.route_to_team",
            TEAM,
        )
    for i, category in enumerate(_list(_dict(doc.get("data")).get("never"))):
        need(category, keys.data_categories, f"data.never.{i}", "a data category")
    for team in _dict(doc.get("decision_rights")):
        need(team, keys.teams, f"decision_rights.{team}", TEAM)
    return problems


def validate(doc: Any, keys: Any) -> dict[str, Any]:
    """Return the canonical form of a valid document; raise DocumentError naming every
    problem by its path otherwise. With keys=None the catalogs are not consulted (a copy
    of an older version, to be fixed in the editor before it is submitted)."""
    if not isinstance(doc, dict):
        raise DocumentError({"document": "must be a mapping (key: value pairs)"})
    if _depth_exceeds(doc, MAX_DEPTH):
        raise DocumentError({"document": "is nested too deeply"})
    problems: Problems = {}
    for error in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.path))):
        for path, message in _schema_problems(error):
            problems.setdefault(path, message)
    for path in _non_finite_numbers(doc):
        problems[path] = "must be a finite number"
    if keys is not None:
        for path, message in _check_catalogs(doc, keys).items():
            problems.setdefault(path, message)
    if problems:
        raise DocumentError(problems)
    return canonical(doc)


def _non_finite_numbers(value: Any, path: str = "") -> list[str]:
    """NaN and infinities pass every comparison the schema makes; they are never valid."""
    if isinstance(value, float) and not math.isfinite(value):
        return [path or "document"]
    if isinstance(value, dict):
        return [
            p
            for k, v in value.items()
            for p in _non_finite_numbers(v, f"{path}.{k}" if path else str(k))
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _non_finite_numbers(v, f"{path}.{i}")]
    return []


# ---- canonical form, hash, export ------------------------------------------------------


def _ordered(mapping: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    return {key: mapping[key] for key in order if key in mapping}


def _number(value: Any) -> Any:
    # 5.0 and 5 mean the same limit; keep integers integral so exports stay stable.
    if isinstance(value, float) and value.is_integer() and not isinstance(value, bool):
        return int(value)
    return value


def canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """Known keys in the format's order; the author's order of actions, triggers and teams."""
    out = _ordered(doc, TOP_LEVEL_ORDER)
    out["format"] = _number(out["format"])
    if "defaults" in out:
        out["defaults"] = {
            k: _number(v) for k, v in _ordered(out["defaults"], DEFAULTS_ORDER).items()
        }
    if "actions" in out:
        actions = {}
        for key, spec in out["actions"].items():
            spec = _ordered(spec, ACTION_ORDER)
            if "min_confidence" in spec:
                spec["min_confidence"] = _number(spec["min_confidence"])
            if "limits" in spec:
                spec["limits"] = {k: _number(v) for k, v in spec["limits"].items()}
            actions[key] = spec
        out["actions"] = actions
    if "triggers" in out:
        out["triggers"] = {
            k: {f: _number(x) for f, x in _ordered(v, TRIGGER_ORDER).items()}
            for k, v in out["triggers"].items()
        }
    return out


def content_hash(doc: dict[str, Any]) -> str:
    """What a reviewer approves: the meaning, independent of key order."""
    payload = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


class _FlowList(list[Any]):
    pass


class _FlowMap(dict[str, Any]):
    pass


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_Dumper.add_representer(
    _FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True)
)
_Dumper.add_representer(
    dict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=False)
)


def _styled(value: Any, path: tuple[str, ...] = ()) -> Any:
    if isinstance(value, list):
        return _FlowList(value)
    if isinstance(value, dict):
        inner = {k: _styled(v, (*path, k)) for k, v in value.items()}
        flow = (len(path) == 3 and path[0] == "actions" and path[2] == "limits") or (
            len(path) == 2 and path[0] == "triggers"
        )
        return _FlowMap(inner) if flow else inner
    return value


def to_yaml(doc: dict[str, Any]) -> str:
    return yaml.dump(_styled(doc), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)


def export(doc: dict[str, Any], fmt: str) -> str:
    return to_json(doc) if fmt == "json" else to_yaml(doc)


def empty_document(name: str, description: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {"format": 1, "name": name}
    if description:
        doc["description"] = description
    doc.update({"defaults": {"approval_expires_after_hours": 48}, "actions": {}})
    return doc
