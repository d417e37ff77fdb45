"""A structural, readable diff of two policy documents: one sentence per change, such as
"send_follow_up: min_confidence 0.85 → 0.8" or "offer_discount: limit discount_pct 5 → 10".

Plain Python over canonical documents.
"""

from dataclasses import dataclass
from typing import Any

from apps.policies.constants import LIST_KEYS


@dataclass(frozen=True)
class Change:
    section: str  # "policy", "defaults", "actions", "triggers", "data", "decision_rights"
    subject: str  # the action, signal or team concerned ("" for the policy itself)
    kind: str  # "added", "removed", "changed"
    text: str

    def as_dict(self) -> dict[str, str]:
        return {
            "section": self.section,
            "subject": self.subject,
            "kind": self.kind,
            "text": self.text,
        }


def _fmt(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "nothing"
    return str(value)


def _list_change(before: list[str] | None, after: list[str] | None) -> str | None:
    if before == after:
        return None
    if before is None:
        return f"now only {_fmt(after)}"
    if after is None:
        return f"no longer restricted (was {_fmt(before)})"
    added = [x for x in after if x not in before]
    removed = [x for x in before if x not in after]
    parts = [f"+ {x}" for x in added] + [f"\u2212 {x}" for x in removed]  # + and minus sign
    return ", ".join(parts) if parts else "reordered"


def _describe_action(spec: dict[str, Any]) -> str:
    bits = [spec["mode"]]
    if "min_confidence" in spec:
        bits.append(f"min_confidence {spec['min_confidence']}")
    for key in LIST_KEYS:
        if key in spec:
            bits.append(f"{key} {_fmt(spec[key])}")
    for name, bound in (spec.get("limits") or {}).items():
        bits.append(f"limit {name} {bound}")
    for key in ("approver_team", "route_to_team"):
        if key in spec:
            bits.append(f"{key} {spec[key]}")
    return "; ".join(bits)


def _action_changes(key: str, before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    changes = []

    def add(kind: str, text: str) -> None:
        changes.append(Change("actions", key, kind, f"{key}: {text}"))

    for field in ("mode", "min_confidence", "approver_team", "route_to_team"):
        if before.get(field) != after.get(field):
            add("changed", f"{field} {_fmt(before.get(field))} → {_fmt(after.get(field))}")
    for field in LIST_KEYS:
        text = _list_change(before.get(field), after.get(field))
        if text:
            add("changed", f"{field} {text}")
    old_limits, new_limits = before.get("limits") or {}, after.get("limits") or {}
    for name in [*old_limits, *[n for n in new_limits if n not in old_limits]]:
        old, new = old_limits.get(name), new_limits.get(name)
        if old == new:
            continue
        if old is None:
            add("changed", f"limit {name} set to {new}")
        elif new is None:
            add("changed", f"limit {name} {old} removed")
        else:
            add("changed", f"limit {name} {old} → {new}")
    return changes


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[Change]:
    """Every difference from `before` (None: an empty policy) to `after`."""
    before = before or {}
    changes: list[Change] = []
    for field in ("name", "description"):
        if before.get(field) != after.get(field) and before:
            changes.append(
                Change(
                    "policy",
                    "",
                    "changed",
                    f"{field}: “{_fmt(before.get(field))}” → “{_fmt(after.get(field))}”",
                )
            )
    old_defaults, new_defaults = before.get("defaults") or {}, after.get("defaults") or {}
    for field in dict.fromkeys([*old_defaults, *new_defaults]):
        if old_defaults.get(field) != new_defaults.get(field):
            changes.append(
                Change(
                    "defaults",
                    field,
                    "changed",
                    f"defaults: {field} {_fmt(old_defaults.get(field))}"
                    f" → {_fmt(new_defaults.get(field))}",
                )
            )
    old_actions, new_actions = before.get("actions") or {}, after.get("actions") or {}
    for key in dict.fromkeys([*old_actions, *new_actions]):
        if key not in old_actions:
            spec = new_actions[key]
            changes.append(
                Change("actions", key, "added", f"{key}: added ({_describe_action(spec)})")
            )
        elif key not in new_actions:
            changes.append(
                Change(
                    "actions", key, "removed", f"{key}: removed (now outside the envelope: deny)"
                )
            )
        else:
            changes.extend(_action_changes(key, old_actions[key], new_actions[key]))
    old_triggers, new_triggers = before.get("triggers") or {}, after.get("triggers") or {}
    for key in dict.fromkeys([*old_triggers, *new_triggers]):
        old, new = old_triggers.get(key), new_triggers.get(key)
        if old == new:
            continue
        if old is None and new is not None:
            window = new.get("respond_within_minutes")
            text = f"trigger {key}: added → {new['route_to_team']}" + (
                f" within {window} min" if window else ""
            )
            changes.append(Change("triggers", key, "added", text))
        elif new is None:
            changes.append(Change("triggers", key, "removed", f"trigger {key}: removed"))
        elif old is not None:
            for field in ("route_to_team", "respond_within_minutes"):
                if old.get(field) != new.get(field):
                    changes.append(
                        Change(
                            "triggers",
                            key,
                            "changed",
                            f"trigger {key}: {field} {_fmt(old.get(field))}"
                            f" → {_fmt(new.get(field))}",
                        )
                    )
    never = _list_change(
        (before.get("data") or {}).get("never", []), (after.get("data") or {}).get("never", [])
    )
    if never:
        changes.append(Change("data", "never", "changed", f"data never allowed: {never}"))
    old_rights, new_rights = before.get("decision_rights") or {}, after.get("decision_rights") or {}
    for team in dict.fromkeys([*old_rights, *new_rights]):
        old, new = old_rights.get(team), new_rights.get(team)
        if old == new:
            continue
        if old is None:
            changes.append(
                Change("decision_rights", team, "added", f"decision rights of {team}: {_fmt(new)}")
            )
        elif new is None:
            changes.append(
                Change("decision_rights", team, "removed", f"decision rights of {team}: removed")
            )
        else:
            changes.append(
                Change(
                    "decision_rights",
                    team,
                    "changed",
                    f"decision rights of {team}: {_list_change(old, new)}",
                )
            )
    return changes
