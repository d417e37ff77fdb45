"""Forms of the agent pages and the decision log: they parse what people type, with every
time read in UTC (a time without an offset is UTC); the services and selectors decide."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.engine.types import DECISIONS

# What <input type="datetime-local"> sends and shows: minutes, no offset.
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
ROTATION_OVERLAP = timedelta(hours=24)


def parse_utc(value: str) -> datetime | None:
    """An ISO 8601 time, naive meaning UTC; None for anything else (2026-13-45 included)."""
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        return None
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if timezone.is_naive(moment) else moment


def utc_input_value(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(LOCAL_INPUT_FORMAT)


class UTCDateTimeField(forms.DateTimeField):
    """A datetime-local input whose value is UTC, whatever the browser's time zone."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return utc_input_value(value) if isinstance(value, datetime) else value

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
        moment = parse_utc(str(value))
        if moment is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return moment


class KeyCreateForm(forms.Form):
    expires_at = UTCDateTimeField(
        required=False,
        label="Expires (UTC, optional)",
        help_text="Leave empty for a key that works until it is revoked or rotated.",
    )


class KeyRotateForm(forms.Form):
    """One per active key on the agent's page; `auto_id` keeps each one's ids apart."""

    prefix = forms.CharField(max_length=32, widget=forms.HiddenInput)
    old_valid_until = UTCDateTimeField(
        label="Old key keeps working until (UTC)",
        help_text="Time to deploy the new key; after this, the old one is refused.",
    )
    expires_at = UTCDateTimeField(
        required=False,
        label="New key expires (UTC, optional)",
        help_text="Leave empty for no expiry.",
    )

    def __init__(self, *args: Any, key_prefix: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"rotate-{key_prefix}-%s")
        if not args and "data" not in kwargs:
            initial = kwargs.setdefault("initial", {})
            initial.setdefault("prefix", key_prefix)
            initial.setdefault("old_valid_until", timezone.now() + ROTATION_OVERLAP)
        super().__init__(*args, **kwargs)


class DecisionFilterForm(forms.Form):
    """The decision log's filters. An unknown agent or a malformed time is reported next to
    its field and not applied; the action is any text (the log also holds actions the
    catalog does not know, which were denied), offered from the catalog."""

    agent = forms.ChoiceField(required=False)
    action = forms.CharField(required=False, max_length=200)
    decision = forms.ChoiceField(
        required=False, choices=[("", "Any decision"), *[(d, d) for d in DECISIONS]]
    )
    reason = forms.CharField(required=False, max_length=100, label="Decisive reason")
    since = UTCDateTimeField(required=False, label="From (UTC)")
    until = UTCDateTimeField(required=False, label="Until (UTC)")

    def __init__(
        self, *args: Any, agents: list[tuple[str, str]], actions: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", "Any agent"), *agents]
        current = (self.data.get("action") or "").strip()
        listed = list(actions)
        if current and current not in listed:
            listed.append(current)  # a link to an action the catalog no longer lists
        self.action_choices = listed

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until <= since:
            self.add_error("until", "Must be after the start.")
        return cleaned

    def filters(self) -> dict[str, Any]:
        """The valid filters, for decisions_list; a field in error is left out."""
        self.is_valid()
        values = {
            name: self.cleaned_data.get(name)
            for name in self.fields
            if name not in self.errors and self.cleaned_data.get(name) not in (None, "")
        }
        for name in ("action", "reason"):
            if name in values:
                values[name] = values[name].strip()
        return values
