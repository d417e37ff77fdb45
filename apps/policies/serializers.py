"""Input and output serializers for policies and versions."""

from rest_framework import serializers

from apps.core.api import StrictSerializer
from apps.policies.models import Policy, PolicyVersion


class PolicyOut(serializers.ModelSerializer):
    active_version = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = Policy
        fields = ["key", "name", "description", "active_version", "created_by", "created_at"]

    def get_active_version(self, obj: Policy) -> int | None:
        active = next((v for v in obj.versions.all() if v.state == "active"), None)
        return active.number if active else None


class PolicyIn(StrictSerializer):
    key = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


def _username(user) -> str | None:
    return user.username if user else None


class VersionOut(serializers.ModelSerializer):
    policy = serializers.CharField(source="policy.key")
    author = serializers.SerializerMethodField()
    submitted_by = serializers.SerializerMethodField()
    reviewer = serializers.SerializerMethodField()
    published_by = serializers.SerializerMethodField()
    contributors = serializers.SerializerMethodField()
    based_on = serializers.IntegerField(source="based_on.number", default=None)
    document = serializers.JSONField()

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


class VersionIn(StrictSerializer):
    document = serializers.JSONField(required=False, help_text="The policy document (as JSON).")
    text = serializers.CharField(
        required=False, help_text="Or the document as YAML or JSON text (with `format`)."
    )
    format = serializers.ChoiceField(choices=["yaml", "json"], default="yaml")
    based_on = serializers.IntegerField(
        required=False, min_value=1, help_text="Start from this version's content (rollback)."
    )

    def validate(self, attrs):
        given = [k for k in ("document", "text", "based_on") if k in attrs]
        if len(given) > 1:
            raise serializers.ValidationError(
                {given[1]: f"Give only one of document, text or based_on (got {', '.join(given)})."}
            )
        return attrs


class VersionEditIn(StrictSerializer):
    document = serializers.JSONField()


class ReviewIn(StrictSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    content_hash = serializers.CharField(
        required=False, help_text="The content hash you reviewed; refused if it changed since."
    )


class PublishIn(StrictSerializer):
    effective_at = serializers.DateTimeField(required=False, allow_null=True)


class ChangeOut(serializers.Serializer):
    section = serializers.CharField()
    subject = serializers.CharField()
    kind = serializers.CharField()
    text = serializers.CharField()


class DiffOut(serializers.Serializer):
    version = serializers.IntegerField()
    against = serializers.IntegerField(allow_null=True)
    changes = ChangeOut(many=True)
