"""Forms of the inbox: the draft a person edits before approving it, the comments and notes
that go with a decision. They parse what people type; the services decide."""

from typing import Any

from django import forms

# Shown first, in this order, whatever order the agent's JSON arrived in.
LEADING_FIELDS = ("to", "cc", "bcc", "subject", "title", "body", "text", "message")
LONG_FIELDS = frozenset({"body", "text", "message", "note", "notes", "summary"})
MAX_TEXT = 20_000
MAX_NOTE = 4_000


def draft_keys(draft: dict[str, Any]) -> list[str]:
    """The draft's fields in reading order: the familiar ones first, then the rest A→Z."""
    leading = [k for k in LEADING_FIELDS if k in draft]
    return leading + sorted(k for k in draft if k not in LEADING_FIELDS)


def is_editable(value: Any) -> bool:
    """Text and numbers are edited in the form; lists and objects travel unchanged."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def field_label(key: str) -> str:
    return {"to": "To", "cc": "Cc", "bcc": "Bcc"}.get(key, key.replace("_", " ").capitalize())


class DraftEditForm(forms.Form):
    """One field per text or number of the agent's draft; `kind` and structured values are
    kept as the agent sent them."""

    def __init__(self, *args: Any, draft: dict[str, Any], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "draft")
        super().__init__(*args, **kwargs)
        self.draft = draft
        for key in draft_keys(draft):
            value = draft[key]
            if key == "kind" or not is_editable(value):
                continue
            self.fields[key] = self._field(key, value)

    @staticmethod
    def _field(key: str, value: Any) -> forms.Field:
        label = field_label(key)
        if isinstance(value, int):
            return forms.IntegerField(label=label, initial=value)
        if isinstance(value, float):
            return forms.FloatField(label=label, initial=value)
        long = key in LONG_FIELDS or "\n" in value or len(value) > 120
        widget = (
            forms.Textarea(attrs={"rows": min(18, max(6, value.count("\n") + 3))})
            if long
            else forms.TextInput()
        )
        # Whitespace is the author's: stripping it would count as an edit.
        return forms.CharField(
            label=label,
            initial=value,
            max_length=MAX_TEXT,
            strip=False,
            required=bool(value.strip()),
            widget=widget,
            error_messages={"required": f"The {label.lower()} cannot be empty."},
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for key, value in list(cleaned.items()):
            if not isinstance(value, str):
                continue
            if self.fields[key].required and not value.strip():
                self.add_error(key, self.fields[key].error_messages["required"])
                continue
            # Browsers send text areas with CRLF; the agent wrote LF.
            cleaned[key] = value.replace("\r\n", "\n")
        return cleaned

    def final_draft(self) -> dict[str, Any]:
        """The draft as the person approves it: the agent's, with the edited fields."""
        return {**self.draft, **self.cleaned_data}


class CommentForm(forms.Form):
    """A comment on a decision: required to reject, optional with an edit."""

    comment = forms.CharField(
        label="Comment", max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, required: bool, label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["comment"]
        field.required = required
        field.label = label
        field.error_messages["required"] = "Say why: the agent and the audit trail read this."


class HandoffResolveForm(forms.Form):
    resolution = forms.CharField(
        label="How it ended",
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say how it ended, so the record is complete."},
    )


class HandoffHandBackForm(forms.Form):
    follow_up = forms.CharField(
        label="Task for the agent",
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the agent does next, e.g. “send the security questionnaire on Monday”.",
        error_messages={"required": "Tell the agent what to do next."},
    )
    resolution = forms.CharField(
        label="What you did (optional)",
        max_length=MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
