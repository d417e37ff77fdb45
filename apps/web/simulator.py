"""The policy simulator's form: a check request described with pickers from the catalogs
(or typed as JSON), turned into the body an agent would send. Deciding stays with
apps.checks.simulation; its problems, named by request path, are placed next to the field
they concern."""

import json
import re
from typing import Any

from django import forms
from django.forms.utils import ErrorDict

from apps.catalogs.selectors import (
    actions_list,
    data_categories_list,
    signals_list,
    templates_list,
)
from apps.checks.constants import MAX_BODY_BYTES, MAX_STRING
from apps.checks.parsing import LIST_CONTEXT, STRING_CONTEXT, decode_body
from apps.core.json_body import BodyError

USE_JSON = "json"

# What each decision asks of the agent, in the words of the agent API's contract.
DECISION_MEANINGS = {
    "allow": "The agent may act now, within any obligations.",
    "require_approval": "The agent does not act: it submits its draft for a person's approval.",
    "escalate": "The agent does not act: it hands the conversation to a person now.",
    "deny": "The agent does not act: this is outside the envelope.",
}

# Request paths that have a field of their own in the form.
PATH_FIELDS = {
    "action": "action",
    "confidence": "confidence",
    "signals": "signals",
    "context.channel": "channel",
    "context.template": "template",
    "context.deal_stage": "deal_stage",
    "context.data_categories": "data_categories",
    "context.crm_fields": "crm_fields",
    "context": "other_context",
    "subject": "subject_type",
    "request_id": "request_id",
}
OWN_FIELD_CONTEXT = (*STRING_CONTEXT, *LIST_CONTEXT)
OTHER_LINE = re.compile(r"^\s*([^=:\s]+)\s*[=:]\s*(.*?)\s*$")


def _label(entry: Any, key: str) -> str:
    return f"{entry.label} ({key})" if entry is not None and entry.label != key else key


def _box_label(entry: Any, key: str) -> str:
    """A checkbox's words; the key, when it says something else, is shown beside them."""
    return entry.label if entry is not None else key


def _trigger_note(trigger: dict[str, Any]) -> str:
    """What a trigger does in this version, shown beside its signal."""
    minutes = trigger.get("respond_within_minutes")
    return f"→ {trigger['route_to_team']}" + (f" within {minutes} min" if minutes else "")


def _number(value: float) -> int | float:
    """8.0 as 8, so that the request reads as a person typed it."""
    return int(value) if value.is_integer() else value


