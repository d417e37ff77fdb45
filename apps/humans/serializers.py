"""Input and output serializers for approvals, handoffs and outcomes (agent API and the
management API), and for webhooks and their deliveries."""

import json
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from apps.core.api import (
    SOME_TEXT,
    SOME_TEXT_MESSAGE,
    Boolean,
    StrictSerializer,
    Text,
    text_field,
)
from apps.core.json_body import storable
from apps.humans.constants import (
    AGENT_WEBHOOK_EVENT_CHOICES,
    AGENT_WEBHOOK_EVENTS,
    MAX_AGENT_WEBHOOK_ENDPOINTS,
    MAX_DETAIL,
    MAX_IDEMPOTENCY_KEY,
    MAX_WEBHOOK_URL,
    WebhookEvent,
    WebhookFormat,
)
from apps.humans.models import (
    Approval,
    Handoff,
    Outcome,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)
from apps.humans.webhooks import WEBHOOK_URL, WEBHOOK_URL_MESSAGE

MAX_PACKAGE_BYTES = 256 * 1024
MAX_NOTE = 5000  # a comment, a resolution, a follow-up


class _Package(serializers.JSONField):
    """A JSON object of bounded size (a draft, a context package)."""

    def __init__(self, *, required_keys: tuple[str, ...] = (), non_empty: bool = False, **kwargs):
        self.required_keys = required_keys
        self.non_empty = non_empty
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        if self.non_empty and not value:
            raise serializers.ValidationError("Must not be empty.")
        value = storable(value)  # NUL and lone surrogates: U+FFFD, as the check path does
        if len(json.dumps(value)) > MAX_PACKAGE_BYTES:
            raise serializers.ValidationError(f"At most {MAX_PACKAGE_BYTES // 1024} KiB.")
        missing = [k for k in self.required_keys if not value.get(k)]
        if missing:
            raise serializers.ValidationError(f"Needs {', '.join(missing)}.")
        return value


# What Python reads as false: a required key of a package must hold none of these.
_EMPTY_VALUES = [None, False, 0, "", [], {}]


class PackageScheme(OpenApiSerializerFieldExtension):
    """In the schema, a package is a JSON object with its required keys set to something."""

    target_class = _Package

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field = self.target
        schema: dict[str, Any] = {"type": "object", "additionalProperties": True}
        if field.required_keys:
            schema["required"] = list(field.required_keys)
            schema["properties"] = {
                key: {"not": {"enum": _EMPTY_VALUES}} for key in field.required_keys
            }
        if field.non_empty:
            schema["minProperties"] = 1
        if field.allow_null:
            schema["nullable"] = True
        if field.help_text:
            schema["description"] = str(field.help_text)
        return schema


def _decision_id() -> Text:
    return Text(pattern=SOME_TEXT, message=SOME_TEXT_MESSAGE, max_length=40)


class ApprovalIn(StrictSerializer):
    decision_id = _decision_id()
    draft = _Package(required_keys=("kind",))
    context = _Package(required=False, default=dict)
    idempotency_key = text_field(max_length=MAX_IDEMPOTENCY_KEY, default="")


class HandoffIn(StrictSerializer):
    decision_id = _decision_id()
    context = _Package(required_keys=("summary",))
    idempotency_key = text_field(max_length=MAX_IDEMPOTENCY_KEY, default="")


class OutcomeIn(StrictSerializer):
    executed = Boolean()
    detail = text_field(max_length=MAX_DETAIL, default="")


class ApprovalAgentOut(serializers.ModelSerializer):
    """What the agent learns: the status, and what a person approved or said."""

    id = serializers.CharField(source="public_id")
    decision_id = serializers.CharField(source="decision.decision_id")
    approver_team = serializers.CharField(source="team.key", default=None, allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)

    class Meta:
        model = Approval
        fields = [
            "id",
            "decision_id",
            "status",
            "approver_team",
            "due_at",
            "final_draft",
            "comment",
            "decided_by",
            "decided_at",
            "created_at",
        ]


