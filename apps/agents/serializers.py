"""Input and output serializers for agents, keys and the kill switch."""

from rest_framework import serializers

from apps.agents.models import Agent, AgentKey
from apps.core.api import StrictSerializer


class AgentOut(serializers.ModelSerializer):
    team = serializers.CharField(source="team.key", default=None)
    policy = serializers.CharField(source="policy.key", default=None)

    class Meta:
        model = Agent
        fields = ["key", "name", "description", "team", "policy", "status", "created_at"]


class AgentIn(StrictSerializer):
    key = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    team = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    policy = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class AgentPatchIn(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    team = serializers.CharField(required=False, allow_blank=True)
    policy = serializers.CharField(required=False, allow_blank=True)


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
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    rotate = serializers.CharField(
        required=False,
        help_text="Prefix of a key to retire: it keeps working until old_valid_until.",
    )
    old_valid_until = serializers.DateTimeField(required=False)

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
    paused = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
