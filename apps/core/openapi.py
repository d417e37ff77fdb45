"""The management API's error answers in the OpenAPI schema: one Error component, and a
postprocessing hook that lists, on every management operation, the errors its shape can
produce. Conflicts (409) depend on what an operation does, so views declare them with
`conflict()`; the agent API (agent keys) describes its own errors."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse

ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error the management API answers has this shape.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Stable, for programs: invalid, malformed_json, "
                    "unauthenticated, forbidden, not_found, conflict, invalid_state, …",
                },
                "message": {"type": "string", "description": "For people."},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Each bad input by its path (roles.0, document.actions.x) "
                    "and what is wrong with it; for a conflict, the current state.",
                },
            },
            "additionalProperties": False,
        }
    },
    "additionalProperties": False,
}

MANAGEMENT_SCHEME = "personalAccessToken"
_METHODS = ("get", "put", "post", "patch", "delete")

_DESCRIPTIONS = {
    "400": "The request breaks this schema: malformed JSON, a missing, unknown or repeated "
    "field or parameter, or a value of the wrong type, form or size. `fields` names each.",
    "401": "No credentials, or an unknown, revoked or expired token.",
    "403": "An agent key (this API takes personal tokens), or roles that do not allow this.",
    "404": "No such organization or object, or one in another organization: the two are "
    "never told apart. Also a page past the last.",
    "413": "The body is larger than the limit.",
}


def conflict(description: str) -> OpenApiResponse:
    """A 409: well-formed, but the current state refuses it; `fields` says how."""
    return OpenApiResponse(ERROR_REF, description=description)


def _error(status: str) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }


def _is_management(operation: dict[str, Any]) -> bool:
    """Management operations take personal tokens (or the session); the agent API takes
    agent keys and describes its own errors."""
    return any(MANAGEMENT_SCHEME in requirement for requirement in operation.get("security", []))


def _statuses(operation: dict[str, Any]) -> list[str]:
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    query = [p["name"] for p in parameters if p["in"] == "query"]
    statuses = []
    if has_body or query:
        statuses.append("400")
    statuses += ["401", "403"]
    if any(p["in"] == "path" for p in parameters) or {"page", "cursor"} & set(query):
        statuses.append("404")
    if has_body:
        statuses.append("413")
    return statuses


def _walk(schema: dict[str, Any], schemas: dict[str, Any], seen: set[str], visit: Any) -> None:
    """Call visit on this schema and every schema below it, components once each."""
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name in seen or name not in schemas:
            return
        seen.add(name)
        schema = schemas[name]
    visit(schema)
    children = [*schema.get("properties", {}).values()]
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            children.append(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        children += schema.get(key, [])
    for child in children:
        _walk(child, schemas, seen, visit)


def _require_every_property(schema: dict[str, Any]) -> None:
    """An answer always carries every field its serializer names (null where it says so)."""
    if schema.get("type") == "object" and schema.get("properties"):
        schema["required"] = list(schema["properties"])


def _needs_body(schema: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """Whether no body at all (an empty object) breaks the schema: a field is required, by
    the schema itself, by one of allOf, or by every branch of anyOf or oneOf."""
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if schema.get("required") or any(_needs_body(s, schemas) for s in schema.get("allOf", [])):
        return True
    return any(
        branches and all(_needs_body(s, schemas) for s in branches)
        for branches in (schema.get("anyOf"), schema.get("oneOf"))
    )


def _media_schemas(part: dict[str, Any]) -> list[dict[str, Any]]:
    return [media["schema"] for media in part.get("content", {}).values() if "schema" in media]


def management_api_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the Error component, the error answers of every
    management operation, and every answered field marked as always present."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    operations = [
        item[method]
        for item in result.get("paths", {}).values()
        for method in _METHODS
        if method in item and _is_management(item[method])
    ]
    # Components a request also uses (a policy document, say) keep their optional fields.
    shared: set[str] = set()
    for operation in operations:
        for schema in _media_schemas(operation.get("requestBody", {})):
            _walk(schema, schemas, shared, lambda _: None)
    answered = set(shared)
    for operation in operations:
        body = operation.get("requestBody")
        if body and any(_needs_body(schema, schemas) for schema in _media_schemas(body)):
            body["required"] = True
        responses = operation.setdefault("responses", {})
        for status, response in responses.items():
            if status.startswith("2"):
                for schema in _media_schemas(response):
                    _walk(schema, schemas, answered, _require_every_property)
        for status in _statuses(operation):
            responses.setdefault(status, _error(status))
        operation["responses"] = dict(sorted(responses.items()))
    return result
