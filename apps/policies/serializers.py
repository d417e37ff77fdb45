"""Input and output serializers for policies and versions.

A policy document is checked here against the format's structure (the JSON Schema in
apps/policies/schema, which the OpenAPI schema repeats as PolicyDocument): what breaks it
answers 400. What it names is checked by the services against the organization's catalogs,
which change: a name they do not hold answers 409."""

import copy
import re
from functools import cache
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from jsonschema import Draft202012Validator
from rest_framework import serializers

from apps.core.api import (
    ANY_TEXT,
    SOME_TEXT,
    SOME_TEXT_MESSAGE,
    DateTime,
    Integer,
    StrictSerializer,
    Text,
    key_field,
    name_field,
    text_field,
)
from apps.engine.types import DECISIONS
from apps.policies import document as doc_module
from apps.policies.constants import Mode
from apps.policies.models import Policy, PolicyVersion

_SURROGATE = re.compile(r"[\ud800-\udfff]")

# An action that escalates says to whom; the format file leaves this to the catalog check
# because it names a team, but whether the name is there is a matter of form.
_ESCALATE_NAMES_A_TEAM = {
    "anyOf": [
        {"properties": {"mode": {"enum": [m for m in Mode.values if m != Mode.ESCALATE]}}},
        {"required": ["route_to_team"]},
    ]
}


