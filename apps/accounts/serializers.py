"""Input and output serializers for personal access tokens."""

from rest_framework import serializers

from apps.accounts.models import PersonalAccessToken
from apps.core.api import DateTime, StrictSerializer, name_field


class TokenOut(serializers.ModelSerializer):
    class Meta:
        model = PersonalAccessToken
        fields = ["prefix", "name", "created_at", "last_used_at", "expires_at", "revoked_at"]


class TokenCreatedOut(TokenOut):
    token = serializers.CharField(help_text="The full token: shown this once, never again.")

    class Meta(TokenOut.Meta):
        fields = [*TokenOut.Meta.fields, "token"]


class TokenIn(StrictSerializer):
    name = name_field(max_length=100)
    expires_at = DateTime(
        required=False,
        allow_null=True,
        help_text="When it stops working; a time already past answers 409.",
    )
