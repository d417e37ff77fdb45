"""Input and output serializers for catalog entries."""

from rest_framework import serializers

from apps.catalogs.constants import Risk, TemplateKind
from apps.catalogs.models import Action, DataCategory, Signal, Template
from apps.core.api import (
    SOME_TEXT,
    SOME_TEXT_MESSAGE,
    Boolean,
    StrictSerializer,
    Text,
    key_field,
    name_field,
    text_field,
)

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
    key = key_field(max_length=64, help_text="Unique in its catalog; a taken one answers 409.")
    label = name_field(max_length=200)
    description = text_field()


class EntryPatchIn(StrictSerializer):
    label = name_field(max_length=200, required=False)
    description = text_field()


class ActionIn(EntryIn):
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)


class ActionPatchIn(EntryPatchIn):
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)


class DataCategoryIn(EntryIn):
    sensitive = Boolean(required=False)


class DataCategoryPatchIn(EntryPatchIn):
    sensitive = Boolean(required=False)


class TemplateIn(EntryIn):
    kind = serializers.ChoiceField(choices=TemplateKind.choices, required=False)
    engagement_type = text_field(max_length=100)
    subject = text_field(max_length=300)
    body = Text(pattern=SOME_TEXT, message=SOME_TEXT_MESSAGE)


class TemplatePatchIn(EntryPatchIn):
    kind = serializers.ChoiceField(choices=TemplateKind.choices, required=False)
    engagement_type = text_field(max_length=100)
    subject = text_field(max_length=300)
    body = Text(
        pattern=SOME_TEXT,
        message=SOME_TEXT_MESSAGE,
        required=False,
        help_text="A new subject or body makes a new version of the template.",
    )
