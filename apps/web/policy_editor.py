"""The envelope editor's form ⇄ document mapping: a draft's document becomes rows a sales
leader edits (an action matrix, triggers, data rules, decision rights), and the submitted
form becomes a document again. Validation stays with the policies service; its errors,
named by document path, are placed next to the field they concern."""

import math
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from apps.policies.constants import Mode

NOT_LISTED = ""  # an action left out of the envelope: checks of it answer deny


@dataclass
class Option:
    key: str
    label: str
    checked: bool


@dataclass
class ActionRow:
    key: str
    label: str
    description: str
    risk: str
    spec: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    template_options: list[Option] = field(default_factory=list)
    data_options: list[Option] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return self.spec.get("mode", NOT_LISTED)

    @property
    def restricted(self) -> dict[str, bool]:
        """Which allow-lists are present (an empty one allows nothing)."""
        return {name: name in self.spec for name in ("templates", "data", "channels", "fields")}

    @property
    def has_conditions(self) -> bool:
        return any(k in self.spec for k in ("channels", "templates", "data", "fields", "limits"))

    @property
    def conditions_text(self) -> str:
        parts = []
        for name in ("templates", "channels", "data", "fields"):
            if name in self.spec:
                values = self.spec[name]
                parts.append(f"{name} {', '.join(values)}" if values else f"no {name}")
        if self.spec.get("limits"):
            parts.append(self.limits_text)
        return " · ".join(parts)

    @property
    def limits_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in (self.spec.get("limits") or {}).items())


@dataclass
class TriggerRow:
    key: str
    label: str
    description: str
    spec: dict[str, Any] | None
    errors: dict[str, str] = field(default_factory=dict)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _number(text: str, path: str, problems: dict[str, str], *, integer: bool = False) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        problems[path] = "must be a whole number" if integer else "must be a number"
        return None
    if not math.isfinite(value):
        problems[path] = "must be a finite number"
        return None
    return int(value) if not integer and value.is_integer() and "." not in text else value