class HandoffAgentOut(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    decision_id = serializers.CharField(source="decision.decision_id")
    team = serializers.CharField(source="team.key", default=None, allow_null=True)
    assignee = serializers.CharField(source="assignee.username", default=None, allow_null=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "decision_id",
            "status",
            "team",
            "assignee",
            "due_at",
            "resolution",
            "follow_up",
            "claimed_at",
            "closed_at",
            "created_at",
        ]


class OutcomeOut(serializers.ModelSerializer):
    decision_id = serializers.CharField(source="decision.decision_id")

    class Meta:
        model = Outcome
        fields = ["decision_id", "executed", "detail", "reported_at"]


class ApprovalOut(ApprovalAgentOut):
    """For people: the draft beside its context and the reasons it needs approval."""

    agent = serializers.CharField(source="agent.key")
    reasons = serializers.JSONField(source="decision.reasons")

    class Meta(ApprovalAgentOut.Meta):
        fields = [*ApprovalAgentOut.Meta.fields, "agent", "action", "reasons", "draft", "context"]


class HandoffOut(HandoffAgentOut):
    agent = serializers.CharField(source="agent.key")
    reasons = serializers.JSONField(source="decision.reasons")

    class Meta(HandoffAgentOut.Meta):
        fields = [*HandoffAgentOut.Meta.fields, "agent", "action", "reason", "reasons", "context"]


def _said(**kwargs: Any) -> Text:
    """Text that says something: more than whitespace."""
    return Text(pattern=SOME_TEXT, message=SOME_TEXT_MESSAGE, max_length=MAX_NOTE, **kwargs)


class ApprovalApproveIn(StrictSerializer):
    """Approve the draft as the agent wrote it; a comment is optional."""

    comment = text_field(max_length=MAX_NOTE, default="")


class ApprovalEditIn(ApprovalApproveIn):
    """Approve with changes: final_draft is the draft as approved, and it must differ from
    the agent's own."""

    final_draft = _Package(non_empty=True)


class ApprovalRejectIn(StrictSerializer):
    """Reject; the comment tells the agent, and the audit trail, why."""

    comment = _said()


class HandoffResolveIn(StrictSerializer):
    """Close it: how it ended."""

    resolution = _said()


class HandoffHandBackIn(StrictSerializer):
    """Hand the next step back to the agent (follow_up), saying how far it got if useful."""

    follow_up = _said()
    resolution = text_field(max_length=MAX_NOTE, default="")


# ---- webhooks ------------------------------------------------------------------------------


def _webhook_url(**kwargs: Any) -> Text:
    return Text(
        pattern=WEBHOOK_URL,
        message=WEBHOOK_URL_MESSAGE,
        max_length=MAX_WEBHOOK_URL,
        help_text="An http(s) URL whose host resolves only to public addresses.",
        **kwargs,
    )


class _EventList(serializers.ListField):
    """Events, each named once: a repeat is refused rather than quietly merged."""

    def to_internal_value(self, data: Any) -> list[Any]:
        events = super().to_internal_value(data)
        repeated = sorted({event for event in events if events.count(event) > 1})
        if repeated:
            raise serializers.ValidationError(
                f"Name each event once; repeated: {', '.join(repeated)}.", code="duplicate"
            )
        return events


class EventListScheme(OpenApiSerializerFieldExtension):
    """In the schema, the events are unique items, as they are checked."""

    target_class = _EventList

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "uniqueItems": True}


def _webhook_events(
    *, choices: Any = WebhookEvent.choices, invalid_choice: str | None = None, **kwargs: Any
) -> serializers.ListField:
    """At least one event, each once: an endpoint told of nothing is refused, not stored."""
    child_errors = {"invalid_choice": invalid_choice} if invalid_choice else {}
    return _EventList(
        child=serializers.ChoiceField(choices=choices, error_messages=child_errors),
        allow_empty=False,
        min_length=1,
        error_messages={"empty": "Choose at least one event."},
        **kwargs,
    )


class WebhookEndpointIn(StrictSerializer):
    url = _webhook_url()
    events = _webhook_events()
    format = serializers.ChoiceField(
        choices=WebhookFormat.choices, required=False, default=WebhookFormat.STANDARD
    )
    description = text_field(max_length=200, default="")


class WebhookEndpointPatchIn(StrictSerializer):
    url = _webhook_url(required=False)
    events = _webhook_events(required=False)
    format = serializers.ChoiceField(choices=WebhookFormat.choices, required=False)
    description = text_field(max_length=200)
    active = Boolean(required=False)


class WebhookEndpointOut(serializers.ModelSerializer):
    """An endpoint as listed: the secret only as its first characters; `agent`, the key of
    the agent that registered it (null for the organization's own)."""

    id = serializers.CharField(source="public_id")
    agent = serializers.CharField(source="agent.key", default=None, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)
    secret_hint = serializers.CharField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "format",
            "active",
            "secret_hint",
            "previous_secret_until",
            "agent",
            "created_by",
            "created_at",
            "updated_at",
        ]


class WebhookEndpointSecretOut(WebhookEndpointOut):
    """At creation and rotation only: the whole secret, to verify signatures with."""

    class Meta(WebhookEndpointOut.Meta):
        fields = [*WebhookEndpointOut.Meta.fields, "secret"]


class AgentWebhookIn(StrictSerializer):
    """An agent's webhook: where to send, and which events about its own approvals and
    handoffs. A URL whose host is, or resolves to, an internal address is refused (409)."""

    url = _webhook_url()
    events = _webhook_events(
        choices=AGENT_WEBHOOK_EVENT_CHOICES,
        invalid_choice='"{input}" is not an event an agent may subscribe to; use '
        + ", ".join(AGENT_WEBHOOK_EVENTS)
        + ".",
        max_length=len(AGENT_WEBHOOK_EVENTS),
    )


class AgentWebhookOut(serializers.ModelSerializer):
    """An agent's webhook as it lists them: the secret only as its first characters;
    `active` false once a person disabled it."""

    id = serializers.CharField(source="public_id")
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    secret_hint = serializers.CharField()

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "active", "secret_hint", "created_at"]


class AgentWebhookSecretOut(AgentWebhookOut):
    """At registration only: the whole secret, to verify each message's signature with."""

    class Meta(AgentWebhookOut.Meta):
        fields = [*AgentWebhookOut.Meta.fields, "secret"]


class AgentWebhookListOut(serializers.Serializer):
    results = AgentWebhookOut(many=True, help_text=f"At most {MAX_AGENT_WEBHOOK_ENDPOINTS}.")


class WebhookAttemptOut(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "url",
            "started_at",
            "finished_at",
            "status_code",
            "error",
            "response_excerpt",
            "duration_ms",
        ]


class WebhookMessageOut(serializers.ModelSerializer):
    """A delivery: the event sent to one endpoint; its id is the webhook-id header."""

    id = serializers.CharField(source="public_id")
    endpoint = serializers.CharField(source="endpoint.public_id")

    class Meta:
        model = WebhookMessage
        fields = [
            "id",
            "endpoint",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
        ]


class WebhookMessageDetailOut(WebhookMessageOut):
    attempt_log = WebhookAttemptOut(source="tries", many=True)

    class Meta(WebhookMessageOut.Meta):
        fields = [*WebhookMessageOut.Meta.fields, "payload", "attempt_log"]
