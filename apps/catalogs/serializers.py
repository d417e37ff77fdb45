"""Input and output serializers for catalog entries."""

from rest_framework import serializers

from apps.catalogs.constants import Risk, TemplateKind
from apps.catalogs.models import Action, DataCategory, Signal, Template
from apps.core.api import StrictSerializer

BASE = ["key", "label", "description", "created_at"]


class ActionOut(serializers.ModelSerializer):
    class Meta:
        model = Action
        fields = [*BASE, "risk"]


class SignalOut(serializers.ModelSerializer):
    class Meta:
        model = Signal
        fields = BASE


class DataCategoryOut(serializers.ModelSerializer):
    class Meta:
        model = DataCategory
        fields = [*BASE, "sensitive"]


class TemplateOut(serializers.ModelSerializer):
    version = serializers.IntegerField(source="current_version")
    subject = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = Template
        fields = [*BASE, "kind", "engagement_type", "version", "subject", "body"]

    def _current(self, obj):
        return next((v for v in obj.versions.all() if v.number == obj.current_version), None)

    def get_subject(self, obj) -> str:
        current = self._current(obj)
        return current.subject if current else ""

    def get_body(self, obj) -> str:
        current = self._current(obj)
        return current.body if current else ""


class EntryIn(StrictSerializer):
    key = serializers.CharField(max_length=64)
    label = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)


class EntryPatchIn(StrictSerializer):
    label = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class ActionIn(EntryIn):
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)


class ActionPatchIn(EntryPatchIn):
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)


class DataCategoryIn(EntryIn):
    sensitive = serializers.BooleanField(required=False)


class DataCategoryPatchIn(EntryPatchIn):
    sensitive = serializers.BooleanField(required=False)


class TemplateIn(EntryIn):
    kind = serializers.ChoiceField(choices=TemplateKind.choices, required=False)
    engagement_type = serializers.CharField(required=False, allow_blank=True, max_length=100)
    subject = serializers.CharField(required=False, allow_blank=True, max_length=300)
    body = serializers.CharField()


class TemplatePatchIn(EntryPatchIn):
    kind = serializers.ChoiceField(choices=TemplateKind.choices, required=False)
    engagement_type = serializers.CharField(required=False, allow_blank=True, max_length=100)
    subject = serializers.CharField(required=False, allow_blank=True, max_length=300)
    body = serializers.CharField(required=False)
