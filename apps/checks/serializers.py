"""Output serializers for the decision log; the check API writes its JSON by hand."""

from rest_framework import serializers

from apps.checks.models import Decision
from apps.engine.types import DECISIONS


class DecisionReasonOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class DecisionOut(serializers.ModelSerializer):
    agent = serializers.CharField(source="agent.key")
    decision = serializers.ChoiceField(choices=DECISIONS)
    reasons = DecisionReasonOut(many=True, help_text="Every matching rule; the decisive one first.")
    obligations = serializers.DictField()
    policy_version = serializers.IntegerField(
        source="policy_version.number", default=None, allow_null=True
    )
    policy = serializers.CharField(source="policy.key", default=None, allow_null=True)
    request = serializers.DictField(help_text="The request as received, sensitive values masked.")
    masked_paths = serializers.ListField(child=serializers.CharField())

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