@cache
def document_structure() -> dict[str, Any]:
    """The format's JSON Schema without propertyNames, which OpenAPI 3.0 cannot say: keys
    of actions, triggers and decision rights are names the catalogs must hold (409)."""
    schema = copy.deepcopy(doc_module.format_schema())

    def strip(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("propertyNames", None)
            for child in node.values():
                strip(child)
        elif isinstance(node, list):
            for child in node:
                strip(child)

    strip(schema)
    schema["$defs"]["action"].update(_ESCALATE_NAMES_A_TEAM)
    for text in ("name", "description"):  # no database keeps a NUL character
        schema["properties"][text]["pattern"] = ANY_TEXT
    return schema


@cache
def _structure_validator() -> Draft202012Validator:
    return Draft202012Validator(document_structure())


@cache
def document_openapi_schema() -> dict[str, Any]:
    """document_structure() in OpenAPI 3.0's words: $defs inlined, const as enum."""
    structure = document_structure()
    definitions = structure["$defs"]

    def convert(node: Any) -> Any:
        if isinstance(node, list):
            return [convert(child) for child in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return convert(definitions[node["$ref"].rsplit("/", 1)[-1]])
        out = {}
        for key, value in node.items():
            if key in ("$schema", "$id", "$defs", "x-error"):
                continue
            if key == "const":
                out["enum"] = [value]
            elif key in ("properties",):
                out[key] = {name: convert(child) for name, child in value.items()}
            else:
                out[key] = convert(value)
        if "enum" in out and "type" not in out:
            out["type"] = "integer" if all(type(v) is int for v in out["enum"]) else "string"
        return out

    return convert(structure)


def _problems(document: Any) -> dict[str, str]:
    problems: dict[str, str] = {}
    errors = sorted(_structure_validator().iter_errors(document), key=lambda e: list(e.path))
    for error in errors:
        path = list(error.absolute_path)
        if error.validator == "additionalProperties":
            for extra in sorted(set(error.instance) - set(error.schema.get("properties", {}))):
                problems.setdefault(".".join(map(str, [*path, extra])), "is not a known key")
            continue
        if error.validator == "required":
            path.append(error.message.split("'")[1])
            message = "is required"
        elif error.validator == "anyOf" and "route_to_team" in str(error.validator_value):
            path.append("route_to_team")
            message = "is required when mode is escalate"
        elif error.validator == "uniqueItems":
            message = "must not repeat an entry"
        else:
            message = error.schema.get("x-error") or error.message
        problems.setdefault(".".join(map(str, path)) or "_", message)
    return problems


def _unpaired_surrogates(value: Any, path: str = "") -> list[str]:
    """Paths of strings holding half a UTF-16 pair, which no UTF-8 text can store."""
    if isinstance(value, str):
        return [path or "_"] if _SURROGATE.search(value) else []
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    return [p for k, v in items for p in _unpaired_surrogates(v, f"{path}.{k}" if path else str(k))]


def _paired(value: Any) -> Any:
    """Strings with UTF-16 pairs joined: YAML reads the escapes of a JSON pair (a backslash,
    u, d83d, then the same for de00) as two halves of a character."""
    if isinstance(value, str):
        if not _SURROGATE.search(value):
            return value
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    if isinstance(value, dict):
        return {_paired(k): _paired(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_paired(v) for v in value]
    return value


class PolicyDocumentField(serializers.JSONField):
    """A policy document, refused (400, each problem by its path) unless it has the format's
    structure; the services check what it names."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError("must be a mapping (key: value pairs)")
        problems = _problems(data)
        for path in _unpaired_surrogates(data):
            problems.setdefault(path, "is not valid text (half a UTF-16 surrogate pair)")
        if problems:
            raise serializers.ValidationError(problems)
        return data


class PolicyDocumentScheme(OpenApiSerializerFieldExtension):
    target_class = PolicyDocumentField

    def get_name(self) -> str:
        return "PolicyDocument"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return copy.deepcopy(document_openapi_schema())


class PolicyOut(serializers.ModelSerializer):
    active_version = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)

    class Meta:
        model = Policy
        fields = ["key", "name", "description", "active_version", "created_by", "created_at"]

    def get_active_version(self, obj: Policy) -> int | None:
        active = next((v for v in obj.versions.all() if v.state == "active"), None)
        return active.number if active else None


class PolicyIn(StrictSerializer):
    key = key_field(max_length=64, help_text="Unique in the organization; a taken one answers 409.")
    name = name_field(max_length=200)
    description = text_field(default="")


def _username(user) -> str | None:
    return user.username if user else None


class VersionOut(serializers.ModelSerializer):
    policy = serializers.CharField(source="policy.key")
    author = serializers.SerializerMethodField()
    submitted_by = serializers.SerializerMethodField()
    reviewer = serializers.SerializerMethodField()
    published_by = serializers.SerializerMethodField()
    contributors = serializers.SerializerMethodField()
    based_on = serializers.IntegerField(source="based_on.number", default=None, allow_null=True)
    document = PolicyDocumentField()

    class Meta:
        model = PolicyVersion
        fields = [
            "policy",
            "number",
            "state",
            "content_hash",
            "author",
            "contributors",
            "based_on",
            "created_at",
            "submitted_by",
            "submitted_at",
            "reviewer",
            "reviewed_at",
            "review_comment",
            "approved_hash",
            "published_by",
            "publish_at",
            "activated_at",
            "superseded_at",
            "document",
        ]

    def get_author(self, obj) -> str | None:
        return _username(obj.author)

    def get_submitted_by(self, obj) -> str | None:
        return _username(obj.submitted_by)

    def get_reviewer(self, obj) -> str | None:
        return _username(obj.reviewed_by)

    def get_published_by(self, obj) -> str | None:
        return _username(obj.published_by)

    def get_contributors(self, obj) -> list[str]:
        return sorted(u.username for u in obj.contributors.all())


class VersionSummaryOut(VersionOut):
    class Meta(VersionOut.Meta):
        fields = [f for f in VersionOut.Meta.fields if f != "document"]


_SOURCES = ("document", "text", "based_on")


class VersionIn(StrictSerializer):
    """At most one of document, text and based_on; none copies the active version."""

    document = PolicyDocumentField(required=False, help_text="The policy document (as JSON).")
    text = Text(
        pattern=SOME_TEXT,
        message=SOME_TEXT_MESSAGE,
        schema_format="policy-document",
        required=False,
        help_text="Or the document as YAML or JSON text (with `format`): text that does not "
        "parse into a PolicyDocument answers 400.",
    )
    format = serializers.ChoiceField(choices=["yaml", "json"], default="yaml")
    based_on = Integer(
        required=False,
        min_value=1,
        help_text="Start from this version's content (rollback); a number the policy does "
        "not have answers 409.",
    )

    schema_constraints = {
        "not": {
            "anyOf": [
                {"required": [a, b]} for i, a in enumerate(_SOURCES) for b in _SOURCES[i + 1 :]
            ]
        }
    }

    def validate(self, attrs):
        given = [k for k in _SOURCES if k in attrs]
        if len(given) > 1:
            raise serializers.ValidationError(
                {given[1]: f"Give only one of document, text or based_on (got {', '.join(given)})."}
            )
        if "text" in attrs:
            try:
                parsed = _paired(doc_module.parse(attrs.pop("text"), attrs["format"]))
                attrs["document"] = self.fields["document"].run_validation(parsed)
            except doc_module.DocumentError as exc:
                raise serializers.ValidationError(
                    {p if p == "document" else f"document.{p}": m for p, m in exc.problems.items()}
                ) from exc
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"document": exc.detail}) from exc
        return attrs


class VersionEditIn(StrictSerializer):
    document = PolicyDocumentField()


class ReviewIn(StrictSerializer):
    comment = text_field(default="", max_length=5000)
    content_hash = Text(
        required=False,
        help_text="The content hash you reviewed; if the version changed since, 409.",
    )


class RejectIn(ReviewIn):
    comment = Text(
        pattern=SOME_TEXT,
        message="A rejection needs a comment.",
        max_length=5000,
        help_text="Why the version is rejected.",
    )


class PublishIn(StrictSerializer):
    effective_at = DateTime(
        required=False,
        allow_null=True,
        help_text="Publish at this time rather than now; a time already past answers 409.",
    )


class ChangeOut(serializers.Serializer):
    section = serializers.CharField()
    subject = serializers.CharField()
    kind = serializers.ChoiceField(choices=["added", "removed", "changed"])
    text = serializers.CharField()


class DiffOut(serializers.Serializer):
    version = serializers.IntegerField()
    against = serializers.IntegerField(allow_null=True)
    changes = ChangeOut(many=True)


class ReasonOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class PolicyRefOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()


class SimulationOut(serializers.Serializer):
    """What the check API would answer, with nothing recorded."""

    decision_id = serializers.CharField(allow_null=True, help_text="Always null: not recorded.")
    decision = serializers.ChoiceField(choices=DECISIONS)
    reasons = ReasonOut(many=True, help_text="Every matching rule; the decisive one first.")
    obligations = serializers.DictField()
    policy = PolicyRefOut()
    agent = serializers.CharField(allow_null=True, help_text="Always null: no agent asked.")
    request_id = serializers.CharField(allow_null=True)
    evaluated_at = serializers.DateTimeField()
    simulated = serializers.BooleanField()
