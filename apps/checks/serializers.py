"""Output serializers for the decision log; the check API writes its JSON by hand."""

from rest_framework import serializers

from apps.checks.models import Decision


class DecisionOut(serializers.ModelSerializer):
    agent = serializers.CharField(source="agent.key")
    policy_version = serializers.IntegerField(source="policy_version.number", default=None)
    policy = serializers.CharField(source="policy.key", default=None)

    class Meta:
        model = Decision
        fields = [
            "decision_id",
            "evaluated_at",
            "agent",
            "key_prefix",
            "action",
            "decision",
            "reasons",
            "obligations",
            "policy",
            "policy_version",
            "request",
            "masked_paths",
            "request_id",
            "evaluation_us",
            "error",
        ]
