"""Writes for the catalogs; each writes its audit event in the same transaction."""

import re
from typing import Any

from django.db import IntegrityError, transaction

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.catalogs import defaults
from apps.catalogs.constants import CatalogKind, Risk, TemplateKind
from apps.catalogs.models import Action, DataCategory, Signal, Template, TemplateVersion
from apps.core.errors import ValidationFailed

KEY_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")

MODELS: dict[str, type] = {
    CatalogKind.ACTIONS: Action,
    CatalogKind.SIGNALS: Signal,
    CatalogKind.DATA_CATEGORIES: DataCategory,
    CatalogKind.TEMPLATES: Template,
}
# What each kind accepts besides key, label and description.
EXTRA_FIELDS: dict[str, dict[str, Any]] = {
    CatalogKind.ACTIONS: {"risk": Risk.values},
    CatalogKind.SIGNALS: {},
    CatalogKind.DATA_CATEGORIES: {"sensitive": bool},
    CatalogKind.TEMPLATES: {"kind": TemplateKind.values, "engagement_type": str},
}
TEMPLATE_BODY_FIELDS = ("subject", "body")


def _snapshot(entry: Any, kind: str) -> dict[str, Any]:
    data = {"key": entry.key, "label": entry.label, "description": entry.description}
    for name in EXTRA_FIELDS[kind]:
        data[name] = getattr(entry, name)
    if kind == CatalogKind.TEMPLATES:
        data["version"] = entry.current_version
    return data


def _clean(kind: str, values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if creating:
        key = str(values.get("key") or "").strip()
        if not key:
            errors["key"] = "This field is required."
        elif len(key) > 64 or not KEY_RE.match(key):
            errors["key"] = "Use lowercase letters, digits, hyphens and underscores."
        clean["key"] = key
    if creating or "label" in values:
        label = str(values.get("label") or "").strip()
        if not label:
            errors["label"] = "This field is required."
        elif len(label) > 200:
            errors["label"] = "At most 200 characters."
        clean["label"] = label
    if "description" in values:
        clean["description"] = str(values["description"] or "").strip()
    for name, allowed in EXTRA_FIELDS[kind].items():
        if name not in values:
            continue
        value = values[name]
        if allowed is bool:
            if not isinstance(value, bool):
                errors[name] = "Must be true or false."
        elif allowed is str:
            value = str(value or "").strip()
            if len(value) > 100:
                errors[name] = "At most 100 characters."
        elif value not in allowed:
            errors[name] = f"Choose from: {', '.join(allowed)}."
        clean[name] = value
    if kind == CatalogKind.TEMPLATES:
        for name in TEMPLATE_BODY_FIELDS:
            if name in values:
                # Browsers send \r\n; the same words must not become a new version.
                clean[name] = str(values[name] or "").replace("\r\n", "\n").replace("\r", "\n")
        if creating and not clean.get("body", "").strip():
            errors["body"] = "A template needs a body."
    if errors:
        raise ValidationFailed("The catalog entry is not valid.", fields=errors)
    return clean


@transaction.atomic
def catalog_entry_create(*, organization, by: User | str, kind: str, values: dict[str, Any]):
    model = MODELS[kind]
    clean = _clean(kind, values, creating=True)
    if model.objects.filter(organization=organization, key=clean["key"]).exists():
        raise ValidationFailed(
            f"{clean['key']!r} is already in the catalog.",
            fields={"key": "Already in the catalog."},
        )
    body = {name: clean.pop(name) for name in TEMPLATE_BODY_FIELDS if name in clean}
    try:
        with transaction.atomic():
            entry = model.objects.create(organization=organization, **clean)
    except IntegrityError as exc:  # a concurrent create took the key
        raise ValidationFailed(
            f"{clean['key']!r} is already in the catalog.",
            fields={"key": "Already in the catalog."},
        ) from exc
    if kind == CatalogKind.TEMPLATES:
        TemplateVersion.objects.create(
            organization=organization,
            template=entry,
            number=1,
            created_by=by if isinstance(by, User) else None,
            **body,
        )
    audit_record(
        organization=organization,
        by=by,
        verb=f"catalog.{model._meta.model_name}.created",
        target=entry,
        after={**_snapshot(entry, kind), **body},
    )
    return entry


@transaction.atomic
def catalog_entry_update(*, entry, by: User, kind: str, values: dict[str, Any]):
    """Change an entry's label, description and kind-specific fields; keys never change.
    A template whose subject or body changes gets a new version."""
    entry = type(entry).objects.select_for_update().get(pk=entry.pk)
    clean = _clean(kind, values, creating=False)
    before = _snapshot(entry, kind)
    body = {name: clean.pop(name) for name in TEMPLATE_BODY_FIELDS if name in clean}
    for name, value in clean.items():
        setattr(entry, name, value)
    if kind == CatalogKind.TEMPLATES and body:
        current = entry.versions.filter(number=entry.current_version).first()
        new = {
            "subject": body.get("subject", current.subject if current else ""),
            "body": body.get("body", current.body if current else ""),
        }
        if not new["body"].strip():
            raise ValidationFailed("A template needs a body.", fields={"body": "Required."})
        if current is None or (current.subject, current.body) != (new["subject"], new["body"]):
            entry.current_version += 1
            TemplateVersion.objects.create(
                organization=entry.organization,
                template=entry,
                number=entry.current_version,
                created_by=by,
                **new,
            )
    after = _snapshot(entry, kind)
    if after == before:
        return entry
    entry.save()
    changed = [k for k in after if after[k] != before[k]]
    audit_record(
        organization=entry.organization,
        by=by,
        verb=f"catalog.{entry._meta.model_name}.updated",
        target=entry,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return entry


@transaction.atomic
def catalog_install_defaults(*, organization, by: User | str) -> None:
    """Give a new organization the standard sales catalog (one audit event for all of it)."""
    org = organization
    Action.objects.bulk_create(
        [
            Action(organization=org, key=k, label=lb, description=d, risk=r)
            for k, lb, d, r in defaults.ACTIONS
        ]
    )
    Signal.objects.bulk_create(
        [Signal(organization=org, key=k, label=lb, description=d) for k, lb, d in defaults.SIGNALS]
    )
    DataCategory.objects.bulk_create(
        [
            DataCategory(organization=org, key=k, label=lb, description=d, sensitive=s)
            for k, lb, d, s in defaults.DATA_CATEGORIES
        ]
    )
    for key, label, kind, engagement, subject, body in defaults.TEMPLATES:
        template = Template.objects.create(
            organization=org, key=key, label=label, kind=kind, engagement_type=engagement
        )
        TemplateVersion.objects.create(
            organization=org, template=template, number=1, subject=subject, body=body
        )
    audit_record(
        organization=org,
        by=by,
        verb="catalog.defaults_installed",
        object_type="catalogs",
        object_id=org.slug,
        object_repr="Standard sales catalog",
        after={
            "actions": len(defaults.ACTIONS),
            "signals": len(defaults.SIGNALS),
            "data_categories": len(defaults.DATA_CATEGORIES),
            "templates": len(defaults.TEMPLATES),
        },
    )
