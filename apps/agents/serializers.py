"""Input and output serializers for agents, keys and the kill switch."""

import re

from rest_framework import serializers

from apps.agents.models import Agent, AgentKey
from apps.core.api import (
    SOME_TEXT,
    Boolean,
    DateTime,
    StrictSerializer,
    Text,
    key_field,
    name_field,
    text_field,
)


class AgentOut(serializers.ModelSerializer):
    team = serializers.CharField(source="team.key", default=None, allow_null=True)
    policy = serializers.CharField(source="policy.key", default=None, allow_null=True)

    class Meta:
        model = Agent
        fields = ["key", "name", "description", "team", "policy", "status", "created_at"]


_TEAM = "A team's key; empty for none. One the organization does not have answers 409."
_POLICY = "A policy's key; empty for none. One the organization does not have answers 409."


class AgentIn(StrictSerializer):
    key = key_field(max_length=64, help_text="Unique in the organization; a taken one answers 409.")
    name = name_field(max_length=200)
    description = text_field(default="")
    team = Text(required=False, allow_blank=True, allow_null=True, help_text=_TEAM)
    policy = Text(required=False, allow_blank=True, allow_null=True, help_text=_POLICY)


class AgentPatchIn(StrictSerializer):
    name = name_field(max_length=200, required=False)
    description = text_field()
    team = Text(required=False, allow_blank=True, help_text=_TEAM)
    policy = Text(required=False, allow_blank=True, help_text=_POLICY)


class AgentKeyOut(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = AgentKey
        fields = ["prefix", "created_at", "last_used_at", "expires_at", "revoked_at", "active"]


class AgentKeyCreatedOut(AgentKeyOut):
    key = serializers.CharField(help_text="The full key: shown this once, never again.")

    class Meta(AgentKeyOut.Meta):
        fields = [*AgentKeyOut.Meta.fields, "key"]


class AgentKeyIn(StrictSerializer):
    """A new key; with rotate and old_valid_until (together), one that replaces a key."""

    expires_at = DateTime(
        required=False, allow_null=True, help_text="A time already past answers 409."
    )
    rotate = Text(
        required=False,
        help_text="Prefix of a key to retire: it keeps working until old_valid_until. No such "
        "key answers 404; one no longer active, 409.",
    )
    old_valid_until = DateTime(required=False, help_text="A time already past answers 409.")

    schema_constraints = {
        "anyOf": [
            {"required": ["rotate", "old_valid_until"]},
            {"not": {"anyOf": [{"required": ["rotate"]}, {"required": ["old_valid_until"]}]}},
        ]
    }

    def validate(self, attrs):
        if ("rotate" in attrs) != ("old_valid_until" in attrs):
            raise serializers.ValidationError(
                {"old_valid_until": "Give rotate and old_valid_until together."}
            )
        return attrs


class AutonomyOut(serializers.Serializer):
    paused = serializers.BooleanField()
    reason = serializers.CharField()
    paused_at = serializers.DateTimeField(allow_null=True)


class AutonomyIn(StrictSerializer):
    """Pausing needs a reason; resuming does not."""

    paused = Boolean()
    reason = text_field(default="", max_length=500)

    schema_constraints = {
        "not": {
            "required": ["paused"],
            "properties": {"paused": {"enum": [True]}},
            "not": {"required": ["reason"], "properties": {"reason": {"pattern": SOME_TEXT}}},
        }
    }

    def validate(self, attrs):
        if attrs["paused"] and not re.fullmatch(SOME_TEXT, attrs["reason"]):
            raise serializers.ValidationError({"reason": "Say why autonomy is paused."})
        return attrs