class SimulatorForm(forms.Form):
    """A check request against one version; `body` is what an agent would send."""

    action = forms.ChoiceField(
        label="Action",
        required=False,
        help_text="What the agent asks to do. An action the version does not list is denied.",
    )
    confidence = forms.FloatField(
        label="Agent's confidence",
        required=False,
        min_value=0,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
        error_messages={
            "invalid": "Must be a number from 0 to 1.",
            "min_value": "Must be a number from 0 to 1.",
            "max_value": "Must be a number from 0 to 1.",
        },
        help_text="From 0 to 1. Empty: not given.",
    )
    signals = forms.MultipleChoiceField(
        label="Signals the agent noticed",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channel = forms.CharField(
        label="Channel", required=False, max_length=MAX_STRING, help_text="e.g. email"
    )
    template = forms.ChoiceField(label="Template", required=False)
    deal_stage = forms.CharField(
        label="Deal stage", required=False, max_length=MAX_STRING, help_text="e.g. proposal"
    )
    crm_fields = forms.CharField(
        label="CRM fields it writes",
        required=False,
        help_text="Separated by commas.",
    )
    data_categories = forms.MultipleChoiceField(
        label="Data it uses",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_context = forms.CharField(
        label="Other context values",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "deal_value = 12000"}),
        help_text="One per line: name = value. Numbers stay numbers.",
    )
    subject_type = forms.CharField(
        label="Subject type", required=False, max_length=MAX_STRING, help_text="e.g. deal"
    )
    subject_id = forms.CharField(
        label="Subject id", required=False, max_length=MAX_STRING, help_text="e.g. D-1042"
    )
    request_id = forms.CharField(
        label="Request id",
        required=False,
        max_length=200,
        help_text="The agent's correlation id; the answer repeats it.",
    )
    request_json = forms.CharField(
        label="Check request as JSON",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "code", "spellcheck": "false"}),
        help_text="Exactly what an agent posts to /api/v1/check. The pickers above are ignored.",
    )

    def __init__(self, *args: Any, document: dict[str, Any], catalogs: dict[str, list], **kwargs):
        super().__init__(*args, **kwargs)
        self.document = document
        self.uses_json = bool(self.is_bound and self.data.get("use") == USE_JSON)
        self.body: dict[str, Any] = {}
        actions = document.get("actions") or {}
        triggers = document.get("triggers") or {}
        never = set((document.get("data") or {}).get("never") or ())

        by_key = {a.key: a for a in catalogs["actions"]}
        listed = [
            (key, f"{_label(by_key.get(key), key)} · {spec.get('mode', '')}")
            for key, spec in actions.items()
        ]
        unlisted = [(a.key, _label(a, a.key)) for a in catalogs["actions"] if a.key not in actions]
        self.fields["action"].choices = [
            (c, g)
            for c, g in [
                ("In this version", listed),
                ("Not in this version: denied", unlisted),
            ]
            if g
        ]
        if actions:
            self.fields["action"].initial = next(iter(actions))

        signals = {s.key: s for s in catalogs["signals"]}
        signal_keys = [*signals, *(k for k in triggers if k not in signals)]
        self.fields["signals"].choices = [(k, _box_label(signals.get(k), k)) for k in signal_keys]
        self.trigger_notes = {k: _trigger_note(t) for k, t in triggers.items()}

        templates = {t.key: t for t in catalogs["templates"]}
        named = [t for spec in actions.values() for t in spec.get("templates") or ()]
        template_keys = [*templates, *dict.fromkeys(t for t in named if t not in templates)]
        self.fields["template"].choices = [("", "— none")] + [
            (k, _label(templates.get(k), k)) for k in template_keys
        ]

        categories = {d.key: d for d in catalogs["data_categories"]}
        named = [d for spec in actions.values() for d in spec.get("data") or ()]
        category_keys = [
            *categories,
            *dict.fromkeys(d for d in [*named, *never] if d not in categories),
        ]
        self.fields["data_categories"].choices = [
            (k, _box_label(categories.get(k), k)) for k in category_keys
        ]
        self.data_notes = dict.fromkeys(never, "never allowed")

        self.channel_options = sorted(
            {"email", *(c for spec in actions.values() for c in spec.get("channels") or ())}
        )
        self.fields["channel"].widget.attrs["list"] = "sim-channel-options"
        crm_fields = list(
            dict.fromkeys(f for spec in actions.values() for f in spec.get("fields") or ())
        )
        if crm_fields:
            named_fields = ", ".join(crm_fields)
            self.fields[
                "crm_fields"
            ].help_text = f"Separated by commas. Named here: {named_fields}."

        # One number per limit the version sets, e.g. discount_pct.
        self.limit_names: list[str] = []
        for key, spec in actions.items():
            for name, bound in (spec.get("limits") or {}).items():
                field_name = f"limit_{name}"
                if field_name not in self.fields:
                    self.limit_names.append(name)
                    self.fields[field_name] = forms.FloatField(
                        label=name,
                        required=False,
                        widget=forms.NumberInput(attrs={"step": "any"}),
                        error_messages={"invalid": "Enter a number, e.g. 8."},
                        help_text=f"{key} acts alone up to {bound:g}. Empty: not given.",
                    )
                else:
                    self.fields[field_name].help_text += f" {key}: up to {bound:g}."

    @property
    def limit_fields(self) -> list[forms.BoundField]:
        return [self[f"limit_{name}"] for name in self.limit_names]

    def full_clean(self) -> None:
        super().full_clean()
        if self.uses_json and self._errors:
            # A JSON request ignores the pickers: whatever they hold stays as typed, unjudged.
            self._errors = ErrorDict(
                {k: v for k, v in self._errors.items() if k in ("request_json", "__all__")}
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.uses_json:
            self._clean_json(cleaned.get("request_json") or "")
        else:
            self._clean_pickers(cleaned)
        return cleaned

    def _clean_json(self, text: str) -> None:
        if not text.strip():
            self.add_error(
                "request_json", 'Paste a check request, e.g. {"action": "send_follow_up"}.'
            )
            return
        if len(text.encode()) > MAX_BODY_BYTES:
            self.add_error("request_json", f"At most {MAX_BODY_BYTES // 1024} KiB, as for agents.")
            return
        try:
            self.body = decode_body(text)  # exactly as the agent API reads a body
        except BodyError as exc:
            self.add_error("request_json", exc.message)

    def _clean_pickers(self, cleaned: dict[str, Any]) -> None:
        if not cleaned.get("action") and "action" not in self.errors:
            self.add_error("action", "Choose the action the agent asks to take.")
        body: dict[str, Any] = {"action": cleaned.get("action")}
        if cleaned.get("confidence") is not None:
            body["confidence"] = _number(cleaned["confidence"])
        if cleaned.get("signals"):
            body["signals"] = cleaned["signals"]
        context: dict[str, Any] = {}
        for name in ("channel", "template", "deal_stage"):
            if cleaned.get(name):
                context[name] = cleaned[name]
        for name in self.limit_names:
            value = cleaned.get(f"limit_{name}")
            if value is not None:
                context[name] = _number(value)
        if cleaned.get("crm_fields"):
            context["crm_fields"] = [f for f in re.split(r"[,\s]+", cleaned["crm_fields"]) if f]
        if cleaned.get("data_categories"):
            context["data_categories"] = cleaned["data_categories"]
        context.update(self._other_context(cleaned.get("other_context") or ""))
        if context:
            body["context"] = context
        subject = {
            k: cleaned[f"subject_{k}"] for k in ("type", "id") if cleaned.get(f"subject_{k}")
        }
        if subject:
            body["subject"] = subject
        if cleaned.get("request_id"):
            body["request_id"] = cleaned["request_id"]
        self.body = body

    def _other_context(self, text: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        own = {*OWN_FIELD_CONTEXT, *self.limit_names}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            match = OTHER_LINE.match(line)
            if match is None or not match.group(2):
                self.add_error("other_context", f"Line {number}: write name = value.")
                continue
            name, raw = match.groups()
            if name in own:
                self.add_error("other_context", f"Line {number}: {name} has its own field above.")
                continue
            try:
                value = decode_body(raw)
            except BodyError:
                value = raw  # a bare word is text
            values[name] = value
        return values

    def add_problems(self, problems: dict[str, str]) -> None:
        """The simulator's problems, next to the field each concerns."""
        for path, message in problems.items():
            name = "request_json" if self.uses_json else PATH_FIELDS.get(path)
            if name is None and path.startswith("context."):
                key = path.removeprefix("context.")
                name = f"limit_{key}" if key in self.limit_names else "other_context"
            if name in ("request_json", "other_context", None):
                # A box that holds several values: say which one.
                self.add_error(name, f"{path}: {message}.")
            else:
                self.add_error(name, f"{message[:1].upper()}{message[1:]}.")

    @property
    def body_json(self) -> str:
        return json.dumps(self.body, indent=2, ensure_ascii=False)


OBLIGATION_LABELS = {
    "route_to_team": "Team that takes over",
    "respond_within_minutes": "Respond within (minutes)",
    "approver_team": "Team that approves",
    "expires_after_hours": "Approval expires after (hours)",
    "templates": "Templates it may use",
    "channels": "Channels it may use",
    "fields": "CRM fields it may write",
}


def obligation_rows(obligations: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, key, value) for each obligation of an answer, lists written out."""
    return [
        (
            OBLIGATION_LABELS.get(key, key.replace("_", " ").capitalize()),
            key,
            ", ".join(map(str, value)) if isinstance(value, list) else str(value),
        )
        for key, value in obligations.items()
    ]


def simulator_catalogs(organization: Any) -> dict[str, list]:
    """What the pickers offer: the organization's catalogs."""
    return {
        "actions": list(actions_list(organization=organization)),
        "signals": list(signals_list(organization=organization)),
        "data_categories": list(data_categories_list(organization=organization)),
        "templates": list(templates_list(organization=organization)),
    }