def document_from_form(
    data: QueryDict, *, action_keys: list[str], signal_keys: list[str], team_keys: list[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Build a document from the editor's fields; return it with the problems found while
    reading the fields themselves (a number that is not one), by document path."""
    problems: dict[str, str] = {}
    doc: dict[str, Any] = {"format": 1, "name": data.get("name", "").strip()}
    if data.get("description", "").strip():
        doc["description"] = data["description"].strip()
    defaults: dict[str, Any] = {}
    confidence = _number(
        data.get("defaults-min_confidence", ""), "defaults.min_confidence", problems
    )
    if confidence is not None:
        defaults["min_confidence"] = confidence
    hours = _number(
        data.get("defaults-approval_expires_after_hours", ""),
        "defaults.approval_expires_after_hours",
        problems,
        integer=True,
    )
    if hours is not None:
        defaults["approval_expires_after_hours"] = hours
    if defaults:
        doc["defaults"] = defaults

    actions: dict[str, Any] = {}
    for key in action_keys:
        prefix, path = f"action-{key}-", f"actions.{key}"
        mode = data.get(prefix + "mode", NOT_LISTED)
        if mode == NOT_LISTED:
            continue
        spec: dict[str, Any] = {"mode": mode}
        confidence = _number(
            data.get(prefix + "min_confidence", ""), f"{path}.min_confidence", problems
        )
        if confidence is not None:
            spec["min_confidence"] = confidence
        # An allow-list exists only when "only these" is ticked; then it may be empty
        # (nothing allowed). Without the tick there is no restriction of that kind.
        for name in ("templates", "data", "channels", "fields"):
            if not data.get(f"{prefix}restrict_{name}"):
                continue
            if name in ("channels", "fields"):
                spec[name] = _split(data.get(prefix + name, ""))
            else:
                spec[name] = data.getlist(prefix + name)
        limits_text = data.get(prefix + "limits", "").strip()
        if limits_text:
            limits: dict[str, Any] = {}
            for part in _split(limits_text):
                name, sep, value = part.partition("=")
                name = name.strip()
                number = _number(value, f"{path}.limits", problems) if sep else None
                if not sep or number is None:
                    problems[f"{path}.limits"] = "write limits as name=number, e.g. discount_pct=5"
                    break
                if name in limits:
                    problems[f"{path}.limits"] = f"{name} is limited twice"
                    break
                limits[name] = number
            spec["limits"] = limits
        for name in ("approver_team", "route_to_team"):
            if data.get(prefix + name):
                spec[name] = data[prefix + name]
        actions[key] = spec
    doc["actions"] = actions

    triggers: dict[str, Any] = {}
    for key in signal_keys:
        prefix = f"trigger-{key}-"
        team = data.get(prefix + "route_to_team", "")
        if not data.get(prefix + "on"):
            if team or data.get(prefix + "respond_within_minutes", "").strip():
                problems[f"triggers.{key}.route_to_team"] = (
                    "tick On to escalate on this signal, or clear its team and time"
                )
            continue
        if not team:
            problems[f"triggers.{key}.route_to_team"] = "choose the team that takes over"
        spec = {"route_to_team": team}
        minutes = _number(
            data.get(prefix + "respond_within_minutes", ""),
            f"triggers.{key}.respond_within_minutes",
            problems,
            integer=True,
        )
        if minutes is not None:
            spec["respond_within_minutes"] = minutes
        triggers[key] = spec
    if triggers:
        doc["triggers"] = triggers

    never = data.getlist("data-never")
    if never:
        doc["data"] = {"never": never}
    rights = {team: _split(data.get(f"rights-{team}", "")) for team in team_keys}
    rights = {team: values for team, values in rights.items() if values}
    if rights:
        doc["decision_rights"] = rights
    return doc, problems


def field_for_path(path: str) -> tuple[str, str, str]:
    """Where an error about a document path is shown: (section, subject, attribute)."""
    parts = path.removeprefix("document.").split(".")
    if parts[0] == "actions" and len(parts) >= 2:
        return "actions", parts[1], parts[2] if len(parts) > 2 else "mode"
    if parts[0] == "triggers" and len(parts) >= 2:
        return "triggers", parts[1], parts[2] if len(parts) > 2 else "route_to_team"
    if parts[0] == "defaults" and len(parts) >= 2:
        return "defaults", "", parts[1]
    if parts[0] == "data":
        return "data", "", "never"
    if parts[0] == "decision_rights" and len(parts) >= 2:
        return "rights", parts[1], ""
    return "general", "", parts[0]


def choice_options(chosen: list[str] | None, catalog: list) -> list[Option]:
    """The document's choices first, in its order (so saving keeps it), then the rest of the
    catalog; a choice the catalog no longer holds stays visible so validation can flag it."""
    labels = {entry.key: entry.label for entry in catalog}
    chosen = chosen or []
    return [
        *(Option(key, labels.get(key, f"{key} (not in the catalog)"), True) for key in chosen),
        *(Option(e.key, e.label, False) for e in catalog if e.key not in chosen),
    ]


def editor_rows(
    doc: dict[str, Any],
    *,
    actions: list,
    signals: list,
    errors: dict[str, str],
    templates: list | None = None,
    data_categories: list | None = None,
) -> tuple[list[ActionRow], list[TriggerRow], dict[str, str], dict[str, str]]:
    """Rows for every catalog action and signal (plus any the document names), with their
    errors; and the errors of the general and rights sections."""
    doc_actions = doc.get("actions") or {}
    catalog = {a.key: a for a in actions}
    action_rows = [
        ActionRow(
            key=key,
            label=catalog[key].label if key in catalog else key,
            description=catalog[key].description if key in catalog else "Not in the catalog",
            risk=catalog[key].risk if key in catalog else "",
            spec=doc_actions.get(key, {}),
        )
        # The envelope's own actions first, in its order; then the rest of the catalog.
        for key in [*doc_actions, *[k for k in catalog if k not in doc_actions]]
    ]
    doc_triggers = doc.get("triggers") or {}
    signal_catalog = {s.key: s for s in signals}
    trigger_rows = [
        TriggerRow(
            key=key,
            label=signal_catalog[key].label if key in signal_catalog else key,
            description=signal_catalog[key].description if key in signal_catalog else "",
            spec=doc_triggers.get(key),
        )
        for key in [*signal_catalog, *[k for k in doc_triggers if k not in signal_catalog]]
    ]
    for row in action_rows:
        row.template_options = choice_options(row.spec.get("templates"), templates or [])
        row.data_options = choice_options(row.spec.get("data"), data_categories or [])
    by_action = {row.key: row for row in action_rows}
    by_trigger = {row.key: row for row in trigger_rows}
    general: dict[str, str] = {}
    rights: dict[str, str] = {}
    for path, message in errors.items():
        section, subject, attribute = field_for_path(path)
        if section == "actions" and subject in by_action:
            by_action[subject].errors.setdefault(attribute, message)
        elif section == "triggers" and subject in by_trigger:
            by_trigger[subject].errors.setdefault(attribute, message)
        elif section == "rights":
            rights[subject] = message
        else:
            general.setdefault(
                f"{section}_{attribute}" if section != "general" else attribute, message
            )
    return action_rows, trigger_rows, general, rights


MODE_CHOICES = [(NOT_LISTED, "Not allowed (outside the envelope)"), *Mode.choices]
